"""NumPy's floating-point error state, switched off where refgrad computes: PyTorch gives inf and
nan silently, NumPy warns.

`quiet()` is a context manager like `np.errstate(all="ignore")`; `quietly(fn)` wraps a function
in it; `token = silence(IGNORE)` ... `restore(token)` is the same without a context-manager object or a
Python call, for the kernel call of every op. np.errstate builds its state on every entry, which costs as much as a small op's whole
forward; on NumPy 2, whose state is a context variable, the ignoring state is built once here
and set and reset directly. With another NumPy, np.errstate serves.
"""
import functools

import numpy as np

__all__ = ["quiet", "quietly", "silence", "restore", "IGNORE"]

try:
    from numpy._core._multiarray_umath import _make_extobj
    from numpy._core._ufunc_config import _extobj_contextvar
    _IGNORE = _make_extobj(all="ignore")
except ImportError:  # another NumPy layout
    _extobj_contextvar = None


if _extobj_contextvar is not None:
    _set, _reset = _extobj_contextvar.set, _extobj_contextvar.reset
    # the cheapest form, for the kernel call of every op: token = silence(IGNORE); try: ... finally: restore(token)
    silence, restore, IGNORE = _set, _reset, _IGNORE

    class quiet:
        __slots__ = ("token",)

        def __enter__(self):
            self.token = _set(_IGNORE)

        def __exit__(self, *exc):
            _reset(self.token)

    def quietly(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            token = _set(_IGNORE)
            try:
                return fn(*args, **kwargs)
            finally:
                _reset(token)
        return wrapper
else:
    def quiet():
        return np.errstate(all="ignore")

    IGNORE = {"all": "ignore"}

    def silence(settings):
        state = np.errstate(**settings)
        state.__enter__()
        return state

    def restore(state):
        state.__exit__(None, None, None)

    def quietly(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)
        return wrapper
