"""torch.optim.SGD's single-tensor update (foreach=False), written out:

    g = grad (+ weight_decay * p);  with momentum: b = momentum * b + (1 - dampening) * g
    (the first step sets b = g), and g = g + momentum * b (Nesterov) or b;  p -= lr * g
"""
from .optimizer import Optimizer, refuse_complex, refuse_tensor_hyperparameters, refuse_unsupported

__all__ = ["Optimizer", "SGD"]


class SGD(Optimizer):
    LEGACY_GROUP_DEFAULTS = {"nesterov": False, "maximize": False, "foreach": None, "differentiable": False,
                             "fused": False}

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused and differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        refuse_unsupported("SGD", fused=fused, differentiable=differentiable)
        refuse_tensor_hyperparameters("SGD", lr=lr, weight_decay=weight_decay)

    def step(self, closure=None):
        return self._step_each(closure)

    def _update(self, p, group):
        refuse_complex("SGD", p)
        grad = p.grad if not group["maximize"] else -p.grad
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        momentum = group["momentum"]
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.detach().clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        p.add_(grad, alpha=-group["lr"])
