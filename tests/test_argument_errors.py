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


def _assert_listed_once(names, lists, where):
    missing = [n for n in names if not any(n in listed for listed in lists)]
    assert not missing, f"add these to {where} in argument_errors.py: {missing}"
    assert not set(lists[0]) & set(lists[1])


def test_every_public_function_is_probed():
    _assert_listed_once(_public_functions(), (argument_errors.PARSED, argument_errors.OVERLOADED),
                        "PARSED or OVERLOADED")


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
    _assert_listed_once(_public_methods(), (argument_errors.METHODS, argument_errors.METHODS_NOT_PROBED),
                        "METHODS (or METHODS_NOT_PROBED, with the reason)")


@pytest.mark.parametrize("name, field", [
    ("clamp_min", "clamp_min.none.kind"),  # the parser bypassed: clamp_min(None) is let through, no error
    ("add", "add.list.message"),  # the insides speak ("float() argument must be ...")
    ("abs", "abs.str.message"),  # Python's words, about abs(), instead of TensorBase.abs()'s
    ("maximum", "maximum.int.kind"),  # a number where only a tensor goes is let through, no error
])
def test_a_method_without_the_parser_fails_the_case(monkeypatch, name, field):
    torch_obs = observe_task("argument_errors/methods", "float32", "torch:cpu")["observations"]
    monkeypatch.setattr(refgrad.Tensor, name, getattr(refgrad.Tensor, name).__wrapped__)
    ours = observe_task("argument_errors/methods", "float32", "refgrad")["observations"]
    fields = {d["field"] for d in compare_observations(torch_obs, ours)}
    assert field in fields
    assert {f.split(".")[0] for f in fields} == {name}
