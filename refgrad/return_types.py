"""torch.return_types: the named tuples that max, min, sort and friends return (`values`, `indices`)."""

__all__ = ["return_type"]

_TYPES = {}


def _repr(self):
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"torch.return_types.{type(self).__name__}(\n{fields})"


def _named(name, fields):
    """A tuple subclass named like PyTorch's structseq (`torch.return_types.max`)."""
    if name not in _TYPES:
        attrs = {"__slots__": (), "_fields": fields, "__repr__": _repr, "__module__": "torch.return_types",
                 "__qualname__": name}
        for i, field in enumerate(fields):
            attrs[field] = property(lambda self, i=i: tuple.__getitem__(self, i))
        _TYPES[name] = type(name, (tuple,), attrs)
    return _TYPES[name]


def return_type(name, **values):
    return _named(name, tuple(values))(values.values())


_VALUES_INDICES = ("max", "min", "sort", "topk", "kthvalue", "median", "mode")


def __getattr__(name):
    fields = {n: ("values", "indices") for n in _VALUES_INDICES}.get(name)
    if fields is None:
        raise AttributeError(f"module 'torch.return_types' has no attribute '{name}'")
    return _named(name, fields)
