"""The autograd graph: nodes, the edges between them, and the tensors they save.

A Node is what `tensor.grad_fn` returns. Its `next_functions` are the edges towards the
inputs of the op that made it: `(node, output_nr)` pairs, `(None, 0)` for inputs that need no
gradient. Leaves that require grad end in an AccumulateGrad node. Nodes are numbered in
creation order (`_sequence_nr()`); the engine runs later nodes first, like PyTorch's. AccumulateGrad and
the error nodes (Error, NotImplemented) take no number: theirs is the largest, so they run first.

A FormulaNode is the node of a derivative-table entry (refgrad/derivatives.py): its `apply` runs
the entry's backward formulas on the gradient and the values the node saved.

This module is also PyTorch's public `torch.autograd.graph`: saved-tensor hooks (applied by
SavedTensor to everything a node saves), multi-grad hooks (which ask the engine about the running
backward, through `TASK`), gradient edges, increment_version and allow_mutation_on_saved_tensors
(which clones a saved tensor before an in-place write, told by the dispatcher through `WRITES`).
"""
import contextlib
import itertools
import threading
import weakref
from collections import defaultdict
from typing import NamedTuple
from weakref import WeakKeyDictionary, WeakValueDictionary

import numpy as np

from . import anomaly_mode, grad_mode

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "register_multi_grad_hook",
           "allow_mutation_on_saved_tensors", "Node", "GradientEdge", "get_gradient_edge", "increment_version",
           "region_activation_memory_budget", "set_warn_on_accumulate_grad_stream_mismatch",
           "set_override_stale_capture_stream"]

_sequence = itertools.count()
_anomaly = anomaly_mode.state
MAX_SEQUENCE_NR = 2 ** 64 - 1
UNNUMBERED = itertools.repeat(MAX_SEQUENCE_NR)  # the `_numbers` of nodes PyTorch makes with UINT64_MAX

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")

NO_ANOMALY_HINT = ("Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
                   "torch.autograd.set_detect_anomaly(True, check_nan=False).")
ANOMALY_HINT = ("Hint: the backtrace further above shows the operation that failed to compute its gradient. The "
                "variable in question was changed in there or anywhere later. Good luck!")

DETACHED_MESSAGE = (
    "Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This is not supported, "
    "please use out-of-place `.detach()` instead")


class RemovableHandle:
    """Returned by register_hook; `remove()` unregisters the hook."""

    __slots__ = ("_hooks", "id")
    _ids = itertools.count()

    def __init__(self, hooks):
        self._hooks = weakref.ref(hooks) if hooks is not None else None
        self.id = next(RemovableHandle._ids)

    def remove(self):
        hooks = self._hooks() if self._hooks is not None else None
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookDict(dict):
    """A dict that RemovableHandle can hold weakly."""

    __slots__ = ("__weakref__",)


def add_hook(hooks, fn):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


class NodeHooks:
    """The hooks registered on one node; a node without hooks holds None, so the engine skips them."""

    __slots__ = ("tensor_pre", "retains_grad", "pre", "post")

    def __init__(self):
        self.tensor_pre = {}  # output_nr -> hooks of the tensor that is that output
        self.retains_grad = {}  # output_nr -> weakref to a tensor that retains its grad
        self.pre = _HookDict()
        self.post = _HookDict()


class Node:
    """A recorded op. Subclasses implement `apply(grads) -> grads for next_functions`."""

    __slots__ = ("next_functions", "_seq", "_input_meta", "_hooks", "_metadata", "__weakref__")
    _numbers = _sequence  # where its sequence number comes from

    def __init__(self, next_functions, input_meta=()):
        self.next_functions = next_functions
        self._input_meta = input_meta
        self._seq = next(self._numbers)
        self._hooks = None
        if _anomaly.enabled:
            anomaly_mode.record(self)

    def name(self):
        return type(self).__name__

    def _sequence_nr(self):
        return self._seq

    def __call__(self, *grads):
        return self.apply(grads)

    @property
    def metadata(self):
        try:
            return self._metadata
        except AttributeError:
            self._metadata = {}
            return self._metadata

    def hooks(self):
        """This node's NodeHooks, created on first use."""
        if self._hooks is None:
            self._hooks = NodeHooks()
        return self._hooks

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after the node; it may return new grad_inputs."""
        return add_hook(self.hooks().post, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before the node; it may return new grad_outputs."""
        return add_hook(self.hooks().pre, fn)

    def tensor_pre_hooks(self, output_nr):
        return self.hooks().tensor_pre.setdefault(output_nr, _HookDict())

    def release(self):
        """Frees saved tensors after a backward that does not retain the graph."""

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"


class AccumulateGrad(Node):
    """The sink of a leaf: adds the incoming gradient into `variable.grad`."""

    __slots__ = ("variable",)
    _numbers = UNNUMBERED

    def __init__(self, variable):
        Node.__init__(self, ())
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"


def check_saveable(tensor):
    if tensor._is_inference:
        raise RuntimeError(
            "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
            "mode in computation tracked by autograd. To work around this, you can make a clone to get a "
            "normal tensor and use it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.")


class SavedTensor:
    """A tensor a node keeps for its backward formula, with the version it had when saved.

    Inputs are kept as they are. Outputs are kept as their data and version counter only, and
    rebuilt with the saving node as grad_fn when unpacked, so a node does not own its output.

    Under saved_tensors_hooks (or after `register_hooks`) the node keeps what the pack hook returned
    instead, and unpacking calls the unpack hook on it; as in PyTorch the version is then not checked,
    and the result is given the saved tensor's place in the graph (its grad_fn, or its leaf's accumulator).
    """

    __slots__ = ("tensor", "data", "counter", "version", "dtype", "device", "output_nr", "freed", "fw", "cls",
                 "nonleaf", "producer", "packed", "unpack_hook", "meta")

    def __init__(self, tensor, is_output, defer_pack=False):
        check_saveable(tensor)
        self.counter = tensor._vc
        self.version = tensor._vc.value
        self.freed = False
        self.producer = None
        self.unpack_hook = None
        if is_output:
            self.tensor = None
            self.data = tensor._data
            self.dtype = tensor._dtype
            self.device = tensor._device
            self.output_nr = tensor._output_nr
            self.fw = tensor._fw  # a saved output keeps its forward-mode tangent
            self.cls = type(tensor)
        else:
            self.tensor = tensor
            self.nonleaf = tensor._grad_fn is not None
        if not defer_pack and SAVED_HOOKS.stack:  # the dispatcher packs what a node saves itself (pack_saved)
            self.pack(tensor, *SAVED_HOOKS.stack[-1])

    def pack(self, tensor, pack_hook, unpack_hook, hook_input=None):
        """Keeps pack_hook(tensor) (or pack_hook(hook_input)) instead of the tensor, which pack_hook may not
        modify in place, and what unpacking needs to give the result the tensor's place in the graph."""
        is_output = self.tensor is None
        self.meta = (is_output, None if is_output else tensor._grad_fn, tensor._output_nr, tensor.requires_grad,
                     tensor._grad_accumulator)
        version = self.counter.value
        with grad_mode.no_grad():
            self.packed = pack_hook(tensor if hook_input is None else hook_input)
        if self.counter.value != version:
            raise RuntimeError(
                "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook "
                "cannot be modified by in-place operations as this can lead to unexpected side-effects. Please "
                "open an issue if you need to perform in-place operations on the input to a pack hook.")
        self.unpack_hook = unpack_hook
        self.tensor = None
        self.data = None

    def register_hooks(self, pack_hook, unpack_hook, node):
        """SavedTensor.register_hooks of `grad_fn._raw_saved_<name>`: the pack hook gets the tensor detached."""
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("register_hooks(): incompatible function arguments. The following argument types are "
                            "supported:\n    1. (self: torch._C._autograd.SavedTensor, arg0: collections.abc.Callable, "
                            "arg1: collections.abc.Callable) -> None")
        if self.unpack_hook is not None:
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have already been set. Hint: only "
                               "one pair of hooks is allowed at a time.")
        if self.freed:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need "
                "to backward through the graph a second time or if you need to access saved variables after calling "
                "backward.")
        tensor = self._stored(node)  # PyTorch checks no version here: hooks set on a stale tensor keep it
        self.pack(tensor, pack_hook, unpack_hook, hook_input=tensor.detach())

    def repoint(self, tensor, producer=None):
        """After an in-place op the saved output is the modified tensor itself. On a view its grad_fn is then
        the view's (AsStridedBackward0), not the op's node, which CopySlices holds (PyTorch keeps it weakly)."""
        self.data = tensor._data
        self.counter = tensor._vc
        self.version = tensor._vc.value
        self.fw = tensor._fw
        if producer is not None:
            self.producer = weakref.ref(producer)
            self.output_nr = 0

    def _producer(self, node):
        producer = self.producer() if self.producer is not None else None
        return node if producer is None else producer

    def unpack(self, node, for_backward=True):
        if self.freed:
            raise RuntimeError(FREED_MESSAGE)
        if self.unpack_hook is not None:
            return self._unpack_hooked(node)
        if self.tensor is not None and self.tensor._base is not None:
            self.tensor._refresh_view()  # PyTorch reads a saved input's grad_fn first: a stale view's raises here
        if for_backward and self.tensor is not None and self.nonleaf and self.tensor._grad_fn is None:
            raise RuntimeError(DETACHED_MESSAGE)
        if self.counter.value != self.version:
            raise RuntimeError(self._modified_message(node))
        return self._stored(node)

    def _stored(self, node):
        """The tensor as saved, unchecked: an input itself, an output rebuilt with its node as grad_fn."""
        if self.tensor is not None:
            return self.tensor
        t = self.cls._make(self.data, self.dtype, self.device)
        t._vc = self.counter
        t._grad_fn = node if self.producer is None else self._producer(node)
        t._output_nr = self.output_nr
        t._fw = self.fw
        return t

    def _unpack_hooked(self, node):
        """The unpack hook's tensor, placed where the saved one was in the graph (PyTorch's SavedVariable::unpack:
        one that needs no place is returned as it is)."""
        data = self.unpack_hook(self.packed)
        if not isinstance(data, TENSOR.cls):
            raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                            f"{type(data).__name__}")
        is_output, grad_fn, output_nr, requires_grad, accumulator = self.meta
        if is_output:
            grad_fn = node if self.producer is None else self._producer(node)
        if grad_fn is None and not requires_grad and not data.requires_grad:
            return data
        t = data.detach()
        if grad_fn is not None:
            t._grad_fn, t._output_nr = grad_fn, output_nr
        else:
            t._requires_grad = requires_grad
            t._grad_accumulator = accumulator
        if is_output:
            t._fw = self.fw
        return t

    def _modified_message(self, node):
        t = self.tensor
        if t is None:
            shape, dtype, device, producer, nr = self.data.shape, self.dtype, self.device, self._producer(node), \
                self.output_nr
        else:
            shape, dtype, device, producer, nr = t._data.shape, t._dtype, t._device, _current_grad_fn(t), t._output_nr
        if dtype._legacy == "BoolTensor":  # PyTorch's toString() of a bool tensor's type
            kind = "CUDABoolType" if device.type == "cuda" else "CPUBoolType"
        else:
            kind = ("torch.cuda." if device.type == "cuda" else "torch.") + dtype._legacy
        what = f"[{kind} [{', '.join(map(str, shape))}]]"
        if producer is not None:
            what += f", which is output {nr} of {_op_name(producer)},"
        return ("one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: {what} is at version {self.counter.value}; expected version {self.version} instead. "
                + (ANOMALY_HINT if _anomaly.enabled else NO_ANOMALY_HINT))

    def free(self):
        self.freed = True
        self.tensor = None
        self.data = None
        self.packed = None
        self.unpack_hook = None


def pack_saved(saved, outputs=None, late=frozenset()):
    """Packs, under saved_tensors_hooks, what a node of the derivative table saves, in PyTorch's order: the
    inputs by name, then (given `outputs`, the op's outputs once their grad_fn is set, or the tensor an
    in-place op wrote into) the outputs by name, among them the `late` names: params that are outputs of
    PyTorch's op (max_pool2d's indices, Rule.output_params). Called while hooks are set."""
    hooks = SAVED_HOOKS.stack[-1]
    for name in sorted(saved.keys() - late):
        for v in _saved_tensors(saved[name]):
            if v.tensor is not None and v.unpack_hook is None:
                v.pack(v.tensor, *hooks)
    if outputs is not None:
        for name in sorted(saved):
            for v in _saved_tensors(saved[name]):
                if v.unpack_hook is None and not v.freed:
                    v.pack(outputs[v.output_nr] if v.tensor is None else v.tensor, *hooks)


def _saved_tensors(value):
    if type(value) is SavedTensor:
        return (value,)
    if type(value) is tuple and value and type(value[0]) is SavedTensor:
        return value
    return ()


class RawSavedTensor:
    """What `grad_fn._raw_saved_<name>` returns (PyTorch's torch._C._autograd.SavedTensor): the saved tensor
    itself, whose hooks can be set once."""

    __slots__ = ("_saved", "_node")

    def __init__(self, saved, node):
        self._saved = saved
        self._node = node

    def register_hooks(self, pack_hook, unpack_hook):
        self._saved.register_hooks(pack_hook, unpack_hook, self._node)

    @property
    def data(self):
        """What the node keeps: the pack hook's result, or the tensor (an output without its grad_fn)."""
        saved = self._saved
        if saved.unpack_hook is not None:
            return saved.packed
        if saved.tensor is not None or saved.freed:
            return saved.tensor
        t = saved.cls._make(saved.data, saved.dtype, saved.device)
        t._vc = saved.counter
        return t

    @property
    def unpack_hook(self):
        return self._saved.unpack_hook

    def unpack(self):
        return self._saved.unpack(self._node, for_backward=False)

    def __repr__(self):
        return f"<torch._C._autograd.SavedTensor object at {hex(id(self))}>"


class FormulaNode(Node):
    """The node of a table entry: applies the entry's backward formula for each input that needs one.

    `_rule` (set on each entry's subclass, named like `MulBackward0`) is the entry; `_saved` maps the
    names its formulas use to what the node saved: SavedTensors, shapes, parameters.
    """

    __slots__ = ("_saved",)
    _rule = None

    def __init__(self, next_functions, input_meta, saved):
        # SHORTCUT of Node.__init__(self, next_functions, input_meta), written out: one call fewer on every
        # recorded op (tests/test_shortcuts.py checks the two set the same fields)
        self.next_functions = next_functions
        self._input_meta = input_meta
        self._seq = next(self._numbers)
        self._hooks = None
        self._saved = saved
        if _anomaly.enabled:
            anomaly_mode.record(self)

    def apply(self, grads):
        rule = self._rule
        saved = self._saved
        if saved:
            saved = self._check_saved()
        if rule.many:
            return self._apply_many(grads, saved)
        grad = grads[0]
        if grad is None and rule.node != "torch::autograd::NotImplemented":  # which raises whatever it gets
            return (None,) * len(self.next_functions)
        backward, uses = rule.backward, rule.uses
        out = []
        for (fn, _), i in zip(self.next_functions, rule.grad_inputs):
            if fn is None:
                out.append(None)
            elif uses[i]:
                out.append(backward[i](grad, *self._values(uses[i], saved)))
            else:
                out.append(backward[i](grad))
        return out

    def _apply_many(self, grads, saved):
        """Multi-output rules get one gradient per output (None where an output got none); variadic
        rules give one gradient per tensor of their list input."""
        rule = self._rule
        grad = grads[0]
        if rule.n_outputs != 1:
            grad = list(grads) + [None] * (self._saved["n_outputs"] - len(grads))
            if all(g is None for g in grad):
                grad = None
        if grad is None:
            return (None,) * len(self.next_functions)
        if rule.variadic:
            grads_in = rule.backward[0](grad, *self._values(rule.uses[0], saved))
            return tuple(None if fn is None else g for (fn, _), g in zip(self.next_functions, grads_in))
        backward, uses = rule.backward, rule.uses
        return tuple(None if fn is None else backward[i](grad, *self._values(uses[i], saved))
                     for (fn, _), i in zip(self.next_functions, rule.grad_inputs))

    def _check_saved(self):
        """PyTorch's node unpacks every value it saved before it runs any formula, so a saved tensor modified in
        place (or freed) raises even where the formulas to run do not read it (lerp's self and end, when only
        weight requires grad), in its order, by name (atan2's `other` before `self`). Returns the saved values;
        those with hooks unpacked (_unpack_all)."""
        stale = None
        for name, v in self._saved.items():
            if type(v) is SavedTensor:
                if v.unpack_hook is not None:
                    return self._unpack_all()
                if v.freed or v.counter.value != v.version:
                    stale = min(stale or name, name)
            elif type(v) is tuple and v and type(v[0]) is SavedTensor:
                for t in v:
                    if t.unpack_hook is not None:
                        return self._unpack_all()
                    if t.freed or t.counter.value != t.version:
                        stale = min(stale or name, name)
        if stale is not None:
            for v in (self._saved[stale] if type(self._saved[stale]) is tuple else (self._saved[stale],)):
                v.unpack(self)
        return self._saved

    def _unpack_all(self):
        """The saved values with every saved tensor unpacked once, in PyTorch's order (by name), so that each
        unpack hook runs once."""
        saved = dict(self._saved)
        for name in sorted(saved):
            v = saved[name]
            if type(v) is SavedTensor:
                saved[name] = v.unpack(self)
            elif type(v) is tuple and v and type(v[0]) is SavedTensor:
                saved[name] = tuple(t.unpack(self) for t in v)
        return saved

    def _values(self, names, saved):
        """The saved values a formula names, saved tensors unpacked (and checked for in-place changes)."""
        values = []
        for name in names:  # a loop, not a comprehension: this runs for every node of every backward
            v = saved[name]
            if type(v) is SavedTensor:
                v = v.unpack(self)
            elif type(v) is tuple and v and type(v[0]) is SavedTensor:
                v = tuple(t.unpack(self) for t in v)
            values.append(v)
        return values

    def release(self):
        saved = self._saved
        if saved:
            kinds = self._rule.saves
            for name, v in saved.items():
                if type(v) is SavedTensor:
                    v.free()
                elif type(v) is tuple and any(type(t) is SavedTensor for t in v):
                    for t in v:
                        if type(t) is SavedTensor:
                            t.free()
                elif _is_saved_variable(kinds.get(name), v):
                    saved[name] = _FREED

    def __getattr__(self, name):
        # PyTorch exposes saved values as grad_fn._saved_<name>, but not an input's dtype, and a saved
        # tensor itself as grad_fn._raw_saved_<name>.
        if name.startswith("_raw_saved_"):
            v = self._saved.get(name[11:], None)
            if type(v) is SavedTensor:
                return RawSavedTensor(v, self)
        if name.startswith("_saved_") and self._rule.saves.get(name[7:], ("",))[0] != "scalar_type":
            v = self._saved.get(name[7:], None)
            if v is not None:
                if type(v) is tuple and v and type(v[0]) is SavedTensor:
                    return tuple(t.unpack(self, for_backward=False) for t in v)
                return v.unpack(self, for_backward=False) if type(v) is SavedTensor else v
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


def _is_saved_variable(kind, value):
    """Is a saved value one that PyTorch keeps as a SavedVariable (freed after backward, so running the
    node again raises)? Besides SavedTensors: a number given for a tensor input (PyTorch saves it as a
    wrapped-number tensor) and a tensor parameter (indices, masks, an index's arrays)."""
    if kind is None:
        return False
    if kind[0] == "input":
        return value is not None
    if kind[0] != "param":
        return False
    return hasattr(value, "_vc") or type(value) is tuple and any(type(i) is np.ndarray for i in value)


def _freed_saved_tensor():
    """Stands for a saved value after the graph is freed: unpacking it raises PyTorch's error."""
    freed = SavedTensor.__new__(SavedTensor)
    freed.free()
    return freed


_FREED = _freed_saved_tensor()


def _current_grad_fn(t):
    """t.grad_fn as PyTorch reads it (a view's regenerated one), or its last one where regenerating raises."""
    try:
        return t.grad_fn
    except RuntimeError:
        return t._grad_fn


def _op_name(node):
    """PyTorch names the producer of a modified tensor by its node name without `Backward<N>`
    (`torch::autograd::CopySlices` keeps its namespace)."""
    name = node.name()
    head, sep, tail = name.rpartition("Backward")
    if not sep or not (tail == "" or tail.isdigit()):
        return name  # torch::autograd::CopySlices keeps its namespace
    return head.rsplit("::", 1)[-1] + ("" if tail == "0" else tail)  # ProdBackward1 is Prod1, ExpBackward0 is Exp


# ---------------------------------------------------------------------------- state shared with other layers
class _TensorClass:
    """The Tensor class, set by refgrad/_tensor.py (a layer above): what an unpack hook must return."""

    cls = None


TENSOR = _TensorClass()


class _SavedHooks(threading.local):
    """saved_tensors_hooks' stack of (pack, unpack) pairs, innermost last, and the message of
    disable_saved_tensors_hooks (None when not disabled). Per thread, as in PyTorch."""

    def __init__(self):
        self.stack = []
        self.disabled = None


SAVED_HOOKS = _SavedHooks()


class _Task(threading.local):
    """The backward the engine is running (set by refgrad/autograd/engine.py): its id, the nodes of its
    graph, and (when only some inputs are wanted) which nodes run or capture. None outside a backward."""

    def __init__(self):
        self.current = None


TASK = _Task()


class _Writes:
    """What the dispatcher calls before an op writes into a tensor (allow_mutation_on_saved_tensors)."""

    observers = []


WRITES = _Writes()


def before_write(tensor):
    """Called by the dispatcher before an in-place write into `tensor`."""
    for observer in WRITES.observers:
        observer(tensor)


# ---------------------------------------------------------------------------- saved tensor hooks
class saved_tensors_hooks:
    """Context manager under which every tensor a node saves is kept as pack_hook(tensor), and given back
    as unpack_hook(packed) when the node needs it. Only the innermost pair applies."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        _push_hooks(self.pack_hook, self.unpack_hook)

    def __exit__(self, *args):
        SAVED_HOOKS.stack.pop()


def _push_hooks(pack_hook, unpack_hook):
    if not callable(pack_hook) or not callable(unpack_hook):
        raise TypeError("_push_saved_tensors_default_hooks(): incompatible function arguments. The following "
                        "argument types are supported:\n    1. (arg0: collections.abc.Callable, arg1: "
                        f"collections.abc.Callable) -> None\n\nInvoked with: {pack_hook!r}, {unpack_hook!r}")
    if SAVED_HOOKS.disabled is not None:
        raise RuntimeError(SAVED_HOOKS.disabled)
    SAVED_HOOKS.stack.append((pack_hook, unpack_hook))


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the CPU and moved back to their device when unpacked. refgrad has no
    pinned memory: pin_memory=True copies as PyTorch does where no accelerator can pin."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            if not pin_memory:
                return (tensor.device, tensor.cpu())
            packed = tensor.detach().cpu().clone()  # PyTorch's empty(...) that copy_ fills
            packed.copy_(tensor)
            return (tensor.device, packed)

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Context manager under which setting saved tensors hooks raises RuntimeError(error_message)."""
    previous = None
    try:
        previous = SAVED_HOOKS.disabled
        _disable_hooks(error_message)
        yield
    finally:
        if previous is None:
            SAVED_HOOKS.disabled = None
        else:
            _disable_hooks(previous)


def _disable_hooks(message):
    SAVED_HOOKS.disabled = message
    if SAVED_HOOKS.stack:  # PyTorch refuses to disable hooks that are set
        raise RuntimeError(message)


# ---------------------------------------------------------------------------- gradient edges
class GradientEdge(NamedTuple):
    """Where a tensor's gradient is computed: a node and which of its inputs; accepted by
    autograd.grad and backward in place of a tensor."""

    node: Node
    output_nr: int
    ownership_token: Node | None = None


def _grad_fn_or_accumulator(t):
    if isinstance(t, GradientEdge):
        return t.node
    node = t._edge()[0]
    if node is None:
        raise AssertionError("Expected gradient function to be set")
    return node


def get_gradient_edge(tensor):
    """The GradientEdge where `tensor`'s gradient is computed: its grad_fn, or its AccumulateGrad."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require "
                           "gradients")
    node = _grad_fn_or_accumulator(tensor)
    token = None
    if getattr(node, "_forward_cls", None) is not None:  # a custom Function's node is kept alive by a view's
        with grad_mode.enable_grad():
            token = tensor.view_as(tensor).grad_fn
    return GradientEdge(node, tensor.output_nr, ownership_token=token)


def increment_version(tensor):
    """Counts an in-place change of `tensor` (or of each tensor of an iterable) made behind autograd's back."""
    if hasattr(tensor, "_vc"):
        tensor = (tensor,)
    try:
        tensors = tuple(tensor)
    except TypeError:
        raise RuntimeError("increment_version expect a Iterable[Tensor] as input") from None
    for t in tensors:
        if not t._is_inference:  # an inference tensor has no version counter: left as it is
            t._vc.value += 1


# ---------------------------------------------------------------------------- multi-grad hooks
def _current_graph_task_id():
    task = TASK.current
    return -1 if task is None else task.id


def _will_engine_execute_node(node):
    """Does the running backward run `node` (or capture its gradient)?"""
    task = TASK.current
    if task is None:
        raise RuntimeError("_will_engine_execute_node should only be called during the backward pass")
    if task.needed is None:
        return node in task.nodes
    if not (task.needed.get(node) or node in task.captures):
        return False
    if type(node) is AccumulateGrad and node in task.captures:
        raise RuntimeError("A leaf node was passed to _will_engine_execute_node but we are currently running "
                           "autograd.grad(). This is currently not supported.")
    return node in task.nodes


class _MultiHandle(RemovableHandle):
    """The handle of a multi-grad hook: removes the tensor hook of each tensor."""

    __slots__ = ("handles",)

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for handle in self.handles:
            handle.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """mode "all": fn(grads) runs once the gradients of all the tensors this backward computes are computed
    (None for the others); mode "any": fn(grad) runs on the first of them."""
    supported_modes = ("all", "any")
    if mode not in supported_modes:
        raise ValueError(f"Expects mode to be one of {supported_modes} but got {mode}")
    if mode == "all":
        count, buffer = {}, {}
        nodes = list(map(_grad_fn_or_accumulator, tensors))
        calls = [None]

        def inner_hook(idx):
            def hook(grad):
                task = _current_graph_task_id()
                if task == -1:
                    raise AssertionError("expected this hook to be called inside a backward call")
                seen = count.get(task, 0)
                count[task] = seen + 1
                buffer.setdefault(task, [None] * len(tensors))[idx] = grad
                if seen == 0:
                    calls[0] = sum(map(_will_engine_execute_node, nodes))
                if seen == calls[0] - 1:
                    fn(buffer.pop(task))
                    del count[task]
            return hook

        handles = tuple(t.register_hook(inner_hook(i)) for i, t in enumerate(tensors))
    else:
        ran = defaultdict(bool)

        def wrapped(grad):
            task = _current_graph_task_id()
            if task == -1:
                raise AssertionError("expected this hook to be called inside a backward call")
            if ran[task]:
                return
            ran[task] = True
            fn(grad)

        handles = tuple(t.register_hook(wrapped) for t in tensors if t.requires_grad)
    return _MultiHandle(handles)


# ---------------------------------------------------------------------------- mutation of saved tensors
class _AllowMutation:
    """Global: is an allow_mutation_on_saved_tensors context open?"""

    enabled = False


_ALLOW_MUTATION = _AllowMutation()


def _tid(tensor):
    return (id(tensor), _data_address(tensor), tensor._version)


def _sid(tensor):
    return (_data_address(tensor), tensor._version)


def _data_address(tensor):
    return tensor._data.__array_interface__["data"][0]


class _Handle:
    pass


class _swap_with_cloned(saved_tensors_hooks):
    """Saves a handle for each tensor; unpacking gives the tensor, or its clone if it was modified since."""

    def __init__(self, ctx):
        def pack_hook(tensor):
            tid = _tid(tensor)
            ctx.sid_to_tid[_sid(tensor)].add(tid)
            handle = ctx.tid_to_weakhandle.get(tid)
            if handle is None:
                handle = _Handle()
                ctx.tid_to_weakhandle[tid] = handle
                ctx.original[handle] = tensor
            return handle

        def unpack_hook(handle):
            error_msg = ("Trying to backward outside of the 'allow_mutation_on_saved_tensors' context"
                         "in which the graph was originally recorded.")
            if not _ALLOW_MUTATION.enabled:
                raise AssertionError(error_msg)
            if handle in ctx.cloned:
                return ctx.cloned[handle]
            if handle not in ctx.original:
                raise AssertionError(error_msg)
            return ctx.original[handle]

        super().__init__(pack_hook, unpack_hook)


class _CloneArgBeforeMutate:
    """Before a tensor is written in place, clones the saved tensors that are it at its current version."""

    def __init__(self, ctx):
        self.ctx = ctx

    def __call__(self, tensor):
        ctx = self.ctx
        for tid in ctx.sid_to_tid.get(_sid(tensor), ()):
            handle = ctx.tid_to_weakhandle.get(tid)
            if handle is None or handle in ctx.cloned:
                continue
            with grad_mode.no_grad():
                ctx.cloned[handle] = ctx.original[handle].clone()
            del ctx.original[handle]

    def __enter__(self):
        WRITES.observers.append(self)

    def __exit__(self, *exc):
        WRITES.observers.remove(self)


class _AllowMutationOnSavedContext:
    def __init__(self):
        self.cloned = WeakKeyDictionary()
        self.original = WeakKeyDictionary()
        self.tid_to_weakhandle = WeakValueDictionary()
        self.sid_to_tid = defaultdict(set)

    def clear(self):
        self.cloned.clear()
        self.original.clear()
        self.tid_to_weakhandle.clear()
        self.sid_to_tid.clear()


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Context manager under which a tensor saved for backward may be modified in place: it is cloned
    before the write, and backward uses the clone. Forward and backward must both run inside."""
    ctx = _AllowMutationOnSavedContext()
    with _swap_with_cloned(ctx), _CloneArgBeforeMutate(ctx):
        try:
            if _ALLOW_MUTATION.enabled:
                raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
            _ALLOW_MUTATION.enabled = True
            yield ctx
        finally:
            ctx.clear()
            _ALLOW_MUTATION.enabled = False


# ---------------------------------------------------------------------------- torch.compile and CUDA knobs
def region_activation_memory_budget(budget):
    """torch.compile's activation memory budget of a region; refgrad never compiles, so it always raises."""
    if isinstance(budget, bool) or not isinstance(budget, (int, float)):
        raise TypeError(f"torch.autograd.graph.region_activation_memory_budget: expects a float, got "
                        f"{type(budget).__name__}")
    if not 0.0 <= budget <= 1.0:
        raise ValueError(f"torch.autograd.graph.region_activation_memory_budget: must be in [0, 1], got {budget}")
    raise RuntimeError("torch.autograd.graph.region_activation_memory_budget can only be used inside a "
                       "torch.compile region; it has no effect in eager mode.")


class _StreamKnobs:
    """CUDA stream settings of PyTorch's engine; refgrad has no streams, so they are only kept."""

    warn_on_accumulate_grad_stream_mismatch = True
    override_stale_capture_stream = False


_STREAM_KNOBS = _StreamKnobs()


def _checked_bool(enabled):
    if not isinstance(enabled, bool):
        raise RuntimeError(f"enabled must be a bool, but got {type(enabled).__name__}")
    return enabled


def set_warn_on_accumulate_grad_stream_mismatch(enabled):
    """Whether to warn when AccumulateGrad's stream differs from its gradient's (kept; refgrad has no streams)."""
    _STREAM_KNOBS.warn_on_accumulate_grad_stream_mismatch = _checked_bool(enabled)


def set_override_stale_capture_stream(enabled):
    """Whether a stale stream is replaced during CUDA graph capture (kept; refgrad has no streams)."""
    _STREAM_KNOBS.override_stale_capture_stream = _checked_bool(enabled)
