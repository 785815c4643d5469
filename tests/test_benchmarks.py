"""The benchmark harness: the hand-written NumPy baselines and the torch.func variants compute what refgrad
computes, engines take turns, runs are summarized, and README's tables come from a results file."""
import numpy as np
import pytest

import refgrad
from benchmarks.__main__ import (best_of_each, conv_step, conv_step_numpy, conv_weights, hvp, hvp_func, hvp_numpy,
                                 markdown_tables, mlp_func_step, mlp_step, summarize)


def test_numpy_hvp_baseline_matches_refgrad():
    np.testing.assert_allclose(hvp(refgrad)().numpy(), hvp_numpy()(), rtol=1e-4, atol=1e-6)


def test_func_hvp_matches_eager_hvp():
    np.testing.assert_allclose(hvp_func(refgrad)().numpy(), hvp(refgrad)().numpy(), rtol=1e-5, atol=1e-6)


def test_numpy_conv_step_matches_refgrad():
    before = conv_weights()[:4]
    after_refgrad = [p.detach().numpy() for p in conv_step(refgrad)()]
    after_numpy = conv_step_numpy()()
    for w0, w_refgrad, w_numpy in zip(before, after_refgrad, after_numpy):
        assert not np.array_equal(w_refgrad, w0)  # the step moved every parameter
        np.testing.assert_allclose(w_numpy - w0, w_refgrad - w0, rtol=1e-4, atol=1e-6)


def test_func_mlp_step_matches_eager_step():
    eager, functional = mlp_step(refgrad)(), mlp_func_step(refgrad)()
    assert eager.keys() == functional.keys()
    for name, p in eager.items():
        np.testing.assert_allclose(functional[name].numpy(), p.detach().numpy(), rtol=1e-5, atol=1e-7)


def test_variants_take_turns():
    calls = []
    best = best_of_each({name: lambda name=name: calls.append(name) for name in "abc"}, 20)
    rounds = [calls[i:i + 3] for i in range(0, len(calls), 3)]
    assert rounds[0] == list("abc") and all(sorted(r) == list("abc") for r in rounds)  # a warm-up, then turns
    before_a = {r[r.index("a") - 1] if r.index("a") else p[-1] for p, r in zip(rounds[1:], rounds[2:])}
    assert len(before_a) > 1  # no engine always runs right after the same one
    assert set(best) == set("abc") and all(v >= 0 for v in best.values())


def test_runs_summarized_figure_by_figure():
    runs = [{"per_op": [{"elements": 1, "refgrad_us": t, "refgrad/torch": t / 2}], "graph_bytes": b}
            for t, b in ((3.0, 10), (1.0, 30), (2.0, 20))]
    summary = summarize(runs)
    assert summary["per_op"] == [{"elements": 1, "refgrad_us": 2.0, "refgrad/torch": 1.0}]
    assert summary["graph_bytes"] == 20 and summary["runs"] == runs
    assert summary["spread"]["per_op"][0]["refgrad/torch"] == [0.5, 1.5]


def results(runs):
    per_op = {"elements": 1000, "ops": 200, "refgrad_us": 8.5, "torch_us": 8.0, "numpy_us": 1.5,
              "refgrad/torch": 1.0625, "refgrad/numpy": 5.67}
    program = {"refgrad_ms": 2.0, "torch_ms": 1.0, "numpy_ms": 0.5, "refgrad/torch": 2.0, "refgrad/numpy": 4.0}
    scaling = {"ops": 100, "us_per_op": 12.0, "graph_bytes": 140_000, "bytes_left_after_backward": 392}
    run = {"per_op": [per_op], "programs": {"mlp_step": program, "hvp_func": program}, "scaling": [scaling]}
    return summarize([run] * runs)


def test_markdown_tables_from_results():
    text = markdown_tables(results(1))
    assert "| 1,000 elements | 8.5 us | 8.0 us | 1.5 us | 1.06 | 5.67 |" in text
    assert "| MLP step | 2.00 ms | 1.00 ms | 0.50 ms | 2.00 | 4.00 |" in text
    assert "| HVP, torch.func | 2.000 ms | 1.000 ms | 0.500 ms | 2.00 | 4.00 |" in text
    assert "| left after backward | 392 B |" in text


def test_markdown_tables_show_ratio_spread_over_runs():
    summary = results(3)
    summary["spread"]["per_op"][0]["refgrad/torch"] = [1.01, 1.2]
    text = markdown_tables(summary)
    assert "| 1,000 elements | 8.5 us | 8.0 us | 1.5 us | 1.06 (1.01-1.20) | 5.67 (5.67-5.67) |" in text


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")  # torch.func.jvp's own, on first use
@pytest.mark.parametrize("lib_name", ["refgrad", "torch"])
def test_programs_run_on_both_engines(lib_name):
    lib = pytest.importorskip(lib_name)
    for make in (mlp_func_step, hvp_func, conv_step):
        make(lib)()
