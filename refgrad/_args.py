"""Arguments as PyTorch's Python argument parser reads them, with its messages.

An int-list argument (a size, a shape, dims) may come as separate ints (`zeros(2, 3)`) or as one
sequence (`zeros((2, 3))`); what the parser says about a bad element depends on where it is.
"""
import operator

import numpy as np

__all__ = ["int_list", "element_error"]


def _is_int(value):
    """An int, a NumPy integer, or what converts to one by __index__ (a 0-d integer tensor); not a bool."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def int_list(fn, argname, args):
    """The ints of an int-list argument passed to `fn` as `args` (the function's *args), or PyTorch's TypeError."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        items = tuple(args[0])
    elif args and not _is_int(args[0]):
        if len(args) > 1:
            raise TypeError(f"{fn}() takes 1 positional argument but {len(args)} were given")
        raise TypeError(f"{fn}(): argument '{argname}' (position 1) must be tuple of ints, not "
                        f"{type(args[0]).__name__}")
    else:
        items = tuple(args)
    for i, value in enumerate(items):
        if not _is_int(value):
            raise element_error(fn, argname, 1, i, value)
    return tuple(operator.index(v) for v in items)


def element_error(fn, argname, position, index, value):
    """PyTorch's TypeError for element `index` of an int-list argument that is not an int."""
    kind = type(value).__name__
    if index == 0:
        return TypeError(f"{fn}(): argument '{argname}' (position {position}) must be tuple of ints, but found "
                         f"element of type {kind} at pos 0")
    return TypeError(f"{fn}(): argument '{argname}' failed to unpack the object at pos {index + 1} with error "
                     f"\"type must be tuple of ints,but got {kind}\"")
