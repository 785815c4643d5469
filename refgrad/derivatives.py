"""The derivative table: every differentiable op, in one place.

Read it like PyTorch's tools/autograd/derivatives.yaml. Each entry names the op overload, the
grad_fn it records (`node`), its NumPy forward, and one backward formula per tensor input.
Formulas are written in refgrad's own ops, so `create_graph=True` differentiates them again.
A formula's parameters after `grad` name what the node keeps for backward: an input (`self`,
`other`), the output (`result`), a forward parameter (`alpha`, `dim`), or an input's shape
(`self_shape`). Only what the inputs that require grad need is kept, as in PyTorch.

Broadcast gradients are reduced to each input's shape by the engine, once, so no formula here
calls sum_to; dtype casts back to the input's dtype happen there too.

Adding an op: write its entry here, then expose it in refgrad/_ops.py.
"""
import math

import numpy as np

from ._dispatch import Rule

# Formulas call refgrad functions (`F.where`, `F.zeros_like`); _ops fills this in at import time
# because the functions themselves are built from this table.
F = None


def _quiet(fn):
    """NumPy forward without NumPy's floating-point warnings (PyTorch gives inf/nan silently)."""
    def forward(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    forward.__name__ = getattr(fn, "__name__", "forward")
    return forward


def _scaled(grad, alpha):
    return grad if alpha == 1 else grad * alpha


# ------------------------------------------------------------------- arithmetic
ADD = Rule("add", "AddBackward0",
           lambda a, b, alpha=1: a + b if alpha == 1 else a + b * np.asarray(alpha, a.dtype),
           ("self", "other"),
           {"self": lambda grad: grad,
            "other": lambda grad, alpha: _scaled(grad, alpha)})

SUB = Rule("sub", "SubBackward0",
           lambda a, b, alpha=1: a - b if alpha == 1 else a - b * np.asarray(alpha, a.dtype),
           ("self", "other"),
           {"self": lambda grad: grad,
            "other": lambda grad, alpha: _scaled(-grad, alpha)})

RSUB = Rule("rsub", "RsubBackward0",
            lambda a, b, alpha=1: b - a if alpha == 1 else b - a * np.asarray(alpha, a.dtype),
            ("self", "other"),
            {"self": lambda grad, alpha: _scaled(-grad, alpha),
             "other": lambda grad: grad})

RSUB_SCALAR = Rule("rsub", "RsubBackward1",
                   lambda a, other, alpha=1: np.asarray(other, a.dtype) - (a if alpha == 1 else a * alpha),
                   ("self",),
                   {"self": lambda grad, alpha: _scaled(-grad, alpha)},
                   dtype=lambda ops, p: F._dtype.result_type((ops[0], p["other"])))

MUL = Rule("mul", "MulBackward0", np.multiply, ("self", "other"),
           {"self": lambda grad, other: grad * other,
            "other": lambda grad, self: grad * self})

DIV = Rule("div", "DivBackward0", _quiet(np.true_divide), ("self", "other"),
           {"self": lambda grad, other: grad / other,
            "other": lambda grad, self, other: -grad * ((self / other) / other)},
           dtype="float")


def _div_rounding(a, b, rounding_mode):
    if a.dtype.kind in "iub" and np.any(b == 0):
        raise RuntimeError("ZeroDivisionError")
    if rounding_mode == "floor":
        return np.floor_divide(a, b) if a.dtype.kind in "iub" else np.floor(np.true_divide(a, b))
    q = np.true_divide(a, b)
    return np.trunc(q).astype(a.dtype) if a.dtype.kind in "iub" else np.trunc(q)


DIV_ROUNDING = Rule("div", "DivBackward2", _quiet(_div_rounding), ("self", "other"),
                    {"self": lambda grad: F.zeros_like(grad),
                     "other": lambda grad: F.zeros_like(grad)})

REMAINDER = Rule("remainder", "RemainderBackward1", _quiet(lambda a, b: _checked_int_div(np.remainder, a, b)),
                 ("self", "other"),
                 {"self": lambda grad: grad,
                  "other": lambda grad, self, other: -grad * F.div(self, other, rounding_mode="floor")})

REMAINDER_SCALAR = Rule("remainder", "RemainderBackward0",
                        _quiet(lambda a, other: _checked_int_div(np.remainder, a, np.asarray(other, a.dtype))),
                        ("self",), {"self": lambda grad: grad},
                        dtype=lambda ops, p: F._dtype.result_type((ops[0], p["other"])))

FLOOR_DIVIDE_SCALAR = Rule("floor_divide", "torch::autograd::NotImplemented",
                           _quiet(lambda a, other: _checked_int_div(np.floor_divide, a, np.asarray(other, a.dtype))),
                           ("self",), {"self": lambda grad: _not_implemented("floor_divide")},
                           dtype=lambda ops, p: F._dtype.result_type((ops[0], p["other"])))

FLOOR_DIVIDE = Rule("floor_divide", "torch::autograd::NotImplemented",
                    _quiet(lambda a, b: _checked_int_div(np.floor_divide, a, b)), ("self", "other"),
                    {"self": lambda grad: _not_implemented("floor_divide"),
                     "other": lambda grad: _not_implemented("floor_divide")})


def _checked_int_div(fn, a, b):
    if a.dtype.kind in "iub" and np.any(b == 0):
        raise RuntimeError("ZeroDivisionError")
    return fn(a, b)


def _not_implemented(name):
    raise RuntimeError(f"the derivative for '{name}' is not implemented.")


NEG = Rule("neg", "NegBackward0", np.negative, ("self",),
           {"self": lambda grad: -grad}, dtype="same")

RECIPROCAL = Rule("reciprocal", "ReciprocalBackward0", _quiet(np.reciprocal), ("self",),
                  {"self": lambda grad, result: -grad * (result * result)}, dtype="float")


def _pow_backward(grad, self, exponent):
    if exponent == 0:
        return F.zeros_like(self)
    return grad * (exponent * self.pow(exponent - 1))


POW_SCALAR = Rule("pow", "PowBackward0", _quiet(lambda a, exponent: np.power(a, np.asarray(exponent, a.dtype))),
                  ("self",),
                  {"self": lambda grad, self, exponent: _pow_backward(grad, self, float(exponent))},
                  dtype=lambda ops, p: F._dtype.result_type((ops[0], p["exponent"])))

def _power(base, exponent):
    """np.power, with PyTorch's integer results for negative integer exponents (1, -1 or 0)."""
    if base.dtype.kind not in "iub" or not np.any(exponent < 0):
        return np.power(base, exponent)
    positive = np.power(base, np.where(exponent < 0, 0, exponent))
    odd = (np.abs(exponent) % 2) == 1
    small = np.where(base == 1, 1, np.where(base == -1, np.where(odd, -1, 1), 0))
    return np.where(exponent < 0, small, positive).astype(base.dtype)


POW = Rule("pow", "PowBackward1", _quiet(_power), ("self", "exponent"),
           {"self": lambda grad, self, exponent: F.where(exponent == 0.0, 0.0,
                                                         grad * (exponent * F.pow(self, exponent - 1))),
            "exponent": lambda grad, self, exponent, result: grad * F.where(
                (self == 0.0) & (exponent >= 0), 0.0, result * self.log())})

def _log_scalar(base):
    with np.errstate(all="ignore"):
        return float(np.log(np.float64(base)))


POW_SCALAR_BASE = Rule("pow", "PowBackward2",
                       _quiet(lambda exponent, base: np.power(np.asarray(base, exponent.dtype), exponent)),
                       ("exponent",),
                       {"exponent": lambda grad, exponent, base, result: grad * (
                           F.where(exponent >= 0, 0.0, result * _log_scalar(base)) if base == 0
                           else result * _log_scalar(base))},
                       dtype=lambda ops, p: F._dtype.result_type((p["base"], ops[0])))


# A tensor times a C++ scalar inside a formula (PyTorch's mul.Scalar overload records MulBackward1;
# a Python number in user code is wrapped into a tensor and records MulBackward0 instead).
MUL_SCALAR = Rule("mul", "MulBackward1", lambda a, other: a * np.asarray(other, a.dtype), ("self",),
                  {"self": lambda grad, other: F.mul_scalar(grad, other)}, dtype="same")


# ------------------------------------------------------------------- pointwise math
def _unary(name, node, forward, formula, dtype="float"):
    return Rule(name, node, _quiet(forward), ("self",), {"self": formula}, dtype=dtype)


ABS = _unary("abs", "AbsBackward0", np.abs, lambda grad, self: grad * self.sgn(), dtype="same")
SGN = _unary("sgn", "SgnBackward0", np.sign, lambda grad: F.zeros_like(grad), dtype="same")
SIGN = _unary("sign", "SignBackward0", np.sign, lambda grad: F.zeros_like(grad), dtype="same")
EXP = _unary("exp", "ExpBackward0", np.exp, lambda grad, result: grad * result)
LOG = _unary("log", "LogBackward0", np.log, lambda grad, self: grad.div(self))
SQRT = _unary("sqrt", "SqrtBackward0", np.sqrt, lambda grad, result: grad / (2 * result))
SIN = _unary("sin", "SinBackward0", np.sin, lambda grad, self: grad * self.cos())
COS = _unary("cos", "CosBackward0", np.cos, lambda grad, self: grad * -self.sin())
TANH = _unary("tanh", "TanhBackward0", np.tanh, lambda grad, result: F.tanh_backward(grad, result))
SIGMOID = _unary("sigmoid", "SigmoidBackward0", lambda a: 1 / (1 + np.exp(-a)),
                 lambda grad, result: F.sigmoid_backward(grad, result))
EXP2 = _unary("exp2", "Exp2Backward0", np.exp2, lambda grad, result: F.mul_scalar(grad * result, math.log(2.0)))
EXPM1 = _unary("expm1", "Expm1Backward0", np.expm1, lambda grad, result: grad * (result + 1))
LOG2 = _unary("log2", "Log2Backward0", np.log2, lambda grad, self: grad / (self * math.log(2.0)))
LOG10 = _unary("log10", "Log10Backward0", np.log10, lambda grad, self: grad / (self * math.log(10.0)))
LOG1P = _unary("log1p", "Log1PBackward0", np.log1p, lambda grad, self: grad / (self + 1))
RSQRT = _unary("rsqrt", "RsqrtBackward0", lambda a: 1 / np.sqrt(a), lambda grad, result: -0.5 * grad * result.pow(3))
TAN = _unary("tan", "TanBackward0", np.tan, lambda grad, result: grad * (1 + result.pow(2)))
ASIN = _unary("asin", "AsinBackward0", np.arcsin, lambda grad, self: grad * (-self * self + 1).rsqrt())
ACOS = _unary("acos", "AcosBackward0", np.arccos, lambda grad, self: grad * -((-self * self + 1).rsqrt()))
ATAN = _unary("atan", "AtanBackward0", np.arctan, lambda grad, self: grad / (self * self + 1))
SINH = _unary("sinh", "SinhBackward0", np.sinh, lambda grad, self: grad * self.cosh())
COSH = _unary("cosh", "CoshBackward0", np.cosh, lambda grad, self: grad * self.sinh())
_ERF = np.frompyfunc(math.erf, 1, 1)
ERF = _unary("erf", "ErfBackward0", lambda a: np.asarray(_ERF(a), dtype=a.dtype),
             lambda grad, self: 2.0 / math.sqrt(math.pi) * (-self.pow(2)).exp() * grad)
FLOOR = _unary("floor", "FloorBackward0", np.floor, lambda grad: F.zeros_like(grad), dtype="same")
CEIL = _unary("ceil", "CeilBackward0", np.ceil, lambda grad: F.zeros_like(grad), dtype="same")
ROUND = _unary("round", "RoundBackward0", np.round, lambda grad: F.zeros_like(grad), dtype="same")
TRUNC = _unary("trunc", "TruncBackward0", np.trunc, lambda grad: F.zeros_like(grad), dtype="same")
RELU = _unary("relu", "ReluBackward0", lambda a: np.maximum(a, 0).astype(a.dtype),
              lambda grad, result: F.threshold_backward(grad, result, 0), dtype="same")

# The backward ops of fused formulas are ops too (PyTorch names their nodes `...BackwardBackward0`).
TANH_BACKWARD = Rule("tanh_backward", "TanhBackwardBackward0", lambda g, y: g * (1 - y * y), ("grad_output", "output"),
                     {"grad_output": lambda grad, output: F.tanh_backward(grad, output),
                      "output": lambda grad, output, grad_output: -2 * output * grad_output * grad})
SIGMOID_BACKWARD = Rule("sigmoid_backward", "SigmoidBackwardBackward0", lambda g, y: g * (1 - y) * y,
                        ("grad_output", "output"),
                        {"grad_output": lambda grad, output: F.sigmoid_backward(grad, output),
                         "output": lambda grad, output, grad_output: grad * grad_output * (1 - 2 * output)})
THRESHOLD_BACKWARD = Rule("threshold_backward", "ThresholdBackwardBackward0",
                          lambda g, y, threshold: np.where(y <= threshold, 0, g).astype(g.dtype),
                          ("grad_output", "self"),
                          {"grad_output": lambda grad, self, threshold: F.threshold_backward(grad, self, threshold),
                           "self": lambda grad: F.zeros_like(grad)})

WHERE = Rule("where", "WhereBackward0", lambda c, a, b: np.where(c, a, b), ("condition", "self", "other"),
             {"self": lambda grad, condition: F.where(condition, grad, 0.0),
              "other": lambda grad, condition: F.where(condition, 0.0, grad)},
             dtype=lambda ops, p: F._dtype.result_type(ops[1:]))

# ------------------------------------------------------------------- binary and ternary pointwise
def _scalar_dtype(*names):
    """Result dtype of an op whose params `names` are Python scalars that join type promotion."""
    return lambda ops, p: F._dtype.result_type([o for o in ops if o is not None]
                                               + [p[n] for n in names if p.get(n) is not None])


def _clip(a, lo, hi):
    if lo is not None:
        a = np.where(np.isnan(a) | (a >= lo), a, lo)  # NaN in, NaN out; a NaN bound propagates too
    if hi is not None:
        a = np.where(np.isnan(a) | (a <= hi), a, hi)
    if lo is not None and hi is not None:
        a = np.where(np.isnan(np.asarray(lo)) | np.isnan(np.asarray(hi)), np.nan, a)
    return a


def _in_bounds(self, min, max):
    inside = None
    for cond in ((self >= min) if min is not None else None, (self <= max) if max is not None else None):
        if cond is not None:
            inside = cond if inside is None else inside & cond
    return inside


CLAMP_SCALAR = Rule("clamp", "ClampBackward1",
                    lambda a, min=None, max=None: _clip(a, *(None if v is None else np.asarray(v, a.dtype)
                                                             for v in (min, max))),
                    ("self",),
                    {"self": lambda grad, self, min, max: F.where(_in_bounds(self, min, max), grad, 0.0)},
                    dtype=_scalar_dtype("min", "max"))
CLAMP = Rule("clamp", "ClampBackward0", _clip, ("self", "min", "max"),
             {"self": lambda grad, self, min, max: F.where(_in_bounds(self, min, max), grad, 0.0),
              "min": lambda grad, self, min: F.where(self < min, grad, 0.0),
              "max": lambda grad, self, max: F.where(self > max, grad, 0.0)})
CLAMP_MIN = Rule("clamp_min", "ClampMinBackward0", lambda a, min: _clip(a, np.asarray(min, a.dtype), None),
                 ("self",), {"self": lambda grad, self, min: F.where(self >= min, grad, 0.0)},
                 dtype=_scalar_dtype("min"))
CLAMP_MAX = Rule("clamp_max", "ClampMaxBackward0", lambda a, max: _clip(a, None, np.asarray(max, a.dtype)),
                 ("self",), {"self": lambda grad, self, max: F.where(self <= max, grad, 0.0)},
                 dtype=_scalar_dtype("max"))


def _select_larger(grad, a, b):
    """Gradient of maximum(a, b) for a: all of it where a wins, half on ties (PyTorch's choice)."""
    return F.where(a > b, grad, F.where(a == b, grad / 2, 0.0))


MAXIMUM = Rule("maximum", "MaximumBackward0", np.maximum, ("self", "other"),
               {"self": lambda grad, self, other: _select_larger(grad, self, other),
                "other": lambda grad, self, other: _select_larger(grad, other, self)})
MINIMUM = Rule("minimum", "MinimumBackward0", np.minimum, ("self", "other"),
               {"self": lambda grad, self, other: _select_larger(grad, -self, -other),
                "other": lambda grad, self, other: _select_larger(grad, -other, -self)})
ATAN2 = Rule("atan2", "Atan2Backward0", _quiet(np.arctan2), ("self", "other"),
             {"self": lambda grad, self, other: grad * other / (self * self + other * other),
              "other": lambda grad, self, other: grad * -self / (self * self + other * other)}, dtype="float")
ADDCMUL = Rule("addcmul", "AddcmulBackward0", lambda a, t1, t2, value: a + np.asarray(value, a.dtype) * t1 * t2,
               ("self", "tensor1", "tensor2"),
               {"self": lambda grad: grad,
                "tensor1": lambda grad, tensor2, value: _scaled(grad * tensor2, value),
                "tensor2": lambda grad, tensor1, value: _scaled(grad * tensor1, value)})
ADDCDIV = Rule("addcdiv", "AddcdivBackward0",
               _quiet(lambda a, t1, t2, value: a + np.asarray(value, a.dtype) * (t1 / t2)),
               ("self", "tensor1", "tensor2"),
               {"self": lambda grad: grad,
                "tensor1": lambda grad, tensor2, value: _scaled(grad / tensor2, value),
                "tensor2": lambda grad, tensor1, tensor2, value: _scaled(-grad * tensor1 / (tensor2 * tensor2),
                                                                        value)})
LERP_SCALAR = Rule("lerp", "LerpBackward0", lambda a, b, weight: a + np.asarray(weight, a.dtype) * (b - a),
                   ("self", "end"),
                   {"self": lambda grad, weight: _scaled(grad, 1 - weight),
                    "end": lambda grad, weight: _scaled(grad, weight)})
LERP = Rule("lerp", "LerpBackward1", lambda a, b, w: a + w * (b - a), ("self", "end", "weight"),
            {"self": lambda grad, weight: grad * (1 - weight),
             "end": lambda grad, weight: grad * weight,
             "weight": lambda grad, self, end: grad * (end - self)})
FMOD_SCALAR = Rule("fmod", "FmodBackward0",
                   _quiet(lambda a, other: _checked_int_div(np.fmod, a, np.asarray(other, a.dtype))), ("self",),
                   {"self": lambda grad: grad}, dtype=_scalar_dtype("other"))
FMOD = Rule("fmod", "FmodBackward1", _quiet(lambda a, b: _checked_int_div(np.fmod, a, b)), ("self", "other"),
            {"self": lambda grad: grad,
             "other": lambda grad, self, other: -grad * F.div(self, other, rounding_mode="trunc")})


# ------------------------------------------------------------------- comparisons (never differentiable)
def _compare(name, fn):
    return Rule(name, None, fn, ("self", "other"), {}, dtype="bool")


EQ = _compare("eq", np.equal)
NE = _compare("ne", np.not_equal)
LT = _compare("lt", np.less)
LE = _compare("le", np.less_equal)
GT = _compare("gt", np.greater)
GE = _compare("ge", np.greater_equal)
LOGICAL_AND = _compare("logical_and", np.logical_and)
LOGICAL_OR = _compare("logical_or", np.logical_or)
BITWISE_AND = Rule("bitwise_and", None, np.bitwise_and, ("self", "other"), {})
BITWISE_OR = Rule("bitwise_or", None, np.bitwise_or, ("self", "other"), {})
BITWISE_XOR = Rule("bitwise_xor", None, np.bitwise_xor, ("self", "other"), {})
ISFINITE = Rule("isfinite", None, np.isfinite, ("self",), {}, dtype="bool")

# ------------------------------------------------------------------- reductions


def _sum_dtype(ops, p):
    d = p.get("dtype")
    if d is not None:
        return d
    return ops[0]._dtype if ops[0]._dtype.is_floating_point else F._dtype.int64


def _unsqueeze_dims(grad, dims, ndim, keepdim):
    if keepdim or ndim == 0:
        return grad
    for d in sorted(d % ndim for d in dims):
        grad = grad.unsqueeze(d)
    return grad


SUM = Rule("sum", "SumBackward0", lambda a, dtype=None: np.sum(a), ("self",),
           {"self": lambda grad, self_shape: grad.expand(self_shape)}, dtype=_sum_dtype)

SUM_DIM = Rule("sum", "SumBackward1", lambda a, dim, keepdim, dtype=None: np.sum(a, axis=dim, keepdims=keepdim),
               ("self",),
               {"self": lambda grad, self_shape, dim, keepdim:
                   _unsqueeze_dims(grad, dim, len(self_shape), keepdim).expand(self_shape)},
               dtype=_sum_dtype)


def _mean_dtype(ops, p):
    d = p.get("dtype") or ops[0]._dtype
    if not d.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {F._dtype.SCALAR_NAME[d]}")
    return d


MEAN = Rule("mean", "MeanBackward0", lambda a, dtype=None: np.mean(a), ("self",),
            {"self": lambda grad, self_shape: grad.expand(self_shape) / math.prod(self_shape)}, dtype=_mean_dtype)

MEAN_DIM = Rule("mean", "MeanBackward1",
                lambda a, dim, keepdim, dtype=None: np.mean(a, axis=dim, keepdims=keepdim), ("self",),
                {"self": lambda grad, self_shape, dim, keepdim:
                    _unsqueeze_dims(grad, dim, len(self_shape), keepdim).expand(self_shape)
                    / _reduced_numel(self_shape, dim)},
                dtype=_mean_dtype)


def _reduced_numel(shape, dims):
    return math.prod(shape[d] for d in dims) if shape else 1


def _vector_norm(a, ord, dim, keepdim, dtype=None):
    x = np.abs(a)
    if ord == 2:
        return np.sqrt(np.sum(x * x, axis=dim, keepdims=keepdim))
    if ord == 1:
        return np.sum(x, axis=dim, keepdims=keepdim)
    if ord == float("inf"):
        return np.max(x, axis=dim, keepdims=keepdim)
    if ord == float("-inf"):
        return np.min(x, axis=dim, keepdims=keepdim)
    if ord == 0:
        return np.sum(x != 0, axis=dim, keepdims=keepdim).astype(a.dtype)
    return np.power(np.sum(np.power(x, ord), axis=dim, keepdims=keepdim), 1.0 / ord)


def _norm_backward(grad, self, ord, result, dim, keepdim):
    dims = range(self.dim()) if dim is None else dim
    grad = _unsqueeze_dims(grad, dims, self.dim(), keepdim)
    norm = _unsqueeze_dims(result, dims, self.dim(), keepdim)
    if ord == 0:
        return F.zeros_like(self)
    if ord == 1:
        return self.sgn() * grad
    if ord == 2:
        return self * F.where(norm == 0, 0.0, grad / norm)
    if ord in (float("inf"), float("-inf")):
        mask = (self.abs() == norm)
        return self.sgn() * F.where(mask, grad / mask.sum(tuple(dims), keepdim=True), 0.0)
    return self * self.abs().pow(ord - 2) * F.where(norm == 0, 0.0, grad / norm.pow(ord - 1))


LINALG_VECTOR_NORM = Rule("linalg_vector_norm", "LinalgVectorNormBackward0", _quiet(_vector_norm), ("self",),
                          {"self": _norm_backward},
                          dtype=lambda ops, p: p.get("dtype") or _float_input(ops[0], "linalg.vector_norm"))


def _float_input(t, name):
    if not t._dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{F._dtype.SCALAR_NAME[t._dtype]}")
    return t._dtype


def _keep(t, dim, ndim, keepdim):
    """A reduced tensor with its reduced dims put back as size 1, so it broadcasts against the input."""
    return _unsqueeze_dims(t, range(ndim) if dim is None else dim, ndim, keepdim)


def _prod_others(x, dim):
    """Along `dim`, the product of all elements but the one at each position (no division, so zeros work)."""
    n = x.shape[dim]
    ones = F.ones_like(x.narrow(dim, 0, 1))
    left = F.cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    right = F.cat([x.narrow(dim, 1, n - 1), ones], dim).flip((dim,)).cumprod(dim).flip((dim,))
    return left * right


def _prod_backward(grad, self, result, dim=None, keepdim=False):
    if self.dim() == 0:
        return grad
    if dim is None:
        return grad * _prod_others(self.reshape(-1), 0).reshape(self.shape)
    return _keep(grad, (dim,), self.dim(), keepdim) * _prod_others(self, dim)


def _prod_dtype(ops, p):
    return p.get("dtype") or (ops[0]._dtype if ops[0]._dtype.is_floating_point else F._dtype.int64)


PROD = Rule("prod", "ProdBackward0", lambda a, dtype=None: np.prod(a), ("self",),
            {"self": lambda grad, self, result: _prod_backward(grad, self, result)}, dtype=_prod_dtype)
PROD_DIM = Rule("prod", "ProdBackward1", lambda a, dim, keepdim, dtype=None: np.prod(a, axis=dim, keepdims=keepdim),
                ("self",), {"self": _prod_backward}, dtype=_prod_dtype)


def _evenly_distribute(grad, self, result):
    """Gradient of a global max/min: shared evenly by every element equal to the result."""
    mask = self == result
    return F.where(mask, grad / mask.sum(), 0.0)


def _nan_extreme(fn):
    """np.max/np.min as PyTorch's: NaN wins."""
    def forward(a, **kw):
        if a.size == 0:
            raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        return fn(a, **kw)
    return forward


MAX = Rule("max", "MaxBackward1", _nan_extreme(np.max), ("self",), {"self": _evenly_distribute}, dtype="same")
MIN = Rule("min", "MinBackward1", _nan_extreme(np.min), ("self",), {"self": _evenly_distribute}, dtype="same")


def _value_selecting_backward(grad, self_shape, dim, keepdim, indices):
    """Gradient of max/min/median along `dim`: the gradient goes to the selected index."""
    ndim = len(self_shape)
    if ndim == 0:
        return grad
    grad, indices = _keep(grad, (dim,), ndim, keepdim), _keep(indices, (dim,), ndim, keepdim)
    return F.zeros(self_shape, dtype=grad.dtype, device=grad.device).scatter(dim, indices, grad)


MAX_DIM = Rule("max", "MaxBackward0", lambda a, dim, keepdim, indices: np.max(a, axis=dim, keepdims=keepdim),
               ("self",), {"self": _value_selecting_backward}, dtype="same")
MIN_DIM = Rule("min", "MinBackward0", lambda a, dim, keepdim, indices: np.min(a, axis=dim, keepdims=keepdim),
               ("self",), {"self": _value_selecting_backward}, dtype="same")


def _scale_by_count(grad, self, result, dim, keepdim):
    """Gradient of amax/amin: shared evenly by the elements equal to the extreme along the dims."""
    dims = tuple(range(self.dim())) if not dim else dim
    mask = self == _keep(result, dims, self.dim(), keepdim)
    return F.where(mask, _keep(grad, dims, self.dim(), keepdim) / mask.sum(dims, keepdim=True), 0.0)


AMAX = Rule("amax", "AmaxBackward0", lambda a, dim, keepdim: np.max(a, axis=dim or None, keepdims=keepdim),
            ("self",), {"self": _scale_by_count}, dtype="same")
AMIN = Rule("amin", "AminBackward0", lambda a, dim, keepdim: np.min(a, axis=dim or None, keepdims=keepdim),
            ("self",), {"self": _scale_by_count}, dtype="same")


def _var(a, dim, correction, keepdim):
    n = a.size if dim is None else math.prod(a.shape[d] for d in dim)
    centered = a - np.mean(a, axis=dim, keepdims=True)
    return np.sum(centered * centered, axis=dim, keepdims=keepdim) / np.asarray(max(n - correction, 0), a.dtype)


def _var_backward(grad, self, dim, correction, keepdim):
    dims = tuple(range(self.dim())) if dim is None else dim
    n = math.prod(self.shape[d] for d in dims)
    return (2.0 / (n - correction)) * _keep(grad, dims, self.dim(), keepdim) * (self - self.mean(dims, True))


VAR = Rule("var", "VarBackward0", _quiet(_var), ("self",), {"self": _var_backward}, dtype="same")
STD = Rule("std", "StdBackward0", _quiet(lambda a, **kw: np.sqrt(_var(a, **kw))), ("self",),
           {"self": lambda grad, self, result, dim, correction, keepdim:
               _var_backward(grad / (result * 2), self, dim, correction, keepdim)},
           dtype="same")


def _logsumexp(a, dim, keepdim):
    top = np.max(a, axis=dim, keepdims=True) if a.size else np.zeros((1,) * a.ndim, a.dtype)
    top = np.where(np.isinf(top), 0, top)
    out = np.log(np.sum(np.exp(a - top), axis=dim, keepdims=True)) + top
    return out if keepdim else np.squeeze(out, axis=dim)


LOGSUMEXP = Rule("logsumexp", "LogsumexpBackward0", _quiet(_logsumexp), ("self",),
                 {"self": lambda grad, self, result, dim, keepdim:
                     _keep(grad, dim, self.dim(), keepdim) * (self - _keep(result, dim, self.dim(), keepdim)).exp()},
                 dtype="float")


def _softmax(a, dim):
    e = np.exp(a - np.max(a, axis=dim, keepdims=True)) if a.size else a
    return e / np.sum(e, axis=dim, keepdims=True)


def _log_softmax(a, dim):
    if not a.size:
        return a
    shifted = a - np.max(a, axis=dim, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


SOFTMAX = Rule("softmax", "SoftmaxBackward0", lambda a, dim, dtype=None: _softmax(a, dim), ("self",),
               {"self": lambda grad, result, dim: result * (grad - (grad * result).sum(dim, True))},
               dtype=lambda ops, p: p.get("dtype") or ops[0]._dtype)
LOG_SOFTMAX = Rule("log_softmax", "LogSoftmaxBackward0", lambda a, dim, dtype=None: _log_softmax(a, dim),
                   ("self",),
                   {"self": lambda grad, result, dim: grad - result.exp() * grad.sum(dim, True)},
                   dtype=lambda ops, p: p.get("dtype") or ops[0]._dtype)

CUMSUM = Rule("cumsum", "CumsumBackward0", lambda a, dim, dtype=None: np.cumsum(a, axis=dim) if a.ndim else a.copy(),
              ("self",),
              {"self": lambda grad, dim: grad.flip((dim,)).cumsum(dim).flip((dim,)) if grad.dim() else grad},
              dtype=_prod_dtype)


def _cumprod_backward(grad, self, result, dim):
    if self.dim() == 0 or self.numel() == 0:
        return grad
    if not bool((self == 0).any()):
        return (grad * result).flip((dim,)).cumsum(dim).flip((dim,)) / self
    # d result_j / d x_i = prod_{k <= j, k != i} x_k for j >= i: build that product for every i.
    x = self.movedim(dim, -1)
    g = grad.movedim(dim, -1)
    n = x.shape[-1]
    eye = F.eye(n, dtype=F._dtype.bool_, device=x.device)
    others = F.where(eye, 1.0, x.unsqueeze(-2)).cumprod(-1)          # [..., i, j]
    upper = F.ones(n, n, dtype=F._dtype.bool_, device=x.device).triu()  # j >= i
    return (F.where(upper, others, 0.0) * g.unsqueeze(-2)).sum(-1).movedim(-1, dim)


CUMPROD = Rule("cumprod", "CumprodBackward0",
               lambda a, dim, dtype=None: np.cumprod(a, axis=dim) if a.ndim else a.copy(), ("self",),
               {"self": _cumprod_backward}, dtype=_prod_dtype)

ALL = Rule("all", None, lambda a, dim=None, keepdim=False: np.all(a, axis=dim, keepdims=keepdim), ("self",), {},
           dtype="bool")
ANY = Rule("any", None, lambda a, dim=None, keepdim=False: np.any(a, axis=dim, keepdims=keepdim), ("self",), {},
           dtype="bool")
ARGMAX = Rule("argmax", None, lambda a, dim=None, keepdim=False: _arg_extreme(np.argmax, a, dim, keepdim),
              ("self",), {}, dtype="index")
ARGMIN = Rule("argmin", None, lambda a, dim=None, keepdim=False: _arg_extreme(np.argmin, a, dim, keepdim),
              ("self",), {}, dtype="index")


def _arg_extreme(fn, a, dim, keepdim):
    if dim is None:
        out = fn(a)
        return np.reshape(out, (1,) * a.ndim) if keepdim else out
    return fn(a, axis=dim, keepdims=keepdim)


# ------------------------------------------------------------------- linear algebra
MV = Rule("mv", "MvBackward0", np.matmul, ("self", "vec"),
          {"self": lambda grad, vec: F.outer(grad, vec),
           "vec": lambda grad, self: self.t().mv(grad)})
MM = Rule("mm", "MmBackward0", np.matmul, ("self", "mat2"),
          {"self": lambda grad, mat2: grad.mm(mat2.t()),
           "mat2": lambda grad, self: self.t().mm(grad)})
BMM = Rule("bmm", "BmmBackward0", np.matmul, ("self", "mat2"),
           {"self": lambda grad, mat2: grad.bmm(mat2.transpose(1, 2)),
            "mat2": lambda grad, self: self.transpose(1, 2).bmm(grad)})
ADDMM = Rule("addmm", "AddmmBackward0", lambda a, m1, m2: a + m1 @ m2, ("self", "mat1", "mat2"),
             {"self": lambda grad: grad,
              "mat1": lambda grad, mat2: grad.mm(mat2.t()),
              "mat2": lambda grad, mat1: mat1.t().mm(grad)})


def _det(a):
    return np.linalg.det(a).astype(a.dtype)


LINALG_DET = Rule("linalg_det", "LinalgDetBackward0", _det, ("A",),
                  {"A": lambda grad, A, result: (grad * result).unsqueeze(-1).unsqueeze(-1)
                      * F.linalg_inv(A).transpose(-2, -1)}, dtype="same")
LINALG_INV = Rule("linalg_inv", "LinalgInvExBackward0", lambda a: np.linalg.inv(a).astype(a.dtype), ("A",),
                  {"A": lambda grad, result: -(result.transpose(-2, -1) @ grad @ result.transpose(-2, -1))},
                  dtype="same")

DOT = Rule("dot", "DotBackward0", np.dot, ("self", "tensor"),
           {"self": lambda grad, tensor: grad * tensor,
            "tensor": lambda grad, self: grad * self})

# ------------------------------------------------------------------- copies and casts
CLONE = Rule("clone", "CloneBackward0", np.copy, ("self",), {"self": lambda grad: grad}, dtype="same")
TO_COPY = Rule("_to_copy", "ToCopyBackward0", lambda a, dtype: a.copy(), ("self",),
               {"self": lambda grad: grad}, dtype=lambda ops, p: p["dtype"])

# ------------------------------------------------------------------- views (results share the input's data)
VIEW = Rule("view", "ViewBackward0", lambda a, size: a.reshape(size), ("self",),
            {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same")
UNSAFE_VIEW = Rule("_unsafe_view", "UnsafeViewBackward0", lambda a, size: a.reshape(size), ("self",),
                    {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same")
ALIAS = Rule("alias", "AliasBackward0", lambda a: a.view(), ("self",), {"self": lambda grad: grad}, dtype="same")
EXPAND = Rule("expand", "ExpandBackward0", lambda a, size: np.broadcast_to(a, size), ("self",),
              {"self": lambda grad, self_shape: F._sum_to(grad, self_shape)}, dtype="same")
UNSQUEEZE = Rule("unsqueeze", "UnsqueezeBackward0", lambda a, dim: np.expand_dims(a, dim), ("self",),
                 {"self": lambda grad, dim: grad.squeeze(dim)}, dtype="same")
SQUEEZE = Rule("squeeze", "SqueezeBackward0", lambda a: np.squeeze(a), ("self",),
               {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same")
SQUEEZE_DIM = Rule("squeeze", "SqueezeBackward1",
                   lambda a, dim: np.squeeze(a, dim) if a.ndim and a.shape[dim] == 1 else a.view(), ("self",),
                   {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same")
SQUEEZE_DIMS = Rule("squeeze", "SqueezeBackward2",
                    lambda a, dims: np.squeeze(a, tuple(d for d in dims if a.shape[d] == 1)) if a.ndim else a.view(),
                    ("self",), {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same")
# matmul squeezes its result in place (squeeze_.dims), which records SqueezeBackward4.
SQUEEZE_DIMS_ = Rule("squeeze_", "SqueezeBackward4", SQUEEZE_DIMS.forward, ("self",),
                     {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same")
TRANSPOSE = Rule("transpose", "TransposeBackward0", lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1), ("self",),
                 {"self": lambda grad, dim0, dim1: grad.transpose(dim0, dim1)}, dtype="same")
T = Rule("t", "TBackward0", lambda a: a.T, ("self",), {"self": lambda grad: grad.t()}, dtype="same")
PERMUTE = Rule("permute", "PermuteBackward0", lambda a, dims: np.transpose(a, dims), ("self",),
               {"self": lambda grad, dims: grad.permute(tuple(np.argsort(dims)))}, dtype="same")
SELECT = Rule("select", "SelectBackward0", lambda a, dim, index: a[(slice(None),) * dim + (index,)], ("self",),
              {"self": lambda grad, self_shape, dim, index: F.select_backward(grad, self_shape, dim, index)},
              dtype="same")
SLICE = Rule("slice", "SliceBackward0",
             lambda a, dim, start, end, step: a[(slice(None),) * dim + (slice(start, end, step),)], ("self",),
             {"self": lambda grad, self_shape, dim, start, end, step:
                 F.slice_backward(grad, self_shape, dim, start, end, step)},
             dtype="same")


def _embed(g, shape, dim, key):
    out = np.zeros(shape, g.dtype)
    out[(slice(None),) * dim + (key,)] = g
    return out


SELECT_BACKWARD = Rule("select_backward", "SelectBackwardBackward0",
                       lambda g, input_sizes, dim, index: _embed(g, input_sizes, dim, index), ("grad_output",),
                       {"grad_output": lambda grad, dim, index: grad.select(dim, index)}, dtype="same")
SLICE_BACKWARD = Rule("slice_backward", "SliceBackwardBackward0",
                      lambda g, input_sizes, dim, start, end, step: _embed(g, input_sizes, dim,
                                                                           slice(start, end, step)),
                      ("grad_output",),
                      {"grad_output": lambda grad, dim, start, end, step: F._slice(grad, dim, start, end, step)},
                      dtype="same")


def _index_put_zeros(g, shape, index):
    out = np.zeros(shape, g.dtype)
    np.add.at(out, index, g)
    return out


INDEX = Rule("index", "IndexBackward0", lambda a, index: a[index], ("self",),
             {"self": lambda grad, self_shape, index: F.index_backward(grad, self_shape, index)}, dtype="same")
INDEX_BACKWARD = Rule("index_backward", "IndexPutBackward0",
                      lambda g, shape, index: _index_put_zeros(g, shape, index), ("grad_output",),
                      {"grad_output": lambda grad, index: F._index(grad, index)}, dtype="same")

# ------------------------------------------------------------------- shape ops that copy
def _repeat_backward(grad, self_shape, repeats):
    """Sums the gradient of each copy: view [r0, s0, r1, s1, ...] and sum over the r axes."""
    lead = len(repeats) - len(self_shape)
    shape = (1,) * lead + tuple(self_shape)
    split, dims = [], []
    for i, (r, s) in enumerate(zip(repeats, shape)):
        split += [r, s]
        dims.append(2 * i)
    grad = grad.reshape(split).sum(tuple(dims))
    return grad.reshape(self_shape)


REPEAT = Rule("repeat", "RepeatBackward0",
              lambda a, repeats: np.tile(a.reshape((1,) * (len(repeats) - a.ndim) + a.shape), repeats),
              ("self",), {"self": _repeat_backward}, dtype="same")
FLIP = Rule("flip", "FlipBackward0", lambda a, dims: np.flip(a, dims).copy(), ("self",),
            {"self": lambda grad, dims: grad.flip(dims)}, dtype="same")
ROLL = Rule("roll", "RollBackward0",
            lambda a, shifts, dims: np.roll(a, shifts, dims) if dims else np.roll(a.reshape(-1), shifts).reshape(
                a.shape),
            ("self",), {"self": lambda grad, shifts, dims: grad.roll(tuple(-s for s in shifts), dims or None)}, dtype="same")
TRIL = Rule("tril", "TrilBackward0", lambda a, diagonal: np.tril(a, diagonal), ("self",),
            {"self": lambda grad, diagonal: grad.tril(diagonal)}, dtype="same")
TRIU = Rule("triu", "TriuBackward0", lambda a, diagonal: np.triu(a, diagonal), ("self",),
            {"self": lambda grad, diagonal: grad.triu(diagonal)}, dtype="same")
DIAGONAL = Rule("diagonal", "DiagonalBackward0",
                lambda a, offset, dim1, dim2: np.diagonal(a, offset, dim1, dim2).copy(), ("self",),
                {"self": lambda grad, self_shape, offset, dim1, dim2:
                    F.diagonal_backward(grad, self_shape, offset, dim1, dim2)}, dtype="same")


def _embed_diagonal(g, input_sizes, offset, dim1, dim2):
    out = np.zeros(input_sizes, g.dtype)
    i = np.arange(g.shape[-1])
    np.moveaxis(out, (dim1, dim2), (-2, -1))[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


DIAGONAL_BACKWARD = Rule("diagonal_backward", "DiagonalBackwardBackward0",
                         lambda g, input_sizes, offset, dim1, dim2: _embed_diagonal(g, input_sizes, offset, dim1, dim2),
                         ("grad_output",),
                         {"grad_output": lambda grad, offset, dim1, dim2: grad.diagonal(offset, dim1, dim2)},
                         dtype="same")


def _split_backward(grads, tensors_shapes=None, self_shape=None, dim=0, sizes=None):
    """Concatenates the output gradients along dim, zeros for outputs that got none."""
    parts = [g if g is not None else None for g in grads]
    like = next(g for g in parts if g is not None)
    shape = list(self_shape)
    out = []
    for g, n in zip(parts, sizes):
        if g is None:
            shape[dim] = n
            g = F.zeros(shape, dtype=like.dtype, device=like.device)
        out.append(g)
    return F.cat(out, dim)


SPLIT = Rule("split", "SplitBackward0", lambda a, dim, sizes: np.split(a, np.cumsum(sizes)[:-1], axis=dim),
             ("self",), {"self": lambda grad, self_shape, dim, sizes: _split_backward(grad, None, self_shape, dim,
                                                                                      sizes)},
             dtype="same", n_outputs="many")
SPLIT_WITH_SIZES = Rule("split_with_sizes", "SplitWithSizesBackward0",
                        lambda a, dim, sizes: np.split(a, np.cumsum(sizes)[:-1], axis=dim), ("self",),
                        {"self": lambda grad, self_shape, dim, sizes: _split_backward(grad, None, self_shape, dim,
                                                                                      sizes)},
                        dtype="same", n_outputs="many")


def _unbind_backward(grads, self_shape, dim):
    like = next(g for g in grads if g is not None)
    zero = F.zeros(like.shape, dtype=like.dtype, device=like.device)
    return F.stack([zero if g is None else g for g in grads], dim)


UNBIND = Rule("unbind", "UnbindBackward0",
              lambda a, dim: [a[(slice(None),) * dim + (i,)] for i in range(a.shape[dim])], ("self",),
              {"self": _unbind_backward}, dtype="same", n_outputs="many")


def _cat_backward(grad, tensors_shapes, dim):
    out, start = [], 0
    for shape in tensors_shapes:
        if len(shape) == 1 and shape[0] == 0 and grad.dim() != 1:  # legacy empty inputs get no gradient
            out.append(None)
            continue
        out.append(grad.narrow(dim, start, shape[dim]))
        start += shape[dim]
    return out


CAT = Rule("cat", "CatBackward0", lambda *arrays, dim: np.concatenate(
               [a for a in arrays if not (a.ndim == 1 and a.size == 0)] or [arrays[0]], axis=dim),
           ("tensors",), {"tensors": _cat_backward}, variadic=True)
STACK = Rule("stack", "StackBackward0", lambda *arrays, dim: np.stack(arrays, axis=dim), ("tensors",),
             {"tensors": lambda grad, dim: list(grad.unbind(dim))}, variadic=True)

# ------------------------------------------------------------------- gather and scatter
GATHER = Rule("gather", "GatherBackward0", lambda a, dim, index: np.take_along_axis(a, index._data, dim),
              ("self",),
              {"self": lambda grad, self_shape, dim, index:
                  F.zeros(self_shape, dtype=grad.dtype, device=grad.device).scatter_add(dim, index, grad)},
              dtype="same")


def _scatter(a, src, dim, index, reduce=None):
    out = a.copy()
    idx = index._data
    src = np.broadcast_to(src, idx.shape) if np.ndim(src) == 0 else src[tuple(slice(0, n) for n in idx.shape)]
    grid = list(np.indices(idx.shape, sparse=True))
    grid[dim] = idx
    if reduce == "add":
        np.add.at(out, tuple(grid), src)
    else:
        out[tuple(grid)] = src
    return out


SCATTER = Rule("scatter", "ScatterBackward0", lambda a, src, dim, index: _scatter(a, src, dim, index),
               ("self", "src"),
               {"self": lambda grad, dim, index: grad.scatter(dim, index, 0.0),
                "src": lambda grad, dim, index: grad.gather(dim, index)}, dtype="same")
SCATTER_VALUE = Rule("scatter", "ScatterBackward1",
                     lambda a, dim, index, value: _scatter(a, np.asarray(value, a.dtype), dim, index), ("self",),
                     {"self": lambda grad, dim, index: grad.scatter(dim, index, 0.0)}, dtype="same")
SCATTER_ADD = Rule("scatter_add", "ScatterAddBackward0",
                   lambda a, src, dim, index: _scatter(a, src, dim, index, "add"), ("self", "src"),
                   {"self": lambda grad: grad,
                    "src": lambda grad, dim, index: grad.gather(dim, index)}, dtype="same")


def _index_add(a, src, dim, index, alpha=1):
    out = a.copy()
    key = (slice(None),) * dim + (index._data,)
    np.add.at(out, key, src if alpha == 1 else src * np.asarray(alpha, a.dtype))
    return out


INDEX_SELECT = Rule("index_select", "IndexSelectBackward0", lambda a, dim, index: np.take(a, index._data, axis=dim),
                    ("self",),
                    {"self": lambda grad, self_shape, dim, index:
                        F.zeros(self_shape, dtype=grad.dtype, device=grad.device).index_add(dim, index, grad)},
                    dtype="same")
INDEX_ADD = Rule("index_add", "IndexAddBackward0", _index_add, ("self", "source"),
                 {"self": lambda grad: grad,
                  "source": lambda grad, dim, index, alpha: _scaled(grad.index_select(dim, index), alpha)},
                 dtype="same")
MASKED_FILL = Rule("masked_fill", "MaskedFillBackward0",
                   lambda a, mask, value: np.where(mask._data, np.asarray(value, a.dtype), a), ("self",),
                   {"self": lambda grad, mask: grad.masked_fill(mask, 0.0)}, dtype="same")
MASKED_FILL_TENSOR = Rule("masked_fill", "MaskedFillBackward1", lambda a, v, mask: np.where(mask._data, v, a),
                          ("self", "value"),
                          {"self": lambda grad, mask: grad.masked_fill(mask, 0.0),
                           "value": lambda grad, mask: F.where(mask, grad, 0.0).sum()}, dtype="same")
MASKED_SELECT = Rule("masked_select", "MaskedSelectBackward0",
                     lambda a, mask: np.broadcast_to(a, np.broadcast_shapes(a.shape, mask._data.shape))[
                         np.broadcast_to(mask._data, np.broadcast_shapes(a.shape, mask._data.shape))],
                     ("self",),
                     {"self": lambda grad, self_shape, mask: F.masked_select_backward(grad, self_shape, mask)},
                     dtype="same")

# ------------------------------------------------------------------- in-place writes
ZERO = Rule("zero_", "ZeroBackward0", lambda a: np.zeros_like(a), ("self",),
            {"self": lambda grad: F.zeros_like(grad)}, dtype="same")
FILL = Rule("fill_", "FillBackward2", lambda a, value: np.full_like(a, value), ("self",),
            {"self": lambda grad: F.zeros_like(grad)}, dtype="same")
FILL_TENSOR = Rule("fill_", "FillBackward3", lambda a, v: np.broadcast_to(v, a.shape), ("self", "value"),
                   {"self": lambda grad: F.zeros_like(grad),
                    "value": lambda grad: grad.sum()}, dtype="same")
COPY = Rule("copy_", "torch::autograd::CopyBackwards", lambda a, src: np.broadcast_to(src, a.shape), ("self", "src"),
            {"self": lambda grad: F.zeros_like(grad),
             "src": lambda grad: grad}, dtype="same")


def _put(a, v, index):
    out = a.copy()
    out[index] = v
    return out


_PUT_FORMULAS = {"self": lambda grad, index: F._masked_zero(grad, index),
                 "value": lambda grad, index: F._index(grad, index)}
# x[basic index] = v writes through a view (CopySlices); an advanced index runs index_put_.
COPY_SLICES = Rule("copy_", "torch::autograd::CopySlices", _put, ("self", "value"), _PUT_FORMULAS, dtype="same")
INDEX_PUT = Rule("index_put_", "IndexPutBackward0", _put, ("self", "value"), _PUT_FORMULAS, dtype="same")

VIEWS = frozenset({VIEW, ALIAS, EXPAND, UNSQUEEZE, SQUEEZE, SQUEEZE_DIM, SQUEEZE_DIMS, SQUEEZE_DIMS_, TRANSPOSE, T,
                   PERMUTE, SELECT, SLICE})
