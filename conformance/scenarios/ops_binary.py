"""Binary and ternary elementwise ops: same shapes, broadcasting and 0-d operands, OpInfo style
(see _opinfo.py): forward values and grad_fn names, first and second derivatives."""
from ._opinfo import Sample as S, register_all

SHAPE_PAIRS = {"same": ((2, 3), (2, 3)), "broadcast": ((2, 3), (3,)), "0d": ((), (3,))}


def _pairs(fn, **kw):
    return [S(key, fn, shapes, **kw) for key, shapes in SHAPE_PAIRS.items()]


TABLE = {
    "add": _pairs(lambda t, a, b: t.add(a, b)) + [S("alpha", lambda t, a, b: t.add(a, b, alpha=2.5), ((2, 3), (3,))),
                                                 S("scalar", lambda t, a: a + 1.5, ((2, 3),))],
    "sub": _pairs(lambda t, a, b: a - b) + [S("alpha", lambda t, a, b: t.sub(a, b, alpha=-2), ((3,), (2, 3))),
                                           S("rsub_scalar", lambda t, a: 2 - a, ((2, 3),))],
    "mul": _pairs(lambda t, a, b: a * b) + [S("scalar", lambda t, a: a * 3, ((2, 3),))],
    "div": _pairs(lambda t, a, b: a / b.abs().add(0.5)) + [
        S("rscalar", lambda t, a: 2 / a, ((2, 3),), low=0.5, high=2),
        S("trunc", lambda t, a, b: t.div(a, b, rounding_mode="trunc"), ((2, 3), (2, 3)), low=0.3, high=2),
        S("floor", lambda t, a, b: t.div(a, b, rounding_mode="floor"), ((2, 3), (3,)), low=0.3, high=2)],
    "pow": [S("scalar", lambda t, a: a ** 3, ((2, 3),)),
            S("scalar_fraction", lambda t, a: a.pow(1.5), ((2, 3),), low=0.2, high=2),
            S("tensor", lambda t, a, b: t.pow(a, b), ((2, 3), (3,)), low=0.2, high=2),
            S("reflected", lambda t, a: 2.0 ** a, ((2, 3),))],
    "clamp": [S("both", lambda t, a: a.clamp(-0.5, 0.5), ((2, 3),)),
              S("min", lambda t, a: t.clamp(a, min=-0.5), ((2, 3),)),
              S("max", lambda t, a: t.clamp(a, max=0.5), ((),)),
              S("tensor_bounds", lambda t, a, lo, hi: t.clamp(a, lo - 1, hi + 1), ((2, 3), (3,), (2, 3))),
              S("tensor_min", lambda t, a, lo: a.clamp(min=lo), ((2, 3), (2, 3))),
              S("clamp_min", lambda t, a: t.clamp_min(a, 0.1), ((4,),)),
              S("clamp_max", lambda t, a: t.clamp_max(a, 0.1), ((4,),)),
              S("clip", lambda t, a: t.clip(a, -1, 1), ((4,),))],
    "maximum": _pairs(lambda t, a, b: t.maximum(a, b)) + [S("max_binary", lambda t, a, b: t.max(a, b),
                                                           ((2, 3), (2, 3)))],
    "minimum": _pairs(lambda t, a, b: t.minimum(a, b)) + [S("min_binary", lambda t, a, b: a.min(b),
                                                           ((2, 3), (3,)))],
    "atan2": _pairs(lambda t, a, b: t.atan2(a, b)),
    "where": [S("same", lambda t, a, b: t.where(a > 0, a, b), ((2, 3), (2, 3))),
              S("broadcast", lambda t, a, b: t.where(b > 0, a, b), ((2, 3), (3,))),
              S("scalar", lambda t, a: t.where(a > 0, a, 0.0), ((2, 3),))],
    "addcmul": [S("same", lambda t, a, b, c: t.addcmul(a, b, c), ((2, 3),) * 3),
                S("value_broadcast", lambda t, a, b, c: t.addcmul(a, b, c, value=-0.5), ((3,), (2, 3), (2, 1)))],
    "addcdiv": [S("same", lambda t, a, b, c: t.addcdiv(a, b, c), ((2, 3),) * 3, low=0.5, high=2),
                S("value_broadcast", lambda t, a, b, c: a.addcdiv(b, c, value=2), ((3,), (2, 3), (2, 1)),
                  low=0.5, high=2)],
    "lerp": [S("scalar_weight", lambda t, a, b: t.lerp(a, b, 0.3), ((2, 3), (2, 3))),
             S("tensor_weight", lambda t, a, b, w: t.lerp(a, b, w), ((2, 3), (3,), (2, 3)), low=0, high=1)],
    "fmod": [S("scalar", lambda t, a: t.fmod(a, 0.7), ((2, 3),)),
             S("tensor", lambda t, a, b: t.fmod(a, b), ((2, 3), (3,)), low=0.3, high=2)],
    "remainder": [S("scalar", lambda t, a: t.remainder(a, 0.7), ((2, 3),)),
                  S("tensor", lambda t, a, b: a % b, ((2, 3), (2, 3)), low=0.3, high=2)],
}

globals().update(register_all(__name__, TABLE))
