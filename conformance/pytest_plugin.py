"""The pytest plugin (entry point `pytest11`): one test per case and subject.

    pytest --pyargs conformance -n auto --subjects refgrad,torch --devices cpu,cuda \\
        --conformance-report out/ --known-divergences known.toml

Test ids read `test_conformance[accumulation/zero_then_sum-torch:cuda-float32]`. Cases of one GPU
share an xdist group, and when a GPU is used `-n` switches xdist to `--dist loadgroup`, so one worker
owns each GPU;
with several visible GPUs (CUDA_VISIBLE_DEVICES decides) `cuda` expands to `cuda:0`, `cuda:1`, ...
Records travel to the controller in `user_properties`, so a crashed worker loses only its own case.
"""
import json
import os

import pytest

from .manifest import FAILING, apply_manifest, default_manifest, find, load_manifest
from .report import build_report, format_failure, format_matrix, run_metadata, write_reports
from .runner import DEFAULT_TIMEOUT, pin_threads, positive_seconds, record_of, require_devices, subject_result
from .scenarios import Case, all_cases
from .subjects import comparisons, expand_subjects, parse_subject

_PROPERTY = "conformance_record"


def pytest_addoption(parser):
    group = parser.getgroup("conformance", "autograd conformance against PyTorch")
    group.addoption("--subjects", default="refgrad,torch",
                    help="comma-separated subjects; one without a device runs on each of --devices (default: %(default)s)")
    group.addoption("--devices", default="cpu,cuda", help="devices for subjects named without one (default: %(default)s)")
    group.addoption("--reference", default=None, help="also compare every subject with this one (e.g. golden:FILE)")
    group.addoption("--require-device", action="append", default=[], metavar="TYPE",
                    help="fail, instead of skipping, the cases of this device type when it is unavailable")
    group.addoption("--conformance-report", metavar="DIR", default=None,
                    help="write report.json, report.md and report.html here")
    group.addoption("--known-divergences", metavar="FILE", default=None,
                    help="TOML manifest of accepted divergences (default: known-divergences.toml in the rootdir "
                         "when it exists; 'none' for no manifest)")
    group.addoption("--conformance-timeout", type=positive_seconds, default=DEFAULT_TIMEOUT,
                    help="seconds one case may take on one subject (default: %(default)s)")
    group.addoption("--conformance-fuzz", type=int, default=0, metavar="PROGRAMS",
                    help="also fuzz: test_fuzz runs this many random programs per search on the subjects "
                         "(python -m conformance fuzz)")
    group.addoption("--conformance-fuzz-seed", type=int, default=0, help="the fuzz searches' seed (default: 0)")
    group.addoption("--conformance-fuzz-searches", type=int, default=1,
                    help="independent fuzz searches (seeds seed, seed+1, ...), one test each, so xdist spreads them")


def pytest_configure(config):
    config.addinivalue_line("markers", "conformance: a refgrad conformance case")
    config._conformance = _State(config)
    config.pluginmanager.register(config._conformance, "conformance-state")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pin_threads(1)  # one core per worker: cases cost the same whatever runs beside them
    if getattr(config.option, "dist", None) == "load" and config._conformance.runs_on_a_gpu():
        # keep each GPU's cases on one worker. Only then: xdist's group scheduling re-sends a case whose
        # worker crashed, so plain load scheduling isolates crashes better where no GPU is involved.
        config.option.dist = "loadgroup"


class _State:
    """Options, the records gathered on the controller, and the report written at the end."""

    def __init__(self, config):
        opt = config.option
        self.config = config
        self.subjects = None
        if opt.known_divergences is None:
            opt.known_divergences = default_manifest(str(config.rootpath))
        elif opt.known_divergences == "none":
            opt.known_divergences = None
        try:
            self.entries = load_manifest(opt.known_divergences) if opt.known_divergences else []
            for name in _csv(opt.subjects) + ([opt.reference] if opt.reference else []):
                parse_subject(name)  # a bad name is a usage error now, not at collection
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        self.records = {}
        self.reference_cache = {}
        self.summary = {"stale": [], "unexpected_passes": []}
        self.report_paths = None

    def subject_names(self):
        if self.subjects is None:
            opt = self.config.option
            try:
                self.subjects = expand_subjects(_csv(opt.subjects), _csv(opt.devices))
                if opt.reference:
                    parse_subject(opt.reference)
            except ValueError as exc:
                raise pytest.UsageError(str(exc)) from None
        return self.subjects

    def runs_on_a_gpu(self):
        """Whether a subject of this run is on a CUDA device that is present."""
        devices = {parse_subject(n).device for n in self.subject_names()}
        return any(d.startswith("cuda") and not parse_subject(f"torch:{d}").unavailable() for d in devices)

    def pytest_runtest_logreport(self, report):
        if "test_conformance[" not in report.nodeid or hasattr(self.config, "workerinput"):
            return
        record = next((json.loads(v) for k, v in report.user_properties if k == _PROPERTY), None)
        if record is not None and report.when == "call":
            if hasattr(report, "wasxfail"):
                record["outcome"] = "xpassed" if report.passed else "xfailed"
            self.records[report.nodeid] = record
        elif record is None and report.failed and report.nodeid not in self.records:
            self.records[report.nodeid] = _crashed_record(report)

    def pytest_sessionfinish(self, session):
        if hasattr(self.config, "workerinput") or not (self.records or self.entries):
            return
        records = [self.records[k] for k in sorted(self.records)]
        self.summary = apply_manifest([], self.entries, [c.id for c in all_cases()])
        self.summary["unexpected_passes"] = [
            {"case": r["case"], "subject": r["subject"], "strict": find(self.entries, r["case"], r["subject"]).strict}
            for r in records if r["outcome"] == "xpassed"]
        if any(s["strict"] for s in self.summary["stale"]):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        directory = self.config.option.conformance_report
        if directory:
            meta = run_metadata(self.subject_names(), runner="pytest",
                                workers=os.environ.get("PYTEST_XDIST_WORKER_COUNT"),
                                known_divergences=self.config.option.known_divergences)
            self.report_paths = write_reports(build_report(records, meta, self.summary), directory)

    def pytest_terminal_summary(self, terminalreporter):
        if hasattr(self.config, "workerinput") or not (self.records or self.summary["stale"]):
            return
        records = list(self.records.values())
        terminalreporter.section("conformance matrix")
        shown = [s for s in self.subject_names() if any(r["subject"] == s for r in records)]
        terminalreporter.write_line(format_matrix(records, shown))
        for s in self.summary["stale"]:
            terminalreporter.write_line(f"stale known divergence: {s['case']} [{s['subject']}] matches no case")
        if self.report_paths:
            terminalreporter.write_line("reports: " + ", ".join(self.report_paths.values()))
        failing = sum(r["outcome"] in FAILING for r in records)
        if failing:
            terminalreporter.write_line(f"{failing} conformance results do not conform; each failure above "
                                        "ends with the command that replays it")


def _csv(text):
    return [s.strip() for s in text.split(",") if s.strip()]


def pytest_generate_tests(metafunc):
    if "conformance_fuzz" in metafunc.fixturenames:
        n = metafunc.config.option.conformance_fuzz_searches if metafunc.config.option.conformance_fuzz else 0
        seed = metafunc.config.option.conformance_fuzz_seed
        metafunc.parametrize("conformance_fuzz", [seed + i for i in range(n)], indirect=True,
                             ids=[f"seed-{seed + i}" for i in range(n)])
    if "conformance_case" not in metafunc.fixturenames:
        return
    state = metafunc.config._conformance
    params = []
    for case in all_cases():
        for name in state.subject_names():
            subject = parse_subject(name)
            marks = [pytest.mark.conformance]
            if subject.device_type != "cpu":
                marks.append(pytest.mark.xdist_group(subject.device))
            entry = find(state.entries, case.id, name)
            if entry is not None:
                marks.append(pytest.mark.xfail(reason=entry.describe(), strict=entry.strict))
            params.append(pytest.param((case.scenario_id, case.dtype, name), marks=marks,
                                       id=f"{case.scenario_id}-{name}-{case.dtype}"))
    metafunc.parametrize("conformance_case", params, indirect=True)


@pytest.fixture
def conformance_case(request):
    return _Check(request)


def pytest_collection_modifyitems(config, items):
    """Without --conformance-fuzz, test_fuzz is left out (not skipped: it was not asked for)."""
    if config.option.conformance_fuzz:
        return
    fuzz = [item for item in items if item.originalname == "test_fuzz" and "conformance_fuzz" in item.fixturenames]
    if fuzz:
        config.hook.pytest_deselected(items=fuzz)
        items[:] = [item for item in items if item not in fuzz]


@pytest.fixture
def conformance_fuzz(request):
    return _Fuzz(request)


class _Fuzz:
    def __init__(self, request):
        self.request, self.seed = request, request.param

    def check(self):
        """Runs one fuzz search on the subjects; fails with each new difference and its repro."""
        from .fuzz import Differential, Search, build_fuzz_report
        from .fuzz.output import write_fuzz_reports
        config = self.request.config
        opt, state = config.option, config._conformance
        differential = Differential(state.subject_names(), reference=opt.reference, timeout=opt.conformance_timeout)
        try:
            search = Search(differential, state.entries, seed=self.seed, max_examples=opt.conformance_fuzz).run()
        finally:
            differential.close()
        report = build_fuzz_report([search], state.subject_names(), self.seed, 0.0)
        if opt.conformance_report:
            write_fuzz_reports(report, os.path.join(opt.conformance_report, f"fuzz-{self.seed}"))
        if report["findings"]:
            pytest.fail("\n\n".join(_describe(f) for f in report["findings"]), pytrace=False)


def _describe(finding):
    from .compare import format_diff
    return "\n".join([f"{finding['signature']} ({finding['subject']} vs {finding['against']}):",
                      *("    " + line for line in finding["program"]),
                      format_diff(finding["diff"], subject=finding["subject"], reference=finding["against"])])


class _Check:
    def __init__(self, request):
        self.request = request
        self.scenario_id, self.dtype, self.subject = request.param

    def check(self):
        """Runs the case on the subject and what it is compared with; fails with the diff, skips with the reason."""
        config = self.request.config
        state, opt = config._conformance, config.option
        case, subject = Case(self.scenario_id, self.dtype), parse_subject(self.subject)
        others = [parse_subject(n) for n in comparisons(subject, opt.reference)]
        record = record_of(case, subject, self._result(case, subject, opt, state),
                           [(o, self._result(case, o, opt, state)) for o in others])
        require_devices(record, opt.require_device)
        self.request.node.user_properties.append((_PROPERTY, json.dumps(record)))
        if record["outcome"] == "skipped":
            pytest.skip(record["reason"])
        if record["outcome"] != "passed":
            pytest.fail(format_failure(record), pytrace=False)

    @staticmethod
    def _result(case, subject, opt, state):
        if subject.engine != "torch":
            return subject_result(case, subject, opt.conformance_timeout)
        key = (case.id, subject.name)  # references are asked for by several subjects: run them once
        if key not in state.reference_cache:
            state.reference_cache[key] = subject_result(case, subject, opt.conformance_timeout)
        return state.reference_cache[key]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "call":
        report.user_properties = list(item.user_properties)


def _crashed_record(report):
    """A record for a case whose test failed without one (e.g. its xdist worker died running it)."""
    param = report.nodeid.split("[", 1)[1].rsplit("]", 1)[0]
    scenario_id, _, rest = param.partition("-")
    subject, _, dtype = rest.rpartition("-")
    text = str(report.longrepr).strip()
    own = {"status": "crashed" if "crashed" in text else "error",
           "reason": text.splitlines()[-1] if text else "failed before the case ran"}
    return record_of(Case(scenario_id, dtype), parse_subject(subject), own, [])
