"""The benchmark harness: the hand-written NumPy baselines compute what refgrad computes, engines take
turns, and README's tables come from a results file."""
import numpy as np

import refgrad
from benchmarks.__main__ import best_of_each, hvp, hvp_numpy, markdown_tables


def test_numpy_hvp_baseline_matches_refgrad():
    np.testing.assert_allclose(hvp(refgrad)().numpy(), hvp_numpy()(), rtol=1e-4, atol=1e-6)


def test_variants_take_turns():
    calls = []
    best = best_of_each({name: (lambda name=name: calls.append(name), None) for name in "abc"}, 20)
    rounds = [calls[i:i + 3] for i in range(0, len(calls), 3)]
    assert rounds[0] == list("abc") and all(sorted(r) == list("abc") for r in rounds)  # a warm-up, then turns
    before_a = {r[r.index("a") - 1] if r.index("a") else p[-1] for p, r in zip(rounds[1:], rounds[2:])}
    assert len(before_a) > 1  # no engine always runs right after the same one
    assert set(best) == set("abc") and all(v >= 0 for v in best.values())


def test_markdown_tables_from_results():
    per_op = {"elements": 1000, "ops": 200, "refgrad_us": 8.5, "torch_us": 8.0, "torch_1thread_us": 7.9,
              "numpy_us": 1.5, "refgrad/torch": 1.0625, "refgrad/numpy": 5.67}
    program = {"refgrad_ms": 2.0, "torch_ms": 1.0, "torch_1thread_ms": 0.9, "numpy_ms": 0.5, "refgrad/torch": 2.0}
    scaling = {"ops": 100, "us_per_op": 12.0, "graph_bytes": 140_000, "bytes_left_after_backward": 392}
    text = markdown_tables({"per_op": [per_op], "programs": {"mlp_step": program, "hvp": program},
                            "scaling": [scaling]})
    assert "| 1,000 elements | 8.5 us | 8.0 us | 7.9 us | 1.5 us | 1.06 | 5.67 |" in text
    assert "| MLP step | 2.00 ms | 1.00 ms | 0.90 ms | 0.50 ms | 2.00 |" in text
    assert "| left after backward | 392 B |" in text
