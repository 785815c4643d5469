"""The comparison helper must fail when refgrad differs; a test that cannot fail proves nothing."""
import pytest

import refgrad
from helpers import assert_same


def test_detects_a_wrong_value(monkeypatch):
    def body(torch):
        return torch.tensor([1.0, 2.0]) * 2
    assert_same(body)
    original = refgrad.Tensor.__mul__
    monkeypatch.setattr(refgrad.Tensor, "__mul__", lambda self, other: original(self, other) + 1e-3)
    with pytest.raises(AssertionError, match="field values"):
        assert_same(body)


def test_detects_a_wrong_message(monkeypatch):
    def body(torch):
        torch.ones(2).sum().backward()
    monkeypatch.setattr(refgrad.autograd.api, "backward", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("nope")))
    with pytest.raises(AssertionError, match="field message"):
        assert_same(body)
