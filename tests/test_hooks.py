"""retain_grad, tensor hooks (order, replacing the gradient), node hooks, the non-leaf .grad warning."""
import pytest

from helpers import same


@same
def test_nonleaf_grad_warns_and_is_none(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.sum().backward()
    return y.grad


@same
def test_retain_grad(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    first = y.grad.clone()
    z.backward()
    return first, y.grad, y.retains_grad, x.retains_grad


@same
def test_retain_grad_on_leaf_is_noop(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    return x.grad, x.retains_grad


@same
def test_hook_order_and_replacement(torch):
    calls = []
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: calls.append(("h1", g.tolist())) or g * 10)
    y.register_hook(lambda g: calls.append(("h2", g.tolist())))
    x.register_hook(lambda g: calls.append(("hx", g.tolist())))
    y.sum().backward()
    return calls, y.grad, x.grad


@same
def test_leaf_hook_replaces_accumulated_grad(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    x.register_hook(lambda g: g + 100)
    (x * 3).sum().backward()
    return x.grad


@same
def test_removed_hook_does_not_run(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    (x * 3).sum().backward()
    return x.grad


@same
def test_hooks_apply_to_autograd_grad(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 5)
    return torch.autograd.grad((y * y).sum(), x)


@same
def test_hook_on_tensor_without_grad_fails(torch):
    torch.ones(2).register_hook(lambda g: g)


@same
def test_retain_grad_without_grad_fails(torch):
    torch.ones(2).retain_grad()


@same
def test_node_hooks(torch):
    seen = []
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 3
    y.grad_fn.register_prehook(lambda grad_outputs: seen.append(("pre", [g.tolist() for g in grad_outputs])))
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(
        ("post", [None if g is None else g.tolist() for g in grad_inputs])))
    y.sum().backward()
    return seen, x.grad


@same
def test_hook_execution_order_follows_creation(torch):
    order = []
    x = torch.tensor([1., 2.], requires_grad=True)
    a = x * 2
    b = x * 3
    a.register_hook(lambda g: order.append("a"))
    b.register_hook(lambda g: order.append("b"))
    (a + b).sum().backward()
    return order


# What a hook returns is checked as torch checks it (probed on torch 2.13): tensor hooks keep the
# gradient on None; node hooks must return a tuple of the right length, and None drops a gradient.
NODE_HOOK_RESULTS = {
    "post_size": ("post", lambda torch, gi, go: (torch.ones(3), None)),
    "post_count": ("post", lambda torch, gi, go: (gi[0],)),
    "post_list": ("post", lambda torch, gi, go: [gi[0], None]),
    "post_none_drops": ("post", lambda torch, gi, go: (None, None)),
    "post_fill_none": ("post", lambda torch, gi, go: (gi[0], torch.ones(2))),
    "post_not_tensor": ("post", lambda torch, gi, go: (5, None)),
    "post_dtype": ("post", lambda torch, gi, go: (gi[0].double(), None)),
    "pre_count": ("pre", lambda torch, go: (go[0], go[0])),
    "pre_int": ("pre", lambda torch, go: 5),
    "pre_none_drops": ("pre", lambda torch, go: (None,)),
    "pre_scales": ("pre", lambda torch, go: (go[0] * 3,)),
}


@pytest.mark.parametrize("case", sorted(NODE_HOOK_RESULTS))
@same
def test_node_hook_results_are_checked(torch, case):
    kind, hook = NODE_HOOK_RESULTS[case]
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    if kind == "post":
        y.grad_fn.register_hook(lambda gi, go: hook(torch, gi, go))
    else:
        y.grad_fn.register_prehook(lambda go: hook(torch, go))
    y.sum().backward()
    return x.grad


@pytest.mark.parametrize("result", ["none", "int", "size", "dtype"])
@same
def test_tensor_hook_results_are_checked(torch, result):
    x = torch.ones(2, requires_grad=True)
    returns = {"none": lambda g: None, "int": lambda g: 5, "size": lambda g: torch.ones(3),
               "dtype": lambda g: g.double()}[result]

    def hook(g):
        return returns(g)
    y = x * 2
    y.register_hook(hook)
    y.sum().backward()
    return x.grad
