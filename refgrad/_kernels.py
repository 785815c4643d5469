"""The NumPy forward kernels of the derivative table's entries that take more than one line.

Each takes the input arrays positionally (already in the compute dtype) and the op's parameters by
keyword, and returns an array; refgrad/derivatives.py names them (`kernels.conv`). Index tensors
arrive as tensors (their `_data` is read here). Nothing here records or differentiates.
"""
import functools
import math

import numpy as np

from . import _dtype as dt
from ._cpu import CAPABILITY, vectorised_mask
from ._promotion import broadcast_shapes, converted
from ._fp import quietly
from ._layout import iterator_layout


# ------------------------------------------------------------------- which dtypes a kernel takes
FLOAT, NO_BOOL, INTEGRAL = "f", "fiu", "iub"  # NumPy dtype kinds


def typed(name, kinds=FLOAT, elementwise=False):
    """A forward whose PyTorch CPU kernel exists only for some dtypes: for an operand of any other
    dtype (the compute dtype), PyTorch's NotImplementedError naming its kernel (`"silu_cpu"`).
    An elementwise kernel's operands must broadcast first: PyTorch's TensorIterator checks that before
    it picks the kernel."""
    def wrap(forward):
        @functools.wraps(forward)
        def checked(*arrays, **params):
            if elementwise and arrays[0].dtype.kind not in kinds:
                broadcast_shapes(*(np.shape(a) for a in arrays if a is not None))
            check_kind(name, arrays[0].dtype, kinds)
            return forward(*arrays, **params)
        checked.check_dtype = lambda np_dtype: check_kind(name, np_dtype, kinds)  # for half, computed in float
        return checked
    return wrap


def check_kind(name, np_dtype, kinds):
    if np_dtype.kind not in kinds:
        scalar = dt.SCALAR_NAME[dt.from_numpy_dtype(np_dtype)]
        raise NotImplementedError(f'"{name}" not implemented for \'{scalar}\'')


def rounded_from_float64(ufunc):
    """A transcendental ufunc that computes float32 in float64 and rounds once: NumPy's float32 loops are
    off by an ulp or more where PyTorch's (SLEEF, glibc) nearly always round correctly."""
    def forward(a):
        if a.dtype == np.float32:
            return ufunc(a.astype(np.float64)).astype(np.float32)
        return ufunc(a)
    forward.__name__ = forward.__qualname__ = ufunc.__name__
    return forward


EXP, LOG, LOG1P, EXPM1, TANH = (rounded_from_float64(f) for f in (np.exp, np.log, np.log1p, np.expm1, np.tanh))


# ------------------------------------------------------------------- arithmetic
def reversed_subtract(a, b, alpha=1):
    """rsub: PyTorch's sub(other, self, alpha), so `other` leads in TensorIterator's choice of layout."""
    return iterator_layout(b - a if alpha == 1 else b - a * cast(alpha, a.dtype), (b, a))


def cast(value, dtype):
    """A Python number in an array's dtype, wrapped as a C++ cast wraps it (-1 as uint8 is 255)."""
    try:
        return converted(value, dtype)
    except OverflowError:
        return np.asarray(value).astype(dtype)


def fused_multiply_add(a, b, c, out=None):
    """a * b + c rounded once, as PyTorch's vectorised CPU kernels compute it (vec::fmadd). A float32 product
    is exact in float64, so float32 computes there and rounds once; float64 (NumPy has no fused multiply-add)
    adds the product's and the sum's rounding errors, found exactly (Dekker's product, Knuth's sum), before
    the last rounding; other dtypes round twice. `out`: the array to round the result into."""
    kind = np.result_type(a, b, c)
    if kind == np.float32:
        wide = np.multiply(a, b, dtype=np.float64)
        if type(wide) is np.ndarray and wide.shape == np.broadcast_shapes(wide.shape, np.shape(c)):
            np.add(wide, c, out=wide)
        else:  # c broadcasts the product
            wide = wide + c
        if out is None:
            return wide.astype(np.float32)
        np.copyto(out, wide, casting="unsafe")
        return out
    if kind != np.float64:
        return _into(out, a * b + c)
    with np.errstate(all="ignore"):
        product = np.multiply(a, b)
        (a_hi, a_lo), (b_hi, b_lo) = _halves(a), _halves(b)
        product_error = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
        total = product + c
        back = total - product
        sum_error = (product - (total - back)) + (c - back)
        fused = total + (product_error + sum_error)
        return _into(out, np.where(np.isfinite(fused) & np.isfinite(product), fused, total))


def _into(out, result):
    if out is None:
        return result
    np.copyto(out, result, casting="unsafe")
    return out


def _halves(x):
    """Dekker's split of float64s into two halves of 26 bits whose products are exact."""
    scaled = 134217729.0 * np.asarray(x, np.float64)  # 2**27 + 1
    high = scaled - (scaled - x)
    return high, x - high


def with_alpha(ufunc):
    """a (ufunc) alpha * b, as add and sub take it; alpha is cast to a's dtype first, and a float result is
    PyTorch's fused multiply-add of b, ±alpha and a."""
    def forward(a, b, alpha=1, out=None):
        if alpha == 1 or a.dtype.kind != "f":
            return ufunc(a, b if alpha == 1 else b * cast(alpha, a.dtype), out=out)
        return fused_multiply_add(b, cast(alpha if ufunc is np.add else -alpha, a.dtype), a, out=out)
    return forward


def div_rounding(a, b, rounding_mode):
    """div with rounding_mode: floor is Python's floor division (fmod-based, so -1.0 // -0.05 is 19 and
    1.0 // -inf is -1, as np.floor_divide has it); trunc rounds the true quotient toward zero."""
    check_kind(f"div_{rounding_mode}_cpu", a.dtype, NO_BOOL)
    if rounding_mode == "floor":
        return checked_int_div(np.floor_divide, a, b)
    if a.dtype.kind == "f":
        return np.trunc(np.true_divide(a, b))
    q = checked_int_div(np.floor_divide, a, b)  # integer arithmetic: exact for all of int64
    return q + ((q < 0) & (q * b != a)).astype(a.dtype)


def checked_int_div(fn, a, b):
    """An integer division by zero raises, as PyTorch's kernel does, but only where an element is divided."""
    if a.dtype.kind in "iub" and np.any(b == 0) and np.broadcast(a, b).size:
        raise RuntimeError("ZeroDivisionError")
    return fn(a, b)


def remainder(a, b):
    """Python's modulo; for floats as PyTorch computes it, fmod then shifted by b (a zero keeps a's sign)."""
    check_kind("remainder_cpu", a.dtype, NO_BOOL)
    if a.dtype.kind != "f":
        return checked_int_div(np.remainder, a, b)
    mod = np.fmod(a, b)
    return np.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


def fmod(a, b):
    check_kind("fmod_cpu", a.dtype, NO_BOOL)
    return checked_int_div(np.fmod, a, b)


def sign(a):
    """sign/sgn: NaN gives 0 and -0.0 gives 0.0, as PyTorch's (0 < a) - (a < 0); bools are their own sign."""
    if a.dtype.kind == "b":
        return a.copy()
    if a.dtype.kind == "f":
        return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)
    return np.sign(a)


def _refuse_negative_integer_power(np_dtype, exponent=None, **params):
    """pow's own check, before pow_'s write checks its overlap."""
    if np_dtype.kind in "iu" and isinstance(exponent, (int, np.integer)) and not isinstance(exponent, bool) \
            and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def pow_scalar(a, exponent):
    """x ** scalar: PyTorch computes the exponents 0.5, -0.5, -1, -2, 2 and 3 of a float as sqrt, rsqrt,
    a reciprocal or products (so (-0.0) ** -0.5 is -inf, as 1 / sqrt(-0.0) is)."""
    if exponent == 0 or exponent == 1:  # PyTorch fills or copies, for any dtype (bool ** True)
        return np.ones_like(a) if exponent == 0 else a.copy()
    check_kind("pow", a.dtype, NO_BOOL)
    _refuse_negative_integer_power(a.dtype, exponent)
    if a.dtype.kind == "f" and not isinstance(exponent, bool):
        special = _POW_SPECIAL.get(float(exponent))
        if special is not None:
            return special(a)
    return power(a, cast(exponent, a.dtype))


pow_scalar.meta_check = _refuse_negative_integer_power


_POW_SPECIAL = {0.5: np.sqrt, -0.5: lambda a: 1 / np.sqrt(a), -1.0: lambda a: 1 / a, -2.0: lambda a: 1 / (a * a),
                2.0: lambda a: a * a, 3.0: lambda a: a * a * a}


def lerp(a, b, w):
    """PyTorch's lerp: from self for a small weight, from end for a large one (so infinities stay), each a
    fused multiply-add."""
    diff = b - a
    return np.where(np.abs(w) < 0.5, fused_multiply_add(w, diff, a), fused_multiply_add(-diff, 1 - w, b))


def power(base, exponent):
    """np.power, with PyTorch's integer results for negative integer exponents (1, -1 or 0)."""
    check_kind("pow", base.dtype, NO_BOOL)
    if base.dtype.kind not in "iub" or not np.any(exponent < 0):
        return np.power(base, exponent)
    positive = np.power(base, np.where(exponent < 0, 0, exponent))
    odd = (np.abs(exponent) % 2) == 1
    small = np.where(base == 1, 1, np.where(base == -1, np.where(odd, -1, 1), 0))
    return np.where(exponent < 0, small, positive).astype(base.dtype)
ERF = np.frompyfunc(math.erf, 1, 1)


# ------------------------------------------------------------------- pointwise
def _refuses_bool(message):
    """A kernel's own check of its dtype, which PyTorch makes before anything else (its meta function)."""
    def check(np_dtype, **params):
        if np_dtype.kind == "b":
            raise RuntimeError(message)
    return check


_refuse_bool_negation = _refuses_bool("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                                      "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def negative(a):
    _refuse_bool_negation(a.dtype)
    return np.negative(a)


negative.meta_check = _refuse_bool_negation  # neg's meta function: before an in-place write's overlap checks


_refuse_bool_relu = _refuses_bool("Boolean inputs not supported for relu")


def relu(a):
    _refuse_bool_relu(a.dtype)
    return np.where(a < 0, 0, a).astype(a.dtype)  # -0.0 and NaN stay


relu.meta_check = _refuse_bool_relu  # relu's own check, before relu_'s write checks its overlap


def clip_scalars(a, lo, hi):
    """clamp with number bounds (clamp, clamp_min, clamp_max: PyTorch's kernel of each takes no bool)."""
    check_kind("clamp_scalar_cpu" if lo is not None and hi is not None else
               "clamp_min_scalar_cpu" if lo is not None else "clamp_max_scalar_cpu", a.dtype, NO_BOOL)
    return clip(a, *(None if v is None else cast(v, a.dtype) for v in (lo, hi)))


def clip_tensors(a, lo, hi):
    if lo is not None and hi is not None:
        check_kind("clamp_cpu", a.dtype, NO_BOOL)
    return clip(a, lo, hi)


def clip(a, lo, hi):
    if lo is not None:
        a = np.where(np.isnan(a) | (a >= lo), a, lo)  # NaN in, NaN out; a NaN bound propagates too
    if hi is not None:
        a = np.where(np.isnan(a) | (a <= hi), a, hi)
    if lo is not None and hi is not None:
        a = np.where(np.isnan(np.asarray(lo)) | np.isnan(np.asarray(hi)), np.nan, a)
    return a


# ------------------------------------------------------------------- reductions
def mean(a, axis=None, keepdims=False):
    """np.mean without its "Mean of empty slice" warning: an empty mean is 0 / 0, NaN, silently (the
    floating-point warning is off where kernels run)."""
    count = a.size if axis is None else math.prod(a.shape[d] for d in np.atleast_1d(axis))
    return np.add.reduce(a, axis=axis, keepdims=keepdims) / a.dtype.type(count)

def vector_norm(a, ord, dim, keepdim, dtype=None):
    if a.size == 0 and (ord < 0 or ord == math.inf):  # a min or max over nothing
        if not dim:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on an empty tensor because the "
                               "operation does not have an identity")
        for d in dim:
            if a.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on the dimension {d}because "
                                   "this dimension is empty and the operation does not have an identity")
    reduced = tuple(range(a.ndim)) if dim is None else dim
    # PyTorch's shortcut when every reduced dim has size 1 (a 0-d input with no dims given too, not with
    # dims, dim () here): the norm is |x| itself, nothing squared or powered, so 1e30 in float32 stays 1e30
    if (a.ndim or dim is None) and all(a.shape[d] == 1 for d in reduced):
        out = (a != 0).astype(a.dtype) if ord == 0 else np.abs(a)
        return out if keepdim else out.reshape([n for d, n in enumerate(a.shape) if d not in reduced])
    wide = a.astype(np.float32) if a.dtype == np.float16 else a  # half accumulates in float (opmath)
    x = np.abs(wide)
    if ord == float("inf"):
        return np.max(x, axis=dim, keepdims=keepdim)
    if ord == float("-inf"):
        return np.min(x, axis=dim, keepdims=keepdim)
    if ord == 0:
        return np.sum(x != 0, axis=dim, keepdims=keepdim).astype(wide.dtype)
    if ord == 2 and a.dtype != np.float16 and _reduces_last(a.shape, reduced):
        return _norm_two_lanes(x, reduced, keepdim)
    p = wide.dtype.type(ord)
    terms = x if ord == 1 else x * x if ord == 2 else _libm_pow(x, p)
    total = _in_order(terms, reduced, keepdim)
    total = total if total.flags.c_contiguous else total.copy()  # a fresh result is row-major
    return total if ord == 1 else np.sqrt(total) if ord == 2 else _libm_pow(total, wide.dtype.type(1) / p)


def _c_pow(a, e):
    try:
        return math.pow(a, e)
    except (OverflowError, ValueError):  # C's pow answers inf (or NaN) where Python's raises
        return float(np.power(a, e))


_pow = np.vectorize(_c_pow, otypes=[np.float64])


def _libm_pow(a, e):
    """std::pow as PyTorch's scalar kernels call it (libm's, correctly rounded in float: powf(27, 1/3f) is 3);
    NumPy's own power can be an ulp off (27 ** (1/3) is 2.9999999999999996 in it)."""
    return np.asarray(_pow(a.astype(np.float64), float(e)), dtype=np.float64).astype(a.dtype)


def _moved_front(a, reduced):
    """(the reduced elements of each output along axis 0, in memory order; the outputs' shape)."""
    kept = [d for d in range(a.ndim) if d not in reduced]
    front = np.transpose(a, [*reduced, *kept])
    return front.reshape((math.prod(a.shape[d] for d in reduced), *[a.shape[d] for d in kept])), kept


def _in_order(terms, reduced, keepdim):
    """The sum over the reduced dims, one element after another in the accumulating dtype, as PyTorch's
    binary_kernel_reduce (NumPy's own sum is pairwise)."""
    flat, kept = _moved_front(terms, reduced)
    total = np.cumsum(flat, axis=0, dtype=flat.dtype)[-1] if flat.shape[0] else np.zeros(flat.shape[1:], flat.dtype)
    return _put_back(total, terms.shape, reduced, keepdim)


def _put_back(total, shape, reduced, keepdim):
    return total.reshape([1 if d in reduced else n for d, n in enumerate(shape)]) if keepdim else total


def _reduces_last(shape, reduced):
    """TensorIterator's is_reduce_lastdim: with size-1 dims dropped, the reduced dims are the innermost ones
    (they coalesce into one contiguous dim)."""
    sized = [d for d, n in enumerate(shape) if n != 1]
    inner = [d for d in sized if d in reduced]
    return bool(inner) and sized[len(sized) - len(inner):] == inner


_NORM_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}


def _norm_two_lanes(x, reduced, keepdim):
    """PyTorch's vectorised 2-norm over the last dim (AVX2): squares added into the lanes of a vector (8
    floats, 4 doubles), the lanes added in order, then the elements left over one at a time, as GCC compiles
    that loop: square then add in fours, the last (n % 4) fused (x * x + acc rounded once)."""
    flat, kept = _moved_front(x, reduced)
    n, lanes = flat.shape[0], _NORM_LANES[x.dtype]
    body = n - n % lanes
    squares = flat * flat
    acc = np.cumsum(squares[:body].reshape((body // lanes, lanes, *flat.shape[1:])), axis=0, dtype=x.dtype)
    acc = acc[-1] if body else np.zeros((lanes, *flat.shape[1:]), x.dtype)
    fused = n - n % 4
    total = np.cumsum(np.concatenate([acc, squares[body:fused]]), axis=0, dtype=x.dtype)[-1]
    for i in range(fused, n):
        total = fma(flat[i], flat[i], total)
    return _put_back(np.sqrt(total), x.shape, reduced, keepdim)


vector_norm.takes_half = True  # half is widened here, to float32 (not twice, to double)


def cumulative(fn):
    """np.cumsum/np.cumprod as PyTorch's CPU kernels: along `dim`, accumulated in the wider type (float32 in
    double, float16 in float32) and rounded once per element; a 0-d input is itself."""
    def forward(a, dim, dtype=None):
        if not a.ndim:
            return a.copy()
        wider = _ACCUMULATE_IN.get(a.dtype)
        out = fn(a, axis=dim) if wider is None else fn(a, axis=dim, dtype=wider).astype(a.dtype)
        if fn is np.cumsum and out.dtype.kind == "f":
            out += out.dtype.type(0)  # PyTorch's sum starts from +0.0, so a prefix of -0.0s sums to +0.0
        return out
    forward.takes_half = True  # half is widened here, to float32 (not twice, to double)
    return forward


_ACCUMULATE_IN = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float64}


def first_on_ties(fn):
    """np.maximum/np.minimum as PyTorch's: of two equal elements (0.0 and -0.0) the first is kept."""
    def forward(a, b):
        return np.where(a == b, a, fn(a, b))
    return forward


def selected_by_indices(a, dim, keepdim, indices):
    """max.dim's and min.dim's values: the elements their indices select (of equal extremes, 0.0 and -0.0, the
    first), as PyTorch's kernel keeps the value with the index."""
    if not a.ndim:
        return a.copy()
    index = indices._data if keepdim else np.expand_dims(indices._data, dim)
    values = np.take_along_axis(a, index, axis=dim)
    return values if keepdim else np.squeeze(values, axis=dim)


def nan_extreme(name):
    """np.max/np.min as PyTorch's max()/min(): NaN wins; an empty input has no extreme; of 0.0 and -0.0 the
    one its vectorised loop keeps (_reduce_all_zero)."""
    fn = np.max if name == "max" else np.min

    def forward(a, **kw):
        if a.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        result = fn(a, **kw)
        if result == 0 and a.dtype in (np.float32, np.float64):
            sign = 1 if name == "min" else -1  # max(x) is -min(-x), ties going the same way
            return a.dtype.type(sign * _reduce_all_zero(sign * a.reshape(-1)))
        return result
    return forward


def _reduce_all_zero(x):
    """The min of a row-major run of floats whose min is a zero, as ATen's vec::reduce_all with vec::minimum
    finds it: lane i of one vector takes elements i, i + V, ..., each step keeping the new element on a tie
    (_mm256_min_ps gives its second operand), so each lane holds the last of its zeros; the lanes are then
    combined pairwise across halves for float (VecReduceAllSIMD), one after another for double (and for a run
    shorter than a vector). Its vectors are 256-bit ones on an AVX-512 machine too (measured against PyTorch
    2.13 there); without AVX2 the lanes are combined one after another."""
    lanes = 32 // x.itemsize
    if x.size < lanes:
        return _fold_ties_to_later(x)
    rows = np.concatenate([x, np.full(-x.size % lanes, np.inf, x.dtype)]).reshape(-1, lanes)
    is_min = rows == rows.min(axis=0)
    last = rows.shape[0] - 1 - np.argmax(is_min[::-1], axis=0)
    acc = rows[last, np.arange(lanes)]
    if x.dtype != np.float32 or CAPABILITY == "default":
        return _fold_ties_to_later(acc)
    step = lanes // 2
    while step:
        acc = np.where(acc[np.arange(lanes) ^ step] <= acc, acc[np.arange(lanes) ^ step], acc)
        step //= 2
    return acc[0]


def amin_amax(sign, a, dim, keepdim):
    """amin (sign 1) or amax (sign -1, as -amin(-a)) over `dim` (all dims when empty), of 0.0 and -0.0 the one
    PyTorch's reduction keeps: reducing trailing dims, each run of elements goes through its vectorised inner
    reduction (_inner_reduction_zero); reducing other dims, the results that lie in whole chunks of four
    vectors of the run of kept dims after them are reduced elementwise over the rows (the later zero kept),
    the others one by one (the earlier kept)."""
    if not a.ndim:
        return a.copy()
    dims = tuple(range(a.ndim)) if not dim else tuple(d % max(a.ndim, 1) for d in dim)
    x = sign * a
    result = np.min(x, axis=dims, keepdims=True) if a.ndim else x.copy()
    if a.dtype in (np.float32, np.float64) and a.size and np.any(result == 0):
        kept = [d for d in range(a.ndim) if d not in dims]
        rows = x.transpose(kept + list(dims)).reshape(int(np.prod([a.shape[d] for d in kept])), -1)
        flat = result.reshape(-1)
        chunk = 4 * 32 // a.itemsize
        inner = dims == tuple(range(a.ndim - len(dims), a.ndim)) or len(flat) == 1
        run = int(np.prod(a.shape[max(dims) + 1:]))  # the kept elements after the reduced dims
        for r in np.flatnonzero(flat == 0):
            if inner:
                flat[r] = _inner_reduction_zero(rows[r], chunk)
            else:
                zeros = rows[r][rows[r] == 0]
                flat[r] = zeros[-1] if r % run < run - run % chunk else zeros[0]
    if not keepdim:
        result = result.reshape([n for d, n in enumerate(a.shape) if d not in dims])
    return sign * result


def _inner_reduction_zero(x, chunk):
    """The min of a run of floats whose min is a zero, as ATen's vectorized_inner_reduction keeps it: four
    vector accumulators over whole chunks of four vectors (vec::minimum keeps the later element on a tie),
    combined as min(min(acc0, acc1), min(acc2, acc3)), whose lanes and then the remaining elements are folded
    one by one keeping the earlier."""
    n, lanes = x.size, chunk // 4
    count = n // chunk
    candidates = []
    if count:
        blocks = x[:count * chunk].reshape(count, 4, lanes)
        is_min = blocks == blocks.min(axis=0)
        last = count - 1 - np.argmax(is_min[::-1], axis=0)
        acc = np.take_along_axis(blocks, last[None], axis=0)[0]
        pair = lambda a, b: np.where(a < b, a, b)  # noqa: E731  (a tie gives b)
        candidates = list(pair(pair(acc[0], acc[1]), pair(acc[2], acc[3])))
    candidates += list(x[count * chunk:])
    out = candidates[0]
    for v in candidates[1:]:
        out = v if v < out else out
    return out


def _fold_ties_to_later(values):
    acc = values[0]
    for v in values[1:]:
        acc = v if not acc < v else acc
    return acc


def var(a, dim, correction, keepdim, take_sqrt=False):
    """Variance (its square root with take_sqrt) as PyTorch's CPU kernels compute it, in float64 and
    rounded once to the input's dtype, so a float32 input whose variance overflows float32 still has a
    finite std: a one-element result (std_var_all_cpu, float32/float64) is two passes, the mean by the
    input's own mean() then the squared deviations summed in float64; any other result is Welford's
    updates in float64 along the reduced elements (WelfordOps), divided by n - correction, or by 0 when
    that is not positive."""
    dims = tuple(range(a.ndim)) if dim is None else tuple(d % max(a.ndim, 1) for d in dim)
    out_shape = tuple(1 if d in dims else s for d, s in enumerate(a.shape)) if keepdim else \
        tuple(s for d, s in enumerate(a.shape) if d not in dims)
    n = math.prod(a.shape[d] for d in dims) if a.ndim else 1
    if a.size == 0:
        return np.full(out_shape, np.nan, a.dtype)
    if math.prod(out_shape) == 1 and a.dtype != np.float16:
        centered = a.astype(np.float64) - np.float64(mean(a))
        value = np.sum(centered * centered) / np.float64(max(0.0, n - correction))
    else:
        value = _welford_var(a, dims, n, correction)
    return (np.sqrt(value) if take_sqrt else value).astype(a.dtype).reshape(out_shape)


def _welford_var(a, dims, n, correction):
    """Welford's updates in float64 over the elements of each reduced slice, in memory order."""
    kept = [d for d in range(a.ndim) if d not in dims]
    rows = np.transpose(a, kept + list(dims)).reshape(-1, n).astype(np.float64)
    mu, m2 = np.zeros(rows.shape[0]), np.zeros(rows.shape[0])
    for j in range(n):
        delta = rows[:, j] - mu
        mu = mu + delta / np.float64(j + 1)
        m2 = m2 + delta * (rows[:, j] - mu)
    return m2 / np.float64(n - correction if n > correction else 0)


def logsumexp(a, dim, keepdim):
    top = np.max(a, axis=dim, keepdims=True) if a.size else np.zeros((1,) * a.ndim, a.dtype)
    top = np.where(np.isinf(top), 0, top)
    out = LOG(np.sum(EXP(a - top), axis=dim, keepdims=True)) + top
    return out if keepdim else np.squeeze(out, axis=dim)


def softmax(a, dim):
    """exp(x - max) over its sum along dim, as PyTorch's CPU kernels form it: along the last (contiguous)
    dim (_vec_softmax_lastdim) the exps are summed in vector lanes (_vector_sum) and each is multiplied by
    the sum's reciprocal; along another dim (_vec_softmax) the exps, summed in order along dim, divide."""
    if not a.size:
        return a
    if not a.ndim:
        return softmax(a.reshape(1), 0).reshape(())
    e = EXP(a - np.max(a, axis=dim, keepdims=True))
    moved = np.moveaxis(e, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    if dim % a.ndim != a.ndim - 1:
        return e / np.moveaxis(_sum_left_to_right(rows).reshape(moved.shape[:-1] + (1,)), -1, dim)
    return e * (e.dtype.type(1) / _vector_sum(rows)).reshape(e.shape[:-1] + (1,))


def log_softmax(a, dim):
    if not a.size:
        return a
    shifted = a - np.max(a, axis=dim, keepdims=True)
    return shifted - LOG(np.sum(EXP(shifted), axis=dim, keepdims=True))


def arg_extreme(name, a, dim, keepdim):
    if a.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    fn = np.argmax if name == "argmax" else np.argmin
    if dim is None:
        out = fn(a)
        return np.reshape(out, (1,) * a.ndim) if keepdim else out
    return fn(a, axis=dim, keepdims=keepdim)


# ------------------------------------------------------------------- linear algebra
@quietly  # also called outside an op's kernel (the singular checks), where NaN and inf would warn
def lu_factor(a):
    """LU with partial pivoting of each matrix of `a`, in a's own dtype, as LAPACK's getrf (sgetrf for float32;
    NumPy's linalg would compute in float64): (LU packed in one array, row permutations, sign of the
    permutation, info: the 1-based first zero pivot or 0). A zero pivot is skipped, as getrf does. The
    multipliers are scaled by the pivot's reciprocal, but divided by it at the last step of a matrix of
    size 4 or less: the rounding of PyTorch's MKL, bit for bit up to size 16."""
    n = a.shape[-1]
    lu = np.array(a, dtype=a.dtype).reshape(-1, n, n)
    rows = np.arange(lu.shape[0])
    perm = np.tile(np.arange(n), (lu.shape[0], 1))
    sign = np.ones(lu.shape[0], a.dtype)
    info = np.zeros(lu.shape[0], np.int64)
    for k in range(n):
        p = k + _pivot_row(np.abs(lu[:, k:, k]))
        lu[rows, k], lu[rows, p] = lu[rows, p], lu[rows, k].copy()
        perm[rows, k], perm[rows, p] = perm[rows, p], perm[rows, k].copy()
        sign = np.where(p != k, -sign, sign)
        pivot = lu[:, k, k]
        zero = pivot == 0
        info = np.where(zero & (info == 0), k + 1, info)
        safe = np.where(zero, 1, pivot)[:, None]
        if k == n - 2 and n <= 4:
            lu[:, k + 1:, k] /= safe
        else:
            lu[:, k + 1:, k] *= np.ones_like(safe) / safe
        lu[:, k + 1:, k + 1:] -= lu[:, k + 1:, k, None] * lu[:, k, None, k + 1:]
    return lu.reshape(a.shape), perm.reshape(a.shape[:-1]), sign.reshape(a.shape[:-2]), info.reshape(a.shape[:-2])


def addmm(a, m1, m2, beta, alpha):
    """beta * a + alpha * (m1 @ m2), as gemm: the scales in a's dtype (an integer one truncates them), a beta
    of 0 ignores `a` (its NaN too) and an alpha of 0 the product. Small products are added into the scaled
    `a` one k at a time, as PyTorch's CPU gemm does there (so 1 + (-1) + 1e-30 is 1e-30); others are summed
    first (the shapes measured with torch 2.13's MKL build)."""
    scalar = a.dtype.type
    beta, alpha = scalar(beta), scalar(alpha)
    m, n = m1.shape[0], m2.shape[1]
    c = np.zeros((m, n), a.dtype) if beta == 0 else np.broadcast_to(a if beta == 1 else beta * a, (m, n))
    if alpha == 0:
        return c.astype(a.dtype)
    b = m2 if alpha == 1 else m2 * alpha
    if _gemm_adds_in_k_order(m, n):
        return _products_in_k_order(m1, b, c)
    return c + m1 @ b


def _products_in_k_order(a, b, c=None):
    """c + sum over k of a[..., :, k] b[..., k, :], added one k at a time (c defaults to zeros)."""
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    terms = np.empty((a.shape[-1] + 1,) + shape, np.result_type(a, b))
    terms[0] = 0 if c is None else c
    np.multiply(np.ascontiguousarray(np.moveaxis(a, -1, 0))[..., None], np.moveaxis(b, -2, 0)[..., None, :],
                out=terms[1:])
    return np.add.reduce(terms, axis=0)  # over the outer axis NumPy adds in order (no pairwise sum)


def mm(a, b):
    """a @ b as PyTorch's CPU mm: MKL's gemm adds small products in k order (see addmm)."""
    if _gemm_adds_in_k_order(a.shape[0], b.shape[1]):
        return _products_in_k_order(a, b)
    return np.matmul(a, b)


def bmm(a, b):
    """a @ b batched as PyTorch's CPU bmm: below 400 multiply-adds per matrix its own loop adds in k order."""
    if a.shape[-1] * a.shape[-2] * b.shape[-1] < 400:
        return _products_in_k_order(a, b)
    return np.matmul(a, b)


def _gemm_adds_in_k_order(m, n):
    """Where MKL's gemm accumulates into C product by product (m x k times k x n, row-major): one row, or up to
    3 rows, or 2 to 11 columns; a single column is a dot product added at the end."""
    return m == 1 or n >= 2 and (m <= 3 or n <= 11)


def _pivot_row(col):
    """BLAS's i?amax: the first largest |value|; a NaN wins only when it comes first."""
    first_nan = np.isnan(col[:, 0])
    return np.where(first_nan, 0, np.argmax(np.where(np.isnan(col), -1, col), axis=1)) if col.shape[1] else 0


@quietly
def det(a):
    """The product of the LU diagonal in a's dtype, as PyTorch's (so a NaN on it gives NaN, and float32
    rounding decides whether a singular matrix gives exactly 0)."""
    if a.shape[-1] == 0:
        return np.ones(a.shape[:-2], a.dtype)
    lu, _, sign, _ = lu_factor(np.swapaxes(a, -1, -2))  # PyTorch factors the row-major matrix as it lies: A^T
    return sign * np.prod(np.diagonal(lu, 0, -2, -1), axis=-1)


@quietly
def inv(a):
    """getrf then getrs on the identity, in a's dtype, as PyTorch's linalg.inv (so NaN spreads as there, and
    float32 rounds as float32); a zero pivot raises np.linalg.LinAlgError (the caller words PyTorch's error).
    MKL's blocked kernels order some sums otherwise: the last bits of larger inverses may differ."""
    n = a.shape[-1]
    if n == 0 or a.size == 0:
        return np.zeros(a.shape, a.dtype)
    lu, perm, _, info = lu_factor(a)
    if np.any(info):
        raise np.linalg.LinAlgError("singular matrix")
    return lu_solve(lu, perm, np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape))


@quietly
def lu_solve(lu, perm, b, adjoint=False):
    """getrs: X with A X = B (A^T X = B when `adjoint`), A given by lu_factor's (lu, perm), B a batch of
    matrices broadcasting against them; in B's dtype."""
    n = lu.shape[-1]
    batch = np.broadcast_shapes(lu.shape[:-2], b.shape[:-2])
    lu = np.broadcast_to(lu, batch + lu.shape[-2:])
    perm = np.broadcast_to(perm, batch + perm.shape[-1:])
    x = np.array(np.broadcast_to(b, batch + b.shape[-2:]))
    if n == 0 or x.size == 0:
        return x
    if adjoint:  # A^T = U^T L^T P: U^T y = B, then L^T z = y, then X = P^T z
        for k in range(n):
            x[..., k, :] *= 1 / lu[..., k, k, None]
            _axpy_rows(x[..., k + 1:, :], lu[..., k, k + 1:], x[..., k, :])
        for k in reversed(range(n)):
            _axpy_rows(x[..., :k, :], lu[..., k, :k], x[..., k, :])
        out = np.empty_like(x)
        np.put_along_axis(out, np.broadcast_to(perm[..., :, None], x.shape), x, axis=-2)
        return out
    x = np.take_along_axis(x, np.broadcast_to(perm[..., :, None], x.shape), axis=-2)  # P B
    for k in range(n):  # L y = P B, L unit lower triangular: column by column, as BLAS's trsm
        _axpy_rows(x[..., k + 1:, :], lu[..., k + 1:, k], x[..., k, :])
    for k in reversed(range(n)):  # U x = y
        x[..., k, :] *= 1 / lu[..., k, k, None]  # MKL's trsm scales by the reciprocal (bit for bit for n = 2)
        _axpy_rows(x[..., :k, :], lu[..., :k, k], x[..., k, :])
    return x


@quietly
def solve(a, b):
    """X with A X = B (B a batch of matrices), as PyTorch's linalg.solve: getrf of A, getrs. A zero pivot
    raises np.linalg.LinAlgError."""
    if a.size == 0 or b.size == 0:
        return np.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], np.result_type(a, b))
    lu, perm, _, info = lu_factor(a)
    if np.any(info):
        raise np.linalg.LinAlgError("singular matrix")
    return column_major(lu_solve(lu, perm, b))


@quietly
def solve_transposed(a, b, eps=None):
    """X with A^T X = B. With `eps`, det's backward when it is not being differentiated (det_lu_solve);
    without, solve's backward: through solve's LU (of A), transposed."""
    if eps is not None:
        return det_lu_solve(a, b, eps, adjoint=False)
    if a.size == 0 or b.size == 0:
        return np.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], np.result_type(a, b))
    lu, perm, _, _ = lu_factor(a)
    return column_major(lu_solve(lu, perm, b, adjoint=True))


@quietly
def det_lu_solve(a, b, eps, adjoint):
    """Through det's LU (of A^T), exact-zero pivots replaced by `eps`: X with A^T X = B, or A X = B when
    `adjoint`. PyTorch's det backward (not being differentiated) and det jvp: det is C^1, so a singular
    matrix gets the limit of its neighbours' (finite, usually zero)."""
    if a.size == 0 or b.size == 0:
        return np.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], np.result_type(a, b))
    lu, perm, _, _ = lu_factor(np.swapaxes(a, -1, -2))
    zero = np.diagonal(lu, 0, -2, -1) == 0
    lu = lu + np.where(zero, lu.dtype.type(eps), lu.dtype.type(0))[..., None] * np.eye(a.shape[-1], dtype=lu.dtype)
    return column_major(lu_solve(lu, perm, b, adjoint=adjoint))


def is_vector_rhs(a_shape, b_shape):
    """linalg.solve's B is a vector (a batch of them) when 1-D or A's shape without its last dim."""
    return len(b_shape) == 1 or tuple(b_shape) == tuple(a_shape[:-1])


def solve_rhs(a, b):
    """linalg.solve's forward: a vector right-hand side as a one-column matrix."""
    if is_vector_rhs(a.shape, b.shape):
        return solve(a, b[..., None])[..., 0]
    return solve(a, b)


def _axpy_rows(rows, column, row):
    """rows -= column (outer) row, every product subtracted, as MKL's trsm does (the reference BLAS skips the
    zeros of `row`; MKL's 0 * inf is NaN)."""
    rows -= column[..., :, None] * row[..., None, :]


@quietly
def svd(a, full_matrices):
    """[U, S, Vh] in a's dtype, U and Vh column-major as LAPACK's. A square matrix whose LU has r exact-zero
    pivots gets its r smallest singular values as exact zeros, as MKL's gesdd gives them for such (exactly
    rank-deficient) matrices where OpenBLAS leaves 1e-17s: repeated zeros are what make PyTorch's
    svd_backward NaN. (A threshold relative to the largest value would also zero the true small values of
    a graded matrix.) A matrix with a non-finite value gets NaN throughout (gesdd may fail or never return
    on one; MKL's answers vary)."""
    m, n = a.shape[-2:]
    k = min(m, n)
    shapes = (a.shape[:-2] + (m, m if full_matrices else k), a.shape[:-2] + (k,),
              a.shape[:-2] + (n if full_matrices else k, n))
    if a.size == 0:
        u, vh = (np.broadcast_to(np.eye(*s[-2:], dtype=a.dtype), s) for s in (shapes[0], shapes[2]))
        return [column_major(np.array(u)), np.zeros(shapes[1], a.dtype), column_major(np.array(vh))]
    finite = np.isfinite(a).all(axis=(-2, -1))
    u, s, vh = np.linalg.svd(np.where(finite[..., None, None], a, 0), full_matrices=full_matrices)
    if m == n:
        zero_pivots = np.sum(np.diagonal(lu_factor(a)[0], 0, -2, -1) == 0, axis=-1)
        s = np.where(np.arange(k) >= k - zero_pivots[..., None], 0, s)
    u, s, vh = (np.where(finite.reshape(finite.shape + (1,) * (x.ndim - finite.ndim)), x, np.nan).astype(a.dtype)
                for x in (u, s, vh))
    return [column_major(u), s, column_major(vh)]


# ------------------------------------------------------------------- views and indexing
def expand(a, size):
    """A view of `a` whose new and size-1 dims repeat its elements (stride 0), writeable when `a` is, as
    PyTorch's expand is (in-place ops refuse to write most of such tensors: refgrad/_dispatch.py)."""
    lead = len(size) - a.ndim
    strides = (0,) * lead + tuple(0 if n == 1 and s != 1 else stride
                                  for n, s, stride in zip(a.shape, size[lead:], a.strides))
    return np.lib.stride_tricks.as_strided(a, tuple(size), strides, writeable=a.flags.writeable)


def embed(g, shape, dim, key):
    out = np.zeros(shape, g.dtype)
    out[(slice(None),) * dim + (key,)] = g
    return out


def accumulated_put(a, v, index):
    """a with v added at index (repeated positions add up), as index_put_ with accumulate=True."""
    out = a.copy()
    np.add.at(out, index, v)
    return out

# ------------------------------------------------------------------- neural-network ops (refgrad.nn.functional)
SQRT_2 = math.sqrt(2.0)
M_SQRT1_2 = math.sqrt(0.5)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
ERF_ARRAY = np.vectorize(math.erf, otypes=[np.float64])


def gelu(a, approximate, vectorised=False):
    """The exact form as GeluKernelImpl computes it, each step in the input's dtype: x * 0.5 * (1 + erf(x *
    M_SQRT1_2)), erf rounded once (glibc's). Where erf is -1 (x <= -5.55 in float32, -8.3 in float64)
    1 + erf is 0 and the result -0.0, not the tiny negative number -x * Phi(-x) would round to. (A
    float32 input of two elements or more goes to oneDNN's gelu_erf there, its own polynomial: within an
    ulp or a few of this, not emulated.)"""
    if approximate == "tanh":
        return 0.5 * a * (1 + TANH(SQRT_2_OVER_PI * (a + 0.044715 * a ** 3)))
    erf = ERF_ARRAY(a * a.dtype.type(M_SQRT1_2)).astype(a.dtype)
    out = a * a.dtype.type(0.5) * (a.dtype.type(1) + erf)
    if vectorised:  # PyTorch's vectorised float32 loop gives NaN for +inf
        out[a == np.inf] = np.nan
    return out


def np_reduce(a, reduction):
    if reduction == "mean":
        return mean(a)
    return np.sum(a) if reduction == "sum" else a


def log_clamped(a):
    return np.maximum(LOG(a), -100)


def bce(x, t, w, reduction):
    loss = -(t * log_clamped(x) + (1 - t) * log_clamped(1 - x))
    return np_reduce(loss if w is None else loss * w, reduction)


def bce_check(x):
    if np.any((x < 0) | (x > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    return x


@typed("log_sigmoid_cpu")
def log_sigmoid(a):
    """min(a, 0) - log1p(exp(-|a|)), as PyTorch computes it (log_sigmoid(inf) is 0.0, not -0.0)."""
    return np.minimum(a, 0) - LOG1P(EXP(-np.abs(a)))


def bce_logits(x, t, w, pw, reduction):
    """PyTorch's (1 - t) * x - log_sigmoid(x) * (1 + (pos_weight - 1) * t): an infinite logit with a
    target it cannot reach gives NaN (0 * inf), as there."""
    log_sig = log_sigmoid(x)
    loss = (1 - t) * x - (log_sig if pw is None else log_sig * ((pw - 1) * t + 1))
    return np_reduce(loss if w is None else loss * w, reduction)


@typed("nll_loss_out_frame")
def nll(x, target, w, reduction, ignore_index):
    """x: [N, C] log-probabilities, target: [N] (or x: [C], target: [] or [1], one sample without a batch dim)."""
    if x.ndim == 1:  # ATen sums a single sample's loss from zero even when reduction="none": -0.0 becomes 0.0
        loss = nll(x[None], target._data.reshape(1), w, reduction, ignore_index)
        return loss.reshape(()) + x.dtype.type(0) if reduction == "none" else loss
    t = getattr(target, "_data", target)
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


@quietly  # computed before the op's kernel
def nll_total_weight(x, target, w, reduction, ignore_index):
    """The second output of ATen's nll_loss_forward, which NllLossBackward0 saves: the summed weight of the
    targets not ignored (zero for reduction="none" over a batch, which ATen does not sum). Zero too where the
    op then refuses its arguments (an integer input, no classes)."""
    if reduction == "none" and x.ndim == 2 or x.dtype.kind != "f" or x.shape[-1] == 0:
        return np.zeros((), x.dtype)
    t = getattr(target, "_data", target).reshape(-1)
    valid = t != ignore_index
    safe = np.clip(np.where(valid, t, 0), 0, x.shape[-1] - 1)  # a target out of bounds: the forward raises
    weights = np.ones(x.shape[-1], x.dtype) if w is None else w._data.astype(x.dtype)
    return np.sum(weights[safe] * valid, dtype=x.dtype)


# The backward ops of the losses and activations (their gradients are ops, as in PyTorch: see derivatives.py).
def softmax_backward(g, y, dim):
    """_softmax_backward_data: (g - sum(g * y)) * y along dim."""
    return (g - np.sum(g * y, axis=dim if y.ndim else None, keepdims=True)) * y


def log_softmax_backward(g, y, dim):
    """_log_softmax_backward_data: g - exp(y) * sum(g) along dim."""
    return g - EXP(y) * np.sum(g, axis=dim if y.ndim else None, keepdims=True)


def gelu_backward(g, x, approximate):
    """PyTorch's GeluBackwardKernelImpl: g * (cdf + x * pdf), or the tanh approximation's derivative."""
    if approximate == "tanh":
        inner = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        t = TANH(inner)
        right = 0.5 * x * (1 - t * t) * (SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x))
        return (g * (0.5 * (1 + t) + right)).astype(g.dtype)
    cdf = 0.5 * (1 + ERF_ARRAY(x / SQRT_2))
    pdf = EXP(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return (g * (cdf + x * pdf)).astype(g.dtype)


def elu_backward(g, x, alpha):
    """PyTorch's CPU kernel (is_result=False): g * alpha * exp(x) where x <= 0, else g. Its vectorised loop
    selects the other way round (x > 0 ? g : ...), so a NaN x gives NaN in the elements it takes and g in
    the scalar loop's tail (_cpu.vectorised_mask)."""
    g, x = np.broadcast_arrays(g, x)
    negative = g * np.asarray(alpha, g.dtype) * EXP(x)
    out = np.where(x <= 0, negative, g)
    if np.isnan(x).any():  # the two loops differ only at a NaN
        out = np.where(vectorised_mask((g, x)), np.where(x > 0, g, negative), out)
    return out


def log_sigmoid_backward(g, x):
    """PyTorch's CPU kernel: g * (max_deriv - sign * z / (1 + z)) with z = exp(-|x|)."""
    negative = x < 0
    z = EXP(-np.abs(x))
    return g * (negative.astype(x.dtype) - np.where(negative, 1, -1).astype(x.dtype) * (z / (1 + z)))


def mse_backward(g, x, t, reduction):
    """2 (x - t) g, over n for a mean (PyTorch's norm * (input - target) * grad_output)."""
    norm = (2.0 / x.size if x.size else math.inf) if reduction == "mean" else 2.0  # C++'s 2. / 0 is inf
    return np.asarray(norm, x.dtype) * (x - t) * g


def bce_backward(g, x, t, weight, reduction):
    """g (x - t) / max((1 - x) x, 1e-12) [* w] [/ n]."""
    out = g * (x - t) / np.maximum((1 - x) * x, np.asarray(1e-12, x.dtype))
    if weight is not None:
        out = out * weight._data
    return out / np.asarray(x.size, x.dtype) if reduction == "mean" else out


def nll_backward(g, x, target, weight, reduction, ignore_index):
    """-w[target] g (over the total weight for a mean) at each sample's target, 0 elsewhere and where
    the target is ignored."""
    t = getattr(target, "_data", target)
    if x.ndim == 1:  # one sample without a batch dim
        return nll_backward(g, x[None], t.reshape(1), weight, reduction, ignore_index)[0]
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    weights = (np.ones(x.shape[1], x.dtype) if weight is None else weight._data)[safe] * valid
    scale = g / np.sum(weights) if reduction == "mean" else g
    out = np.zeros_like(x)
    out[np.arange(x.shape[0]), safe] = np.where(valid, -(weights * scale), 0)
    return out


def embedding_backward(g, indices, num_weights, padding_idx):
    """The rows of g added into a [num_weights, D] gradient at their indices; padding_idx's rows left out."""
    flat = indices._data.reshape(-1)
    rows = g.reshape(flat.size, -1)
    if padding_idx is not None:
        rows = np.where((flat == padding_idx)[:, None], 0, rows).astype(g.dtype)
    out = np.zeros((num_weights, rows.shape[1]), g.dtype)
    np.add.at(out, flat, rows)
    return out


def unfold(x, kernel, stride, padding, dilation, pad_value=0.0):
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


def fold(cols, spatial, kernel, stride, padding, dilation):
    """col2im, the adjoint of unfold: sums each window's values back onto the input positions."""
    out = cols.shape[2 + len(kernel):]
    xp = np.zeros(cols.shape[:2] + tuple(s + 2 * p for s, p in zip(spatial, padding)), cols.dtype)
    for offset in np.ndindex(*kernel):
        key = tuple(slice(o * d, o * d + st * (n - 1) + 1, st) for o, d, st, n in zip(offset, dilation, stride, out))
        xp[(slice(None), slice(None)) + key] += cols[(slice(None), slice(None)) + offset]
    return xp[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(padding, spatial))]


def conv(x, w, b, stride, padding, dilation, groups=1):
    if groups != 1:  # each group of input channels convolved with its group of filters
        biases = [None] * groups if b is None else np.split(b, groups)
        return np.concatenate([conv(xg, wg, bg, stride, padding, dilation) for xg, wg, bg in
                               zip(np.split(x, groups, 1), np.split(w, groups, 0), biases)], axis=1)
    cols = unfold(x, w.shape[2:], stride, padding, dilation)
    k = len(w.shape) - 2
    out_shape = cols.shape[2 + k:]
    if x.dtype == np.float64 and _gemm_adds_in_k_order(w.shape[0], math.prod(out_shape)):
        # PyTorch's float64 convolution is im2col and MKL's gemm into the bias (slow_conv2d): small ones add
        # the products in k order, (channel, kernel position) by (channel, kernel position)
        c = None if b is None else b[:, None]
        out = _products_in_k_order(w.reshape(1, w.shape[0], -1), cols.reshape(x.shape[0], -1, math.prod(out_shape)), c)
        return out.reshape((x.shape[0], w.shape[0]) + out_shape)
    out = np.tensordot(w, cols, axes=(list(range(1, 2 + k)), list(range(1, 2 + k))))  # [O, N, *out]
    out = np.moveaxis(out, 0, 1)
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * k)
    return np.ascontiguousarray(out)


def conv_backward(g, x, w, stride, padding, dilation, groups, output_mask):
    """convolution_backward: the gradients of input, weight and bias for those output_mask asks (zeros for
    the others, which no formula reads)."""
    if groups != 1:
        parts = [conv_backward(gg, xg, wg, stride, padding, dilation, 1, output_mask) for gg, xg, wg in
                 zip(np.split(g, groups, 1), np.split(x, groups, 1), np.split(w, groups, 0))]
        return [np.concatenate([p[i] for p in parts], axis=1 - (i > 0)) for i in range(3)]
    k = w.ndim - 2
    gi, gw, gb = np.zeros_like(x), np.zeros_like(w), np.zeros(w.shape[:1], g.dtype)
    if output_mask[0]:
        cols = np.moveaxis(np.tensordot(w, g, ([0], [1])), 1 + k, 0)  # [N, C, *kernel, *out]
        gi = fold(cols, x.shape[2:], w.shape[2:], stride, padding, dilation)
    if output_mask[1]:
        cols = unfold(x, w.shape[2:], stride, padding, dilation)  # [N, C, *kernel, *out]
        gw = np.tensordot(g, cols, ([0] + list(range(2, 2 + k)), [0] + list(range(2 + k, 2 + 2 * k))))
    if output_mask[2]:
        gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
    return [np.ascontiguousarray(gi, g.dtype), np.ascontiguousarray(gw, g.dtype), np.asarray(gb, g.dtype)]


def pool_windows(x, kernel, stride, padding, pad_value):
    cols = unfold(x, kernel, stride, padding, (1,) * len(kernel), pad_value)
    n_k = len(kernel)
    return cols.reshape(cols.shape[:2] + (-1,) + cols.shape[2 + n_k:])   # [N, C, K, *out]


def max_pool_backward(g, shape, indices):
    """The gradient of max pooling: each window's gradient added at its max's position."""
    out = np.zeros(shape[:2] + (math.prod(shape[2:]),), g.dtype)
    n, c = np.indices(shape[:2], sparse=True)
    np.add.at(out, (n[..., None], c[..., None], indices.reshape(shape[:2] + (-1,))), g.reshape(g.shape[:2] + (-1,)))
    return out.reshape(shape)


def avg_pool_backward(g, shape, kernel, stride, padding):
    """The gradient of average pooling (padding counted): each window's gradient spread evenly over it."""
    cols = np.broadcast_to((g / math.prod(kernel))[:, :, None], g.shape[:2] + (math.prod(kernel),) + g.shape[2:])
    cols = cols.reshape(g.shape[:2] + tuple(kernel) + g.shape[2:])
    return fold(cols, shape[2:], kernel, stride, padding, (1,) * len(kernel))


@typed("max_pool2d", NO_BOOL)
def max_pool_indices(x, kernel, stride, padding):
    """Flat input positions (per channel) of each window's max, as PyTorch's max_pool2d_with_indices gives."""
    positions = np.arange(math.prod(x.shape[2:]), dtype=np.float64).reshape((1, 1) + x.shape[2:])
    pos_cols = pool_windows(np.broadcast_to(positions, x.shape[:2] + x.shape[2:]), kernel, stride, padding, -1)
    cols = pool_windows(x, kernel, stride, padding, 0)
    return np.take_along_axis(pos_cols, _window_max(cols, pos_cols >= 0)[:, :, None], 2)[:, :, 0].astype(np.int64)


def _window_max(cols, inside):
    """The position in each window (axis 2) that PyTorch's kernel keeps: it scans the window's inside in order,
    taking a value when it is greater than the max so far or NaN: so the last NaN, else the first max."""
    nan = np.isnan(cols) & inside
    last_nan = cols.shape[2] - 1 - np.argmax(nan[:, :, ::-1], axis=2)
    low = -np.inf if cols.dtype.kind == "f" else np.iinfo(cols.dtype).min
    values = np.where(inside & ~nan, cols, np.array(low, cols.dtype))
    first_max = np.argmax(inside & (values == values.max(axis=2, keepdims=True)), axis=2)
    return np.where(nan.any(axis=2), last_nan, first_max)


def layer_norm(x, w, b, normalized_shape, eps):
    """(x - mean) * rstd, times the weight plus the bias, as PyTorch's CPU kernel: one fused multiply-add
    (a missing bias adds +0, so -0.0 * weight is 0.0)."""
    n = math.prod(normalized_shape)
    mu, rstd = _row_moments(x.reshape(-1, n), eps)
    batch = x.shape[:x.ndim - len(normalized_shape)] + (1,) * len(normalized_shape)
    centered, rstd = x - mu.reshape(batch), rstd.reshape(batch)
    shift = np.zeros(normalized_shape, x.dtype) if b is None else b
    return fma(centered, rstd, shift) if w is None else fma(centered * rstd, w, shift)


def _row_moments(rows, eps):
    """Mean and 1/sqrt(var + eps) of each row as PyTorch's RowwiseMoments computes them (bit for bit, with the
    fused multiply-adds GCC makes of it): Welford's updates in AVX2 vector lanes (8 floats, 4 doubles) over
    chunks of 16 vectors, the chunks' moments merged pairwise (_merged_chunks), the elements after the last
    whole vector by scalar updates, into which the lanes then merge. A row shorter than a vector merges
    empty lanes, which makes its variance NaN when mean**2 overflows (1e20 in float32)."""
    t = rows.dtype.type
    width = 32 // rows.dtype.itemsize
    n = rows.shape[1] // width
    count, lane_mean, lane_m2 = _merged_chunks(rows[:, :n * width].reshape(rows.shape[0], n, width))
    mu, m2 = np.zeros(rows.shape[0], rows.dtype), np.zeros(rows.shape[0], rows.dtype)
    for j in range(n * width, rows.shape[1]):
        delta = rows[:, j] - mu
        mu = mu + delta / t(j - n * width + 1)
        m2 = m2 + delta * (rows[:, j] - mu)
    m0 = rows.shape[1] - n * width
    for lane in range(width):  # AddMoments
        total = m0 + count
        c = t(count) / t(total) if total else t(0)
        delta = lane_mean[:, lane] - mu
        mu = fma(c, delta, mu)
        m2 = m2 + fma(delta * delta * c, t(m0), lane_m2[:, lane])
        m0 = total
    return mu, _rstd(m2 / t(rows.shape[1]), eps)


def _merged_chunks(vectors):
    """Per vector lane: how many vectors, their mean and M2. Welford's updates over each chunk of 16 vectors
    (UpdateMomentsVec), the chunks' moments merged as a binary counter carries (AddMomentsVec)."""
    rows, n, width = vectors.shape
    t = vectors.dtype.type
    zero = np.zeros((rows, width), vectors.dtype)
    chunks = -(-n // 16)
    depth = max(math.ceil(math.log2(chunks)) if chunks else 0, 1)
    stack = [[0, zero, zero] for _ in range(depth)]

    def merge(count, mean, m2, into):
        if not into[0]:  # an empty accumulator takes the moments as they are (no inf * 0 when delta**2 overflows)
            into[:] = [count, mean, m2]
            return
        total = into[0] + count
        c = t(count) / t(total)
        delta = mean - into[1]
        into[:] = [total, into[1] + c * delta, fma(delta * delta * c, t(into[0]), into[2] + m2)]

    for i in range(chunks):
        mean, m2 = zero, zero
        chunk = vectors[:, 16 * i:16 * (i + 1)]
        for j in range(chunk.shape[1]):
            delta = chunk[:, j] - mean
            mean = fma(delta, t(1) / t(j + 1), mean)
            m2 = fma(delta, chunk[:, j] - mean, m2)
        merge(chunk.shape[1], mean, m2, stack[0])
        mask, level = i + 1, 1
        while level < depth and not mask & 1:
            merge(*stack[level - 1], stack[level])
            stack[level - 1] = [0, zero, zero]
            mask, level = mask >> 1, level + 1
    for level in range(1, depth):
        merge(*stack[level], stack[0])
    return n, stack[0][1], stack[0][2]


def _rstd(var, eps):
    return np.ones_like(var) / np.sqrt(np.maximum(var, 0) + np.asarray(eps, var.dtype))

def fma(a, b, c):
    """a * b + c rounded once, as the fused multiply-adds PyTorch's CPU kernels are compiled to (GCC contracts
    their vector products and sums). float32: the exact product in float64; float64: Dekker's product and
    Knuth's sum carry the lost low parts (faithful; the plain a * b + c where that overflows)."""
    a, b, c = np.asarray(a), np.asarray(b), np.asarray(c)
    if a.dtype != np.float64:
        return (a.astype(np.float64) * b + c).astype(a.dtype)
    p = a * b
    s = p + c
    split = 134217729.0 * a, 134217729.0 * b  # Veltkamp: the high 26 bits of each factor
    ah, bh = split[0] - (split[0] - a), split[1] - (split[1] - b)
    al, bl = a - ah, b - bh
    p_err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    bb = s - p
    s_err = (p - (s - bb)) + (c - bb)
    low = p_err + s_err
    out = s + low
    return np.where(np.isfinite(out) & (low != 0), out, s)  # s keeps the sign of a zero sum


def _vector_sum(p, q=None):
    """Each row's sum of p (of p * q), as at::vec::reduce_all / map2_reduce_all add it with AVX2 vectors
    (8 floats, 4 doubles): a row shorter than a vector left to right; a longer one in vector lanes (the last,
    partial vector's products fused into its lanes), whose float lanes are then halved pairwise and whose
    double lanes are added left to right."""
    width = 32 // p.dtype.itemsize
    prod = p if q is None else p * q
    n = p.shape[1]
    if n < width:
        return _sum_left_to_right(prod)
    acc = prod[:, :width].copy()
    full = n - n % width
    for s in range(width, full, width):
        acc = acc + prod[:, s:s + width]
    r = n - full
    if r:
        acc[:, :r] = acc[:, :r] + prod[:, full:] if q is None else fma(p[:, full:], q[:, full:], acc[:, :r])
    if p.dtype != np.float32:
        return _sum_left_to_right(acc)
    step = width // 2
    while step:
        acc = acc + acc[:, np.arange(width) ^ step]
        step //= 2
    return acc[:, 0]


def _sum_left_to_right(rows):
    if not rows.shape[1]:
        return np.zeros(rows.shape[0], rows.dtype)
    acc = rows[:, 0]
    for j in range(1, rows.shape[1]):
        acc = acc + rows[:, j]
    return acc


def layer_norm_moments(x, normalized_shape, eps):
    """The mean and rstd of each normalized row (flat), as native_layer_norm saves them."""
    return _row_moments(x.reshape(-1, math.prod(normalized_shape)), eps)


@quietly  # computed before the op's kernel
def layer_norm_outputs(x, normalized_shape, eps):
    """native_layer_norm's second and third outputs: the mean and rstd of each row, shaped as x with the
    normalized dims 1, in x's dtype (half computed in float, as the forward). Non-float x: zeros (the op
    refuses it)."""
    shape = x.shape[:x.ndim - len(normalized_shape)] + (1,) * len(normalized_shape)
    if x.dtype.kind != "f":
        return np.zeros(shape), np.zeros(shape)
    wide = x.astype(np.float32) if x.dtype == np.float16 else x
    return tuple(m.reshape(shape).astype(x.dtype) for m in layer_norm_moments(wide, normalized_shape, eps))


def layer_norm_backward(g, x, w, normalized_shape, eps):
    """native_layer_norm_backward as PyTorch's CPU kernel (layer_norm_backward_frame) computes it from the
    forward's mean and rstd: the gradients of the input, the weight (zeros without one) and the bias."""
    n = math.prod(normalized_shape)
    rows, dy = x.reshape(-1, n), g.reshape(-1, n)
    mu, rstd = _row_moments(rows, eps)
    dx = _layer_norm_input_grad(dy, rows, None if w is None else w.reshape(1, n), mu, rstd)
    dw, db = np.zeros(n, x.dtype), np.zeros(n, x.dtype)
    shift = -rstd * mu
    for i in range(rows.shape[0]):  # row after row into one buffer, as one thread does
        if w is not None:
            dw = fma(dy[i], fma(rstd[i], rows[i], shift[i]), dw)
        db = db + dy[i]
    return [dx.reshape(x.shape), dw.reshape(normalized_shape), db.reshape(normalized_shape)]


def _layer_norm_input_grad(dy, rows, w, mu, a):
    """Per row ds = sum(dy * x * w), db = sum(dy * w) (_vector_sum), b = (db * mean - ds) * rstd**3 / N,
    c = -b * mean - db * rstd / N, then dx = rstd * dy * w + b * x + c, with the fused multiply-adds GCC
    makes of it."""
    if w is None:
        ds, db, ady = _vector_sum(dy, rows), _vector_sum(dy), a[:, None] * dy
    else:
        ws = np.broadcast_to(w, rows.shape)
        ds, db, ady = _vector_sum(dy * rows, ws), _vector_sum(dy, ws), (a[:, None] * dy) * w
    scale = rows.dtype.type(1) / rows.dtype.type(rows.shape[1])
    b = fma(db, mu, -ds) * a * a * a * scale
    c = fma(-b, mu, -(db * a * scale))
    return fma(b[:, None], rows, ady) + c[:, None]


def constant_pad(a, pad, value):
    widths = [(0, 0)] * (a.ndim - len(pad) // 2) + [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)][::-1]
    crop = tuple(slice(max(-lo, 0), a.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(widths))
    a = a[crop]
    return np.pad(a, [(max(lo, 0), max(hi, 0)) for lo, hi in widths], constant_values=value)


def padded_index(size, lo, hi, mode):
    """For reflect/replicate padding of one dim: the source index of every output position."""
    i = np.arange(-lo, size + hi)
    if mode == "replicate":
        return np.clip(i, 0, size - 1)
    period = 2 * (size - 1)
    i = np.abs(i) % period if period else np.zeros_like(i)
    return np.where(i >= size, period - i, i)


def column_major(a):
    """`a` with each matrix stored column by column, as LAPACK-backed PyTorch results are (layout decides
    whether reshape() views them and whether contiguous() copies)."""
    return np.swapaxes(np.ascontiguousarray(np.swapaxes(a, -1, -2)), -1, -2) if a.ndim >= 2 else a


def diagonal(a, offset, dim1, dim2):
    """A writeable view of a diagonal (np.diagonal's is read-only), its dim last, as PyTorch's."""
    row, col = max(-offset, 0), max(offset, 0)
    length = max(0, min(a.shape[dim1] - row, a.shape[dim2] - col))
    corner = [slice(None)] * a.ndim
    corner[dim1], corner[dim2] = slice(min(row, a.shape[dim1]), None), slice(min(col, a.shape[dim2]), None)
    start = a[tuple(corner)]  # a view whose first element is the diagonal's first
    rest = [d for d in range(a.ndim) if d not in (dim1, dim2)]
    shape = tuple(a.shape[d] for d in rest) + (length,)
    strides = tuple(a.strides[d] for d in rest) + (a.strides[dim1] + a.strides[dim2],)
    return np.lib.stride_tricks.as_strided(start, shape, strides, writeable=a.flags.writeable)


def at_positions(a, positions, view=False):
    """The elements of `a` at `positions` (indices into its elements in C order), a copy; with view=True
    (positions that are a contiguous `a`'s own, in another shape) a view of `a`, as PyTorch's as_strided."""
    return a.reshape(positions.shape) if view else a.reshape(-1)[positions]


def view_positions(view, base):
    """Where each element of `view` lies in `base` (an array it shares memory with): the index into
    base's elements in C order, an int64 array of the view's shape. PyTorch keeps a view's geometry
    (sizes, strides, storage offset); its flat positions in the base say the same of NumPy arrays."""
    base_addr = _addresses(base).ravel()
    order = np.argsort(base_addr, kind="stable")
    found = np.searchsorted(base_addr[order], _addresses(view))
    return order[np.minimum(found, max(base.size - 1, 0))].astype(np.int64) if base.size else \
        np.zeros(view.shape, np.int64)


def _addresses(a):
    """The byte address of every element of `a`, in C order, with a's shape."""
    addr = np.full(a.shape, a.__array_interface__["data"][0], dtype=np.int64)
    for dim, (size, stride) in enumerate(zip(a.shape, a.strides)):
        shape = [1] * a.ndim
        shape[dim] = size
        addr = addr + (np.arange(size, dtype=np.int64) * stride).reshape(shape)
    return addr


def embed_diagonal(g, input_sizes, offset, dim1, dim2):
    out = np.zeros(input_sizes, g.dtype)
    i = np.arange(g.shape[-1])
    np.moveaxis(out, (dim1, dim2), (-2, -1))[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


# ------------------------------------------------------------------- gather, scatter and index writes
def _nonempty(a):
    """A 0-d array as one element in one dim, as PyTorch's scatter and gather kernels see it (a view)."""
    return a.reshape(a.shape or (1,))


def gather(a, dim, index):
    """take_along_axis over the part of `a` the index covers: PyTorch reads only index's extent in every dim."""
    idx = index._data
    if idx.size == 0:
        return np.empty(idx.shape, a.dtype)
    a, flat = _nonempty(a), _nonempty(idx)
    covered = tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(flat.shape))
    return np.take_along_axis(a[covered], flat, dim).reshape(idx.shape)


def scatter(a, src, dim, index, reduce=None):
    out = a.copy()
    if index._data.size == 0:  # src, of any shape, is not read
        return out
    idx = _nonempty(index._data)
    src = np.broadcast_to(src, idx.shape) if np.ndim(src) == 0 else _nonempty(src)[tuple(slice(0, n) for n in idx.shape)]
    grid = list(np.indices(idx.shape, sparse=True))
    grid[dim] = idx
    if reduce == "add":
        np.add.at(_nonempty(out), tuple(grid), src)
    else:
        _nonempty(out)[tuple(grid)] = src
    return out


def index_add(a, src, dim, index, alpha=1):
    if a.ndim == 0:  # a 0-d self and source: as a 1-element vector (PyTorch takes index [0] there)
        return index_add(a.reshape(1), np.reshape(src, (1,)), 0, index, alpha).reshape(())
    index = index._data.reshape(-1)  # a 0-d index is one index
    check_index_in_range(index, a, dim, alpha)
    out = a.copy()
    key = (slice(None),) * dim + (index,)
    np.add.at(out, key, src if alpha == 1 else src * np.asarray(alpha, a.dtype))
    return out


def check_index_in_range(index, a, dim, alpha):
    """PyTorch's index_add bounds check (no negative indices): with alpha 1 its kernel adds a slice per index into
    a tensor of more than one dim (select's words), and indexes elements otherwise."""
    bad = (index < 0) | (index >= a.shape[dim])
    if np.any(bad):
        if a.ndim <= 1 or alpha != 1:
            raise IndexError("index out of range in self")
        raise RuntimeError(f"index {int(index[bad][0])} is out of bounds for dimension {dim} with size {a.shape[dim]}")


def masked_scatter(a, source, mask):
    """A copy of `a` (broadcast with the mask) with source's leading elements, in row-major order, written where
    the mask is set."""
    shape = np.broadcast_shapes(a.shape, mask._data.shape)
    out = np.array(np.broadcast_to(a, shape))
    where = np.broadcast_to(mask._data, shape)
    out[where] = source.reshape(-1)[:np.count_nonzero(where)]
    return out


def masked_scatter_backward(g, mask, sizes):
    """masked_scatter's gradient for its source: the elements of g where the mask is set, in row-major order,
    then zeros for the source elements it did not read, shaped as the source."""
    shape = np.broadcast_shapes(g.shape, mask._data.shape)
    taken = np.broadcast_to(g, shape)[np.broadcast_to(mask._data, shape)]
    out = np.zeros(math.prod(sizes), g.dtype)
    out[:taken.size] = taken
    return out.reshape(sizes)


def put(a, v, index, indices=()):
    out = a.copy()
    out[index] = v
    return out


# ------------------------------------------------------------------- padding
def pad(a, pad, mode, k):
    """Reflect or replicate padding of the last k dims."""
    for d in range(k):
        lo, hi = pad[2 * d], pad[2 * d + 1]
        a = np.take(a, padded_index(a.shape[-1 - d], lo, hi, mode), axis=a.ndim - 1 - d)
    return a


def pad_backward(g, shape, pad, mode, k):
    """The adjoint of pad: each padded position's gradient added back onto its source."""
    for d in range(k):
        axis = g.ndim - 1 - d
        out = np.zeros(g.shape[:axis] + (shape[axis],) + g.shape[axis + 1:], g.dtype)
        np.add.at(out, (slice(None),) * axis + (padded_index(shape[axis], pad[2 * d], pad[2 * d + 1], mode),), g)
        g = out
    return g


# ------------------------------------------------------------------- more activations, losses, batch norm, adaptive pool
def _scalar(value, a):
    return np.asarray(value, a.dtype)


def hardtanh(a, min_val, max_val):
    return np.minimum(np.maximum(a, _scalar(min_val, a)), _scalar(max_val, a))


def hardswish(a):
    """x * min(max(x + 3, 0), 6) / 6, in PyTorch's order."""
    return a * np.minimum(np.maximum(a + _scalar(3, a), _scalar(0, a)), _scalar(6, a)) / _scalar(6, a)


def hardsigmoid(a):
    return np.minimum(np.maximum(a + _scalar(3, a), _scalar(0, a)), _scalar(6, a)) / _scalar(6, a)


def mish(a):
    return a * TANH(LOG1P(EXP(a)))


def scaled_elu(a, alpha, scale, input_scale):
    """PyTorch's elu kernel with its scales (selu, celu): x * scale above 0, else expm1(x * input_scale) * alpha *
    scale, the coefficients in the input's dtype."""
    negcoef = _scalar(alpha, a) * _scalar(scale, a)
    return np.where(a > 0, a * _scalar(scale, a), EXPM1(a * _scalar(input_scale, a)) * negcoef)


def smooth_l1(x, t, reduction, beta):
    z = np.abs(x - t)
    half = _scalar(0.5, z)
    return np_reduce(np.where(z < beta, half * z * z / _scalar(beta, z), z - half * _scalar(beta, z)), reduction)


def huber(x, t, reduction, delta):
    z = np.abs(x - t)
    half, d = _scalar(0.5, z), _scalar(delta, z)
    return np_reduce(np.where(z < d, half * z * z, d * (z - half * d)), reduction)


def batch_norm_stats(x):
    """Each channel's mean and biased variance (dim 1), accumulated in float64 as PyTorch's CPU kernel does."""
    dims = (0,) + tuple(range(2, x.ndim))
    wide = x.astype(np.float64)
    mean = wide.mean(axis=dims)
    var = ((wide - mean.reshape((1, -1) + (1,) * (x.ndim - 2))) ** 2).mean(axis=dims)
    return mean, var


def batch_norm(x, w, b, mean, invstd):
    """The normalised input as PyTorch's transform: x * alpha + beta, alpha = invstd * weight, beta = bias -
    mean * alpha, per channel."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    alpha = invstd.astype(x.dtype) * (w if w is not None else _scalar(1, x))
    beta = (b if b is not None else _scalar(0, x)) - mean.astype(x.dtype) * alpha
    return x * alpha.reshape(shape) + beta.reshape(shape)


def adaptive_bounds(size, out):
    """The windows of adaptive pooling along one dim: [floor(i * size / out), ceil((i + 1) * size / out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def adaptive_avg_pool2d(x, output_size):
    rows, cols = (adaptive_bounds(s, o) for s, o in zip(x.shape[-2:], output_size))
    out = np.empty(x.shape[:-2] + tuple(output_size), x.dtype)
    for i, (h0, h1) in enumerate(rows):
        for j, (w0, w1) in enumerate(cols):
            window = x[..., h0:h1, w0:w1]
            out[..., i, j] = window.sum(axis=(-2, -1)) / x.dtype.type((h1 - h0) * (w1 - w0))
    return out


def adaptive_avg_pool2d_backward(g, shape):
    rows, cols = (adaptive_bounds(s, o) for s, o in zip(shape[-2:], g.shape[-2:]))
    out = np.zeros(tuple(shape), g.dtype)
    for i, (h0, h1) in enumerate(rows):
        for j, (w0, w1) in enumerate(cols):
            out[..., h0:h1, w0:w1] += (g[..., i, j] / g.dtype.type((h1 - h0) * (w1 - w0)))[..., None, None]
    return out


# --------------------------------------------------------------------------- sorting and selection
def sort_indices(a, dim, descending=False):
    """PyTorch's CPU sort: stable, NaN above every number; descending keeps equal elements in their order
    (a stable ascending sort of the flipped input, flipped back)."""
    if a.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(a, axis=dim, kind="stable").astype(np.int64)
    n = a.shape[dim]
    flipped = np.argsort(np.flip(a, dim), axis=dim, kind="stable")
    return np.flip(n - 1 - flipped, dim).astype(np.int64)


def kth_indices(a, dim, k, keepdim):
    """kthvalue's index of the k-th smallest element (from 1) along dim, NaN counted largest: PyTorch's CPU
    quickselect (its choice among equal values); a row without repeated values needs only a sort."""
    if a.ndim == 0:
        return np.zeros((), np.int64)
    picked = np.take(sort_indices(a, dim), [k - 1], axis=dim)
    moved = np.moveaxis(a, dim, -1).reshape(-1, a.shape[dim])
    flat = np.moveaxis(picked, dim, -1).reshape(-1)
    for r, row in enumerate(moved):
        if len(np.unique(row)) < len(row) or np.isnan(row).sum() > 1:
            flat[r] = _quick_select(row.tolist(), k - 1)
    picked = np.moveaxis(flat.reshape(np.moveaxis(picked, dim, -1).shape), -1, dim)
    return picked if keepdim else np.squeeze(picked, dim)


def _above_or_nan(x, y):
    return (x != x and y == y) or x > y


def _quick_select(values, k):
    """ATen's quick_select_template (SortingUtils.h): median-of-three pivots, Hoare partitioning; the index of
    the k-th smallest (from 0) it leaves at position k."""
    arr, ind = values, list(range(len(values)))

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        ind[i], ind[j] = ind[j], ind[i]
    low, high = 0, len(arr) - 1
    while high > low:
        if high == low + 1:
            if _above_or_nan(arr[low], arr[high]):
                swap(low, high)
            break
        swap(low + (high - low) // 2, low + 1)
        for i, j in ((low + 1, high), (low, high), (low + 1, low)):
            if _above_or_nan(arr[i], arr[j]):
                swap(i, j)
        i, j, pivot = low + 1, high, arr[low]
        while True:
            i += 1
            while _above_or_nan(pivot, arr[i]):
                i += 1
            j -= 1
            while _above_or_nan(arr[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(low, j)
        if j <= k:
            low = i
        if j >= k:
            high = j - 1
    return ind[k]


def median_indices(a, dim, keepdim):
    """median along dim: the lower median, or the first NaN where there is one. PyTorch's nth_element breaks ties
    by index, so the median is the one in a stable sort's order."""
    if a.ndim == 0:
        return np.zeros((), np.int64)
    idx = np.take(sort_indices(a, dim), [(a.shape[dim] - 1) // 2], axis=dim)
    if a.dtype.kind in "fc":
        nan = np.isnan(a)
        idx = np.where(nan.any(axis=dim, keepdims=True), np.argmax(nan, axis=dim, keepdims=True), idx)
    return idx if keepdim else np.squeeze(idx, dim)


def mode_indices(a, dim, keepdim):
    """mode along dim: PyTorch's CPU kernel sorts (value, index) pairs by value with std::sort, then takes the
    last pair of the first longest run: the smallest of the most frequent values, at an index std::sort decides
    (the last position for up to 16 elements, which it insertion-sorts)."""
    if a.ndim == 0:
        return np.zeros((), np.int64)
    moved = np.moveaxis(a, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    idx = np.array([_mode_index(row.tolist()) for row in rows], np.int64).reshape(moved.shape[:-1])
    return np.expand_dims(idx, dim) if keepdim else idx


def _mode_index(row):
    pairs = _std_sort([(v, k) for k, v in enumerate(row)], lambda x, y: x[0] < y[0])
    longest, run, index = 0, 0, 0
    for i, (value, k) in enumerate(pairs):
        run += 1
        if i == len(pairs) - 1 or value != pairs[i + 1][0]:
            if run > longest:
                longest, index = run, k
            run = 0
    return index


def _std_sort(a, less):
    """libstdc++'s std::sort, in place: introsort (median-of-three pivots, unguarded partitions, a heap sort past
    its depth limit) down to runs of 16, then one insertion sort."""
    def introsort(first, last, depth):
        while last - first > 16:
            if depth == 0:
                _partial_sort(a, first, last, last, less)
                return
            depth -= 1
            cut = _partition_around_pivot(a, first, last, less)
            introsort(cut, last, depth)
            last = cut

    def insert(i, first):
        value, j = a[i], i
        if first is not None and less(value, a[first]):
            a[first + 1:i + 1] = a[first:i]
            a[first] = value
            return
        while less(value, a[j - 1]):
            a[j] = a[j - 1]
            j -= 1
        a[j] = value

    n = len(a)
    if n > 1:
        introsort(0, n, 2 * (n.bit_length() - 1))
        for i in range(1, n):
            insert(i, 0 if i < 16 else None)  # the first 16 guarded, the rest unguarded
    return a


def _partition_around_pivot(a, first, last, less):
    """libstdc++'s __unguarded_partition_pivot: the median of a[first + 1], the middle and the last moved to
    first, then a[first + 1:last] partitioned around it; returns the cut."""
    x, y, z = first + 1, first + (last - first) // 2, last - 1
    if less(a[x], a[y]):
        pick = y if less(a[y], a[z]) else z if less(a[x], a[z]) else x
    else:
        pick = x if less(a[x], a[z]) else z if less(a[y], a[z]) else y
    a[first], a[pick] = a[pick], a[first]
    low, high = first + 1, last
    while True:
        while less(a[low], a[first]):
            low += 1
        high -= 1
        while less(a[first], a[high]):
            high -= 1
        if not low < high:
            return low
        a[low], a[high] = a[high], a[low]
        low += 1


def _adjust_heap(a, first, hole, length, value, less):
    """libstdc++'s __adjust_heap (the hole sifted down to a leaf, then value pushed up from there)."""
    top, child = hole, hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole, parent = parent, (parent - 1) // 2
    a[first + hole] = value


def _heap_select(a, first, middle, last, less):
    """libstdc++'s __heap_select: a heap of a[first:middle] keeps the smallest of all (by less)."""
    length = middle - first
    for parent in range((length - 2) // 2, -1, -1) if length > 1 else ():
        _adjust_heap(a, first, parent, length, a[first + parent], less)
    for i in range(middle, last):
        if less(a[i], a[first]):
            value, a[i] = a[i], a[first]
            _adjust_heap(a, first, 0, length, value, less)


def _partial_sort(a, first, middle, last, less):
    """libstdc++'s std::partial_sort: heap select, then sort_heap."""
    _heap_select(a, first, middle, last, less)
    for end in range(middle - 1, first, -1):
        value, a[end] = a[end], a[first]
        _adjust_heap(a, first, 0, end - first, value, less)


def _nth_element(a, nth, less):
    """libstdc++'s std::nth_element (introselect: partitions, a heap select past its depth limit, an insertion
    sort of the last three or fewer)."""
    first, last = 0, len(a)
    depth = 2 * (last.bit_length() - 1) if last else 0
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, less)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _partition_around_pivot(a, first, last, less)
        if cut <= nth:
            first = cut
        else:
            last = cut
    for i in range(first + 1, last):
        value, j = a[i], i
        while j > first and less(value, a[j - 1]):
            a[j] = a[j - 1]
            j -= 1
        a[j] = value


def _nan_first(x, y):
    return (x[0] != x[0] and y[0] == y[0]) or x[0] > y[0]


def _nan_last(x, y):
    return (x[0] == x[0] and y[0] != y[0]) or x[0] < y[0]


def topk_indices(a, dim, k, largest, sorted):
    """PyTorch's CPU topk (TopKImpl.h) along dim: (value, index) pairs, NaN the largest; std::partial_sort where
    k * 64 <= the dim's size, else std::nth_element to k - 1 and (sorted) std::sort of the k - 1 before it."""
    if a.ndim == 0:
        return np.zeros((), np.int64)
    less = _nan_first if largest else _nan_last
    moved = np.moveaxis(a, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty((len(rows), k), np.int64)
    for r, row in enumerate(rows):
        pairs = [(v, j) for j, v in enumerate(row.tolist())]
        if k and k * 64 <= len(pairs):
            _partial_sort(pairs, 0, k, len(pairs), less)
        elif k:
            _nth_element(pairs, k - 1, less)
            if sorted:
                pairs[:k - 1] = _std_sort(pairs[:k - 1], less)
        out[r] = [j for _, j in pairs[:k]]
    return np.moveaxis(out.reshape(moved.shape[:-1] + (k,)), -1, dim)


def take_selected(a, dim, keepdim, indices):
    """The values at the indices (sort's, topk's, kthvalue's ...) along dim."""
    idx = indices._data
    if a.ndim == 0:
        return a.copy()
    if not keepdim:
        idx = np.expand_dims(idx, dim)
    values = np.take_along_axis(a, idx, dim)
    return values if keepdim else np.squeeze(values, dim)
