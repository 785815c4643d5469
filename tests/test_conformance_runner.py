"""The conformance runner catches a broken engine and names the differing field."""
import refgrad
from conformance.__main__ import main
from conformance.runner import run


def _failures(select):
    return [r for r in run(["refgrad"], select) if r["outcome"] == "failed"]


def test_refgrad_conforms_on_a_sample():
    records = list(run(["refgrad", "torch:cpu"], ["accumulation/"]))
    assert records and all(r["outcome"] == "passed" for r in records)


def test_catches_missing_accumulation(monkeypatch):
    from refgrad.autograd import engine
    original = engine._accumulate_into

    def overwrite(tensor, grad, create_graph):
        tensor._grad = None  # forget the previous gradient: no accumulation
        original(tensor, grad, create_graph)
    monkeypatch.setattr(engine, "_accumulate_into", overwrite)
    failures = _failures(["accumulation/accumulates_across_calls"])
    assert [d["field"] for d in failures[0]["diffs"]] == ["accumulated.values"]


def test_catches_wrong_grad_fn_name(monkeypatch):
    monkeypatch.setattr(type((refgrad.ones(1, requires_grad=True) * 2).grad_fn), "name", lambda self: "Mul")
    failures = _failures(["accumulation/zero_then_sum"])
    assert [d["field"] for d in failures[0]["diffs"]] == ["y.grad_fn"]


def test_catches_no_grad_that_records(monkeypatch):
    from refgrad.autograd import grad_mode
    monkeypatch.setattr(grad_mode.no_grad, "_mode", True)
    failures = _failures(["grad_modes/no_grad_does_not_record"])
    fields = {d["field"] for d in failures[0]["diffs"]}
    assert {"y.requires_grad", "y.grad_fn", "y.is_leaf"} <= fields


def test_cli_exit_codes(capsys):
    assert main(["--subjects", "refgrad,torch:cpu", "-k", "detach/"]) == 0
    assert "detach" in capsys.readouterr().out
    assert main(["--subjects", "refgrad,nonsense"]) == 2
