"""Running a program on one subject, and the observations after each of its steps.

A step's observations are keyed `"<step>:<name>"`: the variables it defines, what it raised, the
warnings it gave, the hook calls it caused, and, after a step that changes existing tensors (in-place
ops, backward, detach_), every tensor variable and its `.grad`. They are made with the observers the
scenarios use (conformance/observe.py), and compared with the same comparison, so a fuzz difference
reads like a scenario's.
"""
import re
import warnings

import numpy as np

from ..observe import observe, observe_call

__all__ = ["run_program", "program_task", "first_difference", "signature", "rounding_only", "carried_rounding",
           "ill_conditioned", "STEP_KEY", "MUTATING"]

STEP_KEY = re.compile(r"^(\d+):(.*)$")


def run_program(lines, torch):
    """Observations of a program (a list of step texts) run on the namespace `torch`."""
    calls = []

    def hook(name, grad):
        calls.append({"kind": "sequence", "items": [observe(name), observe(grad)]})

    namespace = {"torch": torch, "F": torch.nn.functional, "_hook": hook}
    observations = {}
    for i, code in enumerate(lines):
        calls.clear()
        before = set(namespace)
        compiled = compile(code, f"<step {i}>", "exec")
        result, warns = observe_call(exec, compiled, namespace)
        if result["kind"] == "error":
            observations[f"{i}:<raised>"] = result
        if warns:
            observations[f"{i}:<warnings>"] = {"kind": "sequence", "items": warns}
        if calls:
            observations[f"{i}:<hooks>"] = {"kind": "sequence", "items": list(calls)}
        defined = [n for n in namespace if n not in before and not n.startswith("__")]
        changes = _changes_tensors(code)
        for name in defined if not changes else _variables(namespace):
            observations[f"{i}:{name}"] = _observe_quietly(namespace[name])
            if changes and _tensor_type(namespace[name]):
                observations[f"{i}:{name}.grad"] = _observe_quietly(_grad(namespace[name]))
    return observations


def _tensor_type(value):
    """is_tensor without touching the value (torch raises from `grad_fn` of a view it has invalidated)."""
    return any(c.__name__ in ("Tensor", "Parameter") for c in type(value).__mro__)


def _variables(namespace):
    return [n for n in namespace if re.match(r"^[tv]\d+$", n)]


MUTATING = re.compile(r"(_\(|\]\s*=[^=]|[+*/-]=|backward|autograd\.grad|register_hook|\.grad\s*=|\.remove\(\))")


def _changes_tensors(code):
    """Whether a step can change tensors it did not define (then all of them are observed after it)."""
    return bool(MUTATING.search(code))


def _grad(t):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reading a non-leaf's .grad warns; the step did not ask for it
        return t.grad


def _observe_quietly(value):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return observe(value)
        except Exception as exc:  # observing itself failed (repr of a broken tensor): that is the observation
            return {"kind": "error", "type": type(exc).__name__, "message": f"while observing: {exc}"}


def program_task(key, lines, subject_name, timeout):
    """A worker task (see conformance.runner.WorkerPool): the program's observations on a subject."""
    import time
    from ..runner import ScenarioTimeout, time_limit
    from ..subjects import parse_subject
    start = time.perf_counter()
    try:
        namespace = parse_subject(subject_name).namespace()
        with time_limit(timeout):
            result = {"status": "ok", "observations": run_program(lines, namespace)}
    except ScenarioTimeout as exc:
        result = {"status": "timeout", "reason": str(exc)}
    except Exception as exc:
        result = {"status": "error", "reason": f"{subject_name} failed outside the program: {type(exc).__name__}: {exc}"}
    result["duration_s"] = round(time.perf_counter() - start, 4)
    return result


def first_difference(diffs):
    """The diff of the earliest step (diffs of later steps are mostly its consequences)."""
    def order(d):  # by step; within a step, what it raised first (the values it lacks follow from that)
        m = STEP_KEY.match(d["field"])
        return (int(m.group(1)), not m.group(2).startswith("<raised>")) if m else (10 ** 9, True)
    return min(diffs, key=order) if diffs else None


_NAME = re.compile(r"\b[tv]\d+\b")
_NUMERIC_FIELDS = ("values", "repr", "value")


def rounding_only(diff, lines, expected, actual):
    """Whether a value difference is rounding, not a difference of the subject's: carried from an earlier
    step, or from a linear-algebra op on an ill-conditioned matrix."""
    return carried_rounding(diff, lines, expected, actual) or ill_conditioned(diff, lines, expected)


def carried_rounding(diff, lines, expected, actual):
    """Whether a value difference is rounding carried from an earlier step: a tensor the differing value is
    computed from already differed there in its last bits (within tolerance, or it would be the earlier
    difference). An ill-conditioned op (exp of exp, a square, an inverse) can amplify such bits past its
    own tolerance; that is the earlier op's rounding, not a new difference."""
    found = _value_sources(diff, lines)
    if found is None:
        return False
    step, sources = found
    return any(_inexact(expected, actual, j, n) for j in range(step) for n in sources)


# A linear-algebra step and the variable holding its matrix (`torch.linalg.inv(t3[0, 0] + torch.eye(3))`).
_LINALG = re.compile(r"^\s*(\w+) = torch\.linalg\.(det|inv)\((\w+)", re.M)


def ill_conditioned(diff, lines, expected):
    """Whether a value difference comes from det or inv (forward or backward) of a finite matrix whose
    condition number exceeds 1/eps of its dtype: its result is then rounding noise of the LAPACK that computed
    it (MKL's SVD and LU round otherwise than OpenBLAS's, and PyTorch's CPU and CUDA results differ too)."""
    found = _value_sources(diff, lines)
    if found is None:
        return False
    step, sources = found
    for j, code in enumerate(lines[:step + 1]):
        call = _LINALG.search(code)
        if call and (call.group(1) in sources or j == step):
            matrix = _observed_values(expected, call.group(3), j)
            if matrix is not None and _cond_past_eps(matrix, call.group(2) == "inv"):
                return True
    return False


def _value_sources(diff, lines):
    """(step, the variables its differing value is computed from), or None for a field that is no value."""
    m = STEP_KEY.match(diff["field"])
    if not m or diff["field"].rpartition(".")[2] not in _NUMERIC_FIELDS:
        return None
    step = int(m.group(1))
    reads, deps = _dependencies(lines, step)
    name = m.group(2).partition(".")[0]
    return step, reads | {name} | deps.get(name, set())


def _observed_values(expected, name, before):
    """The values and dtype of `name` as last observed before step `before`."""
    for j in range(before - 1, -1, -1):
        obs = expected.get(f"{j}:{name}")
        if isinstance(obs, dict) and "values" in obs:
            return np.asarray(obs["values"], dtype=float), obs["dtype"]
    return None


def _cond_past_eps(matrix, inv):
    values, dtype = matrix
    if inv:  # the fuzzer's inv step: of x[0, 0] + eye(3)
        values = values[(0,) * (values.ndim - 2)] + np.eye(3) if values.ndim >= 2 else values
    if values.ndim < 2 or values.shape[-1] != values.shape[-2]:
        return False
    matrices = values.reshape((-1,) + values.shape[-2:])
    matrices = matrices[np.isfinite(matrices).all(axis=(1, 2))]  # a batch's NaN matrix is NaN in both engines
    if not len(matrices):
        return False
    eps = np.finfo(np.float32 if dtype == "torch.float32" else np.float64).eps
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(matrices)
    return bool(np.any(~np.isfinite(cond) | (cond * eps > 1)))


def _dependencies(lines, step):
    """What step `step` reads, with what that was computed from (transitively), and each variable's sources
    before it (an in-place op or backward makes the tensors it reads depend on each other)."""
    deps = {}
    for k, code in enumerate(lines[:step]):
        names = set(_NAME.findall(code))
        defined = {n for n in names if n not in deps and re.search(rf"^\s*{n}\s*=", code, re.M)}
        closure = _closure(names - defined, deps)
        for n in defined:
            deps[n] = closure
        if _changes_tensors(code):
            for r in names - defined:
                deps[r] = closure
    return _closure(set(_NAME.findall(lines[step])), deps), deps


def _closure(reads, deps):
    return reads.union(*(deps.get(r, ()) for r in reads))


def _inexact(expected, actual, step, name):
    """Whether step `step`'s observation of `name` (or of its .grad) has values that are not bit for bit alike
    (a zero's sign counts: 1 / x makes it an infinity's)."""
    for key in (f"{step}:{name}", f"{step}:{name}.grad"):
        a, b = expected.get(key), actual.get(key)
        if isinstance(a, dict) and isinstance(b, dict) and "values" in a and "values" in b and \
                a.get("dtype") == b.get("dtype") and not _bitwise_alike(a, b):
            return True
    return False


def _bitwise_alike(a, b):
    x, y = np.asarray(a["values"], dtype=float), np.asarray(b["values"], dtype=float)
    return x.shape == y.shape and bool(np.all(((x == y) & (np.signbit(x) == np.signbit(y))) |
                                              (np.isnan(x) & np.isnan(y))))


def signature(diff, kinds):
    """What identifies a difference across programs: the kind of step and the field that differ,
    without the variable names (`exp/values`, `backward/grad.values`, `add_/raises`) or the grad mode
    the step ran under (so one wrong kernel is one difference, not one per mode)."""
    m = STEP_KEY.match(diff["field"])
    if not m:
        return f"program/{diff['field']}"
    rest = re.sub(r"\.+", ".", re.sub(r"\[\d+\]", "", m.group(2)))  # items of a sequence count as one
    step = int(m.group(1))
    name, _, field = rest.partition(".")
    if name == "<raised>":
        if diff.get("expected") == "<missing>":
            field = "raises"
        elif diff.get("actual") == "<missing>":
            field = "no_raise"
        else:
            field = "exc." + (field or "kind")
    elif name in ("<warnings>", "<hooks>"):
        field = name.strip("<>") + ("" if not field else "." + field)
    elif not field:
        field = "kind" if diff.get("expected") != "<missing>" and diff.get("actual") != "<missing>" else "presence"
    kind = kinds[step].rpartition(":")[2] if step < len(kinds) else "?"  # `no_grad:t` counts as `t`
    return f"{kind}/{field}"
