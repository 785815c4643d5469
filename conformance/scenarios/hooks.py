"""retain_grad and hooks: tensor hooks, their order and replacement, handles, and node hooks."""
import warnings

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


@scenario
def leaf_hook_changes_accumulated_grad(torch, rec):
    seen = []
    x = torch.tensor(rec.data(3), requires_grad=True)
    x.register_hook(lambda g: seen.append(g.clone()) or g * 2)
    (x * x).sum().backward()
    rec("seen", seen)
    rec("grad", x.grad)


@scenario
def removed_hook(torch, rec):
    calls = []
    x = torch.tensor(rec.data(2), requires_grad=True)
    handle = x.register_hook(lambda g: calls.append("removed"))
    x.register_hook(lambda g: calls.append("kept"))
    handle.remove()
    x.sum().backward()
    rec("calls", calls)


@scenario
def retain_grad_flags(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = x.exp()
    z = y * 2
    y.retain_grad()
    x.retain_grad()
    rec("y.retains_grad", y.retains_grad)
    rec("x.retains_grad", x.retains_grad)
    z.sum().backward()
    rec("y.grad", y.grad)
    rec("x.grad", x.grad)


@scenario
def retained_grad_accumulates(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    z.backward()
    rec("y.grad", y.grad)


@scenario
def hook_sees_incoming_grad_before_retain(torch, rec):
    seen = []
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * 1
    y.register_hook(lambda g: seen.append(("first", g.clone())))
    y.retain_grad()
    y.register_hook(lambda g: g + 100)
    y.sum().backward()
    rec("seen", seen)
    rec("y.grad", y.grad)
    rec("x.grad", x.grad)


@scenario
def node_hooks(torch, rec):
    calls = []
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * 2
    y.grad_fn.register_prehook(lambda gO: calls.append(("pre", gO[0].tolist())))
    y.grad_fn.register_hook(lambda gI, gO: calls.append(("post", gI[0].tolist(), gO[0].tolist())))
    (y * 3).sum().backward()
    rec("calls", calls)


@scenario
def node_hooks_return_values(torch, rec):
    """A node's post-hook may replace its grad_inputs (not a None one, nor their number or size); a pre-hook's
    result is what the node and its post-hooks see; AccumulateGrad's post-hooks see no grad_inputs."""
    w = torch.tensor(rec.data(2))

    def grad_of_x(*hooks, pre=None):
        x = torch.tensor(rec.data(2), requires_grad=True)
        y = x * w
        if pre is not None:
            y.grad_fn.register_prehook(pre)
        for hook in hooks:
            y.grad_fn.register_hook(hook)
        y.sum().backward()
        return x.grad
    rec("replaced", grad_of_x(lambda gI, gO: (gI[0] * 10, gI[1])))
    rec("chained", grad_of_x(lambda gI, gO: (gI[0] + 1, None), lambda gI, gO: (gI[0] * -2, None)))
    rec("dropped", grad_of_x(lambda gI, gO: (None, None)))
    seen = []
    rec("pre_then_post", grad_of_x(lambda gI, gO: seen.append(gO[0].tolist()), pre=lambda gO: (gO[0] * 3,)))
    rec("post_saw_pre_result", seen)
    rec.raises("fill_none", lambda: grad_of_x(lambda gI, gO: (gI[0], torch.ones(2))))
    rec.raises("wrong_count", lambda: grad_of_x(lambda gI, gO: (gI[0],)))
    rec.raises("wrong_size", lambda: grad_of_x(lambda gI, gO: (torch.ones(3), None)))
    rec.raises("not_a_tuple", lambda: grad_of_x(lambda gI, gO: gI[0]))
    x = torch.tensor(rec.data(2), requires_grad=True)
    z = x * 2
    accumulate = z.grad_fn.next_functions[0][0]
    calls = []
    accumulate.register_hook(lambda gI, gO: calls.append((len(gI), gO[0].tolist())))
    accumulate.register_prehook(lambda gO: (gO[0] * 5,))
    z.sum().backward()
    rec("accumulate_hooks", [calls, x.grad])
    accumulate.register_hook(lambda gI, gO: gO)
    rec.raises("accumulate_post_returns", lambda: (x * 2).sum().backward())


@scenario
def hook_errors(torch, rec):
    c = torch.ones(2)
    rec.raises("no_grad_tensor", lambda: c.register_hook(lambda g: g))
    x = torch.ones(2, requires_grad=True)
    x.register_hook(lambda g: torch.ones(3))
    rec.raises("wrong_shape", lambda: (x * 2).sum().backward())


@scenario
def hook_results_are_checked(torch, rec):
    x = torch.ones(2, requires_grad=True)

    def wrong_dtype(g):
        return g.double()
    handle = x.register_hook(wrong_dtype)
    rec.raises("dtype", lambda: (x * 2).sum().backward())
    handle.remove()
    handle = x.register_hook(lambda g: 5)
    rec.raises("not_a_tensor", lambda: (x * 2).sum().backward())
    handle.remove()
    y = x * 2
    y.grad_fn.register_prehook(lambda g: (torch.ones(3),))
    rec.raises("node_prehook_size", lambda: y.sum().backward())


@scenario
def backward_inputs_skips_other_leaves_hooks(torch, rec):
    calls = []
    a = torch.tensor(rec.data(2, 3), requires_grad=True)
    b = torch.tensor(rec.data(2, 3), requires_grad=True)
    a.register_hook(lambda g: calls.append("a"))
    b.register_hook(lambda g: calls.append("b"))
    y = a * b
    y.register_hook(lambda g: calls.append("y"))
    (y * 2).sum().backward(inputs=[b])
    rec("calls", calls)
    rec("a.grad", a.grad)
    rec("b.grad", b.grad)


@scenario
def grad_captures_before_the_inputs_own_hooks(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = x * 1.5
    y.register_hook(lambda g: -g)
    z = (y[:2] * 3).sum()
    rec("needed", torch.autograd.grad(z, [x, y], retain_graph=True))
    rec("only_y", torch.autograd.grad(z, [y], retain_graph=True))
    y.retain_grad()
    rec("only_y_retained", torch.autograd.grad(z, [y], retain_graph=True))
    rec("y.grad", y.grad)
    leaf = torch.tensor(rec.data(2), requires_grad=True)
    leaf.register_hook(lambda g: g * 10)
    rec("leaf", torch.autograd.grad((leaf * 3).sum(), [leaf]))


@scenario
def retained_grad_is_replaced_not_updated(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = x.exp()
    y.retain_grad()
    y.sum().backward(retain_graph=True)
    first = y.grad
    (y * 2).sum().backward()
    rec("first", first)
    rec("y.grad", y.grad)
    rec("same", first is y.grad)


@scenario
def retain_grad_then_in_place(torch, rec):
    calls = []
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * 1
    y.retain_grad()
    y.register_hook(lambda g: calls.append(("before", g.clone())))
    y.exp_()
    y.register_hook(lambda g: calls.append(("after", g.clone())))
    (y * 3).sum().backward()
    rec("y.grad", y.grad)
    rec("y.retains_grad", y.retains_grad)
    rec("x.grad", x.grad)
    rec("calls", calls)
    z = torch.tensor(rec.data(2), requires_grad=True).trunc()
    z.retain_grad()
    z.exp_()
    z.mul_(2)
    torch.autograd.backward(z.sum())
    rec("z.grad", z.grad)


@scenario
def retained_grad_under_create_graph(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * x
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns once per process, so whether it shows depends on history
        (y * y).sum().backward(create_graph=True)
        rec("y.grad", y.grad)
        rec("x.grad", x.grad)
        (y * y).sum().backward(create_graph=True)
    rec("y.grad_twice", y.grad)
    empty = torch.zeros((0,), requires_grad=True)
    part = empty[-2:-1]
    out = torch.exp2(part)
    part.retain_grad()
    (g,) = torch.autograd.grad(out, [empty], grad_outputs=torch.zeros((0,)), create_graph=True)
    rec("part.grad", part.grad)
    rec("g", g)


@scenario
def lone_root_hooks_run_when_it_leads_nowhere_wanted(torch, rec):
    """PyTorch evaluates a lone root node even when no wanted input lies behind it: its tensor hooks (and
    retained grad) run, its node pre-hooks do not, and nothing behind it runs. Two roots: nothing."""
    calls = []
    unused = torch.tensor(rec.data(2), requires_grad=True)
    x = torch.tensor(rec.data(2), requires_grad=True)
    x.register_hook(lambda g: calls.append(("x", g.clone())) or g * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_graph's warning shows once per process
        x.backward(torch.full_like(x, 2.0), create_graph=True, inputs=[unused])
    rec("leaf_root", calls)
    rec("leaf_root.grads", (x.grad, unused.grad))
    calls.clear()
    rec("grad_of_leaf_root", torch.autograd.grad(x.sum(), [unused], allow_unused=True))
    rec.raises("grad_of_unused", lambda: torch.autograd.grad(x, [unused], torch.ones_like(x)))
    rec("grad_calls", calls)
    calls.clear()
    y = x * 2
    y.register_hook(lambda g: calls.append(("y", g.clone())))
    y.retain_grad()
    y.grad_fn.register_prehook(lambda g: calls.append("node prehook"))
    y.backward(torch.ones_like(y), inputs=[unused])
    rec("non_leaf_root", calls)
    rec("non_leaf_root.grads", (y.grad, x.grad, unused.grad))
    calls.clear()
    z = x * 3
    z.register_hook(lambda g: calls.append(("z", g.clone())))
    torch.autograd.backward([z, x], [torch.ones_like(z), torch.ones_like(x)], inputs=[unused])
    rec("two_roots", calls)


@scenario
def hooks_on_an_output_that_gets_no_gradient(torch, rec):
    """A node with several outputs (split) runs when one of them gets a gradient: a tensor hook on another output
    is called with None, may return None, and cannot put a gradient there; retain_grad keeps None."""
    calls = []
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    first, rest = x.split([1, 2])
    first.register_hook(lambda g: calls.append(g))
    first.retain_grad()
    rest.sum().backward()
    rec("calls", calls)
    rec("grads", [x.grad, first.grad])
    y = torch.tensor([1.0, 2.0], requires_grad=True)
    a, b = y.split([1, 1])
    a.register_hook(lambda g: torch.ones(1))
    rec.raises("replace_none", lambda: b.sum().backward())
    z = torch.tensor([1.0, 2.0], requires_grad=True)
    c, d = z.split([1, 1])
    c.register_hook(lambda g: g * 2)
    rec.raises("arithmetic_on_none", lambda: d.sum().backward())
    # an output after the last one that got a gradient: its hooks are called too (unbind, chunk, three pieces)
    w = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    later = []
    head, middle, tail = w.split(1, 0)
    middle.register_hook(lambda g: later.append(("middle", g)))
    tail.register_hook(lambda g: later.append(("tail", g)))
    tail.retain_grad()
    (head * 2).sum().backward()
    parts = w.unbind(1)
    parts[1].register_hook(lambda g: later.append(("unbind", g)))
    parts[0].sum().backward()
    rec("later_outputs", later)
    rec("later_grads", [w.grad, tail.grad])
    e, f = torch.tensor([1.0, 2.0], requires_grad=True).chunk(2)
    f.register_hook(lambda g: g * 2)
    rec.raises("later_arithmetic_on_none", lambda: e.sum().backward())
