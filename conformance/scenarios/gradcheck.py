"""The numerical oracle: gradcheck (reverse and forward mode) and gradgradcheck on every OpInfo
sample of the ops_* and nn_functional areas, in float64. Each engine checks itself with its own
autograd.gradcheck; the records say that both engines' derivatives agree with central differences
(and torch's gradcheck vouches for the same samples).

A few samples fail gradcheck on both engines, as they should: those that detach an input inside
(class weights, probability targets: the numerical derivative sees the input, the analytical one
does not) and embedding's padding_idx, whose gradient is zeroed by design. What is compared is the
outcome, so those record False on both. The warnings the ops give are not (gradcheck calls an op a
number of times that is its own business; the op's own case compares them), and samples at exact
points (ties, kinks: `values`) are left out, since finite differences are not defined there."""
import warnings

from . import nn_functional, ops_binary, ops_indexing, ops_linalg, ops_reduction, ops_shape, scenario
from ._opinfo import _tensors

AREAS = {"ops_binary": ops_binary, "ops_reduction": ops_reduction, "ops_linalg": ops_linalg,
         "ops_shape": ops_shape, "ops_indexing": ops_indexing, "nn_functional": nn_functional}


def _quietly(check):
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return check()
    return run


def _op_scenario(area, name, samples):
    """gradcheck/<area>.<op>: one case per op, so that none comes near the time limit on a small machine."""
    def run(torch, rec):
        for sample in samples:
            if sample.values is not None:
                continue
            inputs = [rec.tensor(*shape, low=sample.low, high=sample.high, requires_grad=True)
                      for shape in sample.shapes]

            def fn(*xs, sample=sample):
                return tuple(t for t in _tensors(sample.fn(torch, *xs)) if t.dtype.is_floating_point)

            if not any(t.requires_grad for t in fn(*inputs)):
                rec(f"{sample.key}.outputs_require_grad", False)  # argmax, comparisons: nothing to gradcheck
                continue
            # pass or fail only: the failure message of gradgradcheck shows the engine's random
            # grad_outputs, which differ between engines
            rec.raises(f"{sample.key}.gradcheck", _quietly(lambda: torch.autograd.gradcheck(
                fn, tuple(inputs), check_forward_ad=sample.forward_mode, raise_exception=False)))
            if sample.second_order:
                rec.raises(f"{sample.key}.gradgradcheck", _quietly(lambda: torch.autograd.gradgradcheck(
                    fn, tuple(inputs), raise_exception=False)))
    run.__name__ = run.__qualname__ = f"{area}.{name}"
    run.__module__ = __name__
    return scenario(dtypes=("float64",))(run)


for _area, _module in AREAS.items():
    for _name, _samples in _module.TABLE.items():
        if any(sample.values is None for sample in _samples):
            _op_scenario(_area, _name, _samples)
