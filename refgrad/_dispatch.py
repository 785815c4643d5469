"""Running an op: forward in NumPy, then recording its node if a gradient is needed.

Every differentiable op is an entry of the derivative table (refgrad/derivatives.py, a `Rule`).
`call(rule, operands, params)` is the one path an op takes:

    promote  the device, the compute dtype and the operands as arrays   (refgrad/_promotion.py)
    forward  the entry's NumPy kernel, its result wrapped in a Tensor
    tangents with forward AD active, the entry's jvp pushes the operands' tangents to the result
    record   with grad mode on and an operand that requires grad, the entry's node, its edges to the
             inputs and the values its backward formulas name; only when PyTorch would run the op's
             autograd kernel at all (`_autograd_runs`: not when every tensor argument is an inference tensor)

`call_inplace` runs the same entry and writes the result into `self`, rebasing its history like
PyTorch does: on a view, the base's history becomes CopySlices (the op's node applied to the view's
part of the base's gradient) and the view's grad_fn AsStridedBackward0 of the base. Shortcuts (marked
SHORTCUT) skip steps that the common case does not need; tests/test_shortcuts.py proves each gives
what the full path gives.
"""
import warnings

import numpy as np

from . import _dtype as dt
from . import _kernels as kernels
from . import derivatives as D
from .derivatives import AS_STRIDED
from ._creation import ones_like, zeros_like
from ._formulas import ops, sum_to
from ._fp import IGNORE, restore, silence
from ._layout import iterator_layout, row_major, suggested_layout
from ._promotion import as_dtype, broadcast_shapes, check_inplace_shape, fast_lane, promote
from ._tensor import VIEW_HOOKS, ZERO_TENSOR_IMMUTABLE, Tensor, check_view_creation
from .autograd import forward_level, grad_mode
from .autograd.graph import (FREED_MESSAGE, SAVED_HOOKS, WRITES, Node, SavedTensor, before_write, check_saveable,
                             pack_saved)

__all__ = ["call", "call_inplace", "forward", "record", "check_inplace", "check_mutable", "bump_version",
           "zero_tensor_like", "needs_history"]

_state = grad_mode.state
_new_tensor = Tensor._make  # bound once: forward() makes every op's result
_fw_state = forward_level.state


# ---------------------------------------------------------------------------- out of place
def call(rule, operands, params):
    """Runs an op out of place: the result (or list of results), with a grad_fn when it needs one."""
    if rule.composite is not None and _state.enabled and _needs_grad(operands) and \
            not _autograd_runs(rule, operands, params):
        result = rule.composite(*operands, **params)
        if result is not None:
            return result
    if rule.rejects and _state.enabled and _autograd_runs(rule, operands, params):
        _reject_grad(rule, operands)
    records = _state.enabled and rule.differentiable and _needs_grad(operands) and _autograd_runs(rule, operands,
                                                                                                   params)
    if (records or rule in _NOT_IMPLEMENTED_NODE and _state.enabled and _needs_grad(operands)) and \
            not (rule is D.TO_COPY and not params["dtype"].is_floating_point):  # PyTorch: no node for an int copy
        autograd_prechecks(rule, operands, params, True)
    result = forward(rule, operands, params)
    if rule in _KEEPS_ZERO_TENSORS and any(isinstance(op, Tensor) and op._zt for op in operands):
        _zero_tensor_result(rule, operands, params, result)
    if rule.n_outputs != 1 and not result:  # unbind of an empty dim: nothing to record
        return result
    node = None
    if records:
        if (result if rule.n_outputs == 1 else result[0])._dtype.is_floating_point:
            node = record(rule, operands, params, result)
        elif rule is not D.TO_COPY and rule.node != _NOT_IMPLEMENTED:  # these record nothing for an integer
            _check_integer_history(operands, result if rule.n_outputs == 1 else result[0])
    if _fw_state.level is not None:
        push_tangents(rule, operands, params, result, node)
    if rule.kernel_writes and isinstance(operands[0], Tensor) and operands[0]._is_inference and \
            not _state.inference and not _autograd_runs(rule, operands, params):
        _count_kernel_writes(rule, operands, params, result)
    return result


def _count_kernel_writes(rule, operands, params, result):
    """The version bumps of the kernel's own writes into its new result (Rule.kernel_writes); max.dim's
    indices, an output param, are written as often."""
    writes = rule.kernel_writes
    if callable(writes):
        writes = writes(operands, params, result)
    for t in [result, *(params[name] for name in rule.output_params)]:
        t._vc.value += writes


def strides_of(t):
    """A tensor's strides in elements, as PyTorch's strides() (a NumPy array's are in bytes)."""
    return tuple(st // t._data.itemsize for st in t._data.strides)


def _records(rule, operands, params):
    return _state.enabled and _needs_grad(operands) and (
        rule.differentiable and _autograd_runs(rule, operands, params) or rule in _NOT_IMPLEMENTED_NODE)


# Ops PyTorch gives a NotImplemented node when an input requires grad (isfinite: its composite reads self.abs()):
# they collect their inputs' edges before their kernel, though no history can come of it
_NOT_IMPLEMENTED_NODE = frozenset({D.BITWISE_AND, D.BITWISE_OR, D.BITWISE_XOR, D.BITWISE_NOT, D.ISFINITE})


def autograd_prechecks(rule, operands, params, records=None):
    """What PyTorch's autograd kernel finds wrong before the op's kernel runs (an op checking shapes or dtypes
    before `call` calls this first): it collects the inputs' edges, where a view of a multi-output op whose base
    changed in place raises, then saves the inputs, where an inference tensor is refused. Outputs are saved
    after the kernel, and checked then."""
    if records is None and not _records(rule, operands, params):
        return
    inference = False
    for op in operands:  # one pass: every recorded op pays for it
        if isinstance(op, Tensor):
            if op._base is not None:
                op._refresh_view()
            inference = inference or op._is_inference
    if inference or params and any(isinstance(v, Tensor) and v._is_inference for v in params.values()):
        _check_inputs_saveable(rule, operands, params)


def _check_inputs_saveable(rule, operands, params):
    names = [n for i, uses in rule.edge_uses if isinstance(operands[i], Tensor) and operands[i]._edge()[0] is not None
             for n in uses] + list(rule.always_saved)
    for name in names:
        kind, which = rule.saves[name]
        value = operands[which] if kind == "input" else params.get(which) if kind == "param" else None
        if isinstance(value, Tensor):
            check_saveable(value)


# ---------------------------------------------------------------------------- ZeroTensors
# The ops PyTorch gives a ZeroTensor kernel: a product with a ZeroTensor (or a quotient of one) is a ZeroTensor, and
# so is a sum or difference of two; every other op reads a ZeroTensor as ordinary zeros. Views keep it too
# (refgrad/_ops.py _as_view, Tensor.detach).
_ZERO_IF_ANY = frozenset({D.MUL, D.MUL_SCALAR, D.DIV_SCALAR, D.DOT})
_ZERO_IF_FIRST = frozenset({D.DIV})
_ZERO_IF_ALL = frozenset({D.ADD, D.SUB})
_KEEPS_ZERO_TENSORS = _ZERO_IF_ANY | _ZERO_IF_FIRST | _ZERO_IF_ALL


def _zero_tensor_result(rule, operands, params, result):
    """PyTorch's ZeroTensor kernels, which compute nothing: a product with a ZeroTensor is one (0 * inf too),
    so is a ZeroTensor over anything (over 0 too), while x over a ZeroTensor is inf everywhere and a ZeroTensor
    over one NaN; a sum of two is one, a sum with one is the other operand as it is (times alpha)."""
    zt = [isinstance(op, Tensor) and op._zt for op in operands]
    data = result._data
    if rule in _ZERO_IF_ANY or rule in _ZERO_IF_FIRST and zt[0] and not zt[-1] or rule in _ZERO_IF_ALL and all(zt):
        result._data = np.zeros_like(data)
        result._zt = True
    elif rule in _ZERO_IF_FIRST:
        result._data = np.full_like(data, np.nan if zt[0] else np.inf)
    elif rule in _ZERO_IF_ALL:
        other = operands[zt.index(False)]
        if isinstance(other, Tensor):
            value = other._data
            if zt[0] and (rule is D.SUB or params.get("alpha", 1) != 1):
                value = value * (-params.get("alpha", 1) if rule is D.SUB else params["alpha"])
            result._data = np.array(np.broadcast_to(value, data.shape), dtype=data.dtype)


def zero_tensor_like(t):
    """PyTorch's at::_efficientzerotensor of t's sizes and options (sgn's gradient of a real input)."""
    z = zeros_like(t)
    z._zt = True
    return z


def check_mutable(self, key=None):
    """A ZeroTensor refuses every in-place write (copy_ in words of its own). Called before every in-place
    write, it also tells allow_mutation_on_saved_tensors, which clones a saved tensor about to be written."""
    if WRITES.observers:
        before_write(self)
    if self._zt:
        if key == "copy_":
            raise RuntimeError("ZeroTensors are immutable. Please materialize the tensor using `.clone()`, if you want "
                               "a mutable zero tensor.")
        raise RuntimeError(ZERO_TENSOR_IMMUTABLE)


def _check_integer_history(operands, result):
    """An integer tensor that requires grad (a float value written into it: fill_, index_put_) makes PyTorch
    refuse to record an op with an integer result from it, naming the result's dtype."""
    for op in operands:
        if isinstance(op, Tensor) and not op._dtype.is_floating_point and op.requires_grad:
            raise RuntimeError(f"Autograd not support dtype: {dt.SCALAR_NAME[result._dtype]}")


def forward(rule, operands, params):
    """Runs the rule's forward on the operands cast to the compute dtype; returns the result tensor."""
    token = silence(IGNORE)  # inf and nan come silently, as PyTorch's do (casts of operands included)
    try:
        lane = fast_lane(operands) if rule.plain_dtype else None  # SHORTCUT of promote()
        device, compute, arrays = lane or promote(rule, operands, params)
        out_dtype = rule.out_dtype or compute
        try:
            data = rule.forward(*arrays, **params) if params else rule.forward(*arrays)
        except np.linalg.LinAlgError:  # a ValueError too, but the caller words it
            raise
        except ValueError:
            broadcast_shapes(*(np.shape(a) for a in arrays if a is not None))
            raise
    finally:
        restore(token)
    if rule.layout is not None and (type(data) is list or type(data) is np.ndarray and data.ndim > 1):
        data = _laid_out(rule.layout, data, arrays)
    if rule.n_outputs != 1:
        return [_new_tensor(as_dtype(d, out_dtype), out_dtype, device) for d in data]
    if type(data) is not np.ndarray or data.dtype is not out_dtype.np:
        data = as_dtype(data, out_dtype)
    return _new_tensor(data, out_dtype, device)


def _laid_out(layout, data, arrays):
    """The forward's result(s) in the memory layout PyTorch's kernel gives them (Rule.layout)."""
    if type(data) is list:
        return [_laid_out(layout, d, arrays) for d in data]
    if type(data) is not np.ndarray or data.ndim < 2:
        return data
    if layout == "iterator":
        return iterator_layout(data, arrays)
    return row_major(data) if layout == "contiguous" else suggested_layout(data, arrays)


def _needs_grad(operands):
    for op in operands:
        if isinstance(op, Tensor) and (op._requires_grad or op._grad_fn is not None or
                                       op._base is not None and op._base.requires_grad):
            return True
    return False


def _autograd_runs(rule, operands, params):
    """Does PyTorch run the op's autograd kernel (record it, check its in-place use)? Inference tensors have
    no autograd dispatch key, so only when one of its tensor arguments is a normal tensor: a tensor operand or
    tensor param (an index, a mask), or a Python number operand, which PyTorch wraps into a normal tensor (a
    Scalar overload's number is a param here, and is not wrapped)."""
    for op in operands:
        if isinstance(op, Tensor):
            if not op._is_inference:
                return True
        elif op is not None:
            return True
    for name, value in params.items():
        if isinstance(value, Tensor) and not value._is_inference and name not in rule.output_params or \
                type(value) is tuple and any(isinstance(v, Tensor) and not v._is_inference for v in value):
            return True
    return False


def needs_history(rule, operands, params):
    """Does the op record history (grad mode aside): an operand requires grad, and PyTorch runs its autograd
    kernel."""
    return _needs_grad(operands) and _autograd_runs(rule, operands, params)


def _reject_grad(rule, operands):
    for i in rule.rejects:
        op = operands[i]
        if isinstance(op, Tensor) and op._requires_grad:
            raise RuntimeError(f"The function '{rule.fn_name}' is not differentiable with respect to argument "
                               f"'{rule.inputs[i]}'. This input cannot have requires_grad True.")


# ---------------------------------------------------------------------------- recording
def record(rule, operands, params, result, inputs_for_saving=None, in_place=False):
    """Creates the rule's node for `result` (a tensor, or the list of a multi-output op's tensors)
    and makes it their grad_fn. What the formulas of inputs with an edge name is saved, and what PyTorch saves
    whichever inputs require grad (Rule.always_saved)."""
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
    for name in rule.always_saved:  # saved whichever inputs require grad (Rule._always_saved)
        if name not in saved:
            saved[name] = _saved_value(rule.saves[name], sources, params, result)
    if rule.node == _NOT_IMPLEMENTED:  # PyTorch's NotImplemented node links only the inputs that require grad
        kept = [i for i, e in enumerate(edges) if e[0] is not None]
        edges, meta = [edges[i] for i in kept], [meta[i] for i in kept]
    node = rule.node_class(tuple(edges), tuple(meta), saved)
    if rule.n_outputs == 1:
        result._grad_fn = node
    else:
        saved["n_outputs"] = len(result)
        for nr, out in enumerate(result):
            out._grad_fn = node
            out._output_nr = nr
    if SAVED_HOOKS.stack:  # saved_tensors_hooks; an in-place op's output is packed once written (call_inplace)
        pack_saved(saved, None if in_place else (result,) if rule.n_outputs == 1 else result, rule.output_params)
    return node


_NO_EDGE = (None, 0)
_NOT_IMPLEMENTED = "torch::autograd::NotImplemented"


def _saved_value(how, operands, params, result):
    """What the node keeps for one formula parameter (`Rule.saves` says where it comes from)."""
    kind, which = how
    if kind == "input":  # what it saves is packed by record() (pack_saved), in PyTorch's order
        op = operands[which]
        return SavedTensor(op, False, defer_pack=True) if isinstance(op, Tensor) else op
    if kind == "param":  # a tensor param (an index, a mask, a target) is saved as PyTorch saves it: versioned
        value = params[which]
        if isinstance(value, Tensor):
            return SavedTensor(value, False, defer_pack=True)
        if type(value) is tuple and value and all(isinstance(v, Tensor) for v in value):
            return tuple(SavedTensor(v, False, defer_pack=True) for v in value)
        return value
    if kind == "result":
        if type(result) is list:  # a multi-output op (linalg.svd): each output, with its output number
            saved = tuple(SavedTensor(r, True, defer_pack=True) for r in result)
            for nr, s in enumerate(saved):
                s.output_nr = nr
            return saved
        return SavedTensor(result, True, defer_pack=True)
    if kind == "shape":
        return operands[which]._data.shape
    if kind == "strides":
        return strides_of(operands[which])
    if kind == "scalar_type":
        return operands[which].dtype
    return [op._data.shape for op in operands]


# ---------------------------------------------------------------------------- in place
def bump_version(self):
    """Counts an in-place write, once it is done. PyTorch counts it after the kernel, so an inference
    tensor written outside inference mode is written when this raises."""
    if self._is_inference:
        if not _state.inference:
            raise RuntimeError(
                "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to "
                "get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for "
                "more details.")
        return  # inference tensors have no version counter
    self._vc.value += 1


def check_inplace(self, requires_grad=None):
    """PyTorch's check_inplace: `requires_grad` says whether the op records history (any operand requires
    grad; self's own flag when not given). An inference tensor's write is refused after it is done
    (bump_version)."""
    if not _state.enabled or not (self.requires_grad and not self._is_inference if requires_grad is None
                                  else requires_grad):
        return
    base = self._base
    if base is not None:
        check_view_creation(self, indirect=False)
        if self.requires_grad and base.is_leaf:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if self.requires_grad and self.is_leaf:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def _has_shared_elements(data):
    """Do several elements share one memory location (a dim of stride 0, as expand() makes)?"""
    return data.size > 1 and any(stride == 0 and size > 1 for stride, size in zip(data.strides, data.shape))


# What PyTorch lets write into a tensor whose elements share memory (an expanded one): one value everywhere.
_WRITE_SHARED_ELEMENTS = frozenset({"fill_.Scalar", "zero_"})
# What PyTorch writes there element by element, with a deprecation warning (each time).
_DEPRECATED_SHARED_WRITES = {
    "masked_fill": "Use of masked_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing "
                   "this operation. This also applies to advanced indexing e.g. tensor[mask] = scalar",
    "index_put_": "Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before performing "
                  "this operation. This also applies to advanced indexing e.g. tensor[indices] = tensor"}

# In-place ops whose own meta function checks the cast of the result into self (not TensorIterator's check):
# it names self's dtype as C++ spells it ("long int", "bool").
_META_CAST_CHECK = frozenset({"clamp"})

# In-place ops that read their 0-dim value before writing, so it may overlap what they write.
_READ_VALUE_FIRST = frozenset({"fill_.Tensor", "masked_fill.Tensor"})

# In-place ops that PyTorch records even into an integer tensor when the written value requires grad (and
# once an integer tensor requires grad, every in-place op on it but copy_ records).
_RECORDED_FOR_ANY_DTYPE = frozenset({"fill_.Tensor", "index_put_"})


def _check_memory_overlap(rule, self, operands, params):
    """PyTorch's checks before an in-place write: self's elements may not share memory (but for fills, and
    masked_fill_ / index_put_, deprecated), and an operand may not share part of the memory written.
    Whether the write goes element by element into shared memory."""
    shared = _has_shared_elements(self._data) and rule.key not in _WRITE_SHARED_ELEMENTS
    if shared:
        _write_to_shared_elements(rule, operands, params)
    if not _reads_value_first(rule, operands, params):
        _check_no_partial_overlap(self, operands)
    return shared


def _same_data(a, b):
    """Are two arrays the same elements, read the same way? PyTorch's copy_ then writes nothing (and checks no
    overlap), though autograd still records it and the version counts it."""
    return a.__array_interface__["data"][0] == b.__array_interface__["data"][0] and a.strides == b.strides and \
        a.shape == b.shape and a.dtype == b.dtype


def _saves_original_self(rule, all_ops):
    """Does the node of an in-place op save self's value from before the write (PyTorch's original_self)?
    When the formula of an operand that requires grad reads self."""
    if not rule.inplace_saves_self:
        return False
    if rule.variadic:
        return True
    return any("self" in uses and _needs_grad((all_ops[i],)) for i, uses in rule.edge_uses if i < len(all_ops))


def _records_into(rule, self):
    """Does an in-place op that has an operand requiring grad record history into self? Into floats always;
    into an integer tensor only for some ops, or once it requires grad (never for copy_)."""
    return self._dtype.is_floating_point or rule.key in _RECORDED_FOR_ANY_DTYPE or \
        self.requires_grad and rule.key != "copy_"


def _reads_value_first(rule, operands, params):
    """fill_ and masked_fill_ (also x[mask] = 0-dim value, which PyTorch runs as masked_fill_) read their value
    before writing, so PyTorch lets it overlap what they write."""
    if rule.key in _READ_VALUE_FIRST:
        return True
    index = params.get("index") if rule.key == "index_put_" else None
    return index is not None and len(index) == 1 and getattr(index[0], "dtype", None) == np.bool_ and \
        np.ndim(operands[0]._data if isinstance(operands[0], Tensor) else operands[0]) == 0


def _check_no_partial_overlap(self, operands):
    """PyTorch's assert_no_partial_overlap: an operand that shares some, but not exactly all, of the memory
    written (`x.mul_(x[0])`) is refused; the same memory with the same strides (`x.mul_(x)`) is fine."""
    out = self._data
    for op in operands:
        if isinstance(op, Tensor) and op is not self and np.may_share_memory(out, op._data) and \
                _partly_overlapping(out, op._data):
            raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to tensor "
                               "refer to a single memory location. Please clone() the tensor before performing the "
                               "operation.")


def _partly_overlapping(a, b):
    """PyTorch's get_overlap_status(a, b) == Partial, for arrays whose address ranges meet."""
    if not a.size or not b.size or not _dense(a) or not _dense(b):
        return False  # empty: no overlap; not dense: too hard, PyTorch lets it be
    same_start = a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    return not (same_start and a.nbytes == b.nbytes and a.strides == b.strides)


def _dense(a):
    """PyTorch's is_non_overlapping_and_dense: the elements fill a block of memory, in some order of dims."""
    expected = a.itemsize
    for stride, size in sorted((s, n) for n, s in zip(a.shape, a.strides) if n != 1):
        if stride != expected:
            return False
        expected *= size
    return True


_SHARED_WRITE_ERROR = ("unsupported operation: more than one element of the written-to tensor refers to a single "
                       "memory location. Please clone() the tensor before performing the operation.")


def _write_to_shared_elements(rule, operands, params):
    """masked_fill_ and index_put_ warn (x[mask] = 0-dim value: index_put_, then the masked_fill_ it runs);
    other in-place ops refuse."""
    if rule.name not in _DEPRECATED_SHARED_WRITES:
        raise RuntimeError(_SHARED_WRITE_ERROR)
    warnings.warn(_DEPRECATED_SHARED_WRITES[rule.name], UserWarning, stacklevel=5)
    if rule.name == "index_put_" and _reads_value_first(rule, operands, params):
        warnings.warn(_DEPRECATED_SHARED_WRITES["masked_fill"], UserWarning, stacklevel=5)


def _write_changed_elements(dst, src):
    """Writes into shared memory only the elements the op changed (bit for bit), as PyTorch's element-by-element
    kernels do: a location shared by a written and an untouched element takes the written value."""
    new = src.astype(dst.dtype, casting="unsafe")
    bits = np.dtype(f"u{dst.itemsize}")
    np.copyto(dst, new, where=new.view(bits) != dst.view(bits))


# Ops PyTorch registers without an autograd kernel (CompositeExplicitAutograd, never differentiable): their in-place
# forms write into a leaf that requires grad without autograd's check.
_NO_AUTOGRAD_KERNEL = frozenset({"logical_and", "logical_or", "logical_xor", "logical_not"})


def call_inplace(rule, self, operands, params):
    """Runs `rule` on (self, *operands) and writes the result into self.

    The node sees a snapshot of the original `self` when its formulas need it (PyTorch saves
    `original_self` the same way), its edge 0 points at self's previous history, and self's
    grad_fn becomes the new node (on a view: the base's becomes CopySlices of it).
    """
    all_ops = (self,) + tuple(operands)
    requires_grad = needs_history(rule, all_ops, params)
    if rule.key not in _NO_AUTOGRAD_KERNEL:
        check_inplace(self, requires_grad)
    check_mutable(self, rule.key)
    grad = _state.enabled and rule.differentiable and requires_grad and _records_into(rule, self)
    keeps_original = grad and _saves_original_self(rule, all_ops)
    if keeps_original and not self._dtype.is_floating_point:
        # PyTorch clones self first, a clone that records history: it refuses an integer one before the write
        raise RuntimeError(f"Autograd not support dtype: {dt.SCALAR_NAME[self._dtype]}")
    writes = not (rule.key == "copy_" and _same_data(self._data, operands[0]._data))
    meta_check = getattr(rule.forward, "meta_check", None)
    if meta_check is not None:
        meta_check(self._data.dtype, **params)
    shared = writes and _check_memory_overlap(rule, self, operands, params)
    if rule.takes_out and not shared and _write_directly(rule, self, all_ops, params):  # SHORTCUT of the rest
        return self
    try:
        result = forward(rule, all_ops, params)
    except NotImplementedError:  # PyTorch's TensorIterator checks the output shape before it picks the kernel
        check_inplace_shape(self, [np.shape(getattr(op, "_data", op)) for op in operands])
        raise
    if result._data.shape != self._data.shape:
        check_inplace_shape(self, [result._data.shape])
    if not dt.can_cast(result._dtype, self._dtype):
        names = dt.CPP_NAME if rule.key in _META_CAST_CHECK else dt.SCALAR_NAME
        raise RuntimeError(f"result type {dt.SCALAR_NAME[result._dtype]} can't be cast to the desired output "
                           f"type {names[self._dtype]}")
    sources = None
    if keeps_original:
        original = Tensor._make(self._data.copy(), self._dtype, self._device)
        original._grad_fn, original._output_nr = self._grad_fn, self._output_nr
        original._requires_grad = self._requires_grad
        sources = (original,) + tuple(operands)
    node = record(rule, all_ops, params, result, sources, in_place=True) if grad else None  # saves operands at their old version
    if _fw_state.level is not None:
        push_tangents(rule, all_ops, params, result, node)
    if self._data.size and writes:
        token = silence(IGNORE)  # a cast into self's dtype overflows silently, as in PyTorch
        try:
            if shared:
                _write_changed_elements(self._data, result._data)
            else:
                np.copyto(self._data, result._data, casting="unsafe")
        finally:
            restore(token)
    if result._fw is not None:
        self._fw = {**(self._fw or {}), **result._fw}
        if self._base is not None:
            for level, tangent in forward_level.entries(result):
                _write_tangent_into_base(self, tangent, level)
    bump_version(self)
    if grad:
        if self._base is not None:
            _rebase_view(self, node)
        else:
            old_fn, old_nr = self._grad_fn, self._output_nr
            self._grad_fn = node
            self._output_nr = 0
            self._move_retains_grad(old_fn, old_nr)
        saved_result = node._saved.get("result")
        if saved_result is not None:
            saved_result.repoint(self, self._grad_fn if self._base is not None else None)
        if SAVED_HOOKS.stack:
            pack_saved(node._saved, (self,))
    return self


def _rebase_view(view, fn):
    """PyTorch's rebase_history of a view: the base's history becomes CopySlices of the op's node `fn`,
    and the view's grad_fn is regenerated from it (AsStridedBackward0)."""
    base = view._base
    old_base_fn, old_base_nr = base._grad_fn, base._output_nr
    base._grad_fn = CopySlices(base, view, fn)
    base._output_nr = 0
    base._move_retains_grad(old_base_fn, old_base_nr)
    old_fn, old_nr = view._grad_fn, view._output_nr
    _regenerate_view_grad_fn(view)
    view._view_version = view._vc.value
    view._move_retains_grad(old_fn, old_nr)


def _write_tangent_into_base(view, tangent, level):
    """A view's tangent is part of its base's (PyTorch's is a view of it): after an in-place op on the view,
    the base's tangent holds the view's new one at the view's places."""
    base = view._base
    base_tangent = forward_level.tangent_of(base, level)
    with forward_level.levels_below(level):
        flat = (zeros_like(base) if base_tangent is None else base_tangent).reshape(-1)
        positions = kernels.view_positions(view._data, base._data)
        merged = ops.index_put_values(flat, (positions,), tangent).view(base._data.shape)
    forward_level.set_tangent(base, merged, level)


class CopySlices(Node):
    """The grad_fn of a base whose view was modified in place: `fn` (the in-place op's node) gets the
    view's part of the base's gradient and its gradient for the view replaces that part; its other
    inputs' gradients pass through. next_functions: the base's previous history, then fn's others."""

    __slots__ = ("fn", "positions", "shared")

    def __init__(self, base, view, fn):
        Node.__init__(self, (base._edge(),) + tuple(fn.next_functions[1:]),
                      ((base._data.shape, base._dtype, base._device),) + tuple(fn._input_meta[1:]))
        self.fn = fn
        self.positions = kernels.view_positions(view._data, base._data)
        self.shared = _has_shared_elements(view._data)  # an expanded view: copy_ into its slice refuses

    def name(self):
        return "torch::autograd::CopySlices"

    def apply(self, grads):
        if self.fn is None:
            raise RuntimeError(FREED_MESSAGE)
        grad = grads[0]
        if grad is None:
            return (None,) * len(self.next_functions)
        flat = grad.reshape(-1)
        index = (self.positions,)
        res = list(self.fn.apply((ops.as_strided_positions(flat, self.positions),)))
        res0 = res[0]
        if res0 is None or self.next_functions[0][0] is None:
            res[0] = None
        else:
            if self.shared:
                raise RuntimeError(_SHARED_WRITE_ERROR)
            if res0._data.shape != self.positions.shape:
                res0 = sum_to(res0, self.positions.shape)
            res[0] = ops.index_put_values(flat, index, res0).view(grad._data.shape)
        return res

    def release(self):
        """PyTorch's CopySlices drops the op's node once it has run (its saved values with it)."""
        if self.fn is not None:
            self.fn.release()
            self.fn = None


def _regenerate_view_grad_fn(view):
    """A view's grad_fn after its base changed in place: AsStridedBackward0 of the base."""
    base = view._base
    record(AS_STRIDED, (base,), {"positions": kernels.view_positions(view._data, base._data)}, view)
    view._output_nr = 0


def _view_tangent(view, base_tangent, level):
    """The view's part of its base's tangent at `level` (computed with the levels below it only)."""
    with forward_level.levels_below(level):
        return ops.as_strided_positions(base_tangent.reshape(-1), kernels.view_positions(view._data, view._base._data))


VIEW_HOOKS.regenerate = _regenerate_view_grad_fn
forward_level.VIEW_TANGENT.of = _view_tangent


def _write_directly(rule, self, all_ops, params):
    """SHORTCUT of call_inplace for an op that records no history, has no tangents and needs no cast
    (optimizer steps): the kernel writes straight into self, without a temporary. False when it does
    not apply."""
    if _fw_state.level is not None or (_state.enabled and needs_history(rule, all_ops, params)):
        return False
    lane = fast_lane(all_ops)
    if lane is None:
        return False
    arrays = lane[2]
    check_inplace_shape(self, [np.shape(a) for a in arrays[1:]])
    token = silence(IGNORE)
    try:
        rule.forward(*arrays, out=self._data, **params)
    finally:
        restore(token)
    bump_version(self)
    return True


# ---------------------------------------------------------------------------- forward mode
def push_tangents(rule, operands, params, result, node=None):
    """Gives `result` the tangent that the rule's forward formula computes from the operands' tangents, at
    each active level, outermost first.

    A level's tangent is computed with only the levels below it active, so the formulas see primals that
    carry only those levels' tangents (a tangent of a tangent is a second derivative); it is still recorded
    for reverse mode when its inputs require grad. As in PyTorch, it comes after the result's grad_fn
    (`node`), so a formula that reads the result (exp's) is recorded through it, and before the node's
    saved outputs are final: they keep the tangent.
    """
    if not rule.differentiable:
        return
    for level in _fw_state.stack:
        _push_at(level, rule, operands, params, result)
    if node is not None:
        _saved_outputs_keep_tangents(node, result)


def _push_at(level, rule, operands, params, result):
    tangents = [forward_level.tangent_of(op, level) if isinstance(op, Tensor) else None for op in operands]
    if all(t is None for t in tangents):
        return
    if rule.jvp is None:
        raise RuntimeError(f"Trying to use forward AD with {rule.name} that does not support it because it has "
                           "not been implemented yet.")
    with forward_level.levels_below(level):
        out = _JVP_MODES.get(rule.jvp, _jvp_explicit)(rule, operands, params, result, tangents)
    if rule.n_outputs == 1:
        forward_level.set_tangent(result, _like(out, result), level)
    else:
        for r, t in zip(result, out):
            forward_level.set_tangent(r, _like(t, r), level)


def _saved_outputs_keep_tangents(node, result):
    results = [result] if isinstance(result, Tensor) else result
    for value in (node._saved or {}).values():
        for saved in value if type(value) is tuple else (value,):
            if isinstance(saved, SavedTensor) and saved.tensor is None:
                saved.fw = results[saved.output_nr if len(results) > 1 else 0]._fw


def _like(tangent, result):
    """The tangent in the result's shape and dtype (a rule's tangent that cannot broadcast to it is refused)."""
    if tangent._data.shape != result._data.shape:
        if len(tangent._data.shape) > len(result._data.shape) or \
                any(t not in (1, r) for t, r in zip(tangent._data.shape[::-1], result._data.shape[::-1])):
            raise forward_level.size_mismatch(result._data.shape, tangent._data.shape)
        tangent = tangent.expand(result._data.shape)
    if tangent._dtype is not result._dtype:
        tangent = tangent.to(result._dtype)
    return tangent


def _value(rule, name, operands, params, result):
    """What a forward-mode formula parameter names, read from the live operands (nothing is saved)."""
    kind, which = rule.where_saved(name)
    if kind == "result":
        return result
    if kind == "param":
        return params[which]
    if kind == "shapes":
        return [op._data.shape for op in operands]
    if kind == "shape":
        return operands[which]._data.shape
    if kind == "strides":
        return strides_of(operands[which])
    if kind == "scalar_type":
        return operands[which].dtype
    return operands[which]


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


def _jvp_linear(rule, operands, params, result, tangents):
    if rule.variadic:
        args = [t if t is not None else zeros_like(op) for op, t in zip(operands, tangents)]
    else:
        args = [operands[i] if f is None else _linear_tangent(operands[i], tangents[i])
                for i, f in enumerate(rule.backward)]
    return call(rule, args, params)


def _linear_tangent(op, tangent):
    """What stands for a differentiable operand in the op applied to tangents: its tangent, or zero."""
    if tangent is not None:
        return tangent
    if isinstance(op, Tensor):
        return zeros_like(op)
    return None if op is None else 0  # a Python scalar operand is a constant


def _jvp_reduction(rule, operands, params, result, tangents):
    ones = ones_like(result)
    out = None
    for i, t, d in _formula_terms(rule, operands, params, result, tangents, lambda t: ones):
        if d is None:  # a formula without a gradient (vector_norm of order 0): no term
            continue
        term = d * t
        dims = _reduced_dims(params, term._data.ndim)
        if dims:
            term = term.sum(dims, keepdim=bool(params.get("keepdim", False)))
        out = term if out is None else out + term
    return zeros_like(result) if out is None else out


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
        if name.endswith("_t") and name[:-2] in rule.inputs:
            i = rule.inputs.index(name[:-2])
            t = tangents[i]
            args.append(t if t is not None or not isinstance(operands[i], Tensor) else zeros_like(operands[i]))
        else:
            args.append(_value(rule, name, operands, params, result))
    return rule.jvp(*args)


_JVP_MODES = {"elementwise": _jvp_elementwise, "linear": _jvp_linear, "reduction": _jvp_reduction}
