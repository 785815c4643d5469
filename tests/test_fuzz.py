"""The differential fuzzer (`python -m conformance fuzz`): a short fixed-seed run conforms, a planted
fault is found and shrunk, a crashing subject is isolated, and repro scripts replay what was found."""
import os
import subprocess
import sys

from conformance.fuzz import build_fuzz_report
from conformance.fuzz.execute import run_program, signature
from conformance.fuzz.output import load_repro, write_fuzz_reports
from conformance.fuzz.search import Differential, Search
from conformance.manifest import load_manifest

ROOT = os.path.join(os.path.dirname(__file__), "..")
KNOWN = load_manifest(os.path.join(ROOT, "known-divergences.toml"))


def _search(subjects, examples, seed=0, entries=KNOWN, isolate=False):
    differential = Differential(subjects, isolate=isolate, timeout=20.0)
    try:
        return Search(differential, entries, seed=seed, max_examples=examples).run()
    finally:
        differential.close()


def test_fixed_seed_run_conforms_outside_the_manifest():
    search = _search(["refgrad"], 60)
    assert search.programs >= 60 and search.steps > search.programs
    assert {sig: f.diff["field"] for sig, f in search.findings.items()} == {}


def test_planted_wrong_backward_formula_is_found_and_shrunk(monkeypatch):
    """sum's backward scaled by 1.5: most programs end with x.sum().backward(), so a short search finds it,
    at the backward step, in the gradients, and hypothesis shrinks the program."""
    from refgrad import derivatives
    monkeypatch.setattr(derivatives.SUM, "backward", (lambda grad, self_shape: grad.expand(self_shape) * 1.5,))
    search = _search(["refgrad"], 40)
    wrong = [f for f in search.findings.values() if f.signature.startswith("backward")
             and f.diff["field"].endswith("grad.values")]
    assert wrong, f"the planted fault was not found; findings: {sorted(search.findings)}"
    smallest = min(wrong, key=lambda f: f.size)
    assert smallest.lines[-1].endswith(".sum().backward()") or ".sum().backward(" in smallest.lines[-1]
    assert len(smallest.lines) <= 3, smallest.lines  # hypothesis shrank it: a leaf, maybe another, the backward


def test_crashing_subject_is_isolated_and_reported():
    sys.path.insert(0, os.path.dirname(__file__))
    search = _search(["faulty_engines:crashing"], 3, entries=[], isolate=True)
    assert search.findings, "a subject that kills its worker must differ"
    finding = next(iter(search.findings.values()))
    assert finding.diff["field"] == "status"
    assert "the worker running it died (exit code 3)" in finding.diff["actual"]


def test_signature_names_step_kind_and_field():
    kinds = ["tensor", "exp", "backward"]
    assert signature({"field": "1:t1.values"}, kinds) == "exp/values"
    assert signature({"field": "2:t0.grad.values"}, kinds) == "backward/grad.values"
    assert signature({"field": "2:<raised>", "expected": "<missing>", "actual": {}}, kinds) == "backward/raises"
    assert signature({"field": "1:<raised>.message"}, kinds) == "exp/exc.message"
    assert signature({"field": "2:<warnings>.len"}, kinds) == "backward/warnings.len"


def test_programs_observe_steps_errors_and_hooks():
    import refgrad
    obs = run_program(["t0 = torch.tensor([1.0, 2.0], requires_grad=True)",
                       "h1 = t0.register_hook(lambda g: _hook('h1', g))",
                       "t1 = (t0 * t0).sum()", "t1.backward()", "t2 = t0.view(5)"], refgrad)
    assert obs["3:t0.grad"]["values"] == [2.0, 4.0]
    assert obs["3:<hooks>"]["items"][0]["items"][0]["value"] == "h1"
    assert obs["4:<raised>"]["type"] == "RuntimeError"


def test_repro_script_runs_on_both_engines_and_replays(tmp_path):
    program = ["t0 = torch.tensor([1.0, -0.0], requires_grad=True)", "t1 = t0.exp()", "t1.sum().backward()"]
    finding = {"signature": "exp/values", "subject": "refgrad", "against": "torch:cpu", "field": "1:t1.values",
               "diff": {"field": "1:t1.values", "expected": 1, "actual": 2}, "program": program, "hits": 1}
    report = {"run": {"command": "python -m conformance fuzz --seed 0"}, "findings": [finding], "known": {},
              "counts": {"programs": 1, "steps": 3, "rounds": 1}}
    report["run"]["seed"] = 0
    os.makedirs(tmp_path / "repro")
    stale, mine = tmp_path / "repro" / "old_values.py", tmp_path / "repro" / "notes.py"
    stale.write_text('"""Fuzz finding old/values: refgrad differs from torch:cpu.\n"""\n')
    mine.write_text("# the user's own file\n")
    paths = write_fuzz_reports(report, str(tmp_path))
    assert not stale.exists() and mine.exists(), "an earlier run's repro scripts go; other files stay"
    repro = finding["repro"]
    assert load_repro(repro) == program
    out = subprocess.run([sys.executable, repro], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("[2] t1.sum().backward()") == 2 and "=== torch" in out.stdout and "=== refgrad" in out.stdout
    replay = subprocess.run([sys.executable, "-m", "conformance", "fuzz", "--replay", repro, "--subjects", "refgrad",
                             "-n", "0"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert replay.returncode == 0 and replay.stdout.rstrip().endswith("conforms"), replay.stdout + replay.stderr
    assert os.path.exists(paths["html"]) and "exp/values" in open(paths["md"]).read()


def test_report_merges_searches():
    report = build_fuzz_report([{"seed": 1, "programs": 2, "steps": 5, "rounds": 1, "known": {"a/b": 1},
                                 "findings": {}}], ["refgrad"], 1, 0.5)
    assert report["counts"] == {"programs": 2, "steps": 5, "rounds": 1} and report["known"] == {"a/b": 1}


def _nudged_exp(threshold, ulps):
    """refgrad's exp with every float32 result from an input above `threshold` moved `ulps` ulps up."""
    import numpy as np
    from refgrad import derivatives
    exact = derivatives.EXP.forward

    def forward(a):
        out = exact(a)
        if out.dtype == np.float32:
            out = np.where(a > threshold, out + np.float32(ulps) * np.spacing(out), out)
        return out
    return forward


EXP_OF_EXP = ["t0 = torch.tensor([2.5, 3.0], dtype=torch.float32)", "t1 = t0.exp()", "t2 = t1.exp()"]


def test_rounding_carried_from_an_earlier_step_is_counted_not_reported(monkeypatch):
    """exp(t0) one ulp off (within tolerance) makes exp(exp(t0)) differ past float32's tolerance: that is the
    first exp's rounding carried, so the program conforms unless --strict-rounding."""
    from refgrad import derivatives
    monkeypatch.setattr(derivatives.EXP, "forward", _nudged_exp(0.0, 1))
    for strict, expected in ((False, True), (True, False)):
        differential = Differential(["refgrad"], isolate=False, strict_rounding=strict)
        try:
            [(_, _, diff, carried)] = differential.differences(EXP_OF_EXP)
        finally:
            differential.close()
        assert diff["field"] == "2:t2.values" and carried is expected


def test_a_difference_from_bit_identical_inputs_is_reported(monkeypatch):
    """A fault past tolerance only in the second exp (inputs above 10): its inputs were alike bit for bit, so
    the difference is the op's own and is reported."""
    from refgrad import derivatives
    monkeypatch.setattr(derivatives.EXP, "forward", _nudged_exp(10.0, 40))
    program = EXP_OF_EXP[:2] + ["t2 = (t1 * 3.0).exp()"]
    differential = Differential(["refgrad"], isolate=False)
    try:
        found = differential.differences(program)
    finally:
        differential.close()
    assert [(d["field"], carried) for _, _, d, carried in found] == [("2:t2.values", False)]


SINGULAR_DET = ["t0 = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1e30]], dtype=torch.float32, "
                "requires_grad=True)", "t1 = torch.linalg.det(t0)", "t1.backward(create_graph=True)"]


def _differences(program, strict=False):
    differential = Differential(["refgrad"], isolate=False, strict_rounding=strict)
    try:
        return [(d["field"], rounding) for _, _, d, rounding in differential.differences(program)]
    finally:
        differential.close()


def test_det_of_an_ill_conditioned_matrix_is_rounding_not_reported():
    """The gradient of det at a singular float32 matrix with a 1e30 entry is LAPACK's rounding noise (MKL's SVD
    finds the singular value 1.41 that OpenBLAS's puts at 1e14, and the cofactors overflow): counted, not
    reported, unless --strict-rounding."""
    assert _differences(SINGULAR_DET) == [("2:t0.grad.values", True)]
    assert _differences(SINGULAR_DET, strict=True) == [("2:t0.grad.values", False)]


def test_det_of_a_well_conditioned_matrix_is_compared(monkeypatch):
    """A fault in det's backward at a well-conditioned matrix is reported: only ill-conditioned inputs excuse it."""
    from refgrad import derivatives
    formula = derivatives.LINALG_DET.backward[0]
    monkeypatch.setattr(derivatives.LINALG_DET, "backward", (lambda grad, A, result: formula(grad, A, result) * 1.01,))
    program = [SINGULAR_DET[0].replace("1e30", "5.0").replace("[1.0, 1.0, 1.0], [1.0", "[2.0, 1.0, 1.0], [1.0"),
               *SINGULAR_DET[1:]]
    assert _differences(program) == [("2:t0.grad.values", False)]


def test_a_zero_sign_carried_into_an_infinity_is_rounding(monkeypatch):
    """min of [0.0, -0.0] is -0.0 in PyTorch; a planted +0.0 compares equal there (tolerance ignores a zero's
    sign) and becomes +inf against -inf in 1 / min: the earlier step's last bit, carried."""
    import numpy as np
    from refgrad import derivatives
    monkeypatch.setattr(derivatives.MIN, "forward", lambda a: np.abs(np.min(a)))
    program = ["t0 = torch.tensor([0.0, -0.0], dtype=torch.float32)", "t1 = t0.min()", "t2 = 1 / t1"]
    assert _differences(program) == [("2:t2.values", True)]
    assert _differences(program, strict=True) == [("2:t2.values", False)]


def test_an_ill_conditioned_matrix_in_a_batch_beside_a_nan_one_is_rounding():
    """det's batch: the first matrix holds NaN (NaN in both engines), the second is singular with 1e30: the
    difference in the second is LAPACK noise all the same (fuzz seed 20261216)."""
    program = ["t0 = torch.tensor([[[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, float('nan')]], [[0.5, 0.5, 1.0], "
               "[1.0, 1e+30, 1.0], [0.0, 1.0, 1.0]]]], dtype=torch.float32, requires_grad=True)",
               "t1 = torch.linalg.det(t0)", "t1.sum().backward()"]
    assert _differences(program) == [("2:t0.grad.values", True)]
    assert _differences(program, strict=True) == [("2:t0.grad.values", False)]
