"""detach() and detach_(): constants cut from the graph, sharing data."""
from . import scenario


@scenario
def detach_is_constant(torch, rec):
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    rec("u", u)
    rec("grad", x.grad)
    rec("printed", repr(y) + repr(u))


@scenario
def detach_inplace(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = x * 2
    y.detach_()
    rec("y", y)
    rec.raises("backward", lambda: y.sum().backward())
