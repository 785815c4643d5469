"""Device placement: gradients live on the tensor's device, .to(device) is differentiable, mixing devices errors.

A subject bound to a GPU creates its tensors there; `other` is the CPU for it, and a GPU for a CPU
subject when the engine has one. These observations depend on the device, so torch on a GPU is
not compared with torch on the CPU here.
"""
from . import scenario


def _home(torch):
    return torch.ones(1).device


@scenario(same_on_every_device=False)
def grad_lives_on_the_tensors_device(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    (x * x).sum().backward()
    rec("x.device", x.device)
    rec("grad", x.grad)
    rec("grad.device", x.grad.device)


@scenario(same_on_every_device=False)
def to_cpu_is_differentiable(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = x.to("cpu")
    rec("y", y)
    rec("same_object", y is x)
    (y * 2).sum().backward()
    rec("grad", x.grad)
    rec("grad.device", x.grad.device)


@scenario(same_on_every_device=False)
def round_trip_between_devices(torch, rec):
    home = _home(torch)
    if home.type == "cpu":
        rec.skip("needs a GPU subject")
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = x.cpu() * 3
    z = y.to(home).exp().sum()
    z.backward()
    rec("y", y)
    rec("z", z)
    rec("grad", x.grad)


@scenario(same_on_every_device=False)
def mixing_devices_errors(torch, rec):
    home = _home(torch)
    if home.type == "cpu":
        rec.skip("needs a GPU subject")
    x = torch.tensor(rec.data(3), requires_grad=True)
    c = torch.tensor(rec.data(3), device="cpu")
    rec.raises("mul", lambda: x * c)
    rec("cpu_scalar_ok", x * torch.tensor(2.0, device="cpu"))
    rec.raises("gradient_on_cpu", lambda: (x * 2).backward(torch.ones(3, device="cpu")))


@scenario(same_on_every_device=False)
def printed_on_device(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    rec("repr_x", repr(x))
    rec("repr_y", repr(x * 2))
    rec("device", x.device)
    rec("is_cuda", x.is_cuda)
