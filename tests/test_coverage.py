"""The conformance suite reaches every derivative-table entry, and catches a wrong backward formula in any.

Coverage: each entry's forward, backward formulas and forward-mode rule run in at least one case. Each
case runs once on refgrad in this process with every entry wrapped to note what ran; entries no case
reaches are listed in NOT_YET_COVERED with the reason, and an entry listed there that the suite does
reach fails the test, so the list only shrinks.

Fault injection: each backward formula in turn is made wrong (its gradient times 1.5 plus 0.25), and
some case that runs it must then differ from torch; so must each source-level mutant of each backward and
forward-mode lambda (a comparison swapped, a number changed, a term dropped, a minus removed: mutation.py),
except the few listed as equivalent, with the reason. torch's observations are taken once per case.
"""
import functools
import inspect
import sys
from pathlib import Path

import pytest

from conformance.runner import compare_observations, observe_task
from conformance.scenarios import all_cases
import refgrad
from refgrad import _dispatch, derivatives
from refgrad._tensor import Tensor

sys.path.insert(0, str(Path(__file__).parent))
from mutation import formula_mutants, helper_mutants, names_used  # noqa: E402

TABLE = derivatives.TABLE

# key -> parts no case reaches yet, and why
NOT_YET_COVERED = {}

# key -> why a wrong tangent from its rule cannot show: the rule's result is replaced before anything reads it
TANGENT_REPLACED = {
    "_fw_primal": "its result is a view, whose tangent is read from its base's (forward_level._view_entry), and the "
                  "primal of a dual tensor has a tangent only at an outer level, where its base always has one",
}


PUBLIC_FUNCTIONS = sorted(n for n in dir(refgrad) if not n.startswith("_") and inspect.isfunction(getattr(refgrad, n)))
# public functions no case calls successfully yet, and why
NOT_YET_CALLED = {}


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_public_function_is_called(suite, name):
    called = ("function", name) in set().union(*suite["uses"].values())
    if name in NOT_YET_CALLED:
        assert not called, f"{name} is called now: remove it from NOT_YET_CALLED"
    else:
        assert called, f"no conformance case calls refgrad.{name} (as torch.{name}) and gets a result"


@pytest.fixture(scope="module")
def suite():
    """{"torch": case -> torch's observations, "uses": case -> {(part, key[, input])}, "seconds": case -> s}."""
    seen = set()
    saved = {key: (rule.forward, rule.backward) for key, rule in TABLE.items()}
    original_push = _dispatch.push_tangents

    def noting(mark, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            seen.add(mark)
            return fn(*args, **kwargs)
        return wrapper

    def push_tangents(rule, operands, params, result, node=None):
        original_push(rule, operands, params, result, node)
        if any(getattr(r, "_fw", None) is not None for r in (result if isinstance(result, list) else [result])):
            seen.add(("jvp", rule.key))

    def answering(name, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            result = fn(*args, **kwargs)
            seen.add(("function", name))  # it returned: a call that works, not only a probe of a bad one
            return result
        return wrapper

    functions = {name: getattr(refgrad, name) for name in PUBLIC_FUNCTIONS}
    out = {"torch": {}, "uses": {}, "seconds": {}}
    try:
        for name, fn in functions.items():
            setattr(refgrad, name, answering(name, fn))
        for key, rule in TABLE.items():
            rule.forward = noting(("forward", key), rule.forward)
            rule.backward = tuple(None if f is None else noting(("backward", key, i), f)
                                  for i, f in enumerate(rule.backward))
        _dispatch.push_tangents = push_tangents
        for case in all_cases():
            theirs = observe_task(case.scenario_id, case.dtype, "torch:cpu")
            seen.clear()
            ours = observe_task(case.scenario_id, case.dtype, "refgrad")
            if "unavailable" in (theirs["status"], ours["status"]):
                continue  # a case that does not apply on the CPU (rec.skip)
            assert theirs["status"] == ours["status"] == "ok", case.id
            out["torch"][case], out["uses"][case], out["seconds"][case] = \
                theirs["observations"], set(seen), ours["duration_s"]
    finally:
        for name, fn in functions.items():
            setattr(refgrad, name, fn)
        _dispatch.push_tangents = original_push
        for key, (forward, backward) in saved.items():
            TABLE[key].forward, TABLE[key].backward = forward, backward
    return out


def _parts(rule):
    parts = ["forward"]
    if rule.differentiable:
        parts.append("backward")
        if rule.jvp is not None:
            parts.append("jvp")
    return parts


@pytest.mark.parametrize("key", sorted(TABLE))
def test_entry_is_exercised(suite, key):
    used = set().union(*suite["uses"].values())
    reached = {mark[0] for mark in used if mark[1] == key}
    missing = [part for part in _parts(TABLE[key]) if part not in reached]
    expected = NOT_YET_COVERED.get(key, {}).get("parts", [])
    assert missing == expected, (f"{key}: no conformance case runs its {missing}" if missing else
                                 f"{key} is covered now: remove it from NOT_YET_COVERED")


def _wrong(gradient):
    """A wrong gradient (and a wrong list of them), however the right one looks, zeros included."""
    if isinstance(gradient, (list, tuple)):
        return type(gradient)(_wrong(g) for g in gradient)
    return gradient * 1.5 + 0.25 if isinstance(gradient, Tensor) else gradient


# Formulas that only raise PyTorch's "not implemented" (their message is compared by the suite) are not mutated.
# (key, input) -> why no program can run that formula
NEVER_RUN = {("_index_put_impl_", "self"): "index's backward puts into fresh zeros that need no gradient; the "
                                          "formula is there so the node has PyTorch's edges, the zeros' empty one first"}
FORMULAS = [(key, i) for key, rule in sorted(TABLE.items()) for i, f in enumerate(rule.backward)
            if f is not None and rule.node != "torch::autograd::NotImplemented"
            and (key, rule.inputs[i]) not in NEVER_RUN]


@pytest.mark.parametrize("key, i", FORMULAS, ids=[f"{k}-{TABLE[k].inputs[i]}" for k, i in FORMULAS])
def test_a_wrong_backward_formula_fails_some_case(suite, monkeypatch, key, i):
    rule = TABLE[key]
    formula = rule.backward[i]
    monkeypatch.setattr(rule, "backward", rule.backward[:i] + (lambda *a: _wrong(formula(*a)),) + rule.backward[i + 1:])
    cases = sorted((c for c, uses in suite["uses"].items() if ("backward", key, i) in uses),
                   key=suite["seconds"].get)
    assert cases, f"no case runs the formula for {rule.inputs[i]} of {key}"
    for case in cases:
        ours = observe_task(case.scenario_id, case.dtype, "refgrad")
        if ours["status"] != "ok" or compare_observations(suite["torch"][case], ours["observations"]):
            return
    pytest.fail(f"a wrong formula for {rule.inputs[i]} of {key} passes all {len(cases)} cases that run it")


def _perturbed(array):
    """A wrong forward result of any dtype: floats scaled and shifted, ints plus one, bools flipped."""
    import numpy as np
    if isinstance(array, (list, tuple)):
        return type(array)(_perturbed(a) for a in array)
    if not isinstance(array, (np.ndarray, np.generic)):
        return array
    if array.dtype == bool:
        return ~array
    return array * 1.5 + 0.25 if array.dtype.kind in "fc" else array + 1


def _failing_case(suite, part, cases=None):
    """The first case that runs `part` (fastest first) and now differs from torch, or None."""
    cases = sorted((c for c, uses in suite["uses"].items() if part in uses), key=suite["seconds"].get)
    assert cases, f"no case runs {part}"
    for case in cases:
        ours = observe_task(case.scenario_id, case.dtype, "refgrad")
        if ours["status"] != "ok" or compare_observations(suite["torch"][case], ours["observations"]):
            return case
    return None


# Forward kernels whose result no case can see wrong, and why.
FORWARD_UNSEEN = {}


@pytest.mark.parametrize("key", sorted(TABLE))
def test_a_wrong_forward_kernel_fails_some_case(suite, monkeypatch, key):
    rule = TABLE[key]
    kernel = rule.forward
    monkeypatch.setattr(rule, "forward", lambda *a, **k: _perturbed(kernel(*a, **k)))
    if _failing_case(suite, ("forward", key)) is None and key not in FORWARD_UNSEEN:
        pytest.fail(f"a wrong forward kernel of {key} passes every case that runs it")


@pytest.mark.parametrize("key", sorted(k for k, r in TABLE.items() if r.differentiable and r.jvp is not None
                                        and k not in NOT_YET_COVERED and k not in TANGENT_REPLACED))
def test_a_wrong_tangent_fails_some_case(suite, monkeypatch, key):
    from refgrad.autograd import forward_level
    original = _dispatch.push_tangents

    def push_wrong_tangents(rule, operands, params, result, node=None):
        original(rule, operands, params, result, node)
        if rule.key == key:
            for r in result if isinstance(result, list) else [result]:
                tangent = forward_level.tangent_of(r)
                if tangent is not None:
                    forward_level.set_tangent(r, tangent * 1.5 + 0.25)
    monkeypatch.setattr(_dispatch, "push_tangents", push_wrong_tangents)
    if _failing_case(suite, ("jvp", key)) is None:
        pytest.fail(f"a wrong tangent of {key} passes every case that runs its forward-mode rule")


def _mutants():
    out = []
    for key, rule in sorted(TABLE.items()):
        if rule.node == "torch::autograd::NotImplemented":
            continue
        for i, f in enumerate(rule.backward):
            if f is not None and (key, rule.inputs[i]) not in NEVER_RUN:
                out += [(key, ("backward", key, i), m) for m in formula_mutants(f)]
        if callable(rule.jvp):
            out += [(key, ("jvp", key), m) for m in formula_mutants(rule.jvp)]
    return out


MUTANTS = _mutants()

# Mutants no program can tell from the original, and why.
EQUIVALENT_MUTANTS = {
    "det_backward-Lt->LtE@2": "|det| equal to 100 eps exactly: no input of a case has it",
    "_det_singular-drop left of Mult@1": "det(U) det(Vh) is +1 for every singular matrix NumPy's SVD gets in the "
                                         "cases (LAPACKs choose the signs; MKL's differ)",
    "cumprod_backward_by_position-0->1@10": "the slice only gives the shape of the ones put first",
    "nll_backward-0->1@4": "an ignored target's row gets zeros, whichever index they are scattered to",
    "std_backward-0->1@1": "std is 0 only where every element equals the mean, so the value filled into the gradient "
                           "there is multiplied by self - mean = 0 (or by NaN, with no degrees of freedom)",
    **{f"layer_norm_double_backward-drop {side} of Add@{site}":
       "each NativeLayerNormBackwardBackward0 node of refgrad gives one of native_layer_norm_backward's outputs "
       "(PyTorch's one node gives all three), so it gets one output's gradient, never two to add up"
       for site, side in ((41, "right"), (42, "left"), (45, "right"), (46, "left"), (47, "right"), (48, "left"))},
}


def _mutant_id(key, part, mutant):
    formula = f"backward of {TABLE[key].inputs[part[2]]}" if part[0] == "backward" else "jvp"
    return f"{key}-{formula}-{mutant.id}"


@pytest.mark.parametrize("key, part, mutant", MUTANTS, ids=[_mutant_id(*m) for m in MUTANTS])
def test_a_mutated_formula_fails_some_case(suite, key, part, mutant):
    """Each single-point change of a formula (see mutation.py) makes some case that runs it differ from torch."""
    cases = sorted((c for c, uses in suite["uses"].items() if part in uses), key=suite["seconds"].get)
    assert cases, f"no case runs {part}"
    equivalent = EQUIVALENT_MUTANTS.get(_mutant_id(key, part, mutant))
    with mutant.applied():
        for case in cases:
            ours = observe_task(case.scenario_id, case.dtype, "refgrad")
            if ours["status"] != "ok" or compare_observations(suite["torch"][case], ours["observations"]):
                assert not equivalent, f"{_mutant_id(key, part, mutant)} is caught now: remove it from EQUIVALENT_MUTANTS"
                return
    if not equivalent:
        pytest.fail(f"{key}: the mutant {mutant.id} of its {part[0]} formula passes all {len(cases)} cases that run it")


def _parts_reaching(helper):
    """The (backward|jvp) parts of the table whose formula is the helper or calls it, directly or through
    other helpers; a forward-mode rule derived from the backward formulas counts as calling what they call."""
    helpers = {name: fn for name, fn in vars(_formulas).items() if callable(fn) and hasattr(fn, "__code__")}
    callers, frontier = {helper.__name__}, {helper.__name__}
    while frontier:  # the helpers that reach it
        frontier = {name for name, fn in helpers.items() if name not in callers and names_used(fn) & frontier}
        callers |= frontier

    def reaches(f):
        return callable(f) and (getattr(f, "__name__", None) in callers or bool(names_used(f) & callers))
    parts = set()
    for key, rule in TABLE.items():
        backward = [i for i, f in enumerate(rule.backward) if reaches(f)]
        parts |= {("backward", key, i) for i in backward}
        if reaches(rule.jvp) or isinstance(rule.jvp, str) and backward:
            parts.add(("jvp", key))
    return parts


from refgrad import _formulas  # noqa: E402


def _used_outside_the_table(helper):
    root = Path(_formulas.__file__).parent
    return any(helper.__name__ in path.read_text() for path in root.rglob("*.py")
               if path.name not in ("_formulas.py", "derivatives.py"))

HELPER_MUTANTS = helper_mutants(_formulas, skip={"install_ops", "not_implemented"})


@pytest.mark.parametrize("helper, mutant", HELPER_MUTANTS,
                         ids=[f"{h.__name__}-{m.id}" for h, m in HELPER_MUTANTS])
def test_a_mutated_helper_fails_some_case(suite, helper, mutant):
    """Each single-point change of a formula helper in refgrad/_formulas.py makes some case differ from torch."""
    parts = _parts_reaching(helper)
    cases = sorted((c for c, uses in suite["uses"].items() if uses & parts), key=suite["seconds"].get)
    if _used_outside_the_table(helper):  # by a composite op (nn.functional): any case may run it
        cases += sorted((c for c in suite["uses"] if c not in cases), key=suite["seconds"].get)
    assert cases, f"no case runs a formula that calls {helper.__name__}"
    with mutant.applied():
        for case in cases:
            ours = observe_task(case.scenario_id, case.dtype, "refgrad")
            if ours["status"] != "ok" or compare_observations(suite["torch"][case], ours["observations"]):
                assert f"{helper.__name__}-{mutant.id}" not in EQUIVALENT_MUTANTS, "caught now: remove it from the list"
                return
    if f"{helper.__name__}-{mutant.id}" not in EQUIVALENT_MUTANTS:
        pytest.fail(f"the mutant {mutant.id} of {helper.__name__} passes all {len(cases)} cases that run it")
