"""repr/str byte for byte: modes (integer, fixed, scientific), dtypes, suffixes, wrapping, summarization."""
import pytest

from helpers import same

CASES = {
    "int_valued_floats": "torch.arange(4.0)",
    "fixed": "torch.tensor([0.1, 2.25, -3.5])",
    "fixed_0d": "torch.tensor(1.2345678)",
    "int_0d": "torch.tensor(28.)",
    "negative_zero": "torch.tensor([-0.0, 1.0])",
    "sci_small": "torch.tensor([1e-5, 1.0])",
    "sci_large": "torch.tensor([1e10, 1.0])",
    "sci_ratio": "torch.tensor([0.1, 100000.])",
    "sci_0d": "torch.tensor(1e-9)",
    "int_mode_sci": "torch.tensor([1.0, 1e9])",
    "inf_nan": "torch.tensor([1., 2., float('inf'), float('nan')])",
    "only_nonfinite": "torch.tensor([float('nan'), float('-inf')])",
    "zeros": "torch.zeros(3)",
    "ints": "torch.tensor([1, -20, 300])",
    "int32": "torch.tensor([1, 2], dtype=torch.int32)",
    "bools": "torch.tensor([True, False])",
    "bool_0d": "torch.tensor(True)",
    "float64": "torch.tensor([1.5, 2.0], dtype=torch.float64)",
    "float64_int_valued": "torch.ones(2, dtype=torch.float64)",
    "float16": "torch.tensor([1.1, 2.123456], dtype=torch.float16)",
    "empty": "torch.tensor([])",
    "empty_2d": "torch.ones(0, 3)",
    "empty_int": "torch.zeros(2, 0, dtype=torch.int32)",
    "empty_long_1d": "torch.zeros(0, dtype=torch.int64)",
    "matrix": "torch.arange(6.).view(2, 3) / 7",
    "tensor_3d": "torch.arange(24.).view(2, 3, 4) - 5",
    "wrapping": "torch.arange(30.) / 3",
    "wrapping_ints": "torch.arange(100) * 1000",
    "wrapping_2d": "torch.arange(60.).view(2, 30) * 1.5",
    "summarized_1d": "torch.arange(2000.)",
    "summarized_2d": "torch.arange(4000.).view(40, 100) / 7",
    "summarized_3d": "torch.arange(3000).view(10, 10, 30)",
    "requires_grad": "torch.tensor([1., 2.], requires_grad=True)",
    "requires_grad_f64": "torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)",
    "grad_fn": "torch.tensor([1., 2.], requires_grad=True) * 2",
    "grad_fn_0d": "2 * torch.dot(torch.arange(4.0, requires_grad=True), torch.arange(4.0))",
    "grad_fn_long_line": "(torch.arange(16., requires_grad=True) / 7).exp()",
    "grad_fn_matrix": "torch.ones(2, 2, dtype=torch.float64, requires_grad=True) + 1",
    "cuda_device": "torch.ones(2, device='cuda')",
    "cuda_grad": "torch.ones(2, device='cuda:1', requires_grad=True) * 3",
    "size": "torch.ones(2, 3).shape",
    "dtype_repr": "torch.float16",
    "grad_fn_repr": "type((torch.ones(1, requires_grad=True) * 2).grad_fn).__name__",
}


@pytest.mark.parametrize("expr", list(CASES.values()), ids=list(CASES))
@same
def test_repr(torch, expr):
    if "cuda" in expr and torch.__name__ == "torch":
        pytest.skip("CUDA reprs are compared by the conformance suite on a GPU machine")
    value = eval(expr)
    return repr(value), str(value)


@same
def test_print_of_tensor_in_fstring(torch):
    x = torch.tensor([1.5, 2.5])
    return f"x = {x}", "%s" % (x,), str([torch.tensor(1.)])


def test_cuda_repr_suffix_refgrad():
    """Without a GPU torch cannot print a CUDA tensor here; the suffix follows torch/_tensor_str.py
    (`device='cuda:0'` after the values, before grad_fn)."""
    import refgrad
    assert repr(refgrad.ones(2, device="cuda")) == "tensor([1., 1.], device='cuda:0')"
    y = refgrad.ones(2, device="cuda:1", requires_grad=True) * 3
    assert repr(y) == "tensor([3., 3.], device='cuda:1', grad_fn=<MulBackward0>)"
