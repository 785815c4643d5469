"""torch.optim.RMSprop's single-tensor update (foreach=False), in PyTorch's order of operations:

    step += 1;  g = grad (negated to maximize) (+ weight_decay * p);  v = v * alpha + (1 - alpha) * g * g
    centered: g_avg.lerp_(g, 1 - alpha), avg = sqrt(v - g_avg * g_avg);  else avg = sqrt(v);  avg += eps
    momentum: b = b * momentum + g / avg, p -= lr * b;  else p += -lr * g / avg
"""
from .._creation import zeros_like
from .optimizer import (Optimizer, addcdiv_, addcmul_, refuse_complex, refuse_tensor_hyperparameters,
                        refuse_unsupported, step_tensor)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    LEGACY_GROUP_DEFAULTS = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                             "differentiable": False, "capturable": False}

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        for what, value in (("learning rate", lr), ("epsilon value", eps), ("momentum value", momentum),
                            ("weight_decay value", weight_decay), ("alpha value", alpha)):
            if not 0.0 <= value:
                raise ValueError(f"Invalid {what}: {value}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)
        refuse_unsupported("RMSprop", capturable=capturable, differentiable=differentiable)
        refuse_tensor_hyperparameters("RMSprop", lr=lr)

    def step(self, closure=None):
        return self._step_each(closure)

    def _init_state(self, p, group):
        refuse_complex("RMSprop", p)
        state = self.state[p]
        if len(state) == 0:
            state["step"] = step_tensor()
            state["square_avg"] = zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = zeros_like(p)

    def _update(self, param, group):
        state = self.state[param]
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        grad = param.grad if not group["maximize"] else -param.grad
        square_avg = state["square_avg"]
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad.add(param, alpha=group["weight_decay"])
        addcmul_(square_avg.mul_(alpha), grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg.lerp_(grad, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg = avg.add_(eps)
        if momentum > 0:
            buf = state["momentum_buffer"]
            addcdiv_(buf.mul_(momentum), grad, avg, value=1)
            param.add_(buf, alpha=-lr)
        else:
            addcdiv_(param, grad, avg, value=-lr)
