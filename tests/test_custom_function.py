"""Custom autograd.Function: ctx.save_for_backward, saved_tensors, needs_input_grad, node names."""
from helpers import same


def define(torch):
    class MyExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            r = x.exp()
            ctx.save_for_backward(r)
            return r

        @staticmethod
        def backward(ctx, g):
            r, = ctx.saved_tensors
            return g * r

    class ScaleBy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, factor):
            ctx.save_for_backward(x, w)
            ctx.factor = factor
            ctx.flags = ctx.needs_input_grad
            return x * w * factor

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g * w * ctx.factor, g * x * ctx.factor, None

    class Split(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2, x * 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 2 + gb * 3

    return MyExp, ScaleBy, Split


@same
def test_custom_function_forward_backward(torch):
    MyExp, _, _ = define(torch)
    x = torch.tensor([0., 1., 2.], requires_grad=True)
    y = MyExp.apply(x)
    y.sum().backward()
    return y, x.grad, y.grad_fn.name(), type(y.grad_fn).__name__, repr(y)


@same
def test_needs_input_grad_and_non_tensor_args(torch):
    _, ScaleBy, _ = define(torch)
    x = torch.tensor([1., 2.], requires_grad=True)
    w = torch.tensor([3., 4.])
    y = ScaleBy.apply(x, w, 0.5)
    y.sum().backward()
    return y, x.grad, w.grad, y.grad_fn.flags, len(y.grad_fn.next_functions)


@same
def test_setup_context_style_and_multiple_outputs(torch):
    _, _, Split = define(torch)
    x = torch.tensor([1., 2.], requires_grad=True)
    a, b = Split.apply(x)
    (a.sum() + b.sum()).backward()
    return a, b, x.grad, a.grad_fn is b.grad_fn, a.output_nr if hasattr(a, "output_nr") else None


@same
def test_unused_output_gets_zero_gradient(torch):
    _, _, Split = define(torch)
    x = torch.tensor([1., 2.], requires_grad=True)
    a, b = Split.apply(x)
    a.sum().backward()
    return x.grad


@same
def test_custom_function_without_grad_inputs(torch):
    MyExp, _, _ = define(torch)
    y = MyExp.apply(torch.tensor([0., 1.]))
    return y, y.requires_grad, y.grad_fn


@same
def test_custom_function_second_backward_fails(torch):
    MyExp, _, _ = define(torch)
    x = torch.tensor([0., 1.], requires_grad=True)
    y = MyExp.apply(x).sum()
    y.backward()
    y.backward()


@same
def test_custom_function_saved_output_modified(torch):
    MyExp, _, _ = define(torch)
    x = torch.arange(4.0, requires_grad=True)
    b = MyExp.apply(x * 1)
    b.add_(1)
    b.sum().backward()


@same
def test_wrong_number_of_gradients(torch):
    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = torch.ones(2, requires_grad=True)
    Bad.apply(x, torch.ones(2)).sum().backward()


@same
def test_wrong_gradient_shape(torch):
    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return torch.ones(3)

    x = torch.ones(4, requires_grad=True)
    Bad.apply(x).sum().backward()


@same
def test_mark_non_differentiable(torch):
    class ArgMaxish(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            flag = x > 0
            ctx.mark_non_differentiable(flag)
            return out, flag

        @staticmethod
        def backward(ctx, g, g_flag):
            return g * 2

    x = torch.tensor([-1., 2.], requires_grad=True)
    out, flag = ArgMaxish.apply(x)
    out.sum().backward()
    return out, flag, flag.requires_grad, x.grad


@same
def test_double_backward_through_custom_function(torch):
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x ** 2

    x = torch.tensor([1., 2.], requires_grad=True)
    g, = torch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    g2, = torch.autograd.grad(g.sum(), x)
    return g, g2


@same
def test_jvp_reads_what_forward_saved_for_forward(torch):
    fwAD = torch.autograd.forward_ad

    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_forward(x, w)
            return x * w

        @staticmethod
        def backward(ctx, g):
            return None, None

        @staticmethod
        def jvp(ctx, x_t, w_t):
            x, w = ctx.saved_tensors
            return x_t * w + x * w_t

    x, w = torch.tensor([1.0, 2.0]), torch.tensor([3.0, -1.0])
    with fwAD.dual_level():
        out = Scale.apply(fwAD.make_dual(x, torch.ones(2)), fwAD.make_dual(w, torch.full((2,), 0.5)))
        return fwAD.unpack_dual(out)
