"""The autograd graph: nodes, the edges between them, and the tensors they save.

A Node is what `tensor.grad_fn` returns. Its `next_functions` are the edges towards the
inputs of the op that made it: `(node, output_nr)` pairs, `(None, 0)` for inputs that need no
gradient. Leaves that require grad end in an AccumulateGrad node. Nodes are numbered in
creation order (`_sequence_nr()`); the engine runs later nodes first, like PyTorch's.

A FormulaNode is the node of a derivative-table entry (refgrad/derivatives.py): its `apply` runs
the entry's backward formulas on the gradient and the values the node saved.
"""
import itertools
import weakref

import numpy as np

from . import anomaly_mode

__all__ = ["Node", "AccumulateGrad", "FormulaNode", "SavedTensor", "RemovableHandle"]

_sequence = itertools.count()
_anomaly = anomaly_mode.state
MAX_SEQUENCE_NR = 2 ** 64 - 1

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

    def __init__(self, next_functions, input_meta=()):
        self.next_functions = next_functions
        self._input_meta = input_meta
        self._seq = next(_sequence)
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

    def __init__(self, variable):
        Node.__init__(self, ())
        self._seq = MAX_SEQUENCE_NR
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"


class SavedTensor:
    """A tensor a node keeps for its backward formula, with the version it had when saved.

    Inputs are kept as they are. Outputs are kept as their data and version counter only, and
    rebuilt with the saving node as grad_fn when unpacked, so a node does not own its output.
    """

    __slots__ = ("tensor", "data", "counter", "version", "dtype", "device", "output_nr", "freed", "fw", "cls",
                 "nonleaf", "producer")

    def __init__(self, tensor, is_output):
        if tensor._is_inference:
            raise RuntimeError(
                "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
                "mode in computation tracked by autograd. To work around this, you can make a clone to get a "
                "normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
                "`torch.inference_mode()`.")
        self.counter = tensor._vc
        self.version = tensor._vc.value
        self.freed = False
        self.producer = None
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
        if for_backward and self.tensor is not None and self.nonleaf and self.tensor._grad_fn is None:
            raise RuntimeError(DETACHED_MESSAGE)
        if self.counter.value != self.version:
            raise RuntimeError(self._modified_message(node))
        if self.tensor is not None:
            return self.tensor
        t = self.cls._make(self.data, self.dtype, self.device)
        t._vc = self.counter
        t._grad_fn = node if self.producer is None else self._producer(node)
        t._output_nr = self.output_nr
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
        self._seq = next(_sequence)
        self._hooks = None
        self._saved = saved
        if _anomaly.enabled:
            anomaly_mode.record(self)

    def apply(self, grads):
        rule = self._rule
        if self._saved:
            self._check_saved()
        if rule.many:
            return self._apply_many(grads)
        grad = grads[0]
        if grad is None:
            return (None,) * len(self.next_functions)
        backward, uses = rule.backward, rule.uses
        out = []
        for (fn, _), i in zip(self.next_functions, rule.grad_inputs):
            if fn is None:
                out.append(None)
            elif uses[i]:
                out.append(backward[i](grad, *self._values(uses[i])))
            else:
                out.append(backward[i](grad))
        return out

    def _apply_many(self, grads):
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
            grads_in = rule.backward[0](grad, *self._values(rule.uses[0]))
            return tuple(None if fn is None else g for (fn, _), g in zip(self.next_functions, grads_in))
        backward, uses = rule.backward, rule.uses
        return tuple(None if fn is None else backward[i](grad, *self._values(uses[i]))
                     for (fn, _), i in zip(self.next_functions, rule.grad_inputs))

    def _check_saved(self):
        """PyTorch's node unpacks every value it saved before it runs any formula, so a saved tensor modified in
        place (or freed) raises even where the formulas to run do not read it (lerp's self and end, when only
        weight requires grad)."""
        for v in self._saved.values():
            if type(v) is SavedTensor:
                if v.freed or v.counter.value != v.version:
                    v.unpack(self)
            elif type(v) is tuple and v and type(v[0]) is SavedTensor:
                for t in v:
                    if t.freed or t.counter.value != t.version:
                        t.unpack(self)

    def _values(self, names):
        """The saved values a formula names, saved tensors unpacked (and checked for in-place changes)."""
        saved = self._saved
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
        # PyTorch exposes saved values as grad_fn._saved_<name>, but not an input's dtype.
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
