"""Field-by-field comparison of observations, with dtype tolerances for tensor values.

Everything is compared exactly (dtype, shape, device, requires_grad, is_leaf, grad_fn names,
exception classes and messages, warnings, printed text, integer and bool values) except the
elements of floating-point tensors and Python floats, which get the tolerance of their dtype.
A tensor's repr is compared byte for byte when its values are identical (the sign of a zero aside,
as in the values: assert_close takes -0.0 for 0.0); when they differ within tolerance, its numbers
and the padding between them are masked and the rest (line breaks, notation, brackets, suffixes)
compared, the line breaks and notation only while both print in the same notation.
"""
import re

import numpy as np

__all__ = ["diff", "TOLERANCES", "TOLERANCE_SOURCE", "format_diff", "render_observation"]

# (rtol, atol) per dtype: the defaults of torch.testing.assert_close.
TOLERANCES = {
    "torch.float16": (1e-3, 1e-5),
    "torch.bfloat16": (1.6e-2, 1e-5),
    "torch.float32": (1.3e-6, 1e-5),
    "torch.float64": (1e-7, 1e-7),
}
PYTHON_FLOAT = (1e-7, 1e-7)
TOLERANCE_SOURCE = "torch.testing.assert_close defaults for the dtype"


def diff(expected, actual, path=""):
    """The list of differing fields between two observations (empty when they conform)."""
    if expected.get("kind") != actual.get("kind"):
        return [_field(path or "kind", _summary(expected), _summary(actual))]
    kind = expected["kind"]
    if kind == "tensor":
        return _diff_tensor(expected, actual, path)
    if kind == "sequence":
        a, b = expected["items"], actual["items"]
        if len(a) != len(b):
            return [_field(_join(path, "len"), f"{len(a)} {[_summary(x) for x in a]}",
                           f"{len(b)} {[_summary(x) for x in b]}")]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, _join(path, f"[{i}]"))
        return out
    if kind == "float":
        x, y = expected["value"], actual["value"]
        if isinstance(x, str) or isinstance(y, str):
            return [] if x == y else [_field(_join(path, "value"), x, y)]
        rtol, atol = PYTHON_FLOAT
        if abs(x - y) <= atol + rtol * abs(x):
            return []
        return [dict(_field(_join(path, "value"), x, y), rtol=rtol, atol=atol, tolerance_source="Python float")]
    out = []
    for key in sorted(set(expected) | set(actual)):
        x, y = expected.get(key), actual.get(key)
        if isinstance(x, dict) and isinstance(y, dict) and "kind" in x:
            out += diff(x, y, _join(path, key))  # a nested observation (the result of rec.raises)
        elif x != y:
            out.append(_field(_join(path, key), x, y))
    return out


def _join(path, key):
    if not path:
        return key
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def _field(field, expected, actual):
    return {"field": field, "expected": expected, "actual": actual}


def _summary(obs):
    if obs.get("kind") in ("error", "warning"):
        return f"{obs['type']}: {obs['message']}"
    if obs.get("kind") == "tensor":
        return f"tensor(dtype={obs['dtype']}, shape={obs['shape']})"
    return obs.get("value", obs.get("kind"))


def _diff_tensor(expected, actual, path):
    out = []
    for key in ("dtype", "shape", "device", "requires_grad", "is_leaf", "grad_fn"):
        if expected[key] != actual[key]:
            out.append(_field(_join(path, key), expected[key], actual[key]))
    if expected.get("zerotensor", False) != actual.get("zerotensor", False):  # only a ZeroTensor says it is one
        out.append(_field(_join(path, "zerotensor"), expected.get("zerotensor", False), actual.get("zerotensor", False)))
    if expected["shape"] != actual["shape"]:
        return out
    values = _diff_values(expected, actual)
    if values is not None:
        values["field"] = _join(path, "values")
        out.append(values)
        return out
    x, y = expected.get("repr", "<missing>"), actual.get("repr", "<missing>")
    if not _same_print(x, y, identical=expected["values"] == actual["values"]):
        out.append(_field(_join(path, "repr"), x, y))
    return out


def _same_print(x, y, identical):
    """Whether two reprs agree: exactly but for the sign of zeros when the values are identical; when the
    values differ (within tolerance), with their numbers masked and the padding between them dropped (a number
    printed wider pads the others: `1.` and `1.0000`). A last-bit difference that switches PyTorch's formatter
    between fixed and scientific notation (an exact 0 against 6e-08) changes every width, so the line
    breaks are excused then too; the brackets, nan/inf and the suffixes always count."""
    x, y = _signless_zeros(x), _signless_zeros(y)
    if x == y:
        return True
    if identical:
        return False
    mx, my = _masked(x), _masked(y)
    if _HORIZONTAL_SPACE.sub("", mx) == _HORIZONTAL_SPACE.sub("", my):
        return True
    return ("#e" in mx) != ("#e" in my) and _structure(mx) == _structure(my)


_HORIZONTAL_SPACE = re.compile(r"[ \t]+")


def _structure(masked):
    return re.sub(r"\s+", "", masked).replace("#e", "#")


# A printed number: fixed or scientific, its sign and exponent included (the notation stays visible in
# what is left, since "1.0000e+08" and "100000000." mask to different text).
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?")


# a printed zero, its sign and the padding before it (PyTorch pads to the widest nonzero number, so
# "-0.0000" may or may not have a space less before it)
_ZERO = re.compile(r" *-?(?<![\d.])0\.?0*(?:e[+-]0+)?(?![\d.])")


def _signless_zeros(text):
    return _ZERO.sub("0", text)


def _masked(text):
    return _NUMBER.sub(lambda m: "#e" if "e" in m.group() else "#", text)


def _diff_values(expected, actual):
    dtype = expected["dtype"]
    a = np.asarray(expected["values"], dtype=np.float64).reshape(-1)
    b = np.asarray(actual["values"], dtype=np.float64).reshape(-1)
    rtol, atol = TOLERANCES.get(dtype, (0.0, 0.0))
    with np.errstate(all="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))  # equal infinities and NaNs conform
        abs_diff = np.where(same, 0.0, np.abs(a - b))
        # an infinity conforms only to itself (rtol * inf would let -inf pass for inf)
        bad = ~(same | (np.isfinite(a) & np.isfinite(b) & (abs_diff <= atol + rtol * np.abs(a))))
        if not bad.any():
            return None
        rel_diff = np.where(abs_diff == 0, 0.0, abs_diff / np.abs(a))
    shape = expected["shape"]
    i_abs = int(np.nanargmax(np.where(np.isnan(abs_diff), np.inf, abs_diff)))
    i_rel = int(np.nanargmax(np.where(np.isnan(rel_diff), np.inf, rel_diff)))
    return {
        "field": "values",
        "expected": expected["values"],
        "actual": actual["values"],
        "mismatched": int(bad.sum()),
        "total": int(a.size),
        "max_abs": float(abs_diff[i_abs]),
        "max_abs_index": _unravel(i_abs, shape),
        "max_rel": float(rel_diff[i_rel]),
        "max_rel_index": _unravel(i_rel, shape),
        "rtol": rtol,
        "atol": atol,
        "tolerance_source": f"{TOLERANCE_SOURCE} ({dtype})" if dtype in TOLERANCES else f"exact ({dtype})",
    }


def _unravel(i, shape):
    return [int(k) for k in np.unravel_index(i, shape)] if shape else []


def format_diff(d, subject="actual", reference="expected"):
    """A field diff as text, in torch.testing.assert_close's wording for tensor values."""
    lines = [f"field {d['field']}:", f"  {reference}: {_short(d['expected'])}", f"  {subject}: {_short(d['actual'])}"]
    if "mismatched" in d:
        pct = 100.0 * d["mismatched"] / d["total"]
        lines.append(f"  Mismatched elements: {d['mismatched']} / {d['total']} ({pct:.1f}%)")
        lines.append(f"  Greatest absolute difference: {d['max_abs']} at index {tuple(d['max_abs_index'])} "
                     f"(up to {d['atol']} allowed)")
        lines.append(f"  Greatest relative difference: {d['max_rel']} at index {tuple(d['max_rel_index'])} "
                     f"(up to {d['rtol']} allowed)")
        lines.append(f"  tolerance: {d['tolerance_source']}")
    elif "rtol" in d:
        lines.append(f"  tolerance: rtol={d['rtol']}, atol={d['atol']} ({d['tolerance_source']})")
    return "\n".join(lines)


def _short(value, limit=300):
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + " ..."


def render_observation(obs):
    """One line of text for an observation (for replay's side-by-side view)."""
    if obs is None:
        return "<missing>"
    kind = obs.get("kind")
    if kind == "tensor":
        flags = [obs["dtype"], f"shape={obs['shape']}", obs["device"]]
        flags += [f"grad_fn={obs['grad_fn']}"] if obs["grad_fn"] else []
        flags += ["requires_grad"] if obs["requires_grad"] else []
        flags += [] if obs["is_leaf"] else ["non-leaf"]
        return _short(f"{obs['values']}  ({', '.join(flags)})", 160)
    if kind in ("error", "warning"):
        return f"{kind} {obs['type']}: {obs['message']}"
    if kind == "sequence":
        return _short("[" + "; ".join(render_observation(o) for o in obs["items"]) + "]", 160)
    if kind == "no error":
        return "no error, returned " + render_observation(obs["result"])
    return _short(repr(obs.get("value")), 160)
