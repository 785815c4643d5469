"""Random autograd programs in the torch dialect, drawn with hypothesis (so hypothesis shrinks them).

A program is a list of steps; a step is one or a few lines of Python (`t3 = torch.exp(t1)`,
`with torch.no_grad():` blocks, `t4.sum().backward(retain_graph=True)`), a kind that names what it
exercises (`exp`, `backward`, `no_grad:t`), and the variables it defines. While drawing, each
variable's shape and dtype are tracked, so most programs are valid; the ones that are not are
compared too (both engines must raise the same error).
"""
import math
from dataclasses import dataclass, field

from hypothesis import strategies as st

__all__ = ["Step", "Var", "programs", "MAX_STEPS", "FAMILIES"]

MAX_STEPS = 14
SHAPES = [(), (1,), (3,), (2, 3), (3, 1), (1, 3), (0,), (2, 0), (2, 1, 3), (2, 2), (1, 1)]
FLOATS = ("float32", "float64")
DTYPES = FLOATS + ("int64", "bool")
NAN, INF = float("nan"), float("inf")
# Ordinary values first (hypothesis shrinks towards the start), then ties, signed zeros and specials.
VALUES = [1.0, -1.0, 0.5, 2.0, -2.0, 1.5, 0.0, -0.5, 3.0, -0.0, NAN, INF, -INF, 1e30, 1e-30]
INTS = [1, 0, -1, 2, 3, -3]
SCALARS = [2, 0.5, -1, 0, 1.5, -2.5, True, NAN, INF]


@dataclass
class Var:
    name: str
    shape: tuple
    dtype: str
    requires_grad: bool = False
    leaf: bool = True

    @property
    def numel(self):
        return math.prod(self.shape)

    @property
    def floating(self):
        return self.dtype in FLOATS


@dataclass
class Step:
    kind: str
    code: str
    targets: tuple = ()
    mutates: bool = False  # changes existing tensors (in place, backward, detach_): all are observed after it

    @property
    def lines(self):
        return self.code.split("\n")


@dataclass
class _State:
    vars: list = field(default_factory=list)
    counter: int = 0
    hooks: list = field(default_factory=list)

    def new_name(self, prefix="t"):
        name = f"{prefix}{self.counter}"
        self.counter += 1
        return name

    def add(self, shape, dtype, requires_grad=False, leaf=True):
        v = Var(self.new_name(), tuple(shape), dtype, requires_grad, leaf)
        self.vars.append(v)
        return v

    def tensors(self, pred=lambda v: True):
        return [v for v in self.vars if pred(v)]


# ----------------------------------------------------------------------------- literals
def _float_text(x):
    if math.isnan(x):
        return "float('nan')"
    if math.isinf(x):
        return "float('inf')" if x > 0 else "-float('inf')"
    return repr(x)


def _nested(values, shape):
    if not shape:
        return values[0]
    if shape[0] == 0:
        return []
    step = len(values) // shape[0]
    return [_nested(values[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _literal(nested, dtype):
    if isinstance(nested, list):
        return "[" + ", ".join(_literal(x, dtype) for x in nested) + "]"
    if dtype == "bool":
        return repr(bool(nested))
    if dtype == "int64":
        return repr(int(nested))
    return _float_text(nested)


def _draw_values(draw, n, dtype):
    if dtype == "bool":
        return [draw(st.booleans()) for _ in range(n)]
    if dtype == "int64":
        return [draw(st.sampled_from(INTS)) for _ in range(n)]
    special = draw(st.booleans())  # most tensors hold ordinary numbers; some draw from the specials too
    pool = VALUES if special else VALUES[:9]
    return [draw(st.sampled_from(pool)) for _ in range(n)]


def _scalar(draw, integer=False):
    value = draw(st.sampled_from(INTS if integer else SCALARS))
    return _float_text(value) if isinstance(value, float) else repr(value)


# ----------------------------------------------------------------------------- shapes
def _broadcast(a, b):
    out = []
    for x, y in zip(reversed((1,) * (len(b) - len(a)) + tuple(a)), reversed((1,) * (len(a) - len(b)) + tuple(b))):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


def _pick(draw, candidates):
    return draw(st.sampled_from(candidates)) if candidates else None


def _dim(draw, v):
    return draw(st.integers(-len(v.shape), len(v.shape) - 1)) if v.shape else draw(st.sampled_from([0, -1]))


def _reduced(shape, dim, keepdim):
    d = dim % len(shape) if shape else 0
    if not shape:
        return ()
    return shape[:d] + ((1,) if keepdim else ()) + shape[d + 1:]


# ----------------------------------------------------------------------------- families
def leaf(draw, s):
    shape = draw(st.sampled_from(SHAPES))
    dtype = draw(st.sampled_from(DTYPES))
    rg = dtype in FLOATS and draw(st.booleans())
    form = draw(st.sampled_from(["tensor", "tensor", "tensor", "full", "zeros", "ones", "arange", "linspace"]))
    v = s.add(shape, dtype, rg)
    flag = ", requires_grad=True" if rg else ""
    if form == "tensor" or (form in ("arange", "linspace") and len(shape) != 1):
        data = _literal(_nested(_draw_values(draw, math.prod(shape), dtype), shape), dtype)
        return Step("tensor", f"{v.name} = torch.tensor({data}, dtype=torch.{dtype}{flag})", (v.name,))
    if form == "full":
        value = _literal(_draw_values(draw, 1, dtype)[0], dtype)
        return Step("full", f"{v.name} = torch.full({shape}, {value}, dtype=torch.{dtype}{flag})", (v.name,))
    if form in ("zeros", "ones"):
        return Step(form, f"{v.name} = torch.{form}({shape}, dtype=torch.{dtype}{flag})", (v.name,))
    n = shape[0]
    if form == "arange" and dtype != "bool":
        start = draw(st.sampled_from([0, -1.5, 2, -8.0]))
        step = draw(st.sampled_from([1, 0.5, -1, 0.1]))
        end = start + n * step
        v.shape = (max(0, math.ceil((end - start) / step)),)
        return Step("arange", f"{v.name} = torch.arange({start!r}, {end!r}, {step!r}, dtype=torch.{dtype}{flag})",
                    (v.name,))
    v.dtype = draw(st.sampled_from(FLOATS))
    start, end = draw(st.sampled_from([(-1.0, 1.5), (0, 1), (2, -2)]))
    return Step("linspace", f"{v.name} = torch.linspace({start!r}, {end!r}, {n}, dtype=torch.{v.dtype}{flag})",
                (v.name,))


# The ops refgrad implements (the fuzzer checks how they behave; which ops exist is the scenarios' business).
UNARY = ["exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "neg", "sqrt", "rsqrt", "reciprocal", "sgn",
         "sign", "floor", "ceil", "trunc", "round", "square", "exp2", "expm1", "log1p", "log2", "erf", "atan", "asin",
         "sinh", "clone", "isnan", "isinf", "acos", "cosh", "log10", "isfinite"]
FUNCTIONAL_UNARY = ["silu", "gelu", "softplus", "elu", "leaky_relu", "logsigmoid"]
INPLACE_UNARY = ["exp_", "neg_", "sigmoid_", "tanh_", "relu_", "abs_", "sqrt_", "floor_", "zero_", "reciprocal_"]


def _float_result(v):
    return v.dtype if v.floating else "float32"


def unary(draw, s):
    x = _pick(draw, s.vars)
    op = draw(st.sampled_from(UNARY))
    form = draw(st.sampled_from(["function", "method"]))
    dtype = x.dtype if op in ("abs", "neg", "sign", "sgn", "floor", "ceil", "trunc", "round", "square",
                              "clone") else _float_result(x)
    if op in ("isnan", "isinf", "isfinite"):
        dtype = "bool"
    out = s.add(x.shape, dtype, x.requires_grad and dtype in FLOATS, leaf=not x.requires_grad)
    call = f"torch.{op}({x.name})" if form == "function" else f"{x.name}.{op}()"
    return Step(op, f"{out.name} = {call}", (out.name,))


def functional_unary(draw, s):
    x = _pick(draw, s.vars)
    op = draw(st.sampled_from(FUNCTIONAL_UNARY))
    out = s.add(x.shape, _float_result(x), x.requires_grad, leaf=not x.requires_grad)
    return Step(f"F.{op}", f"{out.name} = F.{op}({x.name})", (out.name,))


BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "floor_divide": "//", "remainder": "%",
          "maximum": None, "minimum": None, "atan2": None, "fmod": None, "lerp": None, "eq": "==", "lt": "<",
          "ge": ">=", "logical_and": None, "logical_or": None, "bitwise_and": "&", "bitwise_or": "|",
          "bitwise_xor": "^", "clamp_min": None, "clamp_max": None, "rsub": None}


def binary(draw, s):
    x = _pick(draw, s.vars)
    op = draw(st.sampled_from(sorted(BINARY)))
    partners = [v for v in s.vars if _broadcast(x.shape, v.shape) is not None]
    use_scalar = draw(st.integers(0, 3)) == 0
    if use_scalar:
        other, shape, dtype, rg = _scalar(draw, integer=x.dtype == "int64"), x.shape, x.dtype, x.requires_grad
    else:
        y = _pick(draw, partners)
        other, shape = y.name, _broadcast(x.shape, y.shape)
        dtype = x.dtype if x.dtype == y.dtype else ("float64" if "float64" in (x.dtype, y.dtype) else "float32")
        rg = x.requires_grad or y.requires_grad
    if op in ("eq", "lt", "ge", "logical_and", "logical_or"):
        dtype, rg = "bool", False
    elif op in ("div", "atan2", "lerp") and dtype not in FLOATS:
        dtype = "float32"
    out = s.add(shape, dtype, rg and dtype in FLOATS, leaf=not rg)
    symbol = BINARY[op]
    forms = ["function", "method"] + (["operator", "reflected"] if symbol else [])
    form = draw(st.sampled_from(forms))
    if op == "lerp":
        weight = draw(st.sampled_from(["0.5", "0.0", "1.5", x.name]))
        return Step(op, f"{out.name} = torch.lerp({x.name}, {other}, {weight})", (out.name,))
    if op == "pow" and form == "reflected" and other == "True":
        other = "2"  # PyTorch's backward of True ** t fails an internal assert (Scalar.cpp: unknown ivalue tag 4)
    if form == "operator":
        text = f"{x.name} {symbol} {other}"
    elif form == "reflected" and use_scalar:
        text = f"{other} {symbol} {x.name}"
    elif form == "method":
        text = f"{x.name}.{op}({other})"
    else:
        text = f"torch.{op}({x.name}, {other})"
    if op == "div" and draw(st.integers(0, 3)) == 0:
        mode = draw(st.sampled_from(["floor", "trunc"]))
        text = f"torch.div({x.name}, {other}, rounding_mode={mode!r})"
    return Step(op, f"{out.name} = {text}", (out.name,))


REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "std", "var", "logsumexp", "norm", "argmax", "argmin", "cumsum",
              "cumprod", "softmax", "log_softmax", "max", "min", "all", "any"]


def reduction(draw, s):
    x = _pick(draw, s.vars)
    op = draw(st.sampled_from(REDUCTIONS))
    whole = draw(st.booleans()) and op not in ("logsumexp", "cumsum", "cumprod", "softmax", "log_softmax")
    keepdim = draw(st.booleans())
    dim = _dim(draw, x)
    floaty = op in ("mean", "std", "var", "logsumexp", "norm", "softmax", "log_softmax")
    dtype = _float_result(x) if floaty else ("int64" if op in ("argmax", "argmin") else
                                             "bool" if op in ("all", "any") else
                                             "int64" if x.dtype == "bool" and op in ("sum", "prod", "cumsum") else
                                             x.dtype)
    rg = x.requires_grad and dtype in FLOATS
    if whole:
        out = s.add((), dtype, rg, leaf=not rg)
        return Step(op, f"{out.name} = {x.name}.{op}()", (out.name,))
    if op in ("cumsum", "cumprod", "softmax", "log_softmax"):
        out = s.add(x.shape, dtype, rg, leaf=not rg)
        return Step(op, f"{out.name} = {x.name}.{op}({dim})", (out.name,))
    shape = _reduced(x.shape, dim, keepdim)
    if op in ("max", "min"):
        values, indices = s.add(shape, x.dtype, rg, leaf=not rg), s.add(shape, "int64")
        return Step(f"{op}.dim", f"{values.name}, {indices.name} = {x.name}.{op}({dim}, keepdim={keepdim})",
                    (values.name, indices.name))
    out = s.add(shape, dtype, rg, leaf=not rg)
    extra = ", unbiased=False" if op in ("std", "var") and draw(st.booleans()) else ""
    return Step(op, f"{out.name} = {x.name}.{op}({dim}, keepdim={keepdim}{extra})", (out.name,))


def _view_result(s, x, shape, rg=None):
    rg = x.requires_grad if rg is None else rg
    return s.add(shape, x.dtype, rg, leaf=x.leaf and not x.requires_grad)


def view(draw, s):
    x = _pick(draw, s.vars)
    nd = len(x.shape)
    options = ["unsqueeze", "view", "reshape", "flatten", "expand", "detach", "alias", "squeeze", "contiguous"]
    if nd <= 2:
        options += ["t", "T"]
    if nd >= 1:
        options += ["transpose", "select", "slice", "narrow", "permute", "movedim", "unbind", "split", "chunk",
                    "flip", "roll"]
    if nd >= 2:
        options += ["diagonal", "mT", "select2"]
    op = draw(st.sampled_from(options))
    shape = x.shape
    if op == "unsqueeze":
        d = draw(st.integers(-nd - 1, nd))
        dd = d % (nd + 1)
        out = _view_result(s, x, shape[:dd] + (1,) + shape[dd:])
        return Step(op, f"{out.name} = {x.name}.unsqueeze({d})", (out.name,))
    if op in ("view", "reshape"):
        out = _view_result(s, x, (x.numel,))
        return Step(op, f"{out.name} = {x.name}.{op}(-1)", (out.name,))
    if op == "flatten":
        out = _view_result(s, x, (x.numel,) if nd else (1,))
        return Step(op, f"{out.name} = {x.name}.flatten()", (out.name,))
    if op == "expand":
        out = _view_result(s, x, (2,) + shape)
        return Step(op, f"{out.name} = {x.name}.expand(2, *{x.name}.shape)", (out.name,))
    if op == "detach":
        out = _view_result(s, x, shape, rg=False)
        return Step(op, f"{out.name} = {x.name}.detach()", (out.name,))
    if op in ("alias", "contiguous"):
        out = _view_result(s, x, shape)
        text = f"{x.name}[...]" if op == "alias" else f"{x.name}.contiguous()"
        return Step(op, f"{out.name} = {text}", (out.name,))
    if op == "squeeze":
        out = _view_result(s, x, tuple(n for n in shape if n != 1))
        return Step(op, f"{out.name} = {x.name}.squeeze()", (out.name,))
    if op in ("t", "T", "mT"):
        out = _view_result(s, x, tuple(reversed(shape)) if op != "mT" else shape[:-2] + (shape[-1], shape[-2]))
        text = f"{x.name}.t()" if op == "t" else f"{x.name}.{op}"
        return Step(op, f"{out.name} = {text}", (out.name,))
    if op == "transpose" or op == "movedim":
        a, b = _dim(draw, x), _dim(draw, x)
        new = list(shape)
        if op == "transpose":
            new[a], new[b] = new[b], new[a]
        else:
            new.insert(b % nd, new.pop(a % nd))
        out = _view_result(s, x, tuple(new))
        return Step(op, f"{out.name} = {x.name}.{op}({a}, {b})", (out.name,))
    if op in ("select", "select2", "slice", "narrow"):
        return _index_view(draw, s, x, op)
    if op == "permute":
        perm = draw(st.permutations(range(nd)))
        out = _view_result(s, x, tuple(shape[i] for i in perm))
        return Step(op, f"{out.name} = {x.name}.permute({', '.join(map(str, perm))})", (out.name,))
    if op in ("flip", "roll"):
        d = _dim(draw, x)
        out = _view_result(s, x, shape)
        text = f"{x.name}.flip({d})" if op == "flip" else f"{x.name}.roll(1, {d})"
        return Step(op, f"{out.name} = {text}", (out.name,))
    if op == "diagonal":
        out = _view_result(s, x, shape[2:] + (min(shape[0], shape[1]),))
        return Step(op, f"{out.name} = {x.name}.diagonal()", (out.name,))
    d = _dim(draw, x) % nd
    n = shape[d]
    if op == "unbind":
        if n == 0 or n > 3:
            return Step(op, f"{x.name}.unbind({d})")
        outs = [_view_result(s, x, shape[:d] + shape[d + 1:]) for _ in range(n)]
        names = ", ".join(o.name for o in outs)
        return Step(op, f"{names}, = {x.name}.unbind({d})", tuple(o.name for o in outs))
    size = draw(st.sampled_from([1, 2]))
    pieces = max(1, math.ceil(n / size)) if op == "split" else min(size, n) if n else 1
    if n == 0 or pieces > 3:
        return Step(op, f"{x.name}.{op}({size}, {d})")
    chunk = math.ceil(n / pieces) if op == "chunk" else size
    sizes = [min(chunk, n - i * chunk) for i in range(pieces)]
    outs = [_view_result(s, x, shape[:d] + (k,) + shape[d + 1:]) for k in sizes]
    names = ", ".join(o.name for o in outs)
    return Step(op, f"{names}, = {x.name}.{op}({size}, {d})", tuple(o.name for o in outs))


def _index_view(draw, s, x, op):
    d = _dim(draw, x) % len(x.shape)
    n = x.shape[d]
    lead = ":, " * d
    if op in ("select", "select2"):
        i = draw(st.integers(-max(n, 1), max(n, 1) - 1))
        rest = x.shape[:d] + x.shape[d + 1:]
        if op == "select2":  # x[i, j]: two dims at once, down to 0-d for a matrix
            j = draw(st.integers(0, max(x.shape[1] - 1, 0)))
            out = _view_result(s, x, x.shape[2:])
            return Step("index_ij", f"{out.name} = {x.name}[{i % max(x.shape[0], 1)}, {j}]", (out.name,))
        out = _view_result(s, x, rest)
        return Step("index_int", f"{out.name} = {x.name}[{lead}{i}]", (out.name,))
    start = draw(st.integers(-2, 2))
    if op == "narrow":
        length = draw(st.integers(0, 2))
        begin = start % n if n and -n <= start < n else 0
        out = _view_result(s, x, x.shape[:d] + (max(0, min(length, n - begin)),) + x.shape[d + 1:])
        return Step(op, f"{out.name} = {x.name}.narrow({d}, {start}, {length})", (out.name,))
    stop = draw(st.sampled_from([None, -1, 2, 5]))
    step = draw(st.sampled_from([1, 2]))
    size = len(range(*slice(start, stop, step).indices(n)))
    out = _view_result(s, x, x.shape[:d] + (size,) + x.shape[d + 1:])
    stop_text = "" if stop is None else str(stop)
    return Step("slice", f"{out.name} = {x.name}[{lead}{start}:{stop_text}:{step}]", (out.name,))


INPLACE_BINARY = ["add_", "sub_", "mul_", "div_", "copy_", "clamp_", "fill_", "masked_fill_", "+=", "*=", "pow_",
                  "lerp_", "setitem", "setitem_mask"]


def inplace(draw, s):
    x = _pick(draw, s.vars)
    op = draw(st.sampled_from(INPLACE_UNARY + INPLACE_BINARY))
    if op in INPLACE_UNARY:
        return Step(op, f"{x.name}.{op}()", mutates=True)
    partners = [v for v in s.vars if _broadcast(x.shape, v.shape) == x.shape]
    scalar = _scalar(draw, integer=x.dtype == "int64")
    other = _pick(draw, partners).name if partners and draw(st.booleans()) else scalar
    if op in ("+=", "*="):
        text = f"{x.name} {op} {other}"
    elif op == "clamp_":
        text = f"{x.name}.clamp_(min={scalar})"
    elif op == "fill_":
        text = f"{x.name}.fill_({scalar})"
    elif op == "masked_fill_":
        text = f"{x.name}.masked_fill_({x.name} > 0, {scalar})"
    elif op == "lerp_":
        text = f"{x.name}.lerp_({other}, 0.5)"
    elif op == "setitem":
        index = draw(st.sampled_from(["0", ":", "...", "-1", "1:", "::2"])) if x.shape else "..."
        text = f"{x.name}[{index}] = {other}"
    elif op == "setitem_mask":
        text = f"{x.name}[{x.name} > 0] = {scalar}"
    else:
        text = f"{x.name}.{op}({other})"
    if x.dtype not in FLOATS or other == scalar:
        pass
    else:
        y = next(v for v in s.vars if v.name == other) if other != scalar else None
        x.requires_grad = x.requires_grad or bool(y and y.requires_grad)
    return Step(op, text, mutates=True)


def shape_copy(draw, s):
    """Ops that make new tensors from others' elements: repeat, tril/triu, cat, stack, addcmul/addcdiv."""
    x = _pick(draw, s.vars)
    op = draw(st.sampled_from(["repeat", "tril", "triu", "cat", "stack", "addcmul", "addcdiv", "split_sizes"]))
    rg = x.requires_grad
    if op == "repeat":
        out = s.add((2,) + x.shape, x.dtype, rg, leaf=not rg)
        return Step(op, f"{out.name} = {x.name}.repeat(2, *([1] * {x.name}.dim()))", (out.name,))
    if op in ("tril", "triu"):
        k = draw(st.sampled_from([0, 1, -1]))
        out = s.add(x.shape, x.dtype, rg, leaf=not rg)
        return Step(op, f"{out.name} = {x.name}.{op}({k})", (out.name,))
    if op in ("cat", "stack"):
        y = _pick(draw, s.tensors(lambda v: v.shape == x.shape)) or x
        out = s.add(((2 * x.shape[0],) + x.shape[1:] if x.shape else ()) if op == "cat" else (2,) + x.shape,
                    x.dtype if x.dtype == y.dtype else "float32", rg or y.requires_grad, leaf=not rg)
        return Step(op, f"{out.name} = torch.{op}([{x.name}, {y.name}])", (out.name,))
    if op == "split_sizes":
        n = x.shape[0] if x.shape else 0
        if not 1 <= n <= 3:
            return Step(op, f"{x.name}.split([1, 1])")
        first = s.add((1,) + x.shape[1:], x.dtype, rg, leaf=not rg)
        rest = s.add((n - 1,) + x.shape[1:], x.dtype, rg, leaf=not rg)
        return Step(op, f"{first.name}, {rest.name} = {x.name}.split([1, {n - 1}])", (first.name, rest.name))
    partners = [v for v in s.vars if _broadcast(x.shape, v.shape) is not None]
    a, b = _pick(draw, partners), _pick(draw, partners)
    shape = _broadcast(_broadcast(x.shape, a.shape) or x.shape, b.shape) or x.shape
    out = s.add(shape, x.dtype, rg or a.requires_grad or b.requires_grad, leaf=not rg)
    value = draw(st.sampled_from(["", ", value=0.5", ", value=-2"]))
    return Step(op, f"{out.name} = torch.{op}({x.name}, {a.name}, {b.name}{value})", (out.name,))


IMAGE = (1, 2, 3, 3)


def nn_ops(draw, s):
    """Convolution, pooling, padding, normalization and embedding on a small image of their own."""
    dtype = draw(st.sampled_from(FLOATS))
    values = _draw_values(draw, math.prod(IMAGE), dtype)
    x = s.add(IMAGE, dtype, True)
    make = Step("tensor", f"{x.name} = torch.tensor({_literal(_nested(values, IMAGE), dtype)}, dtype=torch.{dtype}, "
                          "requires_grad=True)", (x.name,))
    op = draw(st.sampled_from(["conv2d", "max_pool2d", "avg_pool2d", "pad_constant", "pad_reflect", "pad_replicate",
                               "layer_norm", "embedding", "det", "inv", "vector_norm", "addmm"]))
    name = s.new_name()
    text = {
        "conv2d": f"F.conv2d({x.name}, torch.ones(1, 2, 2, 2, dtype=torch.{dtype}), padding=1)",
        "max_pool2d": f"F.max_pool2d({x.name}, 2, stride=1)",
        "avg_pool2d": f"F.avg_pool2d({x.name}, 2, padding=1)",
        "pad_constant": f"F.pad({x.name}, (1, 0, 0, 1), value=0.5)",
        "pad_reflect": f"F.pad({x.name}, (1, 1), mode='reflect')",
        "pad_replicate": f"F.pad({x.name}, (1, 1, 1, 1), mode='replicate')",
        "layer_norm": f"F.layer_norm({x.name}, (3,))",
        "embedding": f"F.embedding(torch.tensor([[0, 2], [1, 1]]), {x.name}[0, 0])",
        "det": f"torch.linalg.det({x.name})",
        "inv": f"torch.linalg.inv({x.name}[0, 0] + torch.eye(3, dtype=torch.{dtype}))",
        "vector_norm": f"torch.linalg.vector_norm({x.name}, ord={draw(st.sampled_from([2, 1, 0, 'inf', 3]))!s}"
                       .replace("ord=inf", "ord=float('inf')") + ", dim=-1)",
        "addmm": f"torch.addmm({x.name}[0, 0, 0], {x.name}[0, 0], {x.name}[0, 1])",
    }[op]
    s.vars.append(Var(name, (), dtype, True, False))  # its shape is not tracked: reductions and backward still work
    return [make, Step(op, f"{name} = {text}", (name,))]


def linear_algebra(draw, s):
    x = _pick(draw, s.tensors(lambda v: 1 <= len(v.shape) <= 3))
    if x is None:
        return leaf(draw, s)
    op = draw(st.sampled_from(["matmul", "mm", "dot", "outer", "bmm", "tensordot", "einsum", "mv"]))
    k = x.shape[-1]
    shape = draw(st.sampled_from([(k,), (k, 2), (2, k, 1)[:2] if False else (1, k, 2)]))
    dtype = x.dtype if x.floating else "float32"
    data = _literal(_nested([1.0 + (i % 3) * 0.5 for i in range(math.prod(shape))], shape), dtype)
    y = s.add(shape, dtype)
    const = Step("tensor", f"{y.name} = torch.tensor({data}, dtype=torch.{dtype})", (y.name,))
    rg = x.requires_grad
    if op == "einsum" and len(x.shape) == 2 and len(shape) == 2:
        out = s.add((x.shape[0], 2), dtype, rg, leaf=not rg)
        return [const, Step(op, f"{out.name} = torch.einsum('ij,jk->ik', {x.name}, {y.name})", (out.name,))]
    if op == "tensordot":
        out = s.add(x.shape[:-1] + shape[1:], dtype, rg, leaf=not rg)
        return [const, Step(op, f"{out.name} = torch.tensordot({x.name}, {y.name}, dims=1)", (out.name,))]
    if op in ("mm", "bmm", "mv", "dot", "outer"):
        out = s.add((), dtype, rg, leaf=not rg)  # shape unknown when the ranks do not fit: the error is compared
        return [const, Step(op, f"{out.name} = torch.{op}({x.name}, {y.name})", (out.name,))]
    try:
        import numpy as np
        result = np.matmul(np.zeros(x.shape), np.zeros(shape)).shape
    except ValueError:
        result = ()
    out = s.add(result, dtype, rg, leaf=not rg)
    return [const, Step(op, f"{out.name} = {x.name} @ {y.name}", (out.name,))]


def indexing(draw, s):
    x = _pick(draw, s.tensors(lambda v: len(v.shape) >= 1))
    if x is None:
        return leaf(draw, s)
    d = _dim(draw, x) % len(x.shape)
    n = x.shape[d]
    op = draw(st.sampled_from(["gather", "scatter_add", "scatter", "index_select", "take_along_dim", "where",
                               "masked_select", "masked_scatter", "index_list", "index_bool", "index_add"]))
    index_shape = tuple(min(k, 1) if i != d else 2 for i, k in enumerate(x.shape))
    values = [draw(st.integers(0, max(n - 1, 0))) for _ in range(math.prod(index_shape))]
    idx = f"torch.tensor({_literal(_nested(values, index_shape), 'int64')})"
    rg = x.requires_grad
    if op == "gather" or op == "take_along_dim":
        out = s.add(index_shape, x.dtype, rg, leaf=not rg)
        text = f"{x.name}.gather({d}, {idx})" if op == "gather" else f"torch.take_along_dim({x.name}, {idx}, dim={d})"
        return Step(op, f"{out.name} = {text}", (out.name,))
    if op in ("scatter_add", "scatter", "index_add"):
        src = _pick(draw, s.tensors(lambda v: v.shape == index_shape and v.dtype == x.dtype))
        src_text = src.name if src else f"torch.ones({index_shape}, dtype=torch.{x.dtype})"
        out = s.add(x.shape, x.dtype, rg or bool(src and src.requires_grad), leaf=not rg)
        if op == "index_add":
            flat = f"torch.tensor({values[:1] * 1})"
            text = f"{x.name}.index_add({d}, {flat}, {x.name}.narrow({d}, 0, 1))"
        else:
            text = f"torch.{op}({x.name}, {d}, {idx}, {src_text})"
        return Step(op, f"{out.name} = {text}", (out.name,))
    if op == "index_select":
        out = s.add(x.shape[:d] + (2,) + x.shape[d + 1:], x.dtype, rg, leaf=not rg)
        return Step(op, f"{out.name} = {x.name}.index_select({d}, torch.tensor({values[:2] or [0, 0]}))",
                    (out.name,))
    if op == "where":
        y = _pick(draw, [v for v in s.vars if _broadcast(x.shape, v.shape) is not None])
        out = s.add(_broadcast(x.shape, y.shape), x.dtype, rg or y.requires_grad, leaf=not rg)
        return Step(op, f"{out.name} = torch.where({x.name} > 0, {x.name}, {y.name})", (out.name,))
    if op == "masked_select":
        out = s.add((0,), x.dtype, rg, leaf=not rg)
        return Step(op, f"{out.name} = {x.name}.masked_select({x.name} > 0)", (out.name,))
    if op == "masked_scatter":
        n = math.prod(x.shape)
        src = _pick(draw, s.tensors(lambda v: v.dtype == x.dtype and math.prod(v.shape) >= n))
        src_text = src.name if src else f"torch.ones({n}, dtype=torch.{x.dtype})"
        out = s.add(x.shape, x.dtype, rg or bool(src and src.requires_grad), leaf=not rg)
        return Step(op, f"{out.name} = {x.name}.masked_scatter({x.name} > 0, {src_text})", (out.name,))
    if op == "index_bool":
        out = s.add((0,), x.dtype, rg, leaf=not rg)
        return Step(op, f"{out.name} = {x.name}[{x.name} > 0]", (out.name,))
    picks = [draw(st.integers(0, max(x.shape[0] - 1, 0))) for _ in range(2)]
    out = s.add((2,) + x.shape[1:], x.dtype, rg, leaf=not rg)
    return Step(op, f"{out.name} = {x.name}[{picks}]", (out.name,))


LOSSES = ["mse_loss", "l1_loss", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss"]


def loss(draw, s):
    x = _pick(draw, s.tensors(lambda v: v.floating))
    if x is None:
        return leaf(draw, s)
    op = draw(st.sampled_from(LOSSES))
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    rg = x.requires_grad
    if op in ("cross_entropy", "nll_loss"):
        classes = x.shape[-1] if x.shape else 1
        batch = x.shape[0] if len(x.shape) == 2 else None
        n = batch if batch is not None else 1
        labels = [draw(st.integers(0, max(classes - 1, 0))) for _ in range(n)]
        target = f"torch.tensor({labels if batch is not None else labels[0]})"
        out = s.add(() if reduction != "none" else ((batch,) if batch is not None else ()), x.dtype, rg,
                    leaf=not rg)
        return Step(op, f"{out.name} = F.{op}({x.name}, {target}, reduction={reduction!r})", (out.name,))
    partners = [v for v in s.vars if v.floating and _broadcast(x.shape, v.shape) is not None]
    y = _pick(draw, partners)
    shape = _broadcast(x.shape, y.shape)
    out = s.add(() if reduction != "none" else shape, x.dtype, rg or y.requires_grad, leaf=not rg)
    return Step(op, f"{out.name} = F.{op}({x.name}, {y.name}, reduction={reduction!r})", (out.name,))


def _differentiable(s):
    return s.tensors(lambda v: v.requires_grad and v.floating)


def backward(draw, s, y=None):
    y = y or _pick(draw, _differentiable(s))
    if y is None:
        return leaf(draw, s)
    how = draw(st.sampled_from(["sum", "sum", "gradient", "gradient_dtype", "plain"]))
    options = []
    if draw(st.booleans()):
        options.append("retain_graph=True")
    if draw(st.integers(0, 3)) == 0:
        options.append("create_graph=True")
    if draw(st.integers(0, 3)) == 0:
        inputs = [v.name for v in _differentiable(s) if v is not y][:2]
        if inputs:
            options.append(f"inputs=[{', '.join(inputs)}]")
    opts = ", ".join(options)
    if how == "sum":
        return Step("backward", f"{y.name}.sum().backward({opts})", mutates=True)
    if how == "plain":
        return Step("backward.plain", f"{y.name}.backward({opts})", mutates=True)
    dtype = "float64" if how == "gradient_dtype" else y.dtype
    grad = f"torch.ones_like({y.name}, dtype=torch.{dtype})" if how == "gradient_dtype" else \
        f"torch.full_like({y.name}, {_scalar(draw)})"
    sep = ", " if opts else ""
    return Step(f"backward.{how}", f"{y.name}.backward({grad}{sep}{opts})", mutates=True)


def autograd_grad(draw, s):
    y = _pick(draw, _differentiable(s))
    if y is None:
        return leaf(draw, s)
    wrt = [v for v in _differentiable(s)]
    chosen = draw(st.lists(st.sampled_from(wrt), min_size=1, max_size=3, unique_by=lambda v: v.name))
    options = ["allow_unused=True"] if draw(st.booleans()) else []
    if draw(st.booleans()):
        options.append("retain_graph=True")
    if draw(st.integers(0, 2)) == 0:
        options.append("create_graph=True")
    outs = [s.add(v.shape, v.dtype, "create_graph=True" in options, leaf=True) for v in chosen]
    outputs = f"{y.name}.sum()" if draw(st.booleans()) else y.name
    if outputs == y.name and y.numel != 1:
        options.append(f"grad_outputs=torch.ones_like({y.name})")
    names = ", ".join(o.name for o in outs)
    inputs = ", ".join(v.name for v in chosen)
    return Step("autograd.grad", f"{names}, = torch.autograd.grad({outputs}, [{inputs}], {', '.join(options)})",
                tuple(o.name for o in outs), mutates=True)


def autograd_state(draw, s):
    x = _pick(draw, s.vars)
    op = draw(st.sampled_from(["detach_", "requires_grad_", "retain_grad", "grad_none", "grad_zero", "register_hook",
                               "register_hook", "remove_hook", "requires_grad_false", "grad_read", "version",
                               "is_leaf"]))
    if op == "detach_":
        x.requires_grad = False
        return Step(op, f"{x.name}.detach_()", mutates=True)
    if op == "requires_grad_":
        x.requires_grad = x.requires_grad or x.floating
        return Step(op, f"{x.name}.requires_grad_()", mutates=True)
    if op == "requires_grad_false":
        return Step(op, f"{x.name}.requires_grad_(False)", mutates=True)
    if op == "retain_grad":
        return Step(op, f"{x.name}.retain_grad()", mutates=True)
    if op == "grad_none":
        return Step(op, f"{x.name}.grad = None", mutates=True)
    if op == "grad_zero":
        return Step(op, f"if {x.name}.grad is not None:\n    {x.name}.grad.zero_()", mutates=True)
    if op == "grad_read":
        out = s.new_name()
        return Step(op, f"{out} = {x.name}.grad", (out,))
    if op in ("version", "is_leaf"):
        out = s.new_name("v")
        attr = "_version" if op == "version" else "is_leaf"
        return Step(op, f"{out} = {x.name}.{attr}", (out,))
    if op == "remove_hook":
        if not s.hooks:
            return Step(op, f"{x.name}.register_hook(lambda g: _hook('{x.name}', g))", mutates=True)
        return Step(op, f"{draw(st.sampled_from(s.hooks))}.remove()")
    handle = s.new_name("h")
    s.hooks.append(handle)
    body = draw(st.sampled_from(["_hook('{h}', g)", "(_hook('{h}', g), g * 2)[1]", "(_hook('{h}', g), -g)[1]",
                                 "(_hook('{h}', g), g.clone().zero_())[1]"])).format(h=handle)
    return Step(op, f"{handle} = {x.name}.register_hook(lambda g: {body})", (), mutates=True)


MODES = ["torch.no_grad()", "torch.enable_grad()", "torch.inference_mode()", "torch.set_grad_enabled(False)"]


def grad_mode(draw, s):
    mode = draw(st.sampled_from(MODES))
    inner_family = draw(st.sampled_from([unary, binary, view, inplace, reduction, backward]))
    steps = inner_family(draw, s)
    steps = steps if isinstance(steps, list) else [steps]
    if mode in ("torch.no_grad()", "torch.set_grad_enabled(False)", "torch.inference_mode()"):
        for name in (t for step in steps for t in step.targets):
            v = next((v for v in s.vars if v.name == name), None)
            if v is not None:
                v.requires_grad, v.leaf = False, True
    body = "\n".join("    " + line for step in steps for line in step.lines)
    head = mode.split("(")[0].replace("torch.", "")
    return Step(f"{head}:{steps[-1].kind}", f"with {mode}:\n{body}", tuple(t for st_ in steps for t in st_.targets),
                mutates=any(st_.mutates for st_ in steps))


def printing(draw, s):
    x = _pick(draw, s.vars)
    out = s.new_name("p")
    form = draw(st.sampled_from(["repr", "item", "tolist", "shape", "dtype", "float"]))
    text = {"repr": f"repr({x.name})", "item": f"{x.name}.item()", "tolist": f"{x.name}.tolist()",
            "shape": f"{x.name}.shape", "dtype": f"{x.name}.dtype", "float": f"float({x.name})"}[form]
    return Step(form, f"{out} = {text}", (out,))


# (family, weight): leaves and ops most often, autograd steps often, the rest now and then
FAMILIES = [(leaf, 3), (unary, 4), (functional_unary, 2), (binary, 5), (reduction, 3), (view, 5), (inplace, 3),
            (linear_algebra, 1), (indexing, 2), (loss, 1), (shape_copy, 2), (nn_ops, 1), (backward, 4), (autograd_grad, 2), (autograd_state, 3),
            (grad_mode, 2), (printing, 1)]
_WEIGHTED = [f for f, w in FAMILIES for _ in range(w)]


@st.composite
def programs(draw, max_steps=MAX_STEPS):
    """A program: a list of Steps, starting with one or two leaves."""
    s = _State()
    steps = [leaf(draw, s)]
    if draw(st.booleans()):
        steps.append(leaf(draw, s))
    for _ in range(draw(st.integers(1, max_steps - len(steps)))):
        family = draw(st.sampled_from(_WEIGHTED))
        made = family(draw, s)
        steps.extend(made if isinstance(made, list) else [made])
    last = _differentiable(s)[-1:]
    if last and draw(st.integers(0, 3)):  # most programs end as autograd programs do: backward from the last result
        steps.append(backward(draw, s, last[0]))
    return steps
