"""PyTorch's Python signatures of the functions that have several, and its argument parser's words when a
call fits none of them.

For a function with one signature a bad call names the bad argument ("argument 'input' (position 1) must
be Tensor, not str"; see _ops.parsed). With several, PyTorch looks for the signatures whose argument counts
fit the call: if exactly one does, it names the bad argument of that one; otherwise it lists them all
("received an invalid combination of arguments - got (str), but expected one of:"), saying under each
signature whose number of items equals the number of arguments given which of them did not match. The
signatures are those PyTorch 2.13 prints (hidden, deprecated ones are not printed and are left out).
"""
from dataclasses import dataclass

from . import _dtype as dt
from ._args import element_error
from ._tensor import Tensor

__all__ = ["SIGNATURES", "invalid_call", "rejected"]

_TABLE = {
    "add": (
        "(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)",
    ),
    "addcdiv": (
        "(Tensor input, Tensor tensor1, Tensor tensor2, *, Number value = 1, Tensor out = None)",
    ),
    "addcmul": (
        "(Tensor input, Tensor tensor1, Tensor tensor2, *, Number value = 1, Tensor out = None)",
    ),
    "addmm": (
        "(Tensor input, Tensor mat1, Tensor mat2, *, Number beta = 1, Number alpha = 1, Tensor out = None)",
        "(Tensor input, Tensor mat1, Tensor mat2, torch.dtype out_dtype, *, Number beta = 1, Number alpha = 1, Tensor out = None)",
    ),
    "all": (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, tuple of ints dim = None, bool keepdim = False, *, Tensor out = None)",
        "(Tensor input, int dim, bool keepdim = False, *, Tensor out = None)",
    ),
    "any": (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, tuple of ints dim = None, bool keepdim = False, *, Tensor out = None)",
        "(Tensor input, int dim, bool keepdim = False, *, Tensor out = None)",
    ),
    "arange": (
        "(Number end, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Number start, Number end, *, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Number start, Number end, Number step = 1, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "bmm": (
        "(Tensor input, Tensor mat2, *, Tensor out = None)",
        "(Tensor input, Tensor mat2, torch.dtype out_dtype, *, Tensor out = None)",
    ),
    "clamp": (
        "(Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)",
        "(Tensor input, Number min = None, Number max = None, *, Tensor out = None)",
    ),
    "clamp_max": (
        "(Tensor input, Tensor max, *, Tensor out = None)",
        "(Tensor input, Number max, *, Tensor out = None)",
    ),
    "clamp_min": (
        "(Tensor input, Tensor min, *, Tensor out = None)",
        "(Tensor input, Number min, *, Tensor out = None)",
    ),
    "clip": (
        "(Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)",
        "(Tensor input, Number min = None, Number max = None, *, Tensor out = None)",
    ),
    "div": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Tensor other, *, str rounding_mode, Tensor out = None)",
        "(Tensor input, Number other, *, str rounding_mode)",
    ),
    "divide": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Tensor other, *, str rounding_mode, Tensor out = None)",
        "(Tensor input, Number other)",
        "(Tensor input, Number other, *, str rounding_mode)",
    ),
    "eq": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "eye": (
        "(int n, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(int n, int m, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "floor_divide": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other)",
    ),
    "fmod": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "ge": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "gt": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "le": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "lerp": (
        "(Tensor input, Tensor end, Tensor weight, *, Tensor out = None)",
        "(Tensor input, Tensor end, Number weight, *, Tensor out = None)",
    ),
    "linspace": (
        "(Tensor start, Tensor end, int steps, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Number start, Tensor end, int steps, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Tensor start, Number end, int steps, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Number start, Number end, int steps, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "lt": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "masked_fill": (
        "(Tensor input, Tensor mask, Tensor value)",
        "(Tensor input, Tensor mask, Number value)",
    ),
    "max": (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)",
    ),
    "mean": (
        "(Tensor input, *, torch.dtype dtype = None, Tensor out = None)",
        "(Tensor input, tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)",
    ),
    "min": (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)",
    ),
    "mm": (
        "(Tensor input, Tensor mat2, *, Tensor out = None)",
        "(Tensor input, Tensor mat2, torch.dtype out_dtype, *, Tensor out = None)",
    ),
    "moveaxis": (
        "(Tensor input, int source, int destination)",
        "(Tensor input, tuple of ints source, tuple of ints destination)",
    ),
    "movedim": (
        "(Tensor input, int source, int destination)",
        "(Tensor input, tuple of ints source, tuple of ints destination)",
    ),
    "multiply": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other)",
    ),
    "narrow": (
        "(Tensor input, int dim, Tensor start, int length)",
        "(Tensor input, int dim, int start, int length)",
    ),
    "ne": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "normal": (
        "(Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)",
        "(Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None)",
        "(float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)",
        "(float mean, float std, tuple of ints size, *, torch.Generator generator = None, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "pow": (
        "(Tensor input, Tensor exponent, *, Tensor out = None)",
        "(Number self, Tensor exponent, *, Tensor out = None)",
        "(Tensor input, Number exponent, *, Tensor out = None)",
    ),
    "prod": (
        "(Tensor input, *, torch.dtype dtype = None)",
        "(Tensor input, int dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)",
    ),
    "rand": (
        "(tuple of ints size, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(tuple of ints size, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "rand_like": (
        "(Tensor input, *, torch.Generator generator, torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Tensor input, *, torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "randint": (
        "(int high, tuple of ints size, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(int high, tuple of ints size, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(int low, int high, tuple of ints size, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(int low, int high, tuple of ints size, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "randn": (
        "(tuple of ints size, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(tuple of ints size, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "randn_like": (
        "(Tensor input, *, torch.Generator generator, torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
        "(Tensor input, *, torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad = False)",
    ),
    "remainder": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Number self, Tensor other)",
        "(Tensor input, Number other, *, Tensor out = None)",
    ),
    "result_type": (
        "(Tensor tensor, Tensor other)",
        "(Number scalar, Tensor tensor)",
        "(Tensor tensor, Number other)",
        "(Number scalar1, Number scalar2)",
    ),
    "round": (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, *, int decimals, Tensor out = None)",
    ),
    "rsub": (
        "(Tensor input, Tensor other, *, Number alpha = 1)",
        "(Tensor input, Number other, Number alpha = 1)",
    ),
    "scatter": (
        "(Tensor input, int dim, Tensor index, Tensor src, *, Tensor out = None)",
        "(Tensor input, int dim, Tensor index, Tensor src, *, str reduce, Tensor out = None)",
        "(Tensor input, int dim, Tensor index, Number value, *, Tensor out = None)",
        "(Tensor input, int dim, Tensor index, Number value, *, str reduce, Tensor out = None)",
    ),
    "squeeze": (
        "(Tensor input)",
        "(Tensor input, int dim)",
        "(Tensor input, tuple of ints dim)",
    ),
    "std": (
        "(Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False, *, Tensor out = None)",
        "(Tensor input, tuple of ints dim = None, *, Number correction = None, bool keepdim = False, Tensor out = None)",
        "(Tensor input, bool unbiased = True)",
    ),
    "sub": (
        "(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)",
    ),
    "subtract": (
        "(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)",
        "(Tensor input, Number other, Number alpha = 1)",
    ),
    "sum": (
        "(Tensor input, *, torch.dtype dtype = None)",
        "(Tensor input, tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)",
    ),
    "true_divide": (
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other)",
    ),
    "var": (
        "(Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False, *, Tensor out = None)",
        "(Tensor input, tuple of ints dim = None, *, Number correction = None, bool keepdim = False, Tensor out = None)",
        "(Tensor input, bool unbiased = True)",
    ),
    "where": (
        "(Tensor condition)",
        "(Tensor condition, Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor condition, Number self, Tensor other)",
        "(Tensor condition, Tensor input, Number other)",
        "(Tensor condition, Number self, Number other)",
    ),
}


@dataclass(frozen=True)
class _Param:
    type: str
    name: str
    optional: bool
    keyword_only: bool


class Signature:
    """One printed signature, parsed: its parameters, and how many arguments it takes."""

    def __init__(self, text):
        self.text = text
        self.items = text[1:-1].split(", ") if text != "()" else []
        self.params, keyword_only = [], False
        for item in self.items:
            if item == "*":
                keyword_only = True
                continue
            declaration, _, default = item.partition(" = ")
            kind, name = declaration.rsplit(" ", 1)
            self.params.append(_Param(kind, name, bool(default), keyword_only))
        self.min_args = sum(not p.optional for p in self.params)
        self.max_args = len(self.params)


# Functions with one signature that PyTorch never prints (its parser always names the bad argument): their
# positional parameters.
_SOLE = {"full": "(tuple of ints size, Number fill_value)"}

SIGNATURES = {name: tuple(Signature(text) for text in texts) for name, texts in _TABLE.items()}
SIGNATURES.update({name: (Signature(text),) for name, text in _SOLE.items()})


def _matches(param, value):
    kind = param.type
    if value is None:
        return param.optional and param.name != "out"  # a parameter whose default is None takes None
    if kind == "Tensor":
        return isinstance(value, Tensor)
    if kind == "Number":
        return isinstance(value, (int, float, complex)) or isinstance(value, Tensor)
    if kind in ("int", "bool", "float", "str"):
        return type(value).__name__ == kind or kind == "float" and isinstance(value, int)
    if kind == "tuple of ints":
        return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, (list, tuple)) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value)
    if kind == "torch.dtype":
        return isinstance(value, dt.dtype)
    return False


def _described(value):
    """A value's type as the parser shows a mismatch: a list by the types of its elements."""
    if isinstance(value, (list, tuple)):
        kinds = list(dict.fromkeys(type(v).__name__ for v in value))
        return f"{type(value).__name__} of [{', '.join(kinds)}]"
    return type(value).__name__


def _single(name, signature, args, kwargs):
    """The one fitting signature's complaint: the first argument of a wrong type, else the missing ones."""
    positional = [p for p in signature.params if not p.keyword_only]
    for position, (param, value) in enumerate(zip(positional, args), 1):
        if not _matches(param, value):
            if param.type == "tuple of ints" and isinstance(value, (list, tuple)) and value:
                bad = next(i for i, v in enumerate(value) if not isinstance(v, int) or isinstance(v, bool))
                return element_error(name, param.name, position, bad, value[bad])
            return TypeError(f"{name}(): argument '{param.name}' (position {position}) must be {param.type}, not "
                             f"{type(value).__name__}")
    missing = [p.name for p in positional[len(args):] if not p.optional and p.name not in kwargs]
    return TypeError(f"{name}() missing {len(missing)} required positional argument{'s' if len(missing) == 1 else ''}"
                     f": {', '.join(chr(34) + m + chr(34) for m in missing)}")


def _marked(signature, args, kwargs):
    out = []
    for i, value in enumerate([*args, *kwargs.values()]):
        ok = i < len(signature.params) and _matches(signature.params[i], value)
        out.append(_described(value) if ok else f"!{_described(value)}!")
    return f"({', '.join(out)})"


def invalid_call(name, args, kwargs):
    """The TypeError PyTorch's parser raises for a call of `name` that fits none of its signatures."""
    signatures = SIGNATURES[name]
    given = len(args) + len(kwargs)
    plausible = [s for s in signatures if s.min_args <= given <= s.max_args]
    if name in _SOLE or len(plausible) == 1:
        return _single(name, plausible[0] if plausible else signatures[0], args, kwargs)
    got = f"({', '.join([type(a).__name__ for a in args] + [f'{k}={type(v).__name__}' for k, v in kwargs.items()])})"
    head = f"{name}() received an invalid combination of arguments - got {got}, but expected "
    if len(signatures) == 1:
        return TypeError(head + signatures[0].text)
    lines = [head + "one of:"]
    for s in signatures:
        lines.append(f" * {s.text}")
        if len(s.items) == given:
            lines.append(f"      didn't match because some of the arguments have invalid types: {_marked(s, args, kwargs)}")
    return TypeError("\n".join(lines) + "\n")


def _fits(signature, args, kwargs):
    positional = [p for p in signature.params if not p.keyword_only]
    if len(args) > len(positional):
        return False
    named = {p.name: p for p in signature.params}
    if any(k not in named or not _matches(named[k], v) for k, v in kwargs.items()):
        return False
    if not all(_matches(p, v) for p, v in zip(positional, args)):
        return False
    return all(p.optional or p.name in kwargs for p in positional[len(args):])


def rejected(name, args, kwargs):
    """PyTorch's TypeError for a call whose first argument is missing, a string, None or a list of non-ints
    and that fits none of the signatures of `name`, or None. Other calls are left to the function, which
    checks them itself (so a value the table would not know, a NumPy integer say, is not refused here)."""
    first = args[0] if args else None
    suspicious = not args or first is None or isinstance(first, str) or isinstance(first, (list, tuple)) and not all(
        isinstance(v, int) and not isinstance(v, bool) for v in first)
    if not suspicious or any(_fits(s, args, kwargs) for s in SIGNATURES[name]):
        return None
    return invalid_call(name, args, kwargs)
