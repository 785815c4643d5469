"""torch.optim.Adagrad's single-tensor update (foreach=False), in PyTorch's order of operations:

    step += 1;  g = grad (negated to maximize) (+ weight_decay * p);  clr = lr / (1 + (step - 1) * lr_decay)
    sum += g * g;  p += -clr * g / (sqrt(sum) + eps)

Unlike the other optimizers, Adagrad makes the state of the parameters it is built with at once ('step' 0,
'sum' filled with initial_accumulator_value); a group added later gets it at its first step.
"""
from .._creation import full_like
from .optimizer import (Optimizer, addcdiv_, addcmul_, refuse_complex, refuse_tensor_hyperparameters,
                        refuse_unsupported, step_tensor)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    LEGACY_GROUP_DEFAULTS = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        for what, value in (("learning rate", lr), ("lr_decay value", lr_decay),
                            ("weight_decay value", weight_decay),
                            ("initial_accumulator_value value", initial_accumulator_value),
                            ("epsilon value", eps)):
            if not 0.0 <= value:
                raise ValueError(f"Invalid {what}: {value}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused and differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        refuse_unsupported("Adagrad", fused=fused, differentiable=differentiable)
        refuse_tensor_hyperparameters("Adagrad", lr=lr)
        for group in self.param_groups:
            for p in group["params"]:
                refuse_complex("Adagrad", p)
                self.state[p]["step"] = step_tensor()
                self.state[p]["sum"] = full_like(p, initial_accumulator_value)

    def step(self, closure=None):
        return self._step_each(closure)

    def _init_state(self, p, group):
        refuse_complex("Adagrad", p)
        state = self.state[p]
        if len(state) == 0:
            state["step"] = step_tensor()
            state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])

    def _update(self, param, group):
        state = self.state[param]
        step_t = state["step"]
        step_t += 1
        step = step_t.item()
        grad = param.grad if not group["maximize"] else -param.grad
        if group["weight_decay"] != 0:
            grad = grad.add(param, alpha=group["weight_decay"])
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        addcmul_(state["sum"], grad, grad, value=1)
        std = state["sum"].sqrt().add_(group["eps"])
        addcdiv_(param, grad, std, value=-clr)
