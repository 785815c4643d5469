"""Higher-order gradients: second and third derivatives, mixed partials and Hessian-vector products."""
import warnings

from . import scenario

FLOATS = ("float32", "float64")


@scenario(dtypes=FLOATS)
def cube_derivatives(torch, rec):
    x = rec.tensor(requires_grad=True)
    y = x ** 3
    (g1,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(g1, x, create_graph=True)
    (g3,) = torch.autograd.grad(g2, x)
    rec("g1", g1)
    rec("g2", g2)
    rec("g3", g3)


@scenario(dtypes=FLOATS)
def third_order_of_sin(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    g = x
    for order in (1, 2, 3):
        (g,) = torch.autograd.grad(g.sin().sum() if order == 1 else g.sum(), x, create_graph=True)
        rec(f"order{order}", g)


@scenario(dtypes=FLOATS)
def hessian_vector_product(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    v = torch.tensor([1.0, -1.0, 0.5], dtype=x.dtype)
    y = (x.exp() * x.sin()).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
    rec("g", g)
    rec("hv", hv)


@scenario(dtypes=FLOATS)
def mixed_partials(torch, rec):
    x, y = rec.tensor(requires_grad=True), rec.tensor(requires_grad=True)
    f = x * y ** 2 + x.exp() * y
    (fx,) = torch.autograd.grad(f, x, create_graph=True)
    fxy, fxx = torch.autograd.grad(fx, (y, x), allow_unused=True)
    rec("fx", fx)
    rec("fxy", fxy)
    rec("fxx", fxx)


@scenario
def backward_with_create_graph(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns once per process, so whether it shows depends on history
        (x ** 3).sum().backward(create_graph=True)
    rec("grad", x.grad)
    g = x.grad
    x.grad = None
    g.sum().backward()
    rec("second", x.grad)


@scenario(dtypes=FLOATS)
def second_order_of_activations(torch, rec):
    x = rec.tensor(5, requires_grad=True)
    for name in ("tanh", "sigmoid", "exp", "relu"):
        y = getattr(torch, name)(x).sum()
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        (h,) = torch.autograd.grad(g.sum(), x, allow_unused=True, materialize_grads=True)
        rec(f"{name}.g", g)
        rec(f"{name}.h", h)


@scenario
def grad_of_grad_without_create_graph(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    (g,) = torch.autograd.grad((x ** 2).sum(), x)
    rec("g", g)
    rec.raises("again", lambda: torch.autograd.grad(g.sum(), x))


@scenario(dtypes=FLOATS)
def create_graph_through_conv_and_pad(torch, rec):
    """backward(create_graph=True) through conv2d and reflect/replicate padding whose other operands are
    constants: the input's .grad is the output of PyTorch's backward op, which takes the input, so it requires
    grad (ConvolutionBackwardBackward0, ReplicationPad2DBackwardBackward0) and a second backward runs through it."""
    F = torch.nn.functional
    programs = {
        "conv2d.nan_gradient": lambda x: F.conv2d(x, torch.ones(1, 2, 2, 2, dtype=x.dtype), padding=1),
        "conv2d.sum": lambda x: F.conv2d(x, torch.ones(1, 2, 2, 2, dtype=x.dtype), padding=1).sum(),
        "pad.replicate": lambda x: F.pad(x, (1, 1, 1, 1), mode="replicate").sum(),
        "pad.reflect": lambda x: F.pad(x, (1, 1, 1, 1), mode="reflect").sum(),
    }
    for name, program in programs.items():
        x = rec.tensor(1, 2, 3, 3, requires_grad=True)
        y = program(x)
        gradient = torch.full_like(y, float("nan")) if name.endswith("nan_gradient") else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns of the reference cycle once per process
            y.backward(gradient, create_graph=True, inputs=[x])
        rec(f"{name}.grad", x.grad)
        first = x.grad
        rec(f"{name}.grad_of_grad", torch.autograd.grad(first.sum(), x, allow_unused=True))


# ------------------------------------------------------------------- fused backward ops (the bwops helper's block)
# The gradients of softmax, log_softmax, gelu, logsigmoid, mse_loss, binary_cross_entropy, nll_loss and embedding
# are PyTorch backward ops of their own (_softmax_backward_data, gelu_backward, nll_loss_backward, ...): under
# create_graph=True the first gradient's grad_fn is their node (SoftmaxBackwardDataBackward0), it requires grad
# through the input it saves even when the incoming gradient does not, and its derivatives are theirs.
def _fused_backward_cases(torch, rec):
    """name -> (inputs, f): f's gradient for inputs[0] runs one of PyTorch's fused backward ops (but for
    binary_cross_entropy_with_logits, whose gradient PyTorch composes of ops, ending in DivBackward1 for a mean)."""
    F = torch.nn.functional

    def leaf(*shape, low=-2.0, high=2.0):
        return rec.tensor(*shape, low=low, high=high, requires_grad=True)

    def prob(*shape):
        return rec.tensor(*shape, low=0.1, high=0.9)

    labels = torch.tensor([1, 0, 3])
    class_weight = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=getattr(torch, rec.dtype))
    indices = torch.tensor([[0, 2], [3, 2]])
    return {
        "softmax": ((leaf(3, 4),), lambda v: v.softmax(1)),
        "softmax_1d": ((leaf(4),), lambda v: v.softmax(0)),
        "log_softmax": ((leaf(3, 4),), lambda v: F.log_softmax(v, 1)),
        "gelu": ((leaf(3, 4),), lambda v: F.gelu(v)),
        "gelu_tanh": ((leaf(3, 4),), lambda v: F.gelu(v, approximate="tanh")),
        "logsigmoid": ((leaf(3, 4),), lambda v: F.logsigmoid(v)),
        "mse_mean": ((leaf(3, 4), prob(3, 4)), lambda v, t: F.mse_loss(v, t)),
        "mse_sum": ((leaf(3, 4), prob(3, 4)), lambda v, t: F.mse_loss(v, t, reduction="sum")),
        "mse_none": ((leaf(3, 4), prob(3, 4)), lambda v, t: F.mse_loss(v, t, reduction="none")),
        "mse_target": ((leaf(3, 4), leaf(3, 4)), lambda v, t: F.mse_loss(v, t)),
        "bce_mean": ((leaf(3, 4, low=0.1, high=0.9), prob(3, 4)), lambda v, t: F.binary_cross_entropy(v, t)),
        "bce_none": ((leaf(3, 4, low=0.1, high=0.9), prob(3, 4)),
                     lambda v, t: F.binary_cross_entropy(v, t, reduction="none")),
        "bce_weight": ((leaf(3, 4, low=0.1, high=0.9), prob(3, 4), prob(3, 4)),
                       lambda v, t, w: F.binary_cross_entropy(v, t, weight=w, reduction="sum")),
        "bce_target": ((leaf(3, 4, low=0.1, high=0.9), leaf(3, 4, low=0.1, high=0.9)),
                       lambda v, t: F.binary_cross_entropy(v, t)),
        "bce_logits_mean": ((leaf(3, 4), leaf(3, 4, low=0.1, high=0.9)),
                            lambda v, t: F.binary_cross_entropy_with_logits(v, t)),
        "bce_logits_pos_weight": ((leaf(3, 4), leaf(3, 4, low=0.1, high=0.9), prob(4)),
                                  lambda v, t, p: F.binary_cross_entropy_with_logits(v, t, pos_weight=p,
                                                                                      reduction="sum")),
        "nll_mean": ((leaf(3, 4),), lambda v: F.nll_loss(v, labels)),
        "nll_sum": ((leaf(3, 4),), lambda v: F.nll_loss(v, labels, reduction="sum")),
        "nll_none": ((leaf(3, 4),), lambda v: F.nll_loss(v, labels, reduction="none")),
        "nll_weight_ignore": ((leaf(3, 4),), lambda v: F.nll_loss(v, labels, weight=class_weight, ignore_index=0)),
        "nll_1d": ((leaf(4),), lambda v: F.nll_loss(v, torch.tensor(2))),
        "cross_entropy": ((leaf(3, 4),), lambda v: F.cross_entropy(v, labels)),
        "embedding": ((leaf(4, 3),), lambda w: F.embedding(indices, w)),
        "embedding_padding": ((leaf(4, 3),), lambda w: F.embedding(indices, w, padding_idx=2)),
    }


def _next_names(t, depth=2):
    """The grad_fn names `depth` steps further back from t's, nested (None for an input that gets no gradient)."""
    def names(fn, depth):
        if fn is None:
            return None
        if depth == 0:
            return fn.name()
        return [fn.name(), [names(f, depth - 1) for f, _ in fn.next_functions]]
    return [names(fn, depth - 1) for fn, _ in t.grad_fn.next_functions]


@scenario(dtypes=FLOATS)
def fused_backward_ops_create_graph(torch, rec):
    """The first gradient under create_graph=True (its grad_fn, whether it requires grad) and the second
    derivatives through it, with a constant incoming gradient (`.sum()`) and with one that requires grad."""
    for name, (inputs, f) in _fused_backward_cases(torch, rec).items():
        x = inputs[0]
        out = f(*inputs)
        g, = torch.autograd.grad((out * rec.tensor(*out.shape)).sum(), x, create_graph=True)  # a constant gradient
        rec(f"{name}.grad", g)
        if g.requires_grad:
            rec(f"{name}.second", torch.autograd.grad((g * g).sum(), inputs, allow_unused=True,
                                                      materialize_grads=True))
        v = rec.tensor(*out.shape, requires_grad=True)
        g, = torch.autograd.grad(out, x, grad_outputs=v, create_graph=True)
        rec(f"{name}.outer.grad", g)
        rec(f"{name}.outer.next", _next_names(g))
        rec(f"{name}.outer.second", torch.autograd.grad((g * g).sum(), inputs + (v,), allow_unused=True,
                                                        materialize_grads=True))


@scenario(dtypes=("float64",))
def fused_backward_ops_forward_over_reverse(torch, rec):
    """The fused backward ops run on dual tensors: the tangent of the gradient is their forward-mode rule.
    The input and the target get tangents (with a constant target, PyTorch's mse_loss rule divides a ZeroTensor
    in place and raises), a weight none (PyTorch refuses a dual weight)."""
    fw = torch.autograd.forward_ad
    for name, (inputs, f) in _fused_backward_cases(torch, rec).items():
        with fw.dual_level():
            duals = [fw.make_dual(t.detach().clone().requires_grad_(i == 0), rec.tensor(*t.shape)) if i < 2 else t
                     for i, t in enumerate(inputs)]
            g, = torch.autograd.grad((f(*duals) ** 2).sum(), duals[0], create_graph=True)
            primal, tangent = fw.unpack_dual(g)
            # values only, zeros unsigned: PyTorch computes some of these ops on dual tensors by their Python
            # decompositions (nll_loss_backward's gives -0.0 and an AddBackward0 tangent)
            rec(f"{name}.grad", (primal + 0.0).detach())
            rec(f"{name}.tangent", (tangent + 0.0).detach())


@scenario(dtypes=FLOATS)
def composite_gradients_create_graph(torch, rec):
    """Gradients PyTorch composes of ops, under create_graph=True with an incoming gradient that requires grad:
    the nodes of those ops (mean divides by a number: DivBackward1; maximum masks with masked_fill; a global
    max fills zeros: MaskedFillBackward1; amax views its reduced result back: ViewBackward0; repeat sums a view:
    SumBackward1; lerp multiplies by a number: MulBackward1) and the second derivatives through them."""
    functions = {
        "mean": lambda v: v.mean(),
        "mean_dim": lambda v: v.mean(1),
        "lerp": lambda v: torch.lerp(v, v.detach() * 2, 0.3),
        "lerp_end": lambda v: torch.lerp(v.detach() * 2, v, 0.3),
        "maximum": lambda v: torch.maximum(v, v.detach().flip(1)),
        "minimum": lambda v: torch.minimum(v.detach().flip(0), v),
        "max": lambda v: v.max(),
        "amax_dim": lambda v: v.amax(1),
        "amin_all": lambda v: v.amin(),
        "min_tied": lambda v: v.clamp(min=-0.5).min(),
        "repeat": lambda v: v.repeat(2, 1),
        "repeat_new_dim": lambda v: v.repeat(2, 1, 3),
        "repeat_new_dim_once": lambda v: v.repeat(2, 1, 1),
        "repeat_once": lambda v: v.repeat(1, 1),
        "repeat_zero": lambda v: v.repeat(0, 2),
    }
    for name, f in functions.items():
        x = rec.tensor(3, 4, requires_grad=True)
        out = f(x)
        v = rec.tensor(*out.shape, requires_grad=True)
        g, = torch.autograd.grad(out, x, grad_outputs=v, create_graph=True)
        rec(f"{name}.grad", g)
        if g.grad_fn is not None:
            rec(f"{name}.next", _next_names(g))
        if g.requires_grad:
            rec(f"{name}.second", torch.autograd.grad((g * g).sum(), (x, v), allow_unused=True, materialize_grads=True))


@scenario(dtypes=("float64",))
def fused_backward_bce_at_the_bounds(torch, rec):
    """binary_cross_entropy's double backward at inputs 0 and 1: PyTorch's formulas keep their 1e-12 off the
    bounds (large, finite second derivatives), its first backward clamps (1 - x) x at 1e-12."""
    F = torch.nn.functional
    x = torch.tensor([0.0, 1.0, 0.5, 0.25], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.3, 0.6, 0.2, 0.9], dtype=torch.float64, requires_grad=True)
    v = torch.tensor([1.5, 0.5, 2.0, 1.0], dtype=torch.float64, requires_grad=True)
    for reduction in ("none", "mean"):
        out = F.binary_cross_entropy(x, t, reduction=reduction)
        g, = torch.autograd.grad(out, x, grad_outputs=v if reduction == "none" else v[0], create_graph=True)
        rec(f"{reduction}.grad", g)
        rec(f"{reduction}.second", torch.autograd.grad(g.sum(), (x, t, v)))


@scenario(dtypes=FLOATS)
def cumprod_backward_passes_grad_through(torch, rec):
    """The fuzzer's finding: PyTorch's cumprod_backward returns the incoming gradient itself for at most one
    element or a size-1 dim, so under create_graph it requires grad only when that gradient does; with
    more elements it is built from the input and result (without zeros) and requires grad."""
    cases = {"one": ([1.0], 0), "one_zero": ([0.0], 0), "0d": (2.0, 0), "0d_neg_dim": (0.0, -1),
             "size1_dim": ([[1.0, 2.0, 0.0]], 0), "size1_neg_dim": ([[1.0], [2.0]], -1),
             "no_zero": ([1.0, 2.0, 3.0], 0), "empty": ([[], []], 1), "repro": ([1.0], 0)}
    for name, (values, dim) in cases.items():
        x = rec.constant(values, requires_grad=True)
        if name == "repro":  # the fuzzer's program: .grad accumulated over two create_graph backwards
            x.sum().backward(create_graph=True)
            x.cumprod(dim).sum().backward(create_graph=True)
            rec(f"{name}.grad", x.grad)
            continue
        y = x.cumprod(dim)
        g, = torch.autograd.grad(y.sum(), x, create_graph=True)
        rec(f"{name}.grad", g)
        seed = torch.ones_like(y).requires_grad_()
        g, = torch.autograd.grad(y, x, seed, create_graph=True)
        rec(f"{name}.seeded", g)
        rec(f"{name}.seeded_is_seed", g is seed)


@scenario(dtypes=FLOATS)
def cumsum_backward_passes_grad_through(torch, rec):
    """The fuzzer's finding: PyTorch's cumsum_backward returns the incoming gradient itself for at most one
    element (an empty tensor too) or a size-1 dim, so the gradient of cumsum-then-exp_ of an empty tensor is
    exp's MulBackward0; with more elements it is a reversed cumsum (flip, cumsum, flip)."""
    cases = {"empty": ([], 0), "empty_rows": ([[], []], 1), "one": ([2.0], 0), "0d": (2.0, 0),
             "size1_dim": ([[1.0, 2.0]], 0), "more": ([[1.0, 2.0], [3.0, 4.0]], 1)}
    for name, (values, dim) in cases.items():
        x = rec.constant(values, requires_grad=True)
        y = x.cumsum(dim)
        y.exp_()
        g, = torch.autograd.grad(y, x, torch.ones_like(y), create_graph=True)
        rec(f"{name}.grad", g)
        rec(f"{name}.next", _next_names(g, depth=3) if g.grad_fn is not None else None)


@scenario(dtypes=FLOATS)
def cumsum_cumprod_backward_cast_grad_first(torch, rec):
    """With dtype=, cumsum's and cumprod's formulas cast the incoming gradient to the input's dtype first
    (ToCopyBackward0 under the reversed cumsum or the products); cumprod's result-based path then computes
    in the result's dtype, cast back by the engine."""
    other = "float64" if rec.dtype == "float32" else "float32"
    for name, values in {"no_zero": [1.5, 2.0, 3.0], "zero": [1.5, 0.0, 3.0]}.items():
        for op in ("cumsum", "cumprod"):
            x = rec.constant(values, requires_grad=True)
            y = getattr(x, op)(0, dtype=getattr(torch, other))
            seed = torch.tensor([0.5, 1.0, 1.5], dtype=y.dtype, requires_grad=True)
            g, = torch.autograd.grad(y, x, seed, create_graph=True)
            rec(f"{name}.{op}.grad", g)
            rec(f"{name}.{op}.names", [g.grad_fn.name(), _next_names(g, depth=6)])
            rec(f"{name}.{op}.second", torch.autograd.grad(g.sum(), (x, seed), allow_unused=True))


@scenario(dtypes=FLOATS)
def cumprod_backward_with_zeros_differentiated(torch, rec):
    """cumprod's gradient for an input with zeros, under create_graph: PyTorch's O(n^2) path copies each
    position's gradient into a zeros tensor (CopySlices), products of slices and cumprods; its second
    derivative goes through them."""
    cases = {"vector": ([1.0, 0.0, 3.0], 0), "neg_dim": ([0.0, 2.0], -1),
             "rows": ([[1.0, 0.0, 2.0, 3.0], [0.5, 1.5, 0.0, 0.0]], 1), "cols": ([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]], 0)}
    for name, (values, dim) in cases.items():
        x = rec.constant(values, requires_grad=True)
        v = rec.tensor(*x.shape, requires_grad=True)
        y = x.cumprod(dim)
        g, = torch.autograd.grad(y, x, v, create_graph=True)
        rec(f"{name}.grad", g)
        rec(f"{name}.next", _next_names(g, depth=5))  # down to each position's products
        rec(f"{name}.second", torch.autograd.grad((g * g).sum(), (x, v)))
        rec(f"{name}.plain", torch.autograd.grad(y, x, v)[0])


@scenario(dtypes=FLOATS)
def cumsum_backward_passes_a_trivial_gradient_through(torch, rec):
    """cumsum's backward returns the gradient itself (its history with it) when there is nothing to sum: at most
    one element, or a dim of size 1."""
    for shape, dim in (((0,), 0), ((1,), 0), ((), 0), ((2, 0), 0), ((3, 1), 1), ((1, 3), 0), ((3, 1), 0), ((3,), 0)):
        x = torch.ones(shape, dtype=getattr(torch, rec.dtype), requires_grad=True)
        g = torch.ones(shape, dtype=x.dtype, requires_grad=True) * 2
        (r,) = torch.autograd.grad(x.cumsum(dim), x, g, create_graph=True)
        rec(f"{list(shape)}.{dim}", (r, r.grad_fn.name(), r is g))


@scenario(dtypes=FLOATS)
def prod_with_zeros_create_graph(torch, rec):
    """prod's gradient where the input has a zero is PyTorch's prod_safe_zeros_backward: the incoming gradient
    itself along a dim of size 1 (nothing recorded), exclusive cumprods otherwise, a view of the flattened one
    for a full prod; zeros when several are zero and no graph is made."""
    cases = {"dim_size1": ((1, 2, 2), 0), "dim": ((2, 2), 1), "all": ((2, 2), None), "all_one": ((1,), None)}
    for name, (shape, dim) in cases.items():
        x = torch.zeros(shape, dtype=getattr(torch, rec.dtype))
        with torch.no_grad():
            x.view(-1)[1:] = torch.tensor(rec.data(x.numel() - 1, low=0.5, high=2.0), dtype=x.dtype)
        x.requires_grad_()
        y = x.prod() if dim is None else x.prod(dim).sum()
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        rec(name, g)
        if g.requires_grad:
            rec(f"{name}.second", torch.autograd.grad(g.sum(), x, allow_unused=True))
    x = torch.tensor([[1.0, 0.0], [0.0, 3.0]], dtype=getattr(torch, rec.dtype), requires_grad=True)
    x.prod().backward(torch.tensor(float("inf"), dtype=x.dtype))
    rec("two_zeros_inf", x.grad)


@scenario(dtypes=("float32", "float64"))
def softplus_double_backward_graph(torch, rec):
    """softplus's second derivative is PyTorch's softplus_double_backward, whose beta is a C++ Scalar
    multiplied last: the third-order graph starts at MulBackward1."""
    F = torch.nn.functional
    x = rec.tensor(4, requires_grad=True)
    for beta, threshold in ((1.0, 20.0), (2.0, 0.5)):
        g, = torch.autograd.grad(F.softplus(x, beta=beta, threshold=threshold).sum(), x, create_graph=True)
        h, = torch.autograd.grad(g.sum(), x, create_graph=True)
        rec(f"beta_{beta}", [h, h.grad_fn.name(), [f and f.name() for f, _ in h.grad_fn.next_functions]])


@scenario(dtypes=("float32", "float64"))
def index_backward_under_create_graph(torch, rec):
    """index's gradient under create_graph is PyTorch's index_backward, _index_put_impl_ on fresh zeros: the
    node is IndexPutImplBackward0 with the zeros' empty edge first (mask, list and tensor indices, and a view
    of it for several indices)."""
    x = torch.tensor(rec.data(3, 2), requires_grad=True)
    cases = {"mask": lambda: x[x > 0], "list": lambda: x[[0, 2]], "tensor": lambda: x[torch.tensor([2, 0, 2])],
             "two_lists": lambda: x[[0, 2], [1, 1]], "mask_rows": lambda: x[torch.tensor([True, False, True])]}
    for name, index in cases.items():
        y = index()
        (g,) = torch.autograd.grad((y * y).sum(), x, create_graph=True)
        rec(f"{name}.grad", g)
        rec(f"{name}.edges", [None if f is None else f.name() for f, _ in g.grad_fn.next_functions])
        rec(f"{name}.second", torch.autograd.grad(g.sum(), x))


@scenario(dtypes=("float32", "float64"))
def matmul_gradient_layouts(torch, rec):
    """mm/addmm give a column-major operand (a linear layer's weight.t()) its gradient column-major, as
    PyTorch's mm_mat1/mat2_backward do from the saved strides, so the weight's own gradient is row-major:
    the gradients' graphs under create_graph show it (TBackward0 over MmBackward0)."""
    F = torch.nn.functional
    x = torch.tensor(rec.data(2, 3), requires_grad=True)
    w = torch.tensor(rec.data(4, 3), requires_grad=True)
    b = torch.tensor(rec.data(4), requires_grad=True)
    for name, y in (("linear", F.linear(x, w)), ("linear_bias", F.linear(x, w, b)), ("mm_t", x.mm(w.t())),
                    ("t_mm", w.t().t().mm(x.t())), ("column_major_input", x.t().t().mm(w.t()))):
        gx, gw = torch.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        rec(f"{name}.grads", [gx, gw])
        rec(f"{name}.graph", [gx.grad_fn, gx.grad_fn.next_functions[0][0], gw.grad_fn,
                              gw.grad_fn.next_functions[0][0]])
        rec(f"{name}.saved_strides", [getattr(y.grad_fn, n, None) for n in
                                      ("_saved_self_sym_strides", "_saved_mat1_sym_strides", "_saved_mat2_sym_strides")])
    z = x.t()  # a column-major mat1
    y = z.t().t().t().mm(torch.tensor(rec.data(3, 2), requires_grad=True))
    (gz,) = torch.autograd.grad(y.sum(), z, create_graph=True)
    rec("column_major_mat1", [gz, gz.grad_fn, y.grad_fn._saved_self_sym_strides])
