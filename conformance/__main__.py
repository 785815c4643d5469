"""The conformance gate: run every scenario on refgrad and torch, print the matrix, write the reports.

    python -m conformance [--subjects ...] [--devices ...] [-n N] [-k PATTERN] [--known-divergences FILE]
    python -m conformance replay CASE_ID --subject S [--in-process]
    python -m conformance list [-k PATTERN]
    python -m conformance fuzz [--subjects ...] [--seed N] [--max-examples N | --minutes M] [-n N] [--report DIR]

Exit status: 0 when everything conforms, 1 when anything does not, 2 on a usage or internal error,
130 when interrupted (Ctrl-C).
"""
import argparse
import json
import os
import sys
import tempfile
import time
import traceback

from .compare import format_diff, render_observation
from .manifest import DEFAULT_MANIFEST, FAILING, ManifestError, apply_manifest, default_manifest, load_manifest
from .report import build_report, format_failure, format_matrix, run_metadata, write_reports
from .runner import (DEFAULT_TIMEOUT, compare_observations, positive_seconds, require_devices, run, run_isolated,
                     subject_result)
from .scenarios import all_cases, select_cases
from .subjects import UnknownSubject, comparisons, expand_subjects, parse_subject

USAGE_ERROR, NOT_CONFORMING, CONFORMS, INTERRUPTED = 2, 1, 0, 130


class UsageError(Exception):
    pass


def _csv(text):
    return [s.strip() for s in text.split(",") if s.strip()]


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line and exit 2, as for every usage error
        raise UsageError(message)


def _run_parser():
    p = _Parser(prog="python -m conformance", description=__doc__.split("\n")[0])
    p.add_argument("--subjects", type=_csv, default=["refgrad", "torch"],
                   help="comma-separated subjects; one named without a device runs on each of --devices "
                        "(default: refgrad,torch)")
    p.add_argument("--devices", type=_csv, default=["cpu", "cuda"], help="devices (default: cpu,cuda)")
    p.add_argument("--reference", help="also compare every subject with this one (e.g. golden:FILE)")
    p.add_argument("-k", dest="select", action="append", help="only cases whose id contains this (or matches this glob)")
    p.add_argument("-n", dest="workers", type=_positive_int, default=1,
                   help="worker processes (default: 1, so that a crashing subject costs only its own cases; "
                        "0 runs them in this process, for a debugger)")
    p.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT,
                   help="seconds one case may take on one subject (default: %(default)g)")
    p.add_argument("--known-divergences", metavar="FILE", default=default_manifest(),
                   help=f"TOML manifest of accepted divergences (default: {DEFAULT_MANIFEST} when it exists here)")
    p.add_argument("--no-known-divergences", dest="known_divergences", action="store_const", const=None,
                   help="use no manifest: every divergence fails")
    p.add_argument("--require-device", action="append", default=[], metavar="TYPE",
                   help="fail instead of skipping when this device type (e.g. cuda) is unavailable")
    p.add_argument("--report", metavar="DIR", default="conformance-report",
                   help="where report.json, report.md and report.html go (default: %(default)s)")
    p.add_argument("--no-report", action="store_true", help="write no report files")
    p.add_argument("--record", metavar="FILE", help="write every observation of this run to FILE (a golden file)")
    p.add_argument("--allow-skips", action="store_true",
                   help="conform even when a subject could not be used at all or a case was compared with nothing")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the matrix and the verdict")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["replay"]:
            return replay(argv[1:])
        if argv[:1] == ["list"]:
            return list_cases(argv[1:])
        if argv[:1] == ["fuzz"]:
            from .fuzz import main as fuzz_main  # imports hypothesis, which only the fuzzer needs
            return fuzz_main(argv[1:])
        return run_gate(_run_parser().parse_args(argv))
    except (UsageError, UnknownSubject, ManifestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("\ninterrupted: the run stopped; no report or golden file was written", file=sys.stderr)
        return INTERRUPTED
    except Exception:
        traceback.print_exc()
        print("error: internal error in the conformance harness (traceback above)", file=sys.stderr)
        return USAGE_ERROR


def list_cases(argv):
    p = _Parser(prog="python -m conformance list", description="Print the case ids (area/scenario-dtype).")
    p.add_argument("-k", dest="select", action="append", help="only cases whose id contains this (or matches this glob)")
    args = p.parse_args(argv)
    cases = select_cases(args.select)
    if not cases:
        raise UsageError(f"no case matches {args.select}")
    print("\n".join(c.id for c in cases))
    return CONFORMS


def _check_writable(path, directory):
    """A usage error now, before any case runs, when the report directory or golden file cannot be written."""
    target = path if directory else (os.path.dirname(os.path.abspath(path)) or ".")
    what = f"--report {path}" if directory else f"--record {path}"
    try:
        if directory:
            os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=target):
            pass
    except OSError as exc:
        raise UsageError(f"{what}: cannot write there ({exc.strerror or exc})") from None
    if not directory and os.path.isdir(path):
        raise UsageError(f"{what}: is a directory")


def run_gate(args):
    subjects = expand_subjects(args.subjects, args.devices)
    if not subjects:
        raise UsageError("no subjects to check (--subjects is empty)")
    if not args.no_report:
        _check_writable(args.report, directory=True)
    if args.record:
        _check_writable(args.record, directory=False)
    if args.reference:
        parse_subject(args.reference)
    entries = load_manifest(args.known_divergences) if args.known_divergences else []
    cases = select_cases(args.select)
    if not cases:
        raise UsageError(f"no case matches {args.select}")
    start = time.perf_counter()
    observed = {} if args.record else None
    records = list(run(subjects, cases, reference=args.reference, workers=args.workers, timeout=args.timeout,
                       observed=observed))
    for r in records:
        require_devices(r, args.require_device)
    summary = apply_manifest(records, entries, [c.id for c in all_cases()])
    meta = run_metadata(subjects, workers=args.workers, timeout_s=args.timeout,
                        known_divergences=args.known_divergences, duration_s=round(time.perf_counter() - start, 2))
    unchecked = [] if args.allow_skips else unchecked_problems(subjects, args.reference, records)
    report = build_report(records, meta, summary, unchecked)
    if args.known_divergences:
        print(f"known divergences: {args.known_divergences} ({len(entries)} entries)\n")
    print(format_matrix(records, subjects))
    if not args.quiet:
        for r in records:
            if r["outcome"] in FAILING:
                print("\n" + format_failure(r))
    for s in summary["stale"]:
        print(f"\nstale known divergence: {s['case']} [{s['subject']}] matches no case")
    for u in summary["unexpected_passes"]:
        print(f"\nunexpected pass: {u['case']} [{u['subject']}] is listed as a known divergence")
    if args.record:
        _write_golden(args.record, subjects, observed)
    if not args.no_report:
        paths = write_reports(report, args.report)
        print(f"\nreports: {paths['json']}, {paths['md']}, {paths['html']}")
    for problem in unchecked:
        print(f"\nnot checked: {problem}")
    problems = report["summary"]["gate_failures"]
    print(f"\n{len(cases)} cases on {len(subjects)} subjects in {meta['duration_s']} s: "
          + ("conforms" if not problems else f"DOES NOT CONFORM ({len(problems)} problems)"))
    return NOT_CONFORMING if problems else CONFORMS


def unchecked_problems(subjects, reference, records):
    """What a run did not check although it was asked to: subjects (and the ones they are compared with)
    that could not be used at all, cases compared with nothing because a subject could not be used or
    lacks them, cells not compared with a subject they were to be compared with (a golden file that lacks
    them), and a run that compared nothing. A missing GPU's skips, and those of cases that do not
    apply to a subject (rec.skip), are not that."""
    names = list(subjects) + ([reference] if reference else [])
    names += [n for s in subjects for n in comparisons(parse_subject(s), reference)]
    problems = []
    for name in dict.fromkeys(names):
        reason = parse_subject(name).unusable()
        if reason:
            problems.append(f"subject {name} could not be used: {reason}")
    compared = {r["case"] for r in records if r["outcome"] != "skipped"}
    if not compared:
        return problems + ["no case was compared at all"]
    uncompared = sorted({r["case"] for r in records
                         if r["case"] not in compared and r.get("skip_cause") == "subject"})
    if uncompared:
        n = len(uncompared)
        problems.append(f"{n} case{'s' if n > 1 else ''} {'were' if n > 1 else 'was'} compared with nothing "
                        f"(every subject skipped {'them' if n > 1 else 'it'}, a subject lacking "
                        f"{'them' if n > 1 else 'it'}), e.g. {uncompared[0]}")
    lacking = {}  # a subject compared with -> the cells it lacked (a golden file recorded for fewer cases)
    for r in records:
        for c in r.get("compared_with", ()):
            if c["outcome"] == "skipped" and c.get("cause") == "subject" and r["case"] in compared:
                lacking.setdefault(c["subject"], []).append(r)
    for name, cells in lacking.items():
        n = len(cells)
        problems.append(f"{n} cell{'s were' if n > 1 else ' was'} not compared with {name}, which lacks "
                        f"{'them' if n > 1 else 'it'}, e.g. {cells[0]['case']} [{cells[0]['subject']}]")
    return problems


def _write_golden(path, subjects, observed):
    """Every observation of the run's engine subjects, for `golden:FILE` subjects later."""
    golden = {"schema": "refgrad-conformance-observations", "version": 1,
              "run": run_metadata(subjects), "subjects": {}}
    for name in subjects:
        subject = parse_subject(name)
        cases = {case_id: obs for (case_id, n), obs in observed.items() if n == name}
        if subject.kind == "engine" and cases:
            golden["subjects"][name] = {"device": subject.device, "cases": cases}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=None, separators=(",", ":"))
    print(f"\nrecorded {sum(len(s['cases']) for s in golden['subjects'].values())} observation sets in {path}")


def _replay_parser():
    p = _Parser(prog="python -m conformance replay", description="Replay one case and show its observations "
                "next to those of the subjects it is compared with.")
    p.add_argument("case", help="a case id (area/scenario-dtype), a scenario id, or a pytest id "
                                "(area/scenario-SUBJECT-dtype)")
    p.add_argument("--subject", default="refgrad", help="the subject to replay (default: %(default)s)")
    p.add_argument("--reference", help="also compare with this subject")
    p.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT)
    p.add_argument("--in-process", action="store_true",
                   help="run the case in this process (for a debugger) instead of a worker process of its own")
    return p


def replay(argv):
    args = _replay_parser().parse_args(argv)
    cases = _cases_for(args.case)
    subject = parse_subject(args.subject)
    status = CONFORMS
    for case in cases:
        names = [subject.name] + comparisons(subject, args.reference)
        results = {name: (subject_result if args.in_process else _replayed)(case, parse_subject(name), args.timeout)
                   for name in names}
        print(_side_by_side(case, names, results))
        own = results[subject.name]
        for other in names[1:]:
            if own.get("status") == "ok" and results[other].get("status") == "ok":
                if compare_observations(results[other]["observations"], own["observations"]):
                    status = NOT_CONFORMING
            elif own.get("status") != "ok":
                status = NOT_CONFORMING
    return status


def _replayed(case, subject, timeout):
    """A subject's result for a case, an engine's run in a process of its own (a crash is reported, not shared)."""
    if subject.kind != "engine" or subject.unavailable():
        return subject_result(case, subject, timeout)
    return run_isolated((case.scenario_id, case.dtype, subject.name, timeout), timeout)


def _cases_for(text):
    cases = all_cases()
    exact = [c for c in cases if c.id == text or c.scenario_id == text]
    if not exact and "-" in text:  # a pytest id: area/scenario-SUBJECT-dtype
        scenario_id, _, rest = text.partition("-")
        dtype = rest.rsplit("-", 1)[-1].split("@")[0]
        exact = [c for c in cases if c.scenario_id == scenario_id and c.dtype == dtype]
    if not exact:
        raise UsageError(f"unknown case '{text}' (python -m conformance list shows the case ids)")
    return exact


def _side_by_side(case, names, results):
    """Each observation of the case, one line per subject, with differing fields marked."""
    lines = [f"case {case.id}", ""]
    width = max(len(n) for n in names)
    observed = {n: r.get("observations", {}) for n, r in results.items()}
    fields = list(dict.fromkeys(f for n in names for f in observed[n]))
    for n in names:
        if results[n]["status"] != "ok":
            lines.append(f"{n.ljust(width)}  {results[n]['status']}: {results[n].get('reason')}")
    for field in fields:
        values = [observed[n].get(field) for n in names if results[n]["status"] == "ok"]
        mark = "  " if all(v == values[0] for v in values) else "≠ "
        lines.append(f"{mark}{field}")
        for n in names:
            if results[n]["status"] == "ok":
                lines.append(f"    {n.ljust(width)}  {render_observation(observed[n].get(field))}")
    own = results[names[0]]
    for other in names[1:]:
        if own["status"] == "ok" and results[other]["status"] == "ok":
            diffs = compare_observations(results[other]["observations"], own["observations"])
            lines.append("")
            lines.append(f"{names[0]} vs {other}: " + ("conforms" if not diffs else f"{len(diffs)} differing fields"))
            lines += ["  " + format_diff(d, subject=names[0], reference=other).replace("\n", "\n  ") for d in diffs]
    return "\n".join(lines) + "\n"


def console_main():
    sys.exit(main())


if __name__ == "__main__":
    console_main()
