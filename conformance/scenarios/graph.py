"""Graph structure: grad_fn names, next_functions, AccumulateGrad nodes and requires_grad propagation."""
from . import scenario


def _walk(fn, depth=0, out=None):
    """(depth, node name, input index) for every node reachable from fn, depth first."""
    out = [] if out is None else out
    for nxt, index in fn.next_functions:
        out.append((depth, None if nxt is None else nxt.name(), index))
        if nxt is not None:
            _walk(nxt, depth + 1, out)
    return out


@scenario
def chain_of_nodes(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    c = torch.tensor(rec.data(3))
    y = ((x * c).exp() + x.sin()).sum()
    rec("root", y.grad_fn)
    rec("walk", _walk(y.grad_fn))


@scenario
def accumulate_grad_node(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    node = (x * 2).grad_fn.next_functions[0][0]
    rec("name", node)
    rec("variable_is_x", node.variable is x)
    rec("same_node_twice", node is (x * 3).grad_fn.next_functions[0][0])
    rec("leaf_grad_fn", x.grad_fn)


@scenario
def view_nodes(torch, rec):
    x = torch.tensor(rec.data(2, 3), requires_grad=True)
    outs = {"view": x.view(3, 2), "t": x.t(), "transpose": x.transpose(0, 1), "permute": x.permute(1, 0),
            "unsqueeze": x.unsqueeze(0), "squeeze": x.unsqueeze(0).squeeze(0), "expand": x[:1].expand(4, 3),
            "select": x[1], "slice": x[:, 1:], "index": x[[0, 1, 1]], "clone": x.clone()}
    for name, t in outs.items():
        rec(name, t)


@scenario
def requires_grad_propagates(torch, rec):
    a = torch.tensor(rec.data(2), requires_grad=True)
    b = torch.tensor(rec.data(2))
    rec("a*b", a * b)
    rec("b*b", b * b)
    rec("comparison", a > b)
    rec("leaves", [a.is_leaf, b.is_leaf, (a * b).is_leaf, (b * b).is_leaf])


@scenario
def operator_node_names(torch, rec):
    x = torch.tensor(rec.data(3, low=0.5, high=2.0), requires_grad=True)
    exprs = {"add": x + 1, "radd": 1 + x, "sub": x - 1, "rsub": 1 - x, "mul": x * x, "div": x / 2, "rdiv": 2 / x,
             "pow": x ** 2, "rpow": 2 ** x, "neg": -x, "abs": abs(x), "sum": x.sum(), "mean": x.mean(),
             "norm": x.norm(), "dot": torch.dot(x, x), "sqrt": x.sqrt(), "log": x.log()}
    for name, t in exprs.items():
        rec(name, t.grad_fn)


@scenario
def next_functions_of_constant_inputs(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * torch.tensor(rec.data(2))
    rec("next", [(None if f is None else f.name(), i) for f, i in y.grad_fn.next_functions])
    z = x + x
    rec("self_twice", [(f.name(), i) for f, i in z.grad_fn.next_functions])


@scenario
def iteration_unbinds(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    a, b, c = x * 2
    rec("parts", [a, b, c])
    (a * b * c).backward()
    rec("grad", x.grad)


# matmul at every rank pairing (and a batch of one that broadcasts), with each operand requiring grad or
# not: torch's composite picks dot, mv, mm on a folded operand, or bmm on expanded batches, and the graph
# shows which. Pairings whose fold goes through reshape's ReshapeAliasBackward0 are left to the view scenarios.
MATMUL_GRAPHS = {
    "1x1": ((3,), (3,)), "2x1": ((2, 3), (3,)), "1x2": ((3,), (3, 2)), "2x2": ((2, 3), (3, 2)),
    "3x1": ((4, 2, 3), (3,)), "1x3": ((3,), (4, 3, 2)), "3x2": ((4, 2, 3), (3, 2)), "2x3": ((2, 3), (4, 3, 2)),
    "3x3": ((4, 2, 3), (4, 3, 2)), "4x1": ((5, 4, 2, 3), (3,)), "1x4": ((3,), (5, 4, 3, 2)),
    "4x2": ((5, 4, 2, 3), (3, 2)), "2x4": ((2, 3), (5, 4, 3, 2)), "4x4": ((5, 4, 2, 3), (5, 4, 3, 2)),
    "3x4": ((4, 2, 3), (5, 4, 3, 2)), "4x3": ((5, 4, 2, 3), (4, 3, 2)), "3x3_batch_of_one": ((4, 2, 3), (1, 3, 2)),
    "3x3_one_first": ((1, 2, 3), (4, 3, 2)), "4x3_broadcast": ((2, 1, 2, 3), (4, 3, 2)),
}
_GRAD_FLAGS = {"both": (True, True), "first": (True, False), "second": (False, True)}


def _operand(torch, rec, shape, requires_grad=False):
    """rec.tensor(*shape), or zeros when a dim is 0 (nested lists cannot hold a leading empty dim)."""
    if 0 in shape:
        return torch.zeros(shape, dtype=getattr(torch, rec.dtype), requires_grad=requires_grad)
    return rec.tensor(*shape, requires_grad=requires_grad)


def _shapes_graph(torch, rec, shapes, fn, name):
    """For each operand requiring grad or not: fn's result, its graph, and the operands' gradients."""
    for flags, grads in _GRAD_FLAGS.items():
        a, b = (_operand(torch, rec, s, g) for s, g in zip(shapes, grads))
        y = fn(a, b)
        rec(f"{name}.{flags}", y)
        rec(f"{name}.{flags}.walk", _walk(y.grad_fn))
        (y * y).sum().backward()
        rec(f"{name}.{flags}.grads", [a.grad, b.grad])


@scenario
def matmul_graph_every_rank(torch, rec):
    for name, shapes in MATMUL_GRAPHS.items():
        _shapes_graph(torch, rec, shapes, torch.matmul, name)


@scenario
def matmul_graph_empty(torch, rec):
    """matmul with a zero-size dim: the fold's reshape must not use -1 (ambiguous with a 0)."""
    pairs = {"3x2_last_zero": ((3, 5, 0), (0, 0)), "3x2_middle_zero": ((3, 0, 2), (2, 4)),
             "2x3_batch_zero": ((2, 3), (0, 3, 2)), "3x1_rows_zero": ((4, 0, 3), (3,)), "1x3_zero": ((3,), (4, 3, 0)),
             "3x3_zero_batch": ((0, 2, 3), (0, 3, 2)), "1x2_zero": ((0,), (0, 2)), "2x2_zero": ((2, 0), (0, 2))}
    for name, shapes in pairs.items():
        _shapes_graph(torch, rec, shapes, torch.matmul, name)


@scenario
def tensordot_graph(torch, rec):
    """tensordot is a composite: permute and reshape to matrices, mm (dot for a full contraction), reshape;
    a contracted dim of size 1 on one side is summed first."""
    cases = {"dims1": ((2, 3), (3, 4), 1), "dims2": ((2, 3, 4), (3, 4, 5), 2), "dims0": ((2, 3), (4,), 0),
             "lists": ((3, 2, 5), (5, 4, 3), ([0, 2], [2, 0])), "full": ((2, 3), (2, 3), 2),
             "size_one_second": ((2, 3), (1, 4), ([1], [0])), "size_one_first": ((2, 1), (3, 4), ([1], [0])),
             "empty": ((2, 0), (0, 3), 1), "negative_dim": ((2, 3), (3, 4), ([-1], [0]))}
    for name, (sa, sb, dims) in cases.items():
        _shapes_graph(torch, rec, (sa, sb), lambda a, b: torch.tensordot(a, b, dims=dims), name)
    a, b = rec.tensor(2, 3), rec.tensor(4, 3)
    rec.raises("mismatch", lambda: torch.tensordot(a, b, dims=1))
    rec.raises("lengths", lambda: torch.tensordot(a, b, dims=([1], [0, 1])))
    rec.raises("negative", lambda: torch.tensordot(a, b, dims=-1))
    rec.raises("dtype", lambda: torch.tensordot(a, b.double(), dims=([1], [1])))


@scenario
def non_differentiable_ops_graph(torch, rec):
    """Ops without a derivative record torch::autograd::NotImplemented, linked only to the inputs that
    require grad; backward through one raises."""
    a, b = rec.tensor(3, requires_grad=True), rec.tensor(3, low=0.5, high=2.0, requires_grad=True)
    c = rec.tensor(3, low=0.5, high=2.0)
    exprs = {"scalar_mod": lambda: -1 % a, "remainder_scalar_first": lambda: torch.remainder(2.5, b),
             "mod_scalar": lambda: a % 2, "mod": lambda: a % b, "floordiv_scalar": lambda: a // 2,
             "rfloordiv": lambda: 2 // b, "floordiv": lambda: a // b, "floordiv_constant": lambda: a // c,
             "constant_floordiv": lambda: c // b, "div_floor": lambda: torch.div(a, c, rounding_mode="floor")}
    for name, fn in exprs.items():
        y = fn()
        rec(name, y)
        rec(f"{name}.next", [(None if f is None else f.name(), i) for f, i in y.grad_fn.next_functions])
        rec.raises(f"{name}.backward", lambda: y.sum().backward())
    rec("grads", [a.grad, b.grad])


@scenario
def transposes_as_attributes(torch, rec):
    """Tensor.T (all dims reversed, with a deprecation warning unless 2-D), .mT, .H, .mH, is_contiguous()."""
    for shape in ((2, 3), (4, 2, 3), (3,), (2, 0)):
        x = _operand(torch, rec, shape, True)
        for attr in ("T", "mT", "H", "mH"):
            rec.raises(f"{shape}.{attr}", lambda: getattr(x, attr))
        rec(f"{shape}.contiguous", [x.is_contiguous(), x.mT.is_contiguous() if x.dim() >= 2 else None])
    x = rec.tensor(2, 3, requires_grad=True)
    (x.T * x.mT).sum().backward()
    rec("grad", x.grad)
    rec.raises("is_contiguous_positional", lambda: x.is_contiguous(1))


def _formula_graph(torch, rec, name, fn, *shapes, low=-2.0, high=2.0, values=None):
    """Records the graph a backward formula builds: the gradient of fn's output (its incoming gradient a
    tensor that requires grad, so every node of the formula is recorded) for each input, under create_graph,
    and its values. `values` gives the inputs' elements instead of seeded ones."""
    data = values or [rec.data(*s, low=low, high=high) for s in shapes]
    inputs = [torch.tensor(d, requires_grad=True) for d in data]
    out = fn(*inputs)
    v = torch.tensor(rec.data(*out.shape), requires_grad=True)
    grads = torch.autograd.grad(out, inputs, v, create_graph=True, allow_unused=True)
    rec(name, [None if g is None else (g.grad_fn, _walk(g.grad_fn), g.detach()) for g in grads])


@scenario
def formulas_scale_by_cpp_numbers(torch, rec):
    """A number in PyTorch's C++ formula is a Scalar: the gradient's node is the Scalar overload's
    (mean's grad.expand(sizes) / numel is DivBackward1, `self * log(2)` MulBackward1, `self + 1` AddBackward1),
    while a Python number in user code is wrapped into a tensor (`x / 2` is DivBackward0)."""
    F = torch.nn.functional
    cases = {
        "mean": (lambda x: x.mean(), (2, 3)),
        "mean_dim": (lambda x: x.mean(1), (2, 3)),
        "mean_dims": (lambda x: x.mean((0, 1), keepdim=True), (2, 3)),
        "var": (lambda x: x.var(), (2, 3)),
        "var_dim": (lambda x: x.var(0), (2, 3)),
        "std": (lambda x: x.std(), (2, 3)),
        "std_dim": (lambda x: x.std(1), (2, 3)),
        "norm": (lambda x: x.norm(), (2, 3)),
        "norm_3": (lambda x: torch.linalg.vector_norm(x, 3), (2, 3)),
        "norm_1_5_dim": (lambda x: torch.linalg.vector_norm(x, 1.5, dim=1), (2, 3)),
        "norm_quarter": (lambda x: torch.linalg.vector_norm(x, 0.25), (2, 3)),
        "norm_inf": (lambda x: torch.linalg.vector_norm(x, float("inf")), (2, 3)),
        "norm_1": (lambda x: torch.linalg.vector_norm(x, 1, dim=0, keepdim=True), (2, 3)),
        "silu": (lambda x: F.silu(x), (3,)),
        "tan": (lambda x: x.tan(), (3,)),
        "asin": (lambda x: (x / 4).asin(), (3,)),
        "acos": (lambda x: (x / 4).acos(), (3,)),
        "atan": (lambda x: x.atan(), (3,)),
        "expm1": (lambda x: x.expm1(), (3,)),
        "lerp_scalar": (lambda x: torch.lerp(x, torch.ones(3), 0.25), (3,)),
        "lerp_tensor_weight": (lambda w: torch.lerp(torch.zeros(3), torch.ones(3), w), (3,)),
        "addcmul": (lambda t: torch.addcmul(torch.zeros(3), t, torch.ones(3)), (3,)),
        "addcmul_int_tensor": (lambda t: torch.addcmul(t, t, torch.tensor([1, 0, 2]), value=0.5), (3,)),
        "addcdiv": (lambda t: torch.addcdiv(torch.zeros(3), torch.ones(3), t, value=2), (3,)),
        "addcdiv_tensor1": (lambda t: torch.addcdiv(torch.zeros(3), t, torch.full((3,), 2.0), value=2), (3,)),
        "addmm_beta_alpha": (lambda m: torch.addmm(m, torch.ones(2, 2), torch.ones(2, 2), beta=0.5, alpha=2), (2, 2)),
        "l1_mean": (lambda x: F.l1_loss(x, torch.ones(2, 3)), (2, 3)),
        "add_alpha": (lambda x: torch.add(torch.ones(3), x, alpha=2.5), (3,)),
        "sub_alpha": (lambda x: torch.sub(torch.ones(3), x, alpha=2), (3,)),
        "pow_scalar": (lambda x: x.pow(3), (3,)),
        "pow_tensor": (lambda x: x.pow(torch.tensor([1.5, 2.0, 3.0])), (3,)),
        "pow_scalar_base": (lambda x: 2.5 ** x, (3,)),
        "pow_self_to_self": (lambda x: x.pow(x), (3,)),
        "exp2": (lambda x: x.exp2(), (3,)),
        "log2": (lambda x: x.log2(), (3,)),
        "log10": (lambda x: x.log10(), (3,)),
        "log1p": (lambda x: x.log1p(), (3,)),
        "rsqrt": (lambda x: x.rsqrt(), (3,)),
        "sqrt": (lambda x: x.sqrt(), (3,)),
        "erf": (lambda x: x.erf(), (3,)),
        "user_div": (lambda x: x / 2, (3,)),
        "user_mul": (lambda x: x * 2, (3,)),
        "index_add_source": (lambda s: torch.zeros(3, 2).index_add(0, torch.tensor([1]), s), (1, 2)),
        "index_add_source_alpha": (lambda s: torch.zeros(3, 2).index_add(0, torch.tensor([1]), s, alpha=3), (1, 2)),
        "index_add_0d_source": (lambda s: torch.zeros(()).index_add(0, torch.tensor([0]), s, alpha=3), ()),
        "index_add_1d_source": (lambda s: torch.zeros(3).index_add(0, torch.tensor([2]), s), (1,)),
    }
    for name, (fn, shape) in cases.items():
        _formula_graph(torch, rec, name, fn, shape, low=0.5)
    # a zero row: the norm's masked_fill where it is 0
    rows = [[[0.0, 0.0, 0.0], [1.5, -0.5, 2.0]]]
    for ord in (0.25, 1.5, 2, 3, float("inf")):
        _formula_graph(torch, rec, f"norm_{ord}_zero_row", lambda x: torch.linalg.vector_norm(x, ord, dim=1), values=rows)


@scenario(dtypes=("float64",))
def scalar_formula_ops_forward_over_reverse(torch, rec):
    """The Scalar overloads that formulas use (add.Scalar, mul.Scalar, div.Scalar) have forward-mode rules:
    hessians (forward over reverse) of functions whose gradients use them."""
    x = torch.tensor(rec.data(3, low=0.2, high=0.9), dtype=torch.float64)
    fns = {"log1p": lambda t: t.log1p().sum(), "atan": lambda t: t.atan().sum(), "tan": lambda t: t.tan().sum(),
           "expm1": lambda t: t.expm1().sum(), "asin": lambda t: t.asin().sum(), "log2": lambda t: t.log2().sum(),
           "sqrt": lambda t: t.sqrt().sum(), "mean": lambda t: (t * t).mean(), "var": lambda t: t.var(),
           "silu": lambda t: torch.nn.functional.silu(t).sum(), "pow_tensor": lambda t: t.pow(t).sum(),
           "pow_scalar_base": lambda t: (2.5 ** t).sum()}
    for name, fn in fns.items():
        rec(name, torch.func.hessian(fn)(x))


@scenario
def error_nodes_run_first(torch, rec):
    """NotImplemented and Error nodes take no sequence number (theirs is the largest), so the engine runs them
    before any other ready node: a sum through floor_divide and mse_loss raises floor_divide's error before
    MseLossBackward0 runs (its retained grad stays None, its saved tensors are kept)."""
    x = rec.tensor(2, 3, low=0.5, high=2.0, requires_grad=True)
    before = (x * 2).grad_fn._sequence_nr()
    q = torch.floor_divide(x, x)
    after = (x * 3).grad_fn._sequence_nr()
    rec("sequence_nr", [q.grad_fn._sequence_nr(), after - before])
    m = torch.nn.functional.mse_loss(x, x * 0.5)
    x.sum().backward(inputs=[q, m])  # reaches neither: both only retain their grad
    rec("grads", [q.grad, m.grad, x.grad])
    rec.raises("raises", lambda: (q + m).sum().backward())
    rec("after", [q.grad, m.grad, x.grad])
    m.backward()  # MseLossBackward0 never ran: its graph is still there
    rec("mse", x.grad)
