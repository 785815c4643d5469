"""nn.Parameter: a leaf tensor that a Module registers as one of its parameters."""
from .._creation import empty
from .._tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """Shares `data`'s storage; requires grad unless told otherwise."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        p = cls._make(data._data, data._dtype, data._device)
        p._vc = data._vc  # shares storage and version counter with `data`, as torch's _make_subclass does
        p._requires_grad = bool(requires_grad)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __deepcopy__(self, memo):
        """A new Parameter with a copy of the data; unlike a tensor's deepcopy, the grad is not copied."""
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.data.clone(), self.requires_grad)
        return memo[id(self)]

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__  # print(p) shows what repr shows, as torch's Tensor has no __str__ of its own
