"""Bad calls of every public function and Tensor method, generated (OpInfo's ErrorInput idea): a string,
None or a list where the first argument goes, no argument at all, too many, an unknown keyword; a dim out
of range wherever a function takes one; shapes that do not broadcast wherever two tensors meet. Each must
raise PyTorch's exception with PyTorch's message (its argument parser's words: "argument 'input' (position 1) must be Tensor, not str",
"missing 1 required positional arguments"), never an AttributeError from the engine's insides.

The functions are listed by how PyTorch's parser answers them; tests/test_argument_errors.py checks that
every public function and method of refgrad is in one of the lists.
"""
from . import scenario

# Functions with one signature PyTorch's parser can name the bad argument of.
PARSED = (
    "abs", "absolute", "acos", "allclose", "amax", "amin", "arctan2", "argmax", "argmin", "as_tensor", "asin", "atan",
    "atan2", "bitwise_not", "broadcast_to", "can_cast", "cat", "ceil", "chunk", "clone", "concat", "concatenate", "cos",
    "cosh", "cumprod", "cumsum", "det", "diagonal", "dot", "einsum", "empty", "empty_like", "equal", "erf", "exp",
    "exp2", "expm1", "flatten", "flip", "floor", "full_like", "gather", "ger", "get_default_device",
    "get_default_dtype", "index_add", "index_select", "initial_seed", "inverse", "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled", "is_grad_enabled", "is_inference_mode_enabled", "is_tensor", "isclose", "isfinite", "isinf",
    "isnan", "isneginf", "isposinf", "kthvalue", "log", "log10", "log1p", "log2", "log_softmax", "logical_and",
    "logical_not", "logical_or", "logical_xor", "logsumexp", "manual_seed", "masked_scatter", "masked_select", "matmul",
    "maximum", "median", "minimum", "mode", "msort", "mul", "mv", "neg", "negative", "norm", "numel", "ones",
    "ones_like", "outer", "permute", "promote_types", "reciprocal", "relu", "relu_", "reshape", "roll", "rsqrt", "scatter_add",
    "seed", "select", "set_anomaly_enabled", "set_default_device", "set_default_dtype", "set_printoptions", "sgn",
    "sigmoid", "sign", "sin", "sinh", "softmax", "split", "sqrt", "square", "stack", "swapaxes", "swapdims", "t",
    "take_along_dim", "tan", "tanh", "tensor", "tensordot", "topk", "transpose", "tril", "triu", "trunc", "unbind",
    "unflatten", "unsqueeze", "vmap", "zeros", "zeros_like"
)
# Functions with several signatures: PyTorch names the bad argument of the one signature whose argument count
# fits, or lists them all ("received an invalid combination of arguments ... expected one of"); and factories
# whose first argument is typed (arange's Number end, full's tuple of ints size).
OVERLOADED = (
    "add", "addcdiv", "addcmul", "addmm", "all", "any", "arange", "argsort", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bmm", "clamp", "clamp_max", "clamp_min", "clip", "div", "divide", "eq", "eye", "floor_divide", "fmod",
    "from_numpy", "full", "ge", "gt", "le", "lerp", "linspace", "lt", "masked_fill", "max", "mean", "min", "mm",
    "moveaxis", "movedim", "multiply", "narrow", "ne", "normal", "pow", "prod", "rand", "rand_like", "randint", "randn",
    "randn_like", "randperm", "remainder", "result_type", "round", "rsub", "scatter", "sort", "squeeze", "std", "sub", "subtract",
    "sum", "true_divide", "var", "where"
)
PROBES = {"str": ("a",), "none": (None,), "list": ([1.5, 2.0],), "no_arguments": ()}
# Called right, they return a random seed or fill with random numbers: the result's type is what is compared.
RANDOM_RESULT = {"seed", "initial_seed", "normal_", "uniform_"}


def _probe_all(torch, rec, names):
    try:
        for name in names:
            fn = getattr(torch, name)
            for probe, args in PROBES.items():
                call = (lambda: type(fn(*args)).__name__) if name in RANDOM_RESULT else (lambda: fn(*args))
                rec.raises(f"{name}.{probe}", call)
    finally:  # set_printoptions("a") is accepted by both engines, and would spoil every later repr
        torch.set_default_dtype(torch.float32)
        torch.set_default_device(None)
        torch.set_printoptions(profile="default")


@scenario(dtypes=("float32",))
def functions(torch, rec):
    _probe_all(torch, rec, PARSED)


@scenario(dtypes=("float32",))
def overloaded_functions(torch, rec):
    _probe_all(torch, rec, OVERLOADED)


# Functions whose second argument is a dim, and those that take two broadcastable tensors.
DIM_SECOND = ("sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "max", "min", "std", "var", "logsumexp",
              "softmax", "log_softmax", "cumsum", "cumprod", "all", "any", "squeeze", "unsqueeze", "flatten",
              "unbind", "norm")
BINARY = ("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
          "fmod", "pow", "atan2", "arctan2", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
          "logical_and", "logical_or", "rsub")


@scenario(dtypes=("float32",))
def dims_out_of_range(torch, rec):
    """A dim past the tensor's dims, in every function that takes one: PyTorch's IndexError, its range."""
    x = rec.tensor(2, 3)
    index = torch.tensor([0])
    for name in DIM_SECOND:
        rec.raises(f"{name}.dim_5", lambda: getattr(torch, name)(x, 5))
        rec.raises(f"{name}.dim_-3", lambda: getattr(torch, name)(x, -3))
    calls = {
        "narrow": lambda: torch.narrow(x, 2, 0, 1), "select": lambda: torch.select(x, -3, 0),
        "transpose": lambda: torch.transpose(x, 0, 2), "movedim": lambda: torch.movedim(x, 2, 0),
        "diagonal": lambda: torch.diagonal(x, 0, 0, 2), "index_select": lambda: torch.index_select(x, 2, index),
        "gather": lambda: torch.gather(x, 2, index.reshape(1, 1)), "cat": lambda: torch.cat([x, x], 2),
        "stack": lambda: torch.stack([x, x], 4), "split": lambda: torch.split(x, 1, 2),
        "chunk": lambda: torch.chunk(x, 2, -3), "roll": lambda: torch.roll(x, 1, 2), "flip": lambda: torch.flip(x, (2,)),
        "scatter_add": lambda: torch.scatter_add(x, 2, index.reshape(1, 1), x[:1, :1]),
        "take_along_dim": lambda: torch.take_along_dim(x, index.reshape(1, 1), 2),
        "index_add": lambda: torch.index_add(x, 2, index, x[:, :1]), "permute": lambda: torch.permute(x, (0, 2)),
        "unflatten": lambda: torch.unflatten(x, 2, (1, 3)), "tensor_0d": lambda: torch.sum(torch.tensor(1.0), 1),
    }
    for name, call in calls.items():
        rec.raises(name, call)


@scenario(dtypes=("float32",))
def shapes_that_do_not_broadcast(torch, rec):
    """Two tensors whose shapes do not broadcast, in every binary elementwise function: TensorIterator's words."""
    a, b = rec.tensor(2, 3), rec.tensor(4)
    for name in BINARY:
        rec.raises(name, lambda: getattr(torch, name)(a > 0 if name.startswith("logical") else a,
                                                       b > 0 if name.startswith("logical") else b))
    calls = {"where": lambda: torch.where(a > 0, a, b), "lerp": lambda: torch.lerp(a, b, 0.5),
             "addcmul": lambda: torch.addcmul(a, a, b), "addcdiv": lambda: torch.addcdiv(a, b, a),
             "clamp": lambda: torch.clamp(a, b), "masked_fill": lambda: torch.masked_fill(a, b > 0, 1.0),
             "matmul": lambda: torch.matmul(a, b), "mm": lambda: torch.mm(a, a), "mv": lambda: torch.mv(a, b),
             "dot": lambda: torch.dot(b, b[:3]), "outer_ok": lambda: torch.outer(b, b[:3]).shape,
             "bmm": lambda: torch.bmm(a.unsqueeze(0), a.unsqueeze(0)), "cat": lambda: torch.cat([a, b]),
             "stack": lambda: torch.stack([a, a.t()]), "expand": lambda: b.expand(2, 3),
             "reshape": lambda: torch.reshape(a, (4, 2)), "broadcast_to": lambda: torch.broadcast_to(a, (3, 3))}
    for name, call in calls.items():
        rec.raises(name, call)


# Every Tensor method, called as Tensor.<name>(x, ...) (the form in which PyTorch's C methods name themselves
# TensorBase.<name>, as they do for x.<name>(...)); and those left out, with the reason.
METHODS = (
    "abs", "abs_", "absolute", "acos", "acos_", "add", "add_", "addcdiv", "addcmul", "addmm", "all", "allclose", "amax",
    "amin", "any", "arctan2", "argmax", "argmin", "argsort", "asin", "asin_", "atan", "atan2", "atan_", "backward",
    "bitwise_and", "bitwise_and_", "bitwise_not", "bitwise_not_", "bitwise_or", "bitwise_or_", "bitwise_xor",
    "bitwise_xor_", "bmm", "bool", "broadcast_to", "ceil", "ceil_", "chunk", "clamp", "clamp_", "clamp_max",
    "clamp_min", "clip", "clip_", "clone", "contiguous", "copy_", "cos", "cos_", "cosh", "cosh_", "cpu", "cumprod",
    "cumsum", "det", "detach", "detach_", "diagonal", "dim", "div", "div_", "divide", "dot", "double", "element_size",
    "eq", "equal", "erf", "erf_", "exp", "exp2", "exp2_", "exp_", "expand", "expand_as", "expm1", "expm1_", "fill_",
    "flatten", "flip", "float", "floor", "floor_", "floor_divide", "fmod", "gather", "ge", "ger", "get_device", "gt",
    "half", "index_add", "index_add_", "index_select", "int", "inverse", "is_complex", "is_contiguous",
    "is_floating_point", "is_inference", "isclose", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "item",
    "kthvalue", "le", "lerp", "lerp_", "log", "log10", "log10_", "log1p", "log1p_", "log2", "log2_", "log_",
    "log_softmax", "logical_and", "logical_and_", "logical_not", "logical_not_", "logical_or", "logical_or_",
    "logical_xor", "logical_xor_", "logsumexp", "long", "lt", "masked_fill", "masked_fill_", "masked_scatter",
    "masked_scatter_", "masked_select", "matmul", "max", "maximum", "mean", "median", "min", "minimum", "mm", "mode",
    "moveaxis", "movedim", "mul", "mul_", "multiply", "mv", "narrow", "ne", "neg", "neg_", "negative", "nelement",
    "new_empty", "new_full", "new_ones", "new_tensor", "new_zeros", "norm", "normal_", "numel", "numpy", "outer",
    "permute", "pow", "pow_", "prod", "reciprocal", "reciprocal_", "register_hook",
    "register_post_accumulate_grad_hook", "relu", "relu_", "remainder", "repeat", "requires_grad_", "reshape",
    "reshape_as", "retain_grad", "roll", "round", "round_", "rsqrt", "rsqrt_", "scatter", "scatter_add", "select",
    "sgn", "sgn_", "sigmoid", "sigmoid_", "sign", "sign_", "sin", "sin_", "sinh", "sinh_", "size", "softmax", "sort",
    "split", "sqrt", "sqrt_", "square", "squeeze", "std", "stride", "sub", "sub_", "subtract", "sum", "swapaxes",
    "swapdims", "t", "take_along_dim", "tan", "tan_", "tanh", "tanh_", "to", "tolist", "topk", "transpose", "tril",
    "triu", "true_divide", "trunc", "trunc_", "type", "unbind", "unflatten", "uniform_", "unsqueeze", "var", "view",
    "view_as", "where", "zero_"
)
METHODS_NOT_PROBED = {
    "cuda": "what it does depends on the build: torch without CUDA asserts, refgrad answers for its simulated device",
}
METHOD_PROBES = {"str": (("a",), {}), "none": ((None,), {}), "list": (([1.5, 2.0],), {}), "int": ((2,), {}),
                 "float": ((2.5,), {}), "too_many": ((1,) * 8, {}), "unknown_keyword": ((), {"bogus": 1})}
PROBES_NOT_RUN = {  # (method, probe): why
    ("to", "int"): "to(2) is a device index: what it does depends on the build (torch without CUDA raises)",
    ("to", "float"): "follows to(2): the device-index overloads are not compared on a CPU build",
    ("new_full", "int"): "PyTorch's parser refuses one int for new_full's size (only a fixed-size int list takes one); "
                         "refgrad's takes it for every int list",
    **{("new_empty", probe): "new_empty(2) is uninitialised memory" for probe in ("int", "too_many")},
}


@scenario(dtypes=("float32",))
def methods(torch, rec):
    """Each method with each bad call, on a fresh 2x2 tensor (a probe that succeeds may change it)."""
    for name in METHODS:
        method = getattr(torch.Tensor, name)
        for probe, (args, kwargs) in METHOD_PROBES.items():
            if (name, probe) in PROBES_NOT_RUN:
                continue
            x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
            call = lambda: method(x, *args, **kwargs)  # noqa: E731
            rec.raises(f"{name}.{probe}", (lambda: type(call()).__name__) if name in RANDOM_RESULT else call)


@scenario(dtypes=("float32",))
def tensor_arguments_given_numbers(torch, rec):
    """Functions whose every signature takes a tensor `other` refuse a Python number there (positionally or by
    keyword), and view/reshape/permute (and friends) refuse a call without their sizes."""
    t = rec.tensor(2)
    for name in ("maximum", "minimum", "atan2", "logical_and", "logical_or"):
        fn = getattr(torch, name)
        for value in (True, 2, 2.5):
            rec.raises(f"{name}.{value!r}", lambda: fn(t, value))
        rec.raises(f"{name}.keyword", lambda: fn(t, other=2))
        rec.raises(f"{name}.number_first", lambda: fn(2, t))
    rec.raises("max.keyword_other", lambda: torch.max(t, other=2))
    scalar = rec.tensor()
    for name in ("view", "reshape", "permute", "flip", "expand", "repeat"):
        rec.raises(f"{name}()", lambda: getattr(t, name)())
        rec.raises(f"{name}()_0d", lambda: getattr(scalar, name)())
    rec.raises("torch.reshape(t)", lambda: torch.reshape(t))
    rec.raises("torch.permute(t)", lambda: torch.permute(t))


@scenario(dtypes=("float32",))
def non_tensors_after_the_first_argument(torch, rec):
    """None, a number or a str given for a tensor parameter after the first, to functions and methods: PyTorch's
    parser judges every argument (pow's overloads are listed; index_add's one signature names `index`),
    tensordot hands its operands to ATen after reading dims, einsum names the element of its operand list."""
    T = lambda: torch.ones(2, 2)  # noqa: E731
    index = lambda: torch.zeros(2, 2, dtype=torch.int64)  # noqa: E731
    mask = lambda: torch.ones(2, 2, dtype=torch.bool)  # noqa: E731
    calls = {
        "outer": lambda v: torch.outer(torch.ones(2), v), "ger": lambda v: torch.ger(torch.ones(2), v),
        "scatter_add": lambda v: torch.scatter_add(T(), 0, index(), v),
        "index_select": lambda v: torch.index_select(T(), 0, v),
        "index_add.source": lambda v: torch.index_add(T(), 0, torch.tensor([0]), v),
        "index_add.index": lambda v: torch.index_add(T(), 0, v, T()),
        "masked_select": lambda v: torch.masked_select(T(), v),
        "masked_scatter.mask": lambda v: torch.masked_scatter(T(), v, T()),
        "masked_scatter.source": lambda v: T().masked_scatter_(mask(), v), "take_along_dim": lambda v: torch.take_along_dim(T(), v, 0),
        "equal": lambda v: torch.equal(T(), v), "gather": lambda v: torch.gather(T(), 0, v),
        "pow": lambda v: torch.pow(T(), v), "mul": lambda v: torch.mul(T(), v), "where": lambda v: torch.where(mask(), T(), v),
        "tensordot.dims_list": lambda v: torch.tensordot(T(), v, dims=([0], [0])),
        "tensordot.first": lambda v: torch.tensordot(v, T(), dims=([0], [0])),
        "tensordot.dims_int": lambda v: torch.tensordot(v, T(), dims=1),
        "tensordot.dims_tensor": lambda v: torch.tensordot(v, T(), dims=torch.tensor(1)),
        "einsum": lambda v: torch.einsum("ij,ij->", T(), v), "einsum_list": lambda v: torch.einsum("ij,ij->", [T(), v]),
        "einsum_first": lambda v: torch.einsum("ij->i", v),
        "method.index_add": lambda v: T().index_add(0, torch.tensor([0]), v), "method.outer": lambda v: torch.ones(2).outer(v),
    }
    for name, call in calls.items():
        for label, value in (("none", None), ("float", 1.5), ("str", "s")):
            rec.raises(f"{name}.{label}", lambda: call(value))


@scenario(dtypes=("float32",))
def overloads_listing_numbers(torch, rec):
    """PyTorch's listing of the overloads a bad call fits none of marks every value given for a Number
    parameter (a Python number or a tensor alike); a 0-d tensor that needs no grad passes as a Number."""
    t, mask = torch.ones(2), torch.ones(2) > 0
    calls = {"where_none": lambda: torch.where(mask, torch.ones(2, 2), None),
             "where_0d_none": lambda: torch.where(mask, torch.tensor(1.0), None),
             "where_none_0d": lambda: torch.where(mask, None, torch.tensor(1.0)),
             "where_float_none": lambda: torch.where(mask, 1.5, None), "where_str_float": lambda: torch.where(mask, "s", 1.5),
             "where_str_tensor": lambda: torch.where(mask, "s", torch.tensor(1.5)),
             "result_type_str_int": lambda: torch.result_type("s", 1), "result_type_tensor_str": lambda: torch.result_type(t, "s"),
             "add_alpha_0d": lambda: t.add(t, alpha=torch.tensor(2.0)), "add_alpha_1d": lambda: t.add(t, alpha=torch.ones(2)),
             "pow_none": lambda: torch.pow(t, None), "clamp_0d_str": lambda: torch.clamp(t, torch.tensor(1.0), "s")}
    for name, call in calls.items():
        rec.raises(name, call)


@scenario
def dtype_keyword_that_is_not_a_dtype(torch, rec):
    """A dtype keyword that is a string, an int or a class: PyTorch's parser names it ("argument 'dtype' must be
    torch.dtype, not str"), or lists an overloaded function's signatures; bad sizes are named before it."""
    t = torch.ones(2)
    calls = {"ones": lambda d: torch.ones(2, dtype=d), "zeros": lambda d: torch.zeros((2,), dtype=d),
             "empty": lambda d: torch.empty(2, dtype=d), "full": lambda d: torch.full((2,), 1.0, dtype=d),
             "tensor": lambda d: torch.tensor([1.0], dtype=d), "as_tensor": lambda d: torch.as_tensor([1.0], dtype=d),
             "arange": lambda d: torch.arange(3, dtype=d), "linspace": lambda d: torch.linspace(0, 1, 3, dtype=d),
             "eye": lambda d: torch.eye(2, dtype=d), "zeros_like": lambda d: torch.zeros_like(t, dtype=d),
             "ones_like": lambda d: torch.ones_like(t, dtype=d), "full_like": lambda d: torch.full_like(t, 2, dtype=d),
             "empty_like": lambda d: torch.empty_like(t, dtype=d), "rand": lambda d: torch.rand(2, dtype=d),
             "randn": lambda d: torch.randn(2, dtype=d), "randint": lambda d: torch.randint(3, (2,), dtype=d),
             "rand_like": lambda d: torch.rand_like(t, dtype=d), "sum": lambda d: t.sum(dtype=d),
             "softmax": lambda d: t.softmax(0, dtype=d), "to": lambda d: t.to(dtype=d),
             "ones_bad_size_first": lambda d: torch.ones("a", dtype=d)}
    for name, call in calls.items():
        for kind, value in (("str", "float32"), ("int", 5), ("class", type(torch.float32))):
            rec.raises(f"{name}.{kind}", lambda: call(value))


@scenario
def dims_of_a_0d_tensor(torch, rec):
    """A 0-d tensor takes dim 0 or -1 (as if it had one dim) in the reductions and dim-wise ops; others are out
    of range, with PyTorch's words."""
    t = torch.tensor(1.5)
    ops = {"argmax": lambda d: t.argmax(d), "argmin": lambda d: t.argmin(d), "sum": lambda d: t.sum(d),
           "mean": lambda d: t.mean(d), "amax": lambda d: t.amax(d), "softmax": lambda d: t.softmax(d),
           "cumsum": lambda d: t.cumsum(d), "logsumexp": lambda d: t.logsumexp(d), "unsqueeze": lambda d: t.unsqueeze(d),
           "squeeze": lambda d: t.squeeze(d), "max": lambda d: t.max(d), "prod": lambda d: t.prod(d)}
    for name, op in ops.items():
        for d in (0, -1, 1, -2):
            rec.raises(f"{name}.{d}", lambda: op(d))
