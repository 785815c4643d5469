"""Subjects: the engines a scenario runs on, each bound to a device, and recorded golden files.

Subject names:
  refgrad, refgrad:cuda          refgrad (on its simulated CUDA device for the second)
  torch:cpu, torch:cuda:1, ...   real PyTorch on any torch device string
  NAME[:DEVICE]                  a third-party engine registered in the entry-point group
                                 `refgrad_conformance.subjects`
  package.module:attr[@DEVICE]   a third-party engine named directly
  golden:FILE[#SUBJECT]          the observations a `--record FILE` run wrote

A third-party engine is a torch-like namespace (a module or object with `tensor`, `ones`, ...),
or a callable `factory(device)` returning one. The harness only uses the public torch API on it.
"""
import importlib
import warnings
import json
from importlib import metadata

__all__ = ["Subject", "UnknownSubject", "parse_subject", "expand_subjects", "comparisons", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "refgrad_conformance.subjects"
FACTORIES = ("tensor", "as_tensor", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "rand", "randn")
BUILTIN_ENGINES = ("refgrad", "torch")


class UnknownSubject(ValueError):
    pass


class Subject:
    """An engine bound to a device; `namespace()` is what scenarios receive as `torch`."""
    kind = "engine"

    def __init__(self, name, engine, device, loader):
        self.name, self.engine, self.device, self._loader = name, engine, device, loader

    @property
    def device_type(self):
        return self.device.split(":")[0]

    def unavailable(self):
        """Why this subject cannot run here, or None (found out once per Subject)."""
        if not hasattr(self, "_unavailable"):
            self._unavailable = self._why_unavailable()
        return self._unavailable

    def unusable(self):
        """Why this subject cannot be used at all here (its engine is not installed, torch does not know its
        device, its golden file cannot be read), or None. A CUDA device this machine lacks is not that: the
        subject's cells are skipped, with the reason."""
        reason = self.unavailable()
        return None if reason is None or getattr(self, "_device_absent", False) else reason

    def _why_unavailable(self):
        """A plugin that fails to load is not unavailable but broken: its cases end in error, since a
        gate asked to check an engine must not pass without it."""
        if self.engine not in BUILTIN_ENGINES:
            return None
        try:
            module = self._loader()
        except ImportError as exc:
            return f"{self.engine} is not installed ({exc})"
        if self.engine == "torch":
            reason = _torch_device_missing(module, self.device)
            self._device_absent = reason is not None and self.device_type == "cuda"
            return reason
        return None

    def namespace(self):
        return Bound(self._loader(), self.device)

    def __repr__(self):
        return f"Subject({self.name!r})"


class GoldenSubject(Subject):
    """The observations of one subject of a recorded run (`--record FILE`), replayed as a subject."""
    kind = "golden"

    def __init__(self, name, path, recorded):
        self.name, self.engine, self.path, self._recorded = name, "golden", path, recorded
        self._data = None
        self.device = "cpu"
        try:
            self.device = self._subject_data()["device"]
        except (OSError, ValueError, KeyError, UnknownSubject):
            pass  # reported by unavailable()

    def _subject_data(self):
        if self._data is None:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
            if data.get("schema") != "refgrad-conformance-observations":
                raise ValueError("not a recorded observations file")
            subjects = data["subjects"]
            if self._recorded is None:
                if len(subjects) != 1:
                    raise UnknownSubject(f"{self.path} records {sorted(subjects)}; name one as golden:FILE#SUBJECT")
                self._recorded = next(iter(subjects))
            if self._recorded not in subjects:
                raise UnknownSubject(f"{self.path} has no subject {self._recorded!r} (it has {sorted(subjects)})")
            self._data = subjects[self._recorded]
        return self._data

    def _why_unavailable(self):
        try:
            self._subject_data()
        except (OSError, ValueError, KeyError) as exc:
            return f"cannot read {self.path}: {exc}"
        return None

    def recorded(self, case_id):
        """The recorded observations of a case, or None when the file does not have it."""
        return self._subject_data()["cases"].get(case_id)


def _import_engine(name):
    """The engine module with its lazily imported parts (`func`) loaded up front: importing
    torch.func warns about torch.jit the first time, which would otherwise land in whichever
    scenario happened to use it first."""
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        importlib.import_module(f"{name}.func")
    return module


def parse_subject(name):
    """The Subject a name stands for; UnknownSubject with a one-line reason when none."""
    name = name.strip()
    if name.startswith("golden:"):
        path, _, recorded = name[len("golden:"):].partition("#")
        if not path:
            raise UnknownSubject("golden subject needs a file: golden:FILE")
        return GoldenSubject(name, path, recorded or None)
    engine, _, device = name.partition(":")
    if engine in BUILTIN_ENGINES:
        device = device or "cpu"
        _check_device(name, device)
        canonical = "refgrad" if engine == "refgrad" and device == "cpu" else f"{engine}:{device}"
        return Subject(canonical, engine, device, lambda: _import_engine(engine))
    plugins = _entry_points()
    if engine in plugins:
        device = device or "cpu"
        _check_device(name, device)
        return Subject(f"{engine}:{device}", engine, device, lambda: _namespace_of(plugins[engine].load(), device))
    if ":" in name:
        target, _, device = name.partition("@")
        module, _, attr = target.partition(":")
        device = device or "cpu"
        if module and attr:
            _check_device(name, device)
            return Subject(name if "@" in name else f"{target}@{device}", target, device,
                           lambda: _namespace_of(_load_attr(module, attr), device))
    known = ", ".join(BUILTIN_ENGINES + tuple(sorted(plugins)))
    raise UnknownSubject(f"unknown subject '{name}' (expected one of {known}, with an optional :DEVICE; "
                         "package.module:attr[@DEVICE]; or golden:FILE)")


def expand_subjects(specs, devices):
    """Subject names from `--subjects` and `--devices`: `torch` or a plugin named without a device runs on
    each device; `refgrad` is refgrad on the CPU (its simulated GPU is `refgrad:cuda`).

    `cuda` expands to `cuda:0`, `cuda:1`, ... when torch sees several CUDA devices (CUDA_VISIBLE_DEVICES
    decides which), so each GPU gets its own cases.
    """
    devices = [d for dev in devices for d in _expand_device(dev)]
    names = []
    for spec in specs:
        if ":" in spec or "@" in spec or spec == "refgrad" or spec not in BUILTIN_ENGINES + tuple(_entry_points()):
            names.append(parse_subject(spec).name)
        else:
            names += [parse_subject(f"{spec}:{d}").name for d in devices]
    return list(dict.fromkeys(names))


def comparisons(subject, extra_reference=None):
    """The subjects a subject is compared with: torch on its device (torch:cpu for torch on a GPU),
    and the `--reference` subject when one is given."""
    if subject.engine == "torch":
        against = [] if subject.device == "cpu" else ["torch:cpu"]
    else:
        against = [f"torch:{subject.device}"]
    if extra_reference and extra_reference != subject.name and extra_reference not in against:
        against.append(extra_reference)
    return against


class Bound:
    """A torch-like namespace whose factories put tensors on `device` unless told otherwise."""

    def __init__(self, module, device):
        self._module = module
        self._device = device
        self.__name__ = getattr(module, "__name__", type(module).__name__)

    def __getattr__(self, name):
        value = getattr(self._module, name)
        if name in FACTORIES and self._device != "cpu":
            def factory(*args, **kwargs):
                kwargs.setdefault("device", self._device)
                return value(*args, **kwargs)
            return factory
        return value


def _check_device(name, device):
    kind, _, index = device.partition(":")
    if not kind.isidentifier() or (index and not index.isdigit()):
        raise UnknownSubject(f"bad device '{device}' in subject '{name}'")


def _torch_device_missing(torch, device):
    kind, _, index = device.partition(":")
    if kind == "cpu":
        return None
    if kind == "cuda":
        if not torch.cuda.is_available():
            return "no CUDA device available"
        count = torch.cuda.device_count()
        if index and int(index) >= count:
            return f"{device} not present ({count} CUDA devices visible)"
        return None
    try:
        torch.empty(0, device=device)
    except Exception as exc:
        return f"torch cannot use device '{device}' ({exc})"
    return None


def _expand_device(device):
    if device != "cuda":
        return [device]
    try:
        import torch
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        count = 0
    return [f"cuda:{i}" for i in range(count)] if count > 1 else ["cuda"]


def _entry_points():
    try:
        found = metadata.entry_points(group=ENTRY_POINT_GROUP)
    except TypeError:  # Python < 3.10
        found = metadata.entry_points().get(ENTRY_POINT_GROUP, [])
    return {ep.name: ep for ep in found}


def _load_attr(module, attr):
    value = importlib.import_module(module)
    for part in attr.split("."):
        value = getattr(value, part)
    return value


def _namespace_of(obj, device):
    """A plugin object is a torch-like namespace, or a factory taking the device and returning one."""
    if hasattr(obj, "tensor"):
        return obj
    if callable(obj):
        return obj(device)
    raise TypeError(f"{obj!r} is neither a torch-like namespace nor a factory(device)")
