"""Tensor creation, dtypes and promotion, devices, metadata and conversions, against torch."""
import numpy as np
import pytest

from helpers import data, same


@same
def test_factories(torch):
    return (torch.arange(5), torch.arange(1, 2.5, 0.5), torch.arange(0, 1, 0.1), torch.arange(10, 0, -3),
            torch.zeros(2, 3), torch.ones((2,)), torch.ones(size=(1, 2)), torch.full((2,), 3),
            torch.full((2,), True), torch.full((2, 2), 1.5), torch.eye(3), torch.eye(2, 3),
            torch.linspace(0, 1, 7), torch.linspace(-1, 1, 5), torch.empty(2, 3).shape,
            torch.zeros(0, 3), torch.ones(2, dtype=torch.int32))


@same
def test_tensor_dtype_inference(torch):
    return (torch.tensor(1), torch.tensor(1.5), torch.tensor(True), torch.tensor([1, 2.5]), torch.tensor([True, 2]),
            torch.tensor([[1, 2], [3, 4]]), torch.tensor(np.ones(2)), torch.tensor(np.arange(3, dtype=np.int32)),
            torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]), torch.tensor([1, 2], dtype=torch.float64))


@same
def test_like_factories(torch):
    x = torch.tensor(data(2, 3), requires_grad=True)
    return (torch.zeros_like(x), torch.ones_like(x, requires_grad=True), torch.full_like(x, 7),
            torch.zeros_like(x, dtype=torch.int64))


@same
def test_numpy_bridges_share_memory(torch):
    a = np.ones(3)
    t = torch.as_tensor(a)
    t.add_(1)
    b = np.arange(3)
    u = torch.from_numpy(b)
    b[0] = 7
    return t, a.tolist(), u, torch.tensor(a).add_(1), a.tolist()


PROMOTION = [
    ("int*float", "torch.tensor([1, 2]) * 2.5"),
    ("int/int", "torch.tensor([1, 2]) / 2"),
    ("int//int", "torch.tensor([-5, 5]) // 3"),
    ("int%int", "torch.tensor([-5, 5]) % 3"),
    ("f64*f32", "torch.ones(2, dtype=torch.float64) * torch.ones(2)"),
    ("f32*0d_f64", "torch.ones(2) * torch.tensor(2.0, dtype=torch.float64)"),
    ("0d_f64*f32", "torch.tensor(1.0, dtype=torch.float64) * torch.ones(2)"),
    ("f16*0d_f32", "torch.ones(2, dtype=torch.float16) * torch.tensor(2.0)"),
    ("i32*0d_i64", "torch.ones(2, dtype=torch.int32) * torch.tensor(2)"),
    ("i32*0d_f32", "torch.ones(2, dtype=torch.int32) * torch.tensor(2.0)"),
    ("i32*bigint", "torch.ones(2, dtype=torch.int32) * 2**40"),
    ("bool+bool", "torch.tensor([True]) + True"),
    ("int+bool", "torch.tensor([1, 2]) + True"),
    ("bool*bool", "torch.tensor([True, False]) * torch.tensor([True, True])"),
    ("f16+big", "torch.ones(2, dtype=torch.float16) + 1e5"),
    ("0d/0d", "torch.tensor(3) / torch.tensor(2)"),
    ("int**float", "torch.tensor([1, 2]) ** 2.0"),
    ("int**int_t", "torch.tensor([2]) ** torch.tensor([-1])"),
    ("f**0d_int", "torch.tensor([2.]) ** torch.tensor(2)"),
    ("scalar**t", "2 ** torch.tensor([1., 2.])"),
    ("int_scalar**int_t", "2 ** torch.tensor([1, 2])"),
    ("eq_float", "torch.tensor([1, 2]) == 1.5"),
    ("lt_mixed", "torch.tensor([1, 2]) < torch.tensor([1.5, 1.5])"),
    ("f/0", "torch.tensor([5., -1., 0.]) / 0"),
    ("int_sum", "torch.ones(2, dtype=torch.int32).sum()"),
    ("bool_sum", "torch.ones(2, dtype=torch.bool).sum()"),
    ("sum_dtype", "torch.ones(2).sum(dtype=torch.float64)"),
    ("neg_int", "-torch.tensor([1, -2])"),
    ("int_div_floor", "torch.div(torch.tensor([-7, 7]), 2, rounding_mode='floor')"),
    ("int_div_trunc", "torch.div(torch.tensor([-7, 7]), 2, rounding_mode='trunc')"),
    ("float_div_floor", "torch.div(torch.tensor([-7., 7.]), 2, rounding_mode='floor')"),
    ("sqrt_int", "torch.tensor([4, 9]).sqrt()"),
    ("exp_int", "torch.tensor([0, 1]).exp()"),
    ("abs_int", "torch.tensor([-3, 2]).abs()"),
    ("rsub_int", "1 - torch.tensor([1, 2])"),
    ("rdiv_int", "2 / torch.tensor([1, 4])"),
    ("where", "torch.where(torch.tensor([True, False]), torch.tensor([1, 2]), 0.5)"),
]


@pytest.mark.parametrize("expr", [e for _, e in PROMOTION], ids=[i for i, _ in PROMOTION])
@same
def test_type_promotion(torch, expr):
    return eval(expr)


@same
def test_metadata(torch):
    x = torch.tensor(data(2, 3))
    return (x.shape, x.size(), x.size(0), x.size(-1), x.dim(), x.ndim, x.numel(), len(x), x.dtype, x.device,
            x.is_leaf, x.requires_grad, x.type(), torch.ones(1, dtype=torch.bool).type(), x.is_floating_point(),
            x.element_size(), torch.tensor(1).dtype.is_floating_point, str(x.dtype), repr(x.shape))


@same
def test_conversions(torch):
    x = torch.tensor([1.5, 2.5])
    return (x.tolist(), torch.tensor(2.5).item(), torch.tensor([1.1]).item(), torch.tensor([1, 2]).tolist(),
            float(torch.tensor([2.5])), int(torch.tensor(2.7)), bool(torch.tensor([0.0])), x.numpy().tolist(),
            x.to(torch.int64), torch.tensor([-1.5, 2.7]).int(), x.double(), x.half(), x.long(), x.bool(),
            list(torch.arange(3.)), x.float() is x, x.to(torch.float32) is x, x.to("cpu") is x,
            x.contiguous() is x, f"{torch.tensor(2.5):.2f}")


@same
def test_clone_and_detach_share_or_copy(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    c = x.clone()
    d = x.detach()
    d.add_(1)
    return c, c.is_leaf, d, x, d.requires_grad, x.detach().clone().requires_grad


@same
def test_comparisons_and_bool(torch):
    x = torch.tensor([1., 2., 3.])
    y = torch.tensor([3., 2., 1.])
    return (x == y, x != y, x < y, x <= y, x > y, x >= y, x == 2, 2 < x, bool(x.sum() > 5),
            torch.equal(x, x.clone()), (x > 1) & (x < 3), (x > 2) | (x < 2), ~(x > 1))


@same
def test_bool_of_multi_element_tensor_fails(torch):
    return bool(torch.ones(2))


@same
def test_item_of_multi_element_tensor_fails(torch):
    return torch.ones(3).item()


@same
def test_len_of_scalar_fails(torch):
    return len(torch.tensor(1.))


@same
def test_numpy_of_tensor_requiring_grad_fails(torch):
    return torch.ones(2, requires_grad=True).numpy()


@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:1"])
@same
def test_devices(torch, device):
    d = torch.device(device)
    return d, str(d), d.type, d.index, torch.device("cuda", 1), torch.device("cpu") == "cpu"


@same
def test_bad_device_string(torch):
    return torch.device("foo")


@same
def test_bad_device_index(torch):
    return torch.device("cuda:x")


@same
def test_invalid_data(torch):
    return torch.tensor("abc")


@same
def test_ragged_data(torch):
    return torch.tensor([[1, 2], [3]])


@same
def test_copy_construct_warns(torch):
    x = torch.ones(2, requires_grad=True)
    return torch.tensor(x)


@same
def test_mismatched_shapes(torch):
    return torch.ones(4) + torch.ones(3)


@same
def test_bool_subtraction(torch):
    return torch.tensor([True]) - torch.tensor([True])


@same
def test_bool_negation(torch):
    return -torch.tensor([True])


@same
def test_integer_negative_power(torch):
    return torch.tensor([2, 3]) ** -1


@same
def test_integer_floor_division_by_zero(torch):
    return torch.tensor([5]) // 0


@same
def test_inplace_result_cannot_be_cast(torch):
    return torch.tensor([1, 2]).add_(1.5)


@same
def test_view_bad_shape(torch):
    return torch.ones(4).view(3)


@same
def test_view_of_non_contiguous(torch):
    return torch.ones(2, 3).t().view(6)


@same
def test_views_and_reshapes(torch):
    x = torch.arange(6.)
    return (x.view(2, 3), x.view(-1, 2), x.reshape(3, 2), x.view(2, 3).t().reshape(6), x.unsqueeze(0).shape,
            x.view(1, 6, 1).squeeze().shape, x.view(1, 6).squeeze(0).shape, x.view(2, 3).transpose(0, 1),
            x.view(2, 3).permute(1, 0), x.view(2, 1, 3).expand(2, 4, 3).shape, x.flatten(), x.view(2, 3).flatten(),
            x.narrow(0, 1, 2), x.view(2, 3).expand(-1, 3).shape)


@same
def test_indexing_reads(torch):
    x = torch.arange(24.).view(2, 3, 4)
    return (x[0], x[1, 2], x[1, 2, 3], x[:, 1], x[..., 0], x[0, 1:], x[None].shape, x[1:, ::2], x[-1],
            x[0][1], x[[0, 1]], x[x > 20], x[torch.tensor(1)], x[:, [0, 2]], x[...].shape)


@same
def test_index_out_of_range(torch):
    return torch.ones(4)[5]


@same
def test_too_many_indices(torch):
    return torch.ones(4)[0, 0]


@same
def test_dim_out_of_range(torch):
    return torch.ones(4).sum(1)


@same
def test_functional_argument_type_errors(torch):
    x = torch.ones(2)
    errors = []
    for call in (lambda: torch.mul(x, "a"), lambda: torch.dot(x, 2), lambda: torch.add(x, None),
                 lambda: x * None, lambda: x + [1, 2], lambda: x * "a"):
        try:
            call()
        except TypeError as exc:
            errors.append(str(exc))
    return errors
