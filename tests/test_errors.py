"""Misuse gives torch's exception class and message, never an internal error."""
import subprocess
import sys

import pytest

from helpers import same

MISUSE = {
    "requires_grad_int": "torch.arange(4).requires_grad_()",
    "requires_grad_int_factory": "torch.tensor([1, 2], requires_grad=True)",
    "requires_grad_int_attr": "setattr(torch.arange(4), 'requires_grad', True)",
    "requires_grad_false_nonleaf": "(torch.ones(2, requires_grad=True) * 2).requires_grad_(False)",
    "grad_wrong_shape": "setattr(torch.ones(4, requires_grad=True), 'grad', torch.ones(3))",
    "grad_wrong_type": "setattr(torch.ones(4, requires_grad=True), 'grad', 3)",
    "grad_wrong_dtype": "setattr(torch.ones(4, requires_grad=True), 'grad', torch.ones(4, dtype=torch.float64))",
    "dot_sizes": "torch.dot(torch.ones(4), torch.ones(3))",
    "dot_2d": "torch.dot(torch.ones(2, 2), torch.ones(2, 2))",
    "dot_dtypes": "torch.dot(torch.ones(4), torch.ones(4, dtype=torch.float64))",
    "sum_bad_dim": "torch.ones(4).sum(-2)",
    "view_two_inferred": "torch.ones(4).view(-1, -1)",
    "expand_bad": "torch.ones(3).expand(2, 4)",
    "t_3d": "torch.ones(2, 2, 2).t()",
    "select_0d": "torch.tensor(1.).select(0, 0)",
    "index_float": "torch.ones(4)[torch.tensor([1.0])]",
    "div_mode": "torch.div(torch.ones(2), 2, rounding_mode='round')",
    "where_cond": "torch.where(torch.ones(2), torch.ones(2), torch.zeros(2))",
    "mean_int": "torch.arange(4).mean()",
    "float_index": "torch.ones(4)[1.5]",
    "zeros_negative": "torch.zeros(-1)",
    "backward_list_of_none": "torch.autograd.backward([torch.ones(2, requires_grad=True).sum()], [None, None])",
    "fill_nonscalar": "torch.zeros(3).fill_(torch.ones(2))",
    "nonleaf_deepcopy": "__import__('copy').deepcopy(torch.ones(2, requires_grad=True) * 2)",
}


@pytest.mark.parametrize("expr", list(MISUSE.values()), ids=list(MISUSE))
@same
def test_misuse(torch, expr):
    return eval(expr)


@same
def test_mixing_devices(torch):
    if torch.__name__ == "torch" and not torch.cuda.is_available():
        pytest.skip("needs a CUDA device for torch; the conformance suite covers it on GPU machines")
    return torch.ones(2) + torch.ones(2, device="cuda")


def test_mixing_devices_refgrad():
    """The message of PyTorch's TensorIterator device check (aten/src/ATen/TensorIterator.cpp)."""
    import refgrad
    with pytest.raises(RuntimeError, match=r"^Expected all tensors to be on the same device, but found at least "
                                           r"two devices, cuda:0 and cpu!$"):
        refgrad.ones(2, device="cuda") * refgrad.ones(2)
    # CPU scalars may join any device, as in PyTorch.
    assert (refgrad.ones(2, device="cuda") * refgrad.tensor(2.0)).device == refgrad.device("cuda", 0)


def test_device_placement_refgrad():
    """Gradients live on the tensor's device and .to(device) is differentiable."""
    import refgrad
    x = refgrad.ones(2, requires_grad=True)
    y = x.to("cuda")
    assert y.grad_fn.name() == "ToCopyBackward0" and str(y.device) == "cuda:0"
    (y * 2).sum().backward()
    assert x.grad.device == refgrad.device("cpu") and x.grad.tolist() == [2.0, 2.0]
    w = refgrad.ones(2, device="cuda:1", requires_grad=True)
    (w * 3).sum().backward()
    assert str(w.grad.device) == "cuda:1"


# PyTorch gives these with TORCH_WARN_ONCE: once per process, whatever the warning filters say. Each
# statement runs twice in a fresh interpreter per engine; the warnings seen each time must match.
WARNED_ONCE = {
    "create_graph_backward": "x = torch.ones(2, requires_grad=True); (x ** 3).sum().backward(create_graph=True)",
    "float_of_grad_tensor": "float(torch.ones(1, requires_grad=True))",
    "complex_of_grad_tensor": "complex(torch.ones(1, requires_grad=True) * 2)",
    "float_of_many_elements": "float(torch.ones(4, requires_grad=True))",
    "int_does_not_warn": "int(torch.ones(1, requires_grad=True))",
    "grad_layout_contract": "q = torch.ones(2, 3, requires_grad=True); q.grad = torch.ones(3, 2).t(); "
                            "(q * 2).sum().backward()",
    "grad_layout_of_a_transposed_param": "q = torch.ones(3, 2).t().requires_grad_(); q.grad = torch.ones(2, 3); "
                                         "(q * 2).sum().backward()",
    "grad_layout_obeyed": "q = torch.ones(3, 2).t().requires_grad_(); (q * 2).sum().backward(); "
                          "(q * 2).sum().backward()",
    # under create_graph the sum is out of place, laid out as TensorIterator lays out grad + new (grad's first)
    "grad_layout_contract_create_graph": "q = torch.ones(3, 2, requires_grad=True); q.grad = torch.ones(2, 3).t(); "
                                         "q.backward(torch.ones(3, 2), create_graph=True)",
    "grad_layout_obeyed_create_graph": "q = torch.ones(2, 3).t().requires_grad_(); "
                                       "q.backward(torch.ones(3, 2), create_graph=True); "
                                       "q.backward(torch.ones(3, 2), create_graph=True)",
    # once for the sum in place and once for the one under create_graph, whatever the sizes
    "grad_layout_contract_per_site": "q = torch.ones(3, 2, requires_grad=True); q.grad = torch.ones(2, 3).t(); "
                                     "q.backward(torch.ones(3, 2)); p = torch.ones(4, 2, requires_grad=True); "
                                     "p.grad = torch.ones(2, 4).t(); p.backward(torch.ones(4, 2)); "
                                     "p.backward(torch.ones(4, 2), create_graph=True); "
                                     "q.backward(torch.ones(3, 2), create_graph=True)",
}
TWICE = """
import warnings
import {engine} as torch
for _ in range(2):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            {statement}
        except Exception as exc:
            print(type(exc).__name__, exc)
    print([str(w.message).split(" (Triggered internally")[0] for w in caught])
"""


@pytest.mark.parametrize("case", sorted(WARNED_ONCE))
def test_warned_once(case):
    def run(engine):
        code = TWICE.format(engine=engine, statement=WARNED_ONCE[case])
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    expected = run("torch")
    assert run("refgrad") == expected
    assert expected.splitlines()[-1] == "[]"


@pytest.mark.parametrize("call", [
    "torch.zeros((2, 1.5))", "torch.zeros([1.5, 2])", "torch.zeros(2, 3, 1.5)", "torch.zeros(1.5)", "torch.zeros('a')",
    "torch.zeros(1.5, 2)", "torch.ones((2, 1.5))", "torch.empty(2, 'a')", "torch.rand((2, 1.5))",
    "torch.randn(1.5)", "torch.full((2, 1.5), 1.0)", "torch.ones(4).reshape((2, 1.5))",
    "torch.ones(4).reshape(1.5)", "torch.ones(4).view((2, 1.5))", "torch.ones(2, 2).permute((0, 1.5))",
    "torch.ones(2).repeat((2, 1.5))", "torch.ones(2).expand((2, 1.5))", "torch.ones(2).expand(1.5, 2)",
])
@same
def test_int_list_argument_errors(torch, call):
    """Each function names itself and its argument; where the bad element is decides the message."""
    return eval(call)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"])
@same
def test_expand_with_too_few_sizes_names_the_tensor_type(torch, dtype):
    torch.ones(2, 3, dtype=getattr(torch, dtype)).expand(3)
