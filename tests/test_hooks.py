"""retain_grad, tensor hooks (order, replacing the gradient), node hooks, the non-leaf .grad warning."""
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
