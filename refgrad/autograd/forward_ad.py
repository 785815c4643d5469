"""Forward-mode AD: dual tensors carry a tangent, and every op pushes tangents forward with the
forward rule (`jvp`) of its table entry in refgrad/derivatives.py.

As in PyTorch, one level is active at a time (`dual_level()`); `make_dual(x, t)` gives a view of
x whose tangent is t, `unpack_dual(y)` gives (primal, tangent). Leaving the level drops every
tangent made in it. Tangents are computed with refgrad ops, so they are differentiable in reverse
mode too (forward-over-reverse Hessians).
"""
import collections
import itertools

__all__ = ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level", "UnpackedDualTensor"]


class _State:
    __slots__ = ("level",)

    def __init__(self):
        self.level = None  # the active level's id, or None


state = _State()
_levels = itertools.count()

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])


def enter_dual_level():
    if state.level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    state.level = next(_levels)
    return state.level


def exit_dual_level(*, level=None):
    if level is not None and level != state.level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    state.level = None


class dual_level:
    """Context manager for one forward AD level."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def tangent_of(tensor):
    """The tensor's tangent at the active level, or None."""
    fw = tensor._fw
    if fw is None or fw[0] != state.level:
        return None
    return fw[1]


def set_tangent(tensor, tangent):
    tensor._fw = (state.level, tangent)


def make_dual(tensor, tangent, *, level=None):
    from .._ops import view_as
    if state.level is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    for name, t in (("primal", tensor), ("tangent", tangent)):
        if not t.dtype.is_floating_point:
            raise ValueError(f"Expected {name} to be floating point or complex, but got: {t.dtype}")
    if tangent.shape != tensor.shape:
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    level, state.level = state.level, None
    try:
        dual = view_as(tensor, tensor)
    finally:
        state.level = level
    set_tangent(dual, tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    if state.level is None:
        return UnpackedDualTensor(tensor, None)
    from .._ops import alias_identity
    tangent = tangent_of(tensor)
    level, state.level = state.level, None  # the primal is a plain alias, without the tangent
    try:
        primal = alias_identity(tensor)
    finally:
        state.level = level
    return UnpackedDualTensor(primal, tangent)
