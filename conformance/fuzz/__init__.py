"""Differential fuzzing: random autograd programs, run on every subject, compared after every step.

    python -m conformance fuzz [--subjects refgrad,torch:cpu] [--seed N] [--max-examples N | --minutes M]
                               [-n N] [--known-divergences FILE] [--report DIR] [--record FILE]
                               [--strict-rounding]
    python -m conformance fuzz --replay DIR/repro/<signature>.py [--subjects ...]

Programs come from hypothesis (conformance/fuzz/programs.py), run the way scenarios run (same subjects,
observers and comparison), and each distinct difference (step kind and field) is shrunk by hypothesis
and written as a standalone repro script plus an entry in report.json/.md/.html. A value that differs
only because a tensor it was computed from already differed in its last bits (within tolerance), or
because it comes from det or inv of an ill-conditioned matrix (LAPACK's rounding noise), is counted as
rounding, not reported (--strict-rounding reports it).
Exit status: 0 when no difference outside the known-divergences manifest was found, 1 when one was,
2 on a usage error.
"""
import argparse
import json
import os
import random
import sys
import time

from ..compare import format_diff
from ..manifest import FUZZ_PREFIX, default_manifest, load_manifest
from ..report import run_metadata
from ..runner import DEFAULT_TIMEOUT, positive_seconds
from ..subjects import expand_subjects
from .output import load_repro, write_fuzz_reports
from .search import Differential, Search, program_key

__all__ = ["main", "Differential", "Search", "fuzz", "build_fuzz_report"]

FOUND, CLEAN, USAGE = 1, 0, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ValueError(message)


def _parser():
    p = _Parser(prog="python -m conformance fuzz", description=__doc__.split("\n")[0])
    p.add_argument("--subjects", default="refgrad,torch", help="comma-separated subjects (default: %(default)s)")
    p.add_argument("--devices", default="cpu", help="devices for subjects named without one (default: %(default)s)")
    p.add_argument("--reference", help="also compare every subject with this one")
    p.add_argument("--seed", type=int, help="the run's seed (default: a fresh one, printed)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--max-examples", type=int, help="stop after this many programs")
    budget.add_argument("--minutes", type=float, help="stop after this many minutes (default: 1)")
    p.add_argument("-n", dest="workers", type=int, default=1,
                   help="searches run side by side, each with its subjects in worker processes of their own "
                        "(default: 1; 0 runs everything in this process, for a debugger)")
    p.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT,
                   help="seconds one program may take on one subject (default: %(default)g)")
    p.add_argument("--known-divergences", metavar="FILE", default=default_manifest(),
                   help="TOML manifest; its fuzz/<step kind>/<field> entries are differences not to report")
    p.add_argument("--no-known-divergences", dest="known_divergences", action="store_const", const=None)
    p.add_argument("--report", metavar="DIR", default="fuzz-report", help="(default: %(default)s)")
    p.add_argument("--no-report", action="store_true")
    p.add_argument("--record", metavar="FILE", help="write the observations of the differences' programs to FILE "
                                                    "(a golden file for golden:FILE subjects)")
    p.add_argument("--database", metavar="DIR", default=".hypothesis/conformance-fuzz",
                   help="hypothesis's example database, replayed first on the next run ('none' for none)")
    p.add_argument("--strict-rounding", action="store_true",
                   help="report a value difference that is only rounding (carried from an earlier step's last bits, "
                        "or of an ill-conditioned matrix) too")
    p.add_argument("--replay", metavar="REPRO", help="run a repro script's program on the subjects and show the diff")
    return p


def main(argv):
    try:
        args = _parser().parse_args(argv)
        subjects = expand_subjects([s.strip() for s in args.subjects.split(",") if s.strip()],
                                   [d.strip() for d in args.devices.split(",") if d.strip()])
        entries = load_manifest(args.known_divergences) if args.known_divergences else []
        if args.workers < 0:
            raise ValueError("-n must be 0 or more")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE
    if args.replay:
        return _replay(args, subjects)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2 ** 32)
    minutes = args.minutes if args.minutes is not None or args.max_examples is not None else 1.0
    print(f"fuzzing {', '.join(subjects)} with seed {seed} "
          f"({f'{args.max_examples} programs' if args.max_examples else f'{minutes:g} minutes'}, "
          f"{max(args.workers, 1)} searches)", flush=True)
    start = time.monotonic()
    searches = fuzz(subjects, seed=seed, max_examples=args.max_examples, minutes=minutes, workers=args.workers,
                    entries=entries, reference=args.reference, timeout=args.timeout,
                    database=None if args.database == "none" else args.database, strict_rounding=args.strict_rounding)
    report = build_fuzz_report(searches, subjects, seed, time.monotonic() - start, args,
                               command="python -m conformance fuzz " + " ".join(argv))
    for f in report["findings"]:
        print(f"\n{f['signature']}  ({f['subject']} vs {f['against']}, {f['hits']} programs)")
        print("  " + "\n  ".join(f["program"]))
        print("  " + format_diff(f["diff"], subject=f["subject"], reference=f["against"]).replace("\n", "\n  "))
    if args.record:
        _record(args.record, subjects, report, args)
    if not args.no_report:
        paths = write_fuzz_reports(report, args.report)
        print(f"\nreports: {paths['json']}, {paths['md']}, {paths['html']}; repro scripts in "
              f"{os.path.join(args.report, 'repro')}")
    c = report["counts"]
    print(f"\n{c['programs']} programs, {c['steps']} steps in {report['run']['duration_s']} s (seed {seed}): "
          + (f"{len(report['findings'])} new differences" if report["findings"] else "no new difference")
          + (f"; known divergences met: {', '.join(sorted(report['known']))}" if report["known"] else "")
          + (f"; {sum(report['carried'].values())} programs differed only by rounding"
             if report["carried"] else ""))
    return FOUND if report["findings"] else CLEAN


def fuzz(subjects, *, seed, max_examples=None, minutes=None, workers=1, entries=(), reference=None,
         timeout=DEFAULT_TIMEOUT, database=None, progress=None, strict_rounding=False):
    """Runs `max(workers, 1)` searches (seeds seed, seed+1, ...) and returns them, finished."""
    if workers <= 1:
        return [_search(0, subjects, seed, max_examples, minutes, workers == 1, entries, reference, timeout,
                        database, strict_rounding, progress)]
    import multiprocessing
    ctx = multiprocessing.get_context("spawn")
    share = None if max_examples is None else -(-max_examples // workers)
    queue = ctx.Queue()
    # plain processes, not a Pool: each search starts worker processes of its own for its subjects
    procs = [ctx.Process(target=_search_summary, args=(queue, i, subjects, seed, share, minutes, True, list(entries),
                                                        reference, timeout, database, strict_rounding))
             for i in range(workers)]
    for proc in procs:
        proc.start()
    summaries = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    failed = [s for s in summaries if "error" in s]
    if failed:
        raise RuntimeError(f"a search failed: {failed[0]['error']}")
    return sorted(summaries, key=lambda s: s["seed"])


def _search(stream, subjects, seed, max_examples, minutes, isolate, entries, reference, timeout, database,
            strict_rounding=False, progress=None):
    from hypothesis.database import DirectoryBasedExampleDatabase
    differential = Differential(subjects, reference=reference, isolate=isolate, timeout=timeout,
                                strict_rounding=strict_rounding)
    try:
        deadline = time.monotonic() + minutes * 60 if minutes is not None and max_examples is None else None
        db = DirectoryBasedExampleDatabase(os.path.join(database, str(stream))) if database else None
        return Search(differential, list(entries), seed=seed + stream, max_examples=max_examples, deadline=deadline,
                      database=db, progress=progress or _print_progress).run()
    finally:
        differential.close()


def _search_summary(queue, *args):
    """A search in a process of its own, sent back as plain data (a Search holds processes)."""
    try:
        queue.put(_summary(_search(*args)))
    except BaseException as exc:
        import traceback
        queue.put({"error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"})


def _summary(s):
    return {"seed": s.seed, "programs": s.programs, "steps": s.steps, "rounds": s.rounds, "known": s.known,
            "carried": s.carried,
            "findings": {sig: f.as_dict() for sig, f in s.findings.items()}}


def _print_progress(search):
    print(f"  round {search.rounds}: {search.programs} programs, {search.steps} steps, "
          f"{len(search.findings)} new differences", flush=True)


def build_fuzz_report(searches, subjects, seed, duration, args=None, command=None):
    """One report of all searches: counts, differences (the smallest program of each signature), known ones met."""
    summaries = [s if isinstance(s, dict) else _summary(s) for s in searches]
    findings, known, carried = {}, {}, {}
    for s in summaries:
        for sig, f in s["findings"].items():
            old = findings.get(sig)
            if old is None or len(f["program"]) < len(old["program"]):
                f["hits"] += old["hits"] if old else 0
                findings[sig] = f
            else:
                old["hits"] += f["hits"]
        for sig, n in s["known"].items():
            known[sig] = known.get(sig, 0) + n
        for sig, n in s.get("carried", {}).items():
            carried[sig] = carried.get(sig, 0) + n
    counts = {k: sum(s[k] for s in summaries) for k in ("programs", "steps", "rounds")}
    settings = {"seed": seed, "seeds": [s["seed"] for s in summaries], "duration_s": round(duration, 1)}
    if command:
        settings["command"] = command
    if args is not None:
        settings.update(max_examples=args.max_examples, minutes=args.minutes, workers=args.workers,
                        known_divergences=args.known_divergences)
    return {"schema": "refgrad-conformance-fuzz", "version": 1, "run": run_metadata(subjects, **settings),
            "counts": counts, "findings": sorted(findings.values(), key=lambda f: f["signature"]), "known": known,
            "carried": carried, "known_prefix": FUZZ_PREFIX}


def _record(path, subjects, report, args):
    """The observations of each difference's program on every subject, as a golden file."""
    differential = Differential(subjects, reference=args.reference, isolate=True, timeout=args.timeout)
    try:
        golden = {"schema": "refgrad-conformance-observations", "version": 1, "run": report["run"], "subjects": {}}
        for f in report["findings"]:
            for name, result in differential.results(f["program"]).items():
                if result["status"] == "ok" and name in subjects:
                    entry = golden["subjects"].setdefault(name, {"device": differential.involved[name].device,
                                                                 "cases": {}})
                    entry["cases"][program_key(f["program"])] = result["observations"]
    finally:
        differential.close()
    with open(path, "w", encoding="utf-8") as f:
        json.dump(golden, f, separators=(",", ":"))
    print(f"recorded the differences' programs in {path}")


def _replay(args, subjects):
    try:
        lines = load_repro(args.replay)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE
    differential = Differential(subjects, reference=args.reference, isolate=args.workers != 0, timeout=args.timeout,
                                strict_rounding=args.strict_rounding)
    try:
        diffs = differential.differences(lines)
    finally:
        differential.close()
    print("\n".join(lines))
    for subject, against, d, carried in diffs:
        print(f"\n{subject} vs {against}" + (" (only rounding: carried from an earlier step, or of an ill-conditioned "
                                                  "matrix)" if carried else "")
              + ":\n  " + format_diff(d, subject=subject, reference=against).replace("\n", "\n  "))
    differs = any(not carried for *_, carried in diffs)
    print("\n" + ("differs" if differs else "conforms" + (" (rounding only)" if diffs else "")))
    return FOUND if differs else CLEAN
