"""Which forward-AD level is active, and the tangent a tensor carries at it.

Process-wide, as PyTorch's is (unlike grad mode, which is per thread): a level entered in one thread
is the active level in every thread (tests/test_grad_mode.py probes this). One level is active at a
time; leaving it drops every tangent made in it (a tangent is stored with its level's id, and a
tangent of another level reads as none). The user-facing API (`dual_level`, `make_dual`,
`unpack_dual`) is in refgrad/autograd/forward_ad.py, above the ops it uses.
"""
import itertools

__all__ = ["state", "enter_dual_level", "exit_dual_level", "tangent_of", "set_tangent", "size_mismatch"]


class _State:
    __slots__ = ("level",)

    def __init__(self):
        self.level = None  # the active level's id, or None


state = _State()
_levels = itertools.count()


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


def tangent_of(tensor):
    """The tensor's tangent at the active level, or None."""
    fw = tensor._fw
    if tensor._base is not None:
        fw = _view_fw(tensor, fw)
    if fw is None or fw[0] != state.level:
        return None
    return fw[1]


class _ViewTangent:
    """`of(view, base_tangent)`: the view's part of its base's tangent (installed by refgrad/_dispatch.py)."""

    def of(self, view, base_tangent):
        raise RuntimeError("refgrad's dispatch is not installed yet: import refgrad")


VIEW_TANGENT = _ViewTangent()


def _view_fw(view, fw):
    """A view's tangent is its part of its base's (PyTorch's is a view of it), so in-place changes of the base
    or of another view show in it: taken again whenever the base's tangent changed, kept with the base's
    tangent it came from. (Only for a view that has a tangent at this level: a dual tensor's primal has none.)"""
    if fw is None or fw[0] != state.level:
        return fw
    base_fw = view._base._fw
    if base_fw is None or base_fw[0] != state.level:
        return fw
    if fw is not None and len(fw) == 3 and fw[2] is base_fw:
        return fw
    fw = view._fw = (state.level, VIEW_TANGENT.of(view, base_fw[1]), base_fw)
    return fw


def size_mismatch(shape, tangent_shape):
    """PyTorch's error for a forward gradient whose size is not its tensor's (make_dual, or an op's rule)."""
    return RuntimeError("Trying to set a forward gradient that has a different size than that of the original Tensor, "
                        f"this is not supported. Tensor is of size {list(shape)} while the given forward gradient is "
                        f"of size {list(tangent_shape)}.")


def set_tangent(tensor, tangent):
    tensor._fw = (state.level, tangent)
