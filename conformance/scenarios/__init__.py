"""Scenario registry. A scenario is `fn(torch, rec)`, written once in the torch dialect.

`torch` is the subject's namespace bound to its device (factories default to that device);
`rec(name, value)` records an observation; `rec.raises(name, fn)` records what fn raises;
`rec.data(*shape)` gives seeded inputs as nested lists, identical for every subject.
Each module in this package is one area; a scenario's id is `area/function_name`.
"""
import importlib
import pkgutil

SCENARIOS = {}


def scenario(fn):
    area = fn.__module__.rsplit(".", 1)[-1]
    SCENARIOS[f"{area}/{fn.__name__}"] = fn
    return fn


def load_all():
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return SCENARIOS
