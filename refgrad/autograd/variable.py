"""The legacy Variable, as PyTorch 2.x keeps it (torch.autograd.variable): calling it gives a Tensor
that shares the data (a detach), and every Tensor is an instance of it."""
import operator
import warnings

from .. import _creation
from .._tensor import Tensor
from .function import BackwardCFunction

__all__ = ["VariableMeta", "Variable"]

_PARAMETERS = ("data", "requires_grad", "volatile", "_grad_fn", "name")


class VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=VariableMeta):
    """Variable(data=None, requires_grad=False, volatile=False, _grad_fn=None, name=None)."""

    def __new__(cls, *args, **kwargs):
        data, requires_grad, volatile, grad_fn, _ = _parse(args, kwargs)
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
            if requires_grad:
                raise ValueError("Variable can't be volatile and require_grad at the same time!")
        if grad_fn is not None and not isinstance(grad_fn, BackwardCFunction):
            raise TypeError(f"_grad_fn has to be a Function object or None, but got {type(grad_fn).__name__}")
        if data is None:
            var = _creation.empty(0)  # legacy serialization's (and nn.Parameter()'s) empty tensor
        elif isinstance(data, Tensor):
            var = data.detach()
        else:
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if grad_fn is not None:
            raise RuntimeError("_grad_fn argument to legacy Variable constructor is no longer supported.  Instead, "
                               "please invoke your _grad_fn to produce a variable with it as the _grad_fn.")
        if requires_grad:
            var._set_requires_grad(True, "Only Tensors of floating point and complex dtype can require gradients")
        return var


def _parse(args, kwargs):
    """The arguments as CPython's PyArg_ParseTupleAndKeywords("|ObbOz") reads them."""
    if len(args) + len(kwargs) > len(_PARAMETERS):
        raise TypeError(f"function takes at most {len(_PARAMETERS)} arguments ({len(args) + len(kwargs)} given)")
    values = list(args) + [None, False, False, None, None][len(args):]
    for key, value in kwargs.items():
        if key not in _PARAMETERS:
            raise TypeError(f"'{key}' is an invalid keyword argument for this function")
        position = _PARAMETERS.index(key)
        if position < len(args):
            raise TypeError(f"argument for function given by name ('{key}') and position ({position + 1})")
        values[position] = value
    for position in (1, 2):
        values[position] = _unsigned_byte(values[position])
    if values[4] is not None and not isinstance(values[4], str):
        raise TypeError(f"argument 5 must be str or None, not {type(values[4]).__name__}")
    return values


def _unsigned_byte(value):
    number = operator.index(value)  # "'float' object cannot be interpreted as an integer"
    if number < 0:
        raise OverflowError("unsigned byte integer is less than minimum")
    if number > 255:
        raise OverflowError("unsigned byte integer is greater than maximum")
    return number
