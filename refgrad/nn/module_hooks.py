"""What a Module call with hooks runs (torch's Module._call_impl and torch.utils.hooks.BackwardHook): forward
pre-hooks and hooks, full backward (pre-)hooks through BackwardHookFunction identity nodes around the module's inputs
and outputs, and the deprecated non-full backward hooks on the output's grad_fn. It reads the hook dicts a Module
keeps; the handles it gives remove a hook and its flags."""
import functools
import warnings
import weakref

from .._tensor import Tensor
from ..autograd import grad_mode, graph
from ..autograd.function import Function

__all__ = ["RemovableHandle", "BackwardHookFunction", "add_hook", "call_with_hooks", "call_with_module"]


class RemovableHandle(graph.RemovableHandle):
    """A module hook's handle: removing it also forgets the hook's flags (with_kwargs, always_call)."""

    __slots__ = ("_extra",)

    def __init__(self, hooks, extra=()):
        super().__init__(hooks)
        self._extra = tuple(weakref.ref(d) for d in extra)

    def remove(self):
        super().remove()
        for ref in self._extra:
            flags = ref()
            if flags is not None:
                flags.pop(self.id, None)


def add_hook(hooks, hook, prepend, extra=()):
    handle = RemovableHandle(hooks, extra)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class BackwardHookFunction(Function):
    """The identity, recorded so that its node's hooks see the gradients of a module's inputs or outputs."""

    @staticmethod
    def forward(ctx, *args):
        ctx.mark_non_differentiable(*[arg for arg in args if not arg.requires_grad])
        return args

    @staticmethod
    def backward(ctx, *args):
        return args


class _BackwardHook:
    """Full backward (pre-)hooks of one call: torch.utils.hooks.BackwardHook. The outputs' identity node
    records grad_output; the inputs' identity node then calls the user hooks with grad_input."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = self.n_inputs = -1
        self.output_tensors_index = self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        res = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    def _input_hook(self, grad_input, _):
        if self.grad_outputs is None:  # the gradient reached the inputs without passing through the outputs
            return None
        res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(out)}, but "
                                   f"expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_tensors_index)

    def _output_hook(self, _, grad_output):
        self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output, self.n_outputs)
        for pre_hook in self.user_pre_hooks:
            new = pre_hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, got "
                                   f"{len(new)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = new
        local_grad_outputs = self.grad_outputs
        if self.input_tensors_index is None:
            self._call_hooks_without_input_grads()
        if local_grad_outputs is not None:
            return tuple(local_grad_outputs[i] for i in self.output_tensors_index)
        return None

    def _call_hooks_without_input_grads(self):
        warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                      "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                      "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.",
                      stacklevel=5)
        grad_inputs = self._pack_with_none([], [], self.n_inputs)
        for user_hook in self.user_hooks:
            res = user_hook(self.module, grad_inputs, self.grad_outputs)
            if res is not None and not (isinstance(res, tuple) and all(el is None for el in res)):
                raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                   "return None or None for all gradients.")
        self.grad_outputs = None

    @staticmethod
    def _apply_on_tensors(hook, args):
        tensors_idx = [i for i, arg in enumerate(args) if isinstance(arg, Tensor)]
        tensors = [args[i] for i in tensors_idx]
        if not (any(t.requires_grad for t in tensors) and grad_mode.is_grad_enabled()):
            return args, None
        new_tensors = BackwardHookFunction.apply(*tensors)
        if len(new_tensors) == 0:
            raise RuntimeError("Cannot set Module backward hook for a Module with no input Tensors.")
        grad_fn = next(t.grad_fn for t in new_tensors
                       if t.grad_fn is not None and t.grad_fn.name() == "BackwardHookFunctionBackward")
        grad_fn.register_hook(hook)
        out = list(args)
        for idx, val in zip(tensors_idx, new_tensors):
            out[idx] = val
        return (tuple(out) if type(args) is tuple else type(args)(*out)), tensors_idx

    def setup_input_hook(self, args):
        res, self.input_tensors_index = self._apply_on_tensors(self._input_hook, args)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, self.output_tensors_index = self._apply_on_tensors(self._output_hook, args)
        self.n_outputs = len(args)
        return res if is_tuple else res[0]


def call_with_module(hook, module_ref, *args):
    module = module_ref()
    if module is None:
        raise RuntimeError("You are trying to call the hook of a dead Module!")
    return hook(module, *args)


_NON_FULL = "Using a non-full backward hook when "
_DEPRECATED = " is deprecated and will be removed in future versions. This hook will be missing some "
_USE_FULL = " Please use register_full_backward_hook to get the documented behavior."


def _warn_non_full_backward_hook(inputs, result, grad_fn):
    """torch's Module._maybe_warn_non_full_backward_hook: where the output's node does not see every grad."""
    def warn(message):
        warnings.warn(message, FutureWarning, stacklevel=4)

    if not isinstance(result, Tensor) and not (isinstance(result, tuple) and all(isinstance(r, Tensor)
                                                                                 for r in result)):
        return warn("Using non-full backward hooks on a Module that does not return a single Tensor or a tuple of "
                    "Tensors" + _DEPRECATED + "of the grad_output." + _USE_FULL)
    result = (result,) if isinstance(result, Tensor) else result
    if not isinstance(inputs, Tensor) and not (isinstance(inputs, tuple) and all(isinstance(i, Tensor)
                                                                                 for i in inputs)):
        return warn("Using non-full backward hooks on a Module that does not take as input a single Tensor or a "
                    "tuple of Tensors" + _DEPRECATED + "of the grad_input." + _USE_FULL)
    inputs = (inputs,) if isinstance(inputs, Tensor) else inputs
    out_grad_fns = {r.grad_fn for r in result if r.grad_fn is not None}
    if not out_grad_fns or (len(out_grad_fns) == 1 and grad_fn not in out_grad_fns):
        warn(_NON_FULL + "outputs are nested in python data structure" + _DEPRECATED + "grad_output.")
    elif len(out_grad_fns) > 1:
        warn(_NON_FULL + "outputs are generated by different autograd Nodes" + _DEPRECATED + "grad_output." + _USE_FULL)
    elif {i.grad_fn for i in inputs if i.grad_fn is not None} != {n[0] for n in grad_fn.next_functions}:
        warn(_NON_FULL + "the forward contains multiple autograd Nodes" + _DEPRECATED + "grad_input." + _USE_FULL)


class _HookedCall:
    """One Module.__call__ with hooks: torch's Module._call_impl."""

    def __init__(self, module, args, kwargs):
        self.module, self.args, self.kwargs = module, args, kwargs
        self.result = None
        self.called_always = set()

    def run(self):
        module = self.module
        backward_hooks = list(module._backward_hooks.values()) if module._is_full_backward_hook else []
        pre_hooks = list(module._backward_pre_hooks.values())
        self._run_pre_hooks()
        bw_hook = None
        if backward_hooks or pre_hooks:
            bw_hook = _BackwardHook(module, backward_hooks, pre_hooks)
            self.args = bw_hook.setup_input_hook(self.args)
        self.result = module.forward(*self.args, **self.kwargs)
        for hook_id, hook in list(module._forward_hooks.items()):
            if hook_id in module._forward_hooks_always_called:
                self.called_always.add(hook_id)
            out = self._call_forward_hook(hook_id, hook)
            if out is not None:
                self.result = out
        if bw_hook:
            if not isinstance(self.result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                              f"Tensors but received {type(self.result)}", stacklevel=2)
            self.result = bw_hook.setup_output_hook(self.result)
        if module._is_full_backward_hook is False and module._backward_hooks:
            self._register_non_full_backward_hooks()
        return self.result

    def _register_non_full_backward_hooks(self):
        var = self.result
        while not isinstance(var, Tensor):
            var = next(v for v in var.values() if isinstance(v, Tensor)) if isinstance(var, dict) else var[0]
        grad_fn = var.grad_fn
        if grad_fn is None:
            return
        module = self.module
        for hook in module._backward_hooks.values():
            grad_fn.register_hook(functools.partial(call_with_module, hook, weakref.ref(module)))
        _warn_non_full_backward_hook(self.args, self.result, grad_fn)

    def _run_pre_hooks(self):
        module = self.module
        for hook_id, hook in list(module._forward_pre_hooks.items()):
            if hook_id in module._forward_pre_hooks_with_kwargs:
                out = hook(module, self.args, self.kwargs)
                if out is None:
                    continue
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                       f"but got {out}.")
                self.args, self.kwargs = out
            else:
                out = hook(module, self.args)
                if out is not None:
                    self.args = out if isinstance(out, tuple) else (out,)

    def _call_forward_hook(self, hook_id, hook):
        if hook_id in self.module._forward_hooks_with_kwargs:
            return hook(self.module, self.args, self.kwargs, self.result)
        return hook(self.module, self.args, self.result)

    def run_always_called_hooks(self):
        module = self.module
        for hook_id, hook in list(module._forward_hooks.items()):
            if hook_id not in module._forward_hooks_always_called or hook_id in self.called_always:
                continue
            try:
                out = self._call_forward_hook(hook_id, hook)
                if out is not None:
                    self.result = out
            except Exception as e:
                warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                              f"silenced as another error was raised in forward: {str(e)}", stacklevel=2)


def call_with_hooks(module, args, kwargs):
    """module(*args, **kwargs) with its hooks; forward hooks marked always_call run even when forward raises."""
    call = _HookedCall(module, args, kwargs)
    try:
        return call.run()
    except Exception:
        call.run_always_called_hooks()
        raise
