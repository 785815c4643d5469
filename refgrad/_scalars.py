"""Whether a Python number fits a dtype as PyTorch's Scalar conversions decide (fill_, masked_fill, full, clamp):
c10's overflows<To, From>, and the int range a Scalar can hold."""
import math

import numpy as np

from . import _dtype as dt
from ._layout import preserved


def check_int_range(op):
    """PyTorch reads a Python int as int64, or uint64 above it: nothing else fits a Scalar."""
    if type(op) is int and not -2 ** 63 <= op < 2 ** 64:
        raise OverflowError("int too big to convert" if op > 0 else "can't convert negative int to unsigned")


_CONVERT_NAME = {dt.uint8: "uint8_t", dt.int8: "int8_t", dt.int16: "int16_t", dt.int32: "int", dt.int64: "int64_t",
                 dt.float16: "c10::Half", dt.float32: "float", dt.float64: "double"}


def _overflows(value, dtype):
    """c10's overflows<To, From>: a float is compared as a double (so float(2**63) fits int64), an integer
    exactly; a NaN or inf overflows an integer type, not a floating one; a negative integer wraps into an
    unsigned type when its magnitude fits; a complex number overflows a real type unless its imaginary part
    is zero."""
    if isinstance(value, complex):
        return value.imag != 0 or _overflows(value.real, dtype)
    if dtype.is_floating_point:
        limit = float(np.finfo(dtype.np).max)
        return not math.isinf(value) and not math.isnan(value) and abs(value) > limit
    info = np.iinfo(dtype.np)
    if isinstance(value, float):
        return math.isnan(value) or value < float(info.min) or value > float(info.max)
    if not dtype.is_signed and value < 0:
        return -value > info.max
    return value < info.min or value > info.max


def check_scalar_fits(value, dtype):
    """PyTorch's Scalar::to<T>() as a kernel reads a Python number to write it into a `dtype` tensor (fill_,
    masked_fill): it refuses one that overflows the type, even for an empty tensor. A bool tensor takes any."""
    check_int_range(value)
    if dtype is dt.bool_ or isinstance(value, bool):
        return
    if _overflows(value, dtype):
        raise RuntimeError(f"value cannot be converted to type {_CONVERT_NAME[dtype]} without overflow")


def check_fill_value(value, dtype, numel):
    """fill_'s (and full's) check of its value: PyTorch fills a single CPU element with scalar_fill, which
    reads a half as a double, unchecked for the half (70000 becomes inf there)."""
    check_scalar_fits(value, dt.float64 if numel == 1 and dtype is dt.float16 else dtype)


_HALF = np.dtype(np.float16)


def converted(data, np_dtype):
    """`data` (an array or a number) as an array of `np_dtype`, as C++ converts it: into half through float,
    since c10::Half is made from a float (a double rounds twice: 0.9377441617 becomes 0.9375, not 0.93799)."""
    if np_dtype == _HALF:
        source = np.asarray(data)
        if source.dtype != _HALF and source.dtype.kind != "b":
            data = source.astype(np.float32)
    if type(data) is np.ndarray and not data.flags.c_contiguous and data.dtype != np_dtype and 0 in data.strides:
        return preserved(np.array(data, dtype=np_dtype, order="C"), data)  # NumPy's order "K" differs for these
    return np.asarray(data, dtype=np_dtype)


def scalar_into(value, np_dtype):
    """A Python number as a kernel writes it into `np_dtype` once check_scalar_fits let it: a negative int
    wraps into an unsigned type, a complex number gives its real part (its truth, into bool)."""
    if isinstance(value, complex):
        value = bool(value) if np_dtype == np.bool_ else value.real
    check_int_range(value)
    with np.errstate(all="ignore"):
        try:
            return converted(value, np_dtype)
        except OverflowError:
            return np.asarray(value).astype(np_dtype)
