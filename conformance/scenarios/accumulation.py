"""Gradient accumulation across backward calls, and grad.zero_()."""
from . import scenario


@scenario
def accumulates_across_calls(torch, rec):
    x = torch.tensor(rec.data(4), requires_grad=True)
    (x * x).sum().backward()
    rec("first", x.grad.clone())
    (x * 3).sum().backward()
    rec("accumulated", x.grad)


@scenario
def zero_then_sum(torch, rec):
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    rec("y", y)
    y.backward()
    rec("grad", x.grad)
    x.grad.zero_()
    x.sum().backward()
    rec("after_zero", x.grad)


@scenario
def non_scalar_gradient(torch, rec):
    x = torch.tensor(rec.data(4), requires_grad=True)
    (x * x).backward(torch.tensor([1.0, 0.5, 2.0, -1.0]))
    rec("grad", x.grad)
    rec.raises("implicit", lambda: (x * 2).backward())
    rec.raises("wrong_shape", lambda: (x * 2).backward(torch.ones(3)))
