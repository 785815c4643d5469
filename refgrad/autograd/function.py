"""Custom differentiable functions: subclass Function, write forward and backward.

As in PyTorch, the `ctx` handed to forward is the node itself: an instance of the class
`<Name>Backward` made for each Function subclass, which is what `output.grad_fn` shows.
"""
import functools

from .._creation import _zeros
from .._tensor import Tensor
from . import forward_level, grad_mode
from .graph import Node, RawSavedTensor, SavedTensor

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable"]


class FunctionCtx:
    """What forward and backward can use on ctx."""

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._saved_for_forward = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """The node of a custom Function; also the ctx its forward and backward receive."""

    _forward_cls = None

    def apply(self, grads):
        grads = tuple(grads) + (None,) * (len(self._output_meta) - len(grads))
        if getattr(self, "materialize_grads", True):
            grads = tuple(g if g is not None else _zeros(shape, dtype, device)
                          for g, (shape, dtype, device) in zip(grads, self._output_meta))
        result = self._forward_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        expected = len(self._arg_is_tensor)
        if len(result) != expected:
            if len(result) > expected and all(r is None for r in result[expected:]):
                result = result[:expected]
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected "
                                   f"{expected}, got {len(result)})")
        for position, (g, is_tensor) in enumerate(zip(result, self._arg_is_tensor), 1):
            if g is None:
                continue
            if not is_tensor:
                raise RuntimeError(f"function {self.name()} returned a gradient different than None at position "
                                   f"{position}, but the corresponding forward input was not a Variable")
            if not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
        return tuple(g for g, is_tensor in zip(result, self._arg_is_tensor) if is_tensor)

    def release(self):
        for s in getattr(self, "_saved", None) or ():
            if isinstance(s, SavedTensor):
                s.free()

    @property
    def _raw_saved_tensors(self):
        """The saved tensors themselves, whose hooks can be set (PyTorch's torch._C._autograd.SavedTensor)."""
        return tuple(RawSavedTensor(s, self) if isinstance(s, SavedTensor) else s
                     for s in getattr(self, "_saved", None) or ())

    @property
    def saved_tensors(self):
        saved = getattr(self, "_saved", None)
        if saved is None:
            return ()
        return tuple(s.unpack(self, for_backward=False) if isinstance(s, SavedTensor) else s for s in saved)


class FunctionMeta(type):
    """Gives every Function subclass its own node class, named `<Name>Backward`."""

    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Base class of custom autograd functions; call them with `MyFunction.apply(*args)`."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
            "function with static forward method. (Example: https://pytorch.org/docs/stable/autograd.html"
            "#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls(())
        is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx._arg_is_tensor = is_tensor
        ctx.needs_input_grad = tuple(t and a.requires_grad for a, t in zip(args, is_tensor))
        recording = grad_mode.state.enabled and any(ctx.needs_input_grad)
        uses_setup_context = cls.setup_context is not Function.setup_context
        tangents = _input_tangents(args, is_tensor)
        level, forward_level.state.level = forward_level.state.level, None  # the forward's own ops make no tangents
        try:
            with grad_mode.no_grad():
                if uses_setup_context:
                    outputs = cls.forward(*args, **kwargs)
                else:
                    outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            forward_level.state.level = level
        if uses_setup_context:
            cls.setup_context(ctx, args, outputs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if recording:
            outs = _wrap_outputs(ctx, args, is_tensor, outs)
        else:
            outs = tuple(_fresh_output(o, args) for o in outs)
        if tangents is not None:
            _push_custom_tangents(cls, ctx, tangents, outs)
        ctx._saved = tuple(
            SavedTensor(t, is_output=recording and any(t is o for o in outs)) if isinstance(t, Tensor) else t
            for t in getattr(ctx, "_to_save", ()) or ())
        return outs[0] if single else outs


def _input_tangents(args, is_tensor):
    """The inputs' forward-mode tangents (None for each input without one), or None when there are none."""
    if forward_level.state.level is None:
        return None
    tangents = [forward_level.tangent_of(a) if t else None for a, t in zip(args, is_tensor)]
    return tangents if any(t is not None for t in tangents) else None


def _push_custom_tangents(cls, ctx, tangents, outs):
    """A custom Function's output tangents come from its jvp(ctx, *input_tangents); in jvp, ctx.saved_tensors
    are the tensors forward gave ctx.save_for_forward (those for backward are set after)."""
    level, forward_level.state.level = forward_level.state.level, None
    ctx._saved = tuple(getattr(ctx, "_saved_for_forward", ()) or ())
    try:
        result = cls.jvp(ctx, *tangents)
    finally:
        forward_level.state.level = level
    result = result if isinstance(result, tuple) else (result,)
    for out, tangent in zip(outs, result):
        if tangent is not None:
            forward_level.set_tangent(out, tangent)


def _fresh_output(out, args):
    """An output that is one of the inputs is returned as a new tensor sharing its data."""
    if any(out is a for a in args):
        return out.detach() if not out.requires_grad else out.view_as(out)
    return out


def _wrap_outputs(ctx, args, is_tensor, outs):
    ctx.next_functions = tuple(a._edge() for a, t in zip(args, is_tensor) if t)
    ctx._input_meta = tuple((a._data.shape, a._dtype, a._device) for a, t in zip(args, is_tensor) if t)
    dirty = getattr(ctx, "_dirty", ()) or ()
    non_diff = getattr(ctx, "_non_differentiable", ()) or ()
    wrapped = []
    meta = []
    for nr, out in enumerate(outs):
        if not isinstance(out, Tensor):
            wrapped.append(out)
            meta.append(None)
            continue
        if any(out is d for d in dirty):
            if out._grad_fn is None and out._requires_grad:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        elif any(out is a for a in args):
            out = out.detach()
        meta.append((out._data.shape, out._dtype, out._device))
        if any(out is n for n in non_diff) or not out._dtype.is_floating_point:
            wrapped.append(out)
            continue
        old_fn, old_nr = out._grad_fn, out._output_nr
        out._grad_fn = ctx
        out._output_nr = nr
        out._requires_grad = False
        out._move_retains_grad(old_fn, old_nr)
        wrapped.append(out)
    ctx._output_meta = tuple(m if m is not None else ((), None, None) for m in meta)
    return tuple(wrapped)


def once_differentiable(fn):
    """Runs a backward without recording, for functions whose backward is not differentiable."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            return fn(ctx, *args)
    return wrapper
