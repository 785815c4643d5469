"""The runner: outcomes, time limits, crash isolation, plugin and golden subjects, device expansion."""
import os
import json

import pytest

from conformance import runner
from conformance.runner import run
from conformance.scenarios import select_cases
from conformance.subjects import UnknownSubject, expand_subjects, parse_subject

ONE_CASE = select_cases(["accumulation/zero_then_sum"])


def _records(subjects, cases=ONE_CASE, **kwargs):
    return {(r["case"], r["subject"]): r for r in run(subjects, cases, **kwargs)}


def test_reference_and_subject_outcomes():
    records = _records(["refgrad", "torch:cpu"])
    assert records[("accumulation/zero_then_sum-float32", "refgrad")]["outcome"] == "passed"
    reference = records[("accumulation/zero_then_sum-float32", "torch:cpu")]
    assert (reference["outcome"], reference["reason"]) == ("passed", "it is the reference")


def test_cuda_subjects_skip_with_a_reason_without_a_gpu():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    records = _records(["torch:cuda", "refgrad:cuda"])
    assert records[("accumulation/zero_then_sum-float32", "torch:cuda")]["reason"] == "no CUDA device available"
    assert records[("accumulation/zero_then_sum-float32", "refgrad:cuda")]["reason"] == \
        "torch:cuda: no CUDA device available"


def test_plugin_subject_by_module_attr():
    records = _records(["faulty_engines:plain"])
    assert records[("accumulation/zero_then_sum-float32", "faulty_engines:plain@cpu")]["outcome"] == "passed"


def test_hanging_case_is_stopped_in_process():
    records = _records(["faulty_engines:hanging"], timeout=0.5)
    record = records[("accumulation/zero_then_sum-float32", "faulty_engines:hanging@cpu")]
    assert record["outcome"] == "timeout"
    assert record["reason"] == "stopped after the time limit of 0.5 s"


def test_crashing_subject_fails_its_own_cases_and_the_run_goes_on(monkeypatch):
    monkeypatch.setattr(runner, "KILL_GRACE", 1.0)
    cases = select_cases(["accumulation/zero_then_sum", "detach/detach_inplace"])
    records = _records(["faulty_engines:crashing", "faulty_engines:deaf_hanging", "refgrad"], cases,
                       workers=2, timeout=3.0)  # room for torch under a loaded machine
    for case in ("accumulation/zero_then_sum-float32", "detach/detach_inplace-float32"):
        crashed = records[(case, "faulty_engines:crashing@cpu")]
        assert crashed["outcome"] == "crashed"
        assert crashed["reason"] == "the worker running it died (exit code 3)"
        assert records[(case, "faulty_engines:deaf_hanging@cpu")]["outcome"] == "timeout"
        assert records[(case, "refgrad")]["outcome"] == "passed"


def test_unloadable_plugin_is_an_error_not_a_crash_of_the_run():
    records = _records(["faulty_engines:unloadable", "refgrad"])
    record = records[("accumulation/zero_then_sum-float32", "faulty_engines:unloadable@cpu")]
    assert record["outcome"] == "error"
    assert "ImportError: this engine needs a library that is not installed" in record["reason"]


@pytest.mark.parametrize("name, message", [
    ("numpy", "unknown subject 'numpy'"),
    ("torch:not a device", "bad device 'not a device' in subject 'torch:not a device'"),
    ("golden:", "golden subject needs a file"),
])
def test_unknown_subjects(name, message):
    with pytest.raises(UnknownSubject, match=message):
        parse_subject(name)


def test_device_expansion():
    assert expand_subjects(["refgrad", "torch"], ["cpu"]) == ["refgrad", "torch:cpu"]
    assert expand_subjects(["refgrad", "torch", "torch:cuda:1"], ["cpu", "meta"]) == [
        "refgrad", "torch:cpu", "torch:meta", "torch:cuda:1"]
    assert expand_subjects(["refgrad:cuda", "faulty_engines:plain"], ["cpu", "cuda"]) == [
        "refgrad:cuda", "faulty_engines:plain@cpu"]


def test_cuda_expands_to_each_visible_gpu(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert expand_subjects(["torch"], ["cuda"]) == ["torch:cuda:0", "torch:cuda:1"]


def test_golden_file_round_trip(tmp_path):
    cases = select_cases(["detach/"])
    observed = {}
    list(run(["torch:cpu"], cases, observed=observed))
    path = tmp_path / "torch.json"
    path.write_text(json.dumps({"schema": "refgrad-conformance-observations", "version": 1, "subjects": {
        "torch:cpu": {"device": "cpu", "cases": {c: o for (c, s), o in observed.items()}}}}))
    records = list(run(["refgrad"], cases, reference=f"golden:{path}"))
    assert records and all(r["outcome"] == "passed" for r in records)
    assert {c["subject"] for r in records for c in r["compared_with"]} == {"torch:cpu", f"golden:{path}"}


def test_golden_subject_reports_what_changed(tmp_path):
    observed = {}
    list(run(["torch:cpu"], ONE_CASE, observed=observed))
    (case_id, _), obs = next(iter(observed.items()))
    obs["grad"]["values"][1] = 4.5  # as if an older torch had computed this
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"schema": "refgrad-conformance-observations", "version": 1,
                                "subjects": {"torch:cpu": {"device": "cpu", "cases": {case_id: obs}}}}))
    record = _records([f"golden:{path}"])[(case_id, f"golden:{path}")]
    assert record["outcome"] == "failed"
    assert [d["field"] for d in record["diffs"]] == ["grad.values"]
    assert record["diffs"][0]["max_abs_index"] == [1]


def test_unreadable_golden_file_skips_with_reason(tmp_path):
    record = _records([f"golden:{tmp_path / 'missing.json'}"])[
        ("accumulation/zero_then_sum-float32", f"golden:{tmp_path / 'missing.json'}")]
    assert record["outcome"] == "skipped" and record["reason"].startswith("cannot read")


def test_cross_device_comparison_ignores_device_text():
    obs = {"x": {"kind": "tensor", "device": "cuda", "values": [1.0]},
           "r": {"kind": "value", "value": "tensor([1.], device='cuda:0', grad_fn=<MulBackward0>)"}}
    assert runner._device_free(obs) == {"x": {"kind": "tensor", "values": [1.0]},
                                        "r": {"kind": "value", "value": "tensor([1.], grad_fn=<MulBackward0>)"}}


def _only_for_this_test(monkeypatch, fn, expects_error=False):
    """Registers fn as the scenario harness_checks/<name> for one test; returns its case."""
    from conformance.scenarios import SCENARIOS, Case, Scenario
    sid = f"harness_checks/{fn.__name__}"
    monkeypatch.setitem(SCENARIOS, sid, Scenario(sid, fn, ("float32",), True, expects_error))
    return [Case(sid, "float32")]


def _raises_before_recording(torch, rec):
    torch.ones(2).sum().backward()  # nothing requires grad: both engines raise here
    rec("never", 1)


@pytest.mark.parametrize("subject", ["refgrad", "torch:cpu"])
def test_a_case_that_records_nothing_before_an_error_fails_as_vacuous(monkeypatch, subject):
    records = _records(["refgrad", "torch:cpu"], _only_for_this_test(monkeypatch, _raises_before_recording))
    record = records[("harness_checks/_raises_before_recording-float32", subject)]
    assert record["outcome"] == "failed"
    assert record["reason"].startswith("vacuous: RuntimeError: element 0 of tensors does not require grad")


def test_a_declared_error_is_what_the_case_compares(monkeypatch):
    cases = _only_for_this_test(monkeypatch, _raises_before_recording, expects_error=True)
    records = _records(["refgrad", "torch:cpu"], cases)
    assert records[("harness_checks/_raises_before_recording-float32", "refgrad")]["outcome"] == "passed"


def test_an_error_after_observations_is_compared(monkeypatch):
    def records_then_raises(torch, rec):
        rec("x", torch.ones(2))
        torch.ones(2).sum().backward()
    records = _records(["refgrad", "torch:cpu"], _only_for_this_test(monkeypatch, records_then_raises))
    assert records[("harness_checks/records_then_raises-float32", "refgrad")]["outcome"] == "passed"


@pytest.mark.parametrize("subject", ["refgrad", "torch:cpu"])
def test_a_scenario_that_breaks_on_its_own_code_fails(monkeypatch, subject):
    """Both engines raising the same UnboundLocalError after some observations is the scenario's bug, not
    conformance: what it was written to check after that point was never checked."""
    def uses_a_name_before_assigning_it(torch, rec):
        rec("x", torch.ones(2))
        rec("y", torch.ones(2) * later)  # noqa: F821
        later = 2  # noqa: F841
    records = _records(["refgrad", "torch:cpu"], _only_for_this_test(monkeypatch, uses_a_name_before_assigning_it))
    record = records[("harness_checks/uses_a_name_before_assigning_it-float32", subject)]
    assert record["outcome"] == "failed"
    assert record["reason"].startswith("the scenario's own code raised UnboundLocalError")


def test_a_scenario_that_imports_real_torch_fails_on_refgrad(monkeypatch):
    """`from torch.nn import functional` inside a scenario takes real torch under every subject: the case would
    compare torch with itself, so recording another engine's tensor fails it."""
    def imports_torch(torch, rec):
        import torch as imported
        rec("x", imported.ones(2) * 2)
    records = _records(["refgrad", "torch:cpu"], _only_for_this_test(monkeypatch, imports_torch))
    record = records[("harness_checks/imports_torch-float32", "refgrad")]
    assert record["outcome"] == "failed" and "recorded a torch tensor while running on refgrad" in str(record["diffs"])
    assert records[("harness_checks/imports_torch-float32", "torch:cpu")]["outcome"] == "passed"


def test_a_difference_is_reported_as_such_even_when_the_subject_recorded_nothing(monkeypatch):
    def only_refgrad_raises(torch, rec):
        if torch.__name__ == "refgrad":
            raise RuntimeError("refgrad only")
        rec("x", torch.ones(2))
    records = _records(["refgrad", "torch:cpu"], _only_for_this_test(monkeypatch, only_refgrad_raises))
    record = records[("harness_checks/only_refgrad_raises-float32", "refgrad")]
    assert record["outcome"] == "failed" and not (record["reason"] or "").startswith("vacuous")
    assert {d["field"] for d in record["diffs"]} == {"x", "<raised>"}


def test_rec_skip_makes_the_case_skipped_not_passed(monkeypatch):
    def needs_a_gpu(torch, rec):
        rec.skip("needs a GPU subject")
    records = _records(["refgrad", "torch:cpu"], _only_for_this_test(monkeypatch, needs_a_gpu))
    for subject in ("refgrad", "torch:cpu"):
        record = records[("harness_checks/needs_a_gpu-float32", subject)]
        assert record["outcome"] == "skipped" and "needs a GPU subject" in record["reason"]


def test_a_case_that_records_nothing_fails_as_vacuous(monkeypatch):
    def records_nothing(torch, rec):
        torch.ones(2) * 2
    records = _records(["refgrad", "torch:cpu"], _only_for_this_test(monkeypatch, records_nothing))
    record = records[("harness_checks/records_nothing-float32", "refgrad")]
    assert (record["outcome"], record["reason"]) == ("failed", "vacuous: the scenario recorded nothing, so nothing "
                                                               "was compared")


def test_workers_pin_torch_and_blas_threads():
    """What each worker process does first: one torch thread, one BLAS thread (threadpoolctl)."""
    import subprocess
    import sys
    code = ("import numpy, torch; from threadpoolctl import threadpool_info; from conformance.runner import "
            "pin_threads; pin_threads(1); print(torch.get_num_threads(), sorted({i['num_threads'] for i in "
            "threadpool_info() if i['user_api'] == 'blas'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split(maxsplit=1) == ["1", "[1]\n"]


def test_observations_do_not_go_through_the_subjects_own_ops(monkeypatch):
    """A broken detach (or cpu, or to) shows in the cases that use it, not in every observed tensor."""
    import refgrad
    from conformance.observe import observe
    t = refgrad.tensor([True, False])
    for method in ("detach", "cpu", "to", "float"):
        monkeypatch.setattr(refgrad.Tensor, method, lambda self, *a, **k: refgrad.zeros(2))
    obs = observe(t)
    assert (obs["dtype"], obs["values"]) == ("torch.bool", [True, False])


def test_an_infinity_conforms_only_to_itself():
    """rtol times an infinite expected value must not excuse the other infinity or a finite value."""
    import refgrad
    import torch
    from conformance.compare import diff
    from conformance.observe import observe
    inf = float("inf")
    for expected, actual in ((-inf, inf), (inf, 1e30), (inf, float("nan")), (1e30, inf)):
        fields = [d["field"] for d in diff(observe(torch.tensor([expected, 1.0])), observe(refgrad.tensor([actual, 1.0])))]
        assert fields[0] == "values", (expected, actual, fields)
    assert diff(observe(torch.tensor([-inf, inf])), observe(refgrad.tensor([-inf, inf]))) == []


def test_size_and_device_are_observed_as_they_are():
    import refgrad
    from conformance.compare import diff
    from conformance.observe import observe
    assert observe(refgrad.Size([2, 3])) == {"kind": "size", "value": [2, 3]}
    assert diff(observe(refgrad.Size([2, 3])), observe((2, 3)))  # a tuple is not a Size
    assert observe(refgrad.ones(1, device="cuda"))["device"] == "cuda:0"


def test_a_case_time_limit_runs_from_when_the_worker_takes_it_up(monkeypatch):
    """A worker's start (Python and torch imported, seconds under load) is not charged to its first case, which
    gets its whole limit; a worker that does not start in time is a timeout that says so."""
    cases = select_cases(["accumulation/zero_then_sum"])
    monkeypatch.setattr(runner, "STARTUP_LIMIT", 0.001)
    record = _records(["refgrad"], cases, workers=1, timeout=60)[("accumulation/zero_then_sum-float32", "refgrad")]
    assert record["outcome"] == "timeout"
    assert record["reason"] == "the worker did not start the case within 0.001 s"
    monkeypatch.setattr(runner, "STARTUP_LIMIT", 300.0)
    monkeypatch.setattr(runner, "KILL_GRACE", 0.0)
    record = _records(["refgrad"], cases, workers=1, timeout=1.0)[("accumulation/zero_then_sum-float32", "refgrad")]
    assert record["outcome"] == "passed"  # the fresh worker's imports (seconds under load) are not counted


def _worker_pid(tag, crash, subject):
    if crash:
        os._exit(3)
    return os.getpid()


def test_pinned_pool_keeps_a_process_per_subject_and_replaces_all_together():
    """The fuzzer pins each subject to its own worker; when one dies, every worker is replaced, so that
    per-process state (warn-once warnings) stays alike across subjects."""
    with runner.WorkerPool(2) as pool:
        def pids(crash=False):
            tasks = [("a", False, "refgrad"), ("b", crash, "refgrad")]
            out = pool.run(tasks, 60, run_task=_worker_pid, pinned=True)
            return [out[t] for t in tasks]
        first, second = pids(), pids()
        assert first == second and first[0] != first[1]
        crashed = pids(crash=True)
        assert crashed[0] == first[0] and crashed[1]["status"] == "crashed"
        after = pids()
        assert not set(after) & set(first)


def test_messages_drop_build_paths():
    from conformance.observe import normalize_message
    assert normalize_message("bad (Triggered internally at /__w/a/b.cpp:12.)") == "bad"
    assert normalize_message("unflatten failed:\nDim 0\nException raised from f at /x.cpp:1 (most recent call "
                             "first):\nframe #0: g") == "unflatten failed:\nDim 0"


@pytest.mark.parametrize("expected, actual, conforms", [
    ("tensor([5.9605e-08, 5.9605e-08])", "tensor([0., 0.])", True),  # a last-bit value flips the notation
    ("tensor([[1., nan],\n        [1., 1.]])", "tensor([[1.0000,    nan],\n        [1.0000, 1.0000]])", True),
    ("tensor([1., 2.])", "tensor([1., 2.], grad_fn=<AddBackward0>)", False),  # a suffix always counts
    ("tensor([1., 2.,\n        3.])", "tensor([1., 2., 3.])", False),  # line breaks count in one notation
    ("tensor([1., inf])", "tensor([1., nan])", False),
], ids=["notation", "padding", "suffix", "wrapping", "nan"])
def test_reprs_of_values_within_tolerance(expected, actual, conforms):
    """Where the values differ within tolerance, a repr's numbers and padding are masked; where the values are
    identical, the repr is compared byte for byte."""
    from conformance.compare import _same_print
    assert _same_print(expected, actual, identical=False) is conforms
    assert _same_print(expected, actual, identical=True) is False
