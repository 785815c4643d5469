"""In-place ops, version counters and their errors."""
from . import scenario


@scenario
def leaf_inplace_error(torch, rec):
    x = torch.ones(3, requires_grad=True)
    rec.raises("add_", lambda: x.add_(1))
    rec.raises("setitem", lambda: x.__setitem__(0, 2.0))


@scenario
def modified_saved_tensor(torch, rec):
    x = torch.arange(4.0, requires_grad=True)
    b = (x * 1).exp()
    b.add_(1)
    rec("version", b._version)
    rec.raises("backward", lambda: b.sum().backward())
