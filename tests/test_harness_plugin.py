"""The pytest plugin: test ids, device skips, --require-device, reports, known divergences, xdist."""
import json
from pathlib import Path

import pytest
import torch  # imported before pytester snapshots sys.modules: torch cannot be imported twice in one process

pytest_plugins = ["pytester"]

SUITE = "test_suite.py"


@pytest.fixture
def suite(pytester):
    """A project that runs the packaged conformance test through the plugin (loaded from the entry point)."""
    pytester.makepyfile(**{SUITE[:-3]: "from conformance.test_conformance import test_conformance\n"})
    return pytester


def _run(pytester, *args):
    return pytester.runpytest_subprocess(SUITE, "-p", "no:cacheprovider", "-p", "no:benchmark", *args)


def test_ids_read_area_scenario_subject_dtype(suite):
    result = _run(suite, "--collect-only", "-q", "--subjects", "refgrad,torch", "--devices", "cpu,cuda",
                  "-k", "zero_then_sum or two_paths")
    ids = [line.split("::")[1] for line in result.outlines if "::" in line]
    assert ids == [
        "test_conformance[accumulation/two_paths_add_up-refgrad-float32]",
        "test_conformance[accumulation/two_paths_add_up-torch:cpu-float32]",
        "test_conformance[accumulation/two_paths_add_up-torch:cuda-float32]",
        "test_conformance[accumulation/two_paths_add_up-refgrad-float64]",
        "test_conformance[accumulation/two_paths_add_up-torch:cpu-float64]",
        "test_conformance[accumulation/two_paths_add_up-torch:cuda-float64]",
        "test_conformance[accumulation/zero_then_sum-refgrad-float32]",
        "test_conformance[accumulation/zero_then_sum-torch:cpu-float32]",
        "test_conformance[accumulation/zero_then_sum-torch:cuda-float32]",
    ]


def _no_gpu():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")


def test_cuda_cases_skip_with_a_reason_and_fail_when_required(suite):
    _no_gpu()
    result = _run(suite, "-rs", "-k", "zero_then_sum", "--subjects", "refgrad,torch")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * no CUDA device available"])
    result = _run(suite, "-k", "zero_then_sum", "--subjects", "refgrad,torch", "--require-device", "cuda")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*required device cuda unavailable: no CUDA device available*"])


def test_report_directory_and_matrix(suite, tmp_path):
    from conformance.scenarios import select_cases
    n = len(select_cases(["detach/"]))  # the area's cases, on two subjects
    result = _run(suite, "-k", "detach/", "--subjects", "refgrad,torch:cpu", "--conformance-report", str(tmp_path))
    result.assert_outcomes(passed=2 * n)
    result.stdout.fnmatch_lines(["*conformance matrix*", f"detach*{n} passed*{n} passed*"])
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["conforms"] and len(report["records"]) == 2 * n
    assert (tmp_path / "report.html").exists() and (tmp_path / "report.md").exists()


def test_known_divergences_become_xfail_and_stale_entries_fail(suite, tmp_path):
    manifest = tmp_path / "known.toml"
    manifest.write_text('[[divergence]]\ncase = "detach/detach_inplace-*"\nsubject = "refgrad"\nreason = "r"\n'
                        'strict = false\n\n[[divergence]]\ncase = "nothing/here-*"\nreason = "stale"\n')
    result = _run(suite, "-k", "detach_inplace", "--subjects", "refgrad", "--known-divergences", str(manifest),
                  "--conformance-report", str(tmp_path))
    result.assert_outcomes(xpassed=1)
    assert "stale known divergence: nothing/here-* [*] matches no case" in result.stdout.str()
    assert result.ret == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["records"][0]["outcome"] == "xpassed"
    assert report["known_divergences"]["stale"][0]["case"] == "nothing/here-*"


def test_failure_names_field_under_xdist(suite, tmp_path):
    """A broken engine, loaded through the plugin point in every xdist worker, fails with the field named."""
    suite.makepyfile(broken_engine="""
import refgrad

class _Broken:
    def __getattr__(self, name):
        return getattr(refgrad, name)

    def dot(self, a, b):
        return refgrad.dot(a, b) * 1.01

engine = _Broken()
""")
    suite.syspathinsert()
    result = _run(suite, "-n", "2", "-k", "zero_then_sum", "--subjects", "broken_engine:engine",
                  "--conformance-report", str(tmp_path))
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    for line in ("FAILED accumulation/zero_then_sum-float32 [broken_engine:engine@cpu]", "field y.values:",
                 "Mismatched elements: 1 / 1 (100.0%)", "replay: python -m conformance replay "
                 "accumulation/zero_then_sum-float32 --subject broken_engine:engine@cpu"):
        assert line in out
    records = json.loads((tmp_path / "report.json").read_text())["records"]
    assert [(r["subject"], r["outcome"]) for r in records] == [("broken_engine:engine@cpu", "failed")]


def test_bad_subject_is_a_usage_error(suite):
    result = _run(suite, "--subjects", "nonsense")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown subject 'nonsense'*"])


def test_a_crashed_worker_loses_only_its_own_case(suite, tmp_path):
    suite.makepyfile(faulty_engines=(Path(__file__).parent / "faulty_engines.py").read_text())
    result = _run(suite, "-n", "2", "-k", "zero_then_sum or detach_inplace", "--subjects",
                  "faulty_engines:crashing,refgrad", "--conformance-report", str(tmp_path))
    result.assert_outcomes(passed=2, failed=2)
    records = json.loads((tmp_path / "report.json").read_text())["records"]
    outcomes = sorted((r["case"], r["subject"], r["outcome"]) for r in records)
    assert outcomes == [
        ("accumulation/zero_then_sum-float32", "faulty_engines:crashing@cpu", "crashed"),
        ("accumulation/zero_then_sum-float32", "refgrad", "passed"),
        ("detach/detach_inplace-float32", "faulty_engines:crashing@cpu", "crashed"),
        ("detach/detach_inplace-float32", "refgrad", "passed"),
    ]


@pytest.mark.parametrize("value", ["0", "-5", "inf"])
def test_a_time_limit_must_be_finite_and_positive(suite, value):
    """As for the CLI's --timeout (0 used to mean "no limit" here, and -5 errored every case)."""
    result = _run(suite, "--collect-only", "-q", "--conformance-timeout", value, "-k", "zero_then_sum")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"expected a finite number of seconds above 0, got {value}" in result.stderr.str()
