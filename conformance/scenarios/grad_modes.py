"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode, as blocks and decorators."""
import warnings

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


@scenario
def backward_and_grad_inside_inference_mode(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = (x * x).sum()
    with torch.inference_mode():
        rec("grad", torch.autograd.grad(y, x, retain_graph=True))
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        rec("grad_create_graph", g)
        rec("grad_create_graph.requires_grad", g.requires_grad)
        y.backward(retain_graph=True)
        rec("backward", x.grad)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the create_graph warning comes once per process
            y.backward(create_graph=True)
        rec("backward_create_graph", x.grad)


@scenario
def detach_in_place_inside_inference_mode(torch, rec):
    base = torch.tensor(rec.data(3, 3), requires_grad=True)
    view = base[0, 1:]
    y = base * 2
    leaf = torch.tensor(rec.data(2), requires_grad=True)
    with torch.inference_mode():
        rec("view", view.detach_())
        rec("non_leaf", y.detach_())
        rec("leaf", leaf.detach_())
    rec("view.grad_fn", view.grad_fn)
    rec("non_leaf.grad_fn", y.grad_fn)
    rec("leaf.requires_grad", leaf.requires_grad)


@scenario
def inference_tensors(torch, rec):
    with torch.inference_mode():
        t = torch.tensor(rec.data(2))
        rec.raises("version_inside", lambda: t._version)
        t.add_(1)
        rec("after_add_", t)
        view = t[:1]
        rec("view.is_inference", view.is_inference())
        rec.raises("view_version", lambda: view._version)
        u = torch.tensor(rec.data(2))
        rec.raises("requires_grad_inside", lambda: u.requires_grad_())
    rec("is_inference", t.is_inference())
    rec.raises("version_outside", lambda: t._version)
    rec.raises("add_outside", lambda: t.add_(1))
    rec.raises("requires_grad_", lambda: t.requires_grad_())
    rec.raises("requires_grad_false", lambda: t.requires_grad_(False))
    rec.raises("detach_", lambda: t.detach_())

    def set_requires_grad(tensor, flag):
        tensor.requires_grad = flag

    rec.raises("requires_grad_setter", lambda: set_requires_grad(t, True))
    with torch.inference_mode():
        i = torch.tensor([1, 2])
    rec.raises("int_requires_grad", lambda: set_requires_grad(i, True))


@scenario
def inference_mode_false_enables_grad(torch, rec):
    with torch.no_grad():
        with torch.inference_mode(False):
            rec("in_no_grad", torch.is_grad_enabled())
    with torch.inference_mode():
        with torch.inference_mode(False):
            rec("in_inference_mode", torch.is_grad_enabled())
            rec("inference", torch.is_inference_mode_enabled())
        rec("back", torch.is_grad_enabled())


@scenario
def requires_grad_setter_errors(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * 2

    def set_requires_grad(tensor, flag):
        tensor.requires_grad = flag

    rec.raises("non_leaf_true", lambda: set_requires_grad(y, True))
    rec.raises("non_leaf_false", lambda: set_requires_grad(y, False))
    rec.raises("non_leaf_method_true", lambda: y.requires_grad_(True))
    rec.raises("non_leaf_method_false", lambda: y.requires_grad_(False))
    rec.raises("not_a_bool", lambda: set_requires_grad(x, 1))
    rec.raises("none", lambda: set_requires_grad(y, None))


@scenario
def set_multithreading_enabled_forms(torch, rec):
    """set_multithreading_enabled: a function, a block that nests and a decorator, with no effect on the
    results on the CPU (backward runs on the calling thread); its argument must be a bool."""
    x = torch.tensor(rec.data(2), requires_grad=True)
    with torch.autograd.set_multithreading_enabled(False):
        with torch.autograd.set_multithreading_enabled(True):
            (x * x).sum().backward()
        (x * 3).sum().backward()
    rec("grad", x.grad)

    @torch.autograd.set_multithreading_enabled(False)
    def backward_of(t):
        (t * 2).sum().backward()
        return t.grad

    rec("decorated", backward_of(torch.tensor(rec.data(2), requires_grad=True)))
    rec.raises("as_function", lambda: torch.autograd.set_multithreading_enabled(True) and None)
    rec.raises("int", lambda: torch.autograd.set_multithreading_enabled(1))
    rec.raises("missing", lambda: torch.autograd.set_multithreading_enabled())
