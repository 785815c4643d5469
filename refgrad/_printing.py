"""repr/str of tensors, byte for byte as PyTorch prints them (torch/_tensor_str.py).

One formatter scans all (or, for big tensors, the summarized) values to choose between integer
mode (`4.`), fixed mode with 4 decimals and scientific mode, and the common width; rows are
then wrapped at 80 columns and suffixes (dtype, device, grad_fn) appended.
"""
import math

import numpy as np

from . import _dtype as dt
from .autograd.forward_level import tangent_of


class PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, 1000, 3, 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, math.inf, 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    def __init__(self, values, floating):
        """values: a flat NumPy array of the (summarized) elements."""
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        if not floating:
            for v in values.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
        else:
            finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
            if finite.size == 0:
                return
            absolute = np.abs(finite)
            lo, hi = float(absolute.min()), float(absolute.max())
            self.int_mode = bool(np.all(finite == np.ceil(finite)))
            # the notation is chosen first (a print option overrides it), then the width in that notation
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4 if PRINT_OPTS.sci_mode is None \
                else PRINT_OPTS.sci_mode
            if self.sci_mode:
                text = [f"{v:.{p}e}" for v in finite.tolist()]
            elif self.int_mode:
                text = [f"{v:.0f}." for v in finite.tolist()]
            else:
                text = [f"{v:.{p}f}" for v in finite.tolist()]
            self.max_width = max(map(len, text))

    def format(self, value):
        p = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _summarized(a):
    """The elements PyTorch shows of a big tensor: the first and last edgeitems along each dim."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * e:
        a = np.concatenate([a[:e], a[-e:]])
    if a.ndim == 1:
        return a
    return np.stack([_summarized(row) for row in a])


def _vector_str(a, indent, summarize, fmt):
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        data = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + [fmt.format(v) for v in a[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        slices = ([_tensor_str_with_formatter(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                  + [_tensor_str_with_formatter(a[i], indent + 1, summarize, fmt)
                     for i in range(a.shape[0] - e, a.shape[0])])
    else:
        slices = [_tensor_str_with_formatter(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _tensor_str(a, dtype, indent):
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    if dtype is dt.float16:
        a = a.astype(np.float32)
    shown = _summarized(a) if summarize else a
    fmt = _Formatter(shown.reshape(-1), dtype.is_floating_point)
    return _tensor_str_with_formatter(a, indent, summarize, fmt)


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t):
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    a = t._data
    default = dt.get_default_dtype()
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append("size=" + str(tuple(a.shape)))
        if t._dtype is not default:
            suffixes.append("dtype=" + repr(t._dtype))
        body = "[]"
    else:
        if t._dtype not in (default, dt.int64, dt.bool_):
            suffixes.append("dtype=" + repr(t._dtype))
        body = _tensor_str(a, t._dtype, indent)
    try:
        fn = t.grad_fn
        fn_name = None if fn is None else type(fn).__name__
    except RuntimeError:  # PyTorch's repr too: reading a stale view's grad_fn may raise
        fn_name = "Invalid"
    if fn_name is not None:
        suffixes.append(f"grad_fn=<{fn_name}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    if t._fw is not None:
        tangent = tangent_of(t)
        if tangent is not None:
            suffixes.append(f"tangent={tangent}")  # as PyTorch's: a 0-d tangent formats as its Python number
    return _add_suffixes(prefix + body, suffixes, indent)
