"""Indexing, OpInfo style (see _opinfo.py): basic, advanced and boolean indexing (reading and
`__setitem__`), gather, scatter, scatter_add, index_select, index_add, masked_fill, masked_select,
masked_scatter, take_along_dim. Index tensors are made inside each sample, on the subject's device."""
from . import scenario
from ._opinfo import Sample as S, register_all


def _setitem(index, value_shape=None):
    def fn(t, a, *values):
        out = a.clone()
        out[index(t)] = values[0] if values else 0.5
        return out
    return fn


TABLE = {
    "basic": [S("int", lambda t, a: a[1]), S("slice", lambda t, a: a[:, 1:]), S("step", lambda t, a: a[::2, ::2],
                                                                              ((3, 4),)),
              S("none_ellipsis", lambda t, a: a[None, ..., 0]), S("negative", lambda t, a: a[-1, -2])],
    "advanced": [S("list", lambda t, a: a[[0, 1, 0]]), S("pairs", lambda t, a: a[[0, 1], [2, 0]]),
                 S("tensor", lambda t, a: a[t.tensor([[1, 0], [0, 0]])]),
                 S("mixed_slice", lambda t, a: a[:, t.tensor([2, 0])]),
                 S("repeated", lambda t, a: a[t.tensor([1, 1, 1])], ((3,),)),
                 S("range", lambda t, a: a[range(1, -1, -1)]),
                 S("range_pairs", lambda t, a: a[range(2), t.tensor([2, 0])])],
    "boolean": [S("mask", lambda t, a: a[a > 0]), S("row_mask", lambda t, a: a[t.tensor([True, False])]),
                S("masked_select", lambda t, a: t.masked_select(a, a < 0.5)),
                S("masked_select_broadcast", lambda t, a: a.masked_select(t.tensor([True, False, True]))),
                S("0d_true", lambda t, a: a[t.tensor(True)]), S("0d_false", lambda t, a: a[t.tensor(False)]),
                S("python_bool", lambda t, a: a[True, 1])],
    "setitem": [S("int_scalar", _setitem(lambda t: 1)), S("slice_tensor", _setitem(lambda t: (slice(None), 0)),
                                                          ((2, 3), (2,))),
                S("advanced_tensor", _setitem(lambda t: t.tensor([0, 2])), ((3, 2), (2, 2))),
                S("range_pairs", _setitem(lambda t: (range(2), t.tensor([1, 0])))),
                S("mask_scalar", _setitem(lambda t: t.tensor([[True, False, True], [False, False, True]])))],
    "gather": [S("dim1", lambda t, a: a.gather(1, t.tensor([[0, 2, 2], [1, 0, 1]]))),
               S("dim0", lambda t, a: t.gather(a, 0, t.tensor([[1, 0, 1]]))),
               S("take_along_dim", lambda t, a: t.take_along_dim(a, t.tensor([[0], [2]]), 1)),
               S("take_along_dim_flat", lambda t, a: t.take_along_dim(a, t.tensor([5, 0])))],
    "scatter": [S("src", lambda t, a, b: a.scatter(1, t.tensor([[0, 2], [1, 0]]), b), ((2, 3), (2, 2))),
                S("value", lambda t, a: t.scatter(a, 0, t.tensor([[1, 0, 1]]), 1.5)),
                S("add", lambda t, a, b: a.scatter_add(1, t.tensor([[0, 0], [1, 0]]), b), ((2, 3), (2, 2)))],
    "index_select": [S("dim0", lambda t, a: a.index_select(0, t.tensor([1, 1, 0]))),
                     S("dim1", lambda t, a: t.index_select(a, 1, t.tensor([2, 0]))),
                     S("index_add", lambda t, a, b: a.index_add(1, t.tensor([0, 2, 0]), b, alpha=2), ((2, 3), (2, 3)))],
    "masked_fill": [S("scalar", lambda t, a: a.masked_fill(a > 0, 0.25)),
                    S("broadcast_mask", lambda t, a: t.masked_fill(a, t.tensor([True, False, True]), -1.0)),
                    S("tensor_value", lambda t, a, v: a.masked_fill(a < 0, v), ((2, 3), ()))],
    "masked_scatter": [S("source", lambda t, a, b: a.masked_scatter(a > 0, b), ((2, 3), (2, 4))),
                       S("broadcast_self", lambda t, a, b: t.masked_scatter(a, t.tensor([[True], [False]]).expand(2, 3)
                                                                            > 0, b), ((3,), (7,))),
                       S("0d", lambda t, a, b: a.masked_scatter(t.tensor(True), b), ((), (2,)))],
}

globals().update(register_all(__name__, TABLE))


def _next_names(y):
    return [(None if f is None else f.name(), i) for f, i in y.grad_fn.next_functions]


@scenario
def index_smaller_than_input(torch, rec):
    """gather/scatter/scatter_add read and write only the index's extent in every dim (the index may be
    smaller than self and src in the other dims); gradients follow. Larger index: torch's shape errors."""
    x = rec.tensor(3, 4, requires_grad=True)
    src = rec.tensor(2, 3, requires_grad=True)
    index = torch.tensor([[2, 1], [0, 0]])
    weights = rec.tensor(3, 4)
    ops = {"gather": lambda: x.gather(0, index), "gather_dim1": lambda: x.gather(1, index),
           "scatter": lambda: x.scatter(1, index, src[:2, :2]), "scatter_value": lambda: x.scatter(0, index, 0.5),
           "scatter_add": lambda: x.scatter_add(1, index, src[:2, :2]),
           "scatter_add_3d": lambda: torch.scatter_add(x.reshape(1, 3, 4)[:, :2, :1], -1,
                                                        torch.tensor([[[0]]]), src.reshape(1, 2, 3)[:, :1, :1])}
    for name, fn in ops.items():
        y = fn()
        rec(name, y)
        (y * weights[:y.shape[0], :y.shape[1]] if y.dim() == 2 else y * y).sum().backward()
        rec(f"{name}.grads", [x.grad, src.grad])
        x.grad = src.grad = None
    rec.raises("gather_empty_index", lambda: x.gather(1, torch.zeros(4, 0, dtype=torch.int64)))
    rec.raises("gather_larger", lambda: x.gather(0, torch.tensor([[2, 1, 0, 0, 0]])))
    rec.raises("gather_dims", lambda: x.gather(0, torch.tensor([0])))
    rec.raises("scatter_larger", lambda: x.scatter(0, torch.tensor([[0, 1, 2, 0, 1]]), rec.tensor(1, 5)))
    rec.raises("scatter_src_smaller", lambda: x.scatter(0, torch.tensor([[0], [1], [2]]), src))
    rec.raises("scatter_value_larger", lambda: x.scatter(0, torch.tensor([[0, 1, 2, 1, 0]]), 2.0))
    rec.raises("scatter_add_larger", lambda: x.scatter_add(1, torch.tensor([[0]] * 4), rec.tensor(4, 1)))
    rec.raises("scatter_src_dims", lambda: x.scatter(1, torch.tensor([[1]]), rec.tensor(1, 1, 1)))
    y = x.detach().scatter(0, torch.tensor([[0, 1]]), src)
    rec.raises("src_larger_than_index_backward", lambda: y.sum().backward())


@scenario
def take_along_dim_graph(torch, rec):
    """take_along_dim broadcasts input and indices with broadcast_to (ExpandBackward0, even when nothing
    grows); without dim it views both as vectors."""
    x = rec.tensor(2, 3, requires_grad=True)
    cases = {"same_shape": (torch.tensor([[0, 0, 1], [1, 2, 2]]), 1), "row": (torch.tensor([[0, 2, 1]]), 1),
             "column": (torch.tensor([[0], [2]]), 1), "dim0": (torch.tensor([[1, 0, 1]]), 0),
             "flat": (torch.tensor([[0, 5]]), None)}
    for name, (index, dim) in cases.items():
        y = torch.take_along_dim(x, index, dim=dim)
        rec(name, y)
        rec(f"{name}.next", _next_names(y))
        (y * y).sum().backward()
        rec(f"{name}.grad", x.grad)
        x.grad = None
    rec.raises("dims", lambda: torch.take_along_dim(x, torch.tensor([[[0]]]), dim=1))


@scenario
def modified_index_detected(torch, rec):
    """An index, mask or target saved for backward and then modified in place: torch's 'modified by an
    inplace operation' error, naming the index tensor."""
    def run(op, make_index):
        def go():
            x = rec.tensor(2, 3, requires_grad=True)
            index = make_index()
            y = op(x, index)
            index.zero_()
            y.sum().backward()
            return x.grad
        return go
    long_index = lambda: torch.tensor([[0, 2, 1]])  # noqa: E731
    mask = lambda: torch.tensor([[True, False, True], [False, True, True]])  # noqa: E731
    cases = {"getitem": (lambda x, i: x[:, i[0]], long_index), "getitem_mask": (lambda x, m: x[m], mask),
             "gather": (lambda x, i: x.gather(1, i), long_index),
             "scatter": (lambda x, i: x.scatter(1, i, 0.5), long_index),
             "index_select": (lambda x, i: x.index_select(1, i[0]), long_index),
             "masked_fill": (lambda x, m: x.masked_fill(m, 0.5), mask),
             "masked_select": (lambda x, m: x.masked_select(m), mask),
             "where": (lambda x, m: torch.where(m, x, 0.5), mask)}
    for name, (op, make_index) in cases.items():
        rec.raises(name, run(op, make_index))

    def setitem():
        x = rec.tensor(2, 3, requires_grad=True) * 1
        v = rec.tensor(3, requires_grad=True)
        index = torch.tensor([0, 2, 1])
        x[1, index] = v
        index.zero_()
        x.sum().backward()
    rec.raises("setitem", setitem)


@scenario
def advanced_index_errors(torch, rec):
    """Out-of-bounds advanced indices: torch names the index by its place among the advanced indices; and
    x[index] = value with an advanced index checks the value's shape and dtype (index_put_)."""
    x = rec.tensor(2, 3, 4)
    t = torch.tensor
    cases = {"last": lambda: x[:, :, t([9])], "first_and_last": lambda: x[t([0]), :, t([9])],
             "middle_pair": lambda: x[:, t([0]), t([9])], "middle": lambda: x[:, t([5]), t([0])],
             "second": lambda: x[t([0]), t([5])], "after_none": lambda: x[None, :, t([5])],
             "after_ellipsis": lambda: x[..., t([9])], "after_int": lambda: x[0, :, t([9])],
             "after_mask": lambda: x[t([True, False]), t([5])], "list": lambda: x[:, [0, 5]],
             "negative": lambda: x[:, t([-4])], "basic": lambda: x[:, 5]}
    for name, fn in cases.items():
        rec.raises(name, fn)

    def put(index, value):
        def go():
            y = x.clone()
            y[index] = value
            return y
        return go
    rec.raises("put_double", put(t([0]), rec.tensor(3, 4).double()))
    rec.raises("put_long", put((t([0]), t([1])), t([[1, 2, 3, 4]])))
    rec.raises("put_0d_double", put(t([1]), t(2.0, dtype=torch.float64)))
    rec.raises("put_mask_0d_double", put(t([True, False]), t(2.0, dtype=torch.float64)))
    rec.raises("put_slice_double", put(slice(0, 1), rec.tensor(1, 3, 4).double()))
    rec.raises("put_shape", put(t([0]), rec.tensor(2, 3, 4).double()))


@scenario
def empty_index_of_any_dtype(torch, rec):
    """An empty index is not checked for its dtype by gather/scatter_add (torch.tensor([]) is float32),
    but index_select still refuses it."""
    x = rec.tensor(3)
    empty = torch.tensor([])
    rec.raises("gather", lambda: x.gather(0, empty))
    rec.raises("scatter_add", lambda: x.scatter_add(0, empty, torch.ones(0)))
    rec.raises("index_select", lambda: x.index_select(0, empty))
    rec.raises("gather_float_index", lambda: x.gather(0, torch.tensor([1.0])))


@scenario
def empty_index_skips_shape_checks(torch, rec):
    """gather/scatter/scatter_add with an empty index check neither its dims nor its sizes (any shape, any
    dtype, src of any shape, unread) but still wrap dim and check src's dtype: gather gives index's shape,
    scatter self unchanged; the gradients are zeros for self and, for src, gather's empty one (torch's
    invalid-gradient error unless src's shape takes it). Non-empty: dim wrapped before the index's dtype is
    checked, src's sizes read before its dim count, negative indices out of bounds."""
    x = rec.tensor(2, 3, requires_grad=True)
    src = rec.tensor(5, 6, 7, requires_grad=True)
    empty, t = torch.tensor([]), torch.tensor
    cases = {"gather_1d": lambda: x.gather(1, empty), "gather_3d": lambda: x.gather(0, torch.zeros(4, 0, 2)),
             "gather_empty_input": lambda: x[:0].mT.gather(1, empty), "gather_0d": lambda: x[0, 0].gather(0, t([[]])),
             "gather_int32": lambda: x.gather(1, torch.zeros(0, 9, dtype=torch.int32)),
             "scatter": lambda: x.scatter(1, empty, src), "scatter_value": lambda: x.scatter(-1, empty, 2.5),
             "scatter_add": lambda: torch.scatter_add(x, 0, t([[], []]), src),
             "scatter_0d": lambda: x[0, 0].scatter(0, t([[]]), src[0])}
    for name, fn in cases.items():
        y = fn()
        rec(name, y)
        rec.raises(f"{name}.grads", lambda: torch.autograd.grad(y.sum(), [x, src], allow_unused=True))
    rec("scatter_src_takes_grad", torch.autograd.grad(x.scatter(1, torch.zeros(0, 3), src[0, 0, 0]).sum(), src)[0])
    rec.raises("gather_dim_range", lambda: x.gather(2, empty))
    rec.raises("scatter_dim_range", lambda: x.scatter_add(-3, empty, src))
    rec.raises("scatter_src_dtype", lambda: x.scatter(0, empty, src.double()))
    one = torch.ones(1, 1, dtype=torch.int64)
    rec.raises("gather_dim_before_dtype", lambda: x.gather(5, one.float()))
    rec.raises("scatter_dim_before_dtype", lambda: x.scatter(5, one.float(), 1.0))
    rec.raises("scatter_src_size_before_dims", lambda: x.scatter(0, t([[1, 1]]), src[0, 0]))
    rec.raises("scatter_src_dims", lambda: x.scatter(0, t([[1, 1]]), src[0, 0, 0]))
    for name, fn in {"gather": lambda i: x.gather(1, i), "scatter": lambda i: x.scatter(1, i, 2.0),
                     "scatter_add": lambda i: x.scatter_add(1, i, src[:1, :1, 0]),
                     "gather_0d": lambda i: x[0, 0].gather(0, i[0, 0])}.items():
        rec.raises(f"{name}.negative", lambda: fn(-one))
    rec.raises("take_along_dim_broadcast", lambda: torch.take_along_dim(x, torch.zeros(0, 3, dtype=torch.int64), 1))


@scenario(dtypes=("float32", "int64"))
def bound_and_dtype_errors(torch, rec):
    """The checks of index_select (each CPU kernel path has its words), index_add and index_add_ (a vector of
    int32/int64, source of self's dtype, dim and shape; indices in range, in words that depend on self's rank),
    scatter / scatter_add (src of self's dtype, checked after the index's), take_along_dim (a Long index,
    wrapped into the dim, an empty dim being ZeroDivisionError) and x[i, j] (the dim named by the int's place
    in the index)."""
    dtype = getattr(torch, rec.dtype)
    zeros = lambda *shape: torch.zeros(shape, dtype=dtype)  # noqa: E731
    for shape, dim, index in [((3,), 0, [3]), ((0,), 0, [0, 0]), ((2, 3), 0, [2]), ((2, 3), 1, [4]), ((2, 3), -1, [-1]),
                              ((2, 3, 4), 0, [5]), ((2, 3, 4), 1, [5]), ((2, 3, 4), 2, [-5]), ((), 0, [1]),
                              ((0, 3), 0, [0]), ((3, 0), 0, [3]), ((3,), 0, 5)]:
        rec.raises(f"index_select.{shape}.{dim}.{index}",
                   lambda: zeros(*shape).index_select(dim, torch.tensor(index)))
    for label, index in {"float": torch.tensor([0.0]), "empty_float": torch.tensor([]), "bool": torch.tensor([True]),
                         "matrix": torch.zeros(1, 1, dtype=torch.int64), "int32": torch.tensor([0], dtype=torch.int32)}.items():
        rec.raises(f"index_add.{label}", lambda: zeros(3).index_add(0, index, torch.ones(index.numel(), dtype=dtype)))
        rec.raises(f"index_add_function.{label}", lambda: torch.index_add(zeros(3), 0, index, torch.ones(1, dtype=dtype)))
    ones = lambda *shape: torch.ones(shape, dtype=dtype)  # noqa: E731
    other = torch.float64 if rec.dtype == "int64" else torch.int64
    index_add_cases = {  # (self shape, dim, index, source): the meta checks in order, then the bounds by rank
        "bounds_vector": ((2,), 0, [2], ones(1)), "negative_vector": ((2,), 0, [-1], ones(1)),
        "bounds_matrix": ((2, 3), 0, [0, 5], ones(2, 3)), "negative_matrix": ((2, 3), 1, [-1], ones(2, 1)),
        "source_dtype": ((2,), 0, [5], torch.ones(1, dtype=other)), "source_dim": ((2, 2), 1, [0], ones(2)),
        "number_of_indices": ((2, 2), 0, [0, 1], ones(1, 2)), "source_shape": ((2, 2), 0, [0], ones(1, 3)),
        "source_rank": ((2, 2), 0, [0], ones(1, 2, 1)), "source_0d": ((2, 2), 0, [0], torch.tensor(1, dtype=dtype)),
        "index_0d": ((2, 2), 0, 1, ones(1, 2)), "self_0d": ((), 0, [1], ones(1)), "both_0d": ((), 0, [0], ones()),
    }
    for label, (shape, dim, index, source) in index_add_cases.items():
        rec.raises(f"index_add.{label}", lambda: zeros(*shape).index_add(dim, torch.tensor(index), source))
        rec.raises(f"index_add_.{label}", lambda: zeros(*shape).index_add_(dim, torch.tensor(index), source, alpha=2))
    index = torch.tensor([[0], [0]])
    rec.raises("scatter_add.src_dtype", lambda: torch.scatter_add(zeros(3, 1), 0, index, torch.ones(2, 1, dtype=other)))
    rec.raises("scatter_add.src_dtype_empty_index",
               lambda: zeros(3, 1).scatter_add(0, torch.zeros(0, 1, dtype=torch.int64), torch.ones(2, 1, dtype=other)))
    rec.raises("scatter_add.float_index_first",
               lambda: zeros(3, 1).scatter_add(0, torch.tensor([[0.0]]), torch.ones(2, 1, dtype=other)))
    rec.raises("scatter_add.dtype_before_bounds", lambda: zeros(3, 1).scatter_add(0, torch.tensor([[5]]),
                                                                                  torch.ones(2, 1, dtype=other)))
    rec.raises("scatter.src_dtype", lambda: zeros(3, 1).scatter(0, index, torch.ones(2, 1, dtype=other)))
    rec.raises("scatter.value", lambda: zeros(3, 1).scatter(0, index, 2))
    cases = {"float": (zeros(2, 0), torch.tensor([[], []]), 0), "float_1d": (zeros(3), torch.tensor([0.0]), 0),
             "int32": (zeros(3), torch.tensor([0], dtype=torch.int32), 0), "bool": (zeros(3), torch.tensor([True]), 0),
             "float_no_dim": (zeros(2, 0), torch.tensor([[], []]), None), "ndim_first": (zeros(3), torch.tensor([[0.0]]), 0),
             "empty_input": (zeros(0), torch.tensor([0, 0]), 0), "empty_input_no_dim": (zeros(0), torch.tensor([0]), None),
             "empty_dim": (zeros(2, 0), torch.tensor([[0]]), 1), "empty_other_dim": (zeros(0, 2), torch.tensor([[0]]), 1),
             "empty_rows": (zeros(0, 2), torch.tensor([[0]]), 0), "empty_index": (zeros(0), torch.zeros(0, dtype=torch.int64), 0),
             "empty_broadcast": (zeros(2, 0), torch.tensor([[0]]), 0),
             "wrapped": (torch.arange(10, 15).to(dtype), torch.tensor([5, 7, 11, -1, -6, -7, 100]), 0),
             "wrapped_2d": (torch.arange(10, 15).to(dtype).reshape(1, 5), torch.tensor([[7], [8]]), 1),
             "out_of_range_no_dim": (zeros(2), torch.tensor([5]), None)}
    for label, (x, indices, dim) in cases.items():
        rec.raises(f"take_along_dim.{label}", lambda: torch.take_along_dim(x, indices, dim=dim))
    for label, index in {"empty_second": lambda x: x[0, 0], "third": lambda x: x[1, 2, 0], "negative": lambda x: x[0, -1],
                         "after_none": lambda x: x[None, 0, 5], "after_ellipsis": lambda x: x[..., 9],
                         "after_slice": lambda x: x[0, 1:2, 9], "nones": lambda x: x[None, None, 0, 1:2, 9],
                         "first": lambda x: x[5]}.items():
        for shape in ((2, 0), (2, 3, 0), (2, 3, 4)):
            rec.raises(f"getitem.{label}.{shape}", lambda: index(zeros(*shape)))
    for label, index in {"list": lambda x: x[[0, 0]], "tensor": lambda x: x[torch.tensor([0])],
                         "second_dim": lambda x: x[:, [0]], "pair": lambda x: x[[0], [0]], "negative": lambda x: x[[-1]],
                         "out_of_range": lambda x: x[[5]]}.items():
        for shape in ((0,), (0, 2), (3, 2)):
            rec.raises(f"advanced.{label}.{shape}", lambda: index(zeros(*shape)))


@scenario
def masked_scatter_checks(torch, rec):
    """masked_scatter's checks in PyTorch's order (dtypes, then the mask's expand, then a bool mask, then
    enough source), the in-place form's node, and masked_select's gradient, which is a masked_scatter
    (MaskedScatterBackward0 under create_graph)."""
    mask = torch.tensor([[True, False, True], [False, True, False]])
    x = rec.tensor(2, 3)
    rec.raises("dtypes_first", lambda: x.masked_scatter(mask.int(), rec.tensor(10).double()))
    rec.raises("mask_expand", lambda: rec.tensor(3).masked_scatter_(mask.int(), rec.tensor(10)))
    rec.raises("bool_mask", lambda: x.masked_scatter(mask.float(), rec.tensor(10)))
    rec.raises("uint8_mask", lambda: x.clone().masked_scatter_(mask.to(torch.uint8), rec.tensor(10)))
    rec.raises("broadcast", lambda: rec.tensor(2, 4).masked_scatter(mask, rec.tensor(10)))
    rec.raises("short_source", lambda: x.masked_scatter(mask, rec.tensor(2)))
    rec.raises("number_source", lambda: x.masked_scatter(mask, 1.0))
    rec.raises("leaf", lambda: rec.tensor(2, 3, requires_grad=True).masked_scatter_(mask, rec.tensor(10)))
    rec("empty_source_no_ones", x.masked_scatter(torch.zeros(2, 3, dtype=torch.bool), rec.tensor(0)))
    source = rec.tensor(2, 5, requires_grad=True)
    y = torch.zeros(2, 3)
    y.masked_scatter_(mask, source)
    rec("inplace", y)
    (y * y).sum().backward()
    rec("inplace.grad", source.grad)
    for n in (3, 5):  # as many source elements as the mask has ones: nothing padded (no CatBackward0)
        source = rec.tensor(n, requires_grad=True)
        y = x.masked_scatter(mask, source * 1)
        g, = torch.autograd.grad(y, source, torch.ones_like(y, requires_grad=True), create_graph=True)
        rec(f"source_grad_{n}", [g, g.grad_fn.name(), _next_names(g)])
    a = rec.tensor(2, 3, requires_grad=True)
    selected = (a * 2).masked_select(mask)
    g, = torch.autograd.grad(selected, a, torch.ones_like(selected, requires_grad=True), create_graph=True)
    rec("select_grad", g)
    rec("select_grad.next", _next_names(g))
