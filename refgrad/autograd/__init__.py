"""refgrad.autograd: backward, grad, custom Functions, grad modes, forward AD and gradcheck
(PyTorch's torch.autograd). This file only gathers them; each lives in its own module."""
from . import forward_ad, grad_mode, graph
from .api import backward, grad
from .function import Function
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck

__all__ = ["backward", "grad", "Function", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "graph", "forward_ad", "gradcheck",
           "gradgradcheck"]
