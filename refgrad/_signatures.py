"""PyTorch's Python signatures of its functions and Tensor methods, and its argument parser's words for a
call that fits none of them.

For a function with one signature a bad call names the bad argument ("argument 'input' (position 1) must
be Tensor, not str"), the missing ones, or the extra ones. With several, PyTorch looks for the signatures
whose argument counts fit the call: if exactly one does, it names the bad argument of that one; otherwise
it lists them all ("received an invalid combination of arguments - got (str), but expected one of:"),
saying under each signature whose number of items equals the number of arguments given which of them did
not match. The signatures are those PyTorch 2.13 prints (hidden, deprecated ones are not printed and are
left out). A method's signatures are its function's without `input` and `out` unless listed apart.
"""
from dataclasses import dataclass

import numpy as np

from . import _dtype as dt
from ._args import _is_int, element_error
from ._device import device as Device
from ._layout import memory_format
from ._tensor import Tensor

__all__ = ["SIGNATURES", "METHOD_SIGNATURES", "rejected", "Parser", "Signature", "matches", "wrong_type", "type_name"]

_TABLE = {
    "add": (
        "(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)",
    ),
    "addcdiv": (
        "(Tensor input, Tensor tensor1, Tensor tensor2, *, Number value = 1, Tensor out = None)",
    ),
    "addcmul": (
        "(Tensor input, Tensor tensor1, Tensor tensor2, *, Number value = 1, Tensor out = None)",
    ),
    "addmm": (
        "(Tensor input, Tensor mat1, Tensor mat2, *, Number beta = 1, Number alpha = 1, Tensor out = None)",
        "(Tensor input, Tensor mat1, Tensor mat2, torch.dtype out_dtype, *, Number beta = 1, Number alpha = 1, Tensor out = None)",
    ),
    "all": (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, tuple of ints dim = None, bool keepdim = False, *, Tensor out = None)",
        "(Tensor input, int dim, bool keepdim = False, *, Tensor out = None)",
    ),
    "any": (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, tuple of ints dim = None, bool keepdim = False, *, Tensor out = None)",
        "(Tensor input, int dim, bool keepdim = False, *, Tensor out = None)",
    ),
    "arange": (
        "(Number end, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Number start, Number end, *, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Number start, Number end, Number step = 1, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    **{name: (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Number self, Tensor other)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ) for name in ("bitwise_and", "bitwise_or", "bitwise_xor")},
    "bmm": (
        "(Tensor input, Tensor mat2, *, Tensor out = None)",
        "(Tensor input, Tensor mat2, torch.dtype out_dtype, *, Tensor out = None)",
    ),
    "clamp": (
        "(Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)",
        "(Tensor input, Number min = None, Number max = None, *, Tensor out = None)",
    ),
    "clamp_max": (
        "(Tensor input, Tensor max, *, Tensor out = None)",
        "(Tensor input, Number max, *, Tensor out = None)",
    ),
    "clamp_min": (
        "(Tensor input, Tensor min, *, Tensor out = None)",
        "(Tensor input, Number min, *, Tensor out = None)",
    ),
    "clip": (
        "(Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)",
        "(Tensor input, Number min = None, Number max = None, *, Tensor out = None)",
    ),
    "div": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Tensor other, *, str rounding_mode, Tensor out = None)",
        "(Tensor input, Number other, *, str rounding_mode)",
    ),
    "divide": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Tensor other, *, str rounding_mode, Tensor out = None)",
        "(Tensor input, Number other)",
        "(Tensor input, Number other, *, str rounding_mode)",
    ),
    "eq": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "eye": (
        "(int n, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(int n, int m, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "floor_divide": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other)",
    ),
    "fmod": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "ge": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "gt": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "le": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "lerp": (
        "(Tensor input, Tensor end, Tensor weight, *, Tensor out = None)",
        "(Tensor input, Tensor end, Number weight, *, Tensor out = None)",
    ),
    "linspace": (
        "(Tensor start, Tensor end, int steps, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Number start, Tensor end, int steps, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Tensor start, Number end, int steps, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Number start, Number end, int steps, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "lt": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "masked_fill": (
        "(Tensor input, Tensor mask, Tensor value)",
        "(Tensor input, Tensor mask, Number value)",
    ),
    "max": (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)",
    ),
    "mean": (
        "(Tensor input, *, torch.dtype dtype = None, Tensor out = None)",
        "(Tensor input, tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)",
    ),
    "min": (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)",
    ),
    "mm": (
        "(Tensor input, Tensor mat2, *, Tensor out = None)",
        "(Tensor input, Tensor mat2, torch.dtype out_dtype, *, Tensor out = None)",
    ),
    "moveaxis": (
        "(Tensor input, int source, int destination)",
        "(Tensor input, tuple of ints source, tuple of ints destination)",
    ),
    "movedim": (
        "(Tensor input, int source, int destination)",
        "(Tensor input, tuple of ints source, tuple of ints destination)",
    ),
    "multiply": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other)",
    ),
    "narrow": (
        "(Tensor input, int dim, Tensor start, int length)",
        "(Tensor input, int dim, int start, int length)",
    ),
    "ne": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "normal": (
        "(Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)",
        "(Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None)",
        "(float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)",
        "(float mean, float std, tuple of ints size, *, torch.Generator generator = None, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "pow": (
        "(Tensor input, Tensor exponent, *, Tensor out = None)",
        "(Number self, Tensor exponent, *, Tensor out = None)",
        "(Tensor input, Number exponent, *, Tensor out = None)",
    ),
    "prod": (
        "(Tensor input, *, torch.dtype dtype = None)",
        "(Tensor input, int dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)",
    ),
    "rand": (
        "(tuple of ints size, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(tuple of ints size, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "rand_like": (
        "(Tensor input, *, torch.Generator generator, torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Tensor input, *, torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "randperm": (
        "(int n, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(int n, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "randint": (
        "(int high, tuple of ints size, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(int high, tuple of ints size, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(int low, int high, tuple of ints size, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(int low, int high, tuple of ints size, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "randn": (
        "(tuple of ints size, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(tuple of ints size, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "randn_like": (
        "(Tensor input, *, torch.Generator generator, torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Tensor input, *, torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "remainder": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Number self, Tensor other)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "result_type": (
        "(Tensor tensor, Tensor other)",
        "(Number scalar, Tensor tensor)",
        "(Tensor tensor, Number other)",
        "(Number scalar1, Number scalar2)",
    ),
    "round": (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, *, int decimals, Tensor out = None)",
    ),
    "rsub": (
        "(Tensor input, Tensor other, *, Number alpha = 1)",
        "(Tensor input, Number other, Number alpha = 1)",
    ),
    "scatter": (
        "(Tensor input, int dim, Tensor index, Tensor src, *, Tensor out = None)",
        "(Tensor input, int dim, Tensor index, Tensor src, *, str reduce, Tensor out = None)",
        "(Tensor input, int dim, Tensor index, Number value, *, Tensor out = None)",
        "(Tensor input, int dim, Tensor index, Number value, *, str reduce, Tensor out = None)",
    ),
    "squeeze": (
        "(Tensor input)",
        "(Tensor input, int dim)",
        "(Tensor input, tuple of ints dim)",
    ),
    "std": (
        "(Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False, *, Tensor out = None)",
        "(Tensor input, tuple of ints dim = None, *, Number correction = None, bool keepdim = False, Tensor out = None)",
        "(Tensor input, bool unbiased = True)",
    ),
    "sub": (
        "(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)",
    ),
    "subtract": (
        "(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)",
        "(Tensor input, Number other, Number alpha = 1)",
    ),
    "sum": (
        "(Tensor input, *, torch.dtype dtype = None)",
        "(Tensor input, tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)",
    ),
    "true_divide": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other)",
    ),
    "var": (
        "(Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False, *, Tensor out = None)",
        "(Tensor input, tuple of ints dim = None, *, Number correction = None, bool keepdim = False, Tensor out = None)",
        "(Tensor input, bool unbiased = True)",
    ),
    "where": (
        "(Tensor condition)",
        "(Tensor condition, Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor condition, Number self, Tensor other)",
        "(Tensor condition, Tensor input, Number other)",
        "(Tensor condition, Number self, Number other)",
    ),
    # ---- sorting and selection
    "sort": (
        "(Tensor input, *, bool stable, int dim = -1, bool descending = False, tuple of Tensors out = None)",
        "(Tensor input, int dim = -1, bool descending = False, *, tuple of Tensors out = None)",
    ),
    "argsort": (
        "(Tensor input, *, bool stable, int dim = -1, bool descending = False, Tensor out = None)",
        "(Tensor input, int dim = -1, bool descending = False)",
    ),
    "median": (
        "(Tensor input)",
        "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)",
    ),
}


# Methods whose signatures are not their function's (or that have no function): as PyTorch prints them.
_METHOD_TABLE = {
    "addmm": ("(Tensor mat1, Tensor mat2, *, Number beta = 1, Number alpha = 1)",),
    "copy_": ("(Tensor other, bool non_blocking = False)",),
    "cuda": ("(torch.device device = None, bool non_blocking = False, *, torch.memory_format memory_format = None)",),
    "fill_": ("(Tensor value)", "(Number value)"),
    "to": (
        "(torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)",
        "(torch.dtype dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)",
        "(Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)",
    ),
    "type": ("(object dtype = None, bool non_blocking = False, *, torch.memory_format memory_format = None)",),
    "view": ("(torch.dtype dtype)", "(tuple of ints size)"),
    "where": ("(Tensor condition, Tensor other)", "(Tensor condition, Number other)"),
}
_AS_TYPE = "(*, torch.memory_format memory_format = None)"
# Methods with one signature, never printed: the parser names the bad, missing or extra argument.
_METHOD_SOLE = {
    "amax": "(tuple of ints dim = None, bool keepdim = False)", "amin": "(tuple of ints dim = None, bool keepdim = False)",
    "argmax": "(int dim = None, bool keepdim = False)", "argmin": "(int dim = None, bool keepdim = False)",
    "atan2": "(Tensor other)", "arctan2": "(Tensor other)", "bmm": "(Tensor mat2)", "mm": "(Tensor mat2)",
    "broadcast_to": "(tuple of ints size)", "chunk": "(int chunks, int dim = 0)",
    "bool": _AS_TYPE, "double": _AS_TYPE, "float": _AS_TYPE, "half": _AS_TYPE, "int": _AS_TYPE, "long": _AS_TYPE,
    "clone": _AS_TYPE, "contiguous": _AS_TYPE, "cpu": _AS_TYPE, "numpy": "(*, bool force = False)",
    "cumprod": "(int dim, *, torch.dtype dtype = None)", "cumsum": "(int dim, *, torch.dtype dtype = None)",
    "diagonal": "(int offset = 0, int dim1 = 0, int dim2 = 1)", "dot": "(Tensor tensor)", "equal": "(Tensor other)",
    "expand": "(tuple of ints size)", "expand_as": "(Tensor other)",
    "flatten": "(int start_dim = 0, int end_dim = -1)", "flip": "(tuple of ints dims)",
    "gather": "(int dim, Tensor index, *, bool sparse_grad = False)", "ger": "(Tensor vec2)", "outer": "(Tensor vec2)",
    "index_add": "(int dim, Tensor index, Tensor source, *, Number alpha = 1)",
    "index_add_": "(int dim, Tensor index, Tensor source, *, Number alpha = 1)", "index_select": "(int dim, Tensor index)",
    "log_softmax": "(int dim, torch.dtype dtype = None)", "softmax": "(int dim, torch.dtype dtype = None)",
    "logical_and": "(Tensor other)", "logical_or": "(Tensor other)", "logsumexp": "(tuple of ints dim, bool keepdim = False)",
    "masked_select": "(Tensor mask)", "masked_scatter": "(Tensor mask, Tensor source)",
    "masked_scatter_": "(Tensor mask, Tensor source)", "matmul": "(Tensor other)", "maximum": "(Tensor other)", "minimum": "(Tensor other)",
    "mul": "(Tensor other)", "mul_": "(Tensor other)", "mv": "(Tensor vec)",
    "normal_": "(float mean = 0.0, float std = 1.0, *, torch.Generator generator = None)",
    "uniform_": "(float from = 0.0, float to = 1.0, *, torch.Generator generator = None)",
    "permute": "(tuple of ints dims)", "repeat": "(tuple of ints repeats)", "reshape": "(tuple of ints shape)",
    "reshape_as": "(Tensor other)", "view_as": "(Tensor other)", "requires_grad_": "(bool requires_grad = True)",
    "roll": "(tuple of ints shifts, tuple of ints dims = None)", "scatter_add": "(int dim, Tensor index, Tensor src)",
    "select": "(int dim, int index)", "size": "(int dim = None)", "stride": "(int dim = None)", "take_along_dim": "(Tensor indices, int dim = None)",
    "transpose": "(int dim0, int dim1)", "tril": "(int diagonal = 0)", "triu": "(int diagonal = 0)",
    "unbind": "(int dim = 0)", "unsqueeze": "(int dim)",
    "swapaxes": "(int axis0, int axis1)", "swapdims": "(int dim0, int dim1)",
    "topk": "(int k, int dim = -1, bool largest = True, bool sorted = True)",
    "kthvalue": "(int k, int dim = -1, bool keepdim = False)", "mode": "(int dim = -1, bool keepdim = False)",
    "isclose": "(Tensor other, float rtol = 1e-05, float atol = 1e-08, bool equal_nan = False)",
    "allclose": "(Tensor other, float rtol = 1e-05, float atol = 1e-08, bool equal_nan = False)",
    "logical_xor": "(Tensor other)", "logical_and_": "(Tensor other)", "logical_or_": "(Tensor other)",
    "logical_xor_": "(Tensor other)",
    "new_tensor": "(object data, *, torch.dtype dtype = None, torch.device device = None, bool requires_grad = False)",
    "new_zeros": "(tuple of ints size, *, torch.dtype dtype = None, torch.device device = None, bool requires_grad = False)",
    "new_ones": "(tuple of ints size, *, torch.dtype dtype = None, torch.device device = None, bool requires_grad = False)",
    "new_empty": "(tuple of ints size, *, torch.dtype dtype = None, torch.device device = None, bool requires_grad = False)",
    "new_full": "(tuple of ints size, Number fill_value, *, torch.dtype dtype = None, torch.device device = None, bool requires_grad = False)",
}


# Functions whose Tensor parameters take a Python number too (PyTorch's parser wraps it: x.add_(1)).
_NUMBERS_AS_TENSORS = {"add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
                       "copy", "to"}
# Parameters that take None though they have no default (an optional int list in PyTorch's schema: sum(x, None)).
_NULLABLE = {("sum", "dim"), ("mean", "dim"), ("std", "dim"), ("var", "dim")}


@dataclass(frozen=True)
class _Param:
    type: str
    name: str
    optional: bool
    keyword_only: bool
    nullable: bool  # None is a value it takes
    number: bool = False  # a Tensor parameter that takes a Python number


class Signature:
    """One printed signature, parsed: its parameters, and how many arguments it takes."""

    def __init__(self, text, function=None):
        self.text = text
        self.items = text[1:-1].split(", ") if text != "()" else []
        self.params, keyword_only = [], False
        for item in self.items:
            if item == "*":
                keyword_only = True
                continue
            declaration, _, default = item.partition(" = ")
            kind, name = declaration.rsplit(" ", 1)
            nullable = default == "None" or kind == "tuple of ints" and (bool(default) or (function, name) in _NULLABLE)
            number = kind == "Tensor" and function in _NUMBERS_AS_TENSORS
            self.params.append(_Param(kind, name, bool(default), keyword_only, nullable, number))
        self.min_args = sum(not p.optional for p in self.params)
        self.max_args = len(self.params)
        self.max_positional = sum(not p.keyword_only for p in self.params)
        # view(2, 3): a lone int-list parameter takes the ints as separate arguments too
        # (new_zeros(2, 3) too, whose other parameters are keyword-only)
        positional = [p for p in self.params if not p.keyword_only]
        self.varargs_ints = len(positional) == 1 and positional[0].type == "tuple of ints" and not positional[0].optional

    def error(self, name, args, kwargs):
        """None if the call fits this signature, else PyTorch's TypeError naming the first thing wrong."""
        if len(args) > self.max_positional and not (self.varargs_ints and _is_int(args[0])):
            return _extra_arguments(name, self, len(args))
        position, used = 0, 0
        for i, param in enumerate(self.params):
            keyword = position >= len(args) or param.keyword_only
            if keyword and param.name not in kwargs:
                if not param.optional:
                    return _missing(name, self.params[i:])
                continue
            value = kwargs[param.name] if keyword else args[position]
            used += keyword
            if self.varargs_ints and not keyword and _is_int(value):
                value = args  # view(2, 3) is view((2, 3))
            if not matches(param, value):
                return wrong_type(name, param, None if keyword else position + 1, value)
            if not keyword:
                position = len(args) if value is args else position + 1
        if used < len(kwargs):
            return _extra_keywords(name, self, kwargs, len(args))
        return None


def _extra_arguments(name, signature, given):
    low, high = signature.min_args, signature.max_positional
    if low != high:
        return TypeError(f"{name}() takes from {low} to {high} positional arguments but {given} were given")
    return TypeError(f"{name}() takes {high} positional argument{'' if high == 1 else 's'} but {given} "
                     f"{'was' if given == 1 else 'were'} given")


def _missing(name, params):
    missing = [p.name for p in params if not p.optional]
    # PyTorch's words, singular and plural as it has them
    return TypeError(f"{name}() missing {len(missing)} required positional argument{'s' if len(missing) == 1 else ''}"
                     f": {', '.join(chr(34) + m + chr(34) for m in missing)}")


def wrong_type(name, param, position, value):
    if position is not None and param.type == "tuple of ints" and isinstance(value, (list, tuple)) and value:
        bad = next(i for i, v in enumerate(value) if not _is_int(v))
        return element_error(name, param.name, position, bad, value[bad])
    where = "" if position is None else f" (position {position})"
    return TypeError(f"{name}(): argument '{param.name}'{where} must be {param.type}, not {type_name(value)}")


def _extra_keywords(name, signature, kwargs, given):
    names = [p.name for p in signature.params]
    for key in kwargs:
        if key not in names:
            return TypeError(f"{name}() got an unexpected keyword argument '{key}'")
        if names.index(key) < given:
            return TypeError(f"{name}() got multiple values for argument '{key}'")
    return TypeError("invalid keyword arguments")


def matches(param, value):
    kind = param.type
    if value is None:
        return param.nullable or kind == "object"
    if kind == "Tensor":
        return isinstance(value, Tensor) or param.number and isinstance(value, (int, float, complex))
    if kind == "Number":  # a tensor passes as a number when it is 0-d and needs no grad
        return isinstance(value, (int, float, complex)) or isinstance(value, Tensor) and (
            value._data.ndim == 0 and not value.requires_grad)
    if kind == "int":
        return _is_int(value)
    if kind in ("bool", "str"):
        return type(value).__name__ == kind
    if kind == "float":
        return isinstance(value, (int, float, np.floating))  # a bool too: x.normal_(True)
    if kind == "tuple of ints":  # PyTorch checks the first element; a later one fails when the list is read
        return _is_int(value) or isinstance(value, (list, tuple)) and (not value or _is_int(value[0]))
    if kind == "torch.dtype":
        return isinstance(value, dt.dtype)
    if kind == "torch.device":
        return isinstance(value, (str, int, Device))
    if kind == "torch.memory_format":
        return isinstance(value, memory_format)
    return kind == "object"


_NUMBERS = {int: 1, float: 1.5, bool: True}  # a sample of each Python number type


_TORCH_TYPES = {"dtype": "torch.dtype", "device": "torch.device", "Size": "torch.Size",
                "memory_format": "torch.memory_format"}


def type_name(value):
    """A value's type as PyTorch's parser names it (its C type's tp_name: torch.dtype, not dtype)."""
    name = type(value).__name__
    return _TORCH_TYPES.get(name, name) if type(value).__module__.startswith("refgrad") else name


def _described(value):
    """A value's type as the parser shows a mismatch: a list by the types of its elements."""
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of [{', '.join(type_name(v) for v in value)}]"
    return type_name(value)


def _marked_as_matching(param, value):
    """Whether PyTorch's listing of a bad call leaves the value unmarked: its own, simpler test, in which a
    Number parameter matches nothing (neither a Python number nor a tensor)."""
    return param.type != "Number" and matches(param, value)


def _marked(signature, args, kwargs):
    out = []
    for i, value in enumerate([*args, *kwargs.values()]):
        ok = i < len(signature.params) and _marked_as_matching(signature.params[i], value)
        out.append(_described(value) if ok else f"!{_described(value)}!")
    return f"({', '.join(out)})"


def _got(args, kwargs):
    """The call's argument types as the parser shows them: (str, bogus=int), or (bogus=int, ) with no args."""
    keywords = [f"{k}={type_name(v)}" for k, v in kwargs.items()]
    if not args and keywords:
        return "(" + "".join(k + ", " for k in keywords) + ")"
    return f"({', '.join([type_name(a) for a in args] + keywords)})"


def _invalid_combination(name, signatures, args, kwargs):
    given = len(args) + len(kwargs)
    head = f"{name}() received an invalid combination of arguments - "
    if len(signatures) == 1:
        unknown = [k for k in kwargs if k not in {p.name for p in signatures[0].params}]
        if unknown:
            return TypeError(head + "got unrecognized keyword arguments: " + ", ".join(unknown))
        return TypeError(head + f"got {_got(args, kwargs)}, but expected {signatures[0].text}")
    lines = [head + f"got {_got(args, kwargs)}, but expected one of:"]
    for s in signatures:
        lines.append(f" * {s.text}")
        if (len(s.items) or 1) == given:  # PyTorch's count: "*" is an item, and "()" has one (empty) item
            keyword_only = {p.name for p in s.params if p.keyword_only}
            wrong_keywords = [k for k in kwargs if k not in keyword_only]
            reason = (f"some of the keywords were incorrect: {', '.join(wrong_keywords)}" if wrong_keywords else
                      f"some of the arguments have invalid types: {_marked(s, args, kwargs)}")
            lines.append(f"      didn't match because {reason}")
    return TypeError("\n".join(lines) + "\n")


class Parser:
    """PyTorch's argument parser for one function or method: its signatures, and whether it prints them."""

    def __init__(self, name, texts, printed=True):
        self.name, self.printed = name, printed
        self.signatures = tuple(Signature(text, name.rstrip("_")) for text in texts)
        self.varargs_ints = any(s.varargs_ints for s in self.signatures)
        self.min_args = min(s.min_args for s in self.signatures)
        self.tensor_names = {p.name for s in self.signatures for p in s.params if p.type == "Tensor"}
        self.tensor_first = all(s.params and s.params[0].type == "Tensor" for s in self.signatures)
        # The Python number types some signature takes at each position (view(2, 3, 4): ints at every one).
        most = max(s.max_positional for s in self.signatures)
        self._numbers = [{kind for kind, sample in _NUMBERS.items() if any(
            i < s.max_positional and matches(s.params[i], sample) for s in self.signatures)} for i in range(most)]

    def doubtful(self, args):
        """Whether the parser may refuse these arguments where the op would take them: too many, None, a str, a
        list of non-ints, or a number where no signature takes that kind of number. Cheap: the methods' hot path."""
        numbers = self._numbers
        if len(args) > len(numbers) and not self.varargs_ints:
            return True
        for i, value in enumerate(args):
            kind = type(value)
            if kind is Tensor:
                continue
            if kind in _NUMBERS:
                if i < len(numbers) and kind not in numbers[i]:
                    return True
            elif value is None or kind is str or kind in (list, tuple) and not all(type(v) is int for v in value):
                return True
        return False

    def error(self, args, kwargs):
        """None if the call fits a signature; else the TypeError PyTorch's parser raises for it."""
        if not self.printed:
            return self.signatures[0].error(self.name, args, kwargs)
        if any(s.error(self.name, args, kwargs) is None for s in self.signatures):
            return None
        given = len(args) + len(kwargs)
        plausible = [s for s in self.signatures if s.min_args <= given <= s.max_args]
        if len(plausible) == 1:
            return plausible[0].error(self.name, args, kwargs)
        return _invalid_combination(self.name, self.signatures, args, kwargs)


# Functions with one signature that PyTorch never prints (its parser always names the bad argument): their
# positional parameters.
_SOLE = {"full": "(tuple of ints size, Number fill_value)",
         **{name: "(Tensor input, Tensor other, *, Tensor out = None)"
            for name in ("maximum", "minimum", "atan2", "arctan2", "logical_and", "logical_or")},
         "reshape": "(Tensor input, tuple of ints shape)", "permute": "(Tensor input, tuple of ints dims)"}

SIGNATURES = {name: Parser(name, texts) for name, texts in _TABLE.items()}
SIGNATURES.update({name: Parser(name, (text,), printed=False) for name, text in _SOLE.items()})
# Functions whose one signature is their method's with the tensor first (torch.index_add(input, dim, index, ...)).
_AS_METHODS = ("bmm", "dot", "equal", "gather", "ger", "index_add", "index_select", "masked_scatter", "masked_select",
               "mv", "outer", "swapaxes", "swapdims", "topk", "kthvalue", "mode", "isclose", "allclose", "logical_xor",
               "scatter_add", "take_along_dim")
SIGNATURES.update({name: Parser(name, ("(Tensor input, " + _METHOD_SOLE[name][1:],), printed=False)
                   for name in _AS_METHODS if name not in SIGNATURES})


def _as_method(text):
    """A function's signature as its method's: without the tensor it is called on, and without `out`."""
    items = [i for i in text[1:-1].split(", ") if i and not i.startswith(("Tensor out ", "tuple of Tensors out "))]
    if not items or items[0] != "Tensor input":
        return None
    items = items[1:-1] if items[-1:] == ["*"] else items[1:]
    return f"({', '.join(items)})"


def _method_parsers():
    parsers = {}
    for name, texts in _TABLE.items():
        methods = tuple(t for t in map(_as_method, texts) if t is not None)
        if methods:  # the in-place method (add_) has the same signatures, under its own name
            parsers[name], parsers[name + "_"] = Parser(name, methods), Parser(name + "_", methods)
    parsers.update({name: Parser(name, texts) for name, texts in _METHOD_TABLE.items()})
    parsers.update({name: Parser(name, (text,), printed=False) for name, text in _METHOD_SOLE.items()})
    return parsers


METHOD_SIGNATURES = _method_parsers()


def rejected(name, args, kwargs):
    """PyTorch's TypeError for a call of the function `name` whose first argument is missing or doubtful (see
    Parser.doubtful) and that fits none of its signatures, or None. Other calls are left to the function,
    which checks them itself (so a value the table would not know, a NumPy integer say, is not refused here)."""
    parser = SIGNATURES[name]
    # a call with a tensor first has each argument judged; others (rand(2, 3), whose sizes may come as
    # separate ints) only their first
    judged = args if parser.tensor_first or args and isinstance(args[0], Tensor) else args[:1]
    doubtful = not args or len(args) + len(kwargs) < parser.min_args or parser.doubtful(judged) or any(
        type(v) in _NUMBERS and k in parser.tensor_names or
        parser.printed and k == "dtype" and v is not None and type(v) is not dt.dtype for k, v in kwargs.items())
    return parser.error(args, kwargs) if doubtful else None
