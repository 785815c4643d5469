"""Elementwise unary ops, OpInfo style: forward values, first and second derivatives, forward-mode
JVPs and grad_fn names.

Each op runs on sample inputs of several shapes (0-d included) inside its domain, at float32 and
float64. The first derivative is taken with create_graph=True, so the second one differentiates
the backward formula itself.
"""
from . import scenario
from ._opinfo import record_jvp

FLOATS = ("float32", "float64")
SHAPES = ((), (4,), (2, 3))

# op name -> the (low, high) its sample inputs are drawn from
DOMAINS = {
    "neg": (-2, 2), "abs": (-2, 2), "exp": (-2, 2), "exp2": (-2, 2), "expm1": (-2, 2),
    "log": (0.1, 3), "log2": (0.1, 3), "log10": (0.1, 3), "log1p": (-0.9, 3), "sqrt": (0.1, 3),
    "rsqrt": (0.1, 3), "square": (-2, 2), "reciprocal": (0.2, 3), "sin": (-3, 3), "cos": (-3, 3),
    "tan": (-1.2, 1.2), "asin": (-0.95, 0.95), "acos": (-0.95, 0.95), "atan": (-3, 3), "sinh": (-2, 2),
    "cosh": (-2, 2), "tanh": (-2, 2), "sigmoid": (-3, 3), "relu": (-2, 2), "erf": (-2, 2), "sign": (-2, 2),
    "floor": (-2, 2), "ceil": (-2, 2), "round": (-2, 2), "trunc": (-2, 2),
}


def _op_scenario(name, low, high):
    def run(torch, rec):
        op = getattr(torch, name)
        for shape in SHAPES:
            key = "x".join(map(str, shape)) or "0d"
            x = rec.tensor(*shape, low=low, high=high, requires_grad=True)
            y = op(x)
            rec(f"{key}.y", y)
            rec(f"{key}.method", getattr(x, name)())
            (g,) = torch.autograd.grad((y * rec.tensor(*shape)).sum(), x, create_graph=True)
            rec(f"{key}.grad", g)
            # A gradient constant in x (neg's, and floor's or sign's zeros) has no graph: its derivative is zero.
            h = torch.autograd.grad(g.sum(), x, allow_unused=True, materialize_grads=True)[0] if g.requires_grad \
                else torch.zeros_like(x)
            rec(f"{key}.grad2", h + 0)  # torch's h may be a ZeroTensor, whose tolist() raises
            record_jvp(torch, rec, key, op, [x])
    run.__name__ = run.__qualname__ = name
    run.__module__ = __name__
    return scenario(dtypes=FLOATS)(run)


for _name, (_low, _high) in DOMAINS.items():
    globals()[_name] = _op_scenario(_name, _low, _high)


@scenario
def float32_transcendentals_round_correctly(torch, rec):
    """float32 exp, log1p, tanh, ... round as PyTorch's nearly correctly rounded kernels do: each result's
    rounding error, scaled up, is recorded (a float32 result one ulp away differs there). (PyTorch's sin, cos,
    sinh, cosh and log are less exact, so those are left out.)"""
    x = torch.tensor([-3.7, -1.3, -0.4, 0.1, 0.9, 1.0, 2.2, 5.5, 9.1])
    positive = x.abs() + 0.25
    for name, arg in (("exp", x), ("tanh", x), ("expm1", x), ("atan", x), ("log1p", positive), ("log2", positive),
                      ("log10", positive)):
        fn = getattr(torch, name)
        exact = fn(arg.double())
        rec(f"{name}.error", (fn(arg).double() - exact) / exact.abs() * 1e8)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(torch.ones(3), torch.ones(3), reduction="none")
    rec("log_sigmoid_in_bce", (loss.double() - torch.log1p(torch.exp(-torch.ones(3, dtype=torch.float64)))) * 1e8)
