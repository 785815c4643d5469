"""Subjects: the engines a scenario runs on, each bound to a device.

`refgrad` (optionally `refgrad:cuda` on its simulated device), `torch:cpu`, `torch:cuda`,
`torch:cuda:1` or any torch device string. A subject hands scenarios its namespace with the
factories (tensor, ones, arange, ...) defaulting to its device.
"""
import importlib

FACTORIES = ("tensor", "as_tensor", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "rand", "randn")


class UnknownSubject(ValueError):
    pass


class Subject:
    def __init__(self, name):
        engine, _, device = name.partition(":")
        if engine not in ("refgrad", "torch"):
            raise UnknownSubject(f"unknown subject '{name}' (expected refgrad, torch:DEVICE)")
        self.name = name
        self.engine = engine
        self.device = device or "cpu"

    @property
    def reference(self):
        """The subject this one is compared with: torch on the same device."""
        return f"torch:{self.device}"

    def unavailable(self):
        """Why this subject cannot run here, or None."""
        try:
            module = importlib.import_module(self.engine)
        except ImportError as exc:
            return f"{self.engine} is not installed ({exc})"
        if self.engine == "torch" and self.device.startswith("cuda"):
            if not module.cuda.is_available():
                return "no CUDA device available"
            index = int(self.device.split(":")[1]) if ":" in self.device else 0
            if index >= module.cuda.device_count():
                return f"{self.device} not present ({module.cuda.device_count()} CUDA devices)"
        return None

    def namespace(self):
        return Bound(importlib.import_module(self.engine), self.device)


class Bound:
    """A torch-like module whose factories put tensors on `device` unless told otherwise."""

    def __init__(self, module, device):
        self._module = module
        self._device = device
        self.__name__ = module.__name__

    def __getattr__(self, name):
        value = getattr(self._module, name)
        if name in FACTORIES and self._device != "cpu":
            def factory(*args, **kwargs):
                kwargs.setdefault("device", self._device)
                return value(*args, **kwargs)
            return factory
        return value
