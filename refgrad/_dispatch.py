"""Running an op: forward in NumPy, then recording its node if a gradient is needed.

Every differentiable op is a `Rule` (see refgrad/derivatives.py). `call(rule, operands,
params)` is the one path an op takes: check devices, promote dtypes, run the NumPy forward,
wrap the result, and, when grad mode is on and an operand requires grad, create the rule's node
with the edges to its inputs and the tensors its backward formulas name. `call_inplace` runs the
same rule and writes the result into `self`, rebasing its history like PyTorch does.
"""
import inspect

import numpy as np

from . import _dtype as dt
from ._device import CPU
from ._tensor import Tensor
from .autograd import grad_mode
from .autograd.graph import Node, SavedTensor

__all__ = ["Rule", "call", "call_inplace", "FormulaNode"]

_state = grad_mode.state


class FormulaNode(Node):
    """The node of a table rule: applies the rule's backward formula for each input that needs one."""

    __slots__ = ("_saved",)
    _rule = None

    def apply(self, grads):
        rule = self._rule
        if rule.n_outputs == 1:
            grad = grads[0]
        else:  # a multi-output formula gets one gradient per output, None for outputs without one
            grad = list(grads) + [None] * (self._saved["n_outputs"] - len(grads))
            if all(g is None for g in grad):
                grad = None
        if grad is None:
            return (None,) * len(self.next_functions)
        saved = self._saved
        values = {name: (v.unpack(self) if type(v) is SavedTensor else v) for name, v in saved.items()}
        if rule.variadic:
            grads_in = rule.backward[0](grad, *[values[n] for n in rule.uses[0]])
            return tuple(None if fn is None else g for (fn, _), g in zip(self.next_functions, grads_in))
        out = []
        for (fn, _), i in zip(self.next_functions, rule.grad_inputs):
            if fn is None:
                out.append(None)
            else:
                out.append(rule.backward[i](grad, *[values[n] for n in rule.uses[i]]))
        return tuple(out)

    def release(self):
        for v in self._saved.values():
            if type(v) is SavedTensor:
                v.free()

    def __getattr__(self, name):
        # PyTorch exposes saved values as grad_fn._saved_<name>.
        if name.startswith("_saved_"):
            v = self._saved.get(name[7:], None)
            if v is not None:
                return v.unpack(self) if type(v) is SavedTensor else v
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


class Rule:
    """One entry of the derivative table.

    name       the op, as torch spells it (`mul`, `sum`)
    node       the grad_fn name (`MulBackward0`, `torch::autograd::CopySlices`)
    forward    NumPy function of the input arrays and the params
    inputs     names of the tensor inputs, in order (`self`, `other`)
    backward   one formula per input, `f(grad, *saved)`, written in refgrad ops; the names of its
               parameters after `grad` say what the node saves: an input name, `result`, a param,
               or `<input>_shape`
    dtype      how the result dtype follows from the inputs: "promote" (PyTorch type promotion),
               "float" (promotion, ints become the default float), "bool", "same" (of the first
               input), "index" (computed in the first input's dtype, int64 out), or a function of
               (input dtypes, params)
    n_outputs  1, or "many": the forward returns a list of arrays, and the formula receives the
               list of output gradients (None where an output got none)
    variadic   the op takes a list of tensors (cat, stack): `inputs` is one name, and its formula
               returns one gradient per tensor; `tensors_shapes` names their shapes

    rejects    inputs that must not require grad: PyTorch raises "The function '<fn_name>' is not
               differentiable with respect to argument ..." for them (nll_loss's weight)

    An operand may be None (clamp without a max); it gets no edge.
    """

    __slots__ = ("name", "node", "forward", "inputs", "backward", "uses", "dtype", "n_outputs",
                 "node_class", "differentiable", "inplace_saves_self", "grad_inputs", "variadic", "rejects",
                 "fn_name")

    def __init__(self, name, node, forward, inputs, backward, dtype="promote", n_outputs=1, variadic=False,
                 rejects=(), fn_name=None):
        self.name = name
        self.node = node
        self.forward = forward
        self.inputs = inputs
        self.backward = tuple(backward.get(i) for i in inputs)
        self.uses = tuple(_formula_params(f) for f in self.backward)
        self.dtype = dtype
        self.n_outputs = n_outputs
        self.variadic = variadic
        self.rejects = tuple(inputs.index(r) for r in rejects)
        self.fn_name = fn_name or name
        # Inputs without a formula (a where() condition, indices) get no edge, as in PyTorch.
        self.grad_inputs = tuple(i for i, f in enumerate(self.backward) if f is not None)
        self.differentiable = bool(self.grad_inputs)
        self.inplace_saves_self = any("self" in u for u in self.uses)
        self.node_class = _node_class(node, self) if node else None


def _node_class(node, rule):
    """The grad_fn class: `MulBackward0`, or for C++-named nodes (`torch::autograd::CopySlices`)
    a class named by the last component whose name() is the qualified one."""
    attrs = {"__slots__": (), "_rule": rule}
    short = node.rsplit("::", 1)[-1]
    if short != node:
        attrs["name"] = lambda self: node
    return type(short, (FormulaNode,), attrs)


def _formula_params(f):
    if f is None:
        return ()
    return tuple(inspect.signature(f).parameters)[1:]


# ---------------------------------------------------------------------------- forward
def _result_dtype(rule, operands, params):
    kind = rule.dtype
    if kind in ("same", "index"):
        return operands[0]._dtype
    if callable(kind):
        return kind(operands, params)
    out = dt.result_type([op for op in operands if op is not None])
    if kind == "float" and not out.is_floating_point:
        return dt.get_default_dtype()
    return out  # "promote", and "bool", which computes in the promoted dtype


def _common_device(operands):
    """The device the op runs on. CPU 0-dim tensors may join tensors of any device, as in PyTorch."""
    device = None
    for op in operands:
        if isinstance(op, Tensor) and not (op._device is CPU and op._data.ndim == 0):
            if device is None:
                device = op._device
            elif op._device != device:
                raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                                   f"devices, {device} and {op._device}!")
    return device or CPU


def as_array(op, np_dtype):
    """The operand's data in the compute dtype (Python scalars wrap like C++ casts)."""
    if isinstance(op, Tensor):
        data = op._data
        return data if data.dtype == np_dtype else data.astype(np_dtype)
    if op is None:
        return None
    with np.errstate(all="ignore"):
        try:
            return np.asarray(op, dtype=np_dtype)
        except OverflowError:
            return np.asarray(op).astype(np_dtype)


def forward(rule, operands, params):
    """Runs the rule's forward on the operands cast to the compute dtype; returns the result tensor."""
    device = _common_device(operands)
    compute = _result_dtype(rule, operands, params)
    out_dtype = dt.bool_ if rule.dtype == "bool" else dt.int64 if rule.dtype == "index" else compute
    arrays = [as_array(op, compute.np) for op in operands]
    try:
        data = rule.forward(*arrays, **params)
    except ValueError:
        _check_broadcast([a for a in arrays if a is not None])
        raise
    if rule.n_outputs != 1:
        return [Tensor._make(_as_dtype(d, out_dtype), out_dtype, device) for d in data]
    return Tensor._make(_as_dtype(data, out_dtype), out_dtype, device)


def _as_dtype(data, dtype):
    if type(data) is not np.ndarray or data.dtype != dtype.np:
        return np.asarray(data, dtype=dtype.np)
    return data


def _check_broadcast(arrays):
    """PyTorch's TensorIterator message for shapes that do not broadcast."""
    shapes = [a.shape for a in arrays]
    ndim = max(len(s) for s in shapes)
    for k in range(1, ndim + 1):
        sizes = [s[-k] for s in shapes if len(s) >= k]
        for i, a in enumerate(sizes):
            for b in sizes[i + 1:]:
                if a != b and a != 1 and b != 1:
                    raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                       f"non-singleton dimension {ndim - k}")


# ---------------------------------------------------------------------------- recording
def _needs_grad(operands):
    for op in operands:
        if isinstance(op, Tensor) and (op._requires_grad or op._grad_fn is not None):
            return True
    return False


def record(rule, operands, params, result, inputs_for_saving=None):
    """Creates the rule's node for `result` (a tensor, or the list of a multi-output op's tensors)
    and makes it their grad_fn."""
    edges = []
    meta = []
    needed = set()
    grad_inputs = range(len(operands)) if rule.variadic else rule.grad_inputs
    for i in grad_inputs:
        op = operands[i]
        if isinstance(op, Tensor):
            edge = op._edge()
            edges.append(edge)
            meta.append((op._data.shape, op._dtype, op._device))
            if edge[0] is not None:
                needed.update(rule.uses[0 if rule.variadic else i])
        else:
            edges.append((None, 0))
            meta.append(None)
    node = rule.node_class(tuple(edges), tuple(meta))
    sources = inputs_for_saving or operands
    saved = {}
    for name in needed:
        saved[name] = _saved_value(rule, name, sources, params, result)
    node._saved = saved
    if rule.n_outputs == 1:
        result._grad_fn = node
        result._output_nr = 0
    else:
        saved["n_outputs"] = len(result)
        for nr, out in enumerate(result):
            out._grad_fn = node
            out._output_nr = nr
    return node


def _saved_value(rule, name, operands, params, result):
    if name == "result":
        return SavedTensor(result, True)
    if name in params:
        return params[name]
    if name == "tensors_shapes":
        return [op._data.shape for op in operands]
    if name.endswith("_shape"):
        return operands[rule.inputs.index(name[:-6])]._data.shape
    op = operands[rule.inputs.index(name)]
    return SavedTensor(op, False) if isinstance(op, Tensor) else op


def _reject_grad(rule, operands):
    for i in rule.rejects:
        op = operands[i]
        if isinstance(op, Tensor) and op._requires_grad:
            raise RuntimeError(f"The function '{rule.fn_name}' is not differentiable with respect to argument "
                               f"'{rule.inputs[i]}'. This input cannot have requires_grad True.")


def call(rule, operands, params):
    """Runs an op out of place: the result (or list of results), with a grad_fn when it needs one."""
    if rule.rejects and _state.enabled:
        _reject_grad(rule, operands)
    result = forward(rule, operands, params)
    if _state.enabled and rule.differentiable and _needs_grad(operands) and \
            (result if rule.n_outputs == 1 else result[0])._dtype.is_floating_point:
        record(rule, operands, params, result)
    return result


# ---------------------------------------------------------------------------- in place
def check_inplace(self):
    if self._is_inference and not _state.inference:
        raise RuntimeError(
            "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get "
            "a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more "
            "details.")
    if not _state.enabled:
        return
    base = self._base
    if self._grad_fn is None and self._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if base is not None and base._grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if base is not None and base.requires_grad:
        raise NotImplementedError(
            "refgrad does not yet support in-place operations on views of tensors that require grad "
            "(PyTorch rebases the base's history with CopySlices); operate on the base tensor instead")


def call_inplace(rule, self, operands, params):
    """Runs `rule` on (self, *operands) and writes the result into self.

    The node sees a snapshot of the original `self` when its formulas need it (PyTorch saves
    `original_self` the same way), its edge 0 points at self's previous history, and self's
    grad_fn becomes the new node.
    """
    check_inplace(self)
    all_ops = (self,) + tuple(operands)
    result = forward(rule, all_ops, params)
    if not dt.can_cast(result._dtype, self._dtype):
        raise RuntimeError(f"result type {dt.SCALAR_NAME[result._dtype]} can't be cast to the desired output "
                           f"type {dt.SCALAR_NAME[self._dtype]}")
    grad = _state.enabled and rule.differentiable and self._dtype.is_floating_point and _needs_grad(all_ops)
    sources = None
    if grad and rule.inplace_saves_self:
        original = Tensor._make(self._data.copy(), self._dtype, self._device)
        original._grad_fn, original._output_nr = self._grad_fn, self._output_nr
        original._requires_grad = self._requires_grad
        sources = (original,) + tuple(operands)
    node = record(rule, all_ops, params, result, sources) if grad else None  # saves operands at their old version
    np.copyto(self._data, result._data, casting="unsafe")
    self._vc.value += 1
    if grad:
        saved_result = node._saved.get("result")
        if saved_result is not None:
            saved_result.repoint(self)
        self._grad_fn = node
        self._output_nr = 0
    return self
