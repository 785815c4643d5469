"""refgrad.autograd: backward, grad, custom Functions, grad modes, anomaly mode, forward AD and gradcheck
(PyTorch's torch.autograd). This file only gathers them; each lives in its own module. The functional
module (jacobian, hessian, vjp, ...) is built on the ops, so refgrad's __init__ imports it after them."""
from . import forward_ad, grad_mode, graph
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .api import backward, grad
from .function import Function, NestedIOFunction
from .grad_mode import (enable_grad, enforce_grad_layout_policy, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, no_grad, set_grad_enabled, set_multithreading_enabled)
from .gradcheck import gradcheck, gradgradcheck
from .variable import Variable

__all__ = ["backward", "grad", "Function", "NestedIOFunction", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "set_multithreading_enabled",
           "enforce_grad_layout_policy", "detect_anomaly", "set_detect_anomaly", "Variable", "variable",
           "graph", "grad_mode", "forward_ad", "gradcheck", "gradgradcheck"]


def variable(*args, **kwargs):
    raise RuntimeError("torch.autograd.variable(...) is deprecated, use torch.tensor(...) instead")


# As in PyTorch, the deprecated function hides the module refgrad.autograd.variable, and carries Variable.
variable.Variable = Variable
