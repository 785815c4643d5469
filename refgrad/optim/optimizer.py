"""torch.optim.Optimizer: parameter groups, per-parameter state, state_dict / load_state_dict, zero_grad, repr,
and the hooks of step, state_dict and load_state_dict (per optimizer, and global ones for step).

The per-parameter state is keyed by the parameter tensor; state_dict() replaces each key by the parameter's
index over all groups (in group order), and load_state_dict() maps those indices back onto this optimizer's
parameters. As in PyTorch, neither copies the state's tensors: they are shared with the dict.
"""
import copy
import functools
import warnings
from collections import defaultdict
from itertools import chain

from .._dtype import float32, float64, get_default_dtype
from .._creation import tensor as new_tensor
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import RemovableHandle, _HookDict

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks = _HookDict()
_global_optimizer_post_hooks = _HookDict()


def register_optimizer_step_pre_hook(hook):
    """hook(optimizer, args, kwargs), before every optimizer's step; it may return new (args, kwargs)."""
    return _add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """hook(optimizer, args, kwargs), after every optimizer's step."""
    return _add_hook(_global_optimizer_post_hooks, hook)


def _add_hook(hooks, hook, prepend=False):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        rest = [(k, v) for k, v in hooks.items() if k != handle.id]
        hooks.clear()
        hooks.update([(handle.id, hook)] + rest)
    return handle


def _with_step_hooks(step):
    """A class's step() running the global and the optimizer's step hooks around it, as PyTorch patches it in.
    As there, the hooks' args include the optimizer itself."""
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
                args, kwargs = result
        out = step(*args, **kwargs)
        for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


_HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
               "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
               "_optimizer_load_state_dict_post_hooks")


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        for hooks in _HOOK_DICTS:
            setattr(self, hooks, _HookDict())
        if not getattr(type(self).step, "hooked", False):
            type(self).step = _with_step_hooks(type(self).step)
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, but "
                            f"got {params.type()}")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if not param_groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __repr__(self):
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def step(self, closure=None):
        raise NotImplementedError

    def register_step_pre_hook(self, hook):
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        _split_names(param_group, list(params))
        for param in param_group["params"]:
            _check_optimizable(param)
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        if len(param_group["params"]) != len(set(param_group["params"])):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        self._check_disjoint(param_group)
        self.param_groups.append(param_group)

    def _check_disjoint(self, param_group):
        param_set = set()
        for group in self.param_groups:
            param_set.update(set(group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not param_set.isdisjoint(set(param_group["params"])):
            raise ValueError("some parameters appear in more than one parameter group")

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    def state_dict(self):
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        state_dict = self._packed_state()
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def _packed_state(self):
        index_of = {}
        param_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            start = len(index_of)
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            param_groups.append(packed)
        state = {(index_of[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        param_of = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                            chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in param_of:
                state[param_of[k]] = _cast(param_of[k], v)
            else:
                state[k] = v
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # options an older PyTorch's state_dict may lack, and their values then
    LEGACY_GROUP_DEFAULTS = {}

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for hooks in _HOOK_DICTS:
            self.__dict__.setdefault(hooks, _HookDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, value in self.LEGACY_GROUP_DEFAULTS.items():
                group.setdefault(key, value)
        self._upgrade_steps()

    def _upgrade_steps(self):
        """A 'step' saved as a number (by an older PyTorch) becomes the tensor PyTorch keeps now."""
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if "step" in p_state and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = step_tensor(float(p_state["step"]))

    def _step_each(self, closure):
        """The optimizers' step(): the closure's loss (computed with grad enabled), then, group by group, the
        state of each parameter that has a gradient (_init_state) and its update (_update), without grad."""
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        with self._updating():
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                for p in params:
                    self._init_state(p, group)
                for p in params:
                    self._update(p, group)
        return loss

    def _init_state(self, p, group):
        """A parameter's state before its first update (SGD makes its momentum buffer in the update)."""

    def _updating(self):
        """The mode step() updates in: no grad (differentiable=True, which would record it, is refused)."""
        return grad_mode.set_grad_enabled(False)


def _split_names(param_group, params):
    """(name, tensor) pairs, as named_parameters() gives them, become 'params' and 'param_names'."""
    names = [p[0] for p in params if isinstance(p, tuple)]
    param_group["params"] = [p[1] if isinstance(p, tuple) else p for p in params]
    if names:
        if len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        param_group["param_names"] = names


def _check_optimizable(param):
    if not isinstance(param, Tensor):
        raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(param)}")
    if not (param.is_leaf or param.retains_grad):
        raise ValueError("can't optimize a non-leaf Tensor")


def _typename(obj):
    module = type(obj).__module__
    return type(obj).__qualname__ if module == "builtins" else f"{module}.{type(obj).__qualname__}"


def _cast(param, value, key=None):
    """PyTorch's load_state_dict cast: tensors to the parameter's dtype (a float one; 'step' kept), recursively."""
    if isinstance(value, Tensor):
        if key == "step":
            return value
        return value.to(dtype=param.dtype, device=param.device) if param.is_floating_point() else \
            value.to(device=param.device)
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return value


def step_tensor(value=0.0):
    """The 'step' counter of a parameter's state: a CPU tensor, float64 when that is the default dtype."""
    return new_tensor(value, dtype=float64 if get_default_dtype() is float64 else float32)


def refuse_unsupported(name, foreach=None, fused=None, capturable=False, differentiable=False):
    """foreach is accepted (refgrad has one implementation: PyTorch's foreach=False); the others change the
    update's kernels or record it for autograd, which refgrad does not do."""
    for option, value in (("fused", fused), ("capturable", capturable), ("differentiable", differentiable)):
        if value:
            raise NotImplementedError(f"refgrad.optim.{name}: {option}=True is not supported (refgrad implements "
                                      "only the single-tensor update, foreach=False)")


def refuse_tensor_hyperparameters(name, **values):
    for option, value in values.items():
        if isinstance(value, Tensor):
            raise NotImplementedError(f"refgrad.optim.{name}: a Tensor {option} is not supported; pass a float")


def refuse_complex(name, param):
    if param.is_complex():
        raise NotImplementedError(f"refgrad.optim.{name}: complex parameters are not supported")


def addcmul_(t, tensor1, tensor2, value):
    """t.addcmul_(tensor1, tensor2, value=value), through addcmul's kernel (refgrad has no in-place addcmul)."""
    return t.copy_(t.addcmul(tensor1, tensor2, value=value))


def addcdiv_(t, tensor1, tensor2, value):
    """t.addcdiv_(tensor1, tensor2, value=value) (refgrad has no in-place addcdiv), in the order of PyTorch's CPU
    kernel: t + (value * tensor1) / tensor2."""
    return t.add_(tensor1.mul(value).div(tensor2))
