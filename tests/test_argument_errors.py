"""Every public function and method of refgrad gets the generated bad-call probes of
conformance/scenarios/argument_errors.py, and those probes catch an engine that lets a bad argument reach its
insides."""
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


def _public_methods():
    return sorted(n for n, v in vars(refgrad.Tensor).items() if not n.startswith("_") and callable(v))


def test_every_public_method_is_probed():
    listed = set(argument_errors.METHODS) | set(argument_errors.METHODS_NOT_PROBED)
    missing = [n for n in _public_methods() if n not in listed]
    assert not missing, f"add these to METHODS (or METHODS_NOT_PROBED, with the reason) in argument_errors.py: {missing}"
    assert not set(argument_errors.METHODS) & set(argument_errors.METHODS_NOT_PROBED)


@pytest.mark.parametrize("name, field", [
    ("clamp_min", "clamp_min.none.kind"),  # the parser bypassed: clamp_min(None) is let through, no error
    ("add", "add.list.message"),  # the insides speak ("float() argument must be ...")
    ("abs", "abs.str.message"),  # Python's words, about abs(), instead of TensorBase.abs()'s
])
def test_a_method_without_the_parser_fails_the_case(monkeypatch, name, field):
    torch_obs = observe_task("argument_errors/methods", "float32", "torch:cpu")["observations"]
    monkeypatch.setattr(refgrad.Tensor, name, getattr(refgrad.Tensor, name).__wrapped__)
    ours = observe_task("argument_errors/methods", "float32", "refgrad")["observations"]
    fields = {d["field"] for d in compare_observations(torch_obs, ours)}
    assert field in fields
    assert {f.split(".")[0] for f in fields} == {name}
