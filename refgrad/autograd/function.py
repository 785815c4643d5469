"""Custom differentiable functions: subclass Function, write forward and backward.

As in PyTorch, the `ctx` handed to forward is the node itself: an instance of the class
`<Name>Backward` made for each Function subclass, which is what `output.grad_fn` shows.
"""
import functools
import warnings

from .._creation import _zeros
from .._tensor import Tensor
from . import forward_level, grad_mode
from .graph import UNNUMBERED, Node, RawSavedTensor, SavedTensor

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable", "NestedIOFunction"]

ONCE_DIFFERENTIABLE_MESSAGE = "trying to differentiate twice a function that was marked with @once_differentiable"


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
    __repr__ = object.__repr__  # a Python class: `<refgrad.autograd.function.XBackward object at 0x...>`

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
        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, "
                      "so you should invoke them on the class itself. Instantiating an autograd function will raise "
                      "an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

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
        with grad_mode.no_grad(), forward_level.no_levels():  # the forward's own ops make no tangents
            if uses_setup_context:
                outputs = cls.forward(*args, **kwargs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
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
        # an output is saved as one only if ctx made it (PyTorch: grad_fn == cdata); a non-differentiable
        # output is saved as the tensor itself, a leaf that needs no grad
        ctx._saved = tuple(
            SavedTensor(t, is_output=recording and t._grad_fn is ctx) if isinstance(t, Tensor) else t
            for t in getattr(ctx, "_to_save", ()) or ())
        return outs[0] if single else outs


def _input_tangents(args, is_tensor):
    """The inputs' forward-mode tangents at each active level (None for an input without one), or None when
    there are none."""
    levels = {}
    for level in forward_level.state.stack:
        tangents = [forward_level.tangent_of(a, level) if t else None for a, t in zip(args, is_tensor)]
        if any(t is not None for t in tangents):
            levels[level] = tangents
    return levels or None


def _push_custom_tangents(cls, ctx, levels, outs):
    """A custom Function's output tangents come from its jvp(ctx, *input_tangents); in jvp, ctx.saved_tensors
    are the tensors forward gave ctx.save_for_forward (those for backward are set after)."""
    for level, tangents in levels.items():
        ctx._saved = tuple(getattr(ctx, "_saved_for_forward", ()) or ())
        with forward_level.levels_below(level):
            result = cls.jvp(ctx, *tangents)
        result = result if isinstance(result, tuple) else (result,)
        if len(result) != len(outs):
            raise RuntimeError("Function's jvp returned an invalid number of forward gradients (expected "
                               f"{len(outs)} but got {len(result)})")
        for nr, (out, tangent) in enumerate(zip(outs, result)):
            if tangent is not None and not isinstance(tangent, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(tangent).__name__}) for grad output {nr}.")
            if tangent is not None:
                forward_level.set_tangent(out, tangent, level)


def _fresh_output(out, args):
    """An output that is one of the inputs is returned as a new tensor sharing its data: a view of it while
    grad mode is on (PyTorch's _view_as_self_with_no_grad), else a detached alias."""
    if not any(out is a for a in args):
        return out
    return out._view_of(out._data) if grad_mode.state.enabled else out.detach()


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
        is_dirty = any(out is d for d in dirty)
        is_non_differentiable = any(out is n for n in non_diff)  # before an input returned as-is is replaced
        if not is_dirty and any(out is a for a in args):
            out = out._view_of(out._data)  # PyTorch: a view of the input (_view_as_self_with_no_grad)
        meta.append((out._data.shape, out._dtype, out._device))
        if is_non_differentiable or not out._dtype.is_floating_point:
            wrapped.append(out)
            continue
        if not is_dirty and out._base is not None:
            out._view_creation = "custom_function"  # PyTorch's CreationMeta::IN_CUSTOM_FUNCTION
        old_fn, old_nr = out._grad_fn, out._output_nr
        out._grad_fn = ctx
        out._output_nr = nr
        out._requires_grad = False
        out._move_retains_grad(old_fn, old_nr)
        wrapped.append(out)
    ctx._output_meta = tuple(m if m is not None else ((), None, None) for m in meta)
    return tuple(wrapped)


def once_differentiable(fn):
    """Runs a backward without recording. When its incoming gradients require grad (create_graph), its results
    come out of an Error node instead, so that differentiating them again raises, as PyTorch's do."""
    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args, **kwargs)
        if not grad_mode.state.enabled:
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        return _delayed_error(ONCE_DIFFERENTIABLE_MESSAGE, [_fake_requires_grad(v) for v in outs])
    return wrapper


def _fake_requires_grad(var):
    if var is not None:
        var = var.detach()
        var.requires_grad = True
    return var


class Error(Node):
    """PyTorch's Error node: running it raises its message."""

    __slots__ = ("msg",)
    _numbers = UNNUMBERED

    def __init__(self, msg, next_functions):
        Node.__init__(self, next_functions)
        self.msg = msg

    def name(self):
        return "torch::autograd::Error"

    def apply(self, grads):
        raise RuntimeError(self.msg)


def _delayed_error(msg, inputs):
    """PyTorch's DelayedError applied to `inputs`: aliases of them (own version counters), made by an Error
    node whose edges lead to the inputs."""
    node = Error(msg, tuple(v._edge() if v is not None else (None, 0) for v in inputs))
    outputs = []
    for nr, v in enumerate(inputs):
        if v is None:
            outputs.append(None)
            continue
        out = type(v)._make(v._data, v._dtype, v._device)
        out._grad_fn, out._output_nr = node, nr
        outputs.append(out)
    return tuple(outputs)


class NestedIOFunction(Function):
    """Kept for backward compatibility, as in PyTorch, where it no longer works: it relies on the legacy
    _do_forward/_do_backward that Function lost, so calling it fails as PyTorch's does."""

    def _do_forward(self, *input):
        self._nested_input = input
        flat_output = super()._do_forward(*_iter_tensors(input))
        return _unflatten(flat_output, self._nested_output)

    def _do_backward(self, gradients, retain_variables):
        self.retain_variables = retain_variables
        result = super()._do_backward(gradients, retain_variables)
        if not retain_variables:
            del self._nested_output
            del self._to_save_nested
        return result

    def backward(self, *gradients):
        result = self.backward_extended(*_unflatten(gradients, self._nested_output))
        return tuple(_iter_tensors(result, keep_none=True))

    __call__ = _do_forward

    def forward(self, *args):
        nested = _map_tensors(self._nested_input, lambda t: t.data)
        result = self.forward_extended(*nested)
        del self._nested_input
        self._nested_output = result
        return tuple(_iter_tensors(result))

    def save_for_backward(self, *args):
        self.to_save = tuple(_iter_tensors(args))
        self._to_save_nested = args

    @property
    def saved_tensors(self):
        return _unflatten(tuple(getattr(self, "to_save", ())), self._to_save_nested)

    def mark_dirty(self, *args, **kwargs):
        self.dirty_tensors = tuple(_iter_tensors((args, kwargs)))

    def mark_non_differentiable(self, *args, **kwargs):
        self.non_differentiable = tuple(_iter_tensors((args, kwargs)))

    def forward_extended(self, *input):
        raise NotImplementedError

    def backward_extended(self, *grad_output):
        raise NotImplementedError


def _iter_tensors(obj, keep_none=False):
    """The tensors in nested lists, tuples and dicts (and the Nones, with keep_none)."""
    if isinstance(obj, Tensor) or obj is None and keep_none:
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _iter_tensors(o, keep_none)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _iter_tensors(o, keep_none)
    elif obj is not None:
        raise ValueError(f"Auto nesting doesn't know how to process an input object of type "
                         f"{_typename(obj)}. Accepted types: "
                         f"{'Tensors or None' if keep_none else 'Tensors'}, or lists/tuples of them")


def _typename(obj):
    module = type(obj).__module__
    return type(obj).__qualname__ if module == "builtins" else f"{module}.{type(obj).__qualname__}"


def _map_tensors(obj, fn):
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_tensors(o, fn) for o in obj)
    if isinstance(obj, dict):
        return {k: _map_tensors(v, fn) for k, v in obj.items()}
    return obj


def _unflatten(flat, proto):
    """A flat sequence put back into the nesting of lists and tuples of `proto`."""
    def helper(flat, proto):
        if not isinstance(proto, (list, tuple)):
            return flat[0], flat[1:]
        result = []
        for e in proto:
            if e is None:
                result.append(e)
            else:
                e, flat = helper(flat, e)
                result.append(e)
        return type(proto)(result), flat
    return helper(flat, proto)[0]
