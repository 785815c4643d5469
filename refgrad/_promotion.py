"""Which device and dtype an op computes in, and its operands as NumPy arrays of that dtype.

`promote` is the rule as PyTorch states it: all tensors on one device (a CPU 0-dim tensor may join
any), the result dtype from c10's promotion (refgrad/_dtype.py) or the entry's own dtype rule, half
computed in float (PyTorch's opmath), Python numbers wrapped like C++ casts. `fast_lane` is a
shortcut beside it for the common case that needs none of that; tests/test_shortcuts.py proves the
two agree. The dtype rules of particular ops (sum's int64, mean's float-only) are at the bottom.
"""

import numpy as np

from . import _dtype as dt
from ._device import CPU
from ._fp import quiet
from ._scalars import check_fill_value, check_int_range, check_scalar_fits, converted, scalar_into  # noqa: F401 (re-exported)
from ._tensor import Tensor

__all__ = ["promote", "fast_lane", "as_array", "as_dtype", "broadcast_shapes", "check_inplace_shape"]

_F16, _F32 = np.dtype(np.float16), np.dtype(np.float32)


def promote(rule, operands, params):
    """(device, compute dtype, operand arrays in it): the semantic path of every op's forward. Half operands
    are given to the kernel in float32 (PyTorch's opmath), unless it `takes_half` and widens them itself."""
    device = common_device(operands)
    compute = result_dtype(rule, operands, params)
    if compute is dt.float16 and rule.out_dtype is None and not getattr(rule.forward, "takes_half", False):
        check_dtype = getattr(rule.forward, "check_dtype", None)
        if check_dtype is not None:  # the kernel sees float32 (opmath); PyTorch's error names Half
            check_dtype(_F16)
        arrays = [as_array(op, _F16).astype(_F32) if isinstance(op, Tensor) else as_array(op, _F32)
                  for op in operands]
    else:
        arrays = [as_array(op, compute.np) for op in operands]
    return device, compute, arrays


def fast_lane(operands):
    """SHORTCUT of `promote` for CPU tensors of one float32 or float64 dtype, and Python floats and small
    ints: they go to NumPy as they are (NumPy computes with them in the array's dtype, as PyTorch does
    with wrapped numbers). None when the operands are anything else."""
    first = operands[0]
    if type(first) is not Tensor or first._device is not CPU:
        return None
    d = first._dtype
    if d is not dt.float32 and d is not dt.float64:
        return None
    arrays = [first._data]
    for op in operands[1:]:
        t = type(op)
        if t is Tensor:
            if op._dtype is not d or op._device is not CPU:
                return None
            arrays.append(op._data)
        elif t is float and -3.0e38 < op < 3.0e38 or t is int and -16777216 <= op <= 16777216:
            arrays.append(op)
        else:
            return None
    return CPU, d, arrays


def result_dtype(rule, operands, params):
    """The dtype an op computes in, as its entry's `dtype` says (see refgrad/_rule.py)."""
    kind = rule.dtype
    if kind in ("same", "index"):
        return operands[0]._dtype
    if callable(kind):
        return kind(operands, params)
    out = _same_dtype(operands) or dt.result_type([op for op in operands if op is not None])
    if kind == "float" and not out.is_floating_point:
        return dt.get_default_dtype()
    return out  # "promote", and "bool", which computes in the promoted dtype


def _same_dtype(operands):
    """SHORTCUT of dt.result_type for tensors of one dtype and Python numbers that do not lift it (a float
    with a float tensor, an int with a non-bool one); None otherwise."""
    first = operands[0]
    if type(first) is not Tensor:
        return None
    d = first._dtype
    if d is dt.bool_:
        return None
    for op in operands[1:]:
        t = type(op)
        if t is Tensor:
            if op._dtype is not d:
                return None
        elif t is float:
            if not d.is_floating_point:
                return None
        elif t is not int:
            return None
    return d


def common_device(operands):
    """The device the op runs on. CPU 0-dim tensors may join tensors of any device, as in PyTorch."""
    for op in operands:
        if isinstance(op, Tensor) and op._device is not CPU:
            break
    else:
        return CPU
    device = None
    for op in operands:
        if isinstance(op, Tensor) and not (op._device is CPU and op._data.ndim == 0):
            if device is None:
                device = op._device
            elif op._device != device:
                raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                                   f"devices, {device} and {op._device}!")
    return device or CPU


def as_array(op, np_dtype):
    """The operand's data in the compute dtype (Python scalars wrap like C++ casts)."""
    if isinstance(op, Tensor):
        data = op._data
        return data if data.dtype == np_dtype else converted(data, np_dtype)
    if op is None:
        return None
    check_int_range(op)
    if type(op) is float and np_dtype.kind == "f" and np_dtype.itemsize >= 4 and -3.0e38 < op < 3.0e38:
        return np_dtype.type(op)  # the common case, without an errstate context
    with quiet():
        try:
            return converted(op, np_dtype)
        except OverflowError:
            return np.asarray(op).astype(np_dtype)


def as_dtype(data, dtype):
    """A forward's result as an array of `dtype`."""
    if type(data) is not np.ndarray or (data.dtype is not dtype.np and data.dtype != dtype.np):
        with quiet():  # a half result rounds to inf quietly, as PyTorch's does
            return converted(data, dtype.np)
    return data


def broadcast_shapes(*shapes):
    """np.broadcast_shapes with PyTorch's TensorIterator message for shapes that do not broadcast: it folds the
    operands' shapes in order, each into the shape so far (tensor a) from the last dim (addcmul's self is checked
    against tensor1 before tensor2 is)."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        pass
    so_far = ()
    for shape in shapes:
        ndim = max(len(so_far), len(shape))
        a_dims, b_dims = (1,) * (ndim - len(so_far)) + tuple(so_far), (1,) * (ndim - len(shape)) + tuple(shape)
        for i in reversed(range(ndim)):
            a, b = a_dims[i], b_dims[i]
            if a != b and a != 1 and b != 1:
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                   f"non-singleton dimension {i}")
        so_far = tuple(max(a, b) if min(a, b) != 0 else 0 for a, b in zip(a_dims, b_dims))
    raise AssertionError(f"shapes {shapes} broadcast after all")


def check_inplace_shape(self, shapes):
    """PyTorch's errors for an in-place op whose operands do not broadcast to self's own shape."""
    shape = broadcast_shapes(self._data.shape, *shapes)
    if shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")


# ---------------------------------------------------------------------------- dtype rules of particular ops
def with_scalars(*names):
    """Result dtype of an op whose params `names` are Python scalars that join type promotion."""
    return lambda operands, p: dt.result_type([o for o in operands if o is not None]
                                              + [p[n] for n in names if p.get(n) is not None])


def float_with_scalars(*names):
    """with_scalars, an integer result made the default float (true division by a Python number)."""
    promote = with_scalars(*names)

    def dtype(operands, p):
        out = promote(operands, p)
        return out if out.is_floating_point else dt.get_default_dtype()
    return dtype


def promote_after_first(operands, p):
    """where(): the promoted dtype of the values, not of the condition."""
    return dt.result_type(operands[1:])


def sum_dtype(operands, p):
    """sum, cumsum and prod: the given dtype, else the input's float dtype, else int64."""
    d = p.get("dtype")
    if d is not None:
        return d
    return operands[0]._dtype if operands[0]._dtype.is_floating_point else dt.int64


def mean_dtype(operands, p):
    d = p.get("dtype") or operands[0]._dtype
    if not d.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {dt.SCALAR_NAME[d]}")
    return d


def float_input(t, name):
    if not t._dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{dt.SCALAR_NAME[t._dtype]}")
    return t._dtype


def of_target(operands, p):
    """binary_cross_entropy_with_logits: PyTorch computes the loss in place in `1 - target`, in target's dtype."""
    return operands[1]._dtype


def given_or_input(operands, p):
    """softmax and log_softmax: the given dtype, else the input's."""
    return p.get("dtype") or operands[0]._dtype


def bool_or_uint8(operands, p):
    """all and any: bool, or uint8 for a uint8 input (PyTorch keeps that legacy)."""
    return dt.uint8 if operands[0]._dtype is dt.uint8 else dt.bool_


# the C++ types c10's checked_convert names ("value cannot be converted to type int64_t without overflow")
