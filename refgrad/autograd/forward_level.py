"""Which forward-AD levels are active, and the tangent a tensor carries at each.

Process-wide, as PyTorch's is (unlike grad mode, which is per thread): a level entered in one thread
is active in every thread (tests/test_grad_mode.py probes this). The user's `dual_level` is one level
and nests with nothing, as PyTorch's; torch.func's forward transforms (jvp, jacfwd) nest among
themselves, each entering a level inside the one before (`enter_transform_level`).

A level's id is refgrad's own, never reused, so a tensor's entries of levels left read as none; the
number the user sees is PyTorch's (forward_ad.py). A tensor's `_fw` maps a level's id to its entry
there: `(tangent,)`, or for a view `(tangent, base_entry)`. A tangent at level L is computed with
only the levels below L active, so it carries its own tangents at those levels: nested levels give
derivatives of derivatives (the hyper-dual numbers of jacfwd(jacfwd(f))). Leaving a level drops
every tangent made in it (an entry of a level that is not active reads as none). The user-facing API
(`dual_level`, `make_dual`, `unpack_dual`) is in refgrad/autograd/forward_ad.py, above the ops it uses.
"""
import itertools

__all__ = ["state", "enter_user_level", "enter_transform_level", "exit_level", "tangent_of", "set_tangent",
           "size_mismatch", "levels_below", "no_levels", "entries"]

NESTED = "Nested forward mode AD is not supported at the moment"


class _State:
    __slots__ = ("level", "stack", "user")

    def __init__(self):
        self.level = None  # the innermost active level's id, or None
        self.stack = ()  # the active levels' ids, outermost first
        self.user = False  # whether the active level is the user's dual_level


state = _State()
_levels = itertools.count()


def _activate(stack):
    state.stack = stack
    state.level = stack[-1] if stack else None


def enter_user_level():
    """The user's level (forward_ad.dual_level): nothing nests with it."""
    if state.stack:
        raise RuntimeError(NESTED)
    _activate((next(_levels),))
    state.user = True
    return state.level


def enter_transform_level():
    """A level of torch.func's jvp, inside any others of the transforms."""
    if state.user:
        raise RuntimeError(NESTED)
    _activate(state.stack + (next(_levels),))
    return state.level


def exit_level():
    """Leaves the innermost level."""
    _activate(state.stack[:-1])
    state.user = False


class levels_below:
    """Runs a block with only the levels below `level` active (by default below the innermost): the ops there
    make tangents at those levels only, so a tangent computed at `level` is a plain tensor of that level."""

    __slots__ = ("level", "saved")

    def __init__(self, level=None):
        self.level = state.level if level is None else level

    def __enter__(self):
        self.saved = state.stack
        _activate(self.saved[:self.saved.index(self.level)] if self.level in self.saved else self.saved)

    def __exit__(self, *exc):
        _activate(self.saved)


def no_levels():
    """Runs a block with no level active."""
    return levels_below(state.stack[0] if state.stack else None)


def tangent_of(tensor, level=None):
    """The tensor's tangent at `level` (by default the innermost active level), or None."""
    fw = tensor._fw
    level = state.level if level is None else level
    if fw is None or level is None:
        return None
    entry = fw.get(level)
    if entry is None:
        return None
    if tensor._base is not None:
        entry = _view_entry(tensor, level, entry)
    return entry[0]


def entries(tensor):
    """(level, tangent) for each active level at which the tensor has a tangent, outermost first."""
    if tensor._fw is None:
        return []
    found = [(level, tangent_of(tensor, level)) for level in state.stack]
    return [(level, t) for level, t in found if t is not None]


class _ViewTangent:
    """`of(view, base_tangent, level)`: the view's part of its base's tangent (installed by refgrad/_dispatch.py)."""

    def of(self, view, base_tangent, level):
        raise RuntimeError("refgrad's dispatch is not installed yet: import refgrad")


VIEW_TANGENT = _ViewTangent()


def _view_entry(view, level, entry):
    """A view's tangent is its part of its base's (PyTorch's is a view of it), so in-place changes of the base
    or of another view show in it: taken again whenever the base's tangent changed, kept with the base's
    entry it came from. (Only for a view that has a tangent at this level: a dual tensor's primal has none.)"""
    base_fw = view._base._fw
    base_entry = None if base_fw is None else base_fw.get(level)
    if base_entry is None or (len(entry) == 2 and entry[1] is base_entry):
        return entry
    entry = (VIEW_TANGENT.of(view, base_entry[0], level), base_entry)
    view._fw = {**view._fw, level: entry}
    return entry


def size_mismatch(shape, tangent_shape):
    """PyTorch's error for a forward gradient whose size is not its tensor's (make_dual, or an op's rule)."""
    return RuntimeError("Trying to set a forward gradient that has a different size than that of the original Tensor, "
                        f"this is not supported. Tensor is of size {list(shape)} while the given forward gradient is "
                        f"of size {list(tangent_shape)}.")


def set_tangent(tensor, tangent, level=None):
    """Gives the tensor `tangent` at `level` (by default the innermost); entries of levels left are dropped. A
    tangent of another size is refused, as PyTorch's set_fw_grad does (a custom Function's jvp may return one)."""
    if tangent._data.shape != tensor._data.shape:
        raise size_mismatch(tensor._data.shape, tangent._data.shape)
    level = state.level if level is None else level
    fw = {lvl: e for lvl, e in tensor._fw.items() if lvl in state.stack} if tensor._fw else {}
    fw[level] = (tangent,)
    tensor._fw = fw
