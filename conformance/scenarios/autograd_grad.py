"""torch.autograd.grad and backward(inputs=): outputs, grad_outputs, allow_unused, materialize_grads, errors."""
from . import scenario

FLOATS = ("float32", "float64")


@scenario(dtypes=FLOATS)
def several_inputs(torch, rec):
    x, w = rec.tensor(3, requires_grad=True), rec.tensor(3, requires_grad=True)
    y = (x * w + w.exp()).sum()
    gx, gw = torch.autograd.grad(y, (x, w))
    rec("gx", gx)
    rec("gw", gw)
    rec("x.grad", x.grad)


@scenario
def unused_input(torch, rec):
    x, z = torch.tensor(rec.data(2), requires_grad=True), torch.tensor(rec.data(2), requires_grad=True)
    y = (x * 2).sum()
    rec.raises("not_allowed", lambda: torch.autograd.grad(y, [x, z], retain_graph=True))
    rec("allowed", torch.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True))
    rec("materialized", torch.autograd.grad(y, [x, z], materialize_grads=True))


@scenario(dtypes=FLOATS)
def grad_outputs_for_vectors(torch, rec):
    x = rec.tensor(2, 2, requires_grad=True)
    y = x * x
    (g,) = torch.autograd.grad(y, x, grad_outputs=torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=x.dtype))
    rec("g", g)


@scenario
def several_outputs(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    grads = torch.autograd.grad([(x * 2).sum(), (x * x).sum()], x)
    rec("grads", grads)


@scenario
def input_that_does_not_require_grad(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    c = torch.tensor(rec.data(3))
    y = (x * c).sum()
    rec.raises("constant", lambda: torch.autograd.grad(y, c))


@scenario
def output_without_grad_fn(torch, rec):
    c = torch.tensor(rec.data(3))
    x = torch.tensor(rec.data(3), requires_grad=True)
    rec.raises("grad", lambda: torch.autograd.grad(c.sum(), x))
    rec.raises("backward", lambda: c.sum().backward())


@scenario
def backward_inputs_subset(torch, rec):
    x, w = torch.tensor(rec.data(3), requires_grad=True), torch.tensor(rec.data(3), requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    rec("x.grad", x.grad)
    rec("w.grad", w.grad)


@scenario
def grad_of_intermediate(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = torch.autograd.grad(y, h)
    rec("gh", gh)
    rec("h.grad_fn", h.grad_fn)


def _changed_by_writing(torch, first, second):
    """Does an in-place change of `first` show in `second` (do the two gradients share memory)?"""
    before = second.clone()
    first.add_(100)
    changed = not torch.equal(before, second)
    first.sub_(100)
    return changed


@scenario(dtypes=("float32", "float64"))
def returned_gradients_sharing_memory(torch, rec):
    a = rec.tensor(requires_grad=True)
    b = rec.tensor(requires_grad=True)
    for weight in (0.0, 1.0, 0.5):
        y = a.lerp(b, weight)
        ga, gb, gy = torch.autograd.grad(y, [a, b, y.double() if rec.dtype == "float64" else y])
        rec(f"lerp_{weight}", [ga, gb, gy])
        rec(f"lerp_{weight}.shared", [_changed_by_writing(torch, ga, gy), _changed_by_writing(torch, gb, gy)])
    x = rec.tensor(2, requires_grad=True)
    z = rec.tensor(2, requires_grad=True)
    seed = torch.ones(2, dtype=x.dtype)
    gx, gz = torch.autograd.grad(x + z, [x, z], seed)
    rec("add.shared", [_changed_by_writing(torch, gx, gz), _changed_by_writing(torch, seed, gx)])


@scenario
def argument_forms_and_their_errors(torch, rec):
    """outputs/inputs as PyTorch's Python layer reads them: a Tensor or any iterable, dict inputs; the
    errors of None, numbers, non-tensor items and empty inputs, in PyTorch's order."""
    x = torch.tensor(rec.data(2), requires_grad=True)
    plain = torch.tensor(rec.data(2))

    def y():
        return (x * 2).sum()
    rec.raises("grad.outputs_none", lambda: torch.autograd.grad(None, [x]))
    rec.raises("grad.outputs_int", lambda: torch.autograd.grad(3, [x]))
    rec.raises("grad.outputs_item_none", lambda: torch.autograd.grad([y(), None], [x]))
    rec.raises("grad.outputs_str", lambda: torch.autograd.grad("ab", [x]))
    rec.raises("grad.inputs_none", lambda: torch.autograd.grad(y(), None))
    rec.raises("grad.inputs_empty", lambda: torch.autograd.grad(y(), ()))
    rec.raises("grad.inputs_item_none", lambda: torch.autograd.grad(y(), [None, plain]))
    rec.raises("grad.inputs_no_grad_first", lambda: torch.autograd.grad(y(), [plain, None]))
    rec.raises("grad.root_first", lambda: torch.autograd.grad(plain.sum(), [None]))
    rec.raises("grad.count_after_shapes", lambda: torch.autograd.grad([x * 2, x * 3], [x], [torch.ones(3)]))
    rec("grad.iterators", torch.autograd.grad(iter([y()]), iter([x])))
    rec("grad.dict_inputs", sorted(torch.autograd.grad(y(), {"a": x}).items()))
    rec.raises("backward.tensors_none", lambda: torch.autograd.backward(None))
    rec.raises("backward.tensors_item_none", lambda: torch.autograd.backward([None]))
    rec.raises("backward.inputs_int", lambda: torch.autograd.backward(y(), inputs=3))
    rec.raises("backward.inputs_empty", lambda: y().backward(inputs=[]))
    rec.raises("backward.inputs_item_none", lambda: torch.autograd.backward(y(), inputs=[x, None]))
    rec.raises("backward.inputs_no_grad", lambda: torch.autograd.backward(y(), inputs=[plain]))
    torch.autograd.backward(y(), inputs={"a": x})
    rec("backward.dict_inputs", x.grad)
