"""autograd.grad: grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads; higher order."""
from helpers import data, same


@same
def test_grad_returns_tuple_and_leaves_grad_alone(torch):
    x = torch.tensor(data(3), requires_grad=True)
    g = torch.autograd.grad((x * x).sum(), x)
    return g, x.grad


@same
def test_grad_outputs(torch):
    x = torch.tensor(data(3), requires_grad=True)
    return torch.autograd.grad(x * 2, x, grad_outputs=torch.tensor([1., 2., 3.]))


@same
def test_grad_several_inputs_and_outputs(torch):
    x = torch.tensor(data(3), requires_grad=True)
    w = torch.tensor(data(3, seed=1), requires_grad=True)
    y = x * w
    return torch.autograd.grad([y.sum(), (y * y).sum()], [x, w])


@same
def test_unused_input_fails(torch):
    x = torch.arange(4.0, requires_grad=True)
    z = torch.ones(3, requires_grad=True)
    return torch.autograd.grad((x * 2).sum(), [x, z])


@same
def test_allow_unused(torch):
    x = torch.arange(4.0, requires_grad=True)
    z = torch.ones(3, requires_grad=True)
    return torch.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)


@same
def test_materialize_grads(torch):
    x = torch.arange(4.0, requires_grad=True)
    z = torch.ones(3, requires_grad=True)
    return torch.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)


@same
def test_input_not_requiring_grad_fails(torch):
    x = torch.arange(4.0, requires_grad=True)
    return torch.autograd.grad((x * 2).sum(), [torch.ones(2)])


@same
def test_output_not_requiring_grad_fails(torch):
    x = torch.arange(4.0, requires_grad=True)
    return torch.autograd.grad(torch.ones(2).sum(), [x])


@same
def test_grad_frees_graph_unless_retained(torch):
    x = torch.tensor(data(3), requires_grad=True)
    y = (x * x).sum()
    first = torch.autograd.grad(y, x, retain_graph=True)
    second = torch.autograd.grad(y, x)
    try:
        torch.autograd.grad(y, x)
    except RuntimeError as exc:
        return first, second, str(exc)


@same
def test_grad_with_respect_to_non_leaf(torch):
    x = torch.tensor(data(3), requires_grad=True)
    h = x.exp()
    y = (h * h).sum()
    return torch.autograd.grad(y, h)


@same
def test_second_and_third_order(torch):
    x = torch.tensor(data(3, seed=2), requires_grad=True)
    y = (x ** 3).sum()
    g1, = torch.autograd.grad(y, x, create_graph=True)
    g2, = torch.autograd.grad(g1.sum(), x, create_graph=True)
    g3, = torch.autograd.grad(g2.sum(), x)
    return g1, g2, g3


@same
def test_higher_order_through_many_ops(torch):
    x = torch.tensor(data(4, seed=3, low=0.2, high=2.0), requires_grad=True)
    y = (x.exp() * x.sin() / (1 + x * x) + x.sqrt() - x.log() * x.cos() + x.tanh() * x.sigmoid()).sum()
    g1, = torch.autograd.grad(y, x, create_graph=True)
    g2, = torch.autograd.grad(g1.sum(), x, create_graph=True)
    g3, = torch.autograd.grad(g2.sum(), x)
    return g1, g2, g3


@same
def test_hessian_vector_product(torch):
    x = torch.tensor(data(3, seed=4), requires_grad=True)
    v = torch.tensor([1., -1., 0.5])
    y = (x ** 2).sum() * x.sum() + (x[0] * x[1]) ** 2
    g, = torch.autograd.grad(y, x, create_graph=True)
    hv, = torch.autograd.grad(g, x, grad_outputs=v)
    return g, hv


@same
def test_pow_and_division_second_order(torch):
    x = torch.tensor(data(3, seed=5, low=0.5, high=2.0), requires_grad=True)
    w = torch.tensor(data(3, seed=6, low=0.5, high=2.0), requires_grad=True)
    y = (x ** w + 2 ** x + w / x - 1 / w + x ** -1.5).sum()
    gx, gw = torch.autograd.grad(y, [x, w], create_graph=True)
    return gx, gw, torch.autograd.grad((gx * gw).sum(), [x, w])


@same
def test_grad_of_grad_with_backward(torch):
    x = torch.tensor(2.0, requires_grad=True)
    y = x ** 3
    g, = torch.autograd.grad(y, x, create_graph=True)
    g.backward()
    return g, x.grad
