"""backward(): accumulation, zero_, gradient=, retain_graph and freed buffers, inputs=, broadcasting."""
import warnings

import pytest

from helpers import data, same


@same
def test_grad_is_none_until_backward(torch):
    x = torch.arange(4.0, requires_grad=True)
    return x.grad, x.is_leaf, x.grad_fn


@same
def test_accumulates_across_calls(torch):
    x = torch.tensor(data(4), requires_grad=True)
    (x * x).sum().backward()
    first = x.grad.clone()
    (x * 3).sum().backward()
    return first, x.grad


@same
def test_accumulation_is_in_place(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    (x * 2).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    return g is x.grad, g


@same
def test_zero_then_sum(torch):
    x = torch.tensor(data(4, seed=1), requires_grad=True)
    (2 * torch.dot(x, x)).backward()
    x.grad.zero_()
    x.sum().backward()
    return x.grad


@same
def test_setting_grad_to_none_restarts(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    (x * 2).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    return x.grad


@same
def test_non_scalar_with_gradient(torch):
    x = torch.tensor(data(4, seed=2), requires_grad=True)
    y = x * x
    y.backward(torch.tensor([1., 0.5, 2., -1.]))
    return x.grad


@same
def test_gradient_of_other_dtype_is_accepted(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    (x * 2).backward(torch.ones(2, dtype=torch.float64))
    return x.grad


@same
def test_non_scalar_without_gradient_fails(torch):
    x = torch.arange(4.0, requires_grad=True)
    (x * 2).backward()


@pytest.mark.parametrize("shape", [(3,), (2, 2)], ids=["short", "2d"])
@same
def test_gradient_of_wrong_shape_fails(torch, shape):
    x = torch.arange(4.0, requires_grad=True)
    (x * 2).backward(torch.ones(*shape))


@same
def test_backward_without_grad_fails(torch):
    torch.ones(2).sum().backward()


@same
def test_backward_of_detached_fails(torch):
    x = torch.tensor(2.0, requires_grad=True)
    (x ** 2).detach().backward()


@same
def test_second_backward_through_freed_graph_fails(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


@same
def test_second_backward_without_saved_tensors_works(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    return x.grad


@same
def test_retain_graph_allows_second_backward(torch):
    x = torch.tensor(data(3, seed=3), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@same
def test_saved_tensor_access_after_free_fails(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x.exp()
    y.sum().backward()
    return y.grad_fn._saved_result


@same
def test_backward_on_a_leaf(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    x.backward(torch.tensor([3., 4.]))
    return x.grad


@same
def test_backward_inputs_restricts_accumulation(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    w = torch.tensor([3., 4.], requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    return x.grad, w.grad


@same
def test_backward_inputs_non_leaf(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    h = x * 2
    (h * h).sum().backward(inputs=[h])
    return h.grad, x.grad


@same
def test_autograd_backward_several_roots(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    z = y * 3
    torch.autograd.backward([y.sum(), z.sum()], [torch.tensor(1.), torch.tensor(10.)])
    return x.grad


@pytest.mark.parametrize("other_shape", [(), (1,), (3,), (2, 1), (1, 3), (2, 3)],
                         ids=["0d", "1", "3", "2x1", "1x3", "2x3"])
@same
def test_broadcast_gradients_reduce_to_input_shape(torch, other_shape):
    x = torch.tensor(data(2, 3, seed=4), requires_grad=True)
    w = (torch.tensor(data(*other_shape, seed=5)) if other_shape else torch.tensor(0.7)).requires_grad_()
    for op in (lambda a, b: a * b, lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a / b,
               lambda a, b: b - a, lambda a, b: a ** 2 * b):
        op(x, w).sum().backward()
    return x.grad, w.grad


@same
def test_mixed_dtype_gradients_keep_input_dtype(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    w = torch.tensor([3., 4.], dtype=torch.float64, requires_grad=True)
    y = x * w
    y.sum().backward()
    return y.dtype, x.grad, w.grad


@same
def test_control_flow(torch):
    def f(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        c = b if b.sum() > 0 else 100 * b
        return c
    results = []
    for value in (0.3, -0.7, 1.5):
        a = torch.tensor(value, requires_grad=True)
        d = f(a)
        d.backward()
        results += [d, a.grad, a.grad == d / a]
    return results


@same
def test_diamond_graph_sums_paths(torch):
    x = torch.tensor(data(3, seed=6), requires_grad=True)
    a = x * 2
    b = a.exp()
    c = a.sin()
    (b * c + a).sum().backward()
    return x.grad


@same
def test_create_graph_backward_builds_graph(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warned once per process: test_errors.py::test_warned_once
        (x ** 3).sum().backward(create_graph=True)
    return x.grad, x.grad.requires_grad
