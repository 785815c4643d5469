"""Every code block of the seed notes (../shared/seeds/, the d2l autograd chapter) prints the same
text under `import refgrad as torch` as under torch, run verbatim (each engine's own randn).

The cells and the notebook runner live in conformance/scenarios/seeds.py, which also runs them as
conformance scenarios with the harness's seeded inputs.
"""
import pytest
import torch

import refgrad
from conformance.scenarios.seeds import SEEDS
from helpers import notebook_text


def seeded_notebook_text(cells, engine):
    """Everything the cells show under `engine`, with the engine's own randn (seeded with 0), as the notes ran."""
    engine.manual_seed(0)
    return notebook_text(cells, engine)


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_seed_prints_the_same(seed):
    expected = seeded_notebook_text(SEEDS[seed], torch)
    actual = seeded_notebook_text(SEEDS[seed], refgrad)
    assert actual == expected


def test_seed_outputs_match_the_notes():
    """Spot-check against what the notes themselves say they printed."""
    text = seeded_notebook_text(SEEDS["002"], refgrad)
    for line in ("tensor([0., 1., 2., 3.])", "tensor(28., grad_fn=<MulBackward0>)", "tensor([ 0.,  4.,  8., 12.])",
                 "tensor([True, True, True, True])", "tensor([1., 1., 1., 1.])", "tensor([0., 2., 4., 6.])",
                 "tensor(True)"):
        assert line in text
