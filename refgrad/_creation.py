"""Tensor factories: tensor, as_tensor, from_numpy, arange, zeros, ones, full, eye, linspace, rand, ...

Dtype inference follows PyTorch: bools give bool, Python ints give int64, floats give the
default dtype (float32), NumPy arrays keep their dtype.
"""
import math
import warnings

import numpy as np

from . import _dtype as dt
from ._args import int_list
from ._device import CPU, canonical, or_default
from ._fp import quiet, quietly
from ._layout import check_memory_format, contiguous_format, copy_as, preserve_format, preserved
from ._scalars import check_fill_value, converted, scalar_into
from ._tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "arange", "zeros", "ones", "full", "empty", "eye", "linspace",
           "zeros_like", "ones_like", "full_like", "empty_like", "rand", "randn", "rand_like", "randn_like",
           "randint", "manual_seed", "seed", "initial_seed"]


def _finish(data, dtype, device, requires_grad, message="Only Tensors of floating point and complex dtype can "
                                                         "require gradients"):
    t = Tensor._make(data, dtype, or_default(device))
    if requires_grad:
        if not dtype.is_floating_point:
            raise RuntimeError(message)
        t._requires_grad = True
    return t


def _infer_dtype(data):
    """The dtype torch.tensor infers for nested Python data: Python numbers by kind (bool, int64, the default
    float), a tensor by its dtype, all promoted together."""
    kind, tensor_dtype = -1, None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, Tensor):
            tensor_dtype = item._dtype if tensor_dtype is None else dt.promote_types(tensor_dtype, item._dtype)
        elif isinstance(item, (bool, np.bool_)):
            kind = max(kind, 0)
        elif isinstance(item, (int, np.integer)):
            kind = max(kind, 1)
        elif isinstance(item, (float, np.floating)):
            kind = max(kind, 2)
        elif item is None:
            raise RuntimeError("Could not infer dtype of NoneType")
        else:
            raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
    if kind < 0:  # no numbers: the tensors' dtype, or the default for no elements at all
        return tensor_dtype or dt.get_default_dtype()
    number_dtype = (dt.bool_, dt.int64, dt.get_default_dtype())[kind]
    return number_dtype if tensor_dtype is None else dt.promote_types(tensor_dtype, number_dtype)


def _check_ragged(data, depth=0):
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)):
        n = len(data[0])
        for item in data:
            if not isinstance(item, (list, tuple, Tensor)) or len(item) != n:
                got = len(item) if isinstance(item, (list, tuple, Tensor)) else type(item).__name__
                raise ValueError(f"expected sequence of length {n} at dim {depth + 1} (got {got})")
            _check_ragged(item, depth + 1)


def _unwrap(data, dtype):
    """Nested data as NumPy can take it. As in PyTorch, the first element of each level says whether the level is a
    sequence: a tensor there is a scalar (its one element, read as Python reads a tensor), while a tensor at a level
    of lists is a sequence of its elements."""
    if isinstance(data, Tensor):
        return _scalar_element(data, dtype)
    if isinstance(data, (list, tuple)):
        if data and isinstance(data[0], (list, tuple)):
            return [_unwrap(list(d) if isinstance(d, Tensor) else d, dtype) for d in data]
        return [_unwrap(d, dtype) for d in data]
    return data


def _scalar_element(t, dtype):
    if t._data.size != 1:
        if dtype.is_floating_point:
            raise ValueError("only one element tensors can be converted to Python scalars")
        raise TypeError("only integer tensors of a single element can be converted to an index")
    t._warn_if_requires_grad()
    return t._data.reshape(())


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor holding a copy of `data`."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        src_dtype = data._dtype
        arr = data._data.copy()
    elif isinstance(data, np.ndarray):
        src_dtype = dt.from_numpy_dtype(data.dtype)
        arr = data.copy()
    elif data is None:
        raise RuntimeError("Could not infer dtype of NoneType")
    elif isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    else:
        _check_ragged(data)
        src_dtype = _infer_dtype(data)
        arr = np.array(_unwrap(data, dtype or src_dtype))
    dtype = dtype or src_dtype
    with quiet():  # 1e30 as half is inf, silently, as in PyTorch
        data = np.array(converted(arr, dtype.np))
    return _finish(data, dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a NumPy array or tensor when dtype and device allow."""
    if isinstance(data, Tensor):
        return data if dtype in (None, data._dtype) and device is None else data.to(dtype or data._dtype,
                                                                                     device=device)
    if isinstance(data, np.ndarray):
        src = dt.from_numpy_dtype(data.dtype)
        if dtype in (None, src):
            return _finish(data, src, device, False)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return _finish(array, dt.from_numpy_dtype(array.dtype), CPU, False)


def _size(fn, size):
    """The size argument of factory `fn`, as PyTorch's parser reads it (int_list), and no dim negative."""
    size = int_list(fn, "size", size)
    for s in size:
        if s < 0:
            if fn == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _pick(size_args, size):
    """Factories take the size as separate ints, one sequence, or size=..."""
    if size is not None:
        if size_args:
            raise TypeError("got multiple values for argument 'size'")
        return (size,)
    return size_args


def _filled(fn, value, size, dtype, device, requires_grad):
    dtype = dtype or dt.get_default_dtype()
    shape = _size(fn, size)
    check_fill_value(value, dtype, math.prod(shape))  # full((2,), 1e30, dtype=half) is refused, even empty
    with quiet():
        data = np.full(shape, scalar_into(value, dtype.np), dtype=dtype.np)
    return _finish(data, dtype, device, requires_grad)


def zeros(*size_args, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _filled("zeros", 0, _pick(size_args, size), dtype, device, requires_grad)


def ones(*size_args, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _filled("ones", 1, _pick(size_args, size), dtype, device, requires_grad)


def empty(*size_args, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, memory_format=None):
    check_memory_format("empty", memory_format)
    result = _filled("empty", 0, _pick(size_args, size), dtype, device, requires_grad)
    if memory_format is not None and memory_format is not contiguous_format:
        if memory_format is preserve_format:
            raise RuntimeError("unsupported memory format Preserve")
        result._data = copy_as(result._data, memory_format)
    return result


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if dtype is None:
        dtype = dt.scalar_dtype(fill_value)
    return _filled("full", fill_value, (size,), dtype, device, requires_grad)


def _like(value, name):
    def factory(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
        check_memory_format(name, memory_format)
        into = dtype or input._dtype
        check_fill_value(value, into, input._data.size)
        data = np.full(input._data.shape, scalar_into(value, into.np), dtype=into.np)
        if memory_format is None or memory_format is preserve_format:
            data = preserved(data, input._data)
        elif memory_format is not contiguous_format:
            data = copy_as(data, memory_format)
        return _finish(data, into, device if device is not None else input._device, requires_grad)
    return factory


zeros_like = _like(0, "zeros_like")
ones_like = _like(1, "ones_like")
empty_like = _like(0, "empty_like")


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    return _like(fill_value, "full_like")(input, dtype=dtype, device=device, requires_grad=requires_grad,
                                         memory_format=memory_format)


def full_like_scalar(like, value):
    """A 0-dim tensor holding a Python scalar, for reflected operators such as `2 // x`."""
    return Tensor._make(np.asarray(value, dtype=dt.scalar_dtype(value).np), dt.scalar_dtype(value), like._device)


def _zeros(shape, dtype, device):
    return Tensor._make(np.zeros(shape, dtype.np), dtype, device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if end is None:
        start, end = 0, start
    if dtype is dt.int64 and any(isinstance(v, float) for v in (start, end, step)):
        start, end, step = int(start), int(end), int(step)  # PyTorch's parser takes the bounds as int64
        if step == 0:
            raise ValueError("step must be nonzero")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) or (isinstance(v, Tensor) and v._dtype.is_floating_point)
                       for v in (start, end, step))
        dtype = dt.get_default_dtype() if is_float else dt.int64
    n = int(np.ceil((float(end) - float(start)) / float(step)))
    if dtype in _ARANGE_LANES:
        data = _arange_as_vectorized(float(start), float(step), n, dtype)
    elif dtype.is_floating_point:
        data = start + np.arange(n, dtype=np.float64) * step
    else:
        data = np.arange(start, end, step)
    return _finish(data.astype(dtype.np), dtype, device, requires_grad)


_ARANGE_LANES = {dt.float32: 8, dt.float64: 4}  # elements in one of the 256-bit vectors of PyTorch's CPU kernel


def _fma(a, b, c):
    """a * b + c rounded once, as the fused multiply-add of PyTorch's compiled kernels (an exact product by
    Dekker's splitting, an exact sum by Knuth's two-sum; exact but for rare double roundings)."""
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    product = a * b
    split_a, split_b = a * 134217729.0, b * 134217729.0  # 2**27 + 1
    a_hi = split_a - (split_a - a)
    b_hi = split_b - (split_b - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    product_error = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    total = product + c
    virtual = total - product
    sum_error = (product - (total - virtual)) + (c - virtual)
    return total + (product_error + sum_error)


@quietly
def _arange_as_vectorized(start, step, n, dtype):
    """PyTorch's CPU arange, in its order of rounding: the kernel takes two vectors of `lanes` elements at a time,
    each from a base `start + step * idx` (fused, in double, then in the dtype) plus `i * step` for its lane i
    (fused, in double); the elements after the last pair of vectors are `start + step * idx`, fused, in double."""
    lanes = _ARANGE_LANES[dtype]
    idx = np.arange(n, dtype=np.float64)
    data = _fma(step, idx, start)
    vectorized = n // (2 * lanes) * (2 * lanes)
    lane = np.arange(vectorized) % lanes
    base = _fma(step, idx[:vectorized] - lane, start).astype(dtype.np).astype(np.float64)
    data[:vectorized] = _fma(lane, step, base)
    return data


@quietly  # an infinite end gives inf and nan silently
def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    dtype = dtype or dt.get_default_dtype()
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    # PyTorch fills the first half forward from start and the second half backward from end.
    np_t = dtype.np if dtype.is_floating_point else np.dtype(np.float64)
    if not dtype.is_floating_point:  # integer bounds first (truncated), then a float step, as PyTorch's kernel
        start, end = int(start), int(end)
    idx = np.arange(steps)
    step = (np_t.type(end) - np_t.type(start)) / np_t.type(max(steps - 1, 1))
    half = steps // 2 if steps != 1 else 1  # one step is start
    data = np.where(idx < half, np_t.type(start) + step * idx.astype(np_t),
                    np_t.type(end) - step * (steps - idx - 1).astype(np_t))
    return _finish(data.astype(dtype.np), dtype, device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    dtype = dtype or dt.get_default_dtype()
    return _finish(np.eye(n, n if m is None else m, dtype=dtype.np), dtype, device, requires_grad)


# ------------------------------------------------------------------ random numbers
# refgrad's generator is its own (NumPy's PCG64): seeded runs repeat, but the numbers differ from
# PyTorch's. Conformance scenarios take their inputs from the harness, never from here.
_rng = [np.random.default_rng(0), 0]


class Generator:
    """torch.Generator: a seedable stream of refgrad's random numbers (NumPy's PCG64, not PyTorch's), for the
    `generator=` of the random functions and of DataLoader / random_split. `default_generator` (what they draw
    from without one, and what manual_seed seeds) holds the module's stream."""

    def __init__(self, device="cpu", *, _state=None):
        self.device = canonical(device)
        self._state = _state if _state is not None else [None, None]  # [NumPy generator, seed]
        if _state is None:
            self.manual_seed(67280421310721)  # PyTorch's default seed

    def manual_seed(self, seed):
        self._state[0], self._state[1] = np.random.default_rng(int(seed)), int(seed)
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._state[1]


default_generator = Generator(_state=_rng)


def _numbers(generator):
    return (generator if generator is not None else default_generator)._state[0]


def manual_seed(seed):
    return default_generator.manual_seed(seed)


def seed():
    s = int(np.random.SeedSequence().entropy % (2 ** 63))
    manual_seed(s)
    return s


def initial_seed():
    return _rng[1]


def _random(fn, sampler, size, dtype, device, requires_grad):
    dtype = dtype or dt.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{dt.SCALAR_NAME[dtype]}'")
    return _finish(sampler(_size(fn, size)).astype(dtype.np), dtype, device, requires_grad)


def rand(*size_args, size=None, dtype=None, device=None, requires_grad=False, generator=None, out=None, layout=None):
    return _random("rand", lambda s: _numbers(generator).random(s), _pick(size_args, size), dtype, device,
                   requires_grad)


def randn(*size_args, size=None, dtype=None, device=None, requires_grad=False, generator=None, out=None, layout=None):
    return _random("randn", lambda s: _numbers(generator).standard_normal(s), _pick(size_args, size), dtype, device,
                   requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
             pin_memory=False):
    """A random permutation of range(n) (refgrad's generator: not PyTorch's order)."""
    dtype = dtype or dt.int64
    return _finish(_numbers(generator).permutation(int(n)).astype(dtype.np), dtype, device, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    return rand(input._data.shape, dtype=dtype or input._dtype, device=device or input._device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    return randn(input._data.shape, dtype=dtype or input._dtype, device=device or input._device,
                 requires_grad=requires_grad)


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    if high is None:
        low, high = 0, low
    dtype = dtype or dt.int64
    return _finish(_numbers(generator).integers(low, high, _size("randint", (size,))).astype(dtype.np), dtype, device,
                   requires_grad)


def normal(mean, std, size=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    """torch.normal(mean, std, size) with float mean and std (tensor mean/std broadcast elementwise)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _size("normal", (size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    dtype = dtype or (like._dtype if like is not None else dt.get_default_dtype())
    device = device or (like._device if like is not None else None)
    return _random("normal", lambda sh: _numbers(generator).normal(m, s, sh), (shape,), dtype, device, requires_grad)


# --------------------------------------------------------------------------- legacy constructors
def legacy_new(dtype, args, kwargs=None):
    """torch.Tensor(...) and torch.FloatTensor(...): no arguments (an empty tensor), sizes (uninitialised in
    PyTorch, zeros here), a torch.Size, a sequence of data, or a tensor of the type (an alias of it)."""
    device = (kwargs or {}).get("device")
    first = args[0] if args else None
    if len(args) == 1 and isinstance(first, Tensor) and dtype in (None, first._dtype):  # torch.Tensor takes any
        return first[...]  # an alias (AliasBackward0)
    dtype = dtype or dt.get_default_dtype()
    if not args:
        return empty(0, dtype=dtype, device=device)
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args) or \
            len(args) == 1 and type(first).__name__ == "Size":
        return empty(*args, dtype=dtype, device=device)
    if len(args) == 1 and isinstance(first, (list, tuple, np.ndarray)):
        return tensor(first, dtype=dtype, device=device)
    if len(args) == 1 and isinstance(first, (float, complex, bool)):
        raise TypeError(f"new(): data must be a sequence (got {type(first).__name__})")
    raise TypeError(f"new(): invalid data type '{type(first).__name__}'")


Tensor._legacy_new = staticmethod(legacy_new)  # refgrad/_ops.py puts PyTorch's parser in front


class _TensorType(type):
    """The metaclass of torch.FloatTensor and friends: calling one makes a tensor of its dtype, isinstance asks
    for a CPU tensor of it."""
    def __call__(cls, *args, **kwargs):
        return Tensor._legacy_new(cls.dtype, args, kwargs)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._dtype is cls.dtype and obj._device.type == "cpu"

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


_TensorType.__name__ = _TensorType.__qualname__ = "tensortype"
_TensorType.__module__ = "torch"
LEGACY_TYPES = {d._legacy: _TensorType(d._legacy, (), {"dtype": d, "__module__": "torch"}) for d in dt.ALL}
