"""How tensors print: every observed tensor's repr is compared already (see compare.py); these cases
reach the formatter's decisions on purpose: wrapping at the line width, scientific notation and its
thresholds, integer-valued floats, summarisation, print options, and the suffixes after the values."""
from . import scenario

INF, NAN = float("inf"), float("nan")


def _reprs(torch, rec, table):
    for name, values in table.items():
        rec(name, repr(values if not isinstance(values, list) else torch.tensor(values)))


@scenario(dtypes=("float32",))
def float_notation(torch, rec):
    """Fixed or scientific notation: chosen by the largest and smallest finite magnitudes (1e8, ratio 1000,
    1e-4); integer-valued floats print with a trailing point; inf, nan and -0.0 keep their place."""
    _reprs(torch, rec, {
        "below_1e8": [1.0, 9.9e7], "at_1e8": [1.0, 1e8], "ratio_999": [0.01, 9.99], "ratio_1000": [0.01, 10.0],
        "small_1e-4": [1e-4, 1.0], "below_1e-4": [9e-5, 0.5], "integers": [1.0, -2.0, 300.0],
        "integers_big": [1.0, 2e9], "specials": [INF, -INF, NAN, -0.0, 1.5], "only_specials": [NAN, INF],
        "0d": 3.25, "0d_sci": 1.5e10, "negative_zero": [-0.0, 0.0], "rounding_up": [0.99999, 9.99995],
        "float64": torch.tensor([0.1, 2.0], dtype=torch.float64), "float16": torch.tensor([0.1], dtype=torch.float16),
        "empty": torch.zeros(0), "empty_2d": torch.zeros(2, 0), "int": [1, -20, 300], "bool": [True, False],
        "uint8": torch.tensor([1, 255], dtype=torch.uint8), "int32_empty": torch.zeros(0, dtype=torch.int32),
    })


@scenario(dtypes=("float32",))
def layout(torch, rec):
    """Line wrapping of 1-d tensors, 2-d and 3-d nesting, summarisation past the threshold, and the
    suffixes (requires_grad, grad_fn, dtype) that follow the values."""
    x = torch.arange(30.0) * 1.25
    _reprs(torch, rec, {
        "wrapped_1d": x, "wrapped_1d_ints": torch.arange(40) * 1001, "2d": x.reshape(5, 6),
        "2d_wide": x.reshape(2, 15), "3d": x[:24].reshape(2, 3, 4), "summarised": torch.arange(2000.0),
        "summarised_2d": torch.arange(3000).reshape(100, 30), "leaf": torch.ones(2, requires_grad=True),
        "grad_fn": torch.ones(2, requires_grad=True) * 2, "grad_fn_float64": torch.ones(12, dtype=torch.float64,
                                                                                         requires_grad=True).exp(),
        "wrapped_with_suffix": (x * 1000).requires_grad_(),
    })


@scenario(dtypes=("float32",))
def print_options(torch, rec):
    """set_printoptions: precision, threshold, edgeitems, linewidth, sci_mode and the profiles; each
    repr is taken while the option is set, and the defaults are restored after."""
    x = torch.arange(1200.0) / 7
    settings = {
        "precision_2": dict(precision=2), "precision_8": dict(precision=8), "threshold_5": dict(threshold=5),
        "edgeitems_1": dict(threshold=5, edgeitems=1), "linewidth_40": dict(linewidth=40),
        "sci_mode_true": dict(sci_mode=True), "sci_mode_false": dict(sci_mode=False),
        "profile_full": dict(profile="full"), "profile_short": dict(profile="short"),
    }
    try:
        for name, options in settings.items():
            torch.set_printoptions(**options)
            rec(name, [repr(x[:12]), repr(x), repr(torch.tensor([1e-5, 1e9]))])
            torch.set_printoptions(profile="default")
    finally:
        torch.set_printoptions(profile="default")


@scenario(dtypes=("float32", "float64"))
def dual_tensors(torch, rec):
    """A dual tensor's repr ends with `tangent=` and the tangent formatted as `f"{tangent}"` does: a 0-d
    tangent as its Python number (Tensor.__format__), any other as its repr (with its grad_fn)."""
    fwAD = torch.autograd.forward_ad
    x = rec.tensor(3, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x.detach(), rec.tensor(3))
        g = fwAD.make_dual(x, rec.tensor(3))
        _reprs(torch, rec, {
            "1d": d, "2d": fwAD.make_dual(rec.tensor(2, 3), rec.tensor(2, 3)), "0d": d.sum(), "0d_of_1d": d[1],
            "requires_grad": g, "0d_tangent_with_grad_fn": (g.exp() * g).sum(), "nd_tangent_with_grad_fn": g * g,
        })
        rec("str_0d", str(d.sum()))
