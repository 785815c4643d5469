"""python -m conformance: matrix, exit codes, reports, manifest, golden files and replay."""
import json
import os

import pytest

from conformance.__main__ import main


def _run(capsys, *argv):
    """main(argv) in this process; a gate run's cases too (-n 0), so that a test's monkeypatch reaches them,
    unless the test passes -n itself."""
    if argv[:1] not in (("replay",), ("list",)) and "-n" not in argv:
        argv = ("-n", "0") + argv
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _matrix(out):
    """The matrix's rows, split into words, from its header line on."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("area "))
    return [line.split() for line in lines[start:] if line.strip()]


def _count_cases(capsys, selection):
    code, out, _ = _run(capsys, "list", "-k", selection)
    assert code == 0
    return len(out.split())


def test_conforming_run_prints_the_matrix_and_writes_reports(capsys, tmp_path):
    n = str(_count_cases(capsys, "detach/"))
    code, out, _ = _run(capsys, "--subjects", "refgrad,torch:cpu", "-k", "detach/", "--report", str(tmp_path))
    assert code == 0
    assert _matrix(out)[:2] == [["area", "refgrad", "torch:cpu"], ["detach", n, "passed", n, "passed"]]
    assert "conforms" in out.splitlines()[-1]
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["schema"], report["version"]) == ("refgrad-conformance-report", 1)
    assert report["summary"]["conforms"] is True
    assert report["run"]["versions"]["torch"] and report["run"]["versions"]["refgrad"]
    assert {r["outcome"] for r in report["records"]} == {"passed"}
    assert "# Conformance: conforms" in (tmp_path / "report.md").read_text()
    page = (tmp_path / "report.html").read_text()
    assert '<h1 class="ok">Conformance: conforms</h1>' in page and "<p>No failures.</p>" in page
    assert "Why the gate fails" not in page


def test_failing_run_exits_1_with_diff_and_replay(capsys, tmp_path, monkeypatch):
    from refgrad import derivatives
    monkeypatch.setattr(derivatives.EXP, "backward", (lambda grad, result: grad * result * 1.5,))
    code, out, _ = _run(capsys, "--subjects", "refgrad", "-k", "accumulation/two_paths", "--report", str(tmp_path))
    assert code == 1
    assert "FAILED accumulation/two_paths_add_up-float32 [refgrad]" in out
    assert "field grad.values:" in out and "Mismatched elements: 6 / 6 (100.0%)" in out
    assert "replay: python -m conformance replay accumulation/two_paths_add_up-float32 --subject refgrad" in out
    page = (tmp_path / "report.html").read_text()
    assert '<h1 class="bad">Conformance: DOES NOT CONFORM</h1>' in page
    assert "<li>2 results failed (see Failures)</li>" in page
    failures = page[page.index("<h2>Failures</h2>"):page.index("<h2>All results</h2>")]
    assert failures.count("<details open") == 2 and "field grad.values:" in failures
    md = (tmp_path / "report.md").read_text()
    assert "DOES NOT CONFORM" in md and "### `accumulation/two_paths_add_up-float32` [refgrad]: failed" in md


@pytest.mark.parametrize("argv, message", [
    (["--subjects", "refgrad,nonsense"], "error: unknown subject 'nonsense'"),
    (["-n", "two"], "error: argument -n: expected a whole number, got 'two'"),
    (["--timeout", "0"], "error: argument --timeout: expected a finite number of seconds above 0, got 0"),
    (["-k", "no/such/case"], "error: no case matches ['no/such/case']"),
    (["--known-divergences", "/no/such/file.toml"], "error: cannot read known-divergences file /no/such/file.toml"),
    (["replay", "no/such-float32"], "error: unknown case 'no/such-float32'"),
    (["--bogus"], "error: unrecognized arguments: --bogus"),
])
def test_usage_errors_exit_2_with_one_line(capsys, argv, message):
    code, out, err = _run(capsys, *argv, "--no-report") if argv[0] != "replay" else _run(capsys, *argv)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1


def _manifest(tmp_path, text):
    path = tmp_path / "known.toml"
    path.write_text(text)
    return str(path)


def test_known_divergence_turns_failure_into_xfail(capsys, tmp_path, monkeypatch):
    from refgrad.autograd import graph
    monkeypatch.setattr(graph, "FREED_MESSAGE", "the graph is gone")
    manifest = _manifest(tmp_path, '[[divergence]]\ncase = "retain_graph/second_backward_*"\nsubject = "refgrad"\n'
                                   'reason = "message not ported yet"\n')
    code, out, _ = _run(capsys, "--subjects", "refgrad", "-k", "retain_graph/second_backward",
                        "--known-divergences", manifest, "--report", str(tmp_path))
    assert code == 0
    assert "1 xfailed" in out
    record = json.loads((tmp_path / "report.json").read_text())["records"][0]
    assert record["outcome"] == "xfailed" and record["known_divergence"]["reason"] == "message not ported yet"


def test_unexpected_pass_and_stale_entry_fail_the_gate(capsys, tmp_path):
    manifest = _manifest(tmp_path, '[[divergence]]\ncase = "detach/detach_inplace-*"\nreason = "was broken"\n\n'
                                   '[[divergence]]\ncase = "detach/renamed_scenario-*"\nreason = "typo"\n')
    code, out, _ = _run(capsys, "--subjects", "refgrad", "-k", "detach/", "--known-divergences", manifest,
                        "--no-report")
    assert code == 1
    assert "unexpected pass: detach/detach_inplace-float32 [refgrad] is listed as a known divergence" in out
    assert "stale known divergence: detach/renamed_scenario-* [*] matches no case" in out


def test_non_strict_unexpected_pass_is_reported_only(capsys, tmp_path):
    manifest = _manifest(tmp_path, '[[divergence]]\ncase = "detach/detach_inplace-*"\nreason = "flaky"\n'
                                   'strict = false\n')
    code, out, _ = _run(capsys, "--subjects", "refgrad", "-k", "detach/", "--known-divergences", manifest,
                        "--no-report")
    assert code == 0 and "unexpected pass" in out


@pytest.mark.parametrize("text, message", [
    ("[[divergence]]\ncase = 'a/*'\n", "divergence #1 needs a non-empty string 'reason'"),
    ("[[divergence]]\ncase = 'a/*'\nreason = 'r'\ncolour = 'red'\n", "divergence #1 has unknown key(s) ['colour']"),
    ("[[divergence]\n", "is not valid TOML"),
    ("[[divergence]]\ncase = 'a/*'\nreason = 'r'\nstrict = 'yes'\n", "'strict' must be true or false"),
])
def test_malformed_manifest_is_a_usage_error(capsys, tmp_path, text, message):
    code, _, err = _run(capsys, "--known-divergences", _manifest(tmp_path, text), "--no-report")
    assert code == 2 and message in err


def test_record_then_check_refgrad_against_the_golden_file(capsys, tmp_path):
    golden = tmp_path / "torch-cpu.json"
    code, out, _ = _run(capsys, "--subjects", "torch:cpu", "-k", "hooks/", "--record", str(golden), "--no-report")
    assert code == 0 and "recorded" in out
    code, out, _ = _run(capsys, "--subjects", "refgrad", "--devices", "cpu", "--reference", f"golden:{golden}",
                        "-k", "hooks/", "--no-report")
    assert code == 0
    code, out, _ = _run(capsys, "--subjects", f"golden:{golden},torch:cpu", "-k", "hooks/", "--no-report")
    assert code == 0 and _matrix(out)[0] == ["area", f"golden:{golden}", "torch:cpu"]


def test_replay_shows_observations_side_by_side(capsys, monkeypatch):
    code, out, _ = _run(capsys, "replay", "accumulation/zero_then_sum-float32", "--subject", "refgrad")
    assert code == 0
    assert "    refgrad    [0.0, 4.0, 8.0, 12.0]  (torch.float32, shape=[4], cpu)" in out
    assert "    torch:cpu  [0.0, 4.0, 8.0, 12.0]  (torch.float32, shape=[4], cpu)" in out
    assert "refgrad vs torch:cpu: conforms" in out
    monkeypatch.setattr(type((__import__("refgrad").ones(1, requires_grad=True) * 2).grad_fn), "name",
                        lambda self: "Mul")
    code, out, _ = _run(capsys, "replay", "accumulation/zero_then_sum-refgrad-float32", "--in-process")
    assert code == 1
    assert "≠ y" in out and "refgrad vs torch:cpu: 1 differing fields" in out and "field y.grad_fn:" in out


def test_parallel_run_matches_in_process_run(capsys, monkeypatch):
    monkeypatch.chdir(os.path.join(os.path.dirname(__file__), ".."))  # where known-divergences.toml is
    code, out, _ = _run(capsys, "--subjects", "refgrad,torch:cpu", "-k", "ops_linalg/einsum*", "-n", "2",
                        "--no-report")
    assert code == 0 and _matrix(out)[1] == ["ops_linalg", "2", "passed,", "2", "xfailed", "4", "passed"]
    assert "known divergences: ./known-divergences.toml (" in out


def test_list_shows_case_ids(capsys):
    code, out, _ = _run(capsys, "list")
    assert code == 0 and "accumulation/zero_then_sum-float32" in out.splitlines()


@pytest.mark.parametrize("argv, why", [
    (["--subjects", "torch:cpuu"], "subject torch:cpuu could not be used: torch cannot use device 'cpuu'"),
    (["--subjects", "golden:/no/such/file.json"], "subject golden:/no/such/file.json could not be used: cannot read"),
    (["--subjects", "refgrad", "--reference", "golden:/no/such/typo.json"],
     "subject golden:/no/such/typo.json could not be used: cannot read"),
], ids=["unknown-device", "missing-golden-file", "missing-reference-file"])
def test_a_subject_that_cannot_be_used_fails_the_gate(capsys, tmp_path, argv, why):
    code, out, _ = _run(capsys, *argv, "-k", "accumulation/zero_then", "--report", str(tmp_path))
    assert code == 1
    assert f"not checked: {why}" in out
    assert "DOES NOT CONFORM" in out.splitlines()[-1]
    summary = json.loads((tmp_path / "report.json").read_text())["summary"]
    assert summary["conforms"] is False and any(why in f for f in summary["gate_failures"])


def test_without_torch_nothing_is_compared_and_the_gate_fails(capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # `import torch` now raises ImportError
    code, out, _ = _run(capsys, "-k", "accumulation/zero_then", "--no-report")
    assert code == 1
    assert "not checked: subject torch:cpu could not be used: torch is not installed" in out
    assert "not checked: no case was compared at all" in out


def test_allow_skips_accepts_a_run_that_checked_nothing(capsys):
    code, out, _ = _run(capsys, "--subjects", "torch:cpuu", "-k", "accumulation/zero_then", "--no-report",
                        "--allow-skips")
    assert code == 0 and "conforms" in out.splitlines()[-1]


def test_no_subjects_is_a_usage_error(capsys):
    code, _, err = _run(capsys, "--subjects", "", "--no-report")
    assert (code, err.strip()) == (2, "error: no subjects to check (--subjects is empty)")


def test_a_missing_gpu_only_skips_its_cells(capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, out, _ = _run(capsys, "-k", "accumulation/zero_then", "--no-report")
    assert code == 0 and "not checked" not in out
    assert _matrix(out)[1] == ["accumulation", "1", "passed", "1", "passed", "1", "skipped"]


def test_a_run_that_compared_nothing_does_not_conform(capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, out, _ = _run(capsys, "--subjects", "refgrad:cuda", "-k", "accumulation/zero_then", "--no-report")
    assert code == 1 and "not checked: no case was compared at all" in out


def test_cases_that_do_not_apply_to_any_subject_here_are_skipped_not_failed(capsys):
    """devices/* need a GPU subject: on CPU subjects they are skipped (rec.skip), and the run still conforms."""
    code, out, _ = _run(capsys, "--subjects", "refgrad,torch:cpu", "-k", "devices/", "--no-report")
    assert code == 0 and "not checked" not in out
    assert _matrix(out)[1][:2] == ["devices", "3"]  # 3 passed, 2 skipped on refgrad


@pytest.mark.parametrize("argv, message", [
    (["--timeout", "inf"], "argument --timeout: expected a finite number of seconds above 0, got inf"),
    (["--timeout", "nan"], "argument --timeout: expected a finite number of seconds above 0, got nan"),
    (["--timeout", "0"], "argument --timeout: expected a finite number of seconds above 0, got 0"),
    (["--report", "/proc/refgrad-nope"], "--report /proc/refgrad-nope: cannot write there"),
    (["--record", "/proc/refgrad-nope.json"], "--record /proc/refgrad-nope.json: cannot write there"),
    (["list", "--bogus"], "unrecognized arguments: --bogus"),
], ids=["timeout-inf", "timeout-nan", "timeout-0", "report-unwritable", "record-unwritable", "list-bogus"])
def test_bad_arguments_are_refused_before_any_case_runs(capsys, monkeypatch, argv, message):
    from conformance import runner
    monkeypatch.setattr(runner, "observe_task", lambda *a: pytest.fail("a case ran"))
    code, _, err = _run(capsys, *argv, "-k", "accumulation/zero_then")
    assert code == 2 and err.startswith(f"error: {message}")


def test_list_honours_k_and_help(capsys):
    code, out, _ = _run(capsys, "list", "-k", "detach/")
    assert code == 0 and out.split() and all(line.startswith("detach/") for line in out.split())
    with pytest.raises(SystemExit) as exit_:
        _run(capsys, "list", "--help")
    assert exit_.value.code == 0 and "usage: python -m conformance list" in capsys.readouterr().out


def test_ctrl_c_says_what_was_not_written_and_exits_130(capsys, monkeypatch):
    from conformance import __main__ as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
        yield
    monkeypatch.setattr(cli, "run", interrupted)
    code, out, err = _run(capsys, "-k", "accumulation/zero_then", "--no-report")
    assert code == 130
    assert err.strip() == "interrupted: the run stopped; no report or golden file was written"


def test_by_default_a_segfaulting_subject_costs_only_its_own_cases(capsys, monkeypatch):
    """No -n: the cases run in a worker process, so a crash is a CRASHED cell and the run goes on."""
    monkeypatch.syspath_prepend(os.path.dirname(__file__))
    code = main(["--subjects", "faulty_engines:segfaulting,refgrad", "-k", "accumulation/zero_then", "--no-report"])
    out = capsys.readouterr().out
    assert code == 1
    assert _matrix(out)[1] == ["accumulation", "1", "CRASHED", "1", "passed"]
    assert "reason: the worker running it died (signal SIGSEGV)" in out
    code, out, _ = _run(capsys, "replay", "accumulation/zero_then_sum-float32", "--subject", "faulty_engines:segfaulting")
    assert code == 1
    assert "faulty_engines:segfaulting@cpu  crashed: the worker running it died (signal SIGSEGV)" in out


def test_report_md_lists_what_was_not_checked_and_why_cells_were_skipped(capsys, tmp_path):
    _run(capsys, "--subjects", "torch:cpuu,refgrad", "-k", "accumulation/zero_then", "--report", str(tmp_path))
    md = (tmp_path / "report.md").read_text()
    assert "## Not checked\n\n- subject torch:cpuu could not be used: torch cannot use device 'cpuu'" in md
    assert "## Skipped\n\n- torch:cpuu: 1 case: torch cannot use device 'cpuu'" in md


def test_a_case_the_golden_file_lacks_fails_the_gate(capsys, tmp_path):
    """A golden file recorded for fewer cases than the run selects is not compared for the others: the gate says
    so and fails, unless --allow-skips."""
    golden = tmp_path / "hooks-only.json"
    code, _, _ = _run(capsys, "--subjects", "torch:cpu", "-k", "hooks/node_hooks", "--record", str(golden),
                      "--no-report")
    assert code == 0
    args = ("--subjects", "refgrad", "--devices", "cpu", "--reference", f"golden:{golden}", "-k", "hooks/",
            "--no-report")
    code, out, _ = _run(capsys, *args)
    assert code == 1
    lacking = _count_cases(capsys, "hooks/") - _count_cases(capsys, "hooks/node_hooks")
    assert f"{lacking} cells were not compared with golden:{golden}, which lacks them, e.g. hooks/" in out
    code, out, _ = _run(capsys, *args, "--allow-skips")
    assert code == 0


def test_html_report_puts_the_summary_and_failures_first_and_shows_reasons(capsys, tmp_path, monkeypatch):
    """The page a person opens: header table of versions and tolerance, the summary per area x subject with
    each cell coloured by its worst outcome, the failures open, then every result with its skip reason in the
    row and the filters for outcome, area, subject and text."""
    from refgrad import derivatives
    monkeypatch.setattr(derivatives.EXP, "backward", (lambda grad, result: grad * result * 1.5,))
    code, _, _ = _run(capsys, "--subjects", "refgrad,torch:cuda", "-k", "accumulation/*", "--allow-skips",
                      "--report", str(tmp_path))
    page = (tmp_path / "report.html").read_text()
    order = [page.index(h) for h in ('<table class="header">', "<h2>Summary", "<h2>Failures", "<h2>All results")]
    assert order == sorted(order)
    header = page[order[0]:order[1]]
    assert "<th>versions</th><td>refgrad " in header and "<th>tolerance</th><td>torch.testing.assert_close" in header
    assert '<td class="o-failed"><a href="#" data-area="accumulation" data-subject="refgrad">' in page
    assert '<td class="o-skipped"><a href="#" data-area="accumulation" data-subject="torch:cuda">' in page
    results = page[order[3]:]
    first_row = results[results.index("<tbody>"):].split("</tr>")[0]
    assert 'data-outcome="failed"' in first_row and "differs in " in first_row
    assert "<td>skipped</td><td>" in results and "CUDA" in results  # the reason in the row itself
    for control in ('id="f-outcome"', 'id="f-area"', 'id="f-subject"', 'id="f-text"'):
        assert control in page
