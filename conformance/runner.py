"""Runs scenarios on subjects and compares each subject's observations with its reference."""
import numpy as np

from .compare import diff
from .observe import observe, observe_call
from .scenarios import load_all
from .subjects import Subject


class Recorder:
    def __init__(self, scenario_id):
        self.observations = {}
        self._seed = sum(map(ord, scenario_id))
        self._draws = 0

    def __call__(self, name, value):
        self.observations[name] = observe(value)

    def raises(self, name, fn):
        result, warns = observe_call(fn)
        self.observations[name] = result if result["kind"] == "error" else {"kind": "no error", "result": result}

    def data(self, *shape, low=-2.0, high=2.0):
        self._draws += 1
        rng = np.random.default_rng([self._seed, self._draws])
        return rng.uniform(low, high, size=shape).round(3).tolist()


def run_case(scenario_id, fn, subject):
    """The observations of one scenario on one subject (warnings included)."""
    rec = Recorder(scenario_id)
    result, warns = observe_call(fn, subject.namespace(), rec)
    obs = dict(rec.observations)
    if result["kind"] == "error":
        obs["<raised>"] = result
    if warns:
        obs["<warnings>"] = {"kind": "sequence", "items": warns}
    return obs


def compare_observations(expected, actual):
    diffs = []
    for name in list(expected) + [n for n in actual if n not in expected]:
        if name not in actual or name not in expected:
            diffs.append({"field": name, "expected": expected.get(name, "<missing>"),
                          "actual": actual.get(name, "<missing>")})
            continue
        for d in diff(expected[name], actual[name]):
            d["field"] = f"{name}.{d['field']}" if d["field"] else name
            diffs.append(d)
    return diffs


def run(subject_names, select=None):
    """Yields one record per (scenario, subject): outcome passed/failed/skipped and the diffs."""
    scenarios = load_all()
    subjects = [Subject(n) for n in subject_names]
    for scenario_id in sorted(scenarios):
        if select and not any(s in scenario_id for s in select):
            continue
        fn = scenarios[scenario_id]
        cache = {}
        for subject in subjects:
            record = {"case": scenario_id, "subject": subject.name, "reference": subject.reference}
            reason = subject.unavailable() or Subject(subject.reference).unavailable()
            if reason:
                yield dict(record, outcome="skipped", reason=reason, diffs=[])
                continue
            if subject.reference not in cache:
                cache[subject.reference] = run_case(scenario_id, fn, Subject(subject.reference))
            actual = cache[subject.reference] if subject.name == subject.reference else \
                run_case(scenario_id, fn, subject)
            diffs = compare_observations(cache[subject.reference], actual)
            yield dict(record, outcome="failed" if diffs else "passed", diffs=diffs)
