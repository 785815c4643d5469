"""What a derivative-table entry declares, checked when the entry is built.

An entry is one op overload, keyed as PyTorch's derivatives.yaml names it (`"mul.Tensor"`,
`"rsub.Scalar"`): the grad_fn it records, its NumPy forward, its tensor inputs, one backward formula
per input, and its forward-mode rule. What the node saves is read off the formulas: a formula's
parameters after `grad` name an input (`self`), the output (`result`), an input's shape
(`self_shape`) or dtype (`self_scalar_type`) or a parameter of the forward (`alpha`). Each name is
checked here, so a misspelled name, a formula for an input the op does not have, or a key used twice
stops `import refgrad` with a message naming the entry, instead of failing at the first backward.
"""
import inspect
import re

from . import _dtype as dt
from .autograd.graph import UNNUMBERED, FormulaNode

__all__ = ["Rule", "Table", "TableError"]

_KEY = re.compile(r"^\w+(\.\w+)?$")
_DTYPE_KINDS = ("promote", "float", "same", "bool", "index")
_JVP_KINDS = ("elementwise", "linear", "reduction")
_LAYOUTS = (None, "iterator", "contiguous", "suggested")
_DEFAULT_LAYOUT = {"elementwise": "iterator", "reduction": "contiguous"}


class TableError(Exception):
    """A derivative-table entry that contradicts itself (raised when the table is built)."""


class Rule:
    """One entry of the derivative table.

    key        the overload, as PyTorch spells it (`mul.Tensor`); `name` is the op (`mul`)
    node       the grad_fn name (`MulBackward0`, `torch::autograd::CopySlices`); None for ops that are
               never differentiable (comparisons)
    forward    NumPy function of the input arrays (positionally) and the params (by keyword)
    inputs     names of the tensor inputs, in order (`self`, `other`)
    backward   {input: formula}, `formula(grad, *saved)`, written in refgrad ops; inputs without a
               formula (a where() condition) get no edge, as in PyTorch
    params     the forward's parameters; read from its signature unless given (a forward that takes
               **kwargs, or a NumPy function, must list them)
    dtype      how the result dtype follows from the inputs: "promote" (PyTorch type promotion),
               "float" (promotion, ints become the default float), "bool", "same" (of the first
               input), "index" (computed in the first input's dtype, int64 out), or a function of
               (operands, params)
    n_outputs  1, or "many": the forward returns a list of arrays, and the formula receives the
               list of output gradients (None where an output got none)
    variadic   the op takes a list of tensors (cat, stack): `inputs` is one name, and its formula
               returns one gradient per tensor; `tensors_shapes` names their shapes
    jvp        the forward-mode rule: "elementwise" (each backward formula applied to its input's
               tangent, PyTorch's auto_element_wise), "linear" (the op applied to the tangents,
               auto_linear), "reduction" (backward formulas at a gradient of ones, times the
               tangents, summed over the reduced dims), or a function whose parameters name
               tangents (`self_t`) and saved values, as in derivatives.yaml
    takes_out  the forward takes `out=`, an array to write the result into (the in-place shortcut)
    rejects    inputs that must not require grad: PyTorch raises "The function '<fn_name>' is not
               differentiable with respect to argument ..." for them (nll_loss's weight)
    output_params  params that are outputs of PyTorch's op, computed before it (max.dim's indices): unlike
               the other tensor params (an index, a mask), no arguments of its autograd kernel
    composite  what PyTorch's kernel of the overload runs, for when its autograd kernel is skipped (every
               tensor argument an inference tensor) while an input requires grad: the ops it calls with a new
               normal tensor run theirs (fmod.Scalar's fmod.Tensor of the number wrapped records FmodBackward1,
               clone's copy_ into a new tensor CopyBackwards, mean's sum.out refuses). A function of the operands
               and the params, in refgrad ops; it returns None where the kernel calls no such op for those
               arguments (pow(t, 2), while pow(t, 1) copies)
    kernel_writes  how often PyTorch's kernel writes its new result through an out= variant or an in-place op
               (sum.out, mean's div_, clone's copy_, pad's fill_): an int, or a function of (operands, params,
               result). Each write bumps the result's version when the kernel runs without autograd (every
               tensor argument an inference tensor) outside inference mode, the result being a normal tensor
               then; under autograd those writes run below the version counting
    layout     the result's memory layout: "iterator" for an elementwise op, which PyTorch runs through
               TensorIterator (the memory order it picks from the operands, refgrad/_layout.py, not NumPy's),
               "contiguous" for a kernel that allocates a row-major result (reductions, softmax), "suggested" for
               one that follows an operand's channels-last layout (convolution, pooling, padding), None for
               the forward's own (views, clone's memory_format); by default "iterator" for a "elementwise"
               jvp, "contiguous" for a "reduction" one, else None
    api        for an op whose public function is generated from this entry (tensor inputs only, no
               params): where it appears, any of "function" (refgrad.<name>), "method" (Tensor.<name>),
               "inplace" (Tensor.<name>_)

    An operand may be None (clamp without a max); it gets no edge.
    """

    __slots__ = ("key", "name", "node", "forward", "inputs", "backward", "uses", "params", "dtype", "n_outputs",
                 "node_class", "differentiable", "inplace_saves_self", "grad_inputs", "variadic", "rejects",
                 "fn_name", "jvp", "jvp_uses", "out_dtype", "edge_uses", "saves", "plain_dtype", "takes_out", "many",
                 "api", "always_saved", "output_params", "composite", "layout", "kernel_writes")

    def __init__(self, key, node, forward, inputs, backward, *, params=None, dtype="promote", n_outputs=1,
                 variadic=False, rejects=(), fn_name=None, jvp=None, takes_out=False, api="", output_params=(),
                 composite=None, layout="default", kernel_writes=0):
        if not isinstance(key, str) or not _KEY.match(key):
            raise TableError(f"entry {key!r}: a key is the overload as PyTorch spells it, 'name' or 'name.overload'")
        self.key = key
        self.name = key.split(".")[0]
        self.node = node
        self.forward = forward
        self.inputs = tuple(inputs)
        self.variadic = variadic
        self.n_outputs = n_outputs
        self.params = self._check_params(params)
        self._check(isinstance(backward, dict), "backward must be a dict {input: formula}")
        for name in backward:
            self._check(name in self.inputs, f"a backward formula for '{name}', which is not one of its inputs "
                                             f"{list(self.inputs)}")
        self._check(node is not None or not backward, "backward formulas but no grad_fn name")
        self.backward = tuple(backward.get(i) for i in self.inputs)
        self.uses = tuple(self._formula_uses(i, f) for i, f in zip(self.inputs, self.backward))
        self._check(dtype in _DTYPE_KINDS or callable(dtype), f"dtype {dtype!r} is none of {_DTYPE_KINDS} "
                                                               "and not a function")
        self.dtype = dtype
        self.many = n_outputs != 1 or variadic  # gradients as lists: FormulaNode._apply_many
        for r in rejects:
            self._check(r in self.inputs, f"rejects '{r}', which is not one of its inputs {list(self.inputs)}")
        self.rejects = tuple(self.inputs.index(r) for r in rejects)
        self.fn_name = fn_name or self.name
        self.jvp = jvp
        self.jvp_uses = self._jvp_uses(jvp)
        self.takes_out = takes_out
        self.api = frozenset(api.split())
        for name in output_params:
            self._check(name in self.params, f"output param '{name}' is not one of its params {list(self.params)}")
        self.output_params = frozenset(output_params)
        self.composite = composite
        self.kernel_writes = kernel_writes
        if layout == "default":
            layout = _DEFAULT_LAYOUT.get(jvp) if isinstance(jvp, str) else None
        self._check(layout in _LAYOUTS, f"layout {layout!r} is none of {_LAYOUTS}")
        self.layout = layout
        self._check(self.api <= {"function", "method", "inplace"}, f"api {api!r}: only function, method, inplace")
        self.grad_inputs = tuple(i for i, f in enumerate(self.backward) if f is not None)
        self.edge_uses = tuple((i, self.uses[i]) for i in self.grad_inputs)
        self.saves = {name: self.where_saved(name) for uses in self.uses for name in uses}
        self.always_saved = self._always_saved()
        self.out_dtype = {"bool": dt.bool_, "index": dt.int64}.get(dtype) if isinstance(dtype, str) else None
        # the dtype follows from the inputs' dtypes alone, so the fast lane of forward() can take it
        self.plain_dtype = dtype in _DTYPE_KINDS
        self.differentiable = bool(self.grad_inputs)
        self.inplace_saves_self = any("self" in u for u in self.uses)
        self.node_class = _node_class(node, self) if node else None

    def __repr__(self):
        return f"<derivative entry {self.key} -> {self.node}>"

    # ------------------------------------------------------------------ checks, when the entry is built
    def _check(self, ok, message):
        if not ok:
            raise TableError(f"derivative entry '{self.key}': {message}")

    def _check_params(self, params):
        if params is not None:
            return tuple(params)
        fn = inspect.unwrap(self.forward)
        if not inspect.isfunction(fn):
            return ()  # a NumPy function: its own keywords are no params of the op
        n_inputs = 0 if self.variadic else len(self.inputs)  # a variadic forward takes *arrays
        names = []
        for i, p in enumerate(inspect.signature(fn).parameters.values()):
            self._check(p.kind is not p.VAR_KEYWORD, "its forward takes **kwargs: list its params= explicitly")
            if i >= n_inputs and p.kind is not p.VAR_POSITIONAL and p.name != "out":
                names.append(p.name)
        return tuple(names)

    def _saveable(self):
        names = set(self.inputs) | {"result"} | set(self.params)
        names |= {f"{i}_{what}" for i in self.inputs for what in ("shape", "scalar_type", "sym_strides")}
        if self.variadic:
            names.add("tensors_shapes")
        return names

    def _formula_uses(self, input_name, formula):
        """The names a formula's parameters after `grad` give: what the node must save for it."""
        if formula is None:
            return ()
        self._check(callable(formula), f"the formula for '{input_name}' is not a function")
        names = tuple(inspect.signature(formula).parameters)[1:]
        unknown = [n for n in names if n not in self._saveable()]
        self._check(not unknown, f"the formula for '{input_name}' names {unknown}, which is not an input, "
                                 f"'result', an input's shape or dtype or a parameter of the forward "
                                 f"({sorted(self._saveable())})")
        return names

    def _jvp_uses(self, jvp):
        if jvp is None or isinstance(jvp, str):
            self._check(jvp is None or jvp in _JVP_KINDS, f"jvp {jvp!r} is none of {_JVP_KINDS} and not a function")
            return ()
        names = tuple(inspect.signature(jvp).parameters)
        allowed = self._saveable() | {f"{i}_t" for i in self.inputs}
        unknown = [n for n in names if n not in allowed]
        self._check(not unknown, f"the jvp formula names {unknown}, which is not a tangent (<input>_t), an input, "
                                 f"'result', an input's shape or dtype or a parameter ({sorted(allowed)})")
        return names

    def _always_saved(self):
        """The names the node saves whichever of its inputs require grad. PyTorch's codegen guards the saving of
        a value by the one input whose formula reads it (`should_compute_output`), but not for a backward op
        (`threshold_backward`), nor for a value that formulas of several inputs read (lerp's weight, read by
        self's and end's, is saved when only weight requires grad), nor for the output (pow's result, read by the
        exponent's formula only, is saved when only self requires grad)."""
        readers = {}
        for i in self.grad_inputs:
            for name in self.uses[i]:
                readers.setdefault(name, set()).add(i)
        unguarded = "backward" in self.name or len(self.grad_inputs) <= 1
        return tuple(name for name, who in readers.items() if unguarded or len(who) > 1 or name == "result")

    def where_saved(self, name):
        """Where the value a formula parameter names comes from: (kind, which). `saves` holds it for the
        backward formulas' names; forward mode asks for its jvp formula's names."""
        if name == "result":
            return ("result", None)
        if name == "tensors_shapes":
            return ("shapes", None)
        if name in self.inputs:
            return ("input", self.inputs.index(name))
        if name.endswith("_shape") and name[:-6] in self.inputs:
            return ("shape", self.inputs.index(name[:-6]))
        if name.endswith("_sym_strides") and name[:-12] in self.inputs:
            return ("strides", self.inputs.index(name[:-12]))
        if name.endswith("_scalar_type") and name[:-12] in self.inputs:
            return ("scalar_type", self.inputs.index(name[:-12]))
        return ("param", name)


def _node_class(node, rule):
    """The grad_fn class: `MulBackward0`, or for C++-named nodes (`torch::autograd::CopySlices`)
    a class named by the last component whose name() is the qualified one. PyTorch's NotImplemented is
    an error node: it takes no sequence number (its is the largest), so it runs before any other."""
    attrs = {"__slots__": (), "_rule": rule}
    short = node.rsplit("::", 1)[-1]
    if short != node:
        attrs["name"] = lambda self: node
    if node == "torch::autograd::NotImplemented":
        attrs["_numbers"] = UNNUMBERED
    return type(short, (FormulaNode,), attrs)


class Table(dict):
    """The derivative table: overload key -> Rule. `entry(...)` builds a Rule and adds it, once."""

    def entry(self, key, *args, **kwargs):
        if key in self:
            raise TableError(f"derivative entry '{key}' is defined twice")
        rule = self[key] = Rule(key, *args, **kwargs)
        return rule
