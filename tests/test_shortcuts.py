"""Every speed shortcut of an op's path gives what the semantic path gives.

The shortcuts (marked SHORTCUT in the source): FormulaNode's __init__ written out, the forward's fast lane (`_promotion.fast_lane`, no
promotion, device check or cast), promotion without the table for operands of one dtype
(`_promotion._same_dtype`), in-place ops written straight into the tensor
(`_dispatch._write_directly`), and the operators `+` and `*` going to the dispatcher without the
public function's argument checks. With hypothesis, random ops over dtypes, Python scalar types
(small and large ints, floats, huge floats, NaN, inf, bools), shapes (0-d, size 1, broadcasting),
devices and grad modes run twice: once as users run them, once with every shortcut switched off.
Values (bit for bit), dtype, device, requires_grad, grad_fn, errors and the gradients after backward
must agree.
"""
import contextlib
import math

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

import refgrad  # noqa: E402
from refgrad import _dispatch, _promotion  # noqa: E402

DTYPES = ("float16", "float32", "float64", "int32", "int64", "bool")
SHAPES = ((), (1,), (3,), (2, 3), (1, 3))
# Numbers that round differently in half, single and double, and that overflow or wrap.
AWKWARD = [0.1, 1 / 3, -2.7, 70000.0, 65504.0, 1e-5, 3e-8, 1e39, -1e39, math.nan, math.inf, -0.0]
SCALARS = st.one_of(st.sampled_from(AWKWARD), st.integers(-5, 5), st.floats(-1e5, 1e5, allow_nan=False),
                    st.sampled_from([2 ** 24 + 1, -2 ** 31, 2 ** 40, 2 ** 63, 2 ** 64, -2 ** 64]), st.booleans())
VALUES = st.one_of(st.sampled_from(AWKWARD[:8]), st.floats(-10, 10, allow_nan=False))
BINARY = ("add", "sub", "mul", "div", "pow", "maximum", "atan2", "remainder", "eq", "lt")
UNARY = ("exp", "sin", "neg", "abs", "sqrt", "tanh", "sigmoid", "floor")
INPLACE = ("add_", "sub_", "mul_", "div_")
OPERATORS = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b}


@contextlib.contextmanager
def semantic_path():
    """Every shortcut off: the ops take the path that reads like the spec."""
    saved = (_dispatch.fast_lane, _dispatch._write_directly, _promotion._same_dtype)
    _dispatch.fast_lane = lambda operands: None
    _dispatch._write_directly = lambda rule, self, operands, params: False
    _promotion._same_dtype = lambda operands: None
    try:
        yield
    finally:
        _dispatch.fast_lane, _dispatch._write_directly, _promotion._same_dtype = saved


SCALAR_KINDS = {"small int": st.integers(-5, 5),
                "big int": st.sampled_from([2 ** 24 + 1, -2 ** 31, 2 ** 40, 2 ** 63, 2 ** 64, -2 ** 64]),
                "float": st.floats(-1e5, 1e5, allow_nan=False), "awkward float": st.sampled_from(AWKWARD),
                "bool": st.booleans()}


def tensor_specs(dtype, grad_allowed=True):
    return st.builds(lambda shape, values, special, requires_grad: ("tensor", dtype, shape, values, special,
                                                                    requires_grad and grad_allowed),
                     st.sampled_from(SHAPES), st.lists(VALUES, min_size=6, max_size=6),
                     st.sampled_from([None, math.nan, math.inf, -0.0]), st.booleans() if dtype[0] == "f" else
                     st.just(False))


def operand_specs(kind):
    if kind in SCALAR_KINDS:
        return SCALAR_KINDS[kind].map(lambda v: ("scalar", v))
    return tensor_specs(kind)


def programs(kind, first, second=None):
    """(kind, op, operand specs, device, grad mode); an in-place op writes into a tensor without grad (writing
    into a leaf that requires grad is an error, covered elsewhere)."""
    ops = {"unary": UNARY, "binary": BINARY, "inplace": INPLACE}[kind]
    operands = [tensor_specs(first, grad_allowed=kind != "inplace")]
    if second is not None:
        operands.append(operand_specs(second))
    return st.tuples(st.just(kind), st.sampled_from(ops), st.tuples(*operands).map(list),
                     st.sampled_from(("cpu", "cuda")), st.sampled_from(("grad", "no_grad", "inference")))


def _build(spec, device):
    if spec[0] == "scalar":
        return spec[1]
    _, dtype, shape, values, special, requires_grad = spec
    n = int(np.prod(shape))
    data = np.array(values[:n] or [0.0], dtype=np.float64)[:n].reshape(shape)
    if special is not None and n:
        data.reshape(-1)[0] = special
    with np.errstate(all="ignore"):
        array = data.astype(getattr(np, dtype) if dtype != "bool" else np.bool_)
    t = refgrad.tensor(array, device=device)
    return t.requires_grad_() if requires_grad else t


def _mode(mode):
    return {"grad": contextlib.nullcontext, "no_grad": refgrad.no_grad, "inference": refgrad.inference_mode}[mode]()


def _observe(program, use_operators):
    """Runs the program; returns what it observed: the result's fields and the leaves' gradients, or the error."""
    kind, op, specs, device, mode = program
    operands = [_build(s, device) for s in specs]
    try:
        with _mode(mode):
            if kind == "inplace":
                result = getattr(operands[0].clone() if mode == "grad" else operands[0], op)(operands[1])
            elif use_operators and op in OPERATORS and type(operands[1]) in (refgrad.Tensor, float):
                result = OPERATORS[op](*operands)
            else:
                result = getattr(refgrad, op)(*operands)
        seen = [result.numpy(force=True).tobytes(), result.dtype, str(result.device), result.requires_grad,
                None if result.grad_fn is None else result.grad_fn.name(), tuple(result.shape)]
        if result.requires_grad:
            result.sum().backward()
            seen += [None if t.grad is None else (t.grad.numpy().tobytes(), t.grad.dtype)
                     for t in operands if isinstance(t, refgrad.Tensor)]
        return seen
    except Exception as exc:  # the same error either way
        return [type(exc).__name__, str(exc)]


def _assert_agree(program):
    with np.errstate(all="ignore"):
        fast = _observe(program, use_operators=True)
        with semantic_path():
            spec = _observe(program, use_operators=False)
    assert fast == spec


@pytest.mark.parametrize("second", DTYPES + tuple(SCALAR_KINDS))
@pytest.mark.parametrize("first", DTYPES)
@pytest.mark.parametrize("kind", ["binary", "inplace"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_binary_and_inplace_ops(kind, first, second, data):
    _assert_agree(data.draw(programs(kind, first, second)))


@pytest.mark.parametrize("first", DTYPES)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_unary_ops(first, data):
    _assert_agree(data.draw(programs("unary", first)))


def test_the_semantic_path_is_taken(monkeypatch):
    """The switch reaches the code: the fast lane skips promote(), the semantic path runs it."""
    calls = []
    real = _dispatch.promote
    monkeypatch.setattr(_dispatch, "promote", lambda *args: calls.append(args[0].key) or real(*args))
    x = refgrad.ones(3)
    x * 2.0
    assert calls == []
    with semantic_path():
        x * 2.0
        x.add_(1.0)
    assert calls == ["mul.Tensor", "add.Tensor"]


def test_formula_node_sets_what_node_init_sets():
    from refgrad.autograd.graph import FormulaNode, Node
    edges, meta = ((None, 0),), (((2,), refgrad.float32, refgrad.device("cpu")),)
    node, reference = FormulaNode(edges, meta, {}), FormulaNode.__new__(FormulaNode)
    Node.__init__(reference, edges, meta)
    fields = [f for f in Node.__slots__ if f not in ("_metadata", "__weakref__")]
    assert [getattr(node, f) for f in fields if f != "_seq"] == [getattr(reference, f) for f in fields if f != "_seq"]
    assert node._seq + 1 == reference._seq  # numbered in creation order, as Node.__init__ numbers


@pytest.mark.parametrize("name, args", [
    ("linear", ("a", "w")), ("linear", ("x", "w", 2)), ("gelu", ("x", 3)), ("softplus", ("x", "b")),
    ("elu", ("x", None)), ("leaky_relu", ("x", [1])), ("layer_norm", ("x", "3")), ("layer_norm", ("x", (3,), 1.5)),
    ("dropout", ("x", "p")), ("embedding", ("i", 2.5)), ("max_pool2d", ("x4", "k")),
])
def test_functional_positional_arguments_checked_as_bound(name, args):
    """nn.functional's positional calls skip Signature.bind (SHORTCUT): the parser's error is PyTorch's."""
    torch = pytest.importorskip("torch")

    def error(lib):
        tensors = {"x": lib.ones(2, 3), "w": lib.ones(4, 3), "i": lib.tensor([0, 1]), "x4": lib.ones(1, 1, 4, 4)}
        try:
            getattr(lib.nn.functional, name)(*(tensors.get(a, a) if isinstance(a, str) else a for a in args))
        except TypeError as exc:
            return str(exc)
    expected = error(torch)
    assert expected is not None and error(refgrad) == expected
