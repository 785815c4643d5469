"""Binary and ternary elementwise ops: same shapes, broadcasting and 0-d operands, OpInfo style
(see _opinfo.py): forward values and grad_fn names, first and second derivatives."""
from . import scenario
from ._opinfo import Sample as S, register_all

TIES = ([1.0, 2.0, -1.0, 0.0], [1.0, 0.0, -1.0, -0.0])
SHAPE_PAIRS = {"same": ((2, 3), (2, 3)), "broadcast": ((2, 3), (3,)), "0d": ((), (3,)),
               "broadcast_both": ((3, 1), (2, 3, 4))}


def _pairs(fn, **kw):
    return [S(key, fn, shapes, **kw) for key, shapes in SHAPE_PAIRS.items()]


TABLE = {
    "add": _pairs(lambda t, a, b: t.add(a, b)) + [S("alpha", lambda t, a, b: t.add(a, b, alpha=2.5), ((2, 3), (3,))),
                                                 S("scalar", lambda t, a: a + 1.5, ((2, 3),))],
    "sub": _pairs(lambda t, a, b: a - b) + [S("alpha", lambda t, a, b: t.sub(a, b, alpha=-2), ((3,), (2, 3))),
                                           S("rsub_scalar", lambda t, a: 2 - a, ((2, 3),))],
    "mul": _pairs(lambda t, a, b: a * b) + [S("scalar", lambda t, a: a * 3, ((2, 3),))],
    "div": _pairs(lambda t, a, b: a / b.abs().add(0.5)) + [
        S("rscalar", lambda t, a: 2 / a, ((2, 3),), low=0.5, high=2),
        S("trunc", lambda t, a, b: t.div(a, b, rounding_mode="trunc"), ((2, 3), (2, 3)), low=0.3, high=2),
        S("floor", lambda t, a, b: t.div(a, b, rounding_mode="floor"), ((2, 3), (3,)), low=0.3, high=2)],
    "pow": [S("scalar", lambda t, a: a ** 3, ((2, 3),)),
            S("scalar_fraction", lambda t, a: a.pow(1.5), ((2, 3),), low=0.2, high=2),
            S("tensor", lambda t, a, b: t.pow(a, b), ((2, 3), (3,)), low=0.2, high=2),
            S("reflected", lambda t, a: 2.0 ** a, ((2, 3),)),
            # 0 ** 0 == 1 with zero gradients; 0 ** e for e > 0 gives the exponent a zero gradient
            S("zero_base", lambda t, a, e: t.pow(a, e), values=([0.0, 0.0, 0.0, 2.0, -1.0], [0.0, 1.0, 2.0, 0.0, 2.0])),
            S("zero_exponent", lambda t, a: a ** 0, values=([0.0, 2.0, -1.0],)),
            S("reflected_zero_base", lambda t, e: 0.0 ** e, values=([0.0, 1.0, 2.5],))],
    "clamp": [S("both", lambda t, a: a.clamp(-0.5, 0.5), ((2, 3),)),
              S("min", lambda t, a: t.clamp(a, min=-0.5), ((2, 3),)),
              S("max", lambda t, a: t.clamp(a, max=0.5), ((),)),
              S("tensor_bounds", lambda t, a, lo, hi: t.clamp(a, lo - 1, hi + 1), ((2, 3), (3,), (2, 3))),
              S("tensor_min", lambda t, a, lo: a.clamp(min=lo), ((2, 3), (2, 3))),
              S("clamp_min", lambda t, a: t.clamp_min(a, 0.1), ((4,),)),
              S("clamp_max", lambda t, a: t.clamp_max(a, 0.1), ((4,),)),
              S("clip", lambda t, a: t.clip(a, -1, 1), ((4,),)),
              # ties: at a bound the gradient goes to self; with min > max the result is max
              S("ties_scalar", lambda t, a: a.clamp(-0.5, 0.5), values=([-0.5, 0.5, 0.0, 1.0],)),
              S("ties_tensor_bounds", lambda t, a, lo, hi: t.clamp(a, lo, hi),
                values=([-1.0, 0.0, 1.0, 2.0, 0.5, -1.0, 0.0, 1.0], [-1.0, -1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
                        [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])),
              S("ties_tensor_min", lambda t, a, lo: a.clamp(min=lo), values=([0.0, 1.0, -1.0], [0.0, 2.0, -2.0])),
              S("ties_tensor_max", lambda t, a, hi: a.clamp(max=hi), values=([0.0, 1.0, -1.0], [0.0, 2.0, -2.0])),
              S("ties_clamp_min", lambda t, a: t.clamp_min(a, 0.5), values=([0.5, -1.0, 1.0],)),
              S("ties_clamp_max", lambda t, a: t.clamp_max(a, 0.5), values=([0.5, -1.0, 1.0],))],
    # at a tie maximum and minimum split the gradient evenly
    "maximum": _pairs(lambda t, a, b: t.maximum(a, b)) + [S("max_binary", lambda t, a, b: t.max(a, b),
                                                           ((2, 3), (2, 3))),
                                                         S("ties", lambda t, a, b: t.maximum(a, b), values=TIES)],
    "minimum": _pairs(lambda t, a, b: t.minimum(a, b)) + [S("min_binary", lambda t, a, b: a.min(b),
                                                           ((2, 3), (3,))),
                                                         S("ties", lambda t, a, b: a.minimum(b), values=TIES)],
    "atan2": _pairs(lambda t, a, b: t.atan2(a, b)),
    "where": [S("same", lambda t, a, b: t.where(a > 0, a, b), ((2, 3), (2, 3))),
              S("broadcast", lambda t, a, b: t.where(b > 0, a, b), ((2, 3), (3,))),
              S("scalar", lambda t, a: t.where(a > 0, a, 0.0), ((2, 3),))],
    "addcmul": [S("same", lambda t, a, b, c: t.addcmul(a, b, c), ((2, 3),) * 3),
                S("value_broadcast", lambda t, a, b, c: t.addcmul(a, b, c, value=-0.5), ((3,), (2, 3), (2, 1)))],
    "addcdiv": [S("same", lambda t, a, b, c: t.addcdiv(a, b, c), ((2, 3),) * 3, low=0.5, high=2),
                S("value_broadcast", lambda t, a, b, c: a.addcdiv(b, c, value=2), ((3,), (2, 3), (2, 1)),
                  low=0.5, high=2)],
    "lerp": [S("scalar_weight", lambda t, a, b: t.lerp(a, b, 0.3), ((2, 3), (2, 3))),
             S("tensor_weight", lambda t, a, b, w: t.lerp(a, b, w), ((2, 3), (3,), (2, 3)), low=0, high=1)],
    "fmod": [S("scalar", lambda t, a: t.fmod(a, 0.7), ((2, 3),)),
             S("tensor", lambda t, a, b: t.fmod(a, b), ((2, 3), (3,)), low=0.3, high=2)],
    "remainder": [S("scalar", lambda t, a: t.remainder(a, 0.7), ((2, 3),)),
                  S("tensor", lambda t, a, b: a % b, ((2, 3), (2, 3)), low=0.3, high=2)],
}

globals().update(register_all(__name__, TABLE))


@scenario
def python_scalars(torch, rec):
    """Python numbers as operands: computed in the tensor's dtype (half in float, then rounded), and
    ints read as int64 (uint64 above it), with PyTorch's OverflowError beyond."""
    f32 = torch.tensor([0.1, 3.0, -2.5])
    rec("f32_times_out_of_range_float", f32 * 1e39)
    rec("f32_plus_2_pow_24", f32 + 16777216)
    rec("f32_plus_2_pow_24_plus_1", f32 + 16777217)
    rec("f32_eq_0.1", f32 == 0.1)
    rec("f32_div_int", f32 / 3)
    rec("f32_times_uint64", f32 * 2 ** 63)
    rec("f64_times_1e300", f32.double() * 1e300)
    rec("int_times_float", torch.tensor([1, 2, 3], dtype=torch.int32) * 2.5)
    rec("int64_plus_2_pow_63_wraps", torch.tensor([1]) + 2 ** 63)
    rec("half_times_float_beyond_half", f32.half() * 70000.0)
    rec("half_times_0.1", f32.half() * 0.1)
    rec("bool_plus_int", torch.tensor([True, False]) + 1)
    rec.raises("int_too_big", lambda: f32 * 2 ** 64)
    rec.raises("int_too_negative", lambda: f32 * (-2 ** 63 - 1))


@scenario
def half_arithmetic(torch, rec):
    """float16 computes in float (PyTorch's opmath) and rounds once; comparisons stay in half, where 0.1
    rounds to the same half as the tensor's 0.1."""
    h = torch.tensor([0.1, 0.2, 3.0, 1000.0, 65000.0], dtype=torch.float16)
    rec("eq_scalar", h == 0.1)
    rec("lt_scalar", h < 0.1)
    rec("times_scalar", h * 0.1)
    rec("plus_0d_float32_tensor", h + torch.tensor(0.1))
    rec("sum", h.sum())
    rec("softmax", h.softmax(0))
    rec("addcmul", h.addcmul(h, h, value=0.1))


@scenario
def half_rounds_through_float(torch, rec):
    """A double becomes a half through a float (c10::Half is made from a float), so it may round twice:
    0.9377441617 is 0.9375 in half, not 0.93799 (recorded as float64, where the tolerance cannot hide it)."""
    values = [0.9377441617, 1.00048828125 + 1e-12, 2049.0000001, 65519.99]
    exact = lambda t: t.double()  # noqa: E731
    rec("tensor", exact(torch.tensor(values, dtype=torch.float16)))
    rec("tensor_0d", [exact(torch.tensor(v, dtype=torch.float16)) for v in values])
    rec("full", exact(torch.full((1,), values[0], dtype=torch.float16)))
    rec("fill_", exact(torch.zeros(1, dtype=torch.float16).fill_(values[0])))
    rec("cast", exact(torch.tensor(values, dtype=torch.float64).half()))
    rec("to", exact(torch.tensor(values, dtype=torch.float64).to(torch.float16)))
    rec("int_cast", exact(torch.tensor([2 ** 24 + 1, 4097, 33 * 2 ** 20 + 1]).half()))


@scenario(dtypes=("float32",))
def logical_bitwise_and_floor_divide(torch, rec):
    """The ops no OpInfo table samples: logical and bitwise ops on bools, isfinite, floor division (whose
    derivative PyTorch does not implement), rsub of two tensors."""
    a, b = rec.tensor(4), rec.tensor(4)
    p, q = a > 0, b > 0
    rec("logical_and", torch.logical_and(p, q))
    rec("logical_or", torch.logical_or(p, q))
    rec("xor", p ^ q)
    rec("invert_bool", ~p)
    rec("invert_int", ~torch.tensor([0, 5, -3]))
    special = torch.cat([a / (b > 0).float(), torch.tensor([float("nan"), float("-inf")])])
    rec("isfinite", torch.isfinite(special))
    rec("isnan_isinf", [special.isnan(), torch.isinf(special), special.isposinf(), torch.isneginf(special)])
    rec("isnan_int", torch.isnan(torch.tensor([1, 2])))
    rec("floor_divide", torch.floor_divide(a, b))
    rec("floor_divide_scalar", a // 2)
    x = a.clone().requires_grad_()
    rec.raises("floor_divide_backward", lambda: torch.floor_divide(x, b).sum().backward())
    rec.raises("floor_divide_scalar_backward", lambda: (x // 2).sum().backward())
    other = b.clone().requires_grad_()
    y = torch.rsub(x, other, alpha=2)
    (y * a).sum().backward()
    rec("rsub", y)
    rec("rsub_grads", [x.grad, other.grad])
    _, tangent = torch.func.jvp(lambda v: torch.rsub(v, b), (a,), (b,))
    rec("rsub_jvp", tangent)


@scenario
def bitwise_ops(torch, rec):
    """bitwise_and/or/xor/not as functions, methods, in-place methods and operators (reflected and augmented
    too), on bool and integer tensors with tensors and Python numbers; float operands get PyTorch's
    NotImplementedError naming the kernel, ~ of a float tensor its TypeError."""
    ints, bools = torch.tensor([12, -3, 0, 7]), torch.tensor([True, False, True, False])
    small, floats = torch.tensor([10, 6, 1, 3], dtype=torch.int32), torch.tensor([1.0, 2.0, 3.0, 4.0])
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        fn = getattr(torch, name)
        rec(f"{name}.ints", fn(ints, small))
        rec(f"{name}.bools", fn(bools, bools.flip(0)))
        rec(f"{name}.bool_int", fn(bools, small))
        rec(f"{name}.scalar", fn(ints, 5))
        rec(f"{name}.scalar_first", fn(5, small))
        rec(f"{name}.bool_scalar", fn(bools, True))
        rec(f"{name}.method", getattr(small, name)(ints))
        rec(f"{name}.inplace", getattr(ints.clone(), name + "_")(small))
        rec.raises(f"{name}.inplace_into_bool", lambda: getattr(bools.clone(), name + "_")(small))
        rec.raises(f"{name}.float", lambda: fn(floats, ints))
        rec.raises(f"{name}.float_scalar", lambda: fn(ints, 0.5))
    for symbol, op in {"&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b}.items():
        rec(f"{symbol}.reflected", op(6, small))
        rec(f"{symbol}.reflected_bool", op(True, bools))
        rec(f"{symbol}.broadcast", op(torch.tensor([[1], [2]]), torch.tensor([3, 1, 2])))
        rec.raises(f"{symbol}.float", lambda: op(floats, 1))
        rec.raises(f"{symbol}.reflected_float", lambda: op(-1, torch.tensor(1.0)))
    augmented = ints.clone()
    augmented &= 6
    augmented |= small
    augmented ^= 1
    rec("augmented", augmented)
    rec.raises("augmented_float", lambda: floats.__iand__(1))
    rec("not", [torch.bitwise_not(ints), bools.bitwise_not(), ~small, ~bools, small.clone().bitwise_not_()])
    rec.raises("not_float", lambda: torch.bitwise_not(floats))
    rec.raises("invert_float", lambda: ~floats)


@scenario(dtypes=("float32", "float64"))
def clamp_min_max_tensor_bounds(torch, rec):
    """clamp_min/clamp_max with a tensor bound are overloads of their own (ClampMinBackward1,
    ClampMaxBackward1), not clamp's: the bound gets the gradient where it wins, self at ties."""
    x = torch.tensor([1.0, 2.0, 1.5, -1.0], dtype=getattr(torch, rec.dtype), requires_grad=True)
    bound = torch.tensor([1.5, 1.5, 1.5, 0.0], dtype=getattr(torch, rec.dtype), requires_grad=True)
    low, high = torch.clamp_min(x, bound), x.clamp_max(bound)
    rec("clamp_min", low)
    rec("clamp_max", high)
    (low * 2 + high * 3).sum().backward()
    rec("x.grad", x.grad)
    rec("bound.grad", bound.grad)
    tangents = (torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=x.dtype), torch.tensor([-1.0, -2.0, -3.0, -4.0], dtype=x.dtype))
    primals = (x.detach(), bound.detach())
    rec("clamp_min.jvp", torch.func.jvp(lambda a, b: torch.clamp_min(a, b), primals, tangents)[1])
    rec("clamp_max.jvp", torch.func.jvp(lambda a, b: torch.clamp_max(a, b), primals, tangents)[1])


@scenario
def broadcast_checked_before_kernel_dtype(torch, rec):
    """Operands that do not broadcast fail with the size message before the kernel refuses their dtype
    (bitwise ops of floats, addcmul of bools), in place too."""
    f3, f4 = torch.ones(3), torch.ones(4)
    rec.raises("and", lambda: f3 & f4)
    rec.raises("or", lambda: torch.bitwise_or(f3, torch.ones(2, 4)))
    rec.raises("xor_mixed", lambda: f3 ^ torch.ones(4, dtype=torch.int64))
    rec.raises("and_same_shape", lambda: f3 & f3)
    rec.raises("inplace", lambda: f3.clone().bitwise_and_(f4))
    rec.raises("inplace_output_shape", lambda: f3.clone().bitwise_and_(torch.ones(2, 3)))
    b3, b4 = torch.ones(3, dtype=torch.bool), torch.ones(4, dtype=torch.bool)
    rec.raises("addcmul_bool", lambda: torch.addcmul(b3, b4, b4))


@scenario(dtypes=("float32", "float64"))
def bce_with_logits_takes_target_dtype(torch, rec):
    """binary_cross_entropy_with_logits computes in place in `1 - target`: the loss has target's dtype, its
    gradients their inputs'; an integer or bool target fails as PyTorch's in-place cast does."""
    F = torch.nn.functional
    other = "float64" if rec.dtype == "float32" else "float32"
    x = rec.tensor(3, requires_grad=True)
    t = torch.tensor([0.25, 1.0, 0.0], dtype=getattr(torch, other), requires_grad=True)
    for reduction in ("none", "mean", "sum"):
        loss = F.binary_cross_entropy_with_logits(x, t, reduction=reduction)
        rec(f"{reduction}.loss", [loss.dtype, loss])
        rec(f"{reduction}.grads", torch.autograd.grad(loss.sum(), [x, t]))
    rec("pos_weight", F.binary_cross_entropy_with_logits(x, t, pos_weight=torch.tensor([1.0, 2.0, 3.0])).dtype)
    rec.raises("int64_target", lambda: F.binary_cross_entropy_with_logits(x, torch.ones(3, dtype=torch.int64)))
    rec.raises("int32_target", lambda: F.binary_cross_entropy_with_logits(x, torch.ones(3, dtype=torch.int32)))
    rec.raises("bool_target", lambda: F.binary_cross_entropy_with_logits(x, torch.ones(3, dtype=torch.bool)))
    rec.raises("int_input", lambda: F.binary_cross_entropy_with_logits(torch.ones(3, dtype=torch.int64), t.detach()))
    rec.raises("int_both", lambda: F.binary_cross_entropy_with_logits(torch.ones(3, dtype=torch.int64),
                                                                      torch.ones(3, dtype=torch.int64)))


@scenario(dtypes=("float32", "float64"))
def fused_multiply_add_rounding(torch, rec):
    """add/sub with alpha, addcmul and lerp round once (PyTorch's CPU kernels use a fused multiply-add), so
    they differ from the same sum written as two ops in about a quarter of the elements; addcdiv divides
    value * tensor1 by tensor2. Compared exactly, as bool tensors of where each equals the two-op form."""
    a, b, c = (rec.tensor(64) for _ in range(3))
    w = rec.tensor(64, low=0.0, high=1.0)
    rec("add", torch.add(a, b, alpha=0.7) == a + b * 0.7)
    rec("sub", torch.sub(a, b, alpha=0.7) == a - b * 0.7)
    rec("add_", a.clone().add_(b, alpha=0.7) == a + b * 0.7)
    rec("addcmul", torch.addcmul(a, b, c, value=0.7) == a + b * 0.7 * c)
    rec("addcmul_value_1", torch.addcmul(a, b, c) == a + b * c)
    rec("addcdiv", torch.addcdiv(a, b, c, value=0.7) == a + (b * 0.7) / c)
    rec("lerp_small_weight", torch.lerp(a, b, 0.3) == a + 0.3 * (b - a))
    rec("lerp_large_weight", torch.lerp(a, b, 0.8) == b - (b - a) * (1 - 0.8))
    rec("lerp_tensor_weight", torch.lerp(a, b, w) == torch.where(w < 0.5, a + w * (b - a), b - (b - a) * (1 - w)))
