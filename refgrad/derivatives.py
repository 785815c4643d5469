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
from ._fp import quiet, quietly

# Formulas call refgrad functions (`F.where`, `F.zeros_like`); _ops fills this in at import time
# because the functions themselves are built from this table.
F = None


def _scaled(grad, alpha):
    return grad if alpha == 1 else grad * alpha


# ------------------------------------------------------------------- arithmetic
def _with_alpha(ufunc):
    """a (ufunc) alpha * b, as add and sub take it; alpha is cast to a's dtype first, as in PyTorch."""
    def forward(a, b, alpha=1, out=None):
        return ufunc(a, b if alpha == 1 else b * np.asarray(alpha, a.dtype), out=out)
    return forward


ADD = Rule("add", "AddBackward0", _with_alpha(np.add), ("self", "other"),
           {"self": lambda grad: grad,
            "other": lambda grad, alpha: _scaled(grad, alpha)}, jvp="elementwise", takes_out=True)

SUB = Rule("sub", "SubBackward0", _with_alpha(np.subtract), ("self", "other"),
           {"self": lambda grad: grad,
            "other": lambda grad, alpha: _scaled(-grad, alpha)}, jvp="elementwise", takes_out=True)

RSUB = Rule("rsub", "RsubBackward0",
            lambda a, b, alpha=1: b - a if alpha == 1 else b - a * np.asarray(alpha, a.dtype),
            ("self", "other"),
            {"self": lambda grad, alpha: _scaled(-grad, alpha),
             "other": lambda grad: grad}, jvp="elementwise")

RSUB_SCALAR = Rule("rsub", "RsubBackward1",
                   lambda a, other, alpha=1: np.asarray(other, a.dtype) - (a if alpha == 1 else a * alpha),
                   ("self",),
                   {"self": lambda grad, alpha: _scaled(-grad, alpha)},
                   dtype=lambda ops, p: F._dtype.result_type((ops[0], p["other"])), jvp="elementwise")

MUL = Rule("mul", "MulBackward0", np.multiply, ("self", "other"),
           {"self": lambda grad, other: grad * other,
            "other": lambda grad, self: grad * self}, jvp="elementwise", takes_out=True)

DIV = Rule("div", "DivBackward0", quietly(np.true_divide), ("self", "other"),
           {"self": lambda grad, other: grad / other,
            "other": lambda grad, self, other: -grad * ((self / other) / other)},
           dtype="float", jvp="elementwise", takes_out=True)


def _div_rounding(a, b, rounding_mode):
    if a.dtype.kind in "iub" and np.any(b == 0):
        raise RuntimeError("ZeroDivisionError")
    if rounding_mode == "floor":
        return np.floor_divide(a, b) if a.dtype.kind in "iub" else np.floor(np.true_divide(a, b))
    q = np.true_divide(a, b)
    return np.trunc(q).astype(a.dtype) if a.dtype.kind in "iub" else np.trunc(q)


DIV_ROUNDING = Rule("div", "DivBackward2", quietly(_div_rounding), ("self", "other"),
                    {"self": lambda grad: F.zeros_like(grad),
                     "other": lambda grad: F.zeros_like(grad)}, jvp="elementwise")

REMAINDER = Rule("remainder", "RemainderBackward1", quietly(lambda a, b: _checked_int_div(np.remainder, a, b)),
                 ("self", "other"),
                 {"self": lambda grad: grad,
                  "other": lambda grad, self, other: -grad * F.div(self, other, rounding_mode="floor")},
                 jvp="elementwise")

REMAINDER_SCALAR = Rule("remainder", "RemainderBackward0",
                        quietly(lambda a, other: _checked_int_div(np.remainder, a, np.asarray(other, a.dtype))),
                        ("self",), {"self": lambda grad: grad},
                        dtype=lambda ops, p: F._dtype.result_type((ops[0], p["other"])), jvp="elementwise")

FLOOR_DIVIDE_SCALAR = Rule("floor_divide", "torch::autograd::NotImplemented",
                           quietly(lambda a, other: _checked_int_div(np.floor_divide, a, np.asarray(other, a.dtype))),
                           ("self",), {"self": lambda grad: _not_implemented("floor_divide")},
                           dtype=lambda ops, p: F._dtype.result_type((ops[0], p["other"])))

FLOOR_DIVIDE = Rule("floor_divide", "torch::autograd::NotImplemented",
                    quietly(lambda a, b: _checked_int_div(np.floor_divide, a, b)), ("self", "other"),
                    {"self": lambda grad: _not_implemented("floor_divide"),
                     "other": lambda grad: _not_implemented("floor_divide")})


def _checked_int_div(fn, a, b):
    if a.dtype.kind in "iub" and np.any(b == 0):
        raise RuntimeError("ZeroDivisionError")
    return fn(a, b)


def _not_implemented(name):
    raise RuntimeError(f"the derivative for '{name}' is not implemented.")


NEG = Rule("neg", "NegBackward0", np.negative, ("self",),
           {"self": lambda grad: -grad}, dtype="same", jvp="elementwise")

RECIPROCAL = Rule("reciprocal", "ReciprocalBackward0", quietly(np.reciprocal), ("self",),
                  {"self": lambda grad, result: -grad * (result * result)}, dtype="float", jvp="elementwise")


def _pow_backward(grad, self, exponent):
    if exponent == 0:
        return F.zeros_like(self)
    return grad * (exponent * self.pow(exponent - 1))


POW_SCALAR = Rule("pow", "PowBackward0", quietly(lambda a, exponent: np.power(a, np.asarray(exponent, a.dtype))),
                  ("self",),
                  {"self": lambda grad, self, exponent: _pow_backward(grad, self, float(exponent))},
                  dtype=lambda ops, p: F._dtype.result_type((ops[0], p["exponent"])), jvp="elementwise")

def _power(base, exponent):
    """np.power, with PyTorch's integer results for negative integer exponents (1, -1 or 0)."""
    if base.dtype.kind not in "iub" or not np.any(exponent < 0):
        return np.power(base, exponent)
    positive = np.power(base, np.where(exponent < 0, 0, exponent))
    odd = (np.abs(exponent) % 2) == 1
    small = np.where(base == 1, 1, np.where(base == -1, np.where(odd, -1, 1), 0))
    return np.where(exponent < 0, small, positive).astype(base.dtype)


POW = Rule("pow", "PowBackward1", quietly(_power), ("self", "exponent"),
           {"self": lambda grad, self, exponent: F.where(exponent == 0.0, 0.0,
                                                         grad * (exponent * F.pow(self, exponent - 1))),
            "exponent": lambda grad, self, exponent, result: grad * F.where(
                (self == 0.0) & (exponent >= 0), 0.0, result * self.log())}, jvp="elementwise")

def _log_scalar(base):
    with quiet():
        return float(np.log(np.float64(base)))


POW_SCALAR_BASE = Rule("pow", "PowBackward2",
                       quietly(lambda exponent, base: np.power(np.asarray(base, exponent.dtype), exponent)),
                       ("exponent",),
                       {"exponent": lambda grad, exponent, base, result: grad * (
                           F.where(exponent >= 0, 0.0, result * _log_scalar(base)) if base == 0
                           else result * _log_scalar(base))},
                       dtype=lambda ops, p: F._dtype.result_type((p["base"], ops[0])), jvp="elementwise")


# A tensor times a C++ scalar inside a formula (PyTorch's mul.Scalar overload records MulBackward1;
# a Python number in user code is wrapped into a tensor and records MulBackward0 instead).
MUL_SCALAR = Rule("mul", "MulBackward1", lambda a, other: a * np.asarray(other, a.dtype), ("self",),
                  {"self": lambda grad, other: F.mul_scalar(grad, other)}, dtype="same", jvp="elementwise")


# ------------------------------------------------------------------- pointwise math
def _unary(name, node, forward, formula, dtype="float"):
    """An elementwise op of one tensor: its forward rule is its backward formula (auto_element_wise)."""
    return Rule(name, node, quietly(forward), ("self",), {"self": formula}, dtype=dtype, jvp="elementwise")


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
                      "output": lambda grad, output, grad_output: -2 * output * grad_output * grad}, jvp="elementwise")
SIGMOID_BACKWARD = Rule("sigmoid_backward", "SigmoidBackwardBackward0", lambda g, y: g * (1 - y) * y,
                        ("grad_output", "output"),
                        {"grad_output": lambda grad, output: F.sigmoid_backward(grad, output),
                         "output": lambda grad, output, grad_output: grad * grad_output * (1 - 2 * output)},
                        jvp="elementwise")
THRESHOLD_BACKWARD = Rule("threshold_backward", "ThresholdBackwardBackward0",
                          lambda g, y, threshold: np.where(y <= threshold, 0, g).astype(g.dtype),
                          ("grad_output", "self"),
                          {"grad_output": lambda grad, self, threshold: F.threshold_backward(grad, self, threshold),
                           "self": lambda grad: F.zeros_like(grad)}, jvp="elementwise")

WHERE = Rule("where", "WhereBackward0", lambda c, a, b: np.where(c, a, b), ("condition", "self", "other"),
             {"self": lambda grad, condition: F.where(condition, grad, 0.0),
              "other": lambda grad, condition: F.where(condition, 0.0, grad)},
             dtype=lambda ops, p: F._dtype.result_type(ops[1:]), jvp="elementwise")

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
                    dtype=_scalar_dtype("min", "max"), jvp="elementwise")
CLAMP = Rule("clamp", "ClampBackward0", _clip, ("self", "min", "max"),
             {"self": lambda grad, self, min, max: F.where(_in_bounds(self, min, max), grad, 0.0),
              # with min > max the result is max, so max gets the gradient (PyTorch's clamp_backward_min_max)
              "min": lambda grad, self, min, max: F.where((self < min) & (min < max) if max is not None
                                                          else self < min, grad, 0.0),
              "max": lambda grad, self, min, max: F.where((self > max) | (max < min) if min is not None
                                                          else self > max, grad, 0.0)}, jvp="elementwise")
CLAMP_MIN = Rule("clamp_min", "ClampMinBackward0", lambda a, min: _clip(a, np.asarray(min, a.dtype), None),
                 ("self",), {"self": lambda grad, self, min: F.where(self >= min, grad, 0.0)},
                 dtype=_scalar_dtype("min"), jvp="elementwise")
CLAMP_MAX = Rule("clamp_max", "ClampMaxBackward0", lambda a, max: _clip(a, None, np.asarray(max, a.dtype)),
                 ("self",), {"self": lambda grad, self, max: F.where(self <= max, grad, 0.0)},
                 dtype=_scalar_dtype("max"), jvp="elementwise")


def _select_larger(grad, a, b):
    """Gradient of maximum(a, b) for a: all of it where a wins, half on ties (PyTorch's choice)."""
    return F.where(a > b, grad, F.where(a == b, grad / 2, 0.0))


MAXIMUM = Rule("maximum", "MaximumBackward0", np.maximum, ("self", "other"),
               {"self": lambda grad, self, other: _select_larger(grad, self, other),
                "other": lambda grad, self, other: _select_larger(grad, other, self)}, jvp="elementwise")
MINIMUM = Rule("minimum", "MinimumBackward0", np.minimum, ("self", "other"),
               {"self": lambda grad, self, other: _select_larger(grad, -self, -other),
                "other": lambda grad, self, other: _select_larger(grad, -other, -self)}, jvp="elementwise")
ATAN2 = Rule("atan2", "Atan2Backward0", quietly(np.arctan2), ("self", "other"),
             {"self": lambda grad, self, other: grad * other / (self * self + other * other),
              "other": lambda grad, self, other: grad * -self / (self * self + other * other)}, dtype="float",
             jvp="elementwise")
ADDCMUL = Rule("addcmul", "AddcmulBackward0", lambda a, t1, t2, value: a + np.asarray(value, a.dtype) * t1 * t2,
               ("self", "tensor1", "tensor2"),
               {"self": lambda grad: grad,
                "tensor1": lambda grad, tensor2, value: _scaled(grad * tensor2, value),
                "tensor2": lambda grad, tensor1, value: _scaled(grad * tensor1, value)}, jvp="elementwise")
ADDCDIV = Rule("addcdiv", "AddcdivBackward0",
               quietly(lambda a, t1, t2, value: a + np.asarray(value, a.dtype) * (t1 / t2)),
               ("self", "tensor1", "tensor2"),
               {"self": lambda grad: grad,
                "tensor1": lambda grad, tensor2, value: _scaled(grad / tensor2, value),
                "tensor2": lambda grad, tensor1, tensor2, value: _scaled(-grad * tensor1 / (tensor2 * tensor2),
                                                                        value)}, jvp="elementwise")
LERP_SCALAR = Rule("lerp", "LerpBackward0", lambda a, b, weight: a + np.asarray(weight, a.dtype) * (b - a),
                   ("self", "end"),
                   {"self": lambda grad, weight: _scaled(grad, 1 - weight),
                    "end": lambda grad, weight: _scaled(grad, weight)}, jvp="elementwise")
LERP = Rule("lerp", "LerpBackward1", lambda a, b, w: a + w * (b - a), ("self", "end", "weight"),
            {"self": lambda grad, weight: grad * (1 - weight),
             "end": lambda grad, weight: grad * weight,
             "weight": lambda grad, self, end: grad * (end - self)}, jvp="elementwise")
FMOD_SCALAR = Rule("fmod", "FmodBackward0",
                   quietly(lambda a, other: _checked_int_div(np.fmod, a, np.asarray(other, a.dtype))), ("self",),
                   {"self": lambda grad: grad}, dtype=_scalar_dtype("other"), jvp="elementwise")
FMOD = Rule("fmod", "FmodBackward1", quietly(lambda a, b: _checked_int_div(np.fmod, a, b)), ("self", "other"),
            {"self": lambda grad: grad,
             "other": lambda grad, self, other: -grad * F.div(self, other, rounding_mode="trunc")}, jvp="elementwise")


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


SUM = Rule("sum", "SumBackward0", lambda a, dtype=None: np.add.reduce(a, axis=None), ("self",),
           {"self": lambda grad, self_shape: grad.expand(self_shape)}, dtype=_sum_dtype, jvp="linear")

SUM_DIM = Rule("sum", "SumBackward1",
               lambda a, dim, keepdim, dtype=None: np.add.reduce(a, axis=dim, keepdims=keepdim),
               ("self",),
               {"self": lambda grad, self_shape, dim, keepdim:
                   _unsqueeze_dims(grad, dim, len(self_shape), keepdim).expand(self_shape)},
               dtype=_sum_dtype, jvp="linear")


def _mean_dtype(ops, p):
    d = p.get("dtype") or ops[0]._dtype
    if not d.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {F._dtype.SCALAR_NAME[d]}")
    return d


MEAN = Rule("mean", "MeanBackward0", lambda a, dtype=None: np.mean(a), ("self",),
            {"self": lambda grad, self_shape: grad.expand(self_shape) / math.prod(self_shape)}, dtype=_mean_dtype,
            jvp="linear")

MEAN_DIM = Rule("mean", "MeanBackward1",
                lambda a, dim, keepdim, dtype=None: np.mean(a, axis=dim, keepdims=keepdim), ("self",),
                {"self": lambda grad, self_shape, dim, keepdim:
                    _unsqueeze_dims(grad, dim, len(self_shape), keepdim).expand(self_shape)
                    / _reduced_numel(self_shape, dim)},
                dtype=_mean_dtype, jvp="linear")


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


LINALG_VECTOR_NORM = Rule("linalg_vector_norm", "LinalgVectorNormBackward0", quietly(_vector_norm), ("self",),
                          {"self": _norm_backward},
                          dtype=lambda ops, p: p.get("dtype") or _float_input(ops[0], "linalg.vector_norm"),
                          jvp="reduction")


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
            {"self": lambda grad, self, result: _prod_backward(grad, self, result)}, dtype=_prod_dtype, jvp="reduction")
PROD_DIM = Rule("prod", "ProdBackward1", lambda a, dim, keepdim, dtype=None: np.prod(a, axis=dim, keepdims=keepdim),
                ("self",), {"self": _prod_backward}, dtype=_prod_dtype, jvp="reduction")


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


MAX = Rule("max", "MaxBackward1", _nan_extreme(np.max), ("self",), {"self": _evenly_distribute}, dtype="same",
           jvp="reduction")
MIN = Rule("min", "MinBackward1", _nan_extreme(np.min), ("self",), {"self": _evenly_distribute}, dtype="same",
           jvp="reduction")


def _value_selecting_backward(grad, self_shape, dim, keepdim, indices):
    """Gradient of max/min/median along `dim`: the gradient goes to the selected index."""
    ndim = len(self_shape)
    if ndim == 0:
        return grad
    grad, indices = _keep(grad, (dim,), ndim, keepdim), _keep(indices, (dim,), ndim, keepdim)
    return F.zeros(self_shape, dtype=grad.dtype, device=grad.device).scatter(dim, indices, grad)


MAX_DIM = Rule("max", "MaxBackward0", lambda a, dim, keepdim, indices: np.max(a, axis=dim, keepdims=keepdim),
               ("self",), {"self": _value_selecting_backward}, dtype="same", jvp="reduction")
MIN_DIM = Rule("min", "MinBackward0", lambda a, dim, keepdim, indices: np.min(a, axis=dim, keepdims=keepdim),
               ("self",), {"self": _value_selecting_backward}, dtype="same", jvp="reduction")


def _scale_by_count(grad, self, result, dim, keepdim):
    """Gradient of amax/amin: shared evenly by the elements equal to the extreme along the dims."""
    dims = tuple(range(self.dim())) if not dim else dim
    mask = self == _keep(result, dims, self.dim(), keepdim)
    return F.where(mask, _keep(grad, dims, self.dim(), keepdim) / mask.sum(dims, keepdim=True), 0.0)


AMAX = Rule("amax", "AmaxBackward0", lambda a, dim, keepdim: np.max(a, axis=dim or None, keepdims=keepdim),
            ("self",), {"self": _scale_by_count}, dtype="same", jvp="reduction")
AMIN = Rule("amin", "AminBackward0", lambda a, dim, keepdim: np.min(a, axis=dim or None, keepdims=keepdim),
            ("self",), {"self": _scale_by_count}, dtype="same", jvp="reduction")


def _var(a, dim, correction, keepdim):
    n = a.size if dim is None else math.prod(a.shape[d] for d in dim)
    centered = a - np.mean(a, axis=dim, keepdims=True)
    return np.sum(centered * centered, axis=dim, keepdims=keepdim) / np.asarray(max(n - correction, 0), a.dtype)


def _var_backward(grad, self, dim, correction, keepdim):
    dims = tuple(range(self.dim())) if dim is None else dim
    n = math.prod(self.shape[d] for d in dims)
    return (2.0 / (n - correction)) * _keep(grad, dims, self.dim(), keepdim) * (self - self.mean(dims, True))


VAR = Rule("var", "VarBackward0", quietly(_var), ("self",), {"self": _var_backward}, dtype="same", jvp="reduction")
STD = Rule("std", "StdBackward0", quietly(lambda a, **kw: np.sqrt(_var(a, **kw))), ("self",),
           {"self": lambda grad, self, result, dim, correction, keepdim:
               _var_backward(grad / (result * 2), self, dim, correction, keepdim)},
           dtype="same", jvp="reduction")


def _logsumexp(a, dim, keepdim):
    top = np.max(a, axis=dim, keepdims=True) if a.size else np.zeros((1,) * a.ndim, a.dtype)
    top = np.where(np.isinf(top), 0, top)
    out = np.log(np.sum(np.exp(a - top), axis=dim, keepdims=True)) + top
    return out if keepdim else np.squeeze(out, axis=dim)


LOGSUMEXP = Rule("logsumexp", "LogsumexpBackward0", quietly(_logsumexp), ("self",),
                 {"self": lambda grad, self, result, dim, keepdim:
                     _keep(grad, dim, self.dim(), keepdim) * (self - _keep(result, dim, self.dim(), keepdim)).exp()},
                 dtype="float", jvp="reduction")


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
               dtype=lambda ops, p: p.get("dtype") or ops[0]._dtype,
               jvp=lambda self_t, result, dim: result * (self_t - (self_t * result).sum(dim, True)))
LOG_SOFTMAX = Rule("log_softmax", "LogSoftmaxBackward0", lambda a, dim, dtype=None: _log_softmax(a, dim),
                   ("self",),
                   {"self": lambda grad, result, dim: grad - result.exp() * grad.sum(dim, True)},
                   dtype=lambda ops, p: p.get("dtype") or ops[0]._dtype,
                   jvp=lambda self_t, result, dim: self_t - (self_t * result.exp()).sum(dim, True))

CUMSUM = Rule("cumsum", "CumsumBackward0", lambda a, dim, dtype=None: np.cumsum(a, axis=dim) if a.ndim else a.copy(),
              ("self",),
              {"self": lambda grad, dim: grad.flip((dim,)).cumsum(dim).flip((dim,)) if grad.dim() else grad},
              dtype=_prod_dtype, jvp="linear")


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


def _cumprod_jvp(self_t, self, result, dim):
    if self.dim() == 0:
        return self_t
    if not bool((self == 0).any()):
        return (self_t / self).cumsum(dim) * result
    # t_j = sum_{i <= j} t_i prod_{k <= j, k != i} x_k, built as in the backward formula
    x, t = self.movedim(dim, -1), self_t.movedim(dim, -1)
    n = x.shape[-1]
    eye = F.eye(n, dtype=F._dtype.bool_, device=x.device)
    others = F.where(eye, 1.0, x.unsqueeze(-2)).cumprod(-1)
    upper = F.ones(n, n, dtype=F._dtype.bool_, device=x.device).triu()
    return (F.where(upper, others, 0.0) * t.unsqueeze(-1)).sum(-2).movedim(-1, dim)


CUMPROD = Rule("cumprod", "CumprodBackward0",
               lambda a, dim, dtype=None: np.cumprod(a, axis=dim) if a.ndim else a.copy(), ("self",),
               {"self": _cumprod_backward}, dtype=_prod_dtype, jvp=_cumprod_jvp)

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
           "vec": lambda grad, self: self.t().mv(grad)},
          jvp=lambda self_t, vec_t, self, vec: self_t.mv(vec) + self.mv(vec_t))
MM = Rule("mm", "MmBackward0", np.matmul, ("self", "mat2"),
          {"self": lambda grad, mat2: grad.mm(mat2.t()),
           "mat2": lambda grad, self: self.t().mm(grad)},
          jvp=lambda self_t, mat2_t, self, mat2: self_t.mm(mat2) + self.mm(mat2_t))
BMM = Rule("bmm", "BmmBackward0", np.matmul, ("self", "mat2"),
           {"self": lambda grad, mat2: grad.bmm(mat2.transpose(1, 2)),
            "mat2": lambda grad, self: self.transpose(1, 2).bmm(grad)},
           jvp=lambda self_t, mat2_t, self, mat2: self_t.bmm(mat2) + self.bmm(mat2_t))
ADDMM = Rule("addmm", "AddmmBackward0", lambda a, m1, m2: a + m1 @ m2, ("self", "mat1", "mat2"),
             {"self": lambda grad: grad,
              "mat1": lambda grad, mat2: grad.mm(mat2.t()),
              "mat2": lambda grad, mat1: mat1.t().mm(grad)},
             jvp=lambda self_t, mat1_t, mat2_t, mat1, mat2: self_t + mat1_t.mm(mat2) + mat1.mm(mat2_t))


def _det(a):
    return np.linalg.det(a).astype(a.dtype)


LINALG_DET = Rule("linalg_det", "LinalgDetBackward0", _det, ("A",),
                  {"A": lambda grad, A, result: (grad * result).unsqueeze(-1).unsqueeze(-1)
                      * F.linalg_inv(A).transpose(-2, -1)}, dtype="same",
                  jvp=lambda A_t, A, result: result * (F.linalg_inv(A) * A_t.transpose(-2, -1)).sum((-2, -1)))
LINALG_INV = Rule("linalg_inv", "LinalgInvExBackward0", lambda a: np.linalg.inv(a).astype(a.dtype), ("A",),
                  {"A": lambda grad, result: -(result.transpose(-2, -1) @ grad @ result.transpose(-2, -1))},
                  dtype="same", jvp=lambda A_t, result: -(result @ A_t @ result))

DOT = Rule("dot", "DotBackward0", np.dot, ("self", "tensor"),
           {"self": lambda grad, tensor: grad * tensor,
            "tensor": lambda grad, self: grad * self},
           jvp=lambda self_t, tensor_t, self, tensor: self_t.dot(tensor) + self.dot(tensor_t))

# ------------------------------------------------------------------- copies and casts
CLONE = Rule("clone", "CloneBackward0", np.copy, ("self",), {"self": lambda grad: grad}, dtype="same",
             jvp="elementwise")
TO_COPY = Rule("_to_copy", "ToCopyBackward0", lambda a, dtype: a.copy(), ("self",),
               {"self": lambda grad: grad}, dtype=lambda ops, p: p["dtype"], jvp="linear")

# ------------------------------------------------------------------- views (results share the input's data)
VIEW = Rule("view", "ViewBackward0", lambda a, size: a.reshape(size), ("self",),
            {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
UNSAFE_VIEW = Rule("_unsafe_view", "UnsafeViewBackward0", lambda a, size: a.reshape(size), ("self",),
                    {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
ALIAS = Rule("alias", "AliasBackward0", lambda a: a.view(), ("self",), {"self": lambda grad: grad}, dtype="same",
             jvp="linear")
IDENTITY = Rule("alias", "torch::autograd::Identity", lambda a: a.view(), ("self",), {"self": lambda grad: grad},
                dtype="same", jvp="linear")
def _expand(a, size):
    """np.broadcast_to (a read-only view: elements repeat), or, when expand only adds leading 1s, a
    plain writeable view, as PyTorch's is."""
    view = a[(np.newaxis,) * (len(size) - a.ndim)]
    return view if view.shape == tuple(size) else np.broadcast_to(a, size)


EXPAND = Rule("expand", "ExpandBackward0", _expand, ("self",),
              {"self": lambda grad, self_shape: F._sum_to(grad, self_shape)}, dtype="same", jvp="linear")
UNSQUEEZE = Rule("unsqueeze", "UnsqueezeBackward0", lambda a, dim: np.expand_dims(a, dim), ("self",),
                 {"self": lambda grad, dim: grad.squeeze(dim)}, dtype="same", jvp="linear")
SQUEEZE = Rule("squeeze", "SqueezeBackward0", lambda a: np.squeeze(a), ("self",),
               {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
SQUEEZE_DIM = Rule("squeeze", "SqueezeBackward1",
                   lambda a, dim: np.squeeze(a, dim) if a.ndim and a.shape[dim] == 1 else a.view(), ("self",),
                   {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
SQUEEZE_DIMS = Rule("squeeze", "SqueezeBackward2",
                    lambda a, dims: np.squeeze(a, tuple(d for d in dims if a.shape[d] == 1)) if a.ndim else a.view(),
                    ("self",), {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
# matmul squeezes its result in place (squeeze_.dims), which records SqueezeBackward4.
SQUEEZE_DIMS_ = Rule("squeeze_", "SqueezeBackward4", SQUEEZE_DIMS.forward, ("self",),
                     {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
TRANSPOSE = Rule("transpose", "TransposeBackward0", lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1), ("self",),
                 {"self": lambda grad, dim0, dim1: grad.transpose(dim0, dim1)}, dtype="same", jvp="linear")
T = Rule("t", "TBackward0", lambda a: a.T, ("self",), {"self": lambda grad: grad.t()}, dtype="same", jvp="linear")
PERMUTE = Rule("permute", "PermuteBackward0", lambda a, dims: np.transpose(a, dims), ("self",),
               {"self": lambda grad, dims: grad.permute(tuple(np.argsort(dims)))}, dtype="same", jvp="linear")
SELECT = Rule("select", "SelectBackward0", lambda a, dim, index: a[(slice(None),) * dim + (index,)], ("self",),
              {"self": lambda grad, self_shape, dim, index: F.select_backward(grad, self_shape, dim, index)},
              dtype="same", jvp="linear")
SLICE = Rule("slice", "SliceBackward0",
             lambda a, dim, start, end, step: a[(slice(None),) * dim + (slice(start, end, step),)], ("self",),
             {"self": lambda grad, self_shape, dim, start, end, step:
                 F.slice_backward(grad, self_shape, dim, start, end, step)},
             dtype="same", jvp="linear")


def _embed(g, shape, dim, key):
    out = np.zeros(shape, g.dtype)
    out[(slice(None),) * dim + (key,)] = g
    return out


SELECT_BACKWARD = Rule("select_backward", "SelectBackwardBackward0",
                       lambda g, input_sizes, dim, index: _embed(g, input_sizes, dim, index), ("grad_output",),
                       {"grad_output": lambda grad, dim, index: grad.select(dim, index)}, dtype="same", jvp="linear")
SLICE_BACKWARD = Rule("slice_backward", "SliceBackwardBackward0",
                      lambda g, input_sizes, dim, start, end, step: _embed(g, input_sizes, dim,
                                                                           slice(start, end, step)),
                      ("grad_output",),
                      {"grad_output": lambda grad, dim, start, end, step: F._slice(grad, dim, start, end, step)},
                      dtype="same", jvp="linear")


def _index_put_zeros(g, shape, index):
    out = np.zeros(shape, g.dtype)
    np.add.at(out, index, g)
    return out


INDEX = Rule("index", "IndexBackward0", lambda a, index: a[index], ("self",),
             {"self": lambda grad, self_shape, index: F.index_backward(grad, self_shape, index)}, dtype="same",
             jvp="linear")
INDEX_BACKWARD = Rule("index_backward", "IndexPutBackward0",
                      lambda g, shape, index: _index_put_zeros(g, shape, index), ("grad_output",),
                      {"grad_output": lambda grad, index: F._index(grad, index)}, dtype="same", jvp="linear")

# ------------------------------------------------------------------- neural-network ops (refgrad.nn.functional)
_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_ERF_ARRAY = np.vectorize(math.erf, otypes=[np.float64])


def _gelu(a, approximate):
    if approximate == "tanh":
        return 0.5 * a * (1 + np.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a ** 3)))
    return (0.5 * a * (1 + _ERF_ARRAY(a / _SQRT_2))).astype(a.dtype)


def _gelu_derivative(x, approximate):
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x.pow(3))
        t = inner.tanh()
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
    cdf = 0.5 * (1 + (x / _SQRT_2).erf())
    pdf = (-0.5 * x * x).exp() / math.sqrt(2 * math.pi)
    return cdf + x * pdf


GELU = Rule("gelu", "GeluBackward0", quietly(_gelu), ("self",),
            {"self": lambda grad, self, approximate: grad * _gelu_derivative(self, approximate)}, dtype="same",
            jvp="elementwise")
SILU = Rule("silu", "SiluBackward0", quietly(lambda a: a / (1 + np.exp(-a))), ("self",),
            {"self": lambda grad, self: grad * self.sigmoid() * (1 + self * (1 - self.sigmoid()))}, dtype="same",
            jvp="elementwise")
ELU = Rule("elu", "EluBackward0", quietly(lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(a))), ("self",),
           {"self": lambda grad, self, alpha: F.where(self > 0, grad, grad * alpha * self.exp())}, dtype="same",
           jvp="elementwise")
LEAKY_RELU = Rule("leaky_relu", "LeakyReluBackward0",
                  lambda a, negative_slope: np.where(a > 0, a, a * np.asarray(negative_slope, a.dtype)), ("self",),
                  {"self": lambda grad, self, negative_slope: F.where(self > 0, grad, grad * negative_slope)},
                  dtype="same", jvp="elementwise")
SOFTPLUS = Rule("softplus", "SoftplusBackward0",
                quietly(lambda a, beta, threshold: np.where(a * beta > threshold, a, np.log1p(np.exp(a * beta)) / beta)),
                ("self",),
                {"self": lambda grad, self, beta, threshold: F.where(self * beta > threshold, grad,
                                                                     grad * (self * beta).sigmoid())},
                dtype="same", jvp="elementwise")


def _reduce(loss, reduction):
    """A loss's elementwise values reduced as `reduction` says, in refgrad ops."""
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _np_reduce(a, reduction):
    if reduction == "mean":
        return np.mean(a)
    return np.sum(a) if reduction == "sum" else a


def _loss_grad(grad, shape, reduction):
    """The incoming gradient of a reduced loss, spread over the elements (divided by n for a mean)."""
    if reduction == "none":
        return grad
    n = math.prod(shape)
    return grad.expand(shape) / n if reduction == "mean" else grad.expand(shape)


MSE_LOSS = Rule("mse_loss", "MseLossBackward0", lambda a, t, reduction: _np_reduce((a - t) ** 2, reduction),
                ("self", "target"),
                {"self": lambda grad, self, target, reduction:
                    2 * _loss_grad(grad, (self - target).shape, reduction) * (self - target),
                 "target": lambda grad, self, target, reduction:
                    -2 * _loss_grad(grad, (self - target).shape, reduction) * (self - target)}, jvp="reduction")


def _log_clamped(a):
    return np.maximum(np.log(a), -100)


def _bce(x, t, w, reduction):
    loss = -(t * _log_clamped(x) + (1 - t) * _log_clamped(1 - x))
    return _np_reduce(loss if w is None else loss * w, reduction)


def _bce_check(x):
    if np.any((x < 0) | (x > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    return x


def _bce_self(grad, self, target, weight, reduction):
    g = _loss_grad(grad, self.shape, reduction) * (self - target) / ((1 - self) * self).clamp(min=1e-12)
    return g if weight is None else g * weight


def _bce_target(grad, self, weight, reduction):
    g = _loss_grad(grad, self.shape, reduction) * ((1 - self).log().clamp(min=-100) - self.log().clamp(min=-100))
    return g if weight is None else g * weight


BINARY_CROSS_ENTROPY = Rule("binary_cross_entropy", "BinaryCrossEntropyBackward0",
                            quietly(lambda x, t, w, reduction: _bce(_bce_check(x), t, w, reduction)),
                            ("self", "target", "weight"),
                            {"self": _bce_self, "target": _bce_target}, dtype="same", rejects=("weight",),
                            jvp="reduction")


def _bce_logits(x, t, w, pw, reduction):
    log_sig_neg = -np.logaddexp(0, x)     # log(1 - sigmoid(x))
    log_sig = -np.logaddexp(0, -x)        # log(sigmoid(x))
    pos = t * log_sig if pw is None else pw * t * log_sig
    loss = -(pos + (1 - t) * log_sig_neg)
    return _np_reduce(loss if w is None else loss * w, reduction)


def _bce_logits_self(grad, self, target, weight, pos_weight, reduction):
    s = self.sigmoid()
    g = (s - target) if pos_weight is None else ((pos_weight * target + 1 - target) * s - pos_weight * target)
    g = _loss_grad(grad, g.shape, reduction) * g
    return g if weight is None else g * weight


def _bce_logits_target(grad, self, weight, pos_weight, reduction):
    log_sig, log_sig_neg = F.log_sigmoid(self), F.log_sigmoid(-self)
    g = (log_sig_neg - log_sig) if pos_weight is None else (log_sig_neg - pos_weight * log_sig)
    g = _loss_grad(grad, g.shape, reduction) * g
    return g if weight is None else g * weight


BCE_WITH_LOGITS = Rule("binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogitsBackward0",
                       quietly(_bce_logits), ("self", "target", "weight", "pos_weight"),
                       {"self": _bce_logits_self, "target": _bce_logits_target}, dtype="same",
                       rejects=("weight", "pos_weight"), jvp="reduction")
LOG_SIGMOID = Rule("log_sigmoid", "LogSigmoidBackward0", quietly(lambda a: -np.logaddexp(0, -a)), ("self",),
                   {"self": lambda grad, self: grad * (-self).sigmoid()}, dtype="same", jvp="elementwise")


def _nll(x, target, w, reduction, ignore_index):
    """x: [N, C] log-probabilities, target: [N]; returns the loss and the total weight."""
    t = target._data
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    if np.any(valid & ((t < 0) | (t >= x.shape[1]))):
        bad = int(t[valid & ((t < 0) | (t >= x.shape[1]))][0])
        raise IndexError(f"Target {bad} is out of bounds.")
    weights = (np.ones(x.shape[1], x.dtype) if w is None else w)[safe] * valid
    picked = np.take_along_axis(x, safe[:, None], 1)[:, 0]
    loss = -picked * weights
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.sum(loss)
    return np.sum(loss) / np.sum(weights)


def _nll_backward(grad, self, weight, target, reduction, ignore_index):
    valid = target != ignore_index
    safe = F.where(valid, target, 0)
    w = F.ones(self.shape[1], dtype=self.dtype, device=self.device) if weight is None else weight
    per_sample = F.where(valid, w.gather(0, safe), 0.0)
    if reduction == "mean":
        scale = grad / per_sample.sum()
    else:
        scale = grad
    values = (-per_sample * scale).unsqueeze(1)
    return F.zeros(self.shape, dtype=self.dtype, device=self.device).scatter(1, safe.unsqueeze(1), values)


NLL_LOSS = Rule("nll_loss", "NllLossBackward0", lambda x, w, target, reduction, ignore_index:
                _nll(x, target, w, reduction, ignore_index), ("self", "weight"),
                {"self": _nll_backward}, dtype="same", rejects=("weight",), fn_name="nll_loss_forward", jvp="linear")


def _unfold(x, kernel, stride, padding, dilation, pad_value=0.0):
    """im2col over the trailing spatial dims: [N, C, *S] -> [N, C, *kernel, *out]."""
    spatial = x.shape[2:]
    out = tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                for s, k, st, p, d in zip(spatial, kernel, stride, padding, dilation))
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding], constant_values=pad_value)
    cols = np.empty(x.shape[:2] + tuple(kernel) + out, x.dtype)
    for offset in np.ndindex(*kernel):
        key = tuple(slice(o * d, o * d + st * (n - 1) + 1, st) for o, d, st, n in zip(offset, dilation, stride, out))
        cols[(slice(None), slice(None)) + offset] = xp[(slice(None), slice(None)) + key]
    return cols


def _fold(cols, spatial, kernel, stride, padding, dilation):
    """col2im, the adjoint of _unfold: sums each window's values back onto the input positions."""
    out = cols.shape[2 + len(kernel):]
    xp = np.zeros(cols.shape[:2] + tuple(s + 2 * p for s, p in zip(spatial, padding)), cols.dtype)
    for offset in np.ndindex(*kernel):
        key = tuple(slice(o * d, o * d + st * (n - 1) + 1, st) for o, d, st, n in zip(offset, dilation, stride, out))
        xp[(slice(None), slice(None)) + key] += cols[(slice(None), slice(None)) + offset]
    return xp[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(padding, spatial))]


UNFOLD = Rule("im2col", "Im2ColBackward0", lambda a, kernel, stride, padding, dilation:
              _unfold(a, kernel, stride, padding, dilation), ("self",),
              {"self": lambda grad, self_shape, kernel, stride, padding, dilation:
                  F.fold_windows(grad, self_shape[2:], kernel, stride, padding, dilation)}, dtype="same", jvp="linear")
FOLD = Rule("col2im", "Col2ImBackward0", lambda a, spatial, kernel, stride, padding, dilation:
            _fold(a, spatial, kernel, stride, padding, dilation), ("self",),
            {"self": lambda grad, kernel, stride, padding, dilation:
                F.unfold_windows(grad, kernel, stride, padding, dilation)}, dtype="same", jvp="linear")


def _conv(x, w, b, stride, padding, dilation):
    cols = _unfold(x, w.shape[2:], stride, padding, dilation)
    k = len(w.shape) - 2
    out = np.tensordot(w, cols, axes=(list(range(1, 2 + k)), list(range(1, 2 + k))))  # [O, N, *out]
    out = np.moveaxis(out, 0, 1)
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * k)
    return np.ascontiguousarray(out)


def _conv_input_grad(grad, self_shape, weight, stride, padding, dilation):
    k = weight.dim() - 2
    cols = F.tensordot(weight, grad, ([0], [1]))                    # [C, *kernel, N, *out]
    cols = cols.movedim(1 + k, 0)                                   # [N, C, *kernel, *out]
    return F.fold_windows(cols, self_shape[2:], weight.shape[2:], stride, padding, dilation)


def _conv_weight_grad(grad, self, weight_shape, stride, padding, dilation):
    k = len(weight_shape) - 2
    cols = F.unfold_windows(self, weight_shape[2:], stride, padding, dilation)  # [N, C, *kernel, *out]
    out_dims = list(range(2 + k, 2 + 2 * k))
    return F.tensordot(grad, cols, ([0] + [2 + i for i in range(k)], [0] + out_dims))


def _conv_jvp(input_t, weight_t, bias_t, input, weight, stride, padding, dilation):
    out = F.convolution(input_t, weight, None, stride, padding, dilation) + \
        F.convolution(input, weight_t, None, stride, padding, dilation)
    return out if bias_t is None else out + bias_t.reshape((1, -1) + (1,) * (weight.dim() - 2))


CONVOLUTION = Rule("convolution", "ConvolutionBackward0",
                   lambda x, w, b, stride, padding, dilation: _conv(x, w, b, stride, padding, dilation),
                   ("input", "weight", "bias"),
                   {"input": lambda grad, input_shape, weight, stride, padding, dilation:
                       _conv_input_grad(grad, input_shape, weight, stride, padding, dilation),
                    "weight": lambda grad, input, weight_shape, stride, padding, dilation:
                       _conv_weight_grad(grad, input, weight_shape, stride, padding, dilation),
                    "bias": lambda grad: grad.sum([0] + list(range(2, grad.dim())))}, jvp=_conv_jvp)

TENSORDOT = Rule("tensordot", "TensordotBackward0", lambda a, b, dims_a, dims_b: np.tensordot(a, b, (dims_a, dims_b)),
                 ("self", "other"),
                 {"self": lambda grad, other, self_shape, dims_a, dims_b:
                     F.tensordot_backward(grad, other, len(self_shape), dims_a, dims_b, True),
                  "other": lambda grad, self, other_shape, dims_a, dims_b:
                     F.tensordot_backward(grad, self, len(other_shape), dims_b, dims_a, False)},
                 jvp=lambda self_t, other_t, self, other, dims_a, dims_b:
                     F.tensordot(self_t, other, (dims_a, dims_b)) + F.tensordot(self, other_t, (dims_a, dims_b)))


def _pool_windows(x, kernel, stride, padding, pad_value):
    cols = _unfold(x, kernel, stride, padding, (1,) * len(kernel), pad_value)
    n_k = len(kernel)
    return cols.reshape(cols.shape[:2] + (-1,) + cols.shape[2 + n_k:])   # [N, C, K, *out]


def _max_pool_indices(x, kernel, stride, padding):
    """Flat input positions (per channel) of each window's max, as PyTorch's max_pool2d_with_indices gives."""
    positions = np.arange(math.prod(x.shape[2:]), dtype=np.float64).reshape((1, 1) + x.shape[2:])
    pos_cols = _pool_windows(np.broadcast_to(positions, x.shape[:2] + x.shape[2:]), kernel, stride, padding, -1)
    cols = _pool_windows(x, kernel, stride, padding, -np.inf)
    arg = np.argmax(np.where(np.isnan(cols), np.inf, cols), axis=2)[:, :, None]
    return np.take_along_axis(pos_cols, arg, 2)[:, :, 0].astype(np.int64)


MAX_POOL2D = Rule("max_pool2d_with_indices", "MaxPool2DWithIndicesBackward0",
                  lambda x, kernel, stride, padding, indices: np.take_along_axis(
                      x.reshape(x.shape[:2] + (-1,)), indices._data.reshape(indices._data.shape[:2] + (-1,)), 2
                  ).reshape(indices._data.shape), ("self",),
                  {"self": lambda grad, self_shape, indices: F.zeros(
                      tuple(self_shape[:2]) + (math.prod(self_shape[2:]),), dtype=grad.dtype, device=grad.device
                  ).scatter_add(2, indices.flatten(2), grad.flatten(2)).reshape(self_shape)}, dtype="same",
                  jvp="linear")
AVG_POOL2D = Rule("avg_pool2d", "AvgPool2DBackward0",
                  lambda x, kernel, stride, padding: _pool_windows(x, kernel, stride, padding, 0).mean(axis=2),
                  ("self",),
                  {"self": lambda grad, self_shape, kernel, stride, padding: F.fold_windows(
                      (grad / math.prod(kernel)).unsqueeze(2).expand(
                          tuple(grad.shape[:2]) + (math.prod(kernel),) + tuple(grad.shape[2:])).reshape(
                          tuple(grad.shape[:2]) + tuple(kernel) + tuple(grad.shape[2:])),
                      self_shape[2:], kernel, stride, padding, (1,) * len(kernel))}, dtype="same", jvp="linear")


def _layer_norm_parts(x, dims, eps):
    mean = x.mean(dims, True)
    rstd = ((x - mean).pow(2).mean(dims, True) + eps).rsqrt()
    return (x - mean) * rstd, rstd


def _layer_norm(x, w, b, normalized_shape, eps):
    dims = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = np.mean(x, axis=dims, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=dims, keepdims=True)
    out = (x - mean) / np.sqrt(var + np.asarray(eps, x.dtype))
    if w is not None:
        out = out * w
    return out + b if b is not None else out


def _layer_norm_input(grad, input, weight, normalized_shape, eps):
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    xhat, rstd = _layer_norm_parts(input, dims, eps)
    g = grad if weight is None else grad * weight
    return rstd * (g - g.mean(dims, True) - xhat * (g * xhat).mean(dims, True))


def _layer_norm_weight(grad, input, normalized_shape, eps):
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    batch = tuple(range(input.dim() - len(normalized_shape)))
    xhat = _layer_norm_parts(input, dims, eps)[0]
    return (grad * xhat).sum(batch) if batch else grad * xhat


def _layer_norm_jvp(input_t, weight_t, bias_t, input, weight, normalized_shape, eps):
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    xhat, rstd = _layer_norm_parts(input, dims, eps)
    xhat_t = rstd * (input_t - input_t.mean(dims, True) - xhat * (input_t * xhat).mean(dims, True))
    out = xhat_t if weight is None else xhat_t * weight + xhat * weight_t
    return out if bias_t is None else out + bias_t


NATIVE_LAYER_NORM = Rule("native_layer_norm", "NativeLayerNormBackward0", quietly(_layer_norm),
                         ("input", "weight", "bias"),
                         {"input": _layer_norm_input, "weight": _layer_norm_weight,
                          "bias": lambda grad, input_shape, normalized_shape:
                              grad.sum(tuple(range(len(input_shape) - len(normalized_shape))))
                              if len(input_shape) > len(normalized_shape) else grad}, jvp=_layer_norm_jvp)


def _embedding_backward(grad, weight_shape, indices, padding_idx):
    flat = indices.reshape(-1)
    rows = grad.reshape(-1, weight_shape[1])
    if padding_idx is not None:
        rows = rows.masked_fill((flat == padding_idx).unsqueeze(1), 0.0)
    return F.zeros(weight_shape, dtype=grad.dtype, device=grad.device).index_add(0, flat, rows)


EMBEDDING = Rule("embedding", "EmbeddingBackward0", lambda w, indices, padding_idx: w[indices._data], ("weight",),
                 {"weight": _embedding_backward}, dtype="same", jvp="linear")


def _constant_pad(a, pad, value):
    widths = [(0, 0)] * (a.ndim - len(pad) // 2) + [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)][::-1]
    crop = tuple(slice(max(-lo, 0), a.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(widths))
    a = a[crop]
    return np.pad(a, [(max(lo, 0), max(hi, 0)) for lo, hi in widths], constant_values=value)


CONSTANT_PAD = Rule("constant_pad_nd", "ConstantPadNdBackward0", _constant_pad, ("self",),
                    {"self": lambda grad, pad: F.constant_pad(grad, tuple(-p for p in pad), 0.0)}, dtype="same",
                    jvp=lambda self_t, pad: F.constant_pad(self_t, pad, 0.0))


def _padded_index(size, lo, hi, mode):
    """For reflect/replicate padding of one dim: the source index of every output position."""
    i = np.arange(-lo, size + hi)
    if mode == "replicate":
        return np.clip(i, 0, size - 1)
    period = 2 * (size - 1)
    i = np.abs(i) % period if period else np.zeros_like(i)
    return np.where(i >= size, period - i, i)


def _pad_rule(mode, k):
    node = f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{k}DBackward0"

    def forward(a, pad):
        for d in range(k):
            lo, hi = pad[2 * d], pad[2 * d + 1]
            a = np.take(a, _padded_index(a.shape[-1 - d], lo, hi, mode), axis=a.ndim - 1 - d)
        return a

    def backward(grad, self_shape, pad):
        for d in range(k):
            lo, hi = pad[2 * d], pad[2 * d + 1]
            index = _padded_index(self_shape[-1 - d], lo, hi, mode)
            target = tuple(grad.shape[:grad.dim() - 1 - d]) + (self_shape[-1 - d],) + tuple(grad.shape[grad.dim() - d:])
            grad = F.zeros(target, dtype=grad.dtype, device=grad.device).index_add(
                grad.dim() - 1 - d, F.new_tensor(index, device=grad.device), grad)
        return grad

    return Rule(f"{mode}_pad{k}d", node, forward, ("self",), {"self": backward}, dtype="same", jvp="linear")


PADS = {(mode, k): _pad_rule(mode, k) for mode in ("reflect", "replicate") for k in (1, 2, 3)}

DIV_SCALAR = Rule("div", "DivBackward1", lambda a, other: a / np.asarray(other, a.dtype), ("self",),
                  {"self": lambda grad, other: F.div_scalar(grad, other)}, dtype="same", jvp="elementwise")


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
              ("self",), {"self": _repeat_backward}, dtype="same", jvp="linear")
FLIP = Rule("flip", "FlipBackward0", lambda a, dims: np.flip(a, dims).copy(), ("self",),
            {"self": lambda grad, dims: grad.flip(dims)}, dtype="same", jvp="linear")
ROLL = Rule("roll", "RollBackward0",
            lambda a, shifts, dims: np.roll(a, shifts, dims) if dims else np.roll(a.reshape(-1), shifts).reshape(
                a.shape),
            ("self",), {"self": lambda grad, shifts, dims: grad.roll(tuple(-s for s in shifts), dims or None)},
            dtype="same",
            jvp="linear")
TRIL = Rule("tril", "TrilBackward0", lambda a, diagonal: np.tril(a, diagonal), ("self",),
            {"self": lambda grad, diagonal: grad.tril(diagonal)}, dtype="same", jvp="linear")
TRIU = Rule("triu", "TriuBackward0", lambda a, diagonal: np.triu(a, diagonal), ("self",),
            {"self": lambda grad, diagonal: grad.triu(diagonal)}, dtype="same", jvp="linear")
DIAGONAL = Rule("diagonal", "DiagonalBackward0",
                lambda a, offset, dim1, dim2: np.diagonal(a, offset, dim1, dim2).copy(), ("self",),
                {"self": lambda grad, self_shape, offset, dim1, dim2:
                    F.diagonal_backward(grad, self_shape, offset, dim1, dim2)}, dtype="same", jvp="linear")


def _embed_diagonal(g, input_sizes, offset, dim1, dim2):
    out = np.zeros(input_sizes, g.dtype)
    i = np.arange(g.shape[-1])
    np.moveaxis(out, (dim1, dim2), (-2, -1))[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


DIAGONAL_BACKWARD = Rule("diagonal_backward", "DiagonalBackwardBackward0",
                         lambda g, input_sizes, offset, dim1, dim2: _embed_diagonal(g, input_sizes, offset, dim1, dim2),
                         ("grad_output",),
                         {"grad_output": lambda grad, offset, dim1, dim2: grad.diagonal(offset, dim1, dim2)},
                         dtype="same", jvp="linear")


def _split_backward(grads, self_shape, dim, sizes):
    """Concatenates the output gradients along dim, zeros for outputs that got none."""
    like = next(g for g in grads if g is not None)
    shape = list(self_shape)
    parts = []
    for g, n in zip(grads, sizes):
        if g is None:
            shape[dim] = n
            g = F.zeros(shape, dtype=like.dtype, device=like.device)
        parts.append(g)
    return F.cat(parts, dim)


SPLIT = Rule("split", "SplitBackward0", lambda a, dim, sizes: np.split(a, np.cumsum(sizes)[:-1], axis=dim),
             ("self",), {"self": _split_backward},
             dtype="same", n_outputs="many", jvp="linear")
SPLIT_WITH_SIZES = Rule("split_with_sizes", "SplitWithSizesBackward0",
                        lambda a, dim, sizes: np.split(a, np.cumsum(sizes)[:-1], axis=dim), ("self",),
                        {"self": _split_backward},
                        dtype="same", n_outputs="many", jvp="linear")


def _unbind_backward(grads, self_shape, dim):
    like = next(g for g in grads if g is not None)
    zero = F.zeros(like.shape, dtype=like.dtype, device=like.device)
    return F.stack([zero if g is None else g for g in grads], dim)


UNBIND = Rule("unbind", "UnbindBackward0",
              lambda a, dim: [a[(slice(None),) * dim + (i,)] for i in range(a.shape[dim])], ("self",),
              {"self": _unbind_backward}, dtype="same", n_outputs="many", jvp="linear")


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
           ("tensors",), {"tensors": _cat_backward}, variadic=True, jvp="linear")
STACK = Rule("stack", "StackBackward0", lambda *arrays, dim: np.stack(arrays, axis=dim), ("tensors",),
             {"tensors": lambda grad, dim: list(grad.unbind(dim))}, variadic=True, jvp="linear")

# ------------------------------------------------------------------- gather and scatter
GATHER = Rule("gather", "GatherBackward0", lambda a, dim, index: np.take_along_axis(a, index._data, dim),
              ("self",),
              {"self": lambda grad, self_shape, dim, index:
                  F.zeros(self_shape, dtype=grad.dtype, device=grad.device).scatter_add(dim, index, grad)},
              dtype="same", jvp="linear")


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
                "src": lambda grad, dim, index: grad.gather(dim, index)}, dtype="same", jvp="linear")
SCATTER_VALUE = Rule("scatter", "ScatterBackward1",
                     lambda a, dim, index, value: _scatter(a, np.asarray(value, a.dtype), dim, index), ("self",),
                     {"self": lambda grad, dim, index: grad.scatter(dim, index, 0.0)}, dtype="same",
                     jvp=lambda self_t, dim, index: self_t.scatter(dim, index, 0.0))
SCATTER_ADD = Rule("scatter_add", "ScatterAddBackward0",
                   lambda a, src, dim, index: _scatter(a, src, dim, index, "add"), ("self", "src"),
                   {"self": lambda grad: grad,
                    "src": lambda grad, dim, index: grad.gather(dim, index)}, dtype="same", jvp="linear")


def _index_add(a, src, dim, index, alpha=1):
    out = a.copy()
    key = (slice(None),) * dim + (index._data,)
    np.add.at(out, key, src if alpha == 1 else src * np.asarray(alpha, a.dtype))
    return out


INDEX_SELECT = Rule("index_select", "IndexSelectBackward0", lambda a, dim, index: np.take(a, index._data, axis=dim),
                    ("self",),
                    {"self": lambda grad, self_shape, dim, index:
                        F.zeros(self_shape, dtype=grad.dtype, device=grad.device).index_add(dim, index, grad)},
                    dtype="same", jvp="linear")
INDEX_ADD = Rule("index_add", "IndexAddBackward0", _index_add, ("self", "source"),
                 {"self": lambda grad: grad,
                  "source": lambda grad, dim, index, alpha: _scaled(grad.index_select(dim, index), alpha)},
                 dtype="same", jvp="linear")
MASKED_FILL = Rule("masked_fill", "MaskedFillBackward0",
                   lambda a, mask, value: np.where(mask._data, np.asarray(value, a.dtype), a), ("self",),
                   {"self": lambda grad, mask: grad.masked_fill(mask, 0.0)}, dtype="same",
                   jvp=lambda self_t, mask: self_t.masked_fill(mask, 0.0))
MASKED_FILL_TENSOR = Rule("masked_fill", "MaskedFillBackward1", lambda a, v, mask: np.where(mask._data, v, a),
                          ("self", "value"),
                          {"self": lambda grad, mask: grad.masked_fill(mask, 0.0),
                           "value": lambda grad, mask: F.where(mask, grad, 0.0).sum()}, dtype="same", jvp="linear")
MASKED_SELECT = Rule("masked_select", "MaskedSelectBackward0",
                     lambda a, mask: np.broadcast_to(a, np.broadcast_shapes(a.shape, mask._data.shape))[
                         np.broadcast_to(mask._data, np.broadcast_shapes(a.shape, mask._data.shape))],
                     ("self",),
                     {"self": lambda grad, self_shape, mask: F.masked_select_backward(grad, self_shape, mask)},
                     dtype="same", jvp="linear")

# ------------------------------------------------------------------- in-place writes
ZERO = Rule("zero_", "ZeroBackward0", lambda a: np.zeros_like(a), ("self",),
            {"self": lambda grad: F.zeros_like(grad)}, dtype="same", jvp=lambda self_t: F.zeros_like(self_t))
FILL = Rule("fill_", "FillBackward2", lambda a, value: np.full_like(a, value), ("self",),
            {"self": lambda grad: F.zeros_like(grad)}, dtype="same", jvp=lambda self_t: F.zeros_like(self_t))
FILL_TENSOR = Rule("fill_", "FillBackward3", lambda a, v: np.broadcast_to(v, a.shape), ("self", "value"),
                   {"self": lambda grad: F.zeros_like(grad),
                    "value": lambda grad: grad.sum()}, dtype="same", jvp="linear")
COPY = Rule("copy_", "torch::autograd::CopyBackwards", lambda a, src: np.broadcast_to(src, a.shape), ("self", "src"),
            {"self": lambda grad: F.zeros_like(grad),
             "src": lambda grad: grad}, dtype="same", jvp="linear")


def _put(a, v, index):
    out = a.copy()
    out[index] = v
    return out


_PUT_FORMULAS = {"self": lambda grad, index: F._masked_zero(grad, index),
                 "value": lambda grad, index: F._index(grad, index)}
# x[basic index] = v writes through a view (CopySlices); an advanced index runs index_put_.
COPY_SLICES = Rule("copy_", "torch::autograd::CopySlices", _put, ("self", "value"), _PUT_FORMULAS, dtype="same",
                   jvp="linear")
INDEX_PUT = Rule("index_put_", "IndexPutBackward0", _put, ("self", "value"), _PUT_FORMULAS, dtype="same", jvp="linear")

VIEWS = frozenset({VIEW, ALIAS, EXPAND, UNSQUEEZE, SQUEEZE, SQUEEZE_DIM, SQUEEZE_DIMS, SQUEEZE_DIMS_, TRANSPOSE, T,
                   PERMUTE, SELECT, SLICE})
