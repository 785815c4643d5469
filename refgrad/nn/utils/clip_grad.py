"""clip_grad_norm_ and clip_grad_value_ with torch.nn.utils.clip_grad's float operations on the CPU path (one
vector_norm per gradient, then the norm of their stack; gradients scaled by clamp(max_norm / (norm + 1e-6), max=1)).
`foreach` is accepted and ignored: torch's foreach kernels compute the same per-tensor results on the CPU."""
import types
import warnings

from ... import _ops
from ..._creation import tensor
from ..._tensor import Tensor
from ...autograd import grad_mode

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grouped(tensors):
    """tensors grouped by (device, dtype), in order of first appearance, as torch groups them."""
    groups = {}
    for t in tensors:
        groups.setdefault((t.device, t.dtype), []).append(t)
    return groups


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    first_device = tensors[0].device
    with grad_mode.no_grad():
        norms = [_ops.vector_norm(g, norm_type) for group in _grouped(tensors).values() for g in group]
        total_norm = _ops.vector_norm(_ops.stack([n.to(first_device) for n in norms]), norm_type)
    if error_if_nonfinite and bool(total_norm.isnan() | total_norm.isinf()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return total_norm


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    with grad_mode.no_grad():
        clip_coef_clamped = _ops.clamp(max_norm / (total_norm + 1e-6), max=1.0)
        for (device, _), group in _grouped(grads).items():
            for g in group:
                g.mul_(clip_coef_clamped.to(device))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_value_(parameters, clip_value, foreach=None):
    clip_value = float(clip_value)
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    with grad_mode.no_grad():
        for group in _grouped(grads).values():
            for grad in group:
                grad.clamp_(min=-clip_value, max=clip_value)
