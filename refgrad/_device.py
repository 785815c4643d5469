"""Devices as tags.

refgrad computes everything with NumPy on the host; a device is a label that travels with a
tensor so that placement rules (gradients live on their tensor's device, mixing devices is an
error) behave as in PyTorch.
"""

__all__ = ["device", "set_default_device", "get_default_device"]

_KNOWN_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
                "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            self.type, self.index = "cuda", type
            return
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({_typename(type)})")
        kind, sep, idx = type.partition(":")
        if kind not in _KNOWN_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_KNOWN_TYPES)} device type at start of device string: {type}")
        if sep:
            if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                raise RuntimeError(f"Invalid device string: '{type}'")
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {type}")
            index = int(idx)
        self.type = kind
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


def _typename(value):
    return type(value).__name__


CPU = device("cpu")


def canonical(dev):
    """The device a tensor placed on `dev` reports: accelerators always carry an index."""
    if dev is None:
        return CPU
    if not isinstance(dev, device):
        dev = device(dev)
    if dev.type == "cpu":
        return CPU
    if dev.index is None:
        return device(dev.type, 0)
    return dev


_default = [CPU]  # where factories (zeros, tensor, arange, ...) put a tensor given no device


def set_default_device(dev):
    _default[0] = CPU if dev is None else canonical(dev)


def get_default_device():
    return _default[0]


def or_default(dev):
    """A factory's device: the one given, else the default (set_default_device)."""
    return canonical(dev) if dev is not None else _default[0]
