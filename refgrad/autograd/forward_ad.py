"""Forward-mode AD: dual tensors carry a tangent, and every op pushes tangents forward with the
forward rule (`jvp`) of its table entry in refgrad/derivatives.py.

As in PyTorch, the user's level (`dual_level()`) nests with no other (torch.func's jvp levels nest); `make_dual(x, t)` gives a view of
x whose tangent is t, `unpack_dual(y)` gives (primal, tangent). Leaving the level drops every
tangent made in it. Tangents are computed with refgrad ops, so they are differentiable in reverse
mode too (forward-over-reverse Hessians). The level's state (thread-local) is in
refgrad/autograd/forward_level.py, below the ops that read it.
"""
import collections

from .._ops import alias_identity, view_as
from . import forward_level
from .forward_level import levels_below, set_tangent, size_mismatch, state, tangent_of

__all__ = ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level", "UnpackedDualTensor"]

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class dual_level:
    """Context manager for one forward AD level."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def _current_level():
    """PyTorch's number of the user's level: its index among the active ones, so 0 (nothing nests with it), and
    -1 with none."""
    return 0 if state.user else -1


def enter_dual_level():
    forward_level.enter_user_level()
    return _current_level()


def exit_dual_level(*, level=None):
    level = _current_level() if level is None else level
    if level != _current_level():
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    forward_level.exit_level()


def make_dual(tensor, tangent, *, level=None):
    if state.level is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    for name, t in (("primal", tensor), ("tangent", tangent)):
        if not t.dtype.is_floating_point:
            raise ValueError(f"Expected {name} to be floating point or complex, but got: {t.dtype}")
    if tangent.shape != tensor.shape:
        raise size_mismatch(tensor.shape, tangent.shape)
    if tangent_of(tensor) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {_current_level()} is not supported.")
    with levels_below():  # the dual keeps the tensor's tangents at outer levels (torch.func's nested jvp)
        dual = view_as(tensor, tensor)
    set_tangent(dual, tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    if state.level is None:
        return UnpackedDualTensor(tensor, None)
    tangent = tangent_of(tensor)
    with levels_below():  # the primal is an alias without the tangent (with those of outer levels)
        primal = alias_identity(tensor)
    return UnpackedDualTensor(primal, tangent)
