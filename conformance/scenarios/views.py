"""Views: shared storage, version counters, and in-place ops on views and their bases, as the autograd mechanics
note describes them."""
from . import scenario

FLOATS = ("float32", "float64")


def _graph(t):
    """The grad_fn and what lies behind it, as nested (name, [inputs]) pairs, None for an edge without a node."""
    def walk(fn, depth):
        if fn is None:
            return None
        if depth == 4:
            return fn.name()
        return [fn.name(), [walk(nxt, depth + 1) for nxt, _ in fn.next_functions]]
    return walk(t.grad_fn, 0)


def _flags(t):
    return {"requires_grad": t.requires_grad, "is_leaf": t.is_leaf, "version": t._version,
            "has_base": t._base is not None, "graph": _graph(t)}


@scenario
def views_share_memory_with_their_base(torch, rec):
    """Every view op writes through to its base and sees the base's writes: x[i, j] down to 0-d, diagonal,
    expand/broadcast_to of a 0-d tensor, split/unbind outputs, alias."""
    base = torch.tensor(rec.data(3, 4))
    views = {
        "select_0d": lambda: base[1, 2], "select": lambda: base.select(1, 0), "slice": lambda: base[:, 1:3],
        "narrow": lambda: base.narrow(0, 1, 2), "diagonal": lambda: base.diagonal(),
        "diagonal_offset": lambda: base.diagonal(1), "t": lambda: base.t(), "transpose": lambda: base.transpose(0, 1),
        "permute": lambda: base.permute(1, 0), "view": lambda: base.view(2, 6), "reshape": lambda: base.reshape(12),
        "unsqueeze": lambda: base.unsqueeze(1), "squeeze": lambda: base[:1].squeeze(0),
        "unbind": lambda: base.unbind(1)[2], "split": lambda: base.split(2, 1)[1], "chunk": lambda: base.chunk(3)[2],
        "alias": lambda: base[...], "expand_rows": lambda: base[None].expand(2, 3, 4)[1],
        "detach": lambda: base.detach(),
    }
    for name, make in views.items():
        v = make()
        v.mul_(2)
        rec(f"{name}.base_after_view_write", base.clone())
        base.add_(1)
        rec(f"{name}.view_after_base_write", v.clone())
        rec(f"{name}.versions", [v._version, base._version])
    zero_d = torch.tensor(1.5)
    broadcast = torch.broadcast_to(zero_d, ())
    expanded = zero_d.expand(3)
    zero_d += broadcast
    rec("zero_d_broadcast", [broadcast.clone(), zero_d.clone(), expanded.clone()])
    scalar_view = torch.tensor(rec.data(2, 2))[0, 1]
    rec("0d_view_has_base", scalar_view._base is not None)


@scenario(dtypes=FLOATS)
def inplace_on_base_makes_views_as_strided(torch, rec):
    """After an in-place op on the base (even under no_grad) a view's grad_fn is regenerated as AsStridedBackward0
    of the base, and backward through it gives the new graph's gradient."""
    leaf = rec.tensor(4, requires_grad=True)
    t = leaf.t()
    rec("before", _flags(t))
    with torch.no_grad():
        leaf.mul_(0.5)
    rec("after_no_grad_write", _flags(t))
    t.sum().backward()
    rec("leaf_grad", leaf.grad)

    y = leaf * 2
    v = y[1:]
    rec("view", _flags(v))
    y.mul_(3)
    rec("stale_view", _flags(v))
    rec("stale_view_repr", repr(v))
    leaf.grad = None
    (v * v).sum().backward()
    rec("grad_through_stale_view", leaf.grad)


@scenario(dtypes=FLOATS)
def inplace_on_view_rebases_base(torch, rec):
    """An in-place op on a view: the base's grad_fn becomes CopySlices (its edges: the base's old history, then
    the op's other inputs), the view's AsStridedBackward0; gradients flow to the base's inputs and the operands."""
    x = rec.tensor(2, 3, requires_grad=True)
    w = rec.tensor(3, requires_grad=True)
    y = x * 2
    row = y[1]
    row.mul_(w)
    rec("base", _flags(y))
    rec("view", _flags(row))
    rec("values", [y, row])
    (y * y).sum().backward()
    rec("grads", [x.grad, w.grad])

    x.grad = None
    z = x.exp()
    inner = z[:, 1:]
    corner = inner[0]
    corner.add_(1)
    rec("view_of_view", [_flags(corner), _flags(inner), _flags(z)])
    (corner.sum() + inner.sum() + z.sum()).backward()
    rec("view_of_view_grad", x.grad)

    base = torch.zeros(3, 3, dtype=x.dtype)
    base.diagonal().copy_(w)
    rec("written_value_requires_grad", _flags(base))
    w.grad = None
    (base * torch.tensor(rec.data(3, 3), dtype=x.dtype)).sum().backward()
    rec("value_grad", w.grad)


@scenario(dtypes=FLOATS)
def retained_view_and_hooks_after_rebase(torch, rec):
    x = rec.tensor(4, requires_grad=True)
    y = x * 2
    v = y[1:]
    seen = []
    v.register_hook(lambda g: seen.append(g.clone()))
    v.mul_(2)
    y.sum().backward()
    rec("hook_args", seen)
    rec("grad", x.grad)
    for name, write in (("view_written", lambda y, v: v.mul_(2)), ("base_written", lambda y, v: y.mul_(2))):
        x.grad = None
        y = x * 2
        if name == "view_written":  # the base rebased by CopySlices keeps its retained grad too
            y.retain_grad()
        v = y[1:]
        v.retain_grad()
        write(y, v)
        (v * 3).sum().backward()
        rec(f"{name}.retained", [v.grad, y.grad if name == "view_written" else None, x.grad])
    y = x * 2
    v = y[1:]
    product = v * v
    y.mul_(2)
    rec.raises("saved_stale_view", lambda: product.sum().backward())


@scenario(dtypes=FLOATS)
def double_backward_through_copy_slices(torch, rec):
    x = rec.tensor(4, requires_grad=True)
    y = x * x
    y[1:].mul_(y[:3].detach() + x[:3])
    rec("y", y)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    rec("g_values", g.detach())
    (gg,) = torch.autograd.grad(g.sum(), x)
    rec("gg", gg)


@scenario
def views_follow_base_requires_grad(torch, rec):
    """A view of a tensor that requires grad requires grad too, even made under no_grad or inference mode, and
    even when the base's flag was set after the view was made; such a view has no grad_fn (a leaf)."""
    x = torch.tensor(rec.data(3), requires_grad=True)
    with torch.no_grad():
        nv = x.t()
        rec("inside_no_grad", _flags(nv))
    rec("no_grad_view", _flags(nv))
    rec("no_grad_view_repr", repr(nv))
    rec("no_grad_view_product", _flags(nv * 2))
    with torch.inference_mode():
        iv = x[1:]
    rec("inference_view", _flags(iv))
    plain = torch.tensor(rec.data(3))
    later = plain[1:5]
    plain.requires_grad = True
    rec("view_before_requires_grad", _flags(later))
    later.sum().backward()
    rec("base_grad", plain.grad)



@scenario
def no_grad_view_of_a_leaf_is_no_root(torch, rec):
    """A view of a leaf made under no_grad requires grad through its base only: it has neither a grad_fn nor a
    gradient accumulator of its own, so backward from it (with or without inputs=, create_graph) and autograd.grad
    of it raise "does not require grad", and an op of it passes no gradient to the base."""
    def no_grad_view():
        leaf = torch.tensor(rec.data(3), requires_grad=True)
        with torch.no_grad():
            return leaf, leaf.unsqueeze(0)
    leaf, view = no_grad_view()
    rec("flags", _flags(view))
    rec.raises("backward", lambda: view.backward(torch.ones(1, 3)))
    rec.raises("backward_inputs", lambda: view.backward(torch.ones(1, 3), create_graph=True, inputs=[leaf]))
    rec.raises("grad", lambda: torch.autograd.grad(view, leaf, torch.ones(1, 3)))
    (view * 2).sum().backward()
    rec("product_backward", [leaf.grad, view.grad])
@scenario
def forbidden_inplace_on_views(torch, rec):
    """PyTorch's errors for modifying in place a view of a leaf, a view made in no_grad or inference mode, an
    output of unbind/split/chunk, directly or through the base; what no_grad and detach() allow."""
    x = torch.tensor(rec.data(4), requires_grad=True)
    rec.raises("view_of_leaf", lambda: x[1:].mul_(2))
    rec.raises("reshape_of_leaf", lambda: x.view(4).add_(1))
    y = x * 2
    with torch.no_grad():
        nv = y[1:]
        iv_base = y[:2]
    rec.raises("no_grad_view", lambda: nv.mul_(2))
    rec.raises("view_of_no_grad_view", lambda: nv[1:].mul_(2))
    with torch.inference_mode():
        iv = y[1:]
    rec.raises("inference_view", lambda: iv.mul_(2))
    rec.raises("unbind_output", lambda: y.unbind()[0].mul_(2))
    rec.raises("split_output", lambda: y.split(2)[0].mul_(2))
    rec.raises("chunk_output", lambda: y.chunk(2)[1].add_(1))
    rec.raises("view_of_split_output", lambda: y.split(2)[0][1:].add_(1))
    outputs = y.unbind()
    with torch.no_grad():
        iv_base.mul_(1)
    z = x * 2
    unbound = z.unbind()
    z.mul_(2)
    rec.raises("unbind_output_after_base_write", lambda: unbound[0] * 2)
    rec("unbind_output_repr", repr(unbound[1]))
    w = x * 2
    with torch.no_grad():
        made_without_grad = w[1:]
    w.mul_(2)
    rec.raises("no_grad_view_after_base_write", lambda: made_without_grad.grad_fn)
    with torch.no_grad():
        outputs[0].mul_(2)
        nv.add_(1)
        x[1:].mul_(1)
    rec("allowed_under_no_grad", [y._version, x._version])
    d = (x * 2).detach()
    d[1:].mul_(2)
    rec("detach_views", [d, d._base is None, d.requires_grad])


@scenario(dtypes=FLOATS)
def modified_view_message_names_as_strided(torch, rec):
    """The 'modified by an inplace operation' error names the saved view's current producer: AsStrided after an
    in-place op on the view or its base."""
    x = rec.tensor(3, requires_grad=True)
    y = x * 2
    v = y[1:]
    product = v * v
    v.add_(1)
    rec.raises("saved_view_modified", lambda: product.sum().backward())
    y = x * 2
    v = y[1:]
    y.mul_(2)
    exp = v.exp()
    square = v * v
    v.add_(1)
    rec.raises("saved_stale_view_modified", lambda: square.sum().backward(retain_graph=True))
    exp.sum().backward()
    rec("saved_result_is_fine", x.grad)
    w = rec.tensor(3, requires_grad=True)
    y = x * 2
    y[0] = 5.0
    product = y * w
    y[1] = 3.0
    rec.raises("saved_base_rewritten_by_copy_slices", lambda: product.sum().backward())
    y = x * 2
    v = y.t()
    v.exp_()  # saves its result: the view, whose grad_fn is now AsStridedBackward0
    v.fill_(1.0)
    rec.raises("saved_result_of_inplace_on_view", lambda: y.sum().backward())


@scenario(dtypes=FLOATS)
def double_backward_through_saved_view_result(torch, rec):
    """exp_ on a view saves the view as its result; a second derivative reaches it once, through the view's
    AsStridedBackward0 and the base's CopySlices."""
    x = rec.tensor(3, 4, requires_grad=True)
    w = rec.tensor(2, requires_grad=True)
    y = x * 1
    v = y.unsqueeze(0)
    v.div_(w.clone()[:1] + 2)
    v.exp_()
    e = v.exp()
    gs = torch.autograd.grad(y.sum() + v.sum() * 2 + e.sum() * 3, [x, w], create_graph=True)
    rec("first", [g.detach() for g in gs])
    rec("second", torch.autograd.grad(sum((g * g).sum() for g in gs), [x, w]))


@scenario
def setitem_graph(torch, rec):
    """x[idx] = v as PyTorch runs it: a whole slice or `...` writes x itself (CopyBackwards, FillBackward3 for a
    0-d value), other basic indices a view (CopySlices); the value is viewed without leading 1s and expanded."""
    values = {"v1": [1.5], "v0d": 2.5, "v21": [[1.0], [2.0]], "v11": [[3.0]], "number": 3.0}
    for index_name, index in (("head", slice(None, 2)), ("all", slice(None)), ("ellipsis", Ellipsis),
                              ("ellipsis_all", (Ellipsis, slice(None))), ("int", 0), ("int_int", (0, 0)),
                              ("part", slice(0, 1)), ("column", (slice(None), 0)), ("none", None),
                              ("negative_start", slice(-2, None)), ("long_stop", slice(None, 5))):
        for value_name, data in values.items():
            target = torch.ones(2, 1)
            value = data if value_name == "number" else torch.tensor(data, requires_grad=True)
            rec.raises(f"{index_name}.{value_name}", lambda: target.__setitem__(index, value))
            rec(f"{index_name}.{value_name}.target", _flags(target))
    x = torch.tensor(rec.data(2, 2), requires_grad=True)
    for index_name, index in (("all", slice(None)), ("row", 0), ("element", (0, 1)), ("column", (slice(None), 1)),
                              ("mask", x.detach() > 0), ("list", [0, 1])):
        for value_name, value in (("number", 5.0), ("0d", torch.tensor(1.0)), ("vector", torch.tensor([1.0, 2.0])),
                                  ("0d_requires_grad", torch.tensor(1.0, requires_grad=True))):
            y = x * 1
            rec.raises(f"non_leaf.{index_name}.{value_name}", lambda: y.__setitem__(index, value))
            rec(f"non_leaf.{index_name}.{value_name}.graph", _graph(y))
    target = torch.zeros(3)
    rec.raises("mask_value_1x1", lambda: target.__setitem__(torch.tensor([True, False, True]),
                                                             torch.ones(1, 1, requires_grad=True)))
    rec("mask_value_1x1.graph", _graph(target))
    rec.raises("mask_shape_mismatch", lambda: target.__setitem__(torch.tensor([True, False, True]), torch.ones(3)))


@scenario
def setitem_on_leaf_errors(torch, rec):
    """x[idx] = v on a leaf that requires grad: 'a leaf Variable' when x itself is written (whole slice, mask,
    list), 'a view of a leaf Variable' for a view; a bad basic index raises IndexError first, a bad advanced one
    after the leaf check."""
    x = torch.zeros(3, 2, requires_grad=True)
    for name, index in (("all", slice(None)), ("ellipsis", Ellipsis), ("row", 0), ("none", None),
                        ("mask", torch.tensor([True, False, True])), ("bad_mask", torch.tensor([True, False])),
                        ("list", [0, 2]), ("list_out_of_range", [5]), ("int_out_of_range", 10),
                        ("too_many", (0, 0, 0)), ("row_and_mask", (0, torch.tensor([True, False])))):
        rec.raises(name, lambda: x.__setitem__(index, 1.0))
    rec.raises("bad_value_type", lambda: x.__setitem__(0, "a"))
    with torch.no_grad():
        x[0] = 2.0
    rec("written_under_no_grad", _flags(x))
    rec("values", x)


@scenario
def setitem_into_integer_tensor(torch, rec):
    """A value that requires grad written into an integer tensor: fill_ and index_put_ record (the int tensor then
    requires grad), copy_ does not."""
    value = torch.tensor(1.0, requires_grad=True)
    for name, index in (("all", slice(None)), ("element", 0), ("mask", torch.tensor([True, False]))):
        target = torch.tensor([0, 0])
        target[index] = value
        rec(name, _flags(target))
        rec(f"{name}.values", target)
    rows = torch.tensor([[0, 0]])
    rows[0].fill_(value)
    rec("row_fill", _flags(rows))
    copied = torch.tensor([0, 0])
    copied.copy_(torch.tensor([1.5, 2.5], requires_grad=True))
    rec("copy_", _flags(copied))
    flags = torch.tensor([True, False])
    flags[:] = value
    rec("bool_fill", _flags(flags))
    ints = torch.tensor([0, 0])
    ints[:] = value
    for name, fn in (("sum", lambda: ints.sum()), ("mul", lambda: ints * 2), ("slice", lambda: ints[:1]),
                     ("float", lambda: _flags(ints.float())), ("add_", lambda: _flags(ints.add_(1))),
                     ("copy_", lambda: _flags(ints.copy_(torch.tensor([1.5, 2.5], requires_grad=True)))),
                     ("setitem_slice", lambda: ints.__setitem__(slice(None, 1), value))):
        rec.raises(f"requires_grad_ints.{name}", fn)


@scenario
def zero_size_inplace(torch, rec):
    """In-place ops on zero-size tensors (also expanded ones, and through views) write nothing and raise nothing."""
    t = torch.zeros(0, 2)
    t -= t
    rec("sub_self", _flags(t))
    e = torch.zeros(0, 2).expand(3, 0, 2)
    e.add_(1)
    rec("expanded", e)
    x = torch.zeros(2, 0, requires_grad=True)
    y = x * 2
    y[0] = 1.0
    y.mul_(2)
    rec("written", _flags(y))
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    rec("grad", g)


@scenario
def zero_dim_shape_ops(torch, rec):
    """0-d tensors in shape ops: PyTorch's results (transpose and movedim are views) or PyTorch's errors."""
    t = torch.tensor(1.5, requires_grad=True)
    calls = {
        "transpose": lambda: t.transpose(-1, -1), "transpose_0_0": lambda: t.transpose(0, 0),
        "transpose_out_of_range": lambda: t.transpose(1, 0), "movedim": lambda: t.movedim(0, 0),
        "movedim_list": lambda: t.movedim([0], [-1]), "movedim_out_of_range": lambda: t.movedim(1, 0),
        "roll": lambda: t.roll(1), "roll_dim": lambda: t.roll(1, 0), "roll_dim_negative": lambda: t.roll(1, -1),
        "narrow": lambda: t.narrow(0, 0, 1), "narrow_negative": lambda: t.narrow(-1, 0, 0),
        "chunk": lambda: t.chunk(1), "chunk_zero": lambda: t.chunk(0), "split": lambda: t.split(1),
        "split_sizes": lambda: t.split([1]), "unbind": lambda: t.unbind(), "unbind_negative": lambda: t.unbind(-1),
        "size_negative": lambda: t.size(-1), "size_0": lambda: t.size(0), "slice": lambda: t[:],
        "step": lambda: t[::2], "int": lambda: t[0], "ellipsis": lambda: t[...], "none": lambda: t[None],
        "squeeze": lambda: t.squeeze(0), "unsqueeze": lambda: t.unsqueeze(-1), "select": lambda: t.select(0, 0),
        "t": lambda: t.t(), "expand": lambda: t.expand(()), "flatten": lambda: t.flatten(),
        "unflatten": lambda: t.unflatten(0, (1,)), "unflatten_negative": lambda: t.unflatten(-1, (1, -1)),
        "unflatten_out_of_range": lambda: t.unflatten(1, (1,)),
    }
    for name, fn in calls.items():
        rec.raises(name, fn)
    rec.raises("setitem_slice", lambda: torch.tensor(1.0).__setitem__(slice(None), 2.0))
    rec.raises("setitem_int", lambda: torch.tensor(1.0).__setitem__(0, 2.0))
    target = torch.tensor(1.0)
    target[...] = 2.0
    rec("setitem_ellipsis", target)
    t.transpose(0, 0).movedim(0, 0).sum().backward()
    rec("grad", t.grad)


@scenario
def reshape_and_contiguous_layout(torch, rec):
    """reshape views a contiguous tensor (ViewBackward0), aliases a non-contiguous one it can view
    (ReshapeAliasBackward0) and copies otherwise (UnsafeViewBackward0 of CloneBackward0); contiguous() copies a
    non-contiguous tensor, including a full_like of linalg.inv's column-major result."""
    a = torch.tensor(rec.data(2, 2), requires_grad=True)
    inv = torch.inverse(a + 2 * torch.eye(2))
    cases = {
        "contiguous": lambda: a.reshape(2, 2, 1), "inverse": lambda: inv.reshape(2, 2, 1),
        "inverse_view": lambda: inv.view(2, 2, 1), "transposed_4": lambda: a.t().reshape(4),
        "transposed_2x2": lambda: a.t().reshape(2, 2), "transposed_2x1x2": lambda: a.t().reshape(2, 1, 2),
        "flatten": lambda: a.t().flatten(), "reshape_as": lambda: a.t().reshape_as(a),
        "expanded": lambda: torch.ones(1, requires_grad=True).expand(3).reshape(3),
        "expanded_3x1": lambda: torch.ones(1, requires_grad=True).expand(3).reshape(3, 1),
        "contiguous_copy": lambda: a.t().contiguous(), "contiguous_self": lambda: a.contiguous(),
        "inverse_contiguous": lambda: inv.contiguous(),
    }
    for name, fn in cases.items():
        rec(name, _flags(fn()))
    for name in ("inverse", "transposed_2x2", "transposed_2x1x2"):
        out = cases[name]()
        rec(f"{name}.grad", torch.autograd.grad((out * out * torch.arange(4.0).view(out.shape)).sum(), a))
    one = torch.ones(1, requires_grad=True)
    rec("expanded.grad", torch.autograd.grad((one.expand(3).reshape(3, 1) * torch.arange(3.0)).sum(), one))
    tangent = torch.tensor(rec.data(2, 2))
    rec("reshape_alias_jvp", torch.func.jvp(lambda m: m.t().reshape(2, 1, 2) * 3, (a.detach(),), (tangent,)))
    batch = torch.linalg.inv(torch.tensor([[[2.2, 2.2], [2.4, 2.2]]]))
    filled = torch.full_like(batch, 2.0)
    filled.requires_grad_(True)
    rec("full_like_contiguous", _flags(filled.contiguous()))
    rec("zeros_like_contiguous", _flags(torch.zeros_like(batch).requires_grad_().contiguous()))


@scenario(dtypes=FLOATS)
def setitem_mixed_indices(torch, rec):
    """Ints, None and partial slices beside an advanced index pick a view first; index_put_ writes that view
    (CopySlices of IndexPutBackward0), and both the base's inputs and the value get their gradients."""
    x = rec.tensor(2, 3, 4, requires_grad=True)
    value = torch.tensor(-1.0, dtype=x.dtype, requires_grad=True)
    weights = rec.tensor(2, 3, 4)
    for name, index in (("int_mask", (0, torch.tensor([True, False, True]))), ("all_list", (slice(None), [0, 2])),
                        ("part_list", (slice(1, None), [0])), ("ellipsis_list", (Ellipsis, [1, 3])),
                        ("int_all_list", (0, slice(None), [1, 2])), ("lists_around_int", ([0, 1], 1, [2, 3])),
                        ("none_int_list", (None, 0, [1])), ("int_ellipsis_tensor", (1, Ellipsis, torch.tensor([1]))),
                        ("list_all_list", ([1], slice(None), [0, 2, 3])), ("bad_list", (0, [5])),
                        ("bad_int", (5, [0]))):
        def write():
            y = x * 1
            y[index] = value
            return y, torch.autograd.grad((y * weights).sum(), (x, value))
        rec.raises(name, write)


@scenario
def writes_through_expanded_tensors(torch, rec):
    """An expanded tensor shares its elements' memory: fill_/zero_ write it, a row of it (no shared elements) takes
    any in-place op, and other in-place ops on the whole raise PyTorch's error."""
    base = torch.zeros(1, 3)
    expanded = base.expand(2, 3)
    expanded.fill_(1.0)
    rec("fill_", [base.clone(), expanded.clone(), base._version])
    expanded[0] = 3.0
    expanded[1].add_(1)
    rec("row_writes", [base.clone(), expanded.clone()])
    expanded.zero_()
    rec("zero_", base.clone())
    for name, fn in (("add_", lambda: expanded.add_(1)), ("copy_", lambda: expanded.copy_(torch.ones(2, 3))),
                     ("fill_tensor", lambda: expanded.fill_(torch.tensor(2.0))),
                     ("setitem_all", lambda: expanded.__setitem__(slice(None), 1.0)),
                     ("setitem_column", lambda: expanded.__setitem__((slice(None), 1), 4.0)),
                     ("exp_", lambda: expanded.exp_())):
        rec.raises(name, fn)
    x = torch.zeros(3, requires_grad=True)
    rows = (x * 1).expand(2, 3)
    rows[0].mul_(2)
    rec("row_of_expanded_non_leaf", _flags(rows[0]))


@scenario
def operand_overlapping_the_written_memory(torch, rec):
    """An in-place op whose operand shares part of the memory it writes raises PyTorch's error; the same memory
    with the same strides, disjoint parts, and fill_/masked_fill_ values (read first) are fine."""
    def fresh():
        return torch.tensor(rec.data(2, 3))
    cases = {
        "row_into_all": lambda a: a.add_(a[0]), "element_into_all": lambda a: a.mul_(a[0, 1]),
        "same_memory": lambda a: a.add_(a.view(2, 3)), "flat_views": lambda a: a.view(6).add_(a.view(6)),
        "transposed_copy": lambda a: a.view(3, 2).copy_(a.t()), "disjoint_rows": lambda a: a[1].copy_(a[0]),
        "disjoint_element": lambda a: a[0].div_(a[1, 1]), "clamp_bounds": lambda a: a.clamp_(a[0, 0], a[1, 2]),
        "fill_": lambda a: a.fill_(a[0, 0]), "masked_fill_": lambda a: a.masked_fill_(a > 0, a[0, 1]),
        "setitem_mask": lambda a: a.__setitem__(a > 0, a[0, 1]), "setitem_list": lambda a: a.__setitem__([0], a[1]),
    }
    for name, fn in cases.items():
        a = fresh()
        rec.raises(name, lambda: fn(a))
        rec(f"{name}.after", a)


@scenario(dtypes=FLOATS)
def view_tangents_follow_inplace_writes(torch, rec):
    """Under forward AD a view's tangent is part of its base's: an in-place op on the base shows in the view's
    tangent, and one on the view shows in the base's."""
    fwAD = torch.autograd.forward_ad
    primal, tangent = rec.tensor(3), rec.tensor(3)
    with fwAD.dual_level():
        dual = fwAD.make_dual(primal, tangent)
        y = dual * 2
        v = y[1:]
        y.mul_(3)
        rec("base_written", [fwAD.unpack_dual(v).tangent, fwAD.unpack_dual(y).tangent])
        v.add_(dual[:2])
        rec("view_written", [fwAD.unpack_dual(v).tangent, fwAD.unpack_dual(y).tangent])
        row = dual.unsqueeze(0) * 1
        row[0, 1:].mul_(dual[1:])
        rec("setitem_view", fwAD.unpack_dual(row).tangent)


@scenario
def masked_writes_through_expanded_tensors(torch, rec):
    """masked_fill_, index_put_ and x[mask] = v write an expanded tensor's shared memory element by element, with
    PyTorch's deprecation warnings (x[mask] = 0-dim value gives index_put_'s, then masked_fill_'s): a location
    shared by a written and an untouched element takes the written value. Through a view that records history
    the write is recorded, and the backward refuses to copy into the view's slice of the base's gradient."""
    def expanded():
        return torch.tensor([1.0, -1.0, 2.0]).expand(2, 3)
    x = expanded()
    x.masked_fill_(x > 0, 5.0)
    rec("masked_fill_", x)
    column = torch.tensor([[1.0], [-1.0]]).expand(2, 3)
    column.masked_fill_(torch.tensor([[True, False, True], [False, False, True]]), 7.0)
    rec("masked_fill_shared_rows", column)
    y = expanded()
    y[y > 0] = 2.0
    rec("setitem_mask", y)
    z = expanded()
    z[torch.tensor([0, 1]), torch.tensor([1, 1])] = torch.tensor([4.0, 6.0])
    rec("setitem_indices", z)
    ints = torch.tensor([1, -1, 2]).expand(2, 3)
    ints.masked_fill_(ints > 0, 5)
    rec("integer", ints)
    a = torch.tensor([1.0, -1.0, 2.0], requires_grad=True)
    view = (a * 1).expand(2, 3)
    view.masked_fill_(view > 1, 0.5)
    rec("recorded_view", [view, a._version])
    rec.raises("recorded_view_backward", lambda: (view * torch.tensor([[1.0], [2.0]])).sum().backward())


@scenario(dtypes=FLOATS)
def leaf_view_moved_into_the_graph_interior(torch, rec):
    """A view made a leaf that requires grad gets a grad_fn once its base is modified in place with history;
    the AccumulateGrad recorded before refuses it when it runs, whatever the root gradient, while
    autograd.grad and backward(inputs=) look for the view's new grad_fn and find it unused."""
    def moved():
        base = torch.zeros(2, dtype=getattr(torch, rec.dtype))
        leaf = base[:1]
        leaf.requires_grad_()
        return base, leaf

    base, leaf = moved()
    base[:1] += leaf
    rec("leaf_after", (leaf.is_leaf, leaf.requires_grad, _graph(leaf), _graph(base)))
    rec.raises("plain", lambda: base.sum().backward())
    base, leaf = moved()
    base[:1] += leaf
    rec.raises("gradient", lambda: base.backward(torch.zeros_like(base), retain_graph=True))
    rec.raises("gradient_of_another_dtype", lambda: base.backward(torch.ones(2, dtype=torch.float16),
                                                                  retain_graph=True))
    rec.raises("grad_input", lambda: torch.autograd.grad(base.sum(), leaf, retain_graph=True))
    rec.raises("backward_inputs", lambda: base.sum().backward(inputs=[leaf], retain_graph=True))
    rec("leaf.grad", leaf.grad)
    base, leaf = moved()
    y = (leaf * 2).sum()
    base.add_(torch.ones(2, dtype=base.dtype, requires_grad=True))
    rec.raises("recorded_before_the_write", lambda: y.backward(retain_graph=True))
    rec.raises("stopped_requiring_grad", lambda: (leaf.requires_grad_(False), y.backward()))
    whole = torch.zeros(1, dtype=base.dtype)
    leaf = whole.movedim(0, 0)
    leaf.requires_grad_()
    whole += leaf
    rec.raises("create_graph", lambda: whole.backward(create_graph=True))


@scenario(dtypes=FLOATS)
def empty_regenerated_view_gradient_has_no_history(torch, rec):
    """as_strided's backward (a regenerated view's AsStridedBackward0) gives an empty view's base fresh zeros,
    without history even under create_graph; a non-empty view's base gets a gradient that has one."""
    for shape, make in (((0,), lambda b: b.unsqueeze(0)), ((2, 0), lambda b: b[0]), ((0, 3), lambda b: b.t()),
                        ((3,), lambda b: b[:0]), ((2, 3), lambda b: b[:, :0]), ((3,), lambda b: b[1:]),
                        ((1,), lambda b: b[0])):
        x = torch.ones(shape, dtype=getattr(torch, rec.dtype), requires_grad=True)
        base = x.cumsum(0)
        view = make(base)
        view.exp_()
        torch.exp(view).sum().backward(create_graph=True, inputs=[x, base])
        name = f"{list(shape)}->{list(view.shape)}"
        rec(f"{name}.backward", (base.grad, base.grad.requires_grad, x.grad.requires_grad))
        base = x * 1
        view = make(base)
        base.mul_(2)
        (g,) = torch.autograd.grad(view, base, torch.ones(view.shape, dtype=x.dtype, requires_grad=True) * 2,
                                   create_graph=True)
        rec(f"{name}.grad", (g, g.requires_grad, g.is_leaf))


@scenario
def multi_output_view_stale_before_the_kernel(torch, rec):
    """A split output whose base was written in place: PyTorch's autograd layer collects the op's input edges
    (and raises the view's error) before the kernel checks shapes and dtypes, for an op that would record and
    for those it gives a NotImplemented node (bitwise ops, isfinite); ops that need no gradient (comparisons,
    argmax, a copy to an integer dtype) run."""
    def stale():
        base = torch.tensor(rec.data(2, 3), requires_grad=True)
        first, _ = base.split([1, 1])
        with torch.no_grad():
            base.exp_()
        return first
    cases = {"add_bad_shape": lambda t: t + torch.ones(4), "mul_ok": lambda t: t * 2,
             "dot": lambda t: torch.dot(t, torch.ones(3)), "mm": lambda t: torch.mm(t, torch.ones(3)), "mv": lambda t: torch.mv(t, torch.ones(4)),
             "bmm": lambda t: torch.bmm(t.unsqueeze(0), torch.ones(1, 2, 2)),
             "addmm": lambda t: torch.addmm(torch.ones(1), t, torch.ones(2, 2)),
             "rand": lambda t: 2 & t, "bitwise_not": lambda t: t.bitwise_not(), "isfinite": lambda t: t.isfinite(),
             "eq_bad_shape": lambda t: t == torch.ones(4), "argmax": lambda t: t.argmax(), "isinf": lambda t: t.isinf(),
             "to_long": lambda t: t.long(), "to_double": lambda t: t.double(), "sign": lambda t: t.sign()}
    for name, fn in cases.items():
        t = stale()
        rec.raises(name, lambda: fn(t))  # the error, or what the op returns


@scenario(dtypes=FLOATS)
def saved_multi_output_view_read_after_its_base_changed(torch, rec):
    """A node saved a split or unbind output whose base was then written in no_grad: unpacking it reads its
    grad_fn first, so backward raises the view's error, not the version error (a slice's grad_fn is
    regenerated instead, and the version error follows)."""
    for how in ("split", "unbind", "slice"):
        for create_graph in (False, True):
            base = torch.tensor(rec.data(2, low=0.5, high=2.0), requires_grad=True)
            piece = base.split([1, 1])[0] if how == "split" else base.unbind()[0] if how == "unbind" else base[:1]
            out = piece.log()
            with torch.no_grad():
                base.exp_()
            rec.raises(f"{how}.create_graph={create_graph}", lambda: out.sum().backward(create_graph=create_graph))
            rec.raises(f"{how}.grad_fn_after", lambda: type(piece.grad_fn).__name__)


@scenario
def dtype_refused_before_the_overlap_check(torch, rec):
    """An in-place op on an expanded tensor (elements sharing memory): neg's, sub's and relu's refusal of bool
    and pow's of a negative integer power of integers come before the write's overlap check; other dtype errors
    come after it."""
    flag = torch.zeros((), dtype=torch.bool)
    cases = {"neg_bool": lambda: flag.expand(2).neg_(), "neg_float": lambda: torch.ones(1).expand(3).neg_(),
             "sub_bool": lambda: torch.zeros(1, dtype=torch.bool).expand(2).sub_(True),
             "abs_bool": lambda: flag.expand(2).abs_(),
             "sqrt_int": lambda: torch.zeros(1, dtype=torch.int64).expand(2).sqrt_(),
             "relu_bool": lambda: flag.expand(2).relu_(), "relu_float": lambda: torch.ones(1).expand(2).relu_(),
             "pow_int_negative": lambda: torch.zeros((), dtype=torch.int64).expand(2).pow_(-1),
             "pow_int_positive": lambda: torch.zeros((), dtype=torch.int64).expand(2).pow_(2),
             "pow_float_negative": lambda: torch.ones(()).expand(2).pow_(-1)}
    for name, fn in cases.items():
        rec.raises(name, fn)


@scenario
def stale_saved_tensors_reported_by_name(torch, rec):
    """A node whose saved tensors went stale (their base modified in place under no_grad) reports the first by
    name, as PyTorch's generated backward unpacks them (atan2's `other` before `self`, lerp's `end` first): so
    a view (output 0 of AsStrided) or a leaf is named depending on which argument it is; a stale output of split
    raises split's own error."""
    ops = {"atan2": lambda a, b: torch.atan2(a, b), "atan2_swapped": lambda a, b: torch.atan2(b, a),
           "mul": lambda a, b: a * b, "mul_swapped": lambda a, b: b * a, "pow": lambda a, b: a ** b,
           "pow_swapped": lambda a, b: b ** a, "maximum": lambda a, b: torch.maximum(a, b),
           "addcmul": lambda a, b: torch.addcmul(a, a, b), "addcmul_swapped": lambda a, b: torch.addcmul(a, b, a),
           "lerp": lambda a, b: torch.lerp(a, b, a), "lerp_swapped": lambda a, b: torch.lerp(b, a, b)}
    for name, op in ops.items():
        leaf = torch.tensor(rec.data(2), requires_grad=True)
        y = op(leaf, leaf.view(-1))
        with torch.no_grad():
            leaf.exp_()
        rec.raises(name, lambda: y.sum().backward())
    leaf = torch.tensor(rec.data(1), requires_grad=True)
    part, _ = leaf.split([1, 0])
    y = torch.atan2(leaf, part)
    with torch.no_grad():
        leaf.exp_()
    rec.raises("split_output", lambda: y.sum().backward())
