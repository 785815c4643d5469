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
