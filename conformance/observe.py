"""Observations: what a subject did, reduced to plain JSON-able data.

A scenario's results (tensors, Python values, raised exceptions, warnings, printed text) are
turned into observations here, through the public torch API only, so that any engine that
quacks like torch (refgrad, torch on any device, a plugin) can be compared field by field.
"""
import math
import re
import warnings

__all__ = ["observe", "observe_call", "normalize_message", "is_tensor"]

# PyTorch appends the C++ source location of a warning ("(Triggered internally at
# /__w/pytorch/.../TensorBody.h:493.)"); it names a build path, not behaviour, so it is dropped.
_TRIGGERED = re.compile(r"\s*\(Triggered internally at [^)]*\)\s*$")
# and some errors end with the C++ backtrace of the build ("Exception raised from ... frame #0: ...").
_BACKTRACE = re.compile(r"\nException raised from .*\Z", re.S)


# Warnings an engine gives about itself, not about the program: torch.func registers some
# decompositions through torch.jit.script the first time they are used, and that warns; torch.func.linearize
# traces the function with torch.fx, whose constant folding warns about its own graph.
_ENGINE_NOISE = ("`torch.jit.script` is deprecated", "Attempted to insert a get_attr Node with no underlying")


def normalize_message(text):
    return _BACKTRACE.sub("", _TRIGGERED.sub("", str(text)))


def is_tensor(value):
    t = type(value)
    return any(c.__name__ in ("Tensor", "Parameter") for c in t.__mro__) and hasattr(value, "grad_fn")


def _values(t):
    """The tensor's elements as nested Python lists (floats, ints or bools), by tolist(): a conversion, so
    no op of the subject's own (detach, to, cpu) stands between the tensor and what is observed. A ZeroTensor
    (torch's storage-less zeros: sgn's gradient of a real input), whose tolist() raises, is read through a clone."""
    return t.clone().tolist() if _is_zerotensor(t) else t.tolist()


def _is_zerotensor(t):
    probe = getattr(t, "_is_zerotensor", None)
    return bool(probe()) if probe is not None else False


def observe_tensor(t):
    fn = t.grad_fn
    obs = {
        "kind": "tensor",
        "dtype": str(t.dtype),
        "shape": list(t.shape),
        "device": str(t.device),
        "requires_grad": bool(t.requires_grad),
        "is_leaf": bool(t.is_leaf),
        "grad_fn": None if fn is None else fn.name(),
        "values": _values(t),
        "repr": repr(t),
    }
    if _is_zerotensor(t):  # only then, so that other observations stay as they were
        obs["zerotensor"] = True
    return obs


def observe(value):
    """An observation of any value a scenario records."""
    if is_tensor(value):
        return observe_tensor(value)
    if isinstance(value, BaseException):
        return {"kind": "error", "type": type(value).__name__, "message": normalize_message(value)}
    if isinstance(value, (list, tuple)) and type(value).__name__ not in ("Size",):
        return {"kind": "sequence", "items": [observe(v) for v in value]}
    if value is None or isinstance(value, (bool, int, str)):
        return {"kind": "value", "value": value}
    if isinstance(value, float):
        return {"kind": "float", "value": value if math.isfinite(value) else repr(value)}
    if type(value).__name__ == "Size":
        return {"kind": "size", "value": list(value)}
    if type(value).__name__ in ("dtype", "device"):
        return {"kind": "value", "value": repr(value)}
    if type(value).__name__ in ("Node",) or hasattr(value, "next_functions"):
        return {"kind": "value", "value": value.name()}
    return {"kind": "value", "value": _ADDRESS.sub(" at 0x...", repr(value))}  # an address differs per process


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def observe_call(fn, *args):
    """Runs fn(*args); returns (observation of its result or exception, observed warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = observe(fn(*args))
        except Exception as exc:  # a scenario's error is an observation like any other
            result = observe(exc)
    seen = [{"kind": "warning", "type": w.category.__name__, "message": normalize_message(w.message)}
            for w in caught if not str(w.message).startswith(_ENGINE_NOISE)]
    return result, seen
