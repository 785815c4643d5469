"""retain_grad and tensor hooks."""
from . import scenario


@scenario
def hook_order_and_replacement(torch, rec):
    calls = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: calls.append("h1") or g * 10)
    y.register_hook(lambda g: calls.append("h2"))
    y.sum().backward()
    rec("calls", calls)
    rec("y.grad", y.grad)
    rec("x.grad", x.grad)
