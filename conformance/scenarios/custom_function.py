"""torch.autograd.Function: forward/backward, setup_context, saved tensors, marks and errors."""
from . import scenario

FLOATS = ("float32", "float64")


def _exp_function(torch):
    class MyExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y
    return MyExp


@scenario(dtypes=FLOATS)
def saved_tensors_backward(torch, rec):
    MyExp = _exp_function(torch)
    x = rec.tensor(3, requires_grad=True)
    y = MyExp.apply(x)
    rec("y", y)
    y.sum().backward()
    rec("grad", x.grad)


@scenario(dtypes=FLOATS)
def double_backward_through_function(torch, rec):
    MyExp = _exp_function(torch)
    x = rec.tensor(3, requires_grad=True)
    (g,) = torch.autograd.grad(MyExp.apply(x).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    rec("g", g)
    rec("h", h)


@scenario
def setup_context_style(torch, rec):
    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(x, factor):
            return x * factor

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.factor = inputs[1]

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.factor, None

    x = torch.tensor(rec.data(3), requires_grad=True)
    y = Scale.apply(x, 4.0)
    y.sum().backward()
    rec("y", y)
    rec("grad", x.grad)


@scenario
def needs_input_grad_and_non_differentiable(torch, rec):
    class SplitSign(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.record = ctx.needs_input_grad
            sign = (x > 0).to(x.dtype)
            ctx.mark_non_differentiable(sign)
            return x * w, sign

        @staticmethod
        def backward(ctx, grad, grad_sign):
            return grad * 2, None

    x = torch.tensor(rec.data(3), requires_grad=True)
    w = torch.tensor(rec.data(3))
    y, sign = SplitSign.apply(x, w)
    rec("sign", sign)
    y.sum().backward()
    rec("grad", x.grad)


@scenario
def wrong_number_of_grads(torch, rec):
    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            return x * w

        @staticmethod
        def backward(ctx, grad):
            return grad

    x, w = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    rec.raises("backward", lambda: Bad.apply(x, w).sum().backward())


@scenario
def wrong_gradients(torch, rec):
    """What backward returns is checked against the inputs: a gradient that broadcasts to the input is summed
    down to it, cast to its dtype; another shape, a non-tensor, or a gradient for a non-tensor input raise."""
    def grad_of_x(backward, x=None, k=2.0):
        class Scale(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

        Scale.backward = staticmethod(backward)
        x = torch.tensor(rec.data(3), requires_grad=True) if x is None else x
        Scale.apply(x, k).sum().backward()
        return x.grad
    rec("leading_one", grad_of_x(lambda ctx, g: (g.reshape(1, 3), None)))
    rec("broadcast_summed", grad_of_x(lambda ctx, g: (g.expand(2, 3), None)))
    rec("cast_to_input_dtype", grad_of_x(lambda ctx, g: (g.double() * 3, None)))
    rec.raises("trailing_one", lambda: grad_of_x(lambda ctx, g: (g.reshape(3, 1), None)))
    rec.raises("0d", lambda: grad_of_x(lambda ctx, g: (g.sum(), None)))
    rec.raises("too_short", lambda: grad_of_x(lambda ctx, g: (g[:2], None)))
    rec.raises("rank_down", lambda: grad_of_x(lambda ctx, g: (g.sum(0), None), x=torch.ones(2, 3, requires_grad=True)))
    rec.raises("a_list", lambda: grad_of_x(lambda ctx, g: ([g], None)))
    rec.raises("a_number", lambda: grad_of_x(lambda ctx, g: (1.0, None)))
    rec.raises("for_a_number_input", lambda: grad_of_x(lambda ctx, g: (g, torch.ones(1))))


@scenario
def mark_dirty(torch, rec):
    class AddOneInPlace(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = torch.tensor(rec.data(3), requires_grad=True)
    y = x * 2
    z = AddOneInPlace.apply(y)
    rec("z", z)
    rec("same", z is y)
    z.sum().backward()
    rec("grad", x.grad)


@scenario
def function_without_grad_inputs(torch, rec):
    MyExp = _exp_function(torch)
    y = MyExp.apply(torch.tensor(rec.data(2)))
    rec("y", y)
