"""The derivative table: every differentiable op, in one place.

Read it like PyTorch's tools/autograd/derivatives.yaml. Each entry is keyed by the op overload as
PyTorch spells it (`"mul.Tensor"`) and names the grad_fn it records, its NumPy forward, its tensor
inputs, one backward formula per input and its forward-mode rule (refgrad/_rule.py says what each
field means, and checks them when this module is imported). Formulas are written in refgrad's own
ops, so `create_graph=True` differentiates them again. A formula's parameters after `grad` name what
the node keeps for backward: an input (`self`, `other`), the output (`result`), a forward parameter
(`alpha`, `dim`), or an input's shape (`self_shape`) or dtype (`self_scalar_type`, no `_saved_` attribute
in PyTorch). They name what PyTorch's formula reads, even where refgrad's needs less (sgn's zero reads self
and result), since that decides which in-place changes break the backward. What is kept follows PyTorch's codegen: a value read by one input's formula only when that
input requires grad, otherwise always (refgrad/_rule.py, Rule._always_saved).

Broadcast gradients are reduced to each input's shape by the engine, once, so no formula here
calls sum_to; dtype casts back to the input's dtype happen there too. Forward kernels longer than a
line are in refgrad/_kernels.py, formula helpers in refgrad/_formulas.py, dtype rules of particular
ops in refgrad/_promotion.py.
"""
import math

import numpy as np

from . import _formulas as formulas
from . import _kernels as kernels
from . import _promotion as promotion
from ._formulas import ops
from ._layout import copy_as
from ._rule import Table

TABLE = Table()
entry = TABLE.entry


# ------------------------------------------------------------------- composites (Rule.composite)
# What the PyTorch kernel of an op calls with a new (normal) tensor, which runs its own autograd kernel when the op's
# is skipped (every tensor argument an inference tensor).
def _refuses_out(name):
    """An op whose kernel writes through `<name>.out` into a new tensor: that out= op's autograd kernel refuses
    an input that requires grad."""
    def refuse(*operands, **params):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")
    return refuse


def _copies_into_new(self, dtype=None, memory_format=None):
    """clone and _to_copy: their kernels copy_ into a new tensor (CopyBackwards); masked_fill clones first."""
    return ops.copy_(ops.zeros_like(self, dtype=dtype, memory_format=memory_format), self)


def _bce_with_logits_composite(self, target, weight, pos_weight, reduction):
    """binary_cross_entropy_with_logits's kernel: log_sigmoid(input), then C++'s `1 - target` (a new tensor filled
    with 1, then sub_(target)), mul_(input), sub_ the log-sigmoid, mul_(weight), reduced. The in-place ops of that
    new normal tensor record, and refuse to save an inference input that requires grad."""
    log_sig = ops.log_sigmoid(self)
    if pos_weight is not None:
        ops.mul_(log_sig, ops.add_(ops.mul(ops.sub_scalar(pos_weight, 1), target), 1))
    loss = ops.sub_(ops.mul_(ops.sub_(ops.fill_(ops.zeros_like(target), 1), target), self), log_sig)
    if weight is not None:
        ops.mul_(loss, weight)
    return {"mean": ops.mean, "sum": ops.sum}.get(reduction, lambda x: x)(loss)


def _var_composite(self, dim, correction, keepdim):
    """var and std: a reduction to one element of a nonempty input takes the mean first (sum.out)."""
    kept = [n for i, n in enumerate(self._data.shape) if dim is not None and i not in dim]
    if self._data.size and math.prod(kept) == 1:
        _refuses_out("sum")()


def _pow_composite(self, exponent):
    """pow(t, 1) copies t into the result."""
    return _copies_into_new(self) if exponent == 1 else None


def _pow_scalar_base_composite(exponent, base):
    """pow(number, t) writes through pow.out, but for a base of 1 (ones)."""
    if base != 1:
        _refuses_out("pow")()


# ------------------------------------------------------------------- kernel writes (Rule.kernel_writes)
# Functions of (operands, params, result): how often PyTorch's kernel writes its new result in place, where that
# depends on the arguments (a trivial reduction copies or fills instead of reducing).
def _dims(params, ndim, name="dim"):
    dim = params.get(name)
    if dim is None or dim == () or dim == []:
        return range(ndim)
    return [d % max(ndim, 1) for d in ((dim,) if isinstance(dim, int) else dim)]


def _writes_if(condition, count=1):
    return lambda operands, params, result: count if condition(operands[0]._data, params, result._data) else 0


# a reduction over dims of size 1 only (or of an empty tensor) copies (norm) or fills
_TRIVIAL_REDUCTION = _writes_if(lambda a, p, r: not a.size or all(a.shape[d] == 1 for d in _dims(p, a.ndim)))
# var and std reduce to one value (or fill NaN into) through a write; along dims into several values, directly
_VAR_WRITES = _writes_if(lambda a, p, r: not a.size or r.size == 1)
# a flip of dims of size 1 only is a clone
_FLIP_WRITES = _writes_if(lambda a, p, r: not a.size or all(a.shape[d] == 1 for d in _dims(p, a.ndim, "dims")))
# argmax along a dim of size 1 fills in zeros
_ARG_EXTREME_WRITES = _writes_if(lambda a, p, r: p["dim"] is not None and a.ndim and a.shape[p["dim"]] == 1)
_EMPTY_WRITES = _writes_if(lambda a, p, r: not a.size)  # roll, cumsum and cumprod clone or fill an empty tensor
_NONEMPTY_RESULT = _writes_if(lambda a, p, r: r.size, 2)  # max.dim's values and indices: fill, then copy


# ------------------------------------------------------------------- arithmetic
ADD = entry("add.Tensor", "AddBackward0", kernels.with_alpha(np.add), ("self", "other"),
            {"self": lambda grad: grad,
             "other": lambda grad, alpha: formulas.maybe_multiply(grad, alpha)}, jvp="elementwise", takes_out=True)

SUB = entry("sub.Tensor", "SubBackward0", kernels.with_alpha(np.subtract), ("self", "other"),
            {"self": lambda grad: grad,
             "other": lambda grad, alpha: formulas.maybe_multiply(-grad, alpha)}, jvp="elementwise", takes_out=True)

RSUB = entry("rsub.Tensor", "RsubBackward0",
             kernels.reversed_subtract, ("self", "other"),
             {"self": lambda grad, alpha: formulas.maybe_multiply(-grad, alpha),
              "other": lambda grad: grad}, jvp="elementwise", layout=None)  # the kernel lays out other - self

RSUB_SCALAR = entry("rsub.Scalar", "RsubBackward1",
                    lambda a, other, alpha=1: kernels.cast(other, a.dtype) - (a if alpha == 1 else a * alpha),
                    ("self",),
                    {"self": lambda grad, alpha: formulas.maybe_multiply(-grad, alpha)},
                    dtype=promotion.with_scalars("other"), jvp="elementwise",
                    composite=lambda self, other, alpha: ops.call(SUB, (other, self), {"alpha": alpha}))

MUL = entry("mul.Tensor", "MulBackward0", np.multiply, ("self", "other"),
            {"self": lambda grad, other: grad * other,
             "other": lambda grad, self: grad * self}, jvp="elementwise", takes_out=True)

DIV = entry("div.Tensor", "DivBackward0", np.true_divide, ("self", "other"),
            {"self": lambda grad, other: grad / other,
             "other": lambda grad, self, other: -grad * ((self / other) / other)},
            dtype="float", jvp="elementwise", takes_out=True)


DIV_ROUNDING = entry("div.Tensor_mode", "DivBackward2", kernels.div_rounding, ("self", "other"),
                     # the formulas name what PyTorch's saves (its formulas for no rounding mode use them)
                     {"self": lambda grad, other: ops.zeros_like(grad),
                      "other": lambda grad, self, other: ops.zeros_like(grad)}, jvp="elementwise")

REMAINDER = entry("remainder.Tensor", "RemainderBackward1", kernels.remainder,
                  ("self", "other"),
                  {"self": lambda grad: grad,
                   "other": lambda grad, self, other: -grad * ops.div(self, other, rounding_mode="floor")},
                  jvp="elementwise")

REMAINDER_SCALAR = entry("remainder.Scalar", "RemainderBackward0",
                         lambda a, other: kernels.remainder(a, kernels.cast(other, a.dtype)),
                         ("self",), {"self": lambda grad: grad},
                         dtype=promotion.with_scalars("other"), jvp="elementwise",
                         composite=lambda self, other: ops.call(REMAINDER, (self, other), {}))

REMAINDER_SCALAR_TENSOR = entry("remainder.Scalar_Tensor", "torch::autograd::NotImplemented",
                                lambda b, scalar: kernels.remainder(np.asarray(scalar, b.dtype), b),
                                ("other",), {"other": lambda grad: formulas.not_implemented("remainder")},
                                dtype=promotion.with_scalars("scalar"),
                                composite=lambda other, scalar: ops.call(REMAINDER, (scalar, other), {}))

FLOOR_DIVIDE_SCALAR = entry("floor_divide.Scalar", "torch::autograd::NotImplemented",
                            lambda a, other: kernels.div_rounding(a, kernels.cast(other, a.dtype), "floor"),
                            ("self",), {"self": lambda grad: formulas.not_implemented("floor_divide")},
                            dtype=promotion.with_scalars("other"),
                            composite=lambda self, other: ops.call(FLOOR_DIVIDE, (self, other), {}))

FLOOR_DIVIDE = entry("floor_divide", "torch::autograd::NotImplemented",
                     lambda a, b: kernels.div_rounding(a, b, "floor"), ("self", "other"),
                     {"self": lambda grad: formulas.not_implemented("floor_divide"),
                      "other": lambda grad: formulas.not_implemented("floor_divide")}, layout="iterator")


NEG = entry("neg", "NegBackward0", kernels.negative, ("self",),
            {"self": lambda grad: -grad}, dtype="same", jvp="elementwise")

RECIPROCAL = entry("reciprocal", "ReciprocalBackward0", np.reciprocal, ("self",),
                   {"self": lambda grad, result: -grad * (result * result)}, dtype="float", jvp="elementwise")


POW_SCALAR = entry("pow.Tensor_Scalar", "PowBackward0", kernels.pow_scalar,
                   ("self",),
                   {"self": lambda grad, self, exponent: formulas.pow_backward(grad, self, float(exponent))},
                   dtype=promotion.with_scalars("exponent"), jvp="elementwise", composite=_pow_composite)


POW = entry("pow.Tensor_Tensor", "PowBackward1", kernels.power, ("self", "exponent"),
            {"self": lambda grad, self, exponent: ops.where(exponent == 0.0, 0.0,
                                                          grad * (exponent * ops.pow(self, ops.sub_scalar(exponent, 1)))),
             "exponent": lambda grad, self, exponent, result: grad * ops.where(
                 (self == 0.0) & (exponent >= 0), 0.0, result * self.log())}, jvp="elementwise")


POW_SCALAR_BASE = entry("pow.Scalar", "PowBackward2",
                        lambda exponent, base: kernels.power(kernels.cast(base, exponent.dtype), exponent),
                        ("exponent",),
                        {"exponent": lambda grad, exponent, base, result: grad * (
                            ops.where(exponent >= 0, 0.0, ops.mul_scalar(result, formulas.log_scalar(base))) if base == 0
                            else ops.mul_scalar(result, formulas.log_scalar(base)))},
                        dtype=promotion.with_scalars("base"), jvp="elementwise",
                        composite=_pow_scalar_base_composite)


# A tensor times, over, plus or minus a C++ scalar inside a formula (PyTorch's mul.Scalar overload records
# MulBackward1; a Python number in user code is wrapped into a tensor and records MulBackward0 instead). The scalar
# joins type promotion as a wrapped number does (an integer tensor times 0.5 is float).
MUL_SCALAR = entry("mul.Scalar", "MulBackward1", lambda a, other: a * kernels.cast(other, a.dtype), ("self",),
                   {"self": lambda grad, other: ops.mul_scalar(grad, other)}, dtype=promotion.with_scalars("other"),
                   jvp="elementwise")
ADD_SCALAR = entry("add.Scalar", "AddBackward1", lambda a, other: a + kernels.cast(other, a.dtype), ("self",),
                   {"self": lambda grad: grad}, dtype=promotion.with_scalars("other"), jvp="elementwise")
SUB_SCALAR = entry("sub.Scalar", "SubBackward1", lambda a, other: a - kernels.cast(other, a.dtype), ("self",),
                   {"self": lambda grad: grad}, dtype=promotion.with_scalars("other"), jvp="elementwise")
DIV_SCALAR = entry("div.Scalar", "DivBackward1", lambda a, other: a / kernels.cast(other, a.dtype), ("self",),
                   {"self": lambda grad, other: ops.div_scalar(grad, other)},
                   dtype=promotion.float_with_scalars("other"), jvp="elementwise")


# ------------------------------------------------------------------- pointwise math
def _unary(name, node, forward, formula, dtype="float", composite=None, kernel_writes=0):
    """An elementwise op of one tensor: its forward rule is its backward formula (auto_element_wise).
    Its public function, method and in-place method are generated from the entry."""
    return entry(name, node, forward, ("self",), {"self": formula}, dtype=dtype, jvp="elementwise",
                 api="function method inplace", composite=composite, kernel_writes=kernel_writes)


ABS = _unary("abs", "AbsBackward0", kernels.typed("abs_cpu", kernels.NO_BOOL)(np.abs), lambda grad, self: grad * self.sgn(), dtype="same",
             composite=_refuses_out("abs"), kernel_writes=_writes_if(lambda a, p, r: a.dtype.kind == "f"))
SGN = _unary("sgn", "SgnBackward0", kernels.sign, lambda grad, self, result: formulas.sgn_backward(grad, self, result),
             dtype="same")
SIGN = _unary("sign", "SignBackward0", kernels.sign, lambda grad: ops.zeros_like(grad), dtype="same")
EXP = _unary("exp", "ExpBackward0", kernels.rounded_from_float64(np.exp), lambda grad, result: grad * result)
LOG = _unary("log", "LogBackward0", kernels.rounded_from_float64(np.log), lambda grad, self: grad.div(self))
SQRT = _unary("sqrt", "SqrtBackward0", np.sqrt, lambda grad, result: grad / ops.mul_scalar(result, 2))
SIN = _unary("sin", "SinBackward0", kernels.rounded_from_float64(np.sin), lambda grad, self: grad * self.cos())
COS = _unary("cos", "CosBackward0", kernels.rounded_from_float64(np.cos), lambda grad, self: grad * -self.sin())
TANH = _unary("tanh", "TanhBackward0", kernels.rounded_from_float64(np.tanh), lambda grad, result: ops.tanh_backward(grad, result))
SIGMOID = _unary("sigmoid", "SigmoidBackward0", lambda a: 1 / (1 + kernels.EXP(-a)),
                 lambda grad, result: ops.sigmoid_backward(grad, result))
EXP2 = _unary("exp2", "Exp2Backward0", kernels.rounded_from_float64(np.exp2), lambda grad, result: ops.mul_scalar(grad * result, math.log(2.0)))
EXPM1 = _unary("expm1", "Expm1Backward0", kernels.rounded_from_float64(np.expm1), lambda grad, result: grad * ops.add_scalar(result, 1))
LOG2 = _unary("log2", "Log2Backward0", kernels.rounded_from_float64(np.log2), lambda grad, self: grad / ops.mul_scalar(self, math.log(2.0)))
LOG10 = _unary("log10", "Log10Backward0", kernels.rounded_from_float64(np.log10), lambda grad, self: grad / ops.mul_scalar(self, math.log(10.0)))
LOG1P = _unary("log1p", "Log1PBackward0", kernels.rounded_from_float64(np.log1p), lambda grad, self: grad / ops.add_scalar(self, 1))
RSQRT = _unary("rsqrt", "RsqrtBackward0", lambda a: 1 / np.sqrt(a), lambda grad, result: ops.mul_scalar(grad, -0.5) * result.pow(3))
TAN = _unary("tan", "TanBackward0", kernels.rounded_from_float64(np.tan), lambda grad, result: grad * ops.add_scalar(result.pow(2), 1))
ASIN = _unary("asin", "AsinBackward0", kernels.rounded_from_float64(np.arcsin), lambda grad, self: grad * ops.add_scalar(-self * self, 1).rsqrt())
ACOS = _unary("acos", "AcosBackward0", kernels.rounded_from_float64(np.arccos), lambda grad, self: grad * -(ops.add_scalar(-self * self, 1).rsqrt()))
ATAN = _unary("atan", "AtanBackward0", kernels.rounded_from_float64(np.arctan), lambda grad, self: grad / ops.add_scalar(self * self, 1))
SINH = _unary("sinh", "SinhBackward0", kernels.rounded_from_float64(np.sinh), lambda grad, self: grad * self.cosh())
COSH = _unary("cosh", "CoshBackward0", kernels.rounded_from_float64(np.cosh), lambda grad, self: grad * self.sinh())
ERF = _unary("erf", "ErfBackward0", lambda a: np.asarray(kernels.ERF(a), dtype=a.dtype),
             lambda grad, self: ops.mul_scalar((-self.pow(2)).exp(), 2.0 / math.sqrt(math.pi)) * grad)
FLOOR = _unary("floor", "FloorBackward0", kernels.typed("floor_vml_cpu", kernels.NO_BOOL)(np.floor), lambda grad: ops.zeros_like(grad), dtype="same")
CEIL = _unary("ceil", "CeilBackward0", kernels.typed("ceil_vml_cpu", kernels.NO_BOOL)(np.ceil), lambda grad: ops.zeros_like(grad), dtype="same")
ROUND = _unary("round", "RoundBackward0", kernels.typed("round_vml_cpu", kernels.NO_BOOL)(np.round), lambda grad: ops.zeros_like(grad), dtype="same")
TRUNC = _unary("trunc", "TruncBackward0", kernels.typed("trunc_vml_cpu", kernels.NO_BOOL)(np.trunc), lambda grad: ops.zeros_like(grad), dtype="same")
RELU = _unary("relu", "ReluBackward0", kernels.relu,
              lambda grad, result: ops.threshold_backward(grad, result, 0), dtype="same")

# ------------------------------------------------------------------- backward ops that formulas call
# The backward ops of fused formulas are ops too (PyTorch names their nodes `...BackwardBackward0`).
TANH_BACKWARD = entry("tanh_backward", "TanhBackwardBackward0", lambda g, y: g * (1 - y * y), ("grad_output", "output"),
                      {"grad_output": lambda grad, output: ops.tanh_backward(grad, output),
                       "output": lambda grad, output, grad_output: -2 * output * grad_output * grad}, jvp="elementwise")
SIGMOID_BACKWARD = entry("sigmoid_backward", "SigmoidBackwardBackward0", lambda g, y: g * (1 - y) * y,
                         ("grad_output", "output"),
                         {"grad_output": lambda grad, output: ops.sigmoid_backward(grad, output),
                          "output": lambda grad, output, grad_output: grad * grad_output * (1 - 2 * output)},
                         jvp="elementwise")
THRESHOLD_BACKWARD = entry("threshold_backward", "ThresholdBackwardBackward0",
                           lambda g, y, threshold: np.where(y <= threshold, 0, g).astype(g.dtype),
                           ("grad_output", "self"),
                           {"grad_output": lambda grad, self, threshold: ops.threshold_backward(grad, self, threshold),
                            "self": lambda grad: ops.zeros_like(grad)}, jvp="elementwise")

# ------------------------------------------------------------------- binary and ternary pointwise
WHERE = entry("where.self", "WhereBackward0", lambda c, a, b: np.where(c, a, b), ("condition", "self", "other"),
              {"self": lambda grad, condition: ops.where(condition, grad, 0.0),
               "other": lambda grad, condition: ops.where(condition, 0.0, grad)},
              dtype=promotion.promote_after_first, jvp="elementwise")


CLAMP_SCALAR = entry("clamp", "ClampBackward1",
                     lambda a, min=None, max=None: kernels.clip_scalars(a, min, max),
                     ("self",),
                     {"self": lambda grad, self, min, max: ops.where(formulas.in_bounds(self, min, max), grad, 0.0)},
                     dtype=promotion.with_scalars("min", "max"), jvp="elementwise")
CLAMP = entry("clamp.Tensor", "ClampBackward0", kernels.clip_tensors, ("self", "min", "max"),
              {"self": lambda grad, self, min, max: ops.where(formulas.in_bounds(self, min, max), grad, 0.0),
               # with min > max the result is max, so max gets the gradient (PyTorch's clamp_backward_min_max)
               "min": lambda grad, self, min, max: ops.where((self < min) & (min < max) if max is not None
                                                           else self < min, grad, 0.0),
               "max": lambda grad, self, min, max: ops.where((self > max) | (max < min) if min is not None
                                                           else self > max, grad, 0.0)}, jvp=formulas.clamp_jvp,
             layout="iterator")
CLAMP_MIN = entry("clamp_min", "ClampMinBackward0", lambda a, min: kernels.clip_scalars(a, min, None),
                  ("self",), {"self": lambda grad, self, min: ops.where(self >= min, grad, 0.0)},
                  dtype=promotion.with_scalars("min"), jvp="elementwise")
CLAMP_MIN_TENSOR = entry("clamp_min.Tensor", "ClampMinBackward1", lambda a, b: kernels.clip_tensors(a, b, None),
                         ("self", "min"), {"self": lambda grad, self, min: ops.where(self >= min, grad, 0.0),
                                           "min": lambda grad, self, min: ops.where(self < min, grad, 0.0)},
                         jvp="elementwise")
CLAMP_MAX_TENSOR = entry("clamp_max.Tensor", "ClampMaxBackward1", lambda a, b: kernels.clip_tensors(a, None, b),
                         ("self", "max"), {"self": lambda grad, self, max: ops.where(self <= max, grad, 0.0),
                                           "max": lambda grad, self, max: ops.where(self > max, grad, 0.0)},
                         jvp="elementwise")
CLAMP_MAX = entry("clamp_max", "ClampMaxBackward0", lambda a, max: kernels.clip_scalars(a, None, max),
                  ("self",), {"self": lambda grad, self, max: ops.where(self <= max, grad, 0.0)},
                  dtype=promotion.with_scalars("max"), jvp="elementwise")


MAXIMUM = entry("maximum", "MaximumBackward0", kernels.first_on_ties(np.maximum), ("self", "other"),
                {"self": lambda grad, self, other: formulas.select_larger(grad, self, other),
                 "other": lambda grad, self, other: formulas.select_larger(grad, other, self)}, jvp="elementwise",
                api="function method")
MINIMUM = entry("minimum", "MinimumBackward0", kernels.first_on_ties(np.minimum), ("self", "other"),
                {"self": lambda grad, self, other: formulas.select_smaller(grad, self, other),
                 "other": lambda grad, self, other: formulas.select_smaller(grad, other, self)}, jvp="elementwise",
                api="function method")
ATAN2 = entry("atan2", "Atan2Backward0", np.arctan2, ("self", "other"),
              {"self": lambda grad, self, other: grad * other * formulas.atan2_scale(self, other),
               "other": lambda grad, self, other: grad * -self * formulas.atan2_scale(self, other)}, dtype="float",
              jvp="elementwise", api="function method")
ADDCMUL = entry("addcmul", "AddcmulBackward0",
                kernels.typed("addcmul_cpu_out", kernels.NO_BOOL, elementwise=True)(
                    lambda a, t1, t2, value: kernels.fused_multiply_add(np.asarray(value, a.dtype) * t1, t2, a)),
                ("self", "tensor1", "tensor2"),
                {"self": lambda grad: grad,
                 # grad * (tensor2 * value): a C++ Scalar, MulBackward1 even for a value of 1
                 "tensor1": lambda grad, tensor2, value: grad * ops.mul_scalar(tensor2, value),
                 "tensor2": lambda grad, tensor1, value: grad * ops.mul_scalar(tensor1, value)}, jvp="elementwise")
ADDCDIV = entry("addcdiv", "AddcdivBackward0",
                lambda a, t1, t2, value: a + np.asarray(value, a.dtype) * t1 / t2,
                ("self", "tensor1", "tensor2"),
                {"self": lambda grad: grad,
                 "tensor1": lambda grad, tensor2, value: grad * formulas.rdiv_scalar(value, tensor2),
                 "tensor2": lambda grad, tensor1, tensor2, value:
                     -grad * (ops.mul_scalar(tensor1, value) / (tensor2 * tensor2))}, jvp="elementwise")
LERP_SCALAR = entry("lerp.Scalar", "LerpBackward0",
                    kernels.typed("lerp_kernel_scalar")(lambda a, b, weight: kernels.lerp(a, b, np.asarray(weight, a.dtype))),
                    ("self", "end"),
                    {"self": lambda grad, weight: ops.mul_scalar(grad, 1 - weight),
                     "end": lambda grad, weight: ops.mul_scalar(grad, weight)}, jvp="elementwise")
LERP = entry("lerp.Tensor", "LerpBackward1", kernels.typed("lerp_kernel_tensor")(kernels.lerp), ("self", "end", "weight"),
             {"self": lambda grad, weight: grad * formulas.rsub_scalar(1, weight),
              "end": lambda grad, weight: grad * weight,
              "weight": lambda grad, self, end: grad * (end - self)}, jvp="elementwise")
FMOD_SCALAR = entry("fmod.Scalar", "FmodBackward0",
                    lambda a, other: kernels.fmod(a, kernels.cast(other, a.dtype)), ("self",),
                    {"self": lambda grad: grad}, dtype=promotion.with_scalars("other"), jvp="elementwise",
                    composite=lambda self, other: ops.call(FMOD, (self, other), {}))
FMOD = entry("fmod.Tensor", "FmodBackward1", kernels.fmod, ("self", "other"),
             {"self": lambda grad: grad,
              "other": lambda grad, self, other: -grad * ops.div(self, other, rounding_mode="trunc")}, jvp="elementwise")


# ------------------------------------------------------------------- comparisons (never differentiable)
def _compare(key, fn, api="function method"):
    """A comparison: never differentiable, bool out. (`x == 2` runs here too: a Python number joins as a
    wrapped operand, as in the Tensor overload.)"""
    return entry(key, None, fn, ("self", "other"), {}, dtype="bool", api=api, layout="iterator",
                 kernel_writes=int(key.startswith("logical")))  # logical_and's kernel writes through its out=


EQ = _compare("eq.Tensor", np.equal)
NE = _compare("ne.Tensor", np.not_equal)
LT = _compare("lt.Tensor", np.less)
LE = _compare("le.Tensor", np.less_equal)
GT = _compare("gt.Tensor", np.greater)
GE = _compare("ge.Tensor", np.greater_equal)
LOGICAL_AND = _compare("logical_and", np.logical_and, api="function method inplace")
LOGICAL_OR = _compare("logical_or", np.logical_or, api="function method inplace")
LOGICAL_XOR = _compare("logical_xor", np.logical_xor, api="function method inplace")
LOGICAL_NOT = entry("logical_not", None, np.logical_not, ("self",), {}, dtype="bool", api="function method inplace",
                    kernel_writes=1)  # its kernel writes through logical_not.out
BITWISE_AND = entry("bitwise_and.Tensor", None, kernels.typed("bitwise_and_cpu", kernels.INTEGRAL, elementwise=True)(np.bitwise_and),
                    ("self", "other"), {}, layout="iterator")
BITWISE_OR = entry("bitwise_or.Tensor", None, kernels.typed("bitwise_or_cpu", kernels.INTEGRAL, elementwise=True)(np.bitwise_or),
                   ("self", "other"), {}, layout="iterator")
BITWISE_XOR = entry("bitwise_xor.Tensor", None, kernels.typed("bitwise_xor_cpu", kernels.INTEGRAL, elementwise=True)(np.bitwise_xor),
                    ("self", "other"), {}, layout="iterator")
BITWISE_NOT = entry("bitwise_not", None, kernels.typed("bitwise_not_cpu", kernels.INTEGRAL)(np.invert), ("self",), {},
                    dtype="same", api="function method inplace")
ISFINITE = entry("isfinite", None, np.isfinite, ("self",), {}, dtype="bool", api="function method",
                 composite=_refuses_out("abs"))  # PyTorch's isfinite and isinf read self.abs()
ISNAN = entry("isnan", None, np.isnan, ("self",), {}, dtype="bool", api="function method")
ISINF = entry("isinf", None, np.isinf, ("self",), {}, dtype="bool", api="function method",
              composite=_refuses_out("abs"))
ISPOSINF = entry("isposinf", None, np.isposinf, ("self",), {}, dtype="bool", api="function method")
ISNEGINF = entry("isneginf", None, np.isneginf, ("self",), {}, dtype="bool", api="function method")


# ------------------------------------------------------------------- reductions
SUM = entry("sum", "SumBackward0", lambda a, dtype=None: np.add.reduce(a, axis=None), ("self",),
            {"self": lambda grad, self_shape: grad.expand(self_shape)}, dtype=promotion.sum_dtype, jvp="linear",
            kernel_writes=1)

SUM_DIM = entry("sum.dim_IntList", "SumBackward1",
                lambda a, dim, keepdim, dtype=None: np.add.reduce(a, axis=dim, keepdims=keepdim),
                ("self",),
                {"self": lambda grad, self_shape, dim, keepdim:
                    formulas.unsqueeze_dims(grad, dim, len(self_shape), keepdim).expand(self_shape)},
                dtype=promotion.sum_dtype, jvp="linear", layout="contiguous", kernel_writes=1)


MEAN = entry("mean", "MeanBackward0", lambda a, dtype=None: kernels.mean(a), ("self",),
             {"self": lambda grad, self_shape: ops.div_scalar(grad.expand(self_shape), math.prod(self_shape))},
             dtype=promotion.mean_dtype, jvp="linear", composite=_refuses_out("sum"), kernel_writes=2)

MEAN_DIM = entry("mean.dim", "MeanBackward1",
                 lambda a, dim, keepdim, dtype=None: kernels.mean(a, axis=dim, keepdims=keepdim), ("self",),
                 {"self": lambda grad, self_shape, dim, keepdim: ops.div_scalar(
                     formulas.unsqueeze_dims(grad, dim, len(self_shape), keepdim).expand(self_shape),
                     formulas.reduced_numel(self_shape, dim))},
                 dtype=promotion.mean_dtype, jvp="linear", composite=_refuses_out("sum"),
                 layout="contiguous", kernel_writes=2)


LINALG_VECTOR_NORM = entry("linalg_vector_norm", "LinalgVectorNormBackward0", kernels.vector_norm, ("self",),
                           {"self": formulas.norm_backward},
                           dtype=lambda operands, p: p.get("dtype") or promotion.float_input(operands[0], "linalg.vector_norm"),
                           jvp="reduction", kernel_writes=_TRIVIAL_REDUCTION)


PROD = entry("prod", "ProdBackward0", lambda a, dtype=None: np.prod(a), ("self",),
             {"self": lambda grad, self, result: formulas.prod_backward(grad, self, result)}, dtype=promotion.sum_dtype, jvp="reduction",
             kernel_writes=1)
PROD_DIM = entry("prod.dim_int", "ProdBackward1", lambda a, dim, keepdim, dtype=None: np.prod(a, axis=dim, keepdims=keepdim),
                 ("self",), {"self": formulas.prod_backward}, dtype=promotion.sum_dtype, jvp="reduction",
                 kernel_writes=1)


MAX = entry("max", "MaxBackward1", kernels.nan_extreme("max"), ("self",), {"self": formulas.evenly_distribute},
            params=(), dtype="same", jvp=formulas.evenly_read_jvp, kernel_writes=1)
MIN = entry("min", "MinBackward1", kernels.nan_extreme("min"), ("self",), {"self": formulas.evenly_distribute},
            params=(), dtype="same", jvp=formulas.evenly_read_jvp, kernel_writes=1)


MAX_DIM = entry("max.dim", "MaxBackward0", kernels.selected_by_indices,
                ("self",), {"self": formulas.value_selecting_backward}, dtype="same", jvp="reduction",
                output_params=("indices",), kernel_writes=_NONEMPTY_RESULT)
MIN_DIM = entry("min.dim", "MinBackward0", kernels.selected_by_indices,
                ("self",), {"self": formulas.value_selecting_backward}, dtype="same", jvp="reduction",
                output_params=("indices",), kernel_writes=_NONEMPTY_RESULT)


AMAX = entry("amax", "AmaxBackward0", lambda a, dim, keepdim: kernels.amin_amax(-1, a, dim, keepdim),
             ("self",), {"self": formulas.scale_by_count}, dtype="same", jvp="reduction",
             kernel_writes=_writes_if(lambda a, p, r: r.size))
AMIN = entry("amin", "AminBackward0", lambda a, dim, keepdim: kernels.amin_amax(1, a, dim, keepdim),
             ("self",), {"self": formulas.scale_by_count}, dtype="same", jvp="reduction",
             kernel_writes=_writes_if(lambda a, p, r: r.size))


VAR = entry("var.correction", "VarBackward0", kernels.var, ("self",), {"self": formulas.var_backward}, dtype="same", jvp="reduction",
            composite=_var_composite, kernel_writes=_VAR_WRITES)
STD = entry("std.correction", "StdBackward0",
            lambda a, dim, correction, keepdim: kernels.var(a, dim, correction, keepdim, take_sqrt=True), ("self",),
            {"self": formulas.std_backward},
            dtype="same", jvp="reduction", composite=_var_composite, kernel_writes=_VAR_WRITES)


LOGSUMEXP = entry("logsumexp", "LogsumexpBackward0", kernels.logsumexp, ("self",),
                  {"self": lambda grad, self, result, dim, keepdim:
                      formulas.keep(grad, dim, self.dim(), keepdim) * (self - formulas.keep(result, dim, self.dim(), keepdim)).exp()},
                  dtype="float", jvp="reduction", composite=_refuses_out("logsumexp"), kernel_writes=1)


SOFTMAX = entry("_softmax", "SoftmaxBackward0", lambda a, dim, dtype=None: kernels.softmax(a, dim), ("self",),
                {"self": lambda grad, result, dim: ops.softmax_backward_data(grad, result, dim)},
                dtype=promotion.given_or_input, layout="contiguous",
                jvp=lambda self_t, result, dim: result * (self_t - (self_t * result).sum(dim, True)))
LOG_SOFTMAX = entry("_log_softmax", "LogSoftmaxBackward0", lambda a, dim, dtype=None: kernels.log_softmax(a, dim),
                    ("self",),
                    {"self": lambda grad, result, dim: ops.log_softmax_backward_data(grad, result, dim)},
                    dtype=promotion.given_or_input, layout="contiguous",
                    jvp=lambda self_t, result, dim: self_t - (self_t * result.exp()).sum(dim, True))
# Their gradients are ops of their own (PyTorch's _softmax_backward_data, _log_softmax_backward_data): under
# create_graph=True the gradient's grad_fn is SoftmaxBackwardDataBackward0, and it requires grad through the
# saved output even when the incoming gradient does not.
SOFTMAX_BACKWARD = entry("_softmax_backward_data", "SoftmaxBackwardDataBackward0", kernels.softmax_backward,
                         ("grad_output", "output"),
                         {"grad_output": lambda grad, output, dim: ops.softmax_backward_data(grad, output, dim),
                          "output": lambda grad, output, grad_output, dim:
                              formulas.softmax_double_backward(grad, grad_output, dim, output)},
                         jvp=formulas.softmax_backward_jvp)
LOG_SOFTMAX_BACKWARD = entry("_log_softmax_backward_data", "LogSoftmaxBackwardDataBackward0",
                             kernels.log_softmax_backward, ("grad_output", "output"),
                             {"grad_output": lambda grad, output, dim: grad - (grad * output.exp()).sum(dim, True),
                              "output": lambda grad, output, grad_output, dim:
                                  -grad_output.sum(dim, True) * output.exp() * grad},
                             jvp=formulas.log_softmax_backward_jvp)

CUMSUM = entry("cumsum", "CumsumBackward0", kernels.cumulative(np.cumsum), ("self",),
               {"self": lambda grad, self_scalar_type, dim: formulas.cumsum_backward(grad.to(self_scalar_type), dim)},
               dtype=promotion.sum_dtype, jvp="linear", layout="contiguous", kernel_writes=_EMPTY_WRITES)


CUMPROD = entry("cumprod", "CumprodBackward0", kernels.cumulative(np.cumprod), ("self",),
                {"self": lambda grad, self, result, dim:
                    formulas.cumprod_backward(grad.to(self.dtype), self, result, dim)},
                dtype=promotion.sum_dtype, jvp=formulas.cumprod_jvp, layout="contiguous", kernel_writes=_EMPTY_WRITES)

ALL = entry("all", None, lambda a, dim=None, keepdim=False: np.all(a, axis=dim, keepdims=keepdim), ("self",), {},
            dtype=promotion.bool_or_uint8, layout="contiguous", kernel_writes=1)
ANY = entry("any", None, lambda a, dim=None, keepdim=False: np.any(a, axis=dim, keepdims=keepdim), ("self",), {},
            dtype=promotion.bool_or_uint8, layout="contiguous", kernel_writes=1)
ARGMAX = entry("argmax", None, lambda a, dim=None, keepdim=False: kernels.arg_extreme("argmax", a, dim, keepdim),
               ("self",), {}, dtype="index", layout="contiguous",
               kernel_writes=_ARG_EXTREME_WRITES)
ARGMIN = entry("argmin", None, lambda a, dim=None, keepdim=False: kernels.arg_extreme("argmin", a, dim, keepdim),
               ("self",), {}, dtype="index", layout="contiguous",
               kernel_writes=_ARG_EXTREME_WRITES)


# ------------------------------------------------------------------- linear algebra
MV = entry("mv", "MvBackward0", np.matmul, ("self", "vec"),
           {"self": lambda grad, vec: ops.outer(grad, vec),
            "vec": lambda grad, self: self.t().mv(grad)},
           jvp=lambda self_t, vec_t, self, vec: self_t.mv(vec) + self.mv(vec_t), kernel_writes=1)
MM = entry("mm", "MmBackward0", kernels.mm, ("self", "mat2"),
           {"self": lambda grad, mat2, self_shape, self_sym_strides:
               formulas.mm_mat1_backward(grad, mat2, self_shape, self_sym_strides),
            "mat2": lambda grad, self, mat2_shape, mat2_sym_strides:
               formulas.mm_mat2_backward(grad, self, mat2_shape, mat2_sym_strides)},
           jvp=lambda self_t, mat2_t, self, mat2: self_t.mm(mat2) + self.mm(mat2_t))
BMM = entry("bmm", "BmmBackward0", kernels.bmm, ("self", "mat2"),
            {"self": lambda grad, mat2: grad.bmm(mat2.transpose(1, 2)),
             "mat2": lambda grad, self: self.transpose(1, 2).bmm(grad)},
            jvp=lambda self_t, mat2_t, self, mat2: self_t.bmm(mat2) + self.bmm(mat2_t))
# beta * self + alpha * mat1 @ mat2; a scale of 1 multiplies nothing (PyTorch's maybe_multiply)
ADDMM = entry("addmm", "AddmmBackward0", kernels.addmm, ("self", "mat1", "mat2"),
              {"self": lambda grad, beta: formulas.maybe_multiply(grad, beta),
               "mat1": lambda grad, mat2, mat1_shape, mat1_sym_strides, alpha:
                   formulas.maybe_multiply(formulas.mm_mat1_backward(grad, mat2, mat1_shape, mat1_sym_strides), alpha),
               "mat2": lambda grad, mat1, mat2_shape, mat2_sym_strides, alpha:
                   formulas.maybe_multiply(formulas.mm_mat2_backward(grad, mat1, mat2_shape, mat2_sym_strides), alpha)},
              jvp=lambda self_t, mat1_t, mat2_t, mat1, mat2, beta, alpha: formulas.maybe_multiply(self_t, beta) +
              formulas.maybe_multiply(mat1_t.mm(mat2) + mat1.mm(mat2_t), alpha),
              kernel_writes=_writes_if(lambda a, p, r: p["beta"] != 0))


# det's gradient is the cofactor matrix, det(A) A^-T (formulas.det_backward: an LU solve, or linalg.solve and
# linalg.svd under create_graph); of a 1x1 (or empty) matrix it is the constant 1, which does not require grad
# under create_graph=True, as in PyTorch
LINALG_DET = entry("linalg_det", "LinalgDetBackward0", kernels.det, ("A",),
                   {"A": formulas.det_backward}, dtype="same",
                   jvp=formulas.det_jvp, kernel_writes=1)
LINALG_INV = entry("linalg_inv_ex", "LinalgInvExBackward0", lambda a: kernels.column_major(kernels.inv(a)),
                   ("A",),
                   {"A": lambda grad, result: -(result.transpose(-2, -1) @ (grad @ result.transpose(-2, -1)))},
                   dtype="same", jvp=lambda A_t, result: -(result @ A_t @ result), kernel_writes=3)

# linalg.solve's forward is getrf of A^T and a transposed getrs, as PyTorch's for a contiguous A
LINALG_SOLVE = entry("linalg_solve_ex", "LinalgSolveExBackward0", kernels.solve_rhs, ("A", "B"),
                     {"A": lambda grad, A, result: formulas.solve_backward(grad, A, result, "A"),
                      "B": lambda grad, A, result: formulas.solve_backward(grad, A, result, "B")},
                     dtype="same", jvp=formulas.solve_jvp)
LINALG_SVD = entry("linalg_svd", "LinalgSvdBackward0", kernels.svd, ("A",), {"A": formulas.svd_backward},
                   dtype="same", n_outputs="many")

DOT = entry("dot", "DotBackward0", np.dot, ("self", "tensor"),
            {"self": lambda grad, tensor: grad * tensor,
             "tensor": lambda grad, self: grad * self},
            jvp=lambda self_t, tensor_t, self, tensor: self_t.dot(tensor) + self.dot(tensor_t), kernel_writes=1)

# ------------------------------------------------------------------- copies and casts
# A clone keeps its input's layout (preserve_format, as np.copy's order "K") unless asked for a contiguous one
# (contiguous(), reshape's copy: PyTorch's clone(at::MemoryFormat::Contiguous)).
CLONE = entry("clone", "CloneBackward0",
              lambda a, memory_format=None: copy_as(a, memory_format),
              ("self",), {"self": lambda grad: grad}, dtype="same", jvp="elementwise", composite=_copies_into_new,
              layout=None, kernel_writes=1)
TO_COPY = entry("_to_copy", "ToCopyBackward0", lambda a, dtype, memory_format=None: copy_as(a, memory_format), ("self",),
                {"self": lambda grad: grad}, dtype=lambda operands, p: p["dtype"], jvp="linear",
                composite=_copies_into_new, kernel_writes=1)

# ------------------------------------------------------------------- views (results share the input's data)
VIEW = entry("view", "ViewBackward0", lambda a, size: a.reshape(size), ("self",),
             {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
UNSAFE_VIEW = entry("_unsafe_view", "UnsafeViewBackward0", lambda a, size: a.reshape(size), ("self",),
                     {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
RESHAPE_ALIAS = entry("_reshape_alias", "ReshapeAliasBackward0", lambda a, size: a.reshape(size), ("self",),
                      {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
# A view whose base (or another view of it) was modified in place: PyTorch regenerates its grad_fn as
# as_strided of the base; `positions` (refgrad/_kernels.py view_positions) are its elements' places in the base.
AS_STRIDED = entry("as_strided", "AsStridedBackward0", kernels.at_positions, ("self",),
                   {"self": lambda grad, self_shape, positions: ops.positions_backward(grad, self_shape, positions)},
                   dtype="same", jvp="linear")
ALIAS = entry("alias", "AliasBackward0", lambda a: a.view(), ("self",), {"self": lambda grad: grad}, dtype="same",
              jvp="linear")
IDENTITY = entry("_fw_primal", "torch::autograd::Identity", lambda a: a.view(), ("self",), {"self": lambda grad: grad},
                 dtype="same", jvp="linear")


EXPAND = entry("expand", "ExpandBackward0", kernels.expand, ("self",),
               {"self": lambda grad, self_shape: formulas.sum_to(grad, self_shape)}, dtype="same", jvp="linear")
UNSQUEEZE = entry("unsqueeze", "UnsqueezeBackward0", lambda a, dim: np.expand_dims(a, dim), ("self",),
                  {"self": lambda grad, dim: grad.squeeze(dim)}, dtype="same", jvp="linear")
SQUEEZE = entry("squeeze", "SqueezeBackward0", lambda a: np.squeeze(a), ("self",),
                {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
SQUEEZE_DIM = entry("squeeze.dim", "SqueezeBackward1",
                    lambda a, dim: np.squeeze(a, dim) if a.ndim and a.shape[dim] == 1 else a.view(), ("self",),
                    {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
SQUEEZE_DIMS = entry("squeeze.dims", "SqueezeBackward2",
                     lambda a, dims: np.squeeze(a, tuple(d for d in dims if a.shape[d] == 1)) if a.ndim else a.view(),
                     ("self",), {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
# matmul squeezes its result in place (squeeze_.dims), which records SqueezeBackward4.
SQUEEZE_DIMS_ = entry("squeeze_.dims", "SqueezeBackward4", SQUEEZE_DIMS.forward, ("self",),
                      {"self": lambda grad, self_shape: grad.reshape(self_shape)}, dtype="same", jvp="linear")
TRANSPOSE = entry("transpose.int", "TransposeBackward0",
                  lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1) if a.ndim else a.view(), ("self",),
                  {"self": lambda grad, dim0, dim1: grad.transpose(dim0, dim1)}, dtype="same", jvp="linear")
T = entry("t", "TBackward0", lambda a: a.T, ("self",), {"self": lambda grad: grad.t()}, dtype="same", jvp="linear")
PERMUTE = entry("permute", "PermuteBackward0", lambda a, dims: np.transpose(a, dims), ("self",),
                {"self": lambda grad, dims: grad.permute(tuple(np.argsort(dims)))}, dtype="same", jvp="linear")
# Ellipsis keeps every result an array that shares the base's memory (a[i] of a 1-d array is a copied scalar).
SELECT = entry("select.int", "SelectBackward0", lambda a, dim, index: a[(slice(None),) * dim + (index, Ellipsis)],
               ("self",),
               {"self": lambda grad, self_shape, dim, index: ops.select_backward(grad, self_shape, dim, index)},
               dtype="same", jvp="linear")
SLICE = entry("slice.Tensor", "SliceBackward0",
              lambda a, dim, start, end, step: a[(slice(None),) * dim + (slice(start, end, step),)], ("self",),
              {"self": lambda grad, self_shape, dim, start, end, step:
                  ops.slice_backward(grad, self_shape, dim, start, end, step)},
              dtype="same", jvp="linear")


SELECT_BACKWARD = entry("select_backward", "SelectBackwardBackward0",
                        lambda g, input_sizes, dim, index: kernels.embed(g, input_sizes, dim, index), ("grad_output",),
                        {"grad_output": lambda grad, dim, index: grad.select(dim, index)}, dtype="same", jvp="linear")
SLICE_BACKWARD = entry("slice_backward", "SliceBackwardBackward0",
                       lambda g, input_sizes, dim, start, end, step: kernels.embed(g, input_sizes, dim,
                                                                            slice(start, end, step)),
                       ("grad_output",),
                       {"grad_output": lambda grad, dim, start, end, step: ops._slice(grad, dim, start, end, step)},
                       dtype="same", jvp="linear")


# `indices`, the index's tensors, are saved as PyTorch saves them, so an in-place change to one is detected.
INDEX = entry("index.Tensor", "IndexBackward0", lambda a, index, indices=(): a[index], ("self",),
              {"self": lambda grad, self_shape, index, indices: ops.index_backward(grad, self_shape, index)},
              dtype="same", jvp="linear")
# index's backward, as PyTorch's index_backward: _index_put_impl_(zeros, indices, grad, accumulate=True), so
# under create_graph its node is IndexPutImplBackward0 with the zeros' empty edge first
INDEX_BACKWARD = entry("_index_put_impl_", "IndexPutImplBackward0",
                       lambda zeros, g, index: kernels.accumulated_put(zeros, g, index), ("self", "values"),
                       {"self": lambda grad, index: ops._masked_zero(grad, index),  # never runs: fresh zeros
                        "values": lambda grad, index: ops._index(grad, index)}, dtype="same", jvp="linear")


# ------------------------------------------------------------------- neural-network ops (refgrad.nn.functional)
GELU = entry("gelu", "GeluBackward0", kernels.typed("GeluKernelImpl")(kernels.gelu), ("self",),
             {"self": lambda grad, self, approximate: ops.gelu_backward(grad, self, approximate)}, dtype="same",
             jvp="elementwise")
GELU_BACKWARD = entry("gelu_backward", "GeluBackwardBackward0", kernels.gelu_backward, ("grad_output", "self"),
                      {"grad_output": lambda grad, self, approximate: ops.gelu_backward(grad, self, approximate),
                       "self": lambda grad, self, grad_output, approximate:
                           formulas.gelu_double_backward(grad, grad_output, self, approximate)}, jvp="elementwise")
SILU = entry("silu", "SiluBackward0", kernels.typed("silu_cpu")(lambda a: a / (1 + kernels.EXP(-a))), ("self",),
             {"self": lambda grad, self: formulas.silu_backward(grad, self)}, dtype="same",
             jvp="elementwise")
ELU = entry("elu", "EluBackward0", kernels.typed("elu_cpu")(lambda a, alpha: np.where(a > 0, a, alpha * kernels.EXPM1(a))),
            ("self",),
            {"self": lambda grad, self, alpha: ops.elu_backward(grad, self, alpha)}, dtype="same", jvp="elementwise")
LEAKY_RELU = entry("leaky_relu", "LeakyReluBackward0",
                   kernels.typed("leaky_relu_cpu")(
                       lambda a, negative_slope: np.where(a > 0, a, a * np.asarray(negative_slope, a.dtype))), ("self",),
                   {"self": lambda grad, self, negative_slope: ops.leaky_relu_backward(grad, self, negative_slope)},
                   dtype="same", jvp="elementwise")
# Their in-place forms overwrite the input, so PyTorch's node reads the output instead (*Backward1, saving result).
LEAKY_RELU_ = entry("leaky_relu_", "LeakyReluBackward1", LEAKY_RELU.forward, ("self",),
                    {"self": lambda grad, result, negative_slope:
                        formulas.leaky_relu_backward_of_result(grad, result, negative_slope)},
                    dtype="same", jvp="elementwise")
# elu_ with its scales, as PyTorch's: selu_ runs elu_ with selu's (EluBackward1 too)
ELU_ = entry("elu_", "EluBackward1", kernels.typed("elu_cpu")(kernels.scaled_elu), ("self",),
             {"self": lambda grad, result, alpha, scale, input_scale:
                 formulas.elu_backward_of_result(grad, result, alpha, scale, input_scale)},
             params=("alpha", "scale", "input_scale"), dtype="same", jvp="elementwise")
SOFTPLUS = entry("softplus", "SoftplusBackward0",
                 kernels.typed("softplus_cpu")(
                     lambda a, beta, threshold: np.where(a * beta > threshold, a, kernels.LOG1P(kernels.EXP(a * beta)) / beta)),
                 ("self",), {"self": lambda grad, self, beta, threshold: ops.softplus_backward(grad, self, beta, threshold)},
                 dtype="same", jvp="elementwise")
# Their backward ops, as PyTorch's: the first-order gradient has a grad_fn of its own, and its derivative
# for self is PyTorch's double-backward formula (which, at a kink, takes the side the gradient does not).
ELU_BACKWARD = entry("elu_backward", "EluBackwardBackward0",
                     kernels.elu_backward,
                     ("grad_output", "self"),
                     {"grad_output": lambda grad, self, alpha: ops.elu_backward(grad, self, alpha),
                      "self": lambda grad, self, alpha, grad_output:
                          ops.elu_backward(grad * grad_output, self, alpha) * (self < 0)}, jvp="elementwise")
LEAKY_RELU_BACKWARD = entry("leaky_relu_backward", "LeakyReluBackwardBackward0",
                            lambda g, x, negative_slope: np.where(x > 0, g, g * np.asarray(negative_slope, g.dtype)),
                            ("grad_output", "self"),
                            {"grad_output": lambda grad, self, negative_slope:
                                ops.leaky_relu_backward(grad, self, negative_slope),
                             "self": lambda grad: ops.zeros_like(grad)}, jvp="elementwise")
SOFTPLUS_BACKWARD = entry("softplus_backward", "SoftplusBackwardBackward0",
                          lambda g, x, beta, threshold: np.where(x * beta > threshold, g,
                                                                 g / (1 + kernels.EXP(-x * np.asarray(beta, x.dtype)))),
                          ("grad_output", "self"),
                          {"grad_output": lambda grad, self, beta, threshold:
                              ops.softplus_backward(grad, self, beta, threshold),
                           "self": lambda grad, self, beta, threshold, grad_output:
                               formulas.softplus_double_backward(grad * grad_output, self, beta, threshold)},
                          jvp="elementwise")


MSE_LOSS = entry("mse_loss", "MseLossBackward0",
                 kernels.typed("mse_cpu")(lambda a, t, reduction: kernels.np_reduce((a - t) ** 2, reduction)),
                 ("self", "target"),
                 # F.mse_loss broadcasts self and target first, so they have one shape here
                 {"self": lambda grad, self, target, reduction: ops.mse_loss_backward(grad, self, target, reduction),
                  "target": lambda grad, self, target, reduction: ops.mse_loss_backward(grad, target, self, reduction)},
                 jvp="reduction", kernel_writes=_writes_if(lambda a, p, r: p["reduction"] != "none", 2))
MSE_LOSS_BACKWARD = entry("mse_loss_backward", "MseLossBackwardBackward0", kernels.mse_backward,
                          ("grad_output", "self", "target"),
                          {"grad_output": lambda grad, self, target, reduction:
                              ops.mse_loss_backward(grad, self, target, reduction),
                           "self": lambda grad, self, grad_output, reduction:
                              formulas.mse_loss_double_backward(grad * grad_output, self, reduction),
                           "target": lambda grad, target, grad_output, reduction:
                              -formulas.mse_loss_double_backward(grad * grad_output, target, reduction)},
                          jvp="elementwise")


BINARY_CROSS_ENTROPY = entry("binary_cross_entropy", "BinaryCrossEntropyBackward0",
                             kernels.typed("binary_cross_entropy")(
                                 lambda x, t, w, reduction: kernels.bce(kernels.bce_check(x), t, w, reduction)),
                             ("self", "target", "weight"),
                             {"self": formulas.bce_self, "target": formulas.bce_target}, dtype="same", rejects=("weight",),
                             jvp="reduction")
BCE_BACKWARD = entry("binary_cross_entropy_backward", "BinaryCrossEntropyBackwardBackward0", kernels.bce_backward,
                     ("grad_output", "self", "target"),
                     {"grad_output": lambda grad, self, target, weight, reduction:
                         formulas.bce_double_backward_grad_output(grad, self, target, weight, reduction),
                      "self": lambda grad, self, target, grad_output, weight, reduction:
                         formulas.bce_double_backward(grad_output, grad, self, target, weight, reduction),
                      "target": lambda grad, self, target, grad_output, weight, reduction:
                         formulas.bce_double_backward_target(grad, grad_output, self, target, weight, reduction)},
                     jvp="elementwise")


BCE_WITH_LOGITS = entry("binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogitsBackward0",
                        kernels.bce_logits, ("self", "target", "weight", "pos_weight"),
                        {"self": formulas.bce_logits_self, "target": formulas.bce_logits_target},
                        dtype=promotion.of_target, rejects=("weight", "pos_weight"), jvp="reduction",
                        composite=_bce_with_logits_composite,
                        kernel_writes=lambda operands, p, result: 0 if p["reduction"] != "none" else
                        4 + (operands[2] is not None))  # fill_, sub_, mul_, sub_ (and mul_ by the weight)
LOG_SIGMOID = entry("log_sigmoid_forward", "LogSigmoidBackward0", kernels.log_sigmoid, ("self",),
                    {"self": lambda grad, self: ops.log_sigmoid_backward(grad, self)}, dtype="same", jvp="elementwise",
                    layout="contiguous")  # log_sigmoid_forward allocates its output row-major
LOG_SIGMOID_BACKWARD = entry("log_sigmoid_backward", "LogSigmoidBackwardBackward0", kernels.log_sigmoid_backward,
                             ("grad_output", "self"),
                             {"grad_output": lambda grad, self: ops.log_sigmoid_backward(grad, self),
                              "self": lambda grad, self, grad_output:
                                  formulas.log_sigmoid_double_backward(grad * grad_output, self)}, jvp="elementwise")


NLL_LOSS = entry("nll_loss_forward", "NllLossBackward0", lambda x, w, target, reduction, ignore_index, total_weight:
                 kernels.nll(x, target, w, reduction, ignore_index), ("self", "weight"),
                 {"self": formulas.nll_backward}, dtype="same", rejects=("weight",), fn_name="nll_loss_forward",
                 jvp="linear", output_params=("total_weight",))
# nll_loss's gradient does not depend on the input's values, but PyTorch's op takes it (with a zero derivative):
# under create_graph=True the gradient requires grad when the input does.
NLL_LOSS_BACKWARD = entry("nll_loss_backward", "NllLossBackwardBackward0", kernels.nll_backward, ("grad_output", "self"),
                          {"grad_output": lambda grad, target, weight, reduction, ignore_index:
                              ops.nll_loss_forward(grad, weight, target, reduction, ignore_index),
                           "self": lambda grad: ops.zeros_like(grad)}, jvp="linear")


# Each gradient of a convolution is one output of PyTorch's convolution_backward, which takes the gradient, the
# input and the weight: under create_graph=True it requires grad when any of them does.
CONVOLUTION = entry("convolution", "ConvolutionBackward0",
                    lambda x, w, b, stride, padding, dilation, groups: kernels.conv(x, w, b, stride, padding, dilation,
                                                                                    groups),
                    ("input", "weight", "bias"),
                    {"input": lambda grad, input, weight, stride, padding, dilation, groups: ops.convolution_backward(
                        grad, input, weight, stride, padding, dilation, (True, False, False), groups)[0],
                     "weight": lambda grad, input, weight, stride, padding, dilation, groups: ops.convolution_backward(
                        grad, input, weight, stride, padding, dilation, (False, True, False), groups)[1],
                     "bias": lambda grad, input, weight, stride, padding, dilation, groups: ops.convolution_backward(
                        grad, input, weight, stride, padding, dilation, (False, False, True), groups)[2]},
                    jvp=formulas.conv_jvp, layout="suggested")
CONVOLUTION_BACKWARD = entry("convolution_backward", "ConvolutionBackwardBackward0", kernels.conv_backward,
                             ("grad_output", "input", "weight"),
                             {"grad_output": formulas.conv_double_grad_output,
                              "input": lambda grads, grad_output, input, stride, padding, dilation, groups:
                                  None if grads[1] is None else ops.convolution_backward(
                                      grad_output, input, grads[1], stride, padding, dilation, (True, False, False),
                                      groups)[0],
                              "weight": lambda grads, grad_output, weight, stride, padding, dilation, groups:
                                  None if grads[0] is None else ops.convolution_backward(
                                      grad_output, grads[0], weight, stride, padding, dilation, (False, True, False),
                                      groups)[1]},
                             dtype="same", n_outputs="many", jvp=formulas.conv_backward_jvp)

MAX_POOL2D = entry("max_pool2d_with_indices", "MaxPool2DWithIndicesBackward0",
                   lambda x, kernel, stride, padding, indices: np.take_along_axis(
                       x.reshape(x.shape[:2] + (-1,)), indices._data.reshape(indices._data.shape[:2] + (-1,)), 2
                   ).reshape(indices._data.shape), ("self",),
                   {"self": lambda grad, self, indices: ops.max_pool2d_backward(grad, self, indices)}, dtype="same",
                   jvp="linear", output_params=("indices",), layout="suggested")
# The pooling gradients are ops of their own, as in PyTorch: they take `self` (with a zero derivative), so
# under create_graph=True a gradient requires grad when the input does.
MAX_POOL2D_BACKWARD = entry("max_pool2d_with_indices_backward", "MaxPool2DWithIndicesBackwardBackward0",
                            lambda g, x, indices: kernels.max_pool_backward(g, x.shape, indices._data),
                            ("grad_output", "self"),
                            {"grad_output": lambda grad, indices: grad.flatten(2).gather(
                                2, indices.flatten(2)).reshape(indices.shape),
                             "self": lambda grad, self_shape: formulas.zeros_of(grad, self_shape)}, dtype="same",
                            jvp="linear")
AVG_POOL2D = entry("avg_pool2d", "AvgPool2DBackward0",
                   lambda x, kernel, stride, padding: kernels.mean(kernels.pool_windows(x, kernel, stride, padding, 0), axis=2),
                   ("self",),
                   {"self": lambda grad, self, kernel, stride, padding:
                       ops.avg_pool2d_backward(grad, self, kernel, stride, padding)}, dtype="same", jvp="linear",
                   layout="suggested")
AVG_POOL2D_BACKWARD = entry("avg_pool2d_backward", "AvgPool2DBackwardBackward0",
                            lambda g, x, kernel, stride, padding: kernels.avg_pool_backward(
                                g, x.shape, kernel, stride, padding), ("grad_output", "self"),
                            {"grad_output": lambda grad, kernel, stride, padding:
                                ops.avg_pool2d(grad, kernel, stride, padding),
                             "self": lambda grad, self_shape: formulas.zeros_of(grad, self_shape)}, dtype="same",
                            jvp="linear")


NATIVE_LAYER_NORM = entry("native_layer_norm", "NativeLayerNormBackward0",
                          lambda x, w, b, normalized_shape, eps, result1, result2:
                              kernels.layer_norm(x, w, b, normalized_shape, eps),
                          ("input", "weight", "bias"),
                          # PyTorch's one formula for the three reads input, weight, bias and the forward's mean
                          # and rstd (result1, result2, outputs of its op): each formula here names them all, so
                          # the node saves them whichever requires grad
                          {name: (lambda i: lambda grad, input, weight, bias, normalized_shape, eps, result1, result2:
                                  ops.native_layer_norm_backward(grad, input, weight, normalized_shape, eps)[i])(i)
                           for i, name in enumerate(("input", "weight", "bias"))},
                          jvp=formulas.layer_norm_jvp, output_params=("result1", "result2"))
# its backward is an op of its own, as PyTorch's: its kernel's rounding, and NativeLayerNormBackwardBackward0
# under create_graph; it gives the gradients of the input, the weight and the bias
NATIVE_LAYER_NORM_BACKWARD = entry(
    "native_layer_norm_backward", "NativeLayerNormBackwardBackward0", kernels.layer_norm_backward,
    ("grad_out", "input", "weight"),
    {name: (lambda i: lambda grads, grad_out, input, weight, normalized_shape, eps:
            formulas.layer_norm_double_backward(grads, grad_out, input, weight, normalized_shape, eps)[i])(i)
     for i, name in enumerate(("input", "weight", "grad_out"))},
    dtype="same", n_outputs="many")


EMBEDDING = entry("embedding", "EmbeddingBackward0", lambda w, indices, padding_idx: w[indices._data], ("weight",),
                  {"weight": lambda grad, weight_shape, indices, padding_idx:
                      ops.embedding_dense_backward(grad, indices, weight_shape[0], padding_idx)}, dtype="same", jvp="linear")
EMBEDDING_BACKWARD = entry("embedding_dense_backward", "EmbeddingDenseBackwardBackward0", kernels.embedding_backward,
                           ("grad_output",),
                           {"grad_output": lambda grad, indices, padding_idx:
                               formulas.embedding_dense_double_backward(grad, indices, padding_idx)},
                           dtype="same", jvp="linear")


# Activations with a node of their own; their backward formulas are composites (no *BackwardBackward0 node).
HARDTANH = entry("hardtanh", "HardtanhBackward0", kernels.typed("hardtanh_cpu", kernels.NO_BOOL)(kernels.hardtanh),
                 ("self",), {"self": formulas.hardtanh_backward}, dtype="same", jvp="elementwise")
HARDSWISH = entry("hardswish", "HardswishBackward0", kernels.typed("hardswish_cpu")(kernels.hardswish), ("self",),
                  {"self": formulas.hardswish_backward}, dtype="same", jvp="elementwise")
HARDSIGMOID = entry("hardsigmoid", "HardsigmoidBackward0", kernels.typed("hardsigmoid_cpu")(kernels.hardsigmoid),
                    ("self",), {"self": lambda grad, self: ops.hardsigmoid_backward(grad, self)}, dtype="same",
                    jvp="elementwise")
# PyTorch has no derivative of hardsigmoid_backward, nor forward mode: its gradient's grad_fn is an error node
HARDSIGMOID_BACKWARD = entry("hardsigmoid_backward", "torch::autograd::NotImplemented",
                             lambda g, x: np.where((x > -3) & (x < 3), g / np.asarray(6, g.dtype), np.zeros_like(g)),
                             ("grad_output", "self"),
                             {"grad_output": lambda grad: formulas.not_implemented("hardsigmoid_backward"),
                              "self": lambda grad: formulas.not_implemented("hardsigmoid_backward")})
MISH = entry("mish", "MishBackward0", kernels.typed("mish_cpu")(kernels.mish), ("self",),
             {"self": formulas.mish_backward}, dtype="same", jvp="elementwise")
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
# selu is PyTorch's elu with a scale: EluBackward0
SELU = entry("selu", "EluBackward0", kernels.typed("elu_cpu")(lambda a: kernels.scaled_elu(a, SELU_ALPHA, SELU_SCALE, 1)),
             ("self",), {"self": lambda grad, self: formulas.scaled_elu_backward(grad, self, SELU_ALPHA, SELU_SCALE, 1)},
             dtype="same", jvp="elementwise")
CELU = entry("celu", "CeluBackward0", kernels.typed("elu_cpu")(lambda a, alpha: kernels.scaled_elu(a, alpha, 1, 1 / alpha)),
             ("self",), {"self": lambda grad, self, alpha: formulas.scaled_elu_backward(grad, self, alpha, 1, 1 / alpha)},
             dtype="same", jvp="elementwise")
CELU_ = entry("celu_", "CeluBackward1", CELU.forward, ("self",),
              {"self": lambda grad, result, alpha: formulas.elu_backward_of_result(grad, result, alpha, 1, 1 / alpha)},
              dtype="same", jvp="elementwise")


SMOOTH_L1_LOSS = entry("smooth_l1_loss", "SmoothL1LossBackward0", kernels.typed("smooth_l1_cpu")(kernels.smooth_l1),
                       ("self", "target"),
                       {"self": formulas.smooth_l1_backward,
                        "target": lambda grad, self, target, reduction, beta:
                            -formulas.smooth_l1_backward(grad, self, target, reduction, beta)}, jvp="reduction")
HUBER_LOSS = entry("huber_loss", "HuberLossBackward0", kernels.typed("huber_cpu")(kernels.huber), ("self", "target"),
                   {"self": formulas.huber_backward,
                    "target": lambda grad, self, target, reduction, delta:
                        -formulas.huber_backward(grad, self, target, reduction, delta)}, jvp="reduction")


# The batch's (or the running) mean and invstd come in as `mean` and `invstd` (float64, as PyTorch's kernel
# accumulates); the formulas recompute them in refgrad ops from what the node saves, so that they differentiate again.
NATIVE_BATCH_NORM = entry(
    "native_batch_norm", "NativeBatchNormBackward0",
    lambda x, w, b, running_mean, running_var, training, momentum, eps, mean, invstd:
        kernels.batch_norm(x, w, b, mean, invstd),
    ("input", "weight", "bias"),
    {name: (lambda i: lambda grad, input, weight, running_mean, running_var, training, eps:
            formulas.batch_norm_backward(grad, input, weight, running_mean, running_var, training, eps, i))(i)
     for i, name in enumerate(("input", "weight", "bias"))},
    dtype="same", jvp=formulas.batch_norm_jvp)


ADAPTIVE_AVG_POOL2D = entry("_adaptive_avg_pool2d", "AdaptiveAvgPool2DBackward0",
                            kernels.typed("adaptive_avg_pool2d")(kernels.adaptive_avg_pool2d), ("self",),
                            {"self": lambda grad, self: ops.adaptive_avg_pool2d_backward(grad, self)}, dtype="same",
                            jvp="linear", layout="contiguous")
ADAPTIVE_AVG_POOL2D_BACKWARD = entry("_adaptive_avg_pool2d_backward", "AdaptiveAvgPool2DBackwardBackward0",
                                     lambda g, x: kernels.adaptive_avg_pool2d_backward(g, x.shape),
                                     ("grad_output", "self"),
                                     {"grad_output": lambda grad, grad_output_shape:
                                         ops.adaptive_avg_pool2d_raw(grad, tuple(grad_output_shape[-2:])),
                                      "self": lambda grad, self_shape: formulas.zeros_of(grad, self_shape)},
                                     dtype="same", jvp="linear")


CONSTANT_PAD = entry("constant_pad_nd", "ConstantPadNdBackward0", kernels.constant_pad, ("self",),
                     {"self": lambda grad, pad: ops.constant_pad(grad, tuple(-p for p in pad), 0.0)}, dtype="same",
                     jvp=lambda self_t, pad: ops.constant_pad(self_t, pad, 0.0),
                     kernel_writes=lambda operands, p, result: 2 if any(n > 0 for n in p["pad"]) else 1,
                     layout="suggested")


def _pad_entry(mode, k):
    """Reflect or replicate padding of the last k dims, and its backward op (which takes `self`, with a zero
    derivative, as PyTorch's does: under create_graph=True the gradient requires grad when the input does)."""
    kind = "reflection" if mode == "reflect" else "replication"
    node = f"{kind.capitalize()}Pad{k}D"
    forward = entry(f"{kind}_pad{k}d", f"{node}Backward0", lambda a, pad: kernels.pad(a, pad, mode, k), ("self",),
                    {"self": lambda grad, self, pad: ops.mode_pad_backward(grad, self, pad, mode)},
                    dtype="same", jvp="linear")
    backward = entry(f"{kind}_pad{k}d_backward", f"{node}BackwardBackward0",
                     lambda g, x, pad: kernels.pad_backward(g, x.shape, pad, mode, k), ("grad_output", "self"),
                     {"grad_output": lambda grad, pad: ops.mode_pad(grad, pad, mode),
                      "self": lambda grad, self: ops.zeros_like(self)}, dtype="same", jvp="linear")
    return forward, backward


PADS, PAD_BACKWARDS = {}, {}
for _mode in ("reflect", "replicate"):
    for _k in (1, 2, 3):
        PADS[_mode, _k], PAD_BACKWARDS[_mode, _k] = _pad_entry(_mode, _k)
del _mode, _k


# ------------------------------------------------------------------- shape ops that copy
REPEAT = entry("repeat", "RepeatBackward0",
               lambda a, repeats: np.tile(a.reshape((1,) * (len(repeats) - a.ndim) + a.shape), repeats),
               ("self",), {"self": formulas.repeat_backward}, dtype="same", jvp="linear", kernel_writes=1)
FLIP = entry("flip", "FlipBackward0", lambda a, dims: np.flip(a, dims).copy(), ("self",),
             {"self": lambda grad, dims: grad.flip(dims)}, dtype="same", jvp="linear",
             # PyTorch's kernel clones when no flipped dim has two elements
             composite=lambda self, dims: _copies_into_new(self) if all(self._data.shape[d] <= 1 for d in dims)
             else None, kernel_writes=_FLIP_WRITES)
ROLL = entry("roll", "RollBackward0",
             lambda a, shifts, dims: np.roll(a, shifts, dims) if dims else np.roll(a.reshape(-1), shifts).reshape(
                 a.shape),
             ("self",), {"self": lambda grad, shifts, dims: grad.roll(tuple(-s for s in shifts), dims or None)},
             dtype="same",
             jvp="linear", kernel_writes=_EMPTY_WRITES)
TRIL = entry("tril", "TrilBackward0", lambda a, diagonal: np.tril(a, diagonal), ("self",),
             {"self": lambda grad, diagonal: grad.tril(diagonal)}, dtype="same", jvp="linear")
TRIU = entry("triu", "TriuBackward0", lambda a, diagonal: np.triu(a, diagonal), ("self",),
             {"self": lambda grad, diagonal: grad.triu(diagonal)}, dtype="same", jvp="linear")
DIAGONAL = entry("diagonal", "DiagonalBackward0",
                 kernels.diagonal, ("self",),
                 {"self": lambda grad, self_shape, offset, dim1, dim2:
                     ops.diagonal_backward(grad, self_shape, offset, dim1, dim2)}, dtype="same", jvp="linear")


DIAGONAL_BACKWARD = entry("diagonal_backward", "DiagonalBackwardBackward0",
                          lambda g, input_sizes, offset, dim1, dim2: kernels.embed_diagonal(g, input_sizes, offset, dim1, dim2),
                          ("grad_output",),
                          {"grad_output": lambda grad, offset, dim1, dim2: grad.diagonal(offset, dim1, dim2)},
                          dtype="same", jvp="linear")


SPLIT = entry("split.Tensor", "SplitBackward0", lambda a, dim, sizes: np.split(a, np.cumsum(sizes)[:-1], axis=dim),
              ("self",), {"self": formulas.split_backward},
              dtype="same", n_outputs="many", jvp="linear")
SPLIT_WITH_SIZES = entry("split_with_sizes", "SplitWithSizesBackward0",
                         lambda a, dim, sizes: np.split(a, np.cumsum(sizes)[:-1], axis=dim), ("self",),
                         {"self": formulas.split_backward},
                         dtype="same", n_outputs="many", jvp="linear")


UNBIND = entry("unbind.int", "UnbindBackward0",
               lambda a, dim: [a[(slice(None),) * dim + (i, Ellipsis)] for i in range(a.shape[dim])], ("self",),
               {"self": formulas.unbind_backward}, dtype="same", n_outputs="many", jvp="linear")


CAT = entry("cat", "CatBackward0", lambda *arrays, dim: np.concatenate(
                [a for a in arrays if not (a.ndim == 1 and a.size == 0)] or [arrays[0]], axis=dim),
            ("tensors",), {"tensors": formulas.cat_backward}, variadic=True, jvp="linear")
STACK = entry("stack", "StackBackward0", lambda *arrays, dim: np.stack(arrays, axis=dim), ("tensors",),
              {"tensors": lambda grad, dim: list(grad.unbind(dim))}, variadic=True, jvp="linear")

# ------------------------------------------------------------------- gather and scatter
GATHER = entry("gather", "GatherBackward0", kernels.gather,
               ("self",),
               # PyTorch's gather_backward takes self (for its sizes), so self is saved
               {"self": lambda grad, self, dim, index:
                   formulas.written_into_zeros(
                       ops.zeros(self.shape, dtype=grad.dtype, device=grad.device).scatter_add(dim, index, grad))},
               dtype="same", jvp="linear")


SCATTER = entry("scatter.src", "ScatterBackward0", lambda a, src, dim, index: kernels.scatter(a, src, dim, index),
                ("self", "src"),
                {"self": lambda grad, dim, index: grad.scatter(dim, index, 0.0),
                 "src": lambda grad, dim, index: grad.gather(dim, index)}, dtype="same", jvp="linear")
SCATTER_VALUE = entry("scatter.value", "ScatterBackward1",
                      lambda a, dim, index, value: kernels.scatter(a, np.asarray(value, a.dtype), dim, index), ("self",),
                      {"self": lambda grad, dim, index: grad.scatter(dim, index, 0.0)}, dtype="same",
                      jvp=lambda self_t, dim, index: self_t.scatter(dim, index, 0.0))
SCATTER_ADD = entry("scatter_add", "ScatterAddBackward0",
                    lambda a, src, dim, index: kernels.scatter(a, src, dim, index, "add"), ("self", "src"),
                    {"self": lambda grad: grad,
                     "src": lambda grad, dim, index: grad.gather(dim, index)}, dtype="same", jvp="linear")


INDEX_SELECT = entry("index_select", "IndexSelectBackward0", lambda a, dim, index: np.take(a, index._data, axis=dim)
                     if a.ndim else np.take(a.reshape(1), index._data).reshape(()),  # 0-d in, 0-d out
                     ("self",),
                     {"self": lambda grad, self_shape, dim, index:
                         formulas.written_into_zeros(
                             ops.zeros(self_shape, dtype=grad.dtype, device=grad.device).index_add(dim, index, grad))},
                     dtype="same", jvp="linear")
INDEX_ADD = entry("index_add", "IndexAddBackward0", kernels.index_add, ("self", "source"),
                  {"self": lambda grad: grad,
                   "source": lambda grad, source, dim, index, alpha: formulas.index_add_source(grad, source, dim, index,
                                                                                               alpha)},
                  dtype="same", jvp="linear")
MASKED_FILL = entry("masked_fill.Scalar", "MaskedFillBackward0",
                    lambda a, mask, value: np.where(mask._data, promotion.scalar_into(value, a.dtype), a), ("self",),
                    {"self": lambda grad, mask: grad.masked_fill(mask, 0.0)}, dtype="same",
                    jvp=lambda self_t, mask: self_t.masked_fill(mask, 0.0),
                    composite=lambda self, mask, value: ops.masked_fill_(_copies_into_new(self), mask, value))
MASKED_FILL_TENSOR = entry("masked_fill.Tensor", "MaskedFillBackward1", lambda a, v, mask: np.where(mask._data, v, a),
                           ("self", "value"),
                           {"self": lambda grad, mask: grad.masked_fill(mask, 0.0),
                            "value": lambda grad, mask: ops.where(mask, grad, 0.0).sum()}, dtype="same", jvp="linear",
                           composite=lambda self, value, mask: ops.masked_fill_(_copies_into_new(self), mask, value))
MASKED_SELECT = entry("masked_select", "MaskedSelectBackward0",
                      lambda a, mask: np.broadcast_to(a, np.broadcast_shapes(a.shape, mask._data.shape))[
                          np.broadcast_to(mask._data, np.broadcast_shapes(a.shape, mask._data.shape))],
                      ("self",),
                      {"self": lambda grad, self, mask: ops.masked_select_backward(grad, self.shape, mask)},
                      dtype="same", jvp="linear")
MASKED_SCATTER = entry("masked_scatter", "MaskedScatterBackward0", kernels.masked_scatter, ("self", "source"),
                       {"self": lambda grad, mask: grad.masked_fill(mask, 0.0),
                        "source": lambda grad, mask, source_shape: ops.masked_scatter_backward(grad, mask, source_shape)},
                       dtype="same", jvp="linear")
MASKED_SCATTER_BACKWARD = entry("masked_scatter_backward", "MaskedScatterBackwardBackward0",
                                kernels.masked_scatter_backward, ("grad_output",),
                                {"grad_output": lambda grad, grad_output_shape, mask:
                                    ops.zeros(grad_output_shape, dtype=grad.dtype, device=grad.device)
                                    .masked_scatter(mask, grad)},
                                # PyTorch's forward-mode rule shapes the tangent as the gradient, not as the source:
                                # forward AD refuses it unless the two shapes agree
                                dtype="same", jvp=lambda grad_output_t, mask:
                                    ops.masked_scatter_backward(grad_output_t, mask, grad_output_t.shape))

# ------------------------------------------------------------------- in-place writes
ZERO = entry("zero_", "ZeroBackward0", lambda a: np.zeros_like(a), ("self",),
             {"self": lambda grad: ops.zeros_like(grad)}, dtype="same", jvp=lambda self_t: ops.zeros_like(self_t))
FILL = entry("fill_.Scalar", "FillBackward2", lambda a, value: np.full_like(a, promotion.scalar_into(value, a.dtype)), ("self",),
             {"self": lambda grad: ops.zeros_like(grad)}, dtype="same", jvp=lambda self_t: ops.zeros_like(self_t))
FILL_TENSOR = entry("fill_.Tensor", "FillBackward3", lambda a, v: np.broadcast_to(v, a.shape), ("self", "value"),
                    {"self": lambda grad: ops.zeros_like(grad),
                     "value": lambda grad: grad.sum()}, dtype="same", jvp="linear")
COPY = entry("copy_", "torch::autograd::CopyBackwards", lambda a, src: np.broadcast_to(src, a.shape), ("self", "src"),
             {"self": lambda grad: ops.zeros_like(grad),
              "src": lambda grad: grad}, dtype="same", jvp="linear")


_PUT_FORMULAS = {"self": lambda grad, index, indices: ops._masked_zero(grad, index),
                 "value": lambda grad, index, indices: ops._index(grad, index)}
# x[advanced index] = v (x[basic index] = v is copy_/fill_ of a view: refgrad/_ops.py setitem).
INDEX_PUT = entry("index_put_", "IndexPutBackward0", kernels.put, ("self", "value"), _PUT_FORMULAS, dtype="same", jvp="linear")

VIEWS = frozenset({VIEW, RESHAPE_ALIAS, ALIAS, EXPAND, UNSQUEEZE, SQUEEZE, SQUEEZE_DIM, SQUEEZE_DIMS, SQUEEZE_DIMS_,
                   TRANSPOSE, T, PERMUTE, SELECT, SLICE, DIAGONAL, SPLIT, SPLIT_WITH_SIZES, UNBIND})


# ------------------------------------------------------------------- sorting and selection
# sort, topk, kthvalue, median and mode: refgrad/_ops.py computes the indices (an output param), the forward takes the
# values there, and the gradient goes back to those indices.
def _selected_backward(grad, self_shape, dim, keepdim, indices):
    return formulas.value_selecting_backward(grad, self_shape, dim, keepdim, indices)


def _selection(key, node):
    return entry(key, node, kernels.take_selected, ("self",), {"self": _selected_backward}, dtype="same",
                 jvp=formulas.selected_tangent, output_params=("indices",), layout=None)


SORT = _selection("sort", "SortBackward0")
SORT_STABLE = _selection("sort.stable", "SortBackward1")
TOPK = _selection("topk", "TopkBackward0")
KTHVALUE = _selection("kthvalue", "KthvalueBackward0")
MEDIAN_DIM = _selection("median.dim", "MedianBackward1")
MODE = _selection("mode", "ModeBackward0")
MEDIAN = entry("median", "MedianBackward0", lambda a: np.asarray(a.flat[kernels.median_indices(a.reshape(-1), 0, False)]) if a.size else np.asarray(np.nan, a.dtype),
               ("self",), {"self": formulas.evenly_distribute}, params=(), dtype="same",
               jvp=formulas.evenly_read_jvp, kernel_writes=1)
