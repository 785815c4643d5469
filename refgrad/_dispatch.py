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
from ._fp import quiet
from ._tensor import Tensor
from .autograd import forward_ad, grad_mode
from .autograd.graph import Node, SavedTensor
from .autograd.graph import _sequence as _node_sequence

__all__ = ["Rule", "call", "call_inplace", "FormulaNode"]

_state = grad_mode.state
_new_tensor = Tensor._make  # bound once: forward() makes every op's result
_fw_state = forward_ad.state


class FormulaNode(Node):
    """The node of a table rule: applies the rule's backward formula for each input that needs one."""

    __slots__ = ("_saved",)
    _rule = None

    def __init__(self, next_functions, input_meta, saved):
        # Node.__init__ written out: one call fewer on every recorded op
        self.next_functions = next_functions
        self._input_meta = input_meta
        self._seq = next(_node_sequence)
        self._hooks = None
        self._saved = saved

    def apply(self, grads):
        rule = self._rule
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

    def _values(self, names):
        """The saved values a formula names, saved tensors unpacked (and checked for in-place changes)."""
        saved = self._saved
        values = []
        for name in names:  # a loop, not a comprehension: this runs for every node of every backward
            v = saved[name]
            values.append(v.unpack(self) if type(v) is SavedTensor else v)
        return values

    def release(self):
        if self._saved:
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

    jvp        the forward-mode rule: "elementwise" (each backward formula applied to its input's
               tangent, PyTorch's auto_element_wise), "linear" (the op applied to the tangents,
               auto_linear), "reduction" (backward formulas at a gradient of ones, times the
               tangents, summed over the reduced dims), or a function whose parameters name
               tangents (`self_t`), inputs, `result` and params, as in derivatives.yaml
    takes_out  the forward takes `out=`, an array to write the result into: an in-place call that
               records no history and needs no cast writes straight into the tensor
    rejects    inputs that must not require grad: PyTorch raises "The function '<fn_name>' is not
               differentiable with respect to argument ..." for them (nll_loss's weight)

    An operand may be None (clamp without a max); it gets no edge.
    """

    __slots__ = ("name", "node", "forward", "inputs", "backward", "uses", "dtype", "n_outputs",
                 "node_class", "differentiable", "inplace_saves_self", "grad_inputs", "variadic", "rejects",
                 "fn_name", "jvp", "jvp_uses", "out_dtype", "edge_uses", "saves", "plain_dtype", "takes_out", "many")

    def __init__(self, name, node, forward, inputs, backward, dtype="promote", n_outputs=1, variadic=False,
                 rejects=(), fn_name=None, jvp=None, takes_out=False):
        self.name = name
        self.node = node
        self.forward = forward
        self.inputs = inputs
        self.backward = tuple(backward.get(i) for i in inputs)
        self.uses = tuple(_formula_params(f) for f in self.backward)
        self.dtype = dtype
        self.n_outputs = n_outputs
        self.variadic = variadic
        self.many = n_outputs != 1 or variadic  # gradients as lists: FormulaNode._apply_many
        self.rejects = tuple(inputs.index(r) for r in rejects)
        self.fn_name = fn_name or name
        self.jvp = jvp
        self.takes_out = takes_out
        self.jvp_uses = tuple(inspect.signature(jvp).parameters) if callable(jvp) else ()
        # Inputs without a formula (a where() condition, indices) get no edge, as in PyTorch.
        self.grad_inputs = tuple(i for i, f in enumerate(self.backward) if f is not None)
        self.edge_uses = tuple((i, self.uses[i]) for i in self.grad_inputs)
        self.saves = {name: _what_is_saved(self, name) for uses in self.uses for name in uses}
        self.out_dtype = {"bool": dt.bool_, "index": dt.int64}.get(dtype) if isinstance(dtype, str) else None
        # the dtype follows from the inputs' dtypes alone, so the fast lane of forward() can take it
        self.plain_dtype = dtype in ("promote", "float", "same", "bool", "index")
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
    out = _same_dtype(operands) or dt.result_type([op for op in operands if op is not None])
    if kind == "float" and not out.is_floating_point:
        return dt.get_default_dtype()
    return out  # "promote", and "bool", which computes in the promoted dtype


def _same_dtype(operands):
    """The promoted dtype in the common case that needs no promotion table: tensors of one dtype, and
    Python numbers that do not lift it (a float with a float tensor, an int with a non-bool one)."""
    first = operands[0]
    if type(first) is not Tensor:
        return None
    d = first._dtype
    if d is dt.bool_:
        return None
    for op in operands[1:]:
        t = type(op)
        if t is Tensor:
            if op._dtype is not d:
                return None
        elif t is float:
            if not d.is_floating_point:
                return None
        elif t is not int:
            return None
    return d


def _common_device(operands):
    """The device the op runs on. CPU 0-dim tensors may join tensors of any device, as in PyTorch."""
    for op in operands:
        if isinstance(op, Tensor) and op._device is not CPU:
            break
    else:
        return CPU
    device = None
    for op in operands:
        if isinstance(op, Tensor) and not (op._device is CPU and op._data.ndim == 0):
            if device is None:
                device = op._device
            elif op._device != device:
                raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                                   f"devices, {device} and {op._device}!")
    return device or CPU


_F16, _F32 = np.dtype(np.float16), np.dtype(np.float32)


def _half_opmath_arrays(operands):
    """Half ops compute in float, as PyTorch's do (its opmath type): tensors are cast to half first,
    Python numbers go to float directly. Comparisons and index results compute in half itself."""
    return [as_array(op, _F16).astype(_F32) if isinstance(op, Tensor) else as_array(op, _F32) for op in operands]


def as_array(op, np_dtype):
    """The operand's data in the compute dtype (Python scalars wrap like C++ casts)."""
    if isinstance(op, Tensor):
        data = op._data
        return data if data.dtype == np_dtype else data.astype(np_dtype)
    if op is None:
        return None
    if type(op) is int and not -2 ** 63 <= op < 2 ** 64:  # PyTorch reads ints as int64, or uint64 above it
        raise OverflowError("int too big to convert" if op > 0 else "can't convert negative int to unsigned")
    if type(op) is float and np_dtype.kind == "f" and np_dtype.itemsize >= 4 and -3.0e38 < op < 3.0e38:
        return np_dtype.type(op)  # the common case, without an errstate context
    with quiet():
        try:
            return np.asarray(op, dtype=np_dtype)
        except OverflowError:
            return np.asarray(op).astype(np_dtype)


def forward(rule, operands, params):
    """Runs the rule's forward on the operands cast to the compute dtype; returns the result tensor."""
    lane = _fast_lane(operands) if rule.plain_dtype else None
    if lane is None:
        device = _common_device(operands)
        compute = _result_dtype(rule, operands, params)
        if compute is dt.float16 and rule.out_dtype is None:
            arrays = _half_opmath_arrays(operands)
        else:
            arrays = [as_array(op, compute.np) for op in operands]
    else:
        device = CPU
        compute, arrays = lane
    out_dtype = rule.out_dtype or compute
    try:
        data = rule.forward(*arrays, **params) if params else rule.forward(*arrays)
    except ValueError:
        broadcast_shapes(*(np.shape(a) for a in arrays if a is not None))
        raise
    if rule.n_outputs != 1:
        return [_new_tensor(_as_dtype(d, out_dtype), out_dtype, device) for d in data]
    if type(data) is not np.ndarray or data.dtype is not out_dtype.np:
        data = _as_dtype(data, out_dtype)
    return _new_tensor(data, out_dtype, device)


def _fast_lane(operands):
    """(dtype, arrays) for the common case that needs no device check, promotion or cast: CPU tensors
    of one float32 or float64 dtype, and Python floats and small ints, which go to NumPy as they are
    (NumPy computes with them in the array's dtype, as PyTorch does with wrapped numbers).
    None otherwise."""
    first = operands[0]
    if type(first) is not Tensor or first._device is not CPU:
        return None
    d = first._dtype
    if d is not dt.float32 and d is not dt.float64:
        return None
    arrays = [first._data]
    for op in operands[1:]:
        t = type(op)
        if t is Tensor:
            if op._dtype is not d or op._device is not CPU:
                return None
            arrays.append(op._data)
        elif t is float and -3.0e38 < op < 3.0e38 or t is int and -16777216 <= op <= 16777216:
            arrays.append(op)
        else:
            return None
    return d, arrays


def _as_dtype(data, dtype):
    if type(data) is not np.ndarray or (data.dtype is not dtype.np and data.dtype != dtype.np):
        with quiet():  # a half result rounds to inf quietly, as PyTorch's does
            return np.asarray(data, dtype=dtype.np)
    return data


def broadcast_shapes(*shapes):
    """np.broadcast_shapes with PyTorch's TensorIterator message for shapes that do not broadcast."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        pass
    ndim = max(len(s) for s in shapes)
    for k in range(1, ndim + 1):
        sizes = [s[-k] for s in shapes if len(s) >= k]
        for i, a in enumerate(sizes):
            for b in sizes[i + 1:]:
                if a != b and a != 1 and b != 1:
                    raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                       f"non-singleton dimension {ndim - k}")
    raise AssertionError(f"shapes {shapes} broadcast after all")


def check_inplace_shape(self, shapes):
    """PyTorch's errors for an in-place op whose operands do not broadcast to self's own shape."""
    shape = broadcast_shapes(self._data.shape, *shapes)
    if shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")


# ---------------------------------------------------------------------------- recording
def _needs_grad(operands):
    for op in operands:
        if isinstance(op, Tensor) and (op._requires_grad or op._grad_fn is not None):
            return True
    return False


def record(rule, operands, params, result, inputs_for_saving=None):
    """Creates the rule's node for `result` (a tensor, or the list of a multi-output op's tensors)
    and makes it their grad_fn. Only what the formulas of inputs with an edge name is saved."""
    sources = inputs_for_saving or operands
    edges = []
    meta = []
    saved = {}
    for i, uses in (((i, rule.uses[0]) for i in range(len(operands))) if rule.variadic else rule.edge_uses):
        op = operands[i]
        if isinstance(op, Tensor):
            edge = op._edge()
            edges.append(edge)
            meta.append((op._data.shape, op._dtype, op._device))
            if edge[0] is not None:
                for name in uses:
                    if name not in saved:
                        saved[name] = _saved_value(rule.saves[name], sources, params, result)
        else:
            edges.append(_NO_EDGE)
            meta.append(None)
    node = rule.node_class(tuple(edges), tuple(meta), saved)
    if rule.n_outputs == 1:
        result._grad_fn = node
    else:
        saved["n_outputs"] = len(result)
        for nr, out in enumerate(result):
            out._grad_fn = node
            out._output_nr = nr
    return node


_NO_EDGE = (None, 0)


def _what_is_saved(rule, name):
    """How a formula parameter is found at record time: (kind, which)."""
    if name == "result":
        return ("result", None)
    if name == "tensors_shapes":
        return ("shapes", None)
    if name in rule.inputs:
        return ("input", rule.inputs.index(name))
    if name.endswith("_shape") and name[:-6] in rule.inputs:
        return ("shape", rule.inputs.index(name[:-6]))
    return ("param", name)


def _saved_value(how, operands, params, result):
    kind, which = how
    if kind == "input":
        op = operands[which]
        return SavedTensor(op, False) if isinstance(op, Tensor) else op
    if kind == "param":
        return params[which]
    if kind == "result":
        return SavedTensor(result, True)
    if kind == "shape":
        return operands[which]._data.shape
    return [op._data.shape for op in operands]


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
    if _fw_state.level is not None:
        push_tangents(rule, operands, params, result)
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


def _has_shared_elements(data):
    """Do several elements share one memory location (a dim of stride 0, as expand() makes)?"""
    return any(stride == 0 and size > 1 for stride, size in zip(data.strides, data.shape))


# What PyTorch still lets write into such a tensor (masked_fill_ with a deprecation warning).
_FILLS = frozenset({"fill_", "zero_", "masked_fill", "index_put_"})


def _reject_write_to_shared_elements(rule):
    if rule.name in _FILLS or rule.node == "torch::autograd::CopySlices":
        raise NotImplementedError(
            f"refgrad does not support {rule.name} on a tensor whose elements share memory (an expanded tensor); "
            "PyTorch allows it. clone() the tensor first")
    raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a single "
                       "memory location. Please clone() the tensor before performing the operation.")


def call_inplace(rule, self, operands, params):
    """Runs `rule` on (self, *operands) and writes the result into self.

    The node sees a snapshot of the original `self` when its formulas need it (PyTorch saves
    `original_self` the same way), its edge 0 points at self's previous history, and self's
    grad_fn becomes the new node.
    """
    check_inplace(self)
    if _has_shared_elements(self._data):
        _reject_write_to_shared_elements(rule)
    all_ops = (self,) + tuple(operands)
    if rule.takes_out and _fw_state.level is None and not (_state.enabled and _needs_grad(all_ops)):
        lane = _fast_lane(all_ops)
        if lane is not None:
            # no history to record and no cast: the forward writes straight into self, without a temporary
            check_inplace_shape(self, [np.shape(a) for a in lane[1][1:]])
            rule.forward(*lane[1], out=self._data, **params)
            self._vc.value += 1
            return self
    result = forward(rule, all_ops, params)
    if result._data.shape != self._data.shape:
        check_inplace_shape(self, [result._data.shape])
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
    if _fw_state.level is not None:
        push_tangents(rule, all_ops, params, result)
    node = record(rule, all_ops, params, result, sources) if grad else None  # saves operands at their old version
    np.copyto(self._data, result._data, casting="unsafe")
    if result._fw is not None:
        self._fw = result._fw
    self._vc.value += 1
    if grad:
        saved_result = node._saved.get("result")
        if saved_result is not None:
            saved_result.repoint(self)
        self._grad_fn = node
        self._output_nr = 0
    return self


# ---------------------------------------------------------------------------- forward mode
def push_tangents(rule, operands, params, result):
    """Gives `result` the tangent that the rule's forward formula computes from the operands' tangents.

    The tangent is computed with the level switched off, so the formulas see plain primals and do not
    make tangents of tangents; it is still recorded for reverse mode when its inputs require grad.
    """
    if not rule.differentiable:
        return
    tangents = [forward_ad.tangent_of(op) if isinstance(op, Tensor) else None for op in operands]
    if all(t is None for t in tangents):
        return
    if rule.jvp is None:
        raise RuntimeError(f"Trying to use forward AD with {rule.name} that does not support it because it has "
                           "not been implemented yet.")
    level, _fw_state.level = _fw_state.level, None
    try:
        out = _JVP_MODES.get(rule.jvp, _jvp_explicit)(rule, operands, params, result, tangents)
    finally:
        _fw_state.level = level
    if rule.n_outputs == 1:
        forward_ad.set_tangent(result, _like(out, result))
    else:
        for r, t in zip(result, out):
            forward_ad.set_tangent(r, _like(t, r))


def _like(tangent, result):
    """The tangent in the result's shape and dtype."""
    if tangent._data.shape != result._data.shape:
        tangent = tangent.expand(result._data.shape)
    if tangent._dtype is not result._dtype:
        tangent = tangent.to(result._dtype)
    return tangent


def _value(rule, name, operands, params, result):
    if name == "result":
        return result
    if name in params:
        return params[name]
    if name == "tensors_shapes":
        return [op._data.shape for op in operands]
    if name.endswith("_shape"):
        return operands[rule.inputs.index(name[:-6])]._data.shape
    return operands[rule.inputs.index(name)]


def _formula_terms(rule, operands, params, result, tangents, grad_for):
    """backward_i(grad_for(i, tangent_i), ...) for every input with a tangent."""
    for i, t in enumerate(tangents):
        if t is None or rule.backward[i] is None:
            continue
        args = [_value(rule, n, operands, params, result) for n in rule.uses[i]]
        yield i, t, rule.backward[i](grad_for(t), *args)


def _jvp_elementwise(rule, operands, params, result, tangents):
    out = None
    for _, _, term in _formula_terms(rule, operands, params, result, tangents, lambda t: t):
        out = term if out is None else out + term
    return out


def _zeros_like(t):
    from ._creation import zeros_like
    return zeros_like(t)


def _jvp_linear(rule, operands, params, result, tangents):
    if rule.variadic:
        args = [t if t is not None else _zeros_like(op) for op, t in zip(operands, tangents)]
    else:
        args = [operands[i] if f is None else _linear_tangent(operands[i], tangents[i])
                for i, f in enumerate(rule.backward)]
    return call(rule, args, params)


def _linear_tangent(op, tangent):
    """What stands for a differentiable operand in the op applied to tangents: its tangent, or zero."""
    if tangent is not None:
        return tangent
    if isinstance(op, Tensor):
        return _zeros_like(op)
    return None if op is None else 0  # a Python scalar operand is a constant


def _jvp_reduction(rule, operands, params, result, tangents):
    from ._creation import ones_like
    ones = ones_like(result)
    out = None
    for i, t, d in _formula_terms(rule, operands, params, result, tangents, lambda t: ones):
        term = d * t
        dims = _reduced_dims(params, term._data.ndim)
        if dims:
            term = term.sum(dims, keepdim=bool(params.get("keepdim", False)))
        out = term if out is None else out + term
    return out


def _reduced_dims(params, ndim):
    if params.get("reduction") == "none":
        return ()
    dim = params.get("dim")
    if dim is None or dim == ():
        return tuple(range(ndim))
    return (dim,) if isinstance(dim, int) else tuple(dim)


def _jvp_explicit(rule, operands, params, result, tangents):
    args = []
    for name in rule.jvp_uses:
        if name.endswith("_t"):
            i = rule.inputs.index(name[:-2])
            t = tangents[i]
            args.append(t if t is not None or not isinstance(operands[i], Tensor) else _zeros_like(operands[i]))
        else:
            args.append(_value(rule, name, operands, params, result))
    return rule.jvp(*args)


_JVP_MODES = {"elementwise": _jvp_elementwise, "linear": _jvp_linear, "reduction": _jvp_reduction}
