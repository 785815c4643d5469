"""Scenario registry. A scenario is `fn(torch, rec)`, written once in the torch dialect.

`torch` is the subject's namespace bound to its device (factories default to that device);
`rec(name, value)` records an observation; `rec.raises(name, fn)` records what fn raises;
`rec.data(*shape)` gives seeded inputs as nested lists, identical for every subject, and
`rec.tensor(*shape)` makes them a tensor of the case's dtype (`rec.dtype`); `rec.skip(reason)` says
the case cannot run on this subject (it is then skipped, never passed).

A case that records nothing before an exception ends it compares nothing, and fails as vacuous;
a scenario whose point is that uncaught error says so with `@scenario(expects_error=True)`.

Each module in this package is one area; a scenario's id is `area/function_name`, and a case
is a scenario at one dtype: `area/function_name-float32`.
"""
import fnmatch
import importlib
import pkgutil
from dataclasses import dataclass

__all__ = ["scenario", "load_all", "all_cases", "select_cases", "Case"]

SCENARIOS = {}
DEFAULT_DTYPES = ("float32",)


@dataclass(frozen=True)
class Case:
    scenario_id: str
    dtype: str

    @property
    def id(self):
        return f"{self.scenario_id}-{self.dtype}"

    @property
    def area(self):
        return self.scenario_id.split("/")[0]

    @property
    def fn(self):
        return load_all()[self.scenario_id].fn


@dataclass(frozen=True)
class Scenario:
    id: str
    fn: object
    dtypes: tuple
    same_on_every_device: bool = True
    expects_error: bool = False


def scenario(fn=None, *, dtypes=DEFAULT_DTYPES, same_on_every_device=True, expects_error=False):
    """Registers `fn` as a scenario of its module's area, run once per dtype in `dtypes`.

    `same_on_every_device=False` marks a scenario whose observations depend on the device (device
    placement), so torch on a GPU is not compared with torch on the CPU for it. `expects_error=True`
    marks one whose point is the exception that ends it before it records anything.
    """
    def register(fn):
        area = fn.__module__.rsplit(".", 1)[-1]
        sid = f"{area}/{fn.__name__}"
        SCENARIOS[sid] = Scenario(sid, fn, tuple(dtypes), same_on_every_device, expects_error)
        return fn
    return register(fn) if fn is not None else register


def load_all():
    if not getattr(load_all, "done", False):
        for info in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{info.name}")
        load_all.done = True
    return SCENARIOS


def all_cases():
    return [Case(sid, dtype) for sid, s in sorted(load_all().items()) for dtype in s.dtypes]


def select_cases(patterns=None):
    """The cases whose id contains one of `patterns` or matches it as a glob (all when none given)."""
    cases = all_cases()
    if not patterns:
        return cases
    return [c for c in cases if any(p in c.id or fnmatch.fnmatchcase(c.id, p) for p in patterns)]
