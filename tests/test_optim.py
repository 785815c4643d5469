"""refgrad.optim's refusals: what it does not implement raises NotImplementedError, never runs differently.

refgrad has one update per optimizer, PyTorch's single-tensor one (foreach=False); foreach=True is accepted and
runs it too, while fused, capturable and differentiable updates, Tensor hyperparameters and complex parameters
are refused with a clear message. Also the global step hooks, compared with torch's.
"""
import importlib

import pytest

import refgrad as torch
from helpers import same

OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
UNSUPPORTED = {"SGD": ["fused", "differentiable"], "Adam": ["fused", "capturable", "differentiable"],
               "AdamW": ["fused", "capturable", "differentiable"], "RMSprop": ["capturable", "differentiable"],
               "Adagrad": ["fused", "differentiable"]}


@pytest.mark.parametrize("name,option", [(n, o) for n, options in UNSUPPORTED.items() for o in options])
def test_unsupported_options_are_refused(name, option):
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match=f"{option}=True is not supported"):
        getattr(torch.optim, name)([w], **{option: True})


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_tensor_lr_is_refused(name):
    with pytest.raises(NotImplementedError, match="a Tensor lr is not supported"):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr=torch.tensor(0.1))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_foreach_runs_the_single_tensor_update(name):
    results = []
    for foreach in (True, False):
        w = torch.tensor([1.0, -2.0], requires_grad=True)
        opt = getattr(torch.optim, name)([w], lr=0.1, foreach=foreach)
        for _ in range(3):
            w.grad = w.detach() * 2
            opt.step()
        results.append(w.tolist())
    assert results[0] == results[1]


@same
def test_global_step_hooks(torch):
    optimizer_module = importlib.import_module(torch.__name__ + ".optim.optimizer")
    calls = []
    w = torch.ones(2, requires_grad=True)
    opts = [torch.optim.SGD([w], lr=0.1), torch.optim.Adam([w])]
    handles = [optimizer_module.register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("pre", type(o).__name__))),
               optimizer_module.register_optimizer_step_post_hook(lambda o, a, k: calls.append(("post", len(a))))]
    opts[0].register_step_post_hook(lambda o, a, k: calls.append("own post"))
    w.grad = torch.ones(2)
    for opt in opts:
        opt.step()
    for handle in handles:
        handle.remove()
    opts[1].step()
    return calls, w


def test_optimizer_modules_are_not_attributes():
    assert not hasattr(torch.optim, "adam") and not hasattr(torch.optim, "optimizer")
