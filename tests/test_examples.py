"""Every program in examples/ prints the same thing under torch and under refgrad.

Each script runs twice in a subprocess: `python SCRIPT` (real torch) and `python -m refgrad.run SCRIPT`
(the same file, `torch` aliased to refgrad). torch's run must succeed, and refgrad's stdout must equal it.
"""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p.name for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))


def _run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_there_are_examples():
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_prints_what_torch_prints(script):
    path = str(ROOT / "examples" / script)
    expected = _run(path)
    assert expected.returncode == 0, f"torch run failed:\n{expected.stderr}"
    actual = _run("-m", "refgrad.run", path)
    assert actual.stdout == expected.stdout, f"refgrad's run (exit {actual.returncode}):\n{actual.stderr[-3000:]}"
    assert actual.returncode == 0, actual.stderr


def test_the_alias_maps_torch_to_refgrad(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text("import sys\nimport torch, torch.nn.functional as F\nfrom torch.optim import lr_scheduler\n"
                      "import refgrad\nprint(torch is refgrad, F is refgrad.nn.functional,\n"
                      "      lr_scheduler is refgrad.optim.lr_scheduler, sys.argv[1:])\n")
    result = _run("-m", "refgrad.run", str(script), "a", "b")
    assert result.stdout == "True True True ['a', 'b']\n", result.stderr
