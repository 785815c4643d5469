"""Helpers of the derivative table's backward and forward-mode formulas, written in refgrad ops.

Formulas compute with refgrad's own ops, so that `create_graph=True` records them and higher
derivatives come for free (as in HIPS autograd). Tensor methods and operators (`grad * other`,
`self.cos()`) need nothing imported. Ops without a method (`where`, `zeros_like`, `cat`) are reached
through `ops`: the ops are built from the table, one layer up, so refgrad/_ops.py installs them
here once, when it is imported (`install_ops`); no formula runs before that.

`sum_to` is here too: the engine reduces every broadcast gradient with it, and expand's formula is it.
"""
import math

import numpy as np

from . import _dtype as dt
from ._fp import quiet
from . import _kernels as kernels
from ._kernels import SQRT_2, SQRT_2_OVER_PI, padded_index
from .autograd import grad_mode

__all__ = ["ops", "install_ops", "sum_to"]


class _Ops:
    """The public ops, as formulas call them (`ops.where(...)`)."""

    def __getattr__(self, name):
        raise RuntimeError(f"refgrad's ops are not installed yet (a formula asked for ops.{name}): "
                           "import refgrad, which installs them")


ops = _Ops()


def install_ops(namespace):
    """Gives formulas the public ops: called once, by refgrad/_ops.py."""
    ops.__dict__.update(namespace)


def maybe_multiply(t, scale):
    """t * scale, but t itself for a scale of 1 (PyTorch's maybe_multiply: no node, no rounding). The scale is
    a C++ Scalar there: MulBackward1."""
    return t if scale == 1 else ops.mul_scalar(t, scale)


# A number in PyTorch's C++ formulas is a Scalar, not a tensor: `t * 2` and `2 * t` are mul.Scalar (MulBackward1),
# `t / n` div.Scalar (DivBackward1), `t + 1` and `1 + t` add.Scalar (AddBackward1), while `1 - t` and `2 / t` fill a
# tensor with the number and subtract or divide in place (SubBackward0, DivBackward0; ATen's TensorOperators.h),
# and `t - 1` is sub.Scalar (SubBackward1). Formulas spell these with ops.mul_scalar, ops.div_scalar, ops.add_scalar,
# ops.sub_scalar and the two helpers below; a Python
# number in user code is wrapped into a tensor instead (`x / 2` is DivBackward0).
def rsub_scalar(number, t):
    """C++'s `number - t` in a formula: a tensor filled with the number, minus t (SubBackward0)."""
    return ops.full_like(t, number) - t


def rdiv_scalar(number, t):
    """C++'s `number / t` in a formula: a tensor filled with the number, over t (DivBackward0)."""
    return ops.full_like(t, number) / t


def sum_to(grad, shape):
    """Sums a broadcast gradient back to `shape` (at::sum_to: a full sum for a 0-dim shape, otherwise
    a sum over dims with keepdim, then a view)."""
    if not shape:
        return grad.sum()
    lead = grad._data.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and grad._data.shape[lead + i] != 1)
    if dims:
        grad = grad.sum(dims, keepdim=True)
    if lead:
        grad = grad.view(shape)
    return grad


# ------------------------------------------------------------------- arithmetic and pointwise
scaled = maybe_multiply


def zeros_of(grad, shape):
    """PyTorch's `zeros_like(self)` in a formula, which its codegen rewrites to keep self's sizes and options only
    (self_info.zeros()), so self is not saved."""
    return ops.zeros(shape, dtype=grad.dtype, device=grad.device)


def index_add_source(grad, source, dim, index, alpha):
    """index_add's gradient for `source`: PyTorch's formula reads source (its dim, expand_as), so source is saved."""
    if source.dim() > 0:
        return maybe_multiply(grad.index_select(dim, index).expand_as(source), alpha)
    return maybe_multiply(grad.index_select(dim, index.squeeze(0)), alpha)


def sgn_backward(grad, self, result):
    """PyTorch's sgn_backward (it reads self and the result, so both are saved): for a real input an efficient
    ZeroTensor of the result's sizes (Tensor._is_zerotensor)."""
    return ops.zero_tensor_like(result)


def not_implemented(name):
    raise RuntimeError(f"derivative for aten::{name} is not implemented")


def pow_backward(grad, self, exponent):
    if exponent == 0:
        return ops.zeros_like(self)
    return grad * ops.mul_scalar(self.pow(exponent - 1), exponent)

def silu_backward(grad, self):
    """PyTorch's infinitely_differentiable_silu_backward: one sigmoid, `1.0 + x` and `1.0 - s` as in C++."""
    s = self.sigmoid()
    return grad * s * ops.add_scalar(self * rsub_scalar(1.0, s), 1.0)


def log_scalar(base):
    with quiet():
        return float(np.log(np.float64(base)))


def atan2_scale(self, other):
    """1 / (self² + other²), 0 where that sum is 0: atan2's gradient at the origin is 0 in PyTorch."""
    denominator = self * self + other * other
    return ops.where(denominator == 0, 0.0, denominator.reciprocal())


def in_bounds(self, min, max):
    inside = None
    for cond in ((self >= min) if min is not None else None, (self <= max) if max is not None else None):
        if cond is not None:
            inside = cond if inside is None else inside & cond
    return inside


def clamp_jvp(self_t, min_t, max_t, self, min, max):
    """Tangent of clamp with tensor bounds (PyTorch's clamp_jvp: unlike the gradient, a tie with a lone
    bound takes the bound's tangent)."""
    if min is not None and max is not None:
        return ops.where(min > max, max_t, ops.where(self < min, min_t, ops.where(self > max, max_t, self_t)))
    if min is not None:
        return ops.where(self > min, self_t, min_t)
    return ops.where(self < max, self_t, max_t)


def select_larger(grad, a, b):
    """Gradient of maximum(a, b) for a: half on ties, none where a loses, all of it otherwise, so with a
    NaN on either side both get it (PyTorch's where(a == b, grad / 2, grad).masked_fill_(a < b, 0))."""
    return ops.where(a < b, 0.0, ops.where(a == b, grad / 2, grad))


def select_smaller(grad, a, b):
    """Gradient of minimum(a, b) for a: select_larger with the comparison turned (not negated operands,
    which a bool tensor refuses)."""
    return ops.where(a > b, 0.0, ops.where(a == b, grad / 2, grad))


# ------------------------------------------------------------------- reductions
def unsqueeze_dims(grad, dims, ndim, keepdim):
    if keepdim or ndim == 0:
        return grad
    for d in sorted(d % ndim for d in dims):
        grad = grad.unsqueeze(d)
    return grad


def reduced_numel(shape, dims):
    return math.prod(shape[d] for d in dims) if shape else 1


def norm_backward(grad, self, ord, result, dim, keepdim):
    """PyTorch's norm_backward, node for node (a full reduction unsqueezes nothing: the 0-d norm broadcasts)."""
    dims = () if dim is None else dim
    grad = unsqueeze_dims(grad, dims, self.dim(), keepdim)
    norm = unsqueeze_dims(result, dims, self.dim(), keepdim)
    if ord == 0:
        return None  # PyTorch's norm_backward gives no gradient: the input's .grad stays None
    if ord == 1:
        return self.sgn() * grad
    if ord == 2:
        return grad * (self / norm).masked_fill(norm == 0, 0)
    if ord in (float("inf"), float("-inf")):
        self_abs = self.abs()
        mask = (self_abs == norm) | self_abs.isnan()  # amax(abs(self))'s derivative, NaN respected
        return self.sgn() * ((grad / mask.sum(tuple(dims or range(self.dim())), keepdim=True)) * mask)
    if ord < 1:
        return self.sgn() * self.abs().pow(ord - 1).masked_fill(self == 0, 0) * grad * norm.pow(1 - ord)
    self_scaled = self.sgn() * self.abs().pow(ord - 1) if ord < 2 else self * self.abs().pow(ord - 2)
    return self_scaled * (grad / norm.pow(ord - 1)).masked_fill(norm == 0, 0)


def keep(t, dim, ndim, keepdim):
    """A reduced tensor with its reduced dims put back as size 1, so it broadcasts against the input."""
    return unsqueeze_dims(t, range(ndim) if dim is None else dim, ndim, keepdim)


def prod_others(x, dim):
    """Along `dim`, the product of all elements but the one at each position (no division, so zeros work)."""
    n = x.shape[dim]
    ones = ops.ones_like(x.narrow(dim, 0, 1))
    left = ops.cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    right = ops.cat([x.narrow(dim, 1, n - 1), ones], dim).flip((dim,)).cumprod(dim).flip((dim,))
    return left * right


def prod_backward(grad, self, result, dim=None, keepdim=False):
    """PyTorch's: result / self without a zero in the input (so an inf or NaN input spreads NaN), the
    products of the others where there is one."""
    if self.dim() == 0:
        return grad
    if dim is not None:
        grad, result = keep(grad, (dim,), self.dim(), keepdim), keep(result, (dim,), self.dim(), keepdim)
    if not bool((self == 0).any()):
        return grad * (result / self)
    if dim is None:
        return grad * prod_others(self.reshape(-1), 0).reshape(self.shape)
    return grad * prod_others(self, dim)


def evenly_distribute(grad, self, result):
    """Gradient of a global max/min: shared evenly by every element equal to the result (every NaN,
    when the result is NaN)."""
    mask = self.isnan() if bool(result.isnan()) else self == result
    return ops.where(mask, grad / mask.sum(), 0.0)


def evenly_read_jvp(self_t, self, result):
    """Tangent of a global max/min: the mean of the tangents of the elements equal to the result (NaN when
    the result is NaN, which equals nothing: PyTorch's evenly_read_jvp)."""
    mask = self == result
    return (mask * (self_t / mask.sum())).sum()


def value_selecting_backward(grad, self_shape, dim, keepdim, indices):
    """Gradient of max/min/median along `dim`: the gradient goes to the selected index."""
    ndim = len(self_shape)
    if ndim == 0:
        return grad
    grad, indices = keep(grad, (dim,), ndim, keepdim), keep(indices, (dim,), ndim, keepdim)
    return ops.zeros(self_shape, dtype=grad.dtype, device=grad.device).scatter(dim, indices, grad)


def scale_by_count(grad, self, result, dim, keepdim):
    """Gradient of amax/amin: shared evenly by the elements equal to the extreme along the dims."""
    dims = tuple(range(self.dim())) if not dim else dim
    mask = self == keep(result, dims, self.dim(), keepdim)
    # a product, not a where: a NaN extreme equals nothing, so its count is 0 and its slice gets NaN
    return (keep(grad, dims, self.dim(), keepdim) / mask.sum(dims, keepdim=True)) * mask


def var_backward(grad, self, dim, correction, keepdim):
    """PyTorch's var_backward. Without dims and no degrees of freedom left, the gradient is NaN where an
    element equals the mean and inf elsewhere; along dims, 2 / (n - correction) with 2 / 0 = inf."""
    if dim is None:
        dof = self.numel() - correction
        if dof <= 0:
            return grad * ops.where(self == self.mean(), math.nan, math.inf)
        return ops.mul_scalar(grad, 2.0 / dof) * (self - self.mean())
    dof = math.prod(self.shape[d] for d in dim) - correction
    scale = 2.0 / dof if dof else math.inf
    return ops.mul_scalar(keep(grad, dim, self.dim(), keepdim), scale) * (self - self.mean(dim, True))


def std_backward(grad, self, result, dim, correction, keepdim):
    return var_backward((grad / ops.mul_scalar(result, 2)).masked_fill(result == 0, 0), self, dim, correction, keepdim)


def cumprod_backward(grad, self, result, dim):
    if self.dim() == 0 or self.numel() == 0:
        return grad
    if not bool((self == 0).any()):
        return (grad * result).flip((dim,)).cumsum(dim).flip((dim,)) / self
    # d result_j / d x_i = prod_{k <= j, k != i} x_k for j >= i: build that product for every i.
    x = self.movedim(dim, -1)
    g = grad.movedim(dim, -1)
    n = x.shape[-1]
    eye = ops.eye(n, dtype=dt.bool_, device=x.device)
    others = ops.where(eye, 1.0, x.unsqueeze(-2)).cumprod(-1)          # [..., i, j]
    upper = ops.ones(n, n, dtype=dt.bool_, device=x.device).triu()  # j >= i
    return (ops.where(upper, others, 0.0) * g.unsqueeze(-2)).sum(-1).movedim(-1, dim)


def cumprod_jvp(self_t, self, result, dim):
    if self.dim() == 0:
        return self_t
    if not bool((self == 0).any()):
        return (self_t / self).cumsum(dim) * result
    # t_j = sum_{i <= j} t_i prod_{k <= j, k != i} x_k, built as in the backward formula
    x, t = self.movedim(dim, -1), self_t.movedim(dim, -1)
    n = x.shape[-1]
    eye = ops.eye(n, dtype=dt.bool_, device=x.device)
    others = ops.where(eye, 1.0, x.unsqueeze(-2)).cumprod(-1)
    upper = ops.ones(n, n, dtype=dt.bool_, device=x.device).triu()
    return (ops.where(upper, others, 0.0) * t.unsqueeze(-1)).sum(-2).movedim(-1, dim)


# ------------------------------------------------------------------- linear algebra
def det_backward(grad, A, result):
    """grad det(A) A^-T; with a singular matrix in the batch, from the cofactors (PyTorch's SVD path): there
    they are the gradient when it is being differentiated (create_graph), zero otherwise (PyTorch's
    LU solve, scaled by det = 0). The cofactors are a constant: no higher derivative through them.
    A 1x1 (or empty) matrix's gradient is a constant too, as PyTorch's (it requires no grad)."""
    if A.shape[-1] < 2:
        return grad.unsqueeze(-1).unsqueeze(-1).expand(A.shape)
    singular = result == 0
    if not bool(singular.any()):
        return (grad * result).unsqueeze(-1).unsqueeze(-1) * ops.linalg_inv(A).transpose(-2, -1)
    if not grad_mode.state.enabled:
        grad = ops.where(singular, 0.0, grad)
    cofactors = ops.new_tensor(kernels.cofactors(A._data), device=A.device)
    return grad.unsqueeze(-1).unsqueeze(-1) * cofactors


# ------------------------------------------------------------------- neural-network ops
def gelu_derivative(x, approximate):
    if approximate == "tanh":
        inner = SQRT_2_OVER_PI * (x + 0.044715 * x.pow(3))
        t = inner.tanh()
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
    cdf = 0.5 * (1 + (x / SQRT_2).erf())
    pdf = (-0.5 * x * x).exp() / math.sqrt(2 * math.pi)
    return cdf + x * pdf


def reduce_loss(loss, reduction):
    """A loss's elementwise values reduced as `reduction` says, in refgrad ops."""
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def loss_grad(grad, shape, reduction):
    """The incoming gradient of a reduced loss, spread over the elements (divided by n for a mean)."""
    if reduction == "none":
        return grad
    n = math.prod(shape)
    return ops.div_scalar(grad.expand(shape), n) if reduction == "mean" else grad.expand(shape)


def bce_self(grad, self, target, weight, reduction):
    g = loss_grad(grad, self.shape, reduction) * (self - target) / ((1 - self) * self).clamp(min=1e-12)
    return g if weight is None else g * weight


def bce_target(grad, self, target, weight, reduction):
    """PyTorch's binary_cross_entropy_target_backward takes target too, so target is saved."""
    # -logit(self), unclamped (PyTorch's binary_cross_entropy_target_backward): inf at self == 0, unlike the loss
    g = loss_grad(grad, self.shape, reduction) * ((1 - self).log() - self.log())
    return g if weight is None else g * weight


def bce_logits_self(grad, self, target, weight, pos_weight, reduction):
    s = self.sigmoid()
    g = (s - target) if pos_weight is None else ((pos_weight * target + 1 - target) * s - pos_weight * target)
    g = loss_grad(grad, g.shape, reduction) * g
    return g if weight is None else g * weight


def bce_logits_target(grad, self, target, weight, pos_weight, reduction):
    """PyTorch's binary_cross_entropy_with_logits_target_backward takes target too, so target is saved."""
    log_sig, log_sig_neg = ops.log_sigmoid(self), ops.log_sigmoid(-self)
    g = (log_sig_neg - log_sig) if pos_weight is None else (log_sig_neg - pos_weight * log_sig)
    g = loss_grad(grad, g.shape, reduction) * g
    return g if weight is None else g * weight


def nll_backward(grad, self, weight, target, reduction, ignore_index):
    if self.dim() == 1:  # one sample without a batch dim
        if target.dim():  # the forward takes a target of shape [1]; PyTorch's backward does not
            raise RuntimeError(f"size mismatch (got input: {list(self.shape)}, target: {list(target.shape)})")
        return nll_backward(grad, self.unsqueeze(0), weight, target.reshape(1), reduction,
                            ignore_index).reshape(self.shape)
    valid = target != ignore_index
    safe = ops.where(valid, target, 0)
    w = ops.ones(self.shape[1], dtype=self.dtype, device=self.device) if weight is None else weight
    per_sample = ops.where(valid, w.gather(0, safe), 0.0)
    if reduction == "mean":
        scale = grad / per_sample.sum()
    else:
        scale = grad
    values = ops.where(valid, -per_sample * scale, 0.0).unsqueeze(1)  # an ignored target gets 0, never nan
    return ops.zeros(self.shape, dtype=self.dtype, device=self.device).scatter(1, safe.unsqueeze(1), values)


def conv_input_grad(grad, self_shape, weight, stride, padding, dilation):
    k = weight.dim() - 2
    cols = ops.tensordot(weight, grad, ([0], [1]))                    # [C, *kernel, N, *out]
    cols = cols.movedim(1 + k, 0)                                   # [N, C, *kernel, *out]
    return ops.fold_windows(cols, self_shape[2:], weight.shape[2:], stride, padding, dilation)


def conv_weight_grad(grad, self, weight_shape, stride, padding, dilation):
    k = len(weight_shape) - 2
    cols = ops.unfold_windows(self, weight_shape[2:], stride, padding, dilation)  # [N, C, *kernel, *out]
    out_dims = list(range(2 + k, 2 + 2 * k))
    return ops.tensordot(grad, cols, ([0] + [2 + i for i in range(k)], [0] + out_dims))


def conv_jvp(input_t, weight_t, bias_t, input, weight, stride, padding, dilation):
    out = ops.convolution(input_t, weight, None, stride, padding, dilation) + \
        ops.convolution(input, weight_t, None, stride, padding, dilation)
    return out if bias_t is None else out + bias_t.reshape((1, -1) + (1,) * (weight.dim() - 2))


def layer_norm_parts(x, dims, eps):
    mean = x.mean(dims, True)
    rstd = ((x - mean).pow(2).mean(dims, True) + eps).rsqrt()
    return (x - mean) * rstd, rstd


def layer_norm_input(grad, input, weight, normalized_shape, eps):
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    mean = input.mean(dims, True)
    rstd = ((input - mean).pow(2).mean(dims, True) + eps).rsqrt()
    g = grad if weight is None else grad * weight
    # PyTorch's grouping: a * g + b * x + c, so that the terms cancel exactly where they do there
    scale = 1 / math.prod(normalized_shape)
    db, ds = g.sum(dims, True), (g * input).sum(dims, True)
    b = (db * mean - ds) * rstd * rstd * rstd * scale
    c = -b * mean - db * rstd * scale
    return rstd * g + b * input + c


def layer_norm_weight(grad, input, normalized_shape, eps):
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    batch = tuple(range(input.dim() - len(normalized_shape)))
    xhat = layer_norm_parts(input, dims, eps)[0]
    return (grad * xhat).sum(batch) if batch else grad * xhat


def layer_norm_jvp(input_t, weight_t, bias_t, input, weight, normalized_shape, eps):
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    xhat, rstd = layer_norm_parts(input, dims, eps)
    xhat_t = rstd * (input_t - input_t.mean(dims, True) - xhat * (input_t * xhat).mean(dims, True))
    out = xhat_t if weight is None else xhat_t * weight + xhat * weight_t
    return out if bias_t is None else out + bias_t


def embedding_backward(grad, weight_shape, indices, padding_idx):
    flat = indices.reshape(-1)
    rows = grad.reshape(-1, weight_shape[1])
    if padding_idx is not None:
        rows = rows.masked_fill((flat == padding_idx).unsqueeze(1), 0.0)
    return ops.zeros(weight_shape, dtype=grad.dtype, device=grad.device).index_add(0, flat, rows)


# ------------------------------------------------------------------- shape ops that copy
def repeat_backward(grad, self_shape, repeats):
    """Sums the gradient of each copy: view [r0, s0, r1, s1, ...] and sum over the r axes."""
    lead = len(repeats) - len(self_shape)
    shape = (1,) * lead + tuple(self_shape)
    split, dims = [], []
    for i, (r, s) in enumerate(zip(repeats, shape)):
        split += [r, s]
        dims.append(2 * i)
    grad = grad.reshape(split).sum(tuple(dims))
    return grad.reshape(self_shape)


def split_backward(grads, self_shape, dim, sizes):
    """Concatenates the output gradients along dim, zeros for outputs that got none."""
    like = next(g for g in grads if g is not None)
    shape = list(self_shape)
    parts = []
    for g, n in zip(grads, sizes):
        if g is None:
            shape[dim] = n
            g = ops.zeros(shape, dtype=like.dtype, device=like.device)
        parts.append(g)
    return ops.cat(parts, dim)


def unbind_backward(grads, self_shape, dim):
    like = next(g for g in grads if g is not None)
    zero = ops.zeros(like.shape, dtype=like.dtype, device=like.device)
    return ops.stack([zero if g is None else g for g in grads], dim)


def cat_backward(grad, tensors_shapes, dim):
    out, start = [], 0
    for shape in tensors_shapes:
        if len(shape) == 1 and shape[0] == 0 and grad.dim() != 1:  # legacy empty inputs get no gradient
            out.append(None)
            continue
        out.append(grad.narrow(dim, start, shape[dim]))
        start += shape[dim]
    return out


# ------------------------------------------------------------------- padding
def pad_backward(grad, self_shape, pad, mode, k):
    """Reflect or replicate padding's gradient: each padded position's gradient added back to its source."""
    for d in range(k):
        lo, hi = pad[2 * d], pad[2 * d + 1]
        index = padded_index(self_shape[-1 - d], lo, hi, mode)
        target = tuple(grad.shape[:grad.dim() - 1 - d]) + (self_shape[-1 - d],) + tuple(grad.shape[grad.dim() - d:])
        grad = ops.zeros(target, dtype=grad.dtype, device=grad.device).index_add(
            grad.dim() - 1 - d, ops.new_tensor(index, device=grad.device), grad)
    return grad
