"""Backward of non-scalar outputs: the `gradient` argument, its shape and dtype, and the implicit-grad error."""
from . import scenario

FLOATS = ("float32", "float64")


@scenario(dtypes=FLOATS)
def gradient_weights_the_outputs(torch, rec):
    x = rec.tensor(4, requires_grad=True)
    (x * x).backward(torch.tensor([1.0, 0.5, 2.0, -1.0], dtype=x.dtype))
    rec("grad", x.grad)


@scenario
def implicit_grad_needs_a_scalar(torch, rec):
    x = torch.tensor(rec.data(4), requires_grad=True)
    rec.raises("vector", lambda: (x * 2).backward())
    rec.raises("matrix", lambda: (x.view(2, 2) * 2).backward())


@scenario
def gradient_of_wrong_shape(torch, rec):
    x = torch.tensor(rec.data(4), requires_grad=True)
    rec.raises("shorter", lambda: (x * 2).backward(torch.ones(3)))
    rec.raises("transposed", lambda: (x.view(2, 2) * 2).backward(torch.ones(4)))
    rec.raises("scalar_for_vector", lambda: (x * 2).backward(torch.tensor(1.0)))


@scenario(dtypes=FLOATS)
def gradient_as_matrix(torch, rec):
    x = rec.tensor(2, 3, requires_grad=True)
    y = (x * x).t()
    y.backward(torch.ones(3, 2, dtype=x.dtype) * 3)
    rec("grad", x.grad)


@scenario
def gradient_of_other_dtype(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    (x * 2).backward(torch.ones(3, dtype=torch.float64))
    rec("grad", x.grad)


@scenario
def gradient_for_scalar_output(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    x.sum().backward(torch.tensor(2.5))
    rec("grad", x.grad)


@scenario(dtypes=FLOATS)
def backward_of_several_outputs(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    a, b = x * 2, x * x
    torch.autograd.backward([a, b], [torch.ones(3, dtype=x.dtype), torch.full((3,), 0.5, dtype=x.dtype)])
    rec("grad", x.grad)


@scenario
def grad_tensors_length_mismatch(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    rec.raises("backward", lambda: torch.autograd.backward([x * 2, x * 3], [torch.ones(3)]))
