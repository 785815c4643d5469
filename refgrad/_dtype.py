"""Data types and PyTorch's type-promotion rules.

A dtype pairs a torch name with the NumPy dtype that stores it. Promotion follows
c10's ResultTypeState: dimensioned tensors outrank 0-dim tensors, which outrank Python
scalars ("wrapped numbers"), unless a lower-priority operand belongs to a higher
category (bool < integer < floating).
"""
import numpy as np

__all__ = ["dtype", "promote_types", "result_type", "get_default_dtype", "set_default_dtype"]


class dtype:
    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_legacy", "_category")

    def __init__(self, name, np_dtype, legacy, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in "if"
        self.itemsize = self.np.itemsize
        self._legacy = legacy
        self._category = category  # 0 bool, 1 integer, 2 floating

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


def _by_name(name):
    return _BY_NAME[name]


bool_ = dtype("bool", np.bool_, "BoolTensor", 0)
uint8 = dtype("uint8", np.uint8, "ByteTensor", 1)
int8 = dtype("int8", np.int8, "CharTensor", 1)
int16 = dtype("int16", np.int16, "ShortTensor", 1)
int32 = dtype("int32", np.int32, "IntTensor", 1)
int64 = dtype("int64", np.int64, "LongTensor", 1)
float16 = dtype("float16", np.float16, "HalfTensor", 2)
float32 = dtype("float32", np.float32, "FloatTensor", 2)
float64 = dtype("float64", np.float64, "DoubleTensor", 2)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NAME = {d.name: d for d in ALL}
_BY_NP = {d.np: d for d in ALL}

# torch's short names used in messages such as "result type Float can't be cast ..."
SCALAR_NAME = {bool_: "Bool", uint8: "Byte", int8: "Char", int16: "Short", int32: "Int",
               int64: "Long", float16: "Half", float32: "Float", float64: "Double"}

# the C++ type names some messages use ("expected m1 and m2 to have the same dtype, but got: float != long int")
CPP_NAME = {bool_: "bool", uint8: "unsigned char", int8: "signed char", int16: "short int", int32: "int",
            int64: "long int", float16: "c10::Half", float32: "float", float64: "double"}

_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(("" if isinstance(d, dtype) else "invalid dtype object: ")
                        + "only floating-point types are supported as the default type")
    _default[0] = d


def from_numpy_dtype(np_dtype):
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


def promote_types(type1, type2):
    """torch.promote_types: the smallest dtype both convert to without leaving their category."""
    for position, t in enumerate((type1, type2), 1):
        if not isinstance(t, dtype):
            raise TypeError(f"promote_types(): argument 'type{position}' (position {position}) must be torch.dtype, "
                            f"not {type(t).__name__}")
    a, b = type1, type2
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    return _BY_NP[np.promote_types(a.np, b.np)]


def scalar_dtype(value):
    """The dtype a Python scalar stands for when it is a wrapped number."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    return _default[0]


def result_type(operands):
    """The result dtype of an elementwise op over tensors and Python scalars.

    Mirrors at::native::result_type: three priority groups combined by category.
    """
    dim = zero = wrapped = None
    for op in operands:
        d = getattr(op, "_dtype", None)
        if d is None:
            d = scalar_dtype(op)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
        elif op._data.ndim:
            dim = d if dim is None else promote_types(dim, d)
        else:
            zero = d if zero is None else promote_types(zero, d)
    return _combine(dim, _combine(zero, wrapped))


def _combine(higher, lower):
    if higher is None:
        return lower
    if lower is None or higher._category >= lower._category:
        return higher
    if lower.is_floating_point:
        # A lower-priority float only lifts an int/bool tensor to the default float dtype
        # (or its own, when it is a 0-dim tensor of a wider float).
        return lower
    return promote_types(higher, lower)


def can_cast(src, dst):
    """torch.can_cast: may an in-place op write a `src` result into a `dst` tensor?"""
    return src._category <= dst._category
