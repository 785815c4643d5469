"""no_grad, enable_grad, set_grad_enabled, inference_mode."""
from . import scenario


@scenario
def no_grad_does_not_record(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    with torch.no_grad():
        y = x * 2
        with torch.enable_grad():
            z = x * 2
    rec("y", y)
    rec("z", z)
    rec("enabled_after", torch.is_grad_enabled())


@scenario
def inference_mode_tensors(torch, rec):
    with torch.inference_mode():
        t = torch.ones(2)
    rec("is_inference", t.is_inference())
    w = torch.ones(2, requires_grad=True)
    rec.raises("save", lambda: w * t)
