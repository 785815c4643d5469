"""The suite catches a broken engine and names the differing field.

Each test breaks one thing in refgrad (in this process, undone after the test), runs the whole
conformance suite on refgrad against torch, and checks that it fails and that the diff of a
case that exercises the broken behaviour names exactly the right fields.
"""
import os

import pytest

import refgrad
from conformance.manifest import apply_manifest, load_manifest
from conformance.runner import run
from conformance.scenarios import all_cases

KNOWN = load_manifest(os.path.join(os.path.dirname(__file__), "..", "known-divergences.toml"))


def _failures():
    """The failing cases of the whole suite on refgrad, less the project's known divergences."""
    records = list(run(["refgrad"], all_cases()))
    apply_manifest(records, KNOWN, [c.id for c in all_cases()])
    return {r["case"]: r for r in records if r["outcome"] not in ("passed", "xfailed", "skipped")}


def _fields(failures, case):
    assert case in failures, f"{case} did not fail; failing: {sorted(failures)}"
    return [d["field"] for d in failures[case]["diffs"]]


def test_unbroken_refgrad_conforms():
    assert _failures() == {}


def test_wrong_gradient_value(monkeypatch):
    from refgrad import derivatives
    monkeypatch.setattr(derivatives.EXP, "backward", (lambda grad, result: grad * result * 1.5,))
    failures = _failures()
    assert _fields(failures, "accumulation/two_paths_add_up-float64") == ["grad.values"]
    values = failures["accumulation/two_paths_add_up-float64"]["diffs"][0]
    assert values["mismatched"] == values["total"] == 6
    assert (values["rtol"], values["atol"]) == (1e-7, 1e-7)


def test_missing_accumulation(monkeypatch):
    from refgrad.autograd import engine
    original = engine._accumulate_into

    def overwrite(tensor, grad, create_graph):
        tensor._grad = None  # forget the previous gradient
        original(tensor, grad, create_graph)
    monkeypatch.setattr(engine, "_accumulate_into", overwrite)
    assert _fields(_failures(), "accumulation/accumulates_across_calls-float32") == ["accumulated.values"]


def test_detach_that_does_not_detach(monkeypatch):
    monkeypatch.setattr(refgrad.Tensor, "detach", lambda self: self * 1)
    fields = _fields(_failures(), "detach/detach_is_constant-float32")
    assert fields[:3] == ["u.requires_grad", "u.is_leaf", "u.grad_fn"]
    assert "grad.values" in fields


def test_wrong_grad_fn_name(monkeypatch):
    monkeypatch.setattr(type((refgrad.ones(1, requires_grad=True) * 2).grad_fn), "name", lambda self: "Mul")
    assert _fields(_failures(), "accumulation/zero_then_sum-float32") == ["y.grad_fn"]


def test_wrong_error_text(monkeypatch):
    from refgrad.autograd import graph
    monkeypatch.setattr(graph, "FREED_MESSAGE", "the graph is gone")
    failures = _fields(_failures(), "retain_graph/second_backward_without_retain-float32")
    assert failures == ["again.message"]


def test_no_grad_that_records(monkeypatch):
    from refgrad.autograd import grad_mode
    monkeypatch.setattr(grad_mode.no_grad, "_mode", True)
    fields = _fields(_failures(), "grad_modes/no_grad_does_not_record-float32")
    assert fields == ["y.requires_grad", "y.is_leaf", "y.grad_fn", "y.repr"]  # the repr shows the grad_fn


@pytest.mark.parametrize("fault", ["wrong_value", "wrong_message"])
def test_failure_text_names_field_and_replay(monkeypatch, fault):
    from conformance.report import format_failure
    from refgrad import derivatives
    from refgrad.autograd import graph
    if fault == "wrong_value":
        monkeypatch.setattr(derivatives.EXP, "backward", (lambda grad, result: grad * result * 1.5,))
        case, field = "accumulation/two_paths_add_up-float32", "field grad.values:"
    else:
        monkeypatch.setattr(graph, "FREED_MESSAGE", "the graph is gone")
        case, field = "retain_graph/second_backward_without_retain-float32", "field again.message:"
    text = format_failure(_failures()[case])
    assert field in text
    assert f"replay: python -m conformance replay {case} --subject refgrad" in text
    if fault == "wrong_value":
        assert "Mismatched elements: 6 / 6 (100.0%)" in text
        assert "Greatest absolute difference:" in text and "(up to 1e-05 allowed)" in text


def test_wrong_forward_rule(monkeypatch):
    from refgrad import derivatives
    monkeypatch.setattr(derivatives.SOFTMAX, "jvp", lambda self_t, result, dim: result * self_t)  # drops a term
    monkeypatch.setattr(derivatives.SOFTMAX, "jvp_uses", ("self_t", "result", "dim"))
    failures = _failures()
    assert _fields(failures, "ops_reduction/softmax-float64") == ["dim1.jvp.[0].values", "dim0.jvp.[0].values",
                                                                 "3d.jvp.[0].values"]
    # gradcheck's forward-mode check sees it too, without torch's help
    assert "dim1.gradcheck.result.value" in _fields(failures, "gradcheck/ops_reduction.softmax-float64")


def test_wrong_second_derivative(monkeypatch):
    from refgrad import derivatives
    formulas = list(derivatives.TANH_BACKWARD.backward)
    formulas[1] = lambda grad, output, grad_output: 2 * output * grad_output * grad  # sign flipped
    monkeypatch.setattr(derivatives.TANH_BACKWARD, "backward", tuple(formulas))
    fields = _fields(_failures(), "ops_unary/tanh-float64")
    assert fields == ["0d.grad2.values", "4.grad2.values", "2x3.grad2.values"]


def test_wrong_repr_only(monkeypatch):
    """A printing fault that leaves every value right (one more element per line) is caught by the repr field."""
    from refgrad import _printing
    original = _printing._vector_str

    def one_more_per_line(a, indent, summarize, fmt):
        monkeypatch.setattr(_printing.PRINT_OPTS, "linewidth", _printing.PRINT_OPTS.linewidth + fmt.max_width + 2)
        try:
            return original(a, indent, summarize, fmt)
        finally:
            monkeypatch.setattr(_printing.PRINT_OPTS, "linewidth", _printing.PRINT_OPTS.linewidth - fmt.max_width - 2)
    monkeypatch.setattr(_printing, "_vector_str", one_more_per_line)
    failures = _failures()
    assert "wrapped_1d.value" in _fields(failures, "printing/layout-float32")
    assert _fields(failures, "nn_training/linear_regression-float64") == ["step_losses.repr"]
