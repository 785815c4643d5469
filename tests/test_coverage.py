"""Every derivative-table entry is exercised by the conformance suite: its forward, its backward formulas
and its forward-mode rule each run in at least one case (so a mistake in any of them can be caught).

The suite runs once on refgrad in this process with every entry's forward, backward formulas and jvp
wrapped to note that they ran. Entries no case reaches yet are listed in NOT_YET_COVERED with the
reason; an entry listed there that the suite does reach fails the test, so the list only shrinks.
"""
import functools

import pytest

from conformance.runner import run
from conformance.scenarios import all_cases
from refgrad import _dispatch
from refgrad.derivatives import TABLE

# key -> parts no case reaches yet, and why
NOT_YET_COVERED = {
    "_fw_primal": {"parts": ["jvp"], "why": "the primal of a dual tensor has a tangent only at an outer forward "
                                          "level, and neither engine nests forward levels"},
}


@pytest.fixture(scope="module")
def used():
    seen = {"forward": set(), "backward": set(), "jvp": set()}
    saved = {key: (rule.forward, rule.backward, rule.jvp) for key, rule in TABLE.items()}
    original_push = _dispatch.push_tangents

    def noting(part, key, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            seen[part].add(key)
            return fn(*args, **kwargs)
        return wrapper

    def push_tangents(rule, operands, params, result):
        original_push(rule, operands, params, result)
        outputs = result if isinstance(result, list) else [result]
        if any(getattr(r, "_fw", None) is not None for r in outputs):
            seen["jvp"].add(rule.key)

    try:
        for key, rule in TABLE.items():
            rule.forward = noting("forward", key, rule.forward)
            rule.backward = tuple(None if f is None else noting("backward", key, f) for f in rule.backward)
        _dispatch.push_tangents = push_tangents
        records = list(run(["refgrad"], all_cases()))
    finally:
        _dispatch.push_tangents = original_push
        for key, (forward, backward, jvp) in saved.items():
            TABLE[key].forward, TABLE[key].backward, TABLE[key].jvp = forward, backward, jvp
    assert records
    return seen


def _parts(rule):
    parts = ["forward"]
    if rule.differentiable:
        parts.append("backward")
        if rule.jvp is not None:
            parts.append("jvp")
    return parts


@pytest.mark.parametrize("key", sorted(TABLE))
def test_entry_is_exercised(used, key):
    missing = [part for part in _parts(TABLE[key]) if key not in used[part]]
    expected = NOT_YET_COVERED.get(key, {}).get("parts", [])
    assert missing == expected, (f"{key}: no conformance case runs its {missing}" if missing else
                                 f"{key} is covered now: remove it from NOT_YET_COVERED")
