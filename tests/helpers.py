"""Runs a test body with real torch and with refgrad and asserts they observe the same thing.

    @same
    def test_accumulates(torch):
        x = torch.ones(2, requires_grad=True)
        ...
        return x.grad, repr(x)

The body's return value (tensors, Python values, strings, tuples of those) and any exception
or warning it raises are observed with the conformance harness's observers and compared field
by field; the expected side always comes from torch at test time.
"""
import functools
import re
import inspect

import numpy as np
import torch

import refgrad
from conformance.compare import diff, format_diff
from conformance.observe import observe_call
from conformance.scenarios.seeds import run_notebook

__all__ = ["same", "assert_same", "data", "notebook_text", "assert_notebook_same"]


def assert_same(body):
    expected, expected_warnings = observe_call(body, torch)
    actual, actual_warnings = observe_call(body, refgrad)
    problems = diff(expected, actual) + diff({"kind": "sequence", "items": expected_warnings},
                                             {"kind": "sequence", "items": actual_warnings}, "warnings")
    if problems:
        raise AssertionError("refgrad differs from torch:\n" + "\n".join(
            format_diff(p, subject="refgrad", reference="torch") for p in problems))
    return expected


def same(fn):
    """Turns `fn(torch, **params)` into a pytest test comparing torch and refgrad."""
    sig = inspect.signature(fn)
    params = [p for name, p in sig.parameters.items() if name != "torch"]

    @functools.wraps(fn)
    def test(**kwargs):
        assert_same(lambda ns: fn(ns, **kwargs))

    test.__signature__ = sig.replace(parameters=params)
    return test


def data(*shape, seed=0, low=-2.0, high=2.0):
    """Seeded inputs as nested lists, so both engines see the same numbers."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).round(3).tolist()


def notebook_text(cells, engine):
    """Everything the cells show under `engine`, run as the seed notes run (seeds.run_notebook): in order, in one
    namespace, each cell's output headed by its number."""
    shown = []
    run_notebook(cells, engine, lambda i, text: shown.append(f"--- cell {i}\n{text}"))
    return "".join(shown)


def assert_notebook_same(cells, first_error_cell):
    """The cells show the same text under refgrad as under torch, and the cells before `first_error_cell` (the
    ones that compute; the error cells come after) raised nothing under torch."""
    expected = notebook_text(cells, torch)
    computing = expected.split(f"--- cell {first_error_cell}\n")[0]
    assert not re.search(r"^\w*(Error|Exception): ", computing, re.M), computing
    assert notebook_text(cells, refgrad) == expected
