"""Every public function of refgrad gets the generated bad-call probes of conformance/scenarios/argument_errors.py,
and those probes catch an engine that lets a bad argument reach its insides."""
import inspect

import pytest

import refgrad
from conformance.runner import compare_observations, observe_task
from conformance.scenarios import argument_errors


def _public_functions():
    return sorted(n for n in dir(refgrad) if not n.startswith("_") and inspect.isfunction(getattr(refgrad, n)))


def test_every_public_function_is_probed():
    listed = set(argument_errors.PARSED) | set(argument_errors.OVERLOADED)
    missing = [n for n in _public_functions() if n not in listed]
    assert not missing, f"add these to PARSED or OVERLOADED in argument_errors.py: {missing}"
    assert not set(argument_errors.PARSED) & set(argument_errors.OVERLOADED)


@pytest.mark.parametrize("name, wrong", [
    ("tril", lambda fn: lambda *args: fn.__wrapped__(*args)),  # the parser bypassed: the insides speak
    ("zeros_like", lambda fn: lambda *args: fn.__wrapped__(*args)),
])
def test_a_bad_argument_that_reaches_the_engine_fails_the_case(monkeypatch, name, wrong):
    torch_obs = observe_task("argument_errors/functions", "float32", "torch:cpu")["observations"]
    monkeypatch.setattr(refgrad, name, wrong(getattr(refgrad, name)))
    ours = observe_task("argument_errors/functions", "float32", "refgrad")["observations"]
    fields = {d["field"] for d in compare_observations(torch_obs, ours)}
    assert f"{name}.str.type" in fields and f"{name}.str.message" in fields
