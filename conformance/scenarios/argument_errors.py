"""Bad calls of every public function, generated (OpInfo's ErrorInput idea): a string, None or a list where
the first argument goes, and no argument at all. Each must raise PyTorch's exception with PyTorch's
message (its argument parser's words: "argument 'input' (position 1) must be Tensor, not str",
"missing 1 required positional arguments"), never an AttributeError from the engine's insides.

The functions are listed by how PyTorch's parser answers them; tests/test_argument_errors.py checks that
every public function of refgrad is in one of the lists.
"""
from . import scenario

# Functions with one signature PyTorch's parser can name the bad argument of.
PARSED = (
    "abs", "absolute", "acos", "amax", "amin", "arctan2", "argmax", "argmin", "as_tensor", "asin", "atan", "atan2",
    "broadcast_to", "can_cast", "cat", "ceil", "chunk", "clone", "concat", "concatenate", "cos", "cosh", "cumprod",
    "cumsum", "det", "diagonal", "dot", "einsum", "empty", "empty_like", "equal", "erf", "exp", "exp2", "expm1",
    "flatten", "flip", "floor", "full_like", "gather", "ger", "get_default_dtype", "index_add", "index_select",
    "initial_seed", "inverse", "is_grad_enabled", "is_inference_mode_enabled", "is_tensor", "isfinite", "isinf",
    "isnan", "isneginf", "isposinf", "log", "log10", "log1p", "log2", "log_softmax", "logical_and", "logical_or",
    "logsumexp", "manual_seed", "masked_select", "matmul", "maximum", "minimum", "mul", "mv", "neg", "negative",
    "norm", "numel", "ones", "ones_like", "outer", "permute", "promote_types", "reciprocal", "relu", "reshape",
    "roll", "rsqrt", "scatter_add", "seed", "select", "set_default_dtype", "set_printoptions", "sgn", "sigmoid",
    "sign", "sin", "sinh", "softmax", "split", "sqrt", "square", "stack", "t", "take_along_dim", "tan", "tanh",
    "tensor", "tensordot", "transpose", "tril", "triu", "trunc", "unbind", "unflatten", "unsqueeze", "zeros",
    "zeros_like",
)
# Functions with several signatures: PyTorch names the bad argument of the one signature whose argument count
# fits, or lists them all ("received an invalid combination of arguments ... expected one of"); and factories
# whose first argument is typed (arange's Number end, full's tuple of ints size).
OVERLOADED = (
    "add", "addcdiv", "addcmul", "addmm", "all", "any", "arange", "bmm", "clamp", "clamp_max", "clamp_min", "clip",
    "div", "divide", "eq", "eye", "floor_divide", "fmod", "ge", "gt", "le", "lerp", "linspace", "lt", "masked_fill",
    "max", "mean", "min", "mm", "moveaxis", "movedim", "multiply", "narrow", "ne", "normal", "pow", "prod", "rand",
    "rand_like", "randint", "randn", "randn_like", "remainder", "result_type", "round", "rsub", "scatter", "squeeze",
    "std", "sub", "subtract", "sum", "true_divide", "var", "where", "full", "from_numpy",
)
PROBES = {"str": ("a",), "none": (None,), "list": ([1.5, 2.0],), "no_arguments": ()}
RANDOM_RESULT = {"seed", "initial_seed"}  # called right, they return a random seed: its type is what is compared


def _probe_all(torch, rec, names):
    try:
        for name in names:
            fn = getattr(torch, name)
            for probe, args in PROBES.items():
                call = (lambda: type(fn(*args)).__name__) if name in RANDOM_RESULT else (lambda: fn(*args))
                rec.raises(f"{name}.{probe}", call)
    finally:  # set_printoptions("a") is accepted by both engines, and would spoil every later repr
        torch.set_default_dtype(torch.float32)
        torch.set_printoptions(profile="default")


@scenario(dtypes=("float32",))
def functions(torch, rec):
    _probe_all(torch, rec, PARSED)


@scenario(dtypes=("float32",))
def overloaded_functions(torch, rec):
    _probe_all(torch, rec, OVERLOADED)
