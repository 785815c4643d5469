"""The differential search: hypothesis draws programs, every subject runs each, and differences are kept.

Each program runs on every subject and on the subjects each is compared with (the gate's pairing:
refgrad against torch on its device, torch on a GPU against torch on the CPU), in worker processes
(a crash or hang costs only that program's result) or in this process (`workers=0`). The earliest
differing field gives the difference's signature (`exp/values`); a signature the known-divergences
manifest lists (`fuzz/exp/values`) is counted, not reported.

A new signature makes the hypothesis test fail with an exception class of its own, so hypothesis
shrinks each signature's program separately (its shrinker and example database, not ours) and
moves on; the smallest program seen for each signature is the finding. A time budget runs rounds of
examples, each with its own seed, and a signature found in one round is not chased again.
"""
import hashlib
import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, Verbosity, given, seed as hypothesis_seed, settings

from ..manifest import FUZZ_PREFIX, find
from ..runner import DEFAULT_TIMEOUT, WorkerPool, compare_observations
from ..subjects import comparisons, parse_subject
from .execute import first_difference, program_task, rounding_only, signature
from .programs import programs

__all__ = ["Differential", "Finding", "Search", "program_key", "ROUND_EXAMPLES"]

ROUND_EXAMPLES = 100  # examples per hypothesis round when searching for a time


def program_key(lines):
    """A program's id: the case id its observations have in a golden file (`--record`)."""
    return "fuzz/" + hashlib.sha1("\n".join(lines).encode()).hexdigest()[:16]


class Differential:
    """Runs programs on subjects and compares each subject with the ones it answers to."""

    def __init__(self, subject_names, *, reference=None, isolate=True, timeout=DEFAULT_TIMEOUT, strict_rounding=False):
        self.strict_rounding = strict_rounding
        self.subjects = [parse_subject(n) for n in subject_names]
        self.against = {s.name: comparisons(s, reference) for s in self.subjects}
        involved = {s.name: s for s in self.subjects}
        for name in {n for names in self.against.values() for n in names} - set(involved):
            involved[name] = parse_subject(name)
        self.involved = involved
        self.timeout = timeout
        engines = [s for s in involved.values() if s.kind == "engine" and not s.unavailable()]
        self._engines = [s.name for s in engines]
        self._pool = WorkerPool(len(engines)) if isolate and engines else None

    def close(self):
        if self._pool is not None:
            self._pool.close()

    def unusable(self):
        """Subjects that cannot run here at all (an uninstalled engine, a missing GPU), with the reason."""
        return {n: s.unavailable() for n, s in self.involved.items() if s.unavailable()}

    def results(self, lines):
        """subject name -> {"status": ..., "observations": ...} for one program."""
        key = program_key(lines)
        tasks = [(key, tuple(lines), name, self.timeout) for name in self._engines]
        if self._pool is not None:
            ran = self._pool.run(tasks, self.timeout, run_task=program_task, pinned=True)
        else:
            ran = {t: program_task(*t) for t in tasks}
        out = {t[2]: r for t, r in ran.items()}
        for name, s in self.involved.items():
            if s.kind == "golden":
                obs = s.recorded(key)
                out[name] = {"status": "ok", "observations": obs} if obs is not None else \
                    {"status": "unavailable", "reason": f"{key} is not recorded in {s.path}"}
        return out

    def differences(self, lines, results=None):
        """(subject, against, first differing field diff, carried) for each pair that differs; a subject that
        crashed, hung or failed outside the program differs in its `status`. `carried`: every differing value
        is rounding (execute.rounding_only: carried from an earlier step, or of an ill-conditioned matrix), unless
        strict_rounding."""
        results = results or self.results(lines)
        found = []
        for subject in self.subjects:
            own = results.get(subject.name)
            for other in self.against[subject.name]:
                theirs = results.get(other)
                if own is None or theirs is None or "unavailable" in (own["status"], theirs["status"]):
                    continue
                if own["status"] != "ok" or theirs["status"] != "ok":
                    if own["status"] != theirs["status"]:
                        found.append((subject.name, other, {"field": "status", "expected": theirs["status"],
                                                            "actual": f"{own['status']}: {own.get('reason')}"}, False))
                    continue
                diffs = compare_observations(theirs["observations"], own["observations"])
                kept = diffs if self.strict_rounding else \
                    [d for d in diffs if not rounding_only(d, lines, theirs["observations"], own["observations"])]
                if kept or diffs:
                    found.append((subject.name, other, first_difference(kept or diffs), not kept))
        return found


@dataclass
class Finding:
    signature: str
    subject: str
    against: str
    diff: dict
    lines: list
    kinds: list
    hits: int = 1
    seed: int = None

    @property
    def size(self):
        return (len(self.lines), sum(map(len, self.lines)))

    def as_dict(self):
        return {"signature": self.signature, "subject": self.subject, "against": self.against,
                "field": self.diff["field"], "expected": self.diff.get("expected"), "actual": self.diff.get("actual"),
                "diff": self.diff, "program": self.lines, "step_kinds": self.kinds, "hits": self.hits,
                "seed": self.seed}


class _Difference(AssertionError):
    """Raised into hypothesis for a new signature; each signature gets a subclass of its own."""


_CLASSES = {}


def _difference_class(sig):
    if sig not in _CLASSES:
        _CLASSES[sig] = type(f"Difference[{sig}]", (_Difference,), {})
    return _CLASSES[sig]


@dataclass
class Search:
    """One search: runs rounds of hypothesis examples until `max_examples` or `deadline` (time.monotonic)."""

    differential: Differential
    entries: list = field(default_factory=list)
    seed: int = 0
    max_examples: int = None
    deadline: float = None
    database: object = None
    progress: object = None  # called with the Search after each round
    findings: dict = field(default_factory=dict)
    known: dict = field(default_factory=dict)  # manifest-listed signatures -> hits
    carried: dict = field(default_factory=dict)  # signatures of differences only in carried rounding -> hits
    programs: int = 0
    steps: int = 0
    rounds: int = 0
    _chased: set = field(default_factory=set)  # signatures of earlier rounds: counted, not shrunk again

    def run(self):
        while not self._done():
            examples = ROUND_EXAMPLES if self.max_examples is None else self.max_examples - self.programs
            self._round(self.seed * 1_000_003 + self.rounds, examples)
            self.rounds += 1
            self._chased = set(self.findings)
            if self.progress:
                self.progress(self)
        return self

    def _done(self):
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return True
        return self.max_examples is not None and self.programs >= self.max_examples

    def _round(self, round_seed, examples):
        @hypothesis_seed(round_seed)
        @settings(max_examples=max(examples, 1), deadline=None, database=self.database, verbosity=Verbosity.quiet,
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=True,
                  phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink))
        @given(programs())
        def conforms(steps):
            self._check(steps)

        try:
            conforms()
        except BaseException as exc:  # hypothesis re-raises what it found; the findings are already kept
            if not _only_differences(exc):
                raise

    def _check(self, steps):
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return  # out of time: hypothesis is told every further example passes, and stops soon
        lines = [s.code for s in steps]
        kinds = [s.kind for s in steps]
        self.programs += 1
        self.steps += len(lines)
        new = None
        for subject, against, diff, carried in self.differential.differences(lines):
            sig = signature(diff, kinds)
            if carried:
                self.carried[sig] = self.carried.get(sig, 0) + 1
                continue
            if find(self.entries, FUZZ_PREFIX + sig, subject) is not None:
                self.known[sig] = self.known.get(sig, 0) + 1
                continue
            finding = Finding(sig, subject, against, diff, lines, kinds, seed=self.seed)
            old = self.findings.get(sig)
            if old is None or finding.size < old.size:
                finding.hits = (old.hits + 1) if old else 1
                self.findings[sig] = finding
            else:
                old.hits += 1
            if sig not in self._chased and new is None:
                new = sig
        if new is not None:
            raise _difference_class(new)(new)


def _only_differences(exc):
    """Whether hypothesis raised only our differences (or its complaints about them being flaky)."""
    if isinstance(exc, _Difference):
        return True
    nested = getattr(exc, "exceptions", None)
    if nested:
        return all(_only_differences(e) for e in nested)
    return type(exc).__name__ in ("Flaky", "FlakyFailure", "FlakyReplay", "DidNotReproduce")
