"""Gradient accumulation across backward calls, grad.zero_() and resetting .grad."""
import warnings

from . import scenario

FLOATS = ("float32", "float64")


@scenario(dtypes=FLOATS)
def accumulates_across_calls(torch, rec):
    x = rec.tensor(4, requires_grad=True)
    (x * x).sum().backward()
    rec("first", x.grad.clone())
    (x * 3).sum().backward()
    rec("accumulated", x.grad)


@scenario
def zero_then_sum(torch, rec):
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    rec("y", y)
    y.backward()
    rec("grad", x.grad)
    x.grad.zero_()
    x.sum().backward()
    rec("after_zero", x.grad)


@scenario(dtypes=FLOATS)
def accumulates_in_place(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    (x * 2).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    rec("same_object", first is x.grad)
    rec("first_after", first)


@scenario(dtypes=FLOATS)
def grad_set_to_none(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    (x ** 2).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    rec("fresh", x.grad)


@scenario(dtypes=FLOATS)
def two_paths_add_up(torch, rec):
    x = rec.tensor(2, 3, requires_grad=True)
    y = x * 2 + x.exp() - x / 4
    y.sum().backward()
    rec("grad", x.grad)


@scenario
def shared_leaf_in_two_losses(torch, rec):
    w = torch.tensor(rec.data(3), requires_grad=True)
    a = (w * torch.tensor([1.0, 2.0, 3.0])).sum()
    b = (w * w).mean()
    a.backward()
    b.backward()
    rec("grad", w.grad)
    rec("a", a)
    rec("b", b)


@scenario(dtypes=FLOATS)
def assigned_grad_accumulates(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    x.grad = torch.ones(3, dtype=x.dtype)
    (x * 3).sum().backward()
    rec("grad", x.grad)


@scenario
def backward_inputs_non_leaf(torch, rec):
    x = torch.tensor(rec.data(2, 2), requires_grad=True)
    y = x.fmod(1.5)
    y.retain_grad()
    y.backward(torch.ones_like(y), inputs=[y])
    rec("y.grad", y.grad)
    rec("x.grad", x.grad)
    z = x * 3
    w = z.exp()
    torch.autograd.backward(w.sum(), inputs=[z])
    rec("z.retains_grad", z.retains_grad)
    rec("z.grad", z.grad)
    rec("x.grad_after", x.grad)


@scenario(dtypes=("float32", "float64"))
def leaf_that_stopped_requiring_grad(torch, rec):
    for how in ("detach_", "requires_grad_false", "detach_then_requires_grad"):
        seen = []
        x = rec.tensor(2, requires_grad=True)
        x.register_hook(lambda g: seen.append(g.clone()))
        y = (x.exp() * x).sum()
        if how == "requires_grad_false":
            x.requires_grad_(False)
        else:
            x.detach_()
        if how == "detach_then_requires_grad":
            x.requires_grad = True
        y.backward()
        rec(f"{how}.grad", x.grad)
        rec(f"{how}.hook", seen)


@scenario(dtypes=("float32", "float64"))
def gradient_of_another_dtype_is_cast(torch, rec):
    seen = []
    x = rec.tensor(3, requires_grad=True)
    other = torch.float64 if rec.dtype == "float32" else torch.float32
    torch.autograd.backward([x], [torch.tensor([1.0, 2.0, 3.0], dtype=other)])
    rec("leaf_root", x.grad)
    y = x * 2
    y.register_hook(lambda g: seen.append(g))
    y.backward(torch.tensor([1, 2, 3]), retain_graph=True)
    rec("int_gradient", x.grad)
    rec("hook_saw", seen)
    rec("grad_outputs", torch.autograd.grad(y, [x, y], torch.tensor([1.0, 2.0, 3.0], dtype=other),
                                            retain_graph=True))
    rec("bool_grad_outputs", torch.autograd.grad(y, [y], torch.tensor([True, False, True]), retain_graph=True))
    (g,) = torch.autograd.grad(y, [x], torch.tensor([1.0, 2.0, 3.0], dtype=torch.float16, requires_grad=True),
                               create_graph=True)
    rec("create_graph", g)
    x0 = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    x0.backward(torch.tensor(3.0))
    rec("zero_dim", x0.grad)


@scenario
def create_graph_warning_after_the_checks(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    rec.raises("root_without_grad", lambda: torch.tensor(rec.data(3)).sum().backward(create_graph=True))
    rec.raises("input_without_grad",
               lambda: (x * 2).sum().backward(create_graph=True, inputs=[torch.tensor(rec.data(3))]))


@scenario(dtypes=("float32", "float64"))
def split_of_an_empty_dim_backward(torch, rec):
    x = rec.tensor(1, 3, requires_grad=True)
    pieces = torch.split(x[..., 1::2, -3], 1)
    rec("pieces", [p.shape for p in pieces])
    pieces[0].backward(torch.zeros((0,)))
    rec("x.grad", x.grad)
    y = torch.ones(4, 0, dtype=x.dtype, requires_grad=True)
    halves = y.split(2)
    halves[1].sum().backward()
    rec("y.grad", y.grad)
    z = torch.ones(0, 3, dtype=x.dtype, requires_grad=True)
    chunks = z.chunk(2, 1)
    rec("chunks", [c.shape for c in chunks])
    (chunks[0].sum() + chunks[1].sum()).backward()
    rec("z.grad", z.grad)
    e = torch.ones(0, dtype=x.dtype, requires_grad=True)
    (only,) = e.split(3)
    only.sum().backward()
    rec("e.grad", e.grad)


@scenario(dtypes=("float32", "float64"))
def first_gradient_kept_or_copied(torch, rec):
    # PyTorch keeps a first gradient that nothing else holds and that has the leaf's layout (a view of
    # the caller's gradient, say), and later adds into it in place; it copies any other
    x = rec.tensor(3, 1, requires_grad=True)
    given = torch.ones(1, 3, dtype=x.dtype)
    x.t().backward(given)
    rec("x.grad._version", x.grad._version)
    x.t().backward(torch.ones(1, 3, dtype=x.dtype))
    rec("view_of_given", given)
    rec("x.grad", x.grad)
    for name, make, gradient in (("transposed", lambda v: v.t(), (3, 2)), ("reshaped", lambda v: v.view(6), (6,)),
                                 ("passed_through", lambda v: v + 0, (2, 3)), ("leaf_itself", lambda v: v, (2, 3))):
        leaf = rec.tensor(2, 3, requires_grad=True)
        given = torch.ones(*gradient, dtype=x.dtype)
        make(leaf).backward(given)
        rec(f"{name}.version", leaf.grad._version)
        make(leaf).backward(torch.ones(*gradient, dtype=x.dtype))
        rec(f"{name}.given", given)
    seen = []
    held = rec.tensor(2, requires_grad=True)
    held.register_hook(lambda g: seen.append(g))
    (held * 2).backward(torch.ones(2, dtype=x.dtype))
    (held * 2).backward(torch.ones(2, dtype=x.dtype))
    rec("hook_argument", seen[0])
    summed = rec.tensor(2, requires_grad=True)
    summed.sum().backward()
    rec("expanded.version", summed.grad._version)
    (summed * 2).sum().backward()
    rec("expanded.grad", summed.grad)


@scenario
def grad_with_a_graph_is_added_into_in_place(torch, rec):
    """A .grad that create_graph gave a graph keeps it (and its grad_fn) when a later backward without
    create_graph adds into it in place; with create_graph the sum is a new tensor."""
    x = torch.tensor(rec.data(2), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_graph's warning shows once per process
        torch.nn.functional.silu(x).sum().backward(create_graph=True)
        first = x.grad
        rec("first", (first, first.requires_grad, first._version))
        x.sum().backward()
        rec("in_place", (x.grad, x.grad.requires_grad, x.grad.grad_fn is first.grad_fn, x.grad is first,
                         x.grad._version))
        (x * x).sum().backward(create_graph=True)
        rec("create_graph", (x.grad, x.grad.requires_grad, x.grad is first, x.grad._version))
    leaf = torch.tensor(rec.data(2), requires_grad=True)
    leaf.grad = torch.ones(2, requires_grad=True)
    kept = leaf.grad
    (leaf * 3).sum().backward()
    rec("grad_leaf", (leaf.grad, leaf.grad.requires_grad, leaf.grad.is_leaf, leaf.grad is kept))
    w = torch.tensor(rec.data(1)[0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (w ** 3).backward(create_graph=True)
    (w ** 2).backward()
    w.grad.backward()
    rec("second_order_into_itself", (w.grad, w.grad._version))


@scenario(dtypes=FLOATS)
def gradient_layouts(torch, rec):
    """The layout of what AccumulateGrad stores (which decides its layout contract warning): a first gradient
    it cannot keep is copied into a dense parameter's layout (version 1, CopyBackwards) or cloned row-major
    (version 0, CloneBackward0); under create_graph a later one is added out of place, the sum laid out as
    TensorIterator lays out `grad + new` (the existing grad's layout first), without it in place."""
    dtype = getattr(torch, rec.dtype)
    params = {"row_major": lambda: torch.ones(3, 2, dtype=dtype, requires_grad=True),
              "transposed": lambda: torch.ones(2, 3, dtype=dtype).t().detach().requires_grad_(),
              "expanded": lambda: torch.ones(3, 1, dtype=dtype).expand(3, 2).detach().requires_grad_()}
    layouts = {"row_major": lambda **kw: torch.ones(3, 2, dtype=dtype, **kw),
               "transposed": lambda **kw: torch.ones(2, 3, dtype=dtype, **kw).t()}

    def seen(t):
        return (t.is_contiguous(), t.t().is_contiguous(), t._version, t.grad_fn and t.grad_fn.name())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the contract's and create_graph's warnings show once per process
        for pname, make in params.items():
            for new, given in layouts.items():
                for create_graph in (False, True):
                    q = make()
                    root = given(requires_grad=True) if create_graph else given()
                    q.backward(root, create_graph=create_graph)
                    rec(f"{pname}.first.{new}.{create_graph}", seen(q.grad))
                for old, existing in layouts.items():
                    q = make()
                    q.grad = existing()
                    q.backward(given(), create_graph=True)
                    rec(f"{pname}.{old}+{new}", seen(q.grad))
                    q.backward(given())
                    rec(f"{pname}.{old}+{new}.in_place", seen(q.grad))


@scenario
def enforce_grad_layout_policy(torch, rec):
    """enforce_grad_layout_policy(False): AccumulateGrad keeps a first gradient nothing else holds whatever its
    layout (a permuted parameter's .grad is then contiguous, not laid out like it), and the warning about a sum
    of gradients that breaks the layout contract is not given; restored on exit, or after a decorated call."""
    def param():
        return torch.tensor(rec.data(2, 3, 4)).permute(2, 0, 1).requires_grad_()

    p = param()
    (p * 2).sum().backward()
    rec("enforced", [p.grad.is_contiguous(), p.grad])
    p = param()
    with torch.autograd.enforce_grad_layout_policy(False):
        (p * 2).sum().backward()
        rec("relaxed", [p.grad.is_contiguous(), p.grad])
        with torch.autograd.enforce_grad_layout_policy():
            q = param()
            (q * 2).sum().backward()
            rec("nested_enforced", q.grad.is_contiguous())
        rec.raises("relaxed_sum", lambda: (p * 3).sum().backward())
    rec("relaxed_sum_layout", [p.grad.is_contiguous(), p.grad])
    policy = torch.autograd.enforce_grad_layout_policy(False)
    q = param()
    (q * 2).sum().backward()
    rec("as_function", q.grad.is_contiguous())
    policy.__exit__(None, None, None)

    @torch.autograd.enforce_grad_layout_policy(False)
    def backward_of(t):
        (t * 2).sum().backward()
        return t.grad.is_contiguous()

    q = param()
    rec("decorated", [backward_of(q), param().requires_grad])
    q = param()
    (q * 2).sum().backward()
    rec("after_decorated", q.grad.is_contiguous())
    rec.raises("int", lambda: torch.autograd.enforce_grad_layout_policy(1))


@scenario
def gradients_summed_in_place_in_the_engine(torch, rec):
    """Two gradients for one input are summed in place into one that nothing else holds (PyTorch's
    InputBuffer::accumulate), so the gradient autograd.grad returns counts the adds in its version; a gradient a
    hook kept, or the same gradient twice, is summed out of place; under create_graph always out of place."""
    F = torch.nn.functional
    x = torch.tensor(rec.data(1, 3), requires_grad=True)
    cases = {"mse_self_target": lambda: F.mse_loss(x, x), "two_products": lambda: (x * 2 + x * 3).sum(),
             "same_gradient_twice": lambda: (x + x).sum(), "square": lambda: (x * x).sum(),
             "three": lambda: (x.exp() + x.sin() + x.cos()).sum(), "expanded": lambda: (x.expand(2, 3) * 2 + x * 3).sum()}
    for name, loss in cases.items():
        (g,) = torch.autograd.grad(loss(), [x])
        rec(name, [g, g._version])
    y = x * 1.0
    (y * 2 + y * 3).sum().backward()
    rec("leaf_grad", [x.grad, x.grad._version])
    (h,) = torch.autograd.grad((x * 2 + x * 3).sum(), [x], create_graph=True)
    rec("create_graph", [h, h._version])
    kept = []
    z = x * 1.0
    z.register_hook(lambda grad: kept.append(grad))
    (g,) = torch.autograd.grad((z * 2 + z * 3).sum(), [x])
    rec("hook_kept", [g._version, kept[0], kept[0]._version])


@scenario
def gradients_written_into_zeros(torch, rec):
    """gather's, index_select's and take_along_dim's gradients are written in place into fresh zeros
    (scatter_add_, index_add_), so their version is 1; with create_graph too, and through a graph of them."""
    x = torch.tensor(rec.data(2, 3), requires_grad=True)
    cases = {"gather": lambda: x.gather(0, torch.tensor([[0], [0]])),
             "index_select": lambda: x.index_select(0, torch.tensor([0, 0, 1])),
             "take_along_dim": lambda: x.take_along_dim(torch.tensor([[0], [2]]), 1)}
    for name, op in cases.items():
        for create_graph in (False, True):
            y = op()
            (g,) = torch.autograd.grad(y, [x], torch.ones_like(y), create_graph=create_graph)
            rec(f"{name}.{create_graph}", [g, g._version])
        y = op()
        (g,) = torch.autograd.grad((y * y).sum(), [x], create_graph=True)
        rec(f"{name}.graph", [g, g._version, torch.autograd.grad(g.sum(), [x])])


@scenario
def empty_gradients_obey_the_layout_contract(torch, rec):
    """A gradient summed into an empty .grad (a leaf with a size-0 dim, through repeat's backward) raises no
    layout-contract warning: an empty tensor's strides never matter."""
    leaf = torch.zeros(2, 0)
    copies = leaf.repeat(2, 1, 1)
    copies.requires_grad_()
    copies.sum().backward(retain_graph=True)
    copies.sum().backward()
    rec("grad", copies.grad)
