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
def saved_non_differentiable_outputs(torch, rec):
    """Only an output the node produced (its grad_fn) is saved as an output: one marked non-differentiable, or
    an integer one, is saved as the tensor itself, so unpacking it gives a leaf that needs no grad, also in a
    backward run with create_graph (where indexing with it is then allowed)."""
    class RowMax(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, indices = x.max(dim=1)
            sign = (values > 0).to(x.dtype)
            ctx.mark_non_differentiable(indices, sign)
            ctx.save_for_backward(x, indices, sign)
            return values, indices, sign

        @staticmethod
        def backward(ctx, grad_values, grad_indices, grad_sign):
            x, indices, sign = ctx.saved_tensors
            rec("in_backward", [[t.requires_grad, t.grad_fn is None] for t in (indices, sign)])
            return torch.zeros_like(x).scatter(1, indices.unsqueeze(1), (grad_values * sign).unsqueeze(1))

    x = torch.tensor(rec.data(2, 3), requires_grad=True)
    values, indices, sign = RowMax.apply(x)
    saved = values.grad_fn.saved_tensors
    rec("saved", [[t.requires_grad, t.grad_fn is None] for t in saved[1:]])
    rec("identity", [saved[1] is indices, saved[2] is sign])
    (g,) = torch.autograd.grad((values ** 2).sum(), x, create_graph=True)
    rec("g", g)
    (h,) = torch.autograd.grad(g.sum(), x)
    rec("h", h)


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


def _square_once_differentiable(torch):
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g
    return Square


@scenario
def once_differentiable_double_backward(torch, rec):
    """A backward marked @once_differentiable runs without recording; when its incoming gradient requires grad
    (create_graph), its result comes out of PyTorch's Error node (on a fresh leaf), and backward through that
    raises."""
    Square = _square_once_differentiable(torch)
    x = torch.tensor(rec.data(2), requires_grad=True)
    (g,) = torch.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    rec("ones_in", [g, g.requires_grad])  # the incoming gradient (ones) needs no grad: a plain result
    (g,) = torch.autograd.grad(Square.apply(x).pow(2).sum(), x, create_graph=True)
    rec("g", g)
    fn = g.grad_fn
    rec("node", [fn.name(), type(fn).__name__, [n.name() for n, _ in fn.next_functions]])
    rec("leaf_is_not_x", fn.next_functions[0][0].variable is x)
    rec.raises("backward", lambda: g.sum().backward())
    rec("x.grad", x.grad)
    rec.raises("grad_wrt_x", lambda: torch.autograd.grad(g.sum(), x))
    (plain,) = torch.autograd.grad(Square.apply(x).pow(2).sum(), x)
    rec("without_create_graph", plain)


@scenario
def backward_node_repr(torch, rec):
    """A custom Function's node is a Python object: its repr names its class in the function module
    (`<torch.autograd.function.MyExpBackward object at 0x...>`), unlike a built-in node's."""
    MyExp = _exp_function(torch)
    y = MyExp.apply(torch.tensor(rec.data(2), requires_grad=True))
    fn = y.grad_fn
    module = torch.autograd.function.__name__
    rec("module", type(fn).__module__ == module)
    rec("repr", repr(fn).startswith(f"<{module}.MyExpBackward object at 0x"))
    rec("builtin_repr", repr((y * 2).grad_fn).startswith("<MulBackward0 object at 0x"))
    rec("name", fn.name())


@scenario
def instantiating_a_function(torch, rec):
    """Instantiating a Function subclass warns (DeprecationWarning); NestedIOFunction, kept for backward
    compatibility, fails when called, as it relies on methods Function no longer has."""
    MyExp = _exp_function(torch)
    rec.raises("instantiate", lambda: MyExp() and None)

    class Nested(torch.autograd.NestedIOFunction):
        def forward_extended(self, x):
            return x * 2

        def backward_extended(self, g):
            return g * 2

    x = torch.tensor(rec.data(2), requires_grad=True)
    rec.raises("nested_call", lambda: Nested()(x))
    rec.raises("nested_apply", lambda: Nested.apply(x))
    rec.raises("nested_saved_tensors", lambda: Nested().saved_tensors)
    rec.raises("nested_forward_extended", lambda: Nested().forward_extended(x))

    class Bare(torch.autograd.NestedIOFunction):
        pass

    rec.raises("bare_forward_extended", lambda: Bare().forward_extended(x))


@scenario
def non_differentiable_input_returned_as_is(torch, rec):
    """An input that forward returns unchanged and marks non-differentiable comes out without a grad_fn (the
    identity nn.Module's backward hooks wrap inputs in)."""
    class Identity(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
            return args

        @staticmethod
        def backward(ctx, *grads):
            return grads

    x, c = rec.tensor(2, requires_grad=True), rec.tensor(2)
    a, b = Identity.apply(x, c)
    rec("outputs", (a, b, b.requires_grad, b.grad_fn))
    (a * b).sum().backward()
    rec("x.grad", x.grad)


@scenario
def outputs_that_are_views(torch, rec):
    """An input returned as-is and a view made in forward are views created in a custom Function: they share the
    input's version counter, and modifying them (or their base) in place is refused."""
    class Same(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class First(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x[0]

        @staticmethod
        def backward(ctx, g):
            return torch.stack([g, g * 0])

    x = rec.tensor(2, requires_grad=True)
    h = x * 1
    y = Same.apply(h)
    rec("same", (y, y.is_leaf, y._version))
    rec.raises("same_inplace", lambda: y.add_(1))
    h2 = x * 1
    y2 = Same.apply(h2)
    h2.mul_(2)
    rec("version_shared", (y2._version, h2._version))
    rec.raises("base_modified", lambda: y2.grad_fn)
    rec.raises("view_inplace", lambda: First.apply(x * 1).mul_(2))
    c = rec.tensor(2)
    alias = Same.apply(c)
    c.add_(1)
    rec("alias_without_grad", (alias, alias._version, alias.requires_grad))
    with torch.no_grad():
        detached = Same.apply(x)
    rec("under_no_grad", (detached.requires_grad, detached.add_(1)))
    (Same.apply(x * 1) * 2).sum().backward()
    rec("x.grad", x.grad)
