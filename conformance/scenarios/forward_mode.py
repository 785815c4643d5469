"""Forward-mode AD and torch.func: dual tensors (make_dual, unpack_dual, reprs, levels and their
errors), tangents through views, in-place ops and custom Functions, and the func transforms
(grad, vjp, jvp, jacrev, jacfwd, hessian, nesting)."""
from . import scenario


@scenario(dtypes=("float32", "float64"))
def dual_tensors(torch, rec):
    fwAD = torch.autograd.forward_ad
    x = rec.tensor(3, requires_grad=True)
    t = rec.tensor(3)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        rec("dual", d)
        rec("dual_repr", repr(fwAD.make_dual(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))))
        y = (d * d).sin().sum()
        primal, tangent = fwAD.unpack_dual(y)
        rec("primal", primal)
        rec("tangent", tangent)
        rec("unpacked_type", type(fwAD.unpack_dual(y)).__name__)
        rec("no_tangent", fwAD.unpack_dual(x).tangent)
        view = d[1:].unsqueeze(0).t()
        rec("view_tangent", fwAD.unpack_dual(view).tangent)
        z = d.clone()
        z.mul_(2)
        # values only: torch updates the tangent in place with copy_ (CopyBackwards); refgrad replaces it
        rec("inplace_tangent", fwAD.unpack_dual(z).tangent.detach())
        rec("comparison_has_no_tangent", fwAD.unpack_dual(d > 0).tangent)
        rec.raises("size_mismatch", lambda: fwAD.make_dual(x, torch.ones(4)))
        rec.raises("integer_primal", lambda: fwAD.make_dual(torch.tensor([1, 2]), torch.tensor([1, 2])))
        rec.raises("nested_level", lambda: fwAD.dual_level().__enter__())
        # the tangent is differentiable in reverse mode
        (g,) = torch.autograd.grad(tangent, x)
        rec("grad_of_tangent", fwAD.unpack_dual(g).primal)  # its own tangent: tangent_of_a_gradient
    rec("after_level", fwAD.unpack_dual(d))
    rec.raises("no_level", lambda: fwAD.make_dual(x, t))


@scenario(dtypes=("float32", "float64"))
def tangent_of_a_gradient(torch, rec):
    """A reverse-mode gradient taken inside a dual level from a graph that saved dual tensors has a tangent
    of its own (forward over reverse through the backward formulas)."""
    fwAD = torch.autograd.forward_ad
    x = rec.tensor(3, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, rec.tensor(3))
        tangent = fwAD.unpack_dual((d * d).sin().sum()).tangent
        (g,) = torch.autograd.grad(tangent, x)
        rec("tangent", fwAD.unpack_dual(g).tangent)


@scenario(dtypes=("float32", "float64"))
def tangent_read_from_the_output(torch, rec):
    """A forward formula that reads the op's output (exp, tanh, sigmoid) is recorded through the output's
    grad_fn, so the tangent has a graph back to the primal; a gradient through the output saved for
    backward still has the output's tangent."""
    fwAD = torch.autograd.forward_ad
    x = rec.tensor(3, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, rec.tensor(3))
        for name in ("exp", "tanh", "sigmoid"):
            tangent = fwAD.unpack_dual(getattr(torch, name)(d)).tangent
            rec(f"{name}.tangent", tangent)
            rec(f"{name}.grad_of_tangent", torch.autograd.grad(tangent.sum(), x))
            (g,) = torch.autograd.grad(getattr(torch, name)(d).sum(), x, create_graph=True)
            t = fwAD.unpack_dual(g).tangent  # its grad_fn: PyTorch's ViewBackward0, refgrad's AsStridedBackward0
            rec(f"{name}.tangent_of_gradient", [t.detach(), t.requires_grad])


@scenario(dtypes=("float32", "float64"))
def custom_function_jvp(torch, rec):
    fwAD = torch.autograd.forward_ad

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.save_for_forward(x)  # what jvp's ctx.saved_tensors gives
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * t

    class NoJvp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class SavedOnlyForBackward(Cube):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

    x, t = rec.tensor(3), rec.tensor(3)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        rec("cube", fwAD.unpack_dual(Cube.apply(d)))
        rec.raises("missing_jvp", lambda: NoJvp.apply(d))
        rec.raises("jvp_reads_tensors_saved_for_backward", lambda: SavedOnlyForBackward.apply(d))
    y = Cube.apply(x.requires_grad_())
    y.sum().backward()
    rec("cube_backward", x.grad)


@scenario(dtypes=("float64",))
def dual_level_numbers(torch, rec):
    """The user's level is PyTorch's level 0 (its index among the active levels, and nothing nests with it): what
    enter_dual_level and dual_level return, what the errors name; leaving a level that is not active is refused."""
    fwAD = torch.autograd.forward_ad
    x, t = rec.tensor(3), rec.tensor(3)
    with fwAD.dual_level() as level:
        rec("dual_level", level)
        d = fwAD.make_dual(x, t)
        rec.raises("make_dual_of_a_dual", lambda: fwAD.make_dual(d, t))
        rec.raises("make_dual_of_its_result", lambda: fwAD.make_dual(d * 2, t))
        rec("make_dual_of_its_primal", fwAD.make_dual(fwAD.unpack_dual(d).primal, t * 2))
    try:
        rec("entered", fwAD.enter_dual_level())
        rec.raises("exit_another_level", lambda: fwAD.exit_dual_level(level=1))
        rec("exited", fwAD.exit_dual_level(level=0))
        rec.raises("exit_again", lambda: fwAD.exit_dual_level())
        rec.raises("exit_level_0_again", lambda: fwAD.exit_dual_level(level=0))
        rec("entered_again", fwAD.enter_dual_level())
    finally:
        rec.raises("left", fwAD.exit_dual_level)  # and no level stays active for the cases after this one


@scenario(dtypes=("float64",))
def custom_function_jvp_results(torch, rec):
    """What a custom Function's jvp returns is checked as PyTorch's set_fw_grad and its Function wrapper do: one
    tangent per output, a tensor or None, of the output's size (not broadcast to it); a tangent of another
    floating dtype is kept as it is. (A None fails an internal assert in PyTorch: not asked for.)"""
    fwAD = torch.autograd.forward_ad
    results = {"shorter": lambda t: t[:2], "broadcastable": lambda t: t[:1], "0d": lambda t: t.sum(),
               "float32": lambda t: t.float(), "number": lambda t: 3.0, "two_for_one": lambda t: (t, t)}
    for name, result in results.items():
        class Double(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def jvp(ctx, t, result=result):
                return result(t)

        def tangent():
            with fwAD.dual_level():
                return fwAD.unpack_dual(Double.apply(fwAD.make_dual(rec.tensor(4), rec.tensor(4)))).tangent
        rec.raises(name, tangent)


@scenario(dtypes=("float32", "float64"))
def jacobian_options(torch, rec):
    """jacfwd's and jacrev's has_aux (the aux as f returned it, without tangents), jacfwd's randomness and
    jacrev's chunk_size, and the argnums checks of torch.func's transforms (negative argnums count from the end;
    jacfwd's own with a negative argnums is PyTorch's bug, a zero jacobian, so it is not asked for here)."""
    func = torch.func
    x, y = rec.tensor(3), rec.tensor(3)
    rec("jacrev_has_aux", func.jacrev(lambda a: (a.sin(), a.sum()), has_aux=True)(x))
    rec("jacfwd_has_aux", func.jacfwd(lambda a: (a.sin(), [a.sum(), a * 2]), has_aux=True)(x))
    rec("jacfwd_has_aux_argnums", func.jacfwd(lambda a, b: (a * b, (a + b).exp()), (0, 1), True)(x, y))
    rec("jacrev_negative_argnums", func.jacrev(lambda a, b: a * b, argnums=(-1, 0))(x, y))
    rec("jacrev_chunk_size", func.jacrev(lambda a: a.sin(), chunk_size=2)(x))
    rec("jacfwd_randomness_same", func.jacfwd(lambda a: a.exp(), randomness="same")(x))
    for name, transform in (("jacrev", func.jacrev), ("jacfwd", func.jacfwd)):
        rec.raises(f"{name}_has_aux_not_a_pair", lambda: transform(lambda a: a.sin(), has_aux=True)(x))
    rec.raises("jacfwd_has_aux_a_list", lambda: func.jacfwd(lambda a: [a, a], has_aux=True)(x))
    rec.raises("grad_has_aux_not_a_pair", lambda: func.grad(lambda a: a.sum(), has_aux=True)(x))
    rec.raises("vjp_has_aux_not_a_pair", lambda: func.vjp(lambda a: a.sin(), x, has_aux=True))
    rec.raises("jvp_has_aux_not_a_pair", lambda: func.jvp(lambda a: a.sin(), (x,), (y,), has_aux=True))
    two = lambda a, b: a * b  # noqa: E731
    argnums = {"repeated": (1, -1), "empty": (), "past_the_end": 2, "a_list": [0, 1], "a_float": (0, 1.0)}
    for name, nums in argnums.items():
        for transform in ("jacfwd", "jacrev", "hessian"):
            rec.raises(f"{transform}_argnums_{name}", lambda: getattr(func, transform)(two, argnums=nums)(x, y))
        rec.raises(f"grad_argnums_{name}", lambda: func.grad(lambda a, b: two(a, b).sum(), argnums=nums)(x, y))
    rec.raises("jacfwd_random_op", lambda: func.jacfwd(lambda a: a * torch.rand(3))(x))
    rec.raises("jacfwd_bad_randomness", lambda: func.jacfwd(lambda a: a, randomness="nope")(x))
    rec.raises("jacrev_chunk_size_0", lambda: func.jacrev(lambda a: a, chunk_size=0))


@scenario(dtypes=("float32", "float64"))
def func_transforms(torch, rec):
    func = torch.func
    x = rec.tensor(3)
    m = rec.tensor(2, 3)

    def f(v):
        return (v.sin() * v).sum()

    def g(v):
        return m @ v.tanh()

    rec("grad", func.grad(f)(x))
    rec("grad_and_value", func.grad_and_value(f)(x))
    rec("grad_argnums", func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, x.exp()))
    rec("grad_has_aux", func.grad(lambda v: (f(v), v.mean()), has_aux=True)(x))
    out, vjp_fn = func.vjp(g, x)
    rec("vjp", (out, vjp_fn(rec.tensor(2))))
    rec("jvp", func.jvp(g, (x,), (rec.tensor(3),)))
    rec("jacrev", func.jacrev(g)(x))
    rec("jacfwd", func.jacfwd(g)(x))
    rec("hessian", func.hessian(f)(x))
    rec("grad_of_grad", func.grad(lambda v: func.grad(f)(v).sum())(x))
    rec("jacrev_of_grad", func.jacrev(func.grad(f))(x))
    rec("jacfwd_softmax", func.jacfwd(lambda v: v.softmax(0))(x))
    rec("hessian_of_mlp", func.hessian(lambda v: torch.nn.functional.gelu(m @ v).pow(2).sum())(x))
    rec.raises("grad_of_vector", lambda: func.grad(g)(x))
    rec.raises("jvp_structure", lambda: func.jvp(g, (x,), (x, x)))
    y = rec.tensor(3, requires_grad=True)
    z = func.grad(f)(y)
    rec("grad_keeps_outer_graph", z)
    rec("outer_backward", torch.autograd.grad(z.sum(), y))


@scenario(dtypes=("float64",))
def forward_over_reverse(torch, rec):
    """Hessians by jacfwd(jacrev(f)): forward mode runs through backward formulas, so the forward-mode rules
    of the backward ops (tanh_backward, threshold_backward, elu_backward, select_backward, ...) are checked
    here."""
    F = torch.nn.functional
    x = rec.tensor(2, 3)
    w = rec.tensor(1, 1, 2, 2)
    functions = {
        "tanh": lambda v: (v.tanh() * v).sum(),
        "sigmoid": lambda v: (v.sigmoid() * v).sum(),
        "relu": lambda v: (v.relu() * v).sum(),
        "elu": lambda v: (F.elu(v, alpha=0.5) * v).sum(),
        "leaky_relu": lambda v: (F.leaky_relu(v, 0.2) * v).sum(),
        "softplus": lambda v: (F.softplus(v, beta=2.0, threshold=1.0) * v).sum(),
        "abs": lambda v: (v.abs() * v).sum(),
        "exp2": lambda v: v.exp2().sum(),
        "index": lambda v: (v[0] * v[1]).sum() + (v[:, 1:] ** 2).sum() + (v[[0, 1, 1], [2, 0, 1]] ** 3).sum(),
        "diagonal": lambda v: (v.diagonal() ** 3).sum(),
        "conv": lambda v: (F.conv2d(v.reshape(1, 1, 2, 3), w) ** 2).sum(),
        "tensordot": lambda v: (torch.tensordot(v, v, dims=([1], [1])) ** 2).sum(),
    }
    for name, f in functions.items():
        rec(name, torch.func.hessian(f)(x))
    # the weight's gradient, differentiated forward in the input: convolution_backward's forward-mode rule
    conv = lambda v, k: (F.conv2d(v.reshape(1, 1, 2, 3), k) ** 2).sum()  # noqa: E731
    rec("conv_mixed", torch.func.jacfwd(torch.func.jacrev(conv, argnums=1), argnums=0)(x, w))


@scenario(dtypes=("float32", "float64"))
def nested_forward_mode(torch, rec):
    """torch.func's jvp nests: jacfwd(jacfwd(f)) and jvp of jvp give second and third derivatives, the
    inner level's tangents computed with the outer level active (through views, in-place ops on them and
    reductions); the results keep a graph to an input that requires grad. The user's dual_level nests with
    neither."""
    func, fwAD = torch.func, torch.autograd.forward_ad
    x = rec.tensor(3)
    m = rec.tensor(2, 3)
    functions = {
        "sin_exp": lambda v: (v.sin() * v.exp()).sum(),
        "tanh_pow": lambda v: (v.tanh() * v.pow(3)).sum(),
        "softmax": lambda v: (v.softmax(0) * v).sum(),
        "matmul": lambda v: (m @ v).sigmoid().prod(),
        "views": lambda v: (v[0] * v[1:]).sum() + v.unsqueeze(0).t().pow(2).sum(),
        "inplace_on_view": lambda v: _written_through_a_view(v).pow(2).sum(),
        "norm": lambda v: torch.linalg.vector_norm(v) * v.sum(),
    }
    for name, f in functions.items():
        rec(name, func.jacfwd(func.jacfwd(f))(x))
    rec("vector_valued", func.jacfwd(func.jacfwd(lambda v: v.exp() * v.sum()))(x))
    rec("third_order", func.jacfwd(func.jacfwd(func.jacfwd(lambda v: (v ** 4).sum())))(x))
    g = lambda v: v.tanh() * v.pow(3)  # noqa: E731
    rec("jvp_of_jvp", func.jvp(lambda a: func.jvp(g, (a,), (torch.ones_like(a),))[1], (x,), (x.cos(),)))
    # the inner jvp's primal output keeps its tangent at the outer level (unpack_dual's _fw_primal)
    rec("jvp_of_inner_primal", func.jvp(lambda a: func.jvp(g, (a,), (torch.ones_like(a),))[0], (x,), (x.cos(),)))
    rec("jacfwd_of_jacrev", func.jacfwd(func.jacrev(functions["sin_exp"]))(x))
    rec("jacrev_of_jacfwd", func.jacrev(func.jacfwd(functions["sin_exp"]))(x))
    y = rec.tensor(3, requires_grad=True)
    h = func.jacfwd(func.jacfwd(functions["tanh_pow"]))(y)
    rec("keeps_the_graph", h)
    rec("backward_through_it", torch.autograd.grad(h.sum(), y))
    with fwAD.dual_level():
        rec.raises("jvp_inside_dual_level", lambda: func.jvp(g, (x,), (x,)))
    rec.raises("dual_level_inside_jvp", lambda: func.jvp(lambda a: fwAD.dual_level().__enter__(), (x,), (x,)))


def _written_through_a_view(v):
    w = v.exp()  # not v * 2: README, known differences (PyTorch's ZeroTensor tangent)
    w[1:].mul_(v[:2].sin())
    w.add_(v)
    return w


@scenario(dtypes=("float32", "float64"))
def cumprod_tangent_with_zeros_nan_inf(torch, rec):
    """cumprod's tangent is PyTorch's cumprod_jvp: (t / x).cumsum * result (a NaN or inf spreads NaN), and
    from a slice's first zero on the cumprod of x with the tangent in the zero's place; a 0-d input's is
    t / x * x, or its tangent where it is zero."""
    nan, inf = float("nan"), float("inf")
    cases = {"fuzz_repro": ([[1.0, 1.0, 1.0], [1.0, -0.0, nan]], 0), "nan_before_zero": ([nan, 0.0, 3.0], 0),
             "inf_before_zero": ([2.0, inf, 0.0, 3.0], 0), "nan_between_zeros": ([2.0, 0.0, nan, 0.0, 5.0], 0),
             "inf_after_zero": ([2.0, 0.0, inf], 0), "rows": ([[0.3, 0.0, 1.9], [0.0, 0.7, 0.0]], 1),
             "0d": (3.0, 0), "0d_zero": (0.0, 0), "0d_inf": (inf, 0), "empty": ([], 0)}
    fwAD = torch.autograd.forward_ad
    for name, (values, dim) in cases.items():
        x = rec.constant(values)
        with fwAD.dual_level():
            y = fwAD.make_dual(x, torch.full_like(x, 0.5)).cumprod(dim)
            rec(name, fwAD.unpack_dual(y).tangent)


@scenario(dtypes=("float64",))
def masked_scatter_backward_passes_its_tangent_through(torch, rec):
    """masked_scatter's gradient for its source is the op masked_scatter_backward, whose forward-mode rule in
    PyTorch is masked_scatter_backward of the incoming tangent shaped as that tangent, not as the source: right
    when the source is shaped like the gradient, refused otherwise."""
    fwAD = torch.autograd.forward_ad
    mask = torch.tensor([[True, False, True], [False, True, False]])
    for name, n in (("same_shape", (2, 3)), ("flat_source", (7,))):
        source = rec.tensor(*n, requires_grad=True)
        y = rec.tensor(2, 3).masked_scatter(mask, source)

        def gradient():
            with fwAD.dual_level():
                g, = torch.autograd.grad(y, source, fwAD.make_dual(rec.tensor(2, 3), rec.tensor(2, 3)),
                                         retain_graph=True)
                primal, tangent = fwAD.unpack_dual(g)
                return primal, tangent
        rec.raises(name, gradient)
