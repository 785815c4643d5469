"""Higher-order gradients: second and third derivatives, mixed partials and Hessian-vector products."""
import warnings

from . import scenario

FLOATS = ("float32", "float64")


@scenario(dtypes=FLOATS)
def cube_derivatives(torch, rec):
    x = rec.tensor(requires_grad=True)
    y = x ** 3
    (g1,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(g1, x, create_graph=True)
    (g3,) = torch.autograd.grad(g2, x)
    rec("g1", g1)
    rec("g2", g2)
    rec("g3", g3)


@scenario(dtypes=FLOATS)
def third_order_of_sin(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    g = x
    for order in (1, 2, 3):
        (g,) = torch.autograd.grad(g.sin().sum() if order == 1 else g.sum(), x, create_graph=True)
        rec(f"order{order}", g)


@scenario(dtypes=FLOATS)
def hessian_vector_product(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    v = torch.tensor([1.0, -1.0, 0.5], dtype=x.dtype)
    y = (x.exp() * x.sin()).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
    rec("g", g)
    rec("hv", hv)


@scenario(dtypes=FLOATS)
def mixed_partials(torch, rec):
    x, y = rec.tensor(requires_grad=True), rec.tensor(requires_grad=True)
    f = x * y ** 2 + x.exp() * y
    (fx,) = torch.autograd.grad(f, x, create_graph=True)
    fxy, fxx = torch.autograd.grad(fx, (y, x), allow_unused=True)
    rec("fx", fx)
    rec("fxy", fxy)
    rec("fxx", fxx)


@scenario
def backward_with_create_graph(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns once per process, so whether it shows depends on history
        (x ** 3).sum().backward(create_graph=True)
    rec("grad", x.grad)
    g = x.grad
    x.grad = None
    g.sum().backward()
    rec("second", x.grad)


@scenario(dtypes=FLOATS)
def second_order_of_activations(torch, rec):
    x = rec.tensor(5, requires_grad=True)
    for name in ("tanh", "sigmoid", "exp", "relu"):
        y = getattr(torch, name)(x).sum()
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        (h,) = torch.autograd.grad(g.sum(), x, allow_unused=True, materialize_grads=True)
        rec(f"{name}.g", g)
        rec(f"{name}.h", h)


@scenario
def grad_of_grad_without_create_graph(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    (g,) = torch.autograd.grad((x ** 2).sum(), x)
    rec("g", g)
    rec.raises("again", lambda: torch.autograd.grad(g.sum(), x))


@scenario(dtypes=FLOATS)
def create_graph_through_conv_and_pad(torch, rec):
    """backward(create_graph=True) through conv2d and reflect/replicate padding whose other operands are
    constants: the input's .grad is the output of PyTorch's backward op, which takes the input, so it requires
    grad (ConvolutionBackwardBackward0, ReplicationPad2DBackwardBackward0) and a second backward runs through it."""
    F = torch.nn.functional
    programs = {
        "conv2d.nan_gradient": lambda x: F.conv2d(x, torch.ones(1, 2, 2, 2, dtype=x.dtype), padding=1),
        "conv2d.sum": lambda x: F.conv2d(x, torch.ones(1, 2, 2, 2, dtype=x.dtype), padding=1).sum(),
        "pad.replicate": lambda x: F.pad(x, (1, 1, 1, 1), mode="replicate").sum(),
        "pad.reflect": lambda x: F.pad(x, (1, 1, 1, 1), mode="reflect").sum(),
    }
    for name, program in programs.items():
        x = rec.tensor(1, 2, 3, 3, requires_grad=True)
        y = program(x)
        gradient = torch.full_like(y, float("nan")) if name.endswith("nan_gradient") else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns of the reference cycle once per process
            y.backward(gradient, create_graph=True, inputs=[x])
        rec(f"{name}.grad", x.grad)
        first = x.grad
        rec(f"{name}.grad_of_grad", torch.autograd.grad(first.sum(), x, allow_unused=True))
