"""Runs cases on subjects and compares each subject's observations with the subjects it answers to.

A task is one case on one subject; it yields that subject's observations, or a timeout, crash or
error. Tasks run in this process (`workers=0`, a SIGALRM time limit) or in worker processes
(`workers=N`), where a hung or crashed task costs only its own result: the worker is killed or
replaced and the run goes on. Records (one per case and subject) come out in case order.
"""
import argparse
import math
import multiprocessing
import re
import signal
import threading
import time
from collections import deque
from contextlib import contextmanager
from multiprocessing.connection import wait as wait_for_any

import numpy as np

from .compare import diff
from .observe import observe, observe_call
from .scenarios import Case, load_all
from .subjects import comparisons, parse_subject

__all__ = ["Recorder", "pin_threads", "positive_seconds", "run_case", "run", "observe_task", "subject_result", "require_devices", "record_of",
           "compare_observations", "replay_command", "WorkerPool"]

DEFAULT_TIMEOUT = 60.0
# Why a cell was skipped, most telling first: a subject that cannot be used or lacks the case (the gate
# did not check what it was asked to), a device this machine lacks, a case that does not apply here.
SKIP_CAUSES = ("subject", "device", "scenario")
KILL_GRACE = 30.0  # a worker stuck in C code past its time limit is killed this much later
# A worker's start and its subject's import (a new Python that imports torch: seconds on a loaded machine)
# do not count against a case's time limit; it has this long to take up its case.
STARTUP_LIMIT = 300.0
_STARTED = "started"


def positive_seconds(text):
    """A time limit from the command line: a finite number of seconds above 0 (argparse's type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds above 0, got {text}")
    return value


def pin_threads(n=1):
    """A worker's compute threads: torch's intra-op pool and NumPy's BLAS pool (threadpoolctl) set to n,
    so that N workers on N cores do not oversubscribe them and a case costs the same under load."""
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(n)
    except ImportError:
        pass


class ScenarioTimeout(BaseException):
    """Raised into a scenario that ran past its time limit (a BaseException, so scenarios cannot catch it)."""


class ScenarioSkip(BaseException):
    """Raised by `rec.skip(reason)`: the case cannot run on this subject (a BaseException, like a timeout)."""


class Recorder:
    """The `rec` a scenario receives: records observations and hands out seeded inputs."""

    def __init__(self, case, torch=None):
        self.observations = {}
        self.dtype = case.dtype
        self._torch = torch
        self._seed = sum(map(ord, case.scenario_id))
        self._draws = 0

    def __call__(self, name, value):
        self._check_own_tensors(value)
        self.observations[name] = observe(value)

    def _check_own_tensors(self, value):
        """A tensor of another engine in the observations means the scenario imported one (`from torch.nn import
        ...` inside a scenario takes real torch whatever subject runs it): it would compare nothing."""
        own = getattr(self._torch, "Tensor", None)
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if own is not None and type(item).__name__ in ("Tensor", "Parameter") and not isinstance(item, own):
                raise TypeError(f"the scenario recorded a {type(item).__module__} tensor while running on "
                                f"{own.__module__.split('.')[0]}: an import inside a scenario takes that engine "
                                "whatever the subject; use the `torch` the scenario is given")

    def raises(self, name, fn):
        """Records what fn raises (or "no error" and its result), and any warnings it gave."""
        result, warns = observe_call(fn)
        self.observations[name] = result if result["kind"] == "error" else {"kind": "no error", "result": result}
        if warns:
            self.observations[f"{name}.<warnings>"] = {"kind": "sequence", "items": warns}

    def skip(self, reason):
        """Ends the case on this subject as skipped, with `reason` (it needs a GPU, say)."""
        raise ScenarioSkip(reason)

    def data(self, *shape, low=-2.0, high=2.0):
        """Seeded inputs as nested lists (the same for every subject), rounded to 3 decimals."""
        self._draws += 1
        rng = np.random.default_rng([self._seed, self._draws])
        return rng.uniform(low, high, size=shape).round(3).tolist()

    def tensor(self, *shape, low=-2.0, high=2.0, requires_grad=False):
        """`data(*shape)` as a tensor of the case's dtype on the subject's device."""
        return self.constant(self.data(*shape, low=low, high=high), requires_grad=requires_grad)

    def constant(self, values, requires_grad=False):
        """`values` (nested lists) as a tensor of the case's dtype on the subject's device."""
        return self._torch.tensor(values, dtype=getattr(self._torch, self.dtype), requires_grad=requires_grad)


def run_case(case, torch):
    """The observations of one case on one namespace (its warnings and uncaught exception included)."""
    rec = Recorder(case, torch)
    result, warns = observe_call(case.fn, torch, rec)
    obs = dict(rec.observations)
    if result["kind"] == "error":
        obs["<raised>"] = result
    if warns:
        obs["<warnings>"] = {"kind": "sequence", "items": warns}
    return obs


@contextmanager
def time_limit(seconds):
    """Raises ScenarioTimeout into the block after `seconds` (main thread on POSIX only; else no limit)."""
    usable = seconds and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise ScenarioTimeout(f"stopped after the time limit of {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def observe_task(scenario_id, dtype, subject_name, timeout=DEFAULT_TIMEOUT):
    """Runs one case on one engine subject: {"status": ok|timeout|error, "observations"|"reason", "duration_s"}."""
    start = time.perf_counter()
    try:
        namespace = parse_subject(subject_name).namespace()
        with time_limit(timeout):
            obs = run_case(Case(scenario_id, dtype), namespace)
        result = {"status": "ok", "observations": obs}
    except ScenarioTimeout as exc:
        result = {"status": "timeout", "reason": str(exc)}
    except ScenarioSkip as exc:
        result = {"status": "unavailable", "reason": str(exc), "cause": "scenario"}
    except Exception as exc:  # the subject itself failed (cannot load, bad namespace): its case fails
        result = {"status": "error", "reason": f"{subject_name} failed outside the scenario: "
                                               f"{type(exc).__name__}: {exc}"}
    result["duration_s"] = round(time.perf_counter() - start, 4)
    return result


def run(subject_names, cases, *, reference=None, workers=0, timeout=DEFAULT_TIMEOUT, observed=None):
    """One record per (case, subject), with outcome passed / failed / skipped / timeout / crashed / error.

    When `observed` is a dict, it receives each subject's observations keyed by (case id, subject name).
    """
    subjects = [parse_subject(n) for n in subject_names]
    against = {s.name: comparisons(s, reference) for s in subjects}
    involved = {s.name: s for s in subjects}
    for name in {n for names in against.values() for n in names} - set(involved):
        involved[name] = parse_subject(name)
    tasks = [(c.scenario_id, c.dtype, name, timeout) for c in cases for name, s in involved.items()
             if s.kind == "engine" and not s.unavailable()]
    results = _run_pool(tasks, workers, timeout) if workers else {t: observe_task(*t) for t in tasks}

    def result_of(case, name):
        return subject_result(case, involved[name], timeout, ran=results)

    for case in cases:
        for subject in subjects:
            own = result_of(case, subject.name)
            if observed is not None and own["status"] == "ok":
                observed[(case.id, subject.name)] = own["observations"]
            yield record_of(case, subject, own,
                          [(involved[n], result_of(case, n)) for n in against[subject.name]])


def subject_result(case, subject, timeout=DEFAULT_TIMEOUT, ran=None):
    """A subject's result for a case: unavailable (and why), recorded (a golden file), or the engine's
    run, looked up in `ran` (task -> result) when given, else run now."""
    reason = subject.unavailable()
    if reason:
        return {"status": "unavailable", "reason": reason, "cause": "subject" if subject.unusable() else "device"}
    if subject.kind == "golden":
        obs = subject.recorded(case.id)
        if obs is None:
            return {"status": "unavailable", "reason": f"{case.id} is not recorded in {subject.path}",
                    "cause": "subject"}
        return {"status": "ok", "observations": obs, "duration_s": 0.0}
    task = (case.scenario_id, case.dtype, subject.name, timeout)
    return ran[task] if ran is not None else observe_task(*task)


def require_devices(record, required):
    """Turns a skip for an unavailable device of a type in `required` (e.g. "cuda") into an error."""
    if record["outcome"] == "skipped" and record["device"].split(":")[0] in required:
        record.update(outcome="error", reason=f"required device {record['device']} unavailable: {record['reason']}")
    return record


def record_of(case, subject, own, references):
    """The record of a case on a subject, from its own result and those of the subjects it is compared with."""
    record = {"case": case.id, "scenario": case.scenario_id, "area": case.area, "dtype": case.dtype,
              "subject": subject.name, "device": subject.device, "outcome": None, "reason": None, "skip_cause": None,
              "compared_with": [], "diffs": [], "duration_s": own.get("duration_s", 0.0),
              "replay": replay_command(case.id, subject.name)}
    if own["status"] == "unavailable":
        return dict(record, outcome="skipped", reason=own["reason"], skip_cause=own["cause"])
    if own["status"] != "ok":
        return dict(record, outcome=own["status"], reason=own["reason"])
    broken = _broken_scenario(own["observations"])
    if broken:
        return dict(record, outcome="failed", reason=broken)
    vacuous = _vacuous(case, own["observations"])
    if vacuous and all(theirs["status"] != "ok" or _vacuous(case, theirs["observations"])
                       for _, theirs in references):  # where a reference recorded something, the diff says more
        return dict(record, outcome="failed", reason=vacuous)
    for other, theirs in references:
        record["compared_with"].append(_compare(case, subject, own, other, theirs))
    outcomes = [c["outcome"] for c in record["compared_with"]]
    record["diffs"] = [d for c in record["compared_with"] for d in c["diffs"]]
    reasons = "; ".join(f"{c['subject']}: {c['reason']}" for c in record["compared_with"] if c["reason"])
    if "error" in outcomes:
        return dict(record, outcome="error", reason=reasons)
    if "failed" in outcomes:
        return dict(record, outcome="failed", reason=reasons or None)
    if outcomes and "passed" not in outcomes:
        causes = {c["cause"] for c in record["compared_with"]}
        return dict(record, outcome="skipped", reason=reasons,
                    skip_cause=next(c for c in SKIP_CAUSES if c in causes))
    return dict(record, outcome="passed", reason=reasons or (None if outcomes else "it is the reference"))


# Errors of a scenario's own code (a name it misspells or uses before assigning): no engine behaviour, so a case
# that ends with one checked less than it was written to, even where every engine raises it alike.
_SCENARIO_BUGS = ("NameError", "UnboundLocalError", "SyntaxError")


def _broken_scenario(observations):
    raised = observations.get("<raised>")
    if raised is not None and raised.get("type") in _SCENARIO_BUGS:
        return (f"the scenario's own code raised {raised.get('type')}: {raised.get('message')} (a bug in the "
                "scenario, not an observation of the engine)")
    return None


def _vacuous(case, observations):
    """Why a case compared nothing (it recorded nothing, or an exception ended it before it recorded
    anything), or None."""
    recorded = [name for name in observations if name not in ("<raised>", "<warnings>")]
    if recorded:
        return None
    raised = observations.get("<raised>")
    if raised is None:
        return "vacuous: the scenario recorded nothing, so nothing was compared"
    if load_all()[case.scenario_id].expects_error:
        return None
    return (f"vacuous: {raised.get('type')}: {raised.get('message')} was raised before the scenario recorded "
            "anything, so nothing was compared (if that error is what it tests, declare "
            "@scenario(expects_error=True))")


def _compare(case, subject, own, other, theirs):
    entry = {"subject": other.name, "outcome": "passed", "reason": None, "diffs": []}
    if theirs["status"] == "unavailable":
        return dict(entry, outcome="skipped", reason=theirs["reason"], cause=theirs["cause"])
    if theirs["status"] != "ok":
        return dict(entry, outcome="error", reason=f"{theirs['status']}: {theirs['reason']}")
    expected, actual = theirs["observations"], own["observations"]
    if other.device_type != subject.device_type:
        if not load_all()[case.scenario_id].same_on_every_device:
            return dict(entry, outcome="skipped", reason="the scenario observes device placement", cause="scenario")
        expected, actual = _device_free(expected), _device_free(actual)
    diffs = [dict(d, against=other.name) for d in compare_observations(expected, actual)]
    return dict(entry, outcome="failed" if diffs else "passed", diffs=diffs)


def compare_observations(expected, actual):
    """Field diffs between two observation sets; a field only one side has is a diff too."""
    diffs = []
    for name in list(expected) + [n for n in actual if n not in expected]:
        if name not in actual or name not in expected:
            diffs.append({"field": name, "expected": expected.get(name, "<missing>"),
                          "actual": actual.get(name, "<missing>")})
            continue
        for d in diff(expected[name], actual[name]):
            d["field"] = f"{name}.{d['field']}" if d["field"] else name
            diffs.append(d)
    return diffs


_DEVICE_TEXT = re.compile(r", device='[a-z]+(:\d+)?'")


def _device_free(obs):
    """Observations without device fields, for comparing torch on a GPU with torch on the CPU."""
    if isinstance(obs, dict):
        return {k: _device_free(v) for k, v in obs.items() if not (k == "device" and obs.get("kind") == "tensor")}
    if isinstance(obs, list):
        return [_device_free(v) for v in obs]
    return _DEVICE_TEXT.sub("", obs) if isinstance(obs, str) else obs


def replay_command(case_id, subject):
    return f"python -m conformance replay {case_id} --subject {subject}"


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_loop, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.task = None
        self.done = False  # a pinned run's task has been given to this worker
        self.deadline = None
        self.started = False  # whether the worker has taken up its task (its time limit runs)

    def stop(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def _worker_loop(conn):
    pin_threads(1)
    while True:
        try:
            run_task, task = conn.recv()
        except EOFError:
            return
        try:  # the subject's import (torch: seconds under load) is not the case's either
            parse_subject(task[2]).namespace()
        except Exception:
            pass  # the task meets it again and reports it as the case's error
        conn.send(_STARTED)  # the case's time limit runs from here
        conn.send(run_task(*task))


def _how_it_died(process):
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _overdue(worker, timeout):
    if not worker.started:
        return {"status": "timeout", "duration_s": 0.0,
                "reason": f"the worker did not start the case within {STARTUP_LIMIT:g} s"}
    return {"status": "timeout", "duration_s": timeout + KILL_GRACE,
            "reason": f"killed {KILL_GRACE:g} s after the time limit of {timeout:g} s"}


def run_isolated(task, timeout):
    """One task in a worker process of its own: a subject that crashes or hangs costs only this result."""
    return _run_pool([task], 1, timeout)[task]


def _run_pool(tasks, workers, timeout):
    with WorkerPool(min(workers, len(tasks))) as pool:
        return pool.run(tasks, timeout)


class WorkerPool:
    """Spawned worker processes that run tasks `(a, b, subject name, ...)` with `run_task(*task)` (a
    module-level function; `observe_task` by default). A worker that dies or hangs costs only its task's
    result and is replaced; the others stay up between `run` calls (the fuzzer sends them one program
    after another, so each imports its engines once)."""

    def __init__(self, size):
        self._ctx = multiprocessing.get_context("spawn")  # CUDA cannot be used in forked children
        self._pool = [_Worker(self._ctx) for _ in range(size)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for w in self._pool:
            w.stop()
        self._pool = []

    def run(self, tasks, timeout, run_task=observe_task, pinned=False):
        """{task: its result}; a task that hangs past `timeout` or kills its worker gets that as its result.
        `pinned`: task i runs on worker i (at most one task per worker), and when one worker is replaced all
        are, so that each subject keeps its own process and every process has seen the same history: an
        engine's per-process state (PyTorch's warn-once warnings) then stays alike in all of them."""
        if pinned and len(tasks) > len(self._pool):
            raise ValueError(f"{len(tasks)} pinned tasks for {len(self._pool)} workers")
        pending, results, pool = deque(tasks), {}, self._pool
        fresh = set()  # workers replaced in this run
        while pending or any(w.task for w in pool):
            for w in pool:
                if w.task is None and pending and not (pinned and w.done):
                    w.task = pending.popleft()
                    w.done = pinned
                    w.conn.send((run_task, w.task))
                    w.started, w.deadline = False, time.monotonic() + STARTUP_LIMIT
            busy = [w for w in pool if w.task]
            deadlines = [w.deadline for w in busy if w.deadline]
            ready = wait_for_any([w.conn for w in busy],
                                 timeout=max(0.0, min(deadlines) - time.monotonic()) if deadlines else None)
            for i, w in enumerate(pool):
                if w.task is None:
                    continue
                if w.conn in ready:
                    try:
                        message = w.conn.recv()
                        if message == _STARTED:
                            w.started = True
                            w.deadline = time.monotonic() + timeout + KILL_GRACE if timeout else None
                            continue
                        results[w.task] = message
                        w.task = None
                        continue
                    except (EOFError, OSError):
                        w.process.join(5)
                        results[w.task] = {"status": "crashed", "duration_s": 0.0,
                                           "reason": f"the worker running it died ({_how_it_died(w.process)})"}
                elif w.deadline and time.monotonic() >= w.deadline:
                    results[w.task] = _overdue(w, timeout)
                else:
                    continue
                w.stop()
                pool[i] = _Worker(self._ctx)
                pool[i].done = pinned
                fresh.add(i)
        if pinned and fresh:
            for i in set(range(len(pool))) - fresh:
                pool[i].stop()
                pool[i] = _Worker(self._ctx)
        for w in pool:
            w.done = False
        return results
