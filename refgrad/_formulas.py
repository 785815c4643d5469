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
from ._kernels import SQRT_2_OVER_PI, padded_index
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
    """t * scale, but t itself for a scale of 1 (PyTorch's maybe_multiply: no node, no rounding)."""
    return t if scale == 1 else t * scale


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
def scaled(grad, alpha):
    return grad if alpha == 1 else grad * alpha


def not_implemented(name):
    raise RuntimeError(f"derivative for aten::{name} is not implemented")


def pow_backward(grad, self, exponent):
    if exponent == 0:
        return ops.zeros_like(self)
    return grad * (exponent * self.pow(exponent - 1))

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
    return ops.where(a == b, ops.div_scalar(grad, 2), grad).masked_fill(a < b, 0)


def select_smaller(grad, a, b):
    """Gradient of minimum(a, b) for a: select_larger with the comparison turned (not negated operands,
    which a bool tensor refuses)."""
    return ops.where(a == b, ops.div_scalar(grad, 2), grad).masked_fill(a > b, 0)


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
    dims = range(self.dim()) if dim is None else dim
    grad = unsqueeze_dims(grad, dims, self.dim(), keepdim)
    norm = unsqueeze_dims(result, dims, self.dim(), keepdim)
    if ord == 0:
        return None  # PyTorch's norm_backward gives no gradient: the input's .grad stays None
    if ord == 1:
        return self.sgn() * grad
    if ord == 2:
        return grad * ops.where(norm == 0, 0.0, self / norm)
    if ord in (float("inf"), float("-inf")):
        mask = (self.abs() == norm)
        return self.sgn() * ops.where(mask, grad / mask.sum(tuple(dims), keepdim=True), 0.0)
    return self * self.abs().pow(ord - 2) * ops.where(norm == 0, 0.0, grad / norm.pow(ord - 1))


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
    when the result is NaN), filled into zeros (PyTorch's CPU evenly_distribute_backward: MaskedFillBackward1)."""
    mask = self.isnan() if bool(result.isnan()) else self == result
    return ops.zeros(self.shape, dtype=grad.dtype, device=grad.device).masked_fill(mask, grad / mask.sum())


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


def restore_reduced_dims(t, dims, ndim, keepdim):
    """A reduced tensor viewed with its reduced dims back as size 1 (PyTorch's restore_reduced_dims: a view)."""
    if keepdim:
        return t
    reduced = {d % ndim for d in dims} if ndim else set()
    sizes = iter(t.shape)
    return t.view(tuple(1 if d in reduced else next(sizes) for d in range(ndim)))


def scale_by_count(grad, self, result, dim, keepdim):
    """Gradient of amax/amin: shared evenly by the elements equal to the extreme along the dims."""
    dims = tuple(range(self.dim())) if not dim else dim
    mask = self == restore_reduced_dims(result, dims, self.dim(), keepdim)
    # a product, not a where: a NaN extreme equals nothing, so its count is 0 and its slice gets NaN
    return (restore_reduced_dims(grad, dims, self.dim(), keepdim) / mask.sum(dims, keepdim=True)) * mask


def var_backward(grad, self, dim, correction, keepdim):
    """PyTorch's var_backward. Without dims and no degrees of freedom left, the gradient is NaN where an
    element equals the mean and inf elsewhere; along dims, 2 / (n - correction) with 2 / 0 = inf."""
    if dim is None:
        dof = self.numel() - correction
        if dof <= 0:
            return grad * ops.where(self == self.mean(), math.nan, math.inf)
        return (2.0 / dof) * grad * (self - self.mean())
    dof = math.prod(self.shape[d] for d in dim) - correction
    scale = 2.0 / dof if dof else math.inf
    return scale * keep(grad, dim, self.dim(), keepdim) * (self - self.mean(dim, True))


def std_backward(grad, self, result, dim, correction, keepdim):
    return var_backward((grad / (result * 2)).masked_fill(result == 0, 0), self, dim, correction, keepdim)


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
    return grad.expand(shape) / n if reduction == "mean" else grad.expand(shape)


def bce_self(grad, self, target, weight, reduction):
    return ops.binary_cross_entropy_backward(grad, self, target, weight, reduction)


def bce_target(grad, self, weight, reduction):
    # -logit(self), unclamped (PyTorch's binary_cross_entropy_target_backward): inf at self == 0, unlike the loss
    g = loss_grad(grad, self.shape, reduction) * ((1 - self).log() - self.log())
    return g if weight is None else g * weight


def bce_logits_self(grad, self, target, weight, pos_weight, reduction):
    """PyTorch's binary_cross_entropy_with_logits_backward, op by op (a mean divides by n last: DivBackward1)."""
    if pos_weight is None:
        g = self.sigmoid() - target
    else:
        t = pos_weight * target
        g = (t + 1 - target) * self.sigmoid() - t
    g = g * grad
    if weight is not None:
        g = g * weight
    return ops.div_scalar(g, self.numel()) if reduction == "mean" else g


def bce_logits_target(grad, self, weight, pos_weight, reduction):
    """PyTorch's binary_cross_entropy_with_logits_target_backward: -self * grad without a pos_weight."""
    if pos_weight is None:
        g = -self * grad
    else:
        g = (ops.log_sigmoid(-self) - ops.log_sigmoid(self) * pos_weight) * grad
    if weight is not None:
        g = g * weight
    return ops.div_scalar(g, self.numel()) if reduction == "mean" else g


def nll_backward(grad, self, weight, target, reduction, ignore_index):
    if self.dim() == 1 and target.dim():  # the forward takes a target of shape [1]; PyTorch's backward does not
        raise RuntimeError(f"size mismatch (got input: {list(self.shape)}, target: {list(target.shape)})")
    return ops.nll_loss_backward(grad, self, target, weight, reduction, ignore_index)


# ------------------------------------------------------------------- double backward of the fused backward ops
# PyTorch's FunctionsManual.cpp: the derivatives of the backward ops (derivatives.py) for their saved input.
def softmax_double_backward(grad, grad_output, dim, output):
    return grad_output * grad - (output * grad_output).sum(dim, True) * grad - \
        grad_output * (output * grad).sum(dim, True)


def softmax_backward_jvp(grad_output_t, output_t, grad_output, output, dim):
    return ops.softmax_backward_data(grad_output_t, output, dim) + \
        softmax_double_backward(output_t, grad_output, dim, output)


def log_softmax_backward_jvp(grad_output_t, output_t, grad_output, output, dim):
    return grad_output_t - output.exp() * grad_output_t.sum(dim, True) - \
        grad_output.sum(dim, True) * output.exp() * output_t


def gelu_double_backward(grad, grad_output, self, approximate):
    """grad * grad_output * gelu''(self)."""
    if approximate == "tanh":
        k_beta, k_kappa = SQRT_2_OVER_PI, 0.044715
        inner = (self + self.pow(3) * k_kappa) * k_beta
        t = inner.tanh()
        g = 1 - t * t
        h = (1 + self * self * (3 * k_kappa)) * k_beta
        second = g * h + self * h * (-2 * t * g) * h * 0.5 + self * 0.5 * g * (self * (6 * k_kappa * k_beta))
    else:
        pdf = (self * self * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
        second = pdf * (2 - self * self)
    return grad * grad_output * second


def log_sigmoid_double_backward(grad, self):
    z = self.sigmoid()
    return grad * (z - 1) * z


def mse_loss_double_backward(grad, self, reduction):
    g = 2 * grad
    return g / self.numel() if reduction == "mean" else g


def bce_double_backward(grad_output, grad, self, target, weight, reduction):
    eps = 1e-12
    g = (self * self - 2 * self * target + target) / ((self + eps).pow(2) * (1 - self + eps).pow(2))
    g = g * (grad * grad_output)
    if weight is not None:
        g = g * weight
    return g / self.numel() if reduction == "mean" else g


def bce_double_backward_grad_output(grad, self, target, weight, reduction):
    eps = 1e-12
    g = (self - target) / ((self + eps) * (1 - self + eps)) * grad
    if weight is not None:
        g = g * weight
    return g / self.numel() if reduction == "mean" else g


def bce_double_backward_target(grad, grad_output, self, target, weight, reduction):
    g = -grad * grad_output
    if weight is not None:
        g = g * weight
    denom = (1 - self) * self
    with grad_mode.no_grad():  # clamped in place, unrecorded: the derivative goes through the product
        denom.clamp_(min=1e-12)
    g = g / denom
    return g / target.numel() if reduction == "mean" else g


def embedding_dense_double_backward(grad, indices, padding_idx):
    rows = grad.index_select(0, indices.reshape(-1))
    if padding_idx is not None:
        rows = rows.masked_fill((indices.reshape(-1) == padding_idx).unsqueeze(1), 0.0)
    return rows.view(tuple(indices.shape) + (-1,))


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


# ------------------------------------------------------------------- shape ops that copy
def repeat_backward(grad, self_shape, repeats):
    """PyTorch's repeat_backward: the leading new dims summed away one by one, then the copies summed out of
    a [r0, s0, r1, s1, ...] view (dims repeated once get no r axis; none repeated: the gradient as it is)."""
    if 0 in repeats:
        return ops.zeros(self_shape, dtype=grad.dtype, device=grad.device)
    for _ in range(len(repeats) - len(self_shape)):
        grad = grad.sum(0)
    shape, dims = [], []
    for r, s in zip(repeats[len(repeats) - len(self_shape):], self_shape):
        if r != 1:
            shape.append(r)
            dims.append(len(shape) - 1)
        shape.append(s)
    return grad.reshape(shape).sum(tuple(dims)) if dims else grad


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
