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

REMAINDER = Rule("remainder", "RemainderBackward0", _quiet(lambda a, b: _checked_int_div(np.remainder, a, b)),
                 ("self", "other"),
                 {"self": lambda grad: grad,
                  "other": lambda grad, self, other: -grad * F.floor_divide(self, other)})

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


COPY_SLICES = Rule("index_put_", "torch::autograd::CopySlices", _put, ("self", "value"),
                   {"self": lambda grad, index: F._masked_zero(grad, index),
                    "value": lambda grad, index: F._index(grad, index)}, dtype="same")

VIEWS = frozenset({VIEW, ALIAS, EXPAND, UNSQUEEZE, SQUEEZE, SQUEEZE_DIM, TRANSPOSE, T, PERMUTE, SELECT, SLICE})
