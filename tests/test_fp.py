"""NumPy's floating-point error state: refgrad computes inf and nan silently, as PyTorch does, and
leaves the caller's NumPy error state as it found it."""
import warnings

import numpy as np
import pytest

import refgrad
from refgrad._fp import quiet, quietly


def test_ops_on_inf_and_zero_give_no_warning():
    x = refgrad.tensor([float("inf"), 0.0, -1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(x.cos()[0].item())
        assert x.log().tolist()[:2] == [float("inf"), float("-inf")]
        assert (x / 0).tolist()[0] == float("inf")
        assert (x.half() * 70000.0).tolist()[0] == float("inf")


def test_numpy_error_state_is_restored_after_ops_and_errors():
    before = np.geterr()
    refgrad.tensor([1.0, 0.0]).log()

    @quietly
    def fails():
        assert np.geterr()["invalid"] == "ignore"
        raise ValueError("inside")

    with pytest.raises(ValueError):
        fails()
    with pytest.raises(KeyError):
        with quiet():
            raise KeyError("inside")
    assert np.geterr() == before
