"""refgrad.autograd has every public name of torch 2.13's torch.autograd (its __all__), but for the
documented exceptions, and of its graph, forward_ad and functional modules; refgrad.func has torch.func's
transforms; and the top-level anomaly-mode functions.

The names are written out (torch 2.13's list), so the test runs without torch; where torch 2.13 is
installed, the written list is checked against its __all__.
"""
import pytest

import refgrad

# torch.autograd.__all__ in torch 2.13
TORCH_AUTOGRAD_ALL = [
    "Function", "NestedIOFunction", "Variable", "backward", "detect_anomaly", "enable_grad",
    "enforce_grad_layout_policy", "grad", "grad_mode", "gradcheck", "gradgradcheck", "inference_mode", "no_grad",
    "set_detect_anomaly", "set_grad_enabled", "set_multithreading_enabled", "variable",
]

# name -> why refgrad does not have it (none today)
NOT_PROVIDED = {}

# the __all__ of torch.autograd's submodules in torch 2.13
TORCH_AUTOGRAD_SUBMODULES_ALL = {
    "graph": ["GradientEdge", "Node", "allow_mutation_on_saved_tensors", "disable_saved_tensors_hooks",
              "get_gradient_edge", "increment_version", "region_activation_memory_budget",
              "register_multi_grad_hook", "save_on_cpu", "saved_tensors_hooks", "set_override_stale_capture_stream",
              "set_warn_on_accumulate_grad_stream_mismatch"],
    "forward_ad": ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual",
                   "unpack_dual"],
    "functional": ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"],
}

# torch.func's transforms (torch.func.__all__ has more: functionalize, stack_module_state, ... refgrad has not)
TORCH_FUNC_TRANSFORMS = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "linearize",
                         "functional_call"]

# torch's top-level functions for anomaly mode
TORCH_ANOMALY_FUNCTIONS = ["is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_anomaly_enabled"]


@pytest.mark.parametrize("name", TORCH_AUTOGRAD_ALL)
def test_autograd_name(name):
    if name in NOT_PROVIDED:
        assert not hasattr(refgrad.autograd, name), f"{name} is provided now: drop it from NOT_PROVIDED"
        pytest.skip(NOT_PROVIDED[name])
    assert hasattr(refgrad.autograd, name)
    assert name in refgrad.autograd.__all__


def test_written_list_is_torch_2_13s():
    torch = pytest.importorskip("torch")
    if not torch.__version__.startswith("2.13."):
        pytest.skip(f"torch {torch.__version__} is not 2.13")
    assert sorted(torch.autograd.__all__) == sorted(TORCH_AUTOGRAD_ALL)


@pytest.mark.parametrize("module,name", [(m, n) for m, names in TORCH_AUTOGRAD_SUBMODULES_ALL.items()
                                         for n in names])
def test_autograd_submodule_name(module, name):
    sub = getattr(refgrad.autograd, module)
    assert hasattr(sub, name)
    assert name in sub.__all__


@pytest.mark.parametrize("name", TORCH_FUNC_TRANSFORMS)
def test_func_transform(name):
    assert callable(getattr(refgrad.func, name))
    assert name in refgrad.func.__all__


def test_torch_vmap_is_func_vmap():
    assert refgrad.vmap is refgrad.func.vmap  # as torch.vmap is torch.func.vmap


def test_written_lists_are_torch_2_13s():
    torch = pytest.importorskip("torch")
    if not torch.__version__.startswith("2.13."):
        pytest.skip(f"torch {torch.__version__} is not 2.13")
    for module, names in TORCH_AUTOGRAD_SUBMODULES_ALL.items():
        assert sorted(getattr(torch.autograd, module).__all__) == sorted(names)
    assert set(TORCH_FUNC_TRANSFORMS) <= set(torch.func.__all__)


@pytest.mark.parametrize("name", TORCH_ANOMALY_FUNCTIONS)
def test_anomaly_functions(name):
    assert callable(getattr(refgrad, name))


def test_variable_function_hides_the_module():
    """As in torch: autograd.variable is the deprecated function, which carries Variable."""
    assert callable(refgrad.autograd.variable)
    assert refgrad.autograd.variable.Variable is refgrad.autograd.Variable
    with pytest.raises(RuntimeError, match=r"torch.autograd.variable\(...\) is deprecated"):
        refgrad.autograd.variable(refgrad.ones(1))


def test_anomaly_mode_restored_after_a_failed_backward():
    x = refgrad.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Error detected in SqrtBackward0"):
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output."):
            with refgrad.autograd.set_detect_anomaly(True):
                (x.sqrt() * 0).sum().backward()
    assert not refgrad.is_anomaly_enabled()
    assert refgrad.autograd.anomaly_mode.state.node is None
