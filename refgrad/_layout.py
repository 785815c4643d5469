"""Memory layouts of results, as PyTorch's kernels allocate them.

A layout decides `is_contiguous()`, `stride()`, whether `view` works and whether `contiguous()` copies, so it
is part of what a program observes. NumPy's elementwise loops keep the layout of their operands when they
agree and fall back to row-major when they do not; PyTorch's TensorIterator lets the first operand whose
strides tell two dims apart decide their order. `iterator_layout` applies TensorIterator's rule. A memory
format (`torch.channels_last`, ...) names a layout a tensor can be asked for (`clone`, `contiguous`, `*_like`)
or checked for (`is_contiguous`).
"""
import numpy as np

__all__ = ["iterator_layout", "row_major", "memory_format", "contiguous_format", "preserve_format", "channels_last",
           "channels_last_3d", "check_memory_format", "is_contiguous_as", "suggested_format", "preserved", "copy_as",
           "iteration_order"]


class memory_format:
    """torch.memory_format: a layout by name."""
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
# a channels-last format's rank and its dims from the fastest-varying (channels) to the slowest (batch)
_CHANNELS_LAST = {channels_last: (4, (1, 3, 2, 0)), channels_last_3d: (5, (1, 4, 3, 2, 0))}


def row_major(data):
    """A result that PyTorch allocates row-major, with its row-major strides: NumPy may give a new array's
    size-1 dims any stride (a reduction with keepdim), PyTorch's are the running products."""
    if data.ndim < 2:
        return data
    if not data.flags.c_contiguous:
        return np.ascontiguousarray(data)
    strides, step = [0] * data.ndim, data.itemsize
    for d in range(data.ndim - 1, -1, -1):
        strides[d] = step
        step *= max(data.shape[d], 1)
    strides = tuple(strides)
    if strides == data.strides or not data.size:
        return data
    return np.lib.stride_tricks.as_strided(data, strides=strides, writeable=True)


def suggested_layout(data, operands):
    """A result laid out as PyTorch's convolution, pooling and padding kernels lay theirs: channels-last when an
    operand's strides suggest it (suggest_memory_format), else row-major."""
    for a in operands:
        if type(a) is np.ndarray and a.ndim == data.ndim and a.ndim in (4, 5):
            fmt = suggested_format(a)
            if fmt is not contiguous_format:
                return data if is_contiguous_as(data, fmt) else copy_as(data, fmt)
    return row_major(data)


def check_memory_format(fn_name, value):
    """PyTorch's parser's words for a memory_format argument of another type; None passes (the default)."""
    if value is not None and not isinstance(value, memory_format):
        raise TypeError(f"{fn_name}(): argument 'memory_format' must be torch.memory_format, not "
                        f"{type(value).__name__}")


def is_contiguous_as(data, fmt):
    """Whether an array is laid out in `fmt` (preserve_format asks for the row-major one); size-1 dims count
    for nothing."""
    if fmt not in _CHANNELS_LAST:
        return bool(data.flags.c_contiguous)
    rank, fastest_first = _CHANNELS_LAST[fmt]
    if data.ndim != rank:
        return False
    expected = data.itemsize
    for d in fastest_first:
        if data.shape[d] != 1:
            if data.strides[d] != expected:
                return False
            expected *= data.shape[d]
    return True


def suggested_format(data):
    """PyTorch's suggest_memory_format: channels_last(_3d) for strides that look channels-last (an ambiguous
    N111 tensor, or one whose channels have stride 0, counts as row-major), else contiguous_format."""
    for fmt, (rank, fastest_first) in _CHANNELS_LAST.items():
        if data.ndim == rank and _strides_like(data, fastest_first):
            return fmt
    return contiguous_format


def _strides_like(data, fastest_first):
    strides, smallest = data.strides, 0
    if strides[1] == 0:
        return False
    for d in fastest_first:
        if strides[d] == 0 or strides[d] < smallest or d == 0 and smallest == strides[1]:
            return False
        smallest = strides[d] * (data.shape[d] if data.shape[d] > 1 else 1)
    return True


def preserved(result, like):
    """A new row-major `result` shaped as `like`, laid out as PyTorch's preserve_format lays out a tensor made
    like it: a dense `like`'s strides, or the dims in its strides' order (TensorIterator's, a broadcast dim
    telling nothing) where it overlaps or has gaps. NumPy's order "K" orders a broadcast dim otherwise."""
    return iterator_layout(result, (like,))


def copy_as(data, fmt):
    """A copy of an array laid out in `fmt`: None or preserve_format keeps its layout (dims in its strides'
    order), contiguous_format is row-major, channels_last puts the channels (dim 1) fastest."""
    if fmt is None or fmt is preserve_format:
        return preserved(np.array(data, order="C"), data)
    if fmt is contiguous_format:
        return np.copy(data, order="C")
    rank, fastest_first = _CHANNELS_LAST[fmt]
    if data.ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt._name} format")
    slowest_first = fastest_first[::-1]
    out = np.empty([data.shape[d] for d in slowest_first], data.dtype).transpose(np.argsort(slowest_first))
    out[...] = data
    return out


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
    order = iteration_order(strides, result.shape)  # fastest-varying dim first
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


def iteration_order(strides, shape):
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
