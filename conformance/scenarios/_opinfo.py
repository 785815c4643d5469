"""OpInfo-style op checks, shared by the ops_* areas.

An op's samples are `Sample(key, fn, shapes)`: `fn(torch, *inputs)` runs the op on seeded inputs of
those shapes (which require grad), or on `values` where the sample needs exact ones (ties, zeros,
NaN, infinities). `check_sample` records, under the sample's key:

  y       the output (values, dtype, shape, grad_fn name), or the tuple of outputs
  grad    first-order gradients of a seeded weighted sum of the outputs, for every input
  grad2   second-order gradients: the first-order ones (taken with create_graph=True) weighted
          and differentiated again, so the backward formulas' own derivatives are checked
  jvp     forward-mode: the output's tangent along seeded tangents (torch.func.jvp), when the op
          supports forward mode

Weights are seeded random, not ones, so that a gradient cannot pass by symmetry (softmax's
gradient of a plain sum is zero).
"""
from dataclasses import dataclass, field

from . import scenario

FLOATS = ("float32", "float64")

__all__ = ["Sample", "op_scenario", "register_all", "record_jvp", "FLOATS"]


@dataclass(frozen=True)
class Sample:
    key: str
    fn: object
    shapes: tuple = ((2, 3),)
    low: float = -2.0
    high: float = 2.0
    second_order: bool = True
    forward_mode: bool = True
    record_grad_fn: bool = True
    values: tuple = None
    notes: dict = field(default_factory=dict)


def _tensors(value):
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return [value] if hasattr(value, "grad_fn") else []


def _weighted_sum(torch, rec, tensors):
    """sum(t * w) over the tensors that require grad, with seeded weights w (drawn for every float
    tensor, so that the draws stay aligned whichever tensors require grad)."""
    total = None
    for t in tensors:
        if not t.dtype.is_floating_point:
            continue
        weight = rec.tensor(*t.shape)
        if t.requires_grad:
            term = (t * weight).sum()
            total = term if total is None else total + term
    return total


def check_sample(torch, rec, sample):
    if sample.values is None:
        inputs = [rec.tensor(*shape, low=sample.low, high=sample.high, requires_grad=True) for shape in sample.shapes]
    else:
        inputs = [rec.constant(v, requires_grad=True) for v in sample.values]
    out = sample.fn(torch, *inputs)
    rec(f"{sample.key}.y", out if sample.record_grad_fn else [t.detach() for t in _tensors(out)])
    loss = _weighted_sum(torch, rec, _tensors(out))
    if loss is None:
        return
    grads = torch.autograd.grad(loss, inputs, create_graph=sample.second_order, allow_unused=True,
                                materialize_grads=True)
    rec(f"{sample.key}.grad", [g.detach() for g in grads])
    if sample.second_order:
        # Whether a first-order gradient requires grad is an artifact of how the backward formula is
        # written (torch's max_pool2d backward takes the input, so its linear gradient "requires grad").
        # The second derivative is zero either way, so a gradient that does not require grad counts
        # as one whose derivative is zero, and only the values are compared.
        second = _weighted_sum(torch, rec, grads)
        if second is not None:
            grads2 = torch.autograd.grad(second, inputs, allow_unused=True, materialize_grads=True)
        else:
            grads2 = [torch.zeros_like(x) for x in inputs]
        rec(f"{sample.key}.grad2", [g.detach() + 0 for g in grads2])  # + 0: torch may give ZeroTensors
    if sample.forward_mode:
        record_jvp(torch, rec, sample.key, lambda *xs: sample.fn(torch, *xs), inputs)


def record_jvp(torch, rec, key, fn, inputs):
    """Records `key.jvp`: fn's output tangents along seeded tangents, by torch.func.jvp."""
    primals = tuple(x.detach() for x in inputs)
    tangents = tuple(rec.tensor(*x.shape) for x in inputs)
    _, tangent_out = torch.func.jvp(fn, primals, tangents)
    rec(f"{key}.jvp", [t.detach() for t in _tensors(tangent_out)])


def op_scenario(module, name, samples, dtypes=FLOATS):
    """Registers the scenario `name` of area `module` that checks each of `samples`."""
    def run(torch, rec):
        for sample in samples:
            check_sample(torch, rec, sample)
    run.__name__ = run.__qualname__ = name
    run.__module__ = module
    return scenario(dtypes=dtypes)(run)


def register_all(module, table, dtypes=FLOATS):
    """One scenario per op: `table` maps op names to their samples."""
    return {name: op_scenario(module, name, samples, dtypes) for name, samples in table.items()}
