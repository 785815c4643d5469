"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode, as blocks and decorators."""
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
def set_grad_enabled_forms(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    with torch.set_grad_enabled(False):
        rec("in_block", x * 2)
    rec("after_block", x * 2)
    torch.set_grad_enabled(False)
    rec("disabled", (x * 2).requires_grad)
    torch.set_grad_enabled(True)
    rec("enabled", (x * 2).requires_grad)


@scenario
def decorators(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)

    @torch.no_grad()
    def frozen(t):
        return t * 2

    @torch.enable_grad()
    def tracked(t):
        return t * 2

    rec("frozen", frozen(x))
    with torch.no_grad():
        rec("tracked_inside_no_grad", tracked(x))
    rec("enabled_after", torch.is_grad_enabled())


@scenario
def inference_mode_tensors(torch, rec):
    with torch.inference_mode():
        t = torch.ones(2)
        rec("enabled_inside", torch.is_inference_mode_enabled())
    rec("is_inference", t.is_inference())
    w = torch.ones(2, requires_grad=True)
    rec.raises("save", lambda: w * t)
    rec.raises("inplace_outside", lambda: t.add_(1))


@scenario
def inference_mode_false_and_decorator(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)

    @torch.inference_mode()
    def infer(t):
        return t * 2

    y = infer(x)
    rec("y", y)
    rec("y_is_inference", y.is_inference())
    with torch.inference_mode(False):
        rec("z", x * 2)
    with torch.inference_mode():
        with torch.inference_mode(False):
            rec("nested_enabled", torch.is_inference_mode_enabled())


@scenario
def requires_grad_in_no_grad(torch, rec):
    with torch.no_grad():
        w = torch.zeros(3).requires_grad_()
        rec("w", w)
        y = w * 2
    rec("y", y)
    z = (w * 2).sum()
    z.backward()
    rec("grad", w.grad)


@scenario
def no_grad_inplace_on_leaf(torch, rec):
    w = torch.tensor(rec.data(3), requires_grad=True)
    with torch.no_grad():
        w.sub_(0.5 * torch.ones(3))
    rec("w", w)
    rec("version", w._version)
    (w * w).sum().backward()
    rec("grad", w.grad)
