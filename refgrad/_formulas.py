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
from ._kernels import SQRT_2_OVER_PI
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


def _column_major(shape, strides):
    return strides[0] == 1 and strides[1] == shape[0]


def mm_mat1_backward(grad, mat2, mat1_shape, mat1_strides):
    """PyTorch's mm_mat1_backward: a column-major mat1 gets its gradient column-major too."""
    if _column_major(mat1_shape, mat1_strides):
        return mat2.mm(grad.t()).t()
    return grad.mm(mat2.t())


def mm_mat2_backward(grad, mat1, mat2_shape, mat2_strides):
    """PyTorch's mm_mat2_backward: a column-major mat2 (a linear layer's weight.t()) gets its gradient
    column-major, so the weight's own gradient is row-major, as the weight."""
    if _column_major(mat2_shape, mat2_strides):
        return grad.t().mm(mat1).t()
    return mat1.t().mm(grad)


def written_into_zeros(t):
    """A gradient PyTorch computes in place into fresh zeros (new_zeros(...).scatter_add_(...)): the write
    shows in its version."""
    t._vc.value += 1
    return t


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
    """C++'s `number - t` in a formula: empty_like(t).fill_(number).sub_(t), in place in t's dtype (SubBackward0)."""
    return ops.zeros_like(t).fill_(number).sub_(t)


def rdiv_scalar(number, t):
    """C++'s `number / t` in a formula: empty_like(t).fill_(number).div_(t), in place in t's dtype
    (DivBackward0; an integer t refuses the float quotient: "result type Float can't be cast to ... Long")."""
    return ops.zeros_like(t).fill_(number).div_(t)


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
def zeros_of(grad, shape):
    """PyTorch's `zeros_like(self)` in a formula, which its codegen rewrites to keep self's sizes and options only
    (self_info.zeros()), so self is not saved."""
    return ops.zeros(shape, dtype=grad.dtype, device=grad.device)


def index_add_source(grad, source, dim, index, alpha):
    """index_add's gradient for `source`: PyTorch's formula reads source (its dim, expand_as), so source is saved."""
    if source.dim() > 0:
        return maybe_multiply(grad.index_select(dim, index).expand_as(source), alpha)
    return maybe_multiply(grad.index_select(dim, index.squeeze(0)), alpha)


def softplus_double_backward(grad, self, beta, threshold):
    """PyTorch's: beta is a C++ Scalar, multiplied last (MulBackward1)."""
    x = ops.mul_scalar(self, beta)
    return ops.mul_scalar(ops.sigmoid_backward(grad, x.sigmoid()) * (x < threshold).to(grad.dtype), beta)


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


def prod_safe_zeros_backward(grad, self, dim):
    """PyTorch's: along `dim`, the product of all elements but the one at each position (exclusive cumprods
    from both ends, no division, so zeros work); the gradient itself along a dim of size 1. `self` has a zero
    (so it is not empty: PyTorch's branch for an empty one is never taken)."""
    n = self.shape[dim]
    if n == 1:
        return grad
    ones_shape = list(self.shape)
    ones_shape[dim] = 1
    ones = ops.ones(ones_shape, dtype=grad.dtype, device=grad.device)
    normal = ops.cat([ones, self.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    reverse = ops.cat([ones, self.narrow(dim, 1, n - 1).flip((dim,))], dim).cumprod(dim).flip((dim,))
    return grad * (normal * reverse)


def prod_backward(grad, self, result, dim=None, keepdim=False):
    """PyTorch's: result / self without a zero in the input (so an inf or NaN input spreads NaN), the
    products of the others where there is one (of the flattened input for a full prod, viewed back; zeros
    when more than one is zero and no graph is made)."""
    if self.dim() == 0:
        return grad
    if dim is not None:
        grad, result = keep(grad, (dim,), self.dim(), keepdim), keep(result, (dim,), self.dim(), keepdim)
    zeros = int((self == 0).sum())
    if not zeros:
        return grad * (result / self)
    if dim is not None:
        return prod_safe_zeros_backward(grad, self, dim)
    if zeros > 1 and not grad_mode.state.enabled:
        return ops.zeros_like(self)
    return prod_safe_zeros_backward(grad, self.contiguous().view(-1), 0).view_as(self)


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


def selected_tangent(self_t, dim, keepdim, indices):
    """Tangent of sort/topk/kthvalue/median.dim/mode: the input's tangent at the selected indices (PyTorch's
    gather_with_keepdimed_indices)."""
    if self_t.dim() == 0:
        return self_t.clone()
    index = indices if keepdim else indices.unsqueeze(dim)
    out = self_t.gather(dim, index)
    return out if keepdim else out.squeeze(dim)


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
        return ops.mul_scalar(grad, 2.0 / dof) * (self - self.mean())
    dof = math.prod(self.shape[d] for d in dim) - correction
    scale = 2.0 / dof if dof else math.inf
    return ops.mul_scalar(keep(grad, dim, self.dim(), keepdim), scale) * (self - self.mean(dim, True))


def std_backward(grad, self, result, dim, correction, keepdim):
    return var_backward((grad / ops.mul_scalar(result, 2)).masked_fill(result == 0, 0), self, dim, correction, keepdim)


def reversed_cumsum(w, dim):
    """Along `dim`, the sum of each element and those after it (PyTorch's reversed_cumsum)."""
    return w.flip((dim,)).cumsum(dim).flip((dim,))


def cumsum_backward(grad, dim):
    """PyTorch's: the incoming gradient itself for at most one element (empty too) or a size-1 dim."""
    if grad.numel() <= 1 or grad.shape[dim] == 1:
        return grad
    return reversed_cumsum(grad, dim)


def cumprod_backward(grad, self, result, dim):
    """PyTorch's: the incoming gradient itself (so it requires grad only when that does) for at most one
    element or a size-1 dim; result-based without zeros. With a zero, being differentiated it is the O(n^2)
    products of the others; otherwise PyTorch's O(n) masks, whose NaN and inf follow from the divisions and
    products they make (before a slice's first zero, result-based; at it, the products up to its second
    zero; after it, zero)."""
    if self.numel() <= 1 or self.shape[dim] == 1:
        return grad
    w = result * grad
    is_zero = self == 0
    if not bool(is_zero.any()):
        return reversed_cumsum(w, dim) / self
    if grad_mode.state.enabled:
        return cumprod_backward_by_position(grad, self, dim % self.dim())
    zeros_seen = is_zero.cumsum(dim)
    before = zeros_seen == 0
    grad_input = ops.where(before, reversed_cumsum(w.masked_fill(~before, 0.0), dim) / self, 0.0)
    until_second = zeros_seen == 1
    first_zero_index = until_second.max(dim, keepdim=True).indices  # 0 where a slice has no zero
    first_zero = ops.zeros_like(until_second).scatter(dim, first_zero_index, True) & until_second
    between = until_second & ~first_zero
    prefix = result.gather(dim, (first_zero_index - 1).relu()).masked_fill(first_zero_index == 0, 1.0)
    at_first_zero = (self.masked_fill(~between, 1.0).cumprod(dim)
                     * grad.masked_fill(~until_second, 0.0)).sum(dim, keepdim=True) * prefix
    return ops.where(first_zero, at_first_zero, grad_input)


def cumprod_backward_by_position(grad, x, dim):
    """PyTorch's O(n^2) path for an input with zeros being differentiated (create_graph): position k's
    gradient, the sum over j >= k of grad_j times the product of x_0..x_j but x_k, copied into a zeros
    tensor (so it is CopySlices)."""
    n = x.shape[dim]
    grad_input = ops.zeros(x.shape, dtype=grad.dtype, device=grad.device)
    for k in range(n):
        if k == 0:
            omitted = ops.cat([ops.ones_like(x.narrow(dim, 0, 1)), x.narrow(dim, 1, n - 1).cumprod(dim)], dim)
        elif k == n - 1:
            omitted = x.narrow(dim, 0, k).prod(dim, True)
        else:
            until = x.narrow(dim, 0, k).prod(dim, True)
            after = x.narrow(dim, k + 1, n - k - 1).cumprod(dim)
            omitted = ops.cat([until, until.expand_as(after) * after], dim)
        grad_input.select(dim, k).copy_((grad.narrow(dim, k, n - k) * omitted).sum(dim))
    return grad_input


def cumprod_jvp(self_t, self, result, dim):
    """PyTorch's: result-based, (self_t / self).cumsum * result (so NaN and inf spread as its divisions
    make them); from a slice's first zero on, the cumprod of the input with the tangent in the zero's place.
    A 0-d zero's tangent is its own."""
    tangent = (self_t / self).cumsum(dim or 0) * result  # a 0-d input's dim is None
    is_zero = self == 0
    if self.dim() == 0:
        return tangent.masked_fill(is_zero, self_t)
    first_zero = is_zero & (is_zero.cumsum(dim) == 1)
    after_zero = ops.where(first_zero, self_t, self).cumprod(dim)
    return ops.where(first_zero.cumsum(dim).bool(), after_zero, tangent)


# ------------------------------------------------------------------- linear algebra
def det_backward(grad, A, result):
    """PyTorch's linalg_det_backward: G with A^T G = grad det(A) I. Not being differentiated, it is solved
    with det's own LU, exact-zero pivots replaced by eps (a singular matrix gets a finite gradient, zero
    mostly). Being differentiated (create_graph), it is linalg.solve's for |det| >= 100 eps and the SVD
    formula of the cofactors below, so that both have higher derivatives. A 1x1 (or empty) matrix's gradient
    is a constant, as PyTorch's (it requires no grad)."""
    if A.shape[-1] < 2:
        return grad.unsqueeze(-1).unsqueeze(-1).expand(A.shape)
    eps = np.finfo(A.dtype.np).eps
    if not grad_mode.state.enabled:
        with quiet():  # an infinite grad times a zero det is NaN, silently
            d = np.where(np.eye(A.shape[-1], dtype=bool), (grad._data * result._data)[..., None, None], 0)  # +0 off it
        return ops.new_tensor(kernels.solve_transposed(A._data, d, eps), device=A.device)
    d = _diag_embed((grad * result).unsqueeze(-1).expand(A.shape[:-1]))
    return masked_fmap(result.abs() < 100 * eps, _det_singular, _det_nonsingular, A, d, grad)


def det_jvp(A_t, A, result):
    """PyTorch's linalg_det_jvp: det(A) tr(A^-1 dA), A^-1 dA through det's LU with exact-zero pivots made eps
    (a singular matrix gets a finite tangent). A constant, as PyTorch never differentiates it."""
    eps = np.finfo(A.dtype.np).eps
    AinvE = ops.new_tensor(kernels.det_lu_solve(A._data, A_t._data, eps, adjoint=True), device=A.device)
    return AinvE.diagonal(0, -2, -1).sum(-1) * result


def _det_nonsingular(A, d, grad):
    return ops.linalg_solve(A.transpose(-2, -1), d)


def _det_singular(A, d, grad):
    """The cofactors through the SVD (Higham's adjugate of a singular matrix): det(U) det(Vh) U
    diag(products of the other singular values) Vh, the signs of U and Vh cancelling."""
    U, S, Vh = ops.linalg_svd(A)
    alpha = ops.det(U) * ops.det(Vh) * grad
    D = prod_safe_zeros_backward(alpha.unsqueeze(-1), S, S.dim() - 1)
    return ops.matmul(U * D.unsqueeze(-2), Vh)


def _eye(n, like):
    return ops.eye(n, dtype=dt.bool_, device=like.device)


def _diag_embed(v):
    """Matrices with v's last dim on their diagonals (PyTorch's diag_embed; an inf stays off the zeros)."""
    return ops.where(_eye(v.shape[-1], v), v.unsqueeze(-1), 0.0)


def masked_fmap(mask, f1, f2, t, *ts):
    """PyTorch's masked_fmap: f1 of the items (leading-dim entries) of t, ts where `mask`, f2 elsewhere,
    put together with index_put_ (each function alone when the mask is all one way)."""
    if bool(mask.all()):
        return f1(t, *ts)
    if not bool(mask.any()):
        return f2(t, *ts)
    not_mask = ~mask
    out = ops.zeros_like(t)  # PyTorch's empty_like: every item is overwritten
    out[mask] = f1(t[mask], *(x[mask] for x in ts))  # index_put_, as PyTorch's
    out[not_mask] = f2(t[not_mask], *(x[not_mask] for x in ts))
    return out


def solve_backward(grad, A, result, wrt):
    """PyTorch's linalg_solve_backward, for one input (`wrt`): gB with A^T gB = gX, gA = -gB X^T. Not being
    differentiated, gB comes from the forward's LU (of A), transposed; being differentiated, from
    linalg.solve, so that it has higher derivatives."""
    vector = kernels.is_vector_rhs(A.shape, result.shape)
    g = grad.unsqueeze(-1) if vector else grad
    if grad_mode.state.enabled:
        gB = ops.linalg_solve(A.transpose(-2, -1), g)
    else:
        gB = ops.new_tensor(kernels.solve_transposed(A._data, g._data), device=A.device)
    if wrt == "B":
        return gB.squeeze(-1) if vector else gB
    X = result.unsqueeze(-1) if vector else result
    return -ops.matmul(gB, X.transpose(-2, -1))


def solve_jvp(A_t, B_t, A, result):
    """dX = A^-1 (dB - dA X)."""
    vector = kernels.is_vector_rhs(A.shape, result.shape)
    X = result.unsqueeze(-1) if vector else result
    dB = B_t.unsqueeze(-1) if vector else B_t
    dX = ops.linalg_solve(A, dB - ops.matmul(A_t, X))
    return dX.squeeze(-1) if vector else dX


def svd_backward(grads, result, full_matrices):
    """PyTorch's svd_backward for real matrices (distinct singular values assumed: repeated ones divide
    0 by 0). With full_matrices, only the first k columns of U (rows of Vh) count, as in PyTorch."""
    gU, gS, gVh = grads
    U, S, Vh = result
    k = S.shape[-1]
    if full_matrices:
        U, Vh = U.narrow(-1, 0, k), Vh.narrow(-2, 0, k)
        gU = None if gU is None else gU.narrow(-1, 0, k)
        gVh = None if gVh is None else gVh.narrow(-2, 0, k)
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        return (ops.matmul(U, gS.unsqueeze(-1) * Vh) if m >= n else ops.matmul(U * gS.unsqueeze(-2), Vh))
    S2 = S * S
    E = ops.where(_eye(k, S), 1.0, S2.unsqueeze(-2) - S2.unsqueeze(-1))  # 1 on the diagonal: divides 0 there
    if gU is not None:
        UhgU = ops.matmul(U.transpose(-2, -1), gU)
        UhgU = UhgU - UhgU.transpose(-2, -1)
    if gVh is not None:
        VhgV = ops.matmul(Vh, gVh.transpose(-2, -1))
        VhgV = VhgV - VhgV.transpose(-2, -1)
    if gU is not None and gVh is not None:
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif gU is not None:
        gA = (UhgU / E) * S.unsqueeze(-2)
    else:
        gA = S.unsqueeze(-1) * (VhgV / E)
    if gS is not None:
        gA = gA + _diag_embed(gS)
    if m > n and gU is not None:
        gA = ops.matmul(U, gA)
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - ops.matmul(U, ops.matmul(U.transpose(-2, -1), gUSinv))
        return ops.matmul(gA, Vh)
    if m < n and gVh is not None:
        gA = ops.matmul(gA, Vh)
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA + SinvgVh - ops.matmul(ops.matmul(SinvgVh, Vh.transpose(-2, -1)), Vh)
        return ops.matmul(U, gA)
    return ops.matmul(U, ops.matmul(gA, Vh)) if m >= n else ops.matmul(ops.matmul(U, gA), Vh)


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
    return ops.div_scalar(grad.expand(shape), n) if reduction == "mean" else grad.expand(shape)


def bce_self(grad, self, target, weight, reduction):
    return ops.binary_cross_entropy_backward(grad, self, target, weight, reduction)


def bce_target(grad, self, target, weight, reduction):
    """PyTorch's binary_cross_entropy_target_backward takes target too, so target is saved."""
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


def bce_logits_target(grad, self, target, weight, pos_weight, reduction):
    """PyTorch's binary_cross_entropy_with_logits_target_backward: -self * grad without a pos_weight (it takes
    target too, so target is saved)."""
    if pos_weight is None:
        g = -self * grad
    else:
        g = (ops.log_sigmoid(-self) - ops.log_sigmoid(self) * pos_weight) * grad
    if weight is not None:
        g = g * weight
    return ops.div_scalar(g, self.numel()) if reduction == "mean" else g


def nll_backward(grad, self, weight, target, reduction, ignore_index, total_weight):
    # total_weight is named as PyTorch's formula reads it (so the node saves it); the backward op sums it again
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


def conv_double_grad_output(grads, input, weight, grad_output_shape, stride, padding, dilation, groups):
    """convolution_backward's gradient for its grad_output: the convolution of what the output's gradient stands
    for (input, weight or bias). The convolution's formulas ask for one output each (output_mask), so only that
    output gets a gradient."""
    grad_input, grad_weight, grad_bias = grads
    if grad_input is not None:
        return ops.convolution(grad_input, weight, None, stride, padding, dilation, groups)
    if grad_weight is not None:
        return ops.convolution(input, grad_weight, None, stride, padding, dilation, groups)
    return grad_bias.reshape((1, -1) + (1,) * (weight.dim() - 2)).expand(grad_output_shape)


def conv_backward_jvp(grad_output_t, input_t, weight_t, grad_output, input, weight, stride, padding, dilation,
                      groups, output_mask):
    """convolution_backward is linear in grad_output, and in input (weight) for grad_weight (grad_input)."""
    def backward(g, x, w):
        return ops.convolution_backward(g, x, w, stride, padding, dilation, output_mask, groups)
    of_grad, of_input, of_weight = backward(grad_output_t, input, weight), backward(grad_output, input_t, weight), \
        backward(grad_output, input, weight_t)
    return [of_grad[0] + of_weight[0], of_grad[1] + of_input[1], of_grad[2]]


def conv_jvp(input_t, weight_t, bias_t, input, weight, stride, padding, dilation, groups):
    out = ops.convolution(input_t, weight, None, stride, padding, dilation, groups) + \
        ops.convolution(input, weight_t, None, stride, padding, dilation, groups)
    return out if bias_t is None else out + bias_t.reshape((1, -1) + (1,) * (weight.dim() - 2))


def layer_norm_stats(input, normalized_shape, eps):
    """The forward's mean and rstd of each normalized row, [rows, 1]: constants, as the mean and rstd that
    PyTorch's native_layer_norm saves (non-differentiable)."""
    with quiet():
        mean, rstd = kernels.layer_norm_moments(input._data, normalized_shape, eps)
    return tuple(ops.new_tensor(v[:, None], device=input.device) for v in (mean, rstd))


def layer_norm_double_backward(grads, grad_out, input, weight, normalized_shape, eps):
    """PyTorch's layer_norm_double_backward: from the gradients of native_layer_norm_backward's outputs
    (the input's, weight's and bias's gradients), those of its inputs (input, weight, grad_out), on rows
    [M, N] and the forward's constant mean and rstd."""
    n = math.prod(normalized_shape)
    x, gO = input.reshape(-1, n), grad_out.reshape(-1, n)
    mean, rstd = layer_norm_stats(input, normalized_shape, eps)
    ggI = None if grads[0] is None else grads[0].reshape(-1, n)
    ggG = grads[1].reshape(1, n) if weight is not None and grads[1] is not None else None
    ggB = None if grads[2] is None else grads[2].reshape(1, n)
    gamma = ops.ones(1, dtype=x.dtype, device=x.device) if weight is None else weight.reshape(1, n)
    xmu = x - mean
    s2, s3 = rstd.pow(2), rstd.pow(3)
    xmu_s3 = xmu * s3

    def first_backward(g, gamma):  # the input gradient of the first backward, at gradient g
        return (gamma * rstd) / n * (n * g - g.sum(1, True) - xmu * s2 * (g * xmu).sum(1, True))

    gI = gG = ggO = None
    if ggI is not None:
        gxhat = gO * gamma
        gxhat_mu_sum, gxhat_sum = (gxhat * xmu).sum(1, True), gxhat.sum(1, True)
        ggI_sum, ggI_mu_sum = ggI.sum(1, True), (ggI * xmu).sum(1, True)
        all_sub = ggI_sum * gxhat_sum / n - (ggI * gxhat).sum(1, True) + s2 * gxhat_mu_sum * ggI_mu_sum * (3.0 / n)
        gI = (xmu_s3 * all_sub) / n + (ggI_mu_sum * s3) / n * (gxhat_sum / n - gxhat) + \
            (gxhat_mu_sum * s3) / n * (ggI_sum / n - ggI)
        ggO = first_backward(ggI, gamma)
        if weight is not None:
            gG = (gO * first_backward(ggI, ops.ones(1, dtype=x.dtype, device=x.device))).sum(0).reshape(weight.shape)
    if ggG is not None:
        term = gO * ggG * rstd - rstd * (gO * ggG).sum(1, True) / n - xmu_s3 * (gO * ggG * xmu).sum(1, True) / n
        gI = term if gI is None else gI + term
        ggO_term = ggG * xmu * rstd
        ggO = ggO_term if ggO is None else ggO + ggO_term
    if ggB is not None:
        ggO = ggB if ggO is None else ggO + ggB
    return (None if gI is None else gI.reshape(input.shape), gG,
            None if ggO is None else ggO.expand(x.shape).reshape(input.shape))


def layer_norm_jvp(input_t, weight_t, bias_t, input, weight, normalized_shape, eps):
    """PyTorch's layer_norm_jvp, on the forward's constant mean and rstd (a row whose rstd is NaN gets a NaN
    tangent)."""
    k = len(normalized_shape)
    dims = tuple(range(input.dim() - k, input.dim()))
    view = tuple(input.shape[:input.dim() - k]) + (1,) * k
    mean, rstd = (v.view(view) for v in layer_norm_stats(input, normalized_shape, eps))
    centered, centered_t = input - mean, input_t - input_t.mean(dims, True)
    rstd_t = -rstd.pow(3) * (centered_t * centered).sum(dims, True) / math.prod(normalized_shape)
    out = centered_t * rstd + centered * rstd_t
    if weight is not None:
        out = out * weight
        if weight_t is not None:
            out = out + centered * rstd * weight_t
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
        if len(shape) == 1 and shape[0] == 0:  # a legacy empty input: a new empty gradient
            out.append(ops.zeros((0,), dtype=grad.dtype, device=grad.device))
            continue
        out.append(grad.narrow(dim, start, shape[dim]))
        start += shape[dim]
    return out


# ------------------------------------------------------------------- more activations, losses, batch norm, adaptive pool
def hardtanh_backward(grad, self, min_val, max_val):
    return ops.where((self > min_val) & (self < max_val), grad, ops.zeros_like(grad))


def hardswish_backward(grad, self):
    """PyTorch's: 0 up to -3 (included), grad * (x / 3 + 0.5) below 3, grad from 3."""
    return ops.where(self <= -3, ops.zeros_like(grad), ops.where(self < 3, grad * (self / 3 + 0.5), grad))


def mish_backward(grad, self):
    """PyTorch's mish_backward: grad * (tanh(softplus(x)) + x * sigmoid(x) * (1 - tanh(softplus(x))^2))."""
    tanh_softplus = self.exp().log1p().tanh()
    return grad * (tanh_softplus + self * self.sigmoid() * rsub_scalar(1.0, tanh_softplus * tanh_softplus))


def scaled_elu_backward(grad, self, alpha, scale, input_scale):
    """PyTorch's elu_backward: the negative side at 0; its derivative there (elu_double_backward) is the positive
    side's, 0, so the exponent reads x below 0 only."""
    below = ops.where(self < 0, self, ops.zeros_like(self))
    return ops.where(self > 0, grad * scale, grad * (input_scale * alpha * scale) * (below * input_scale).exp())


def elu_backward_of_result(grad, result, alpha, scale, input_scale):
    """PyTorch's elu_backward with is_result: grad * input_scale * (y + alpha * scale) where y <= 0, else
    grad * scale. Its derivative in y (elu_double_backward) is grad * input_scale below 0 only, so y reads
    through a where that is 0 at 0."""
    below = ops.where(result < 0, result, ops.zeros_like(result))
    negative = ops.mul_scalar(grad, input_scale * alpha * scale) + ops.mul_scalar(grad * below, input_scale)
    return ops.where(result > 0, ops.mul_scalar(grad, scale), negative)


def leaky_relu_backward_of_result(grad, result, negative_slope):
    """PyTorch's leaky_relu_backward with self_is_result: the output's sign is the input's for a slope of 0 or
    more; PyTorch refuses a negative one."""
    if negative_slope < 0:
        raise RuntimeError(
            "In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. "
            "This is caused by calling in-place forward function with a negative slope, please call out-of-place "
            "version instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting "
            "in-place leakRelu backward calculation with negative slope")
    return ops.leaky_relu_backward(grad, result, negative_slope)


def smooth_l1_backward(grad, self, target, reduction, beta):
    """(x - t) / beta strictly within +-beta, else its sign: the branches agree at +-beta, where PyTorch's double
    backward takes the outer one."""
    g, d = loss_grad(grad, self.shape, reduction), self - target
    return ops.where(d.abs() < beta, d * g / beta, d.sign() * g)


def huber_backward(grad, self, target, reduction, delta):
    g, d = loss_grad(grad, self.shape, reduction), self - target
    return ops.where(d.abs() < delta, d * g, d.sign() * g * delta)


def _channel_view(t, ndim):
    return t.view(-1, *(1,) * (ndim - 2))


def _batch_norm_parts(input, running_mean, running_var, training, eps):
    """(x - mean) * invstd and invstd, per channel: the batch's statistics (in refgrad ops, so that they are
    differentiated again) in training, the running ones otherwise."""
    dims = [0] + list(range(2, input.dim()))
    if training:
        centered = input - input.mean(dims, keepdim=True)
        invstd = ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
    else:
        centered = input - _channel_view(running_mean, input.dim())
        invstd = _channel_view((running_var + eps).rsqrt(), input.dim())
    return centered * invstd, invstd, dims


def batch_norm_backward(grad, input, weight, running_mean, running_var, training, eps, which):
    """The gradient of native_batch_norm for its input (0), weight (1) or bias (2)."""
    xhat, invstd, dims = _batch_norm_parts(input, running_mean, running_var, training, eps)
    if which == 2:
        return grad.sum(dims)
    if which == 1:
        return (grad * xhat).sum(dims)
    if training:
        n = input.numel() // input.shape[1]
        grad = grad - grad.mean(dims, keepdim=True) - xhat * ((grad * xhat).sum(dims, keepdim=True) / n)
    gi = grad * invstd
    return gi if weight is None else gi * _channel_view(weight, input.dim())


def batch_norm_jvp(input_t, weight_t, bias_t, input, weight, running_mean, running_var, training, eps):
    xhat, invstd, dims = _batch_norm_parts(input, running_mean, running_var, training, eps)
    if training:
        centered_t = input_t - input_t.mean(dims, keepdim=True)
        out = (centered_t - xhat * (centered_t * xhat).mean(dims, keepdim=True)) * invstd
    else:
        out = input_t * invstd
    if weight is not None:
        out = out * _channel_view(weight, input.dim())
        if weight_t is not None:
            out = out + xhat * _channel_view(weight_t, input.dim())
    return out if bias_t is None else out + _channel_view(bias_t, input.dim())
