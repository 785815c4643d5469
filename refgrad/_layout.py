"""Memory layouts of results, as PyTorch's kernels allocate them.

A layout decides `is_contiguous()`, `stride()`, whether `view` works and whether `contiguous()` copies, so it
is part of what a program observes. NumPy's elementwise loops keep the layout of their operands when they
agree and fall back to row-major when they do not; PyTorch's TensorIterator lets the first operand whose
strides tell two dims apart decide their order. `iterator_layout` applies TensorIterator's rule.
"""
import numpy as np

__all__ = ["iterator_layout"]


def iterator_layout(result, operands):
    """The result of an elementwise op of several operands (arrays or numbers) in the memory order
    TensorIterator gives it (reorder_dimensions). Row-major operands, the common case, cost one check."""
    ndim = result.ndim
    if ndim < 2:
        return result
    arrays = [a for a in operands if type(a) is np.ndarray and a.ndim]
    if all(a.flags.c_contiguous for a in arrays):
        return result
    strides = [_broadcast_strides(a, result.shape) for a in arrays]
    order = _iteration_order(strides, result.shape)  # fastest-varying dim first
    if order == list(range(ndim - 1, -1, -1)):
        wanted = result.flags.c_contiguous
    else:
        wanted = _strides_in_order(result, order) == result.strides
    if wanted:
        return result
    laid_out = np.empty([result.shape[d] for d in reversed(order)], result.dtype)
    laid_out = laid_out.transpose(np.argsort(list(reversed(order))))
    laid_out[...] = result
    return laid_out


def _broadcast_strides(array, shape):
    """An operand's strides over the result's shape: 0 along a dim it is broadcast in."""
    lead = len(shape) - array.ndim
    return [0] * lead + [0 if n == 1 and shape[lead + i] != 1 else s
                         for i, (n, s) in enumerate(zip(array.shape, array.strides))]


def _iteration_order(strides, shape):
    """TensorIterator's insertion sort of the dims, fastest first: the first operand whose strides differ
    along two dims (neither broadcast) orders them; equal strides put the smaller dim first."""
    def should_swap(dim0, dim1):
        for s in strides:
            s0, s1 = s[dim0], s[dim1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[dim0] > shape[dim1]:
                return 1
        return 0
    perm = list(range(len(shape) - 1, -1, -1))
    for i in range(1, len(perm)):
        dim1 = i
        for dim0 in range(i - 1, -1, -1):
            comparison = should_swap(perm[dim0], perm[dim1])
            if comparison > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif comparison < 0:
                break
    return perm


def _strides_in_order(result, order):
    strides, step = [0] * result.ndim, result.itemsize
    for d in order:
        strides[d] = step
        step *= result.shape[d]
    return tuple(strides)
