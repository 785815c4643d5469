"""Special values: NaN, ±inf, -0.0, empty and huge inputs, and integer and bool kernels, through forward and backward"""
from . import scenario

NAN, INF = float("nan"), float("inf")
FLOATS = ("float32", "float64")
INTEGER_DTYPES = ("bool", "int64", "int32", "float32")


def _grads(torch, rec, name, fn, *values, create_graph=False):
    """Records fn's output on leaves made of `values` and the gradients of a seeded weighted sum of it."""
    dtype = getattr(torch, rec.dtype)
    leaves = [torch.tensor(v, dtype=dtype, requires_grad=True) for v in values]
    out = fn(torch, *leaves)
    rec(f"{name}.y", out)
    weight = torch.tensor(rec.data(*out.shape, low=0.5, high=1.5), dtype=dtype)
    grads = torch.autograd.grad((out * weight).sum(), leaves, allow_unused=True, create_graph=create_graph)
    rec(f"{name}.grads", [g if g is None else g + 0 for g in grads])  # + 0: torch's zero gradient may be a ZeroTensor


@scenario(dtypes=FLOATS)
def linspace_steps(torch, rec):
    """linspace with one step is start; integer linspace truncates its bounds, then steps in float."""
    rec("one_step", torch.linspace(-1.0, 1.5, 1, dtype=getattr(torch, rec.dtype)))
    rec("one_step_default", torch.linspace(3, 7, steps=1))
    rec("two_steps", torch.linspace(-1.0, 1.5, 2, dtype=getattr(torch, rec.dtype)))
    rec("no_steps", torch.linspace(0.0, 1.0, 0))
    for dtype in ("int64", "int32"):
        rec(f"{dtype}.one_step", torch.linspace(-1.0, 1.5, 1, dtype=getattr(torch, dtype)))
        rec(f"{dtype}.uneven", torch.linspace(0, 10, 4, dtype=getattr(torch, dtype)))
        rec(f"{dtype}.descending", torch.linspace(2, -3, 5, dtype=getattr(torch, dtype)))
        rec(f"{dtype}.fractional_bounds", torch.linspace(-7.5, 7.9, 6, dtype=getattr(torch, dtype)))


@scenario(dtypes=FLOATS)
def floor_division(torch, rec):
    """Floor division is Python's (fmod-based): -1.0 // -0.05 is 19, 1.0 // -inf is -1; remainder is fmod
    shifted by the divisor; trunc division rounds the true quotient. Their gradients are zeros."""
    dtype = getattr(torch, rec.dtype)
    a = torch.tensor([-1.0, 1.0, 1.0, -1.0, 0.0, -0.0, 5.0, -5.0, 7.5, -3.0, INF, NAN], dtype=dtype)
    b = torch.tensor([-0.05, -INF, INF, INF, -2.0, 2.0, 0.0, 0.0, -2.5, 1.5, 2.0, 1.0], dtype=dtype)
    rec("div_floor", torch.div(a, b, rounding_mode="floor"))
    rec("floor_divide", torch.floor_divide(a, b))
    rec("operator", a // b)
    rec("scalar", a // -0.05)
    rec("reflected", 1.0 // b)
    rec("div_trunc", torch.div(a, b, rounding_mode="trunc"))
    rec("remainder", torch.remainder(a, b))
    rec("remainder_scalar", a % -INF)
    rec("fmod", torch.fmod(a, b))
    ints = torch.tensor([-7, 7, -1, 0, 5])
    rec("int_floor", torch.div(ints, torch.tensor([2, -2, 3, -4, 5]), rounding_mode="floor"))
    rec("int_trunc", torch.div(ints, torch.tensor([2, -2, 3, -4, 5]), rounding_mode="trunc"))
    rec("int_trunc_scalar", torch.div(ints, -2, rounding_mode="trunc"))
    _grads(torch, rec, "floor_grad", lambda t, x, y: t.div(x, y, rounding_mode="floor"),
           [-1.0, 1.0, 2.5], [-0.05, -INF, 0.5])


@scenario(dtypes=FLOATS)
def sign_of_nan(torch, rec):
    """sgn and sign of NaN are 0 (PyTorch's (0 < x) - (x < 0)), of -0.0 are 0.0; their gradient is zero."""
    values = [NAN, -0.0, 0.0, 1.5, -INF, INF]
    _grads(torch, rec, "sgn", lambda t, x: x.sgn(), values)
    _grads(torch, rec, "sign", lambda t, x: t.sign(x), values)
    x = torch.tensor(values, dtype=getattr(torch, rec.dtype))
    rec("sign_", x.clone().sign_())
    rec("abs", x.abs())


@scenario(dtypes=FLOATS)
def nan_extremes_backward(torch, rec):
    """maximum/minimum give a NaN on either side the whole gradient on both; max/min/amax/amin of a slice
    with a NaN send it to the NaN (amax: NaN over the slice, as scale_grad_by_count divides by no match)."""
    pairs = ([1.0, NAN, NAN, 2.0, 1.0, -0.0], [NAN, 1.0, NAN, 2.0, 0.0, 0.0])
    _grads(torch, rec, "maximum", lambda t, a, b: t.maximum(a, b), *pairs)
    _grads(torch, rec, "minimum", lambda t, a, b: t.minimum(a, b), *pairs)
    _grads(torch, rec, "max_binary", lambda t, a, b: t.max(a, b), *pairs)
    _grads(torch, rec, "min_method", lambda t, a, b: a.min(b), *pairs)
    rows = [[1.0, NAN, 2.0], [3.0, 3.0, 1.0]]
    _grads(torch, rec, "amin_pow", lambda t, x: (x ** -0.5).amin(0), [0.6, -0.2])
    _grads(torch, rec, "amax_dim", lambda t, x: x.amax(1), rows)
    _grads(torch, rec, "amin_all", lambda t, x: x.amin(), rows)
    _grads(torch, rec, "max_all", lambda t, x: x.max(), [1.0, NAN, 2.0, NAN])
    _grads(torch, rec, "min_dim", lambda t, x: x.min(1).values, rows)
    _grads(torch, rec, "max_dim_keepdim", lambda t, x: t.max(x, 0, keepdim=True)[0], rows)


@scenario(dtypes=FLOATS)
def atan2_at_the_origin(torch, rec):
    """atan2's gradient where self² + other² is 0 (the origin, or squares that underflow) is 0; with an
    infinite operand the other's is 0 or NaN."""
    _grads(torch, rec, "origin", lambda t, a, b: t.atan2(a, b), [0.0, -0.0, 1e-30, 1.0, INF, 0.5],
           [0.0, -0.0, 0.0, INF, 1.0, -2.0], create_graph=True)
    dtype = getattr(torch, rec.dtype)
    a = torch.tensor([0.0, 1e-30], dtype=dtype, requires_grad=True)
    b = torch.zeros(2, dtype=dtype, requires_grad=True)
    rec("underflow_exactly_zero", [(g == 0).tolist() for g in torch.autograd.grad(torch.atan2(a, b).sum(), [a, b])])


@scenario(dtypes=FLOATS)
def prod_with_inf(torch, rec):
    """prod's gradient is result / x without a zero in the input (inf / inf is NaN), the product of the
    others with one."""
    _grads(torch, rec, "inf", lambda t, x: x.prod(), [INF, 2.0, 3.0])
    _grads(torch, rec, "nan", lambda t, x: x.prod(), [NAN, 2.0, 3.0])
    _grads(torch, rec, "inf_and_zero", lambda t, x: x.prod(), [INF, 0.0, 3.0])
    _grads(torch, rec, "two_zeros", lambda t, x: x.prod(), [0.0, 0.0, 3.0])
    _grads(torch, rec, "dim_inf", lambda t, x: x.prod(1), [[INF, 2.0], [1.0, 3.0]])
    _grads(torch, rec, "dim_inf_and_zero", lambda t, x: t.prod(x, 0, keepdim=True), [[INF, 2.0], [0.0, 3.0]])


@scenario(dtypes=FLOATS)
def prod_with_zeros(torch, rec):
    """PyTorch's prod_backward: with zeros, a full product's gradient is the products of the others over the
    flattened input viewed back (ViewBackward0 when differentiated), but with several zeros and grad mode
    off (a plain backward) it is plain zeros, so a NaN elsewhere spreads nothing. prod(dim) takes the
    products of the others along dim; where there are no others (size 1) the gradient is grad itself."""
    cases = {"fuzz_repro": [[1.0, 0.0, 0.0], [0.0, 1.0, NAN]], "two_zeros_inf": [[0.0, INF], [0.0, 2.0]],
             "one_zero_nan": [[0.0, NAN], [3.0, 2.0]], "one_zero": [[1.0, 0.0], [3.0, 2.0]],
             "single_zero": [[0.0]], "column": [[0.0], [2.0]], "no_zero": [[1.0, 2.0], [3.0, 4.0]]}
    reductions = {"all": lambda x: x.prod(), "dim": lambda x: x.prod(1), "dim_keep": lambda x: x.prod(-1, True),
                  "dim0": lambda x: x.prod(0)}
    for name, values in cases.items():
        for how, fn in reductions.items():
            _grads(torch, rec, f"{name}.{how}", lambda t, x: fn(x), values)
            x = rec.constant(values, requires_grad=True)
            y = fn(x)
            g, = torch.autograd.grad(y, x, torch.ones_like(y), create_graph=True)
            rec(f"{name}.{how}.differentiated", g)
            if g.requires_grad:
                rec(f"{name}.{how}.second", torch.autograd.grad(g.sum(), x))


@scenario(dtypes=FLOATS)
def vector_norm_of_one_element(torch, rec):
    """A vector norm whose reduced dims all have size 1 (a 0-d input with no dim given) is |x| in PyTorch,
    nothing squared or powered: 1e30 in float32 stays 1e30 for every order, and so does its gradient's
    x / norm. With more elements the squares are added in the input's dtype (1e30 twice overflows)."""
    for p in (2, 3, -2, 0.5, 1, float("inf"), 0):
        _grads(torch, rec, f"0d.{p}", lambda t, x: t.linalg.vector_norm(x, p), 1e30)
        _grads(torch, rec, f"0d_dim.{p}", lambda t, x: t.linalg.vector_norm(x, p, dim=-1), 1e30)  # no shortcut
        _grads(torch, rec, f"column.{p}", lambda t, x: t.linalg.vector_norm(x, p, dim=1), [[1e30], [-2e30]])
        _grads(torch, rec, f"keepdim.{p}", lambda t, x: t.linalg.vector_norm(x, p, (0, 2), True), [[[-1e30]], [[3.0]]])
    _grads(torch, rec, "norm", lambda t, x: x.norm(), 1e30)
    _grads(torch, rec, "torch.norm", lambda t, x: t.norm(x, dim=0), [-1e30])
    _grads(torch, rec, "two", lambda t, x: x.norm(), [1e30, 1e30])
    rec("half", torch.linalg.vector_norm(torch.tensor([300.0, 400.0], dtype=torch.float16)))
    rec("to_double", torch.linalg.vector_norm(rec.constant([1e30]), dtype=torch.float64))


@scenario(dtypes=FLOATS)
def cumprod_with_zeros_nan_inf(torch, rec):
    """cumprod's gradient where the input has a zero (-0.0 is one) somewhere in the tensor is PyTorch's O(n)
    masks: before a slice's first zero, result-based (a NaN or inf there spreads NaN to earlier positions);
    at it, the products up to the second zero; after it, zero (even at a NaN). A slice without a zero takes
    the same result-based path, so its NaN spreads too. Being differentiated, it is the products of the
    others, whose second derivative again goes through the O(n) masks."""
    cases = {"fuzz_repro": ([[1.0, 1.0, 1.0], [1.0, -0.0, NAN]], 0),
             "nan_before_zero": ([NAN, 0.0, 3.0], 0), "inf_before_zero": ([2.0, INF, 0.0, 3.0], 0),
             "nan_between_zeros": ([2.0, 0.0, NAN, 0.0, 5.0], 0), "nan_after_zeros": ([2.0, 0.0, 3.0, 0.0, NAN], 0),
             "inf_after_zero": ([2.0, 0.0, INF], 0), "neg_zeros": ([-0.0, -0.0, 2.0], 0),
             "rows": ([[1.0, 0.0, 2.0], [3.0, 4.0, 0.0], [NAN, 1.0, 1.0]], 1),
             "cols_neg_dim": ([[1.0, 0.0, 2.0], [3.0, 4.0, 0.0], [NAN, 1.0, 1.0]], -2),
             "inf_above_zero": ([[INF, 2.0], [0.0, 3.0]], 0), "nan_inf_no_zero": ([[2.0, 3.0], [NAN, INF]], 0),
             "0d_nan": (NAN, 0), "one_zero": ([0.0], 0), "empty": ([[], []], 1)}
    for name, (values, dim) in cases.items():
        _grads(torch, rec, name, lambda t, x: x.cumprod(dim), values)
        x = rec.constant(values, requires_grad=True)
        v = torch.ones_like(x) if x.numel() <= 1 else rec.tensor(*x.shape, low=0.5, high=1.5)
        g, = torch.autograd.grad(x.cumprod(dim), x, v, create_graph=True)
        rec(f"{name}.differentiated", g)
        if g.requires_grad:
            rec(f"{name}.second", torch.autograd.grad((g * v).sum(), x))


@scenario(dtypes=FLOATS)
def var_std_no_degrees_of_freedom(torch, rec):
    """var/std with correction >= N: inf or NaN values and gradients (never an error), and PyTorch's
    "degrees of freedom is <= 0" warning, also for an empty output. std's gradient is 0 where std is 0."""
    _grads(torch, rec, "var_one", lambda t, x: x.var(0), [1.0])
    _grads(torch, rec, "std_one", lambda t, x: x.std(), [1.0])
    _grads(torch, rec, "var_correction_over", lambda t, x: t.var(x, correction=3), [1.0, 2.0, 4.0])
    _grads(torch, rec, "var_all_at_mean", lambda t, x: x.var(correction=2), [[1.0, 1.0]])
    _grads(torch, rec, "std_dim", lambda t, x: t.std(x, 1, correction=2), [[1.0, 2.0], [3.0, 5.0]])
    _grads(torch, rec, "var_dim_over", lambda t, x: x.var(1, correction=3, keepdim=True), [[1.0, 1.0], [1.0, 2.0]])
    _grads(torch, rec, "var_negative_weight", lambda t, x: -t.var(x, correction=3), [1.0, 2.0, 4.0])
    _grads(torch, rec, "std_constant", lambda t, x: x.std(), [2.0, 2.0, 2.0])
    _grads(torch, rec, "std_constant_pair", lambda t, x: x.std(), [2.0, 2.0])
    _grads(torch, rec, "std_constant_row", lambda t, x: x.std(1), [[1.0, 1.0], [1.0, 2.0]])
    empty = torch.zeros(0, 2, 1, dtype=getattr(torch, rec.dtype))
    rec.raises("var_empty_dim", lambda: empty.var(1))
    rec.raises("std_empty_all", lambda: torch.std(empty))
    rec.raises("var_empty_kept", lambda: empty.var(0))
    rec.raises("mean_empty", lambda: empty.mean())
    rec.raises("mean_empty_dim", lambda: empty.mean(0))


@scenario(dtypes=FLOATS)
def var_std_in_float64(torch, rec):
    """var/std compute in float64 and round once, as PyTorch's CPU kernels: a float32 std of [1, 1, 1e30] is
    5.77e29, not inf (its variance alone overflows float32), through every path: a one-element result
    (two passes) and any other (Welford), with dims, keepdim, correction; and their gradients."""
    rows = [[1.0, 1.0, 1e30], [2.0, 3.0, 4.0], [1e4 + 0.1, 1e4 + 0.2, 1e4 + 0.3]]
    _grads(torch, rec, "std_all", lambda t, x: x.std(), [1.0, 1.0, 1e30])
    _grads(torch, rec, "var_all", lambda t, x: x.var(), [1.0, 1.0, 1e30])
    _grads(torch, rec, "std_one_output_dim", lambda t, x: x.std(1, keepdim=True), [[1.0, 1.0, 1e30]])
    _grads(torch, rec, "std_dim", lambda t, x: x.std(1), rows)
    _grads(torch, rec, "var_dim", lambda t, x: x.var(1, correction=0), rows)
    _grads(torch, rec, "std_dim0", lambda t, x: t.std(x, 0, keepdim=True), rows)
    _grads(torch, rec, "std_dims", lambda t, x: x.std((0, 1), correction=2), rows)
    _grads(torch, rec, "std_huge", lambda t, x: x.std(1), [[1.0, 1.0, 3e38], [-3e38, 3e38, 0.0]])
    _grads(torch, rec, "var_precision", lambda t, x: x.var(), [1e4 + 0.1, 1e4 + 0.2, 1e4 + 0.3, 1e4 + 0.4])


@scenario(dtypes=FLOATS)
def lerp_and_bce_with_inf(torch, rec):
    """lerp interpolates from the nearer end (weight >= 0.5 from end), so infinities stay; bce_with_logits
    is (1 - t) * x - log_sigmoid(x): an infinite logit gives inf or NaN as PyTorch's; log_sigmoid(inf) is 0."""
    _grads(torch, rec, "lerp", lambda t, a, b: t.lerp(a, b, 0.5), [INF, 1.0, -INF], [1.0, INF, INF])
    _grads(torch, rec, "lerp_tensor", lambda t, a, b, w: t.lerp(a, b, w), [INF, 1.0, 0.0], [1.0, INF, 1.0],
           [0.5, 0.25, INF])
    _grads(torch, rec, "bce_logits", lambda t, x, y: t.nn.functional.binary_cross_entropy_with_logits(
        x, y, reduction="none"), [INF, -INF, INF, -INF, 1.0], [0.0, 1.0, 0.5, 0.5, 0.5])
    _grads(torch, rec, "bce_logits_pos_weight", lambda t, x, y: t.nn.functional.binary_cross_entropy_with_logits(
        x, y, pos_weight=t.tensor([2.0], dtype=x.dtype)), [INF, -INF, 1.0], [0.0, 1.0, 0.5])
    _grads(torch, rec, "logsigmoid", lambda t, x: t.nn.functional.logsigmoid(x), [INF, -INF, 0.0, NAN])


@scenario(dtypes=FLOATS)
def negative_zero_powers(torch, rec):
    """x ** 0.5, -0.5, -1, -2, 2, 3 are sqrt, rsqrt, reciprocals and products in PyTorch: (-0.0) ** -0.5 is
    -inf, and x ** 0.5's gradient at -0.0 is -inf."""
    values = [-0.0, 0.0, 4.0]
    for exponent in (0.5, -0.5, -1.0, -2, 2, 3, 1.5):
        _grads(torch, rec, f"pow_{exponent}", lambda t, x, e=exponent: x ** e, values)
    _grads(torch, rec, "rsqrt", lambda t, x: x.rsqrt(), values)
    _grads(torch, rec, "pow_tensor", lambda t, x, e: t.pow(x, e), [-0.0, 0.0, -0.0], [-1.0, -0.5, 0.5])


@scenario(dtypes=FLOATS)
def vector_norm_order_zero(torch, rec):
    """The 0-"norm" counts non-zeros: PyTorch gives no gradient (the input's .grad stays None) and a zero tangent."""
    dtype = getattr(torch, rec.dtype)
    x = torch.tensor([[1.0, 0.0], [2.0, 3.0]], dtype=dtype, requires_grad=True)
    torch.linalg.vector_norm(x.reciprocal(), ord=0).backward()
    rec("grad_is_none", x.grad is None)
    y = torch.tensor([1.0, 0.0, 2.0], dtype=dtype, requires_grad=True)
    out = torch.linalg.vector_norm(y, 0) + y.sum()
    out.backward()
    rec("grad_from_the_other_term", y.grad)
    rec("dim", torch.linalg.vector_norm(x, 0, dim=1))
    rec("grad_unused", torch.autograd.grad(x.norm(0), x, allow_unused=True))
    rec("jvp", torch.func.jvp(lambda v: torch.linalg.vector_norm(v, 0), (y.detach(),), (torch.ones_like(y),)))


@scenario(dtypes=FLOATS)
def norm_backward_branches(torch, rec):
    """The p-norm's gradient follows PyTorch's norm_backward branch by branch: for p < 1 a zero element gets
    0 (its |x|**(p - 1) is masked, so not 0 * inf = NaN), for 1 < p a zero norm masks the division, an
    infinite p shares the gradient among the elements at the norm and the NaNs; with create_graph too,
    and with a float64 gradient for a float32 norm."""
    dtype = getattr(torch, rec.dtype)
    inputs = {"zero": 0.0, "with_zero": [0.0, 1.0, -4.0], "all_zero": [[0.0, -0.0], [0.0, 0.0]],
              "rows": [[0.0, 4.0], [NAN, 1.0], [-1.0, 1.0]]}
    for p in (-1, -0.5, 0.5, 1, 1.5, 2, 3, INF, -INF):
        for name, values in inputs.items():
            for kw in ({}, {"dim": -1}, {"dim": 0, "keepdim": True}):
                x = torch.tensor(values, dtype=dtype, requires_grad=True)
                if x.dim() == 0 and kw:
                    continue
                key = f"{p}.{name}.{'_'.join(map(str, kw.values())) or 'all'}"
                t = x.norm(p, **kw)
                x.grad = None
                t.backward(torch.full_like(t, 2), create_graph=True, inputs=[x])
                rec(f"{key}.grad", x.grad)
                g, = torch.autograd.grad(t, x, torch.ones_like(t, dtype=torch.float64), create_graph=True)
                rec(f"{key}.grad_fn", g.grad_fn.name() if g.grad_fn is not None else None)
                second, = torch.autograd.grad(g.sum(), x, allow_unused=True)
                rec(f"{key}.second", second if second is None else second + 0)  # + 0: torch's may be a ZeroTensor
                rec(f"{key}.plain", torch.autograd.grad(torch.linalg.vector_norm(x, p, **kw).sum(), x))


UNARY = ("abs", "sgn", "sign", "neg", "exp", "log", "sqrt", "rsqrt", "sin", "tanh", "sigmoid", "reciprocal",
         "floor", "ceil", "round", "trunc", "relu", "square", "erf", "exp2", "expm1", "log1p", "bitwise_not")
ACTIVATIONS = ("silu", "gelu", "elu", "leaky_relu", "softplus", "logsigmoid", "relu")
BINARY = {
    "add": lambda t, a, b: t.add(a, b), "sub": lambda t, a, b: t.sub(a, b), "mul": lambda t, a, b: a * b,
    "div": lambda t, a, b: a / b, "div_floor": lambda t, a, b: t.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda t, a, b: t.div(a, b, rounding_mode="trunc"), "floor_divide": lambda t, a, b: a // b,
    "remainder": lambda t, a, b: a % b, "fmod": lambda t, a, b: t.fmod(a, b), "pow": lambda t, a, b: a ** b,
    "maximum": lambda t, a, b: t.maximum(a, b), "atan2": lambda t, a, b: t.atan2(a, b),
    "lerp": lambda t, a, b: t.lerp(a, b, 0.5), "lerp_tensor": lambda t, a, b: t.lerp(a, a, b),
    "addcmul": lambda t, a, b: t.addcmul(a, b, b), "clamp": lambda t, a, b: t.clamp(a, b, b),
    "bitwise_and": lambda t, a, b: a & b, "bitwise_xor": lambda t, a, b: t.bitwise_xor(a, b),
}
SAMPLES = {"bool": [True, False, True], "int64": [3, -3, 0], "int32": [2, -1, 5], "float32": [0.5, -1.5, 2.0]}
OTHERS = {"bool": [True, True, False], "int64": [2, 2, -1], "int32": [-2, 1, 3], "float32": [2.0, 0.5, -1.0]}


@scenario
def bool_and_integer_kernels(torch, rec):
    """Every elementwise op on bool, int64, int32 and float32 tensors (and with Python numbers): computed in
    the promoted dtype, or PyTorch's own error (its kernel's NotImplementedError, sub and neg of bools)."""
    def tensor(dtype, values):
        return torch.tensor(values, dtype=getattr(torch, dtype))
    for dtype in INTEGER_DTYPES:
        for name in UNARY:
            rec.raises(f"{name}.{dtype}", lambda: getattr(torch, name)(tensor(dtype, SAMPLES[dtype])))
        for name in ("abs_", "neg_", "sign_", "floor_", "relu_", "bitwise_not_"):
            rec.raises(f"{name}.{dtype}", lambda: getattr(tensor(dtype, SAMPLES[dtype]), name)())
        for name in ACTIVATIONS:
            rec.raises(f"F.{name}.{dtype}", lambda: getattr(torch.nn.functional, name)(tensor(dtype, SAMPLES[dtype])))
        rec.raises(f"negate.{dtype}", lambda: -tensor(dtype, SAMPLES[dtype]))
        rec.raises(f"invert.{dtype}", lambda: ~tensor(dtype, SAMPLES[dtype]))
        rec.raises(f"argmax.{dtype}", lambda: tensor(dtype, SAMPLES[dtype]).argmax())
        rec.raises(f"mse_loss.{dtype}", lambda: torch.nn.functional.mse_loss(tensor(dtype, SAMPLES[dtype]),
                                                                             tensor(dtype, OTHERS[dtype])))
        for other in INTEGER_DTYPES:
            for name, fn in BINARY.items():
                rec.raises(f"{name}.{dtype}.{other}", lambda: fn(torch, tensor(dtype, SAMPLES[dtype]),
                                                                 tensor(other, OTHERS[other])))
        for number in (2, True, 0.5):
            for name in ("sub", "div_floor", "remainder", "fmod", "pow", "bitwise_and", "add"):
                rec.raises(f"{name}.{dtype}.{number!r}", lambda: BINARY[name](torch, tensor(dtype, SAMPLES[dtype]),
                                                                              number))
            rec.raises(f"rsub.{number!r}.{dtype}", lambda: number - tensor(dtype, SAMPLES[dtype]))
            rec.raises(f"clamp_scalar.{dtype}.{number!r}", lambda: tensor(dtype, SAMPLES[dtype]).clamp(max=number))
        rec.raises(f"sub_.{dtype}", lambda: tensor(dtype, SAMPLES[dtype]).sub_(True))


@scenario
def integer_pow_and_mod(torch, rec):
    """Integer powers with negative exponents (PyTorch: 1, -1 or 0), integer division and modulo by zero
    (ZeroDivisionError, in a RuntimeError), and the float remainder's signs."""
    ints = torch.tensor([[0, 3, -1], [3, -1, -2]])
    for base in (2, 1, -1, 0):
        rec(f"rpow_{base}", base ** ints)
    rec("pow_tensor", torch.pow(torch.tensor([2, -1, 1, 0, 3]), torch.tensor([-1, -3, -2, 2, -1])))
    rec.raises("pow_negative_scalar", lambda: torch.tensor([2, 3]) ** -1)
    rec.raises("pow_negative_scalar_inplace", lambda: torch.tensor([2, 3]).pow_(-2))
    rec("pow_float_scalar", torch.tensor([2, 4]) ** -0.5)
    rec("bool_rpow", 2 ** torch.tensor([True, False]))
    for name, fn in {"fmod": lambda a, b: torch.fmod(a, b), "remainder": lambda a, b: a % b,
                     "floor_divide": lambda a, b: a // b,
                     "div_trunc": lambda a, b: torch.div(a, b, rounding_mode="trunc")}.items():
        rec.raises(f"{name}_by_zero_tensor", lambda: fn(torch.tensor([5, 3]), torch.tensor([2, 0])))
        rec.raises(f"{name}_by_zero_scalar", lambda: fn(torch.tensor([5, 3]), 0))
        rec.raises(f"{name}_float_by_zero", lambda: fn(torch.tensor([5.0, -3.0, 0.0]), 0.0))
    rec("remainder_signs", torch.tensor([-0.0, 0.0, -3.0, 1.0, -1.0]) % torch.tensor([2.0, -2.0, 1.5, -INF, INF]))


@scenario(dtypes=FLOATS)
def singular_det_backward(torch, rec):
    """det's gradient at a singular matrix: the cofactors when it is differentiated again (create_graph,
    PyTorch's SVD path), zero otherwise; batched inverse of a singular matrix names the batch element."""
    dtype = getattr(torch, rec.dtype)
    singular = [[1.0, 2.0], [2.0, 4.0]]
    cases = {"singular": singular, "rank_one_3x3": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
             "batch": [singular, [[1.0, 0.0], [0.0, 2.0]]], "zeros": [[0.0] * 3] * 3,
             "regular": [[2.0, 1.0], [0.5, 3.0]], "regular_batch": [[[2.0, 1.0], [0.5, 3.0]], [[1.0, 2.0], [3.0, 4.0]]]}
    cases["two_batch_dims"] = [cases["batch"]]
    cases["regular_two_batch_dims"] = [cases["regular_batch"]]
    for name, values in cases.items():
        for create_graph in (False, True) if name != "rank_one_3x3" else (False,):  # (rounding of zeros)
            a = torch.tensor(values, dtype=dtype, requires_grad=True)
            d = torch.linalg.det(a)
            weight = torch.tensor(rec.data(*d.shape, low=0.5, high=1.5), dtype=dtype)
            (g,) = torch.autograd.grad((d * weight).sum(), a, create_graph=create_graph)
            rec(f"{name}.{create_graph}.grad", g.detach())
        rec(f"{name}.det", torch.linalg.det(torch.tensor(values, dtype=dtype)))
    for name, values in {"first": [[[0.0]], [[-2.0]]], "second": [[[1.0]], [[0.0]]],
                         "second_pivot": [[[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]]],
                         "unbatched": [[0.0, 1.0], [0.0, 1.0]]}.items():
        rec.raises(f"inverse.{name}", lambda: torch.inverse(torch.tensor(values, dtype=dtype)))
        rec.raises(f"linalg_inv.{name}", lambda: torch.linalg.inv(torch.tensor(values, dtype=dtype)))


@scenario
def empty_reductions(torch, rec):
    """Reductions without an identity over nothing: PyTorch's IndexError / RuntimeError, naming the dim."""
    for shape in ((0,), (0, 2), (2, 0)):
        x = torch.zeros(*shape)
        key = "x".join(map(str, shape))
        for name in ("amax", "amin", "argmax", "argmin", "max", "min"):
            rec.raises(f"{name}.{key}", lambda: getattr(x, name)())
            for dim in range(-len(shape), len(shape)):
                rec.raises(f"{name}.{key}.dim{dim}", lambda: getattr(x, name)(dim))
                rec.raises(f"{name}.{key}.dim{dim}.keepdim", lambda: getattr(torch, name)(x, dim, keepdim=True))
        rec.raises(f"amax.{key}.all_dims", lambda: x.amax(tuple(range(len(shape)))))
        for ord in (-1, 0.5, INF, -INF, 2):
            rec.raises(f"vector_norm.{key}.{ord}", lambda: torch.linalg.vector_norm(x, ord))
            rec.raises(f"vector_norm.{key}.{ord}.dim0", lambda: torch.linalg.vector_norm(x, ord, dim=0))
    rec.raises("amax_multi", lambda: torch.zeros(2, 0, 0).amax((2, 1)))


@scenario(dtypes=FLOATS)
def layer_norm_backward_kernel(torch, rec):
    """layer_norm's backward is PyTorch's kernel: from the forward's mean and rstd (a row whose mean**2
    overflows has a NaN rstd, so a NaN gradient), its sums and fused multiply-adds (an input gradient of
    -2.38e-07 where the exact one is 0); under create_graph the gradients come from its
    NativeLayerNormBackwardBackward0 node, whose own gradients (the input's, the weight's, the bias's and
    grad_out's) are layer_norm_double_backward's; its tangent is layer_norm_jvp's, on the same mean and rstd."""
    F, dtype = torch.nn.functional, getattr(torch, rec.dtype)
    x = torch.tensor([[[1e30, 1.0, 1.0], [1.0, 1.0, 1.0]], [[1.0, 0.0, 1.0], [0.3, -2.0, 1.7]]], dtype=dtype,
                     requires_grad=True)
    F.layer_norm(x, (3,)).sum().backward()
    rec("grad_of_sum", repr(x.grad))
    x.grad = None
    F.layer_norm(x, (3,)).sum().backward(create_graph=True, inputs=[x])
    rec("grad_create_graph", x.grad)
    rows = torch.tensor([[0.5, NAN, 1.0, 2.0], [INF, 1.0, 0.0, 2.0], [-0.0, 0.0, -0.0, 0.0],
                         [0.1, -1.3, 2.9, 0.7], [1e-30, -2.0, 3.5, 1e-30]], dtype=dtype)
    for shape in ((4,), (2, 2), (1,)):
        x = rows.reshape((-1,) + shape).clone().requires_grad_()
        w = torch.tensor(rec.data(*shape, low=0.5, high=1.5), dtype=dtype, requires_grad=True)
        b = torch.tensor(rec.data(*shape), dtype=dtype, requires_grad=True)
        key = "x".join(map(str, shape))
        for affine in (False, True):
            y = F.layer_norm(x, shape, *((w, b) if affine else ()))
            dy = torch.tensor(rec.data(*y.shape), dtype=dtype, requires_grad=True)
            leaves = [x, w, b] if affine else [x]
            grads = torch.autograd.grad(y, leaves, dy, create_graph=True)
            rec(f"{key}.{affine}.grads", list(grads))
            rec(f"{key}.{affine}.grads_repr", [repr(g) for g in grads])
            total = sum((g * torch.tensor(rec.data(*g.shape), dtype=dtype)).sum() for g in grads)
            rec(f"{key}.{affine}.second", torch.autograd.grad(total, leaves + [dy], allow_unused=True))
    for n in (9, 16, 20, 300):  # longer rows: RowwiseMoments' vector lanes and chunks, the backward's vector sums
        x = torch.tensor(rec.data(3, n, low=-3.0, high=5.0), dtype=dtype).requires_grad_()
        w = torch.tensor(rec.data(n), dtype=dtype, requires_grad=True)
        y = F.layer_norm(x, (n,), w, None)
        rec(f"long{n}.y", repr(y))
        grads = torch.autograd.grad(y, [x, w], torch.tensor(rec.data(3, n), dtype=dtype))
        rec(f"long{n}.grads", [repr(g) for g in grads])
    x = torch.tensor([[1e30, 1.0, 1.0], [0.3, -2.0, 1.7], [INF, 0.0, 1.0], [-0.0, 0.0, -0.0]], dtype=dtype)
    w, b = torch.tensor([-1.0, 0.5, 2.0], dtype=dtype), torch.tensor([-0.0, 0.25, 0.0], dtype=dtype)
    for affine in ((), (w,), (w, b)):
        rec(f"jvp{len(affine)}", torch.func.jvp(lambda v, *wb: F.layer_norm(v, (3,), *wb), (x,) + affine,
                                                tuple(torch.tensor(rec.data(*t.shape), dtype=dtype) for t in (x,) + affine)))
    for row in ([1e30] * 9, [1e30] * 8, [1e30, 1.0] + [1.0] * 10, [3e38] + [0.0] * 16, [INF] + [1.0] * 8):
        rec(f"special{len(row)}", F.layer_norm(torch.tensor(row, dtype=dtype), (len(row),)))


@scenario
def no_numpy_warnings(torch, rec):
    """Nothing NumPy warns about reaches the user (torch is silent): casts of NaN and inf to integers,
    half overflow, empty means, inf - inf in factories, in-place writes and backward formulas."""
    special = torch.tensor([NAN, INF, -INF, 1e30, 0.0])
    rec("to_int64", special.long())
    rec("to_int32", special.to(torch.int32))
    rec("to_half", special.half())
    rec("tensor_half", torch.tensor([1e30, -1e30], dtype=torch.float16))
    rec("linspace_inf", torch.linspace(0, INF, 3))
    half = torch.ones(2, dtype=torch.float16)
    half.add_(torch.tensor([1e30, 1.0]))
    rec("add_into_half", half)
    rec("mean_empty", torch.zeros(0).mean())
    rec("divide", torch.tensor([0.0, 1.0, -1.0]) / torch.tensor([0.0, 0.0, 0.0]))
    x = torch.tensor([0.0, -1.0, INF, NAN], requires_grad=True)
    (x.log() + x.sqrt() + x.rsqrt() + x.reciprocal()).sum().backward()
    rec("grad", x.grad)
    y = torch.tensor([INF, 1.0], requires_grad=True)
    torch.nn.functional.layer_norm(y.unsqueeze(0), (2,)).sum().backward()
    rec("layer_norm_grad", y.grad)


@scenario
def small_integer_and_half_kernels(torch, rec):
    """uint8 and half operands: a negative Python number wraps into uint8 as a C++ cast does; a half operand's
    kernel error names Half (the kernel computes in float); all/any of uint8 stay uint8."""
    bytes_ = torch.tensor([3, 250, 0], dtype=torch.uint8)
    rec("remainder_minus_one", bytes_ % -1)
    rec("fmod_minus_one", torch.fmod(bytes_, -1))
    rec("floor_divide_minus_one", bytes_ // -1)
    rec("clamp_minus_one", bytes_.clamp(-1))
    rec("all", [bytes_.all(), bytes_.any(0), torch.tensor([[1, 0]], dtype=torch.uint8).all(1, keepdim=True)])
    half = torch.tensor([0.5, -1.5], dtype=torch.float16)
    rec.raises("half_and", lambda: half & 1)
    rec.raises("half_not", lambda: torch.bitwise_not(half))
    rec.raises("half_invert", lambda: ~half)
    rec("half_floor_divide", half // 0.3)


@scenario
def gelu_of_inf_vectorised(torch, rec):
    """gelu(+inf) is NaN on PyTorch's vectorised float32 loop (a contiguous input of two elements or more),
    inf for one element, a strided input, float64 or float16; gelu(-inf) is NaN."""
    x = torch.tensor([1.0, 1.0, INF, -INF, 1e30])
    rec("vectorised", torch.nn.functional.gelu(x))
    rec("one_element", torch.nn.functional.gelu(torch.tensor([INF])))
    rec("strided", torch.nn.functional.gelu(torch.full((4,), INF)[::2]))
    rec("float64", torch.nn.functional.gelu(x.double()))
    rec("float16", torch.nn.functional.gelu(x.half()))
    rec("tanh", torch.nn.functional.gelu(x, approximate="tanh"))


@scenario
def integer_division_by_zero_of_empty(torch, rec):
    """An integer division by zero raises only where an element is divided: empty operands give empty results."""
    empty = torch.zeros(2, 0, dtype=torch.int64)
    rec("remainder", empty % 0)
    rec("remainder_tensor", torch.remainder(empty, torch.zeros(2, 0, dtype=torch.int64)))
    rec("fmod", torch.fmod(empty, 0))
    rec("floor_divide", empty // 0)
    rec("div_floor", torch.div(empty, torch.tensor(0), rounding_mode="floor"))
    rec.raises("nonempty", lambda: torch.ones(2, dtype=torch.int64) % 0)


@scenario
def layer_norm_moments(torch, rec):
    """layer_norm's moments are Welford's, as PyTorch's kernel: a constant row has its exact mean, a row whose
    mean**2 overflows float32 is NaN, and the input gradient of a sum cancels to exact zeros."""
    F = torch.nn.functional
    rows = torch.tensor([[1e-30, 1e-30, -2.0], [0.0, 1e30, 1e30], [1e20, 1e20, 1e20], [1e19, 1e19, 1e19],
                         [0.0, 0.5, 1e-30], [-2.0, 3.0, 1.0]])
    rec("overflow", F.layer_norm(rows, (3,)))
    rec("constant_long_row", F.layer_norm(torch.full((1, 12), 1e19), (12,)))
    x = torch.tensor([[[1.0, 1.0, -1.0], [1.0, 1.0, 1.0]], [[0.5, -2.0, 1.5], [1.0, 2.0, 3.0]]], requires_grad=True)
    y = F.layer_norm(x, (3,))
    rec("y", y)
    g, = torch.autograd.grad(y.sum(), x)
    rec("grad_of_sum", repr(g))
    g, = torch.autograd.grad(y, x, torch.full_like(y, -1))
    rec("grad_of_minus_ones", repr(g))


@scenario
def one_sample_nll_loss_zero(torch, rec):
    """nll_loss of one sample (1-D input) sums its loss from zero even with reduction='none': -(0.0) is 0.0
    there; a batch's elementwise loss keeps -0.0."""
    F = torch.nn.functional
    x = torch.tensor([0.0, -0.0])
    for reduction in ("none", "sum", "mean"):
        for target in (0, 1):
            rec(f"one.{reduction}.target{target}", 1 / F.nll_loss(x, torch.tensor(target), reduction=reduction))
            rec(f"batch.{reduction}.target{target}",
                1 / F.nll_loss(x.unsqueeze(0), torch.tensor([target]), reduction=reduction))


@scenario
def max_pool_nan_and_ties(torch, rec):
    """max_pool2d keeps a window's last NaN, else its first max; padding never wins, even over -inf; integer
    inputs pool too, bool ones raise."""
    F = torch.nn.functional
    x = torch.tensor([[[[-INF, -INF, 1.0, NAN], [-INF, NAN, -INF, 2.0], [2.0, -INF, NAN, 2.0]]]],
                     requires_grad=True)
    for kernel, stride, padding in ((2, 1, 0), (3, 1, 1), (2, 2, 1)):
        out, idx = F.max_pool2d(x, kernel, stride=stride, padding=padding, return_indices=True)
        rec(f"k{kernel}s{stride}p{padding}", out)
        rec(f"k{kernel}s{stride}p{padding}.indices", idx)
        rec(f"k{kernel}s{stride}p{padding}.grad", torch.autograd.grad(out.sum(), x)[0])
    rec("long", F.max_pool2d(torch.tensor([[[[-2, -2], [-2, 1]]]]), 2, padding=1))
    rec.raises("bool", lambda: F.max_pool2d(torch.ones(1, 1, 2, 2, dtype=torch.bool), 2))


@scenario
def linalg_of_non_finite_matrices(torch, rec):
    """inv, det, solve and svd of matrices holding NaN or inf, and their gradients: NaN results, PyTorch's
    errors (svd refuses a NaN, naming the batch element), and no NumPy warnings."""
    matrices = {"nan": [[NAN, 1.0], [1.0, 1.0]], "inf_singular_lu": [[INF, 1.0], [1.0, 0.0]],
                "inf": [[INF, 1.0], [1.0, 2.0]], "inf_3x3": [[INF, 1.0, 1.0], [1.0, 0.0, 1.0], [INF, 1.0, 2.0]]}
    for name, m in matrices.items():
        a = torch.tensor(m, requires_grad=True)
        ones = torch.ones(a.shape[0])
        calls = {"inv": lambda: torch.linalg.inv(a),
                 "inv_grad": lambda: torch.autograd.grad(torch.linalg.inv(a).sum(), a),
                 "det_grad": lambda: torch.autograd.grad(torch.linalg.det(a), a),
                 "det_grad_create_graph": lambda: torch.autograd.grad(torch.linalg.det(a), a, create_graph=True),
                 "solve": lambda: torch.linalg.solve(a, ones),
                 "solve_grad": lambda: torch.autograd.grad(torch.linalg.solve(a, ones).sum(), a),
                 "svd_values": lambda: torch.linalg.svd(a).S}
        for call_name, fn in calls.items():
            rec.raises(f"{name}.{call_name}", fn)
    rec.raises("svd_nan_in_batch", lambda: torch.linalg.svd(torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[NAN, 1.0], [1.0, 1.0]]])))


@scenario(dtypes=FLOATS)
def lu_solves_multiply_zeros_by_inf(torch, rec):
    """inv and solve run getrf then getrs, whose triangular solves subtract every product, a zero times an inf
    or NaN of the LU included: NaN spreads to the rows (and the gradients) where PyTorch's does, also through
    solve's backward (the transposed solve), for a transposed input and in a batch. A singular A is
    PyTorch's error whatever B's shape."""
    dtype = getattr(torch, rec.dtype)
    matrices = {"inf_in_u": [[1.5, 3.0, 2.0], [1.0, 1.0, INF], [1.0, 1.0, 1.5]],
                "inf_last_pivot": [[2.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, -INF]],
                "nan_in_u": [[1.0, 2.0, 0.0], [0.0, 1.0, NAN], [0.0, 0.0, 1.0]],
                "inf_column": [[-2.0, -2.0, 1.5], [0.0, 3.0, INF], [0.5, 0.0, 2.0]],
                "inf_4x4": [[3.0, 1.5, 0.0, 1.0], [0.0, 2.0, INF, 0.0], [1.0, 0.0, 1.0, 0.5], [0.0, 1.0, 0.0, 2.0]]}
    for name, m in matrices.items():
        a = torch.tensor(m, dtype=dtype, requires_grad=True)
        b = torch.ones(a.shape[0], 1, dtype=dtype)
        calls = {"inv": lambda: torch.linalg.inv(a), "inv_transposed": lambda: torch.linalg.inv(a.mT),
                 "inv_grad": lambda: torch.autograd.grad(torch.linalg.inv(a).sum(), a)[0],
                 "solve": lambda: torch.linalg.solve(a, b),
                 "solve_grad": lambda: torch.autograd.grad(torch.linalg.solve(a, b).sum(), a)[0]}
        for call_name, fn in calls.items():
            rec.raises(f"{name}.{call_name}", fn)
    batch = torch.tensor([matrices["inf_in_u"], matrices["inf_column"], [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 4.0]]],
                         dtype=dtype)
    rec("batch", torch.linalg.inv(batch))
    singular = torch.tensor([[0.0, 0.0, 0.0], [0.0, 1.0, 2.0], [3.0, 2.0, 0.0]], dtype=dtype)
    rec.raises("singular_solve_two_columns", lambda: torch.linalg.solve(singular, torch.ones(3, 2, dtype=dtype)))


@scenario
def empty_products_and_integer_losses(torch, rec):
    """bmm (and matmul's batched path) of an empty operand zero-fills the result in mat2's dtype without its
    dtype checks; mm and dot check them anyway. nll_loss refuses an integer input before reading its target."""
    F = torch.nn.functional
    long_, float_, bool_ = torch.int64, torch.float32, torch.bool
    for name, (s1, d1, s2, d2) in {"long_float": ((1, 0, 2), long_, (1, 2, 2), float_),
                                   "float_long": ((1, 0, 2), float_, (1, 2, 2), long_),
                                   "empty_k": ((1, 2, 0), long_, (1, 0, 2), float_),
                                   "bool": ((1, 2, 0), bool_, (1, 0, 2), bool_),
                                   "no_batch": ((0, 2, 2), long_, (0, 2, 2), float_)}.items():
        rec(f"bmm.{name}", torch.bmm(torch.ones(s1, dtype=d1), torch.ones(s2, dtype=d2)))
    rec("matmul_batched", torch.zeros(2, 0, dtype=long_).mT @ torch.ones(3, 2, 2))
    rec.raises("mm_empty_k", lambda: torch.mm(torch.ones(2, 0, dtype=long_), torch.ones(0, 2)))
    rec.raises("dot_empty", lambda: torch.dot(torch.ones(0, dtype=long_), torch.ones(0)))
    rec.raises("nll_long_empty", lambda: F.nll_loss(torch.tensor([], dtype=long_), torch.tensor(0)))
    rec.raises("nll_long", lambda: F.nll_loss(torch.ones(2, 3, dtype=long_), torch.tensor([0, 1])))
    rec.raises("nll_empty_float", lambda: F.nll_loss(torch.tensor([]), torch.tensor(0)))


@scenario
def addcdiv_by_an_integer_tensor(torch, rec):
    """addcdiv's gradient for tensor1 is grad * (value / tensor2), C++'s Scalar / Tensor: an in-place division in
    tensor2's dtype, which an integer tensor2 refuses; tensor2's own gradient needs no such division."""
    x = torch.tensor([2.0, -1.0], requires_grad=True)
    for value in (1, 0.5):
        rec.raises(f"tensor1_grad.{value}",
                   lambda: torch.autograd.grad(torch.addcdiv(x, x, torch.tensor([4, 3]), value=value).sum(), [x]))
        divisor = torch.tensor([4.0, 3.0], requires_grad=True)
        rec(f"tensor2_grad.{value}",
            torch.autograd.grad(torch.addcdiv(x, torch.tensor([3, 1]), divisor, value=value).sum(), [divisor]))
        rec(f"float.{value}", torch.autograd.grad(torch.addcdiv(x, x, torch.tensor([4.0, 3.0]), value=value).sum(), [x]))


@scenario
def nan_and_empty_through_fused_backwards(torch, rec):
    """elu's backward takes its negative side only where x <= 0 (a NaN input gets the incoming gradient);
    mse_loss's mean gradient of an empty input scales by C++'s 2. / 0 (inf) over nothing; det's gradient through
    log of a singular matrix (an infinite gradient times a zero det) is NaN, without NumPy warnings."""
    F = torch.nn.functional
    for create_graph in (False, True):
        x = torch.tensor([1.0, -1.0, NAN, 0.0], requires_grad=True)
        rec(f"elu.{create_graph}", torch.autograd.grad(F.elu(x), [x], torch.ones(4), create_graph=create_graph)[0])
        empty = torch.zeros(0, requires_grad=True)
        loss = F.mse_loss(empty, torch.zeros(0))
        rec(f"mse_empty.{create_graph}", [loss, torch.autograd.grad(loss, [empty], create_graph=create_graph)[0]])
    A = torch.ones(1, 2, 3, 3, requires_grad=True)
    torch.log(torch.linalg.det(A)).sum().backward()
    rec("log_det_singular", A.grad)


def gelu_far_below_zero_is_negative_zero(torch, rec):
    """gelu computes x * 0.5 * (1 + erf(x / sqrt(2))) in the input's dtype: where erf rounds to -1 the result is
    -0.0 (the repr shows -0.), not the tiny negative real value -x * Phi(-x)."""
    F = torch.nn.functional
    rec("pair.repr", repr(F.gelu(torch.tensor([[-8.0, 0.0]]))))
    rec("one.repr", repr(F.gelu(torch.tensor([-6.0]))))
    rec("grad_fn.repr", repr(F.gelu(torch.tensor([-8.0, 0.0], requires_grad=True))))
    rec("float64.repr", repr(F.gelu(torch.tensor([-9.0, -40.0, 0.0, -0.0], dtype=torch.float64))))


@scenario
def softmax_multiplies_by_the_reciprocal_sum(torch, rec):
    """softmax along the last dim multiplies each exp by 1 / sum (rounded first), so [1, -1, 1] sums back to
    exactly 1 and the losses of that sum against 1 are exactly 0 (their reprs show 0., not 1.1921e-07)."""
    F = torch.nn.functional
    s = torch.tensor([1.0, -1.0, 1.0]).softmax(0)
    rec("sum.repr", repr(s.sum(0)))
    rec("l1_mean.repr", repr(F.l1_loss(s.sum(0), torch.tensor(1.0), reduction="mean")))
    rec("mse_sum.repr", repr(F.mse_loss(s.sum(0), torch.tensor(1.0), reduction="sum")))
    rec("rows.repr", repr(torch.tensor([[1.0, -1.0, 1.0], [0.5, 2.0, -3.0]]).softmax(1).sum(1)))


@scenario
def pow_by_a_bool_exponent_backward(torch, rec):
    """pow(x, bool tensor) computes (True ** ... is 1), but its gradient for x subtracts 1 from the exponent,
    which a bool tensor refuses: PyTorch's error, at backward."""
    x = torch.tensor([1.5, 2.0], requires_grad=True)
    exponent = torch.tensor([True, False])
    y = torch.pow(x, exponent)
    rec("y", y)
    rec.raises("backward", lambda: y.sum().backward())


@scenario
def remainder_of_a_number_by_a_tensor(torch, rec):
    """number % tensor (remainder.Scalar_Tensor) runs remainder's kernel: Bool is refused before any division by
    zero is checked (an empty bool tensor too), floats take PyTorch's fmod-then-shift, integers raise on a zero."""
    for name, t in {"bool": torch.tensor([True, False]), "empty_bool": torch.tensor([], dtype=torch.bool),
                    "int": torch.tensor([1, 2, 0]), "float": torch.tensor([1.5, -2.0, 0.0, -0.0])}.items():
        for left in (True, 3, -2.5):
            rec.raises(f"{name}.{left}", lambda: left % t)



@scenario(dtypes=("float64",))
def convolution_adds_products_in_order(torch, rec):
    """A float64 convolution is im2col and a gemm into the bias in PyTorch: a small one adds the products one at a
    time, channel by channel and kernel position by kernel position, so 1e-30 vanishes beside 1 before -1 comes
    (0, not 1e-30) and 1e30 - 1e30 leaves what follows it."""
    F = torch.nn.functional
    x = torch.tensor([[[[0.0, 1e-30, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]],
                       [[1.0, -1.0, 1e30], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]], dtype=torch.float64, requires_grad=True)
    rec("padded", repr(F.conv2d(x, torch.ones(1, 2, 2, 2, dtype=torch.float64), padding=1)))
    rec("two_out_channels", repr(F.conv2d(x, torch.tensor([1.0, -1.0], dtype=torch.float64).view(2, 1, 1, 1)
                                          .expand(2, 2, 1, 1).contiguous(), torch.tensor([1e30, -1.0],
                                                                                          dtype=torch.float64))))
    rec("conv1d", repr(F.conv1d(x[0, :, 0], torch.tensor([[[1.0, 1.0], [1e30, -1e30]]], dtype=torch.float64))))


@scenario(dtypes=("float32", "float64"))
def elu_backward_at_nan_where_the_vector_loop_ends(torch, rec):
    """elu's gradient at a NaN input: NaN in the elements PyTorch's vectorised loop takes (whole chunks of two
    vectors of this machine's width), the gradient in its scalar tail; a 4-d tensor is one run of elements."""
    F, dtype = torch.nn.functional, getattr(torch, rec.dtype)
    for n in (3, 15, 16, 17, 31, 32, 33, 40, 64, 70):
        for where in ("first", "last"):
            t = torch.ones(n, dtype=dtype)
            t[0 if where == "first" else n - 1] = float("nan")
            t.requires_grad_()
            (g,) = torch.autograd.grad(F.elu(t, alpha=0.5), t, torch.ones_like(t))
            rec(f"{n}.{where}", g)
    x = torch.ones(1, 2, 3, 3, dtype=dtype)
    x[0, 1, 2, 0] = float("nan")
    x.requires_grad_()
    y = F.elu(F.conv2d(x, torch.ones(1, 2, 2, 2, dtype=dtype), padding=1))
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    rec("through_conv", g)
    # TensorIterator's inner loop is the run of dims every operand walks contiguously: an expanded input is
    # one row per copy; a transposed input or gradient steps by more than one element, so no element is
    # vectorised; a gradient broadcast from one number is a scalar the vectorised loop takes
    row = torch.ones(18, dtype=dtype)
    row[0] = row[17] = float("nan")
    row.requires_grad_()
    layouts = {"expanded_rows": lambda: row.expand(2, 18), "expanded_columns": lambda: row.reshape(6, 3)[:, :1].expand(6, 3),
               "transposed": lambda: row.reshape(3, 6).t(), "sliced": lambda: row.reshape(3, 6)[:, ::2]}
    for name, make in layouts.items():
        t = make()
        for grad_name, grad in (("ones", torch.ones_like(t)), ("broadcast", torch.ones((), dtype=dtype).expand(t.shape)),
                                ("transposed_grad", torch.ones(tuple(reversed(t.shape)), dtype=dtype).t())):
            rec(f"{name}.{grad_name}", torch.autograd.grad(F.elu(t, alpha=0.5), row, grad)[0])


@scenario(dtypes=("float32", "float64"))
def signed_zero_extremes(torch, rec):
    """Of 0.0 and -0.0, the extreme min()/max() keep is the one ATen's vector lanes keep (each lane the later,
    then lanes paired across halves for float, folded for double); amin/amax along the innermost dims the one
    its four accumulators keep, along outer dims the later within whole chunks of four vectors of columns and
    the earlier beyond; min(dim)/max(dim) the first (with its index). Shown through 1 / x."""
    dtype = getattr(torch, rec.dtype)
    pattern = [0.0, -0.0, 1.0, -0.0, 0.0, 0.0, 1.0, -0.0, 0.0]
    for n in (2, 3, 5, 9, 17, 33, 70):
        x = torch.tensor((pattern * 8)[:n], dtype=dtype)
        rec(f"{n}", [1 / x.min(), 1 / (-x).max(), 1 / x.amin(), 1 / (-x).amax(), 1 / x.min(0).values])
    zero = torch.tensor(-0.0, dtype=dtype)
    rec("0d", [1 / zero.amin(0), 1 / zero.amax(-1, keepdim=True), 1 / zero.amin(), 1 / zero.max()])
    for shape in ((3, 40), (40, 3), (2, 3, 17), (9, 40)):
        count = 1
        for s in shape:
            count *= s
        x = torch.tensor((pattern * (count // len(pattern) + 1))[:count], dtype=dtype).reshape(shape)
        for dim in (0, -1, 1):
            rec(f"{shape}.{dim}", [1 / x.amin(dim), 1 / (-x).amax(dim), 1 / x.min(dim).values])


@scenario(dtypes=("float16", "float32", "float64"))
def cumsum_of_negative_zeros(torch, rec):
    """cumsum adds from +0.0, so a prefix of -0.0s sums to +0.0 (1 / it is inf, not -inf); a 0-d tensor is
    itself; cumprod multiplies from 1, keeping -0.0."""
    dtype = getattr(torch, rec.dtype)
    x = torch.tensor([[-0.0, -0.0, 1.0], [1.0, -0.0, -0.0]], dtype=dtype)
    for dim in (0, 1):
        rec(f"cumsum.{dim}.reciprocal", x.cumsum(dim).reciprocal())
        rec(f"cumprod.{dim}.reciprocal", x.cumprod(dim).reciprocal())
    rec("0d", torch.tensor(-0.0, dtype=dtype).cumsum(0).reciprocal())
