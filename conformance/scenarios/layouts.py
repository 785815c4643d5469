"""Memory layouts: the strides an op's result gets, which decide is_contiguous(), whether view() works and
whether contiguous() copies (and so whether it records a node).

Elementwise ops lay their result out as TensorIterator does (the first operand whose strides tell two dims
apart orders them); reductions, softmax, cumulative ops and logsigmoid allocate row-major results; LAPACK
results (inv) are column-major. Shapes here have no size-1 dims: the strides PyTorch gives a size-1 dim vary
from kernel to kernel and decide nothing (README, known differences).
"""
from . import scenario


def _layout(t):
    return {"shape": list(t.shape), "stride": t.stride(), "is_contiguous": t.is_contiguous()}


@scenario
def stride_of_views_and_new_tensors(torch, rec):
    """stride() of new tensors (0-d, empty, 3-d), of views (t, permute, slices, diagonal, expand, unsqueeze),
    stride(dim) with negative dims, and its errors."""
    x = torch.tensor(rec.data(2, 3, 4))
    tensors = {"scalar": torch.tensor(1.5), "empty": torch.zeros(2, 0, 3), "new": x, "t": x[0].t(),
               "permute": x.permute(2, 0, 1), "slice": x[:, 1:, ::2], "diagonal": x[0].diagonal(),
               "expand": x[:, :1].expand(2, 3, 4), "unsqueeze": x[0].t().unsqueeze(1), "select": x[:, 1]}
    for name, t in tensors.items():
        rec(name, _layout(t))
    rec("dims", [x.stride(0), x.stride(-1), x.permute(2, 0, 1).stride(dim=1)])
    rec.raises("dim_out_of_range", lambda: x.stride(3))
    rec.raises("dim_of_scalar", lambda: torch.tensor(1.5).stride(0))
    rec.raises("dim_not_int", lambda: x.stride("a"))


@scenario
def elementwise_results_follow_tensor_iterator(torch, rec):
    """A binary, ternary or unary op of operands of different layouts: the first operand that tells two dims
    apart orders them in the result (not NumPy's row-major fallback); a broadcast operand tells nothing.
    Also whether view(-1) then works and whether contiguous() copies (a CloneBackward0 node) or not."""
    row = torch.tensor(rec.data(2, 3), requires_grad=True)
    col = torch.tensor(rec.data(3, 2), requires_grad=True).t()
    strided = torch.tensor(rec.data(4, 6))[::2, ::2]
    expanded = torch.tensor(rec.data(3)).expand(2, 3)
    lapack = torch.linalg.inv(torch.tensor([[2.0, 1.0], [1.0, 3.0]]))
    results = {
        "transposed_plus_row_major": col + row, "row_major_plus_transposed": row + col,
        "transposed_times_row_major": torch.mul(col, row), "where": torch.where(row > 0, col, row),
        "where_condition_transposed": torch.where(col > 0, row, row), "addcmul": torch.addcmul(col, row, row),
        "rsub": torch.rsub(row, col), "rsub_reversed": torch.rsub(col, row), "maximum": torch.maximum(col, row),
        "comparison": col < row, "transposed_plus_broadcast": col + torch.tensor(rec.data(3)),
        "expanded_plus_transposed": expanded + col, "strided_exp": strided.exp(),
        "expanded_exp": expanded.exp(), "lapack_plus_row_major": lapack + torch.ones(2, 2),
        "lapack_scaled": lapack * 2,
    }
    for name, y in results.items():
        rec(name, _layout(y))
    y = col + row
    rec.raises("view_flat", lambda: y.view(-1))
    copied = y.contiguous()
    rec("contiguous_copies", [copied is y, copied.grad_fn.name()])
    (copied * torch.tensor(rec.data(2, 3))).sum().backward()
    rec("grads", [row.grad, col.grad])


@scenario
def row_major_results(torch, rec):
    """Reductions over a dim, softmax, log_softmax, cumsum, cumprod, logsigmoid, argmax and all of a permuted
    3-d tensor and of a column-major (inv) matrix are row-major, so view() of them works and contiguous() is
    the tensor itself; an elementwise op of the same input keeps the input's layout."""
    x = torch.tensor(rec.data(4, 3, 2), requires_grad=True).permute(2, 0, 1)
    lapack = torch.linalg.inv(torch.tensor([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]], requires_grad=True))
    for name, t in (("permuted", x), ("lapack", lapack)):
        ops = {"sum": t.sum(1), "sum_keepdim": t.sum(-1, keepdim=True), "mean": t.mean(0), "amax": t.amax(1),
               "max": t.max(1).values, "max_indices": t.max(1).indices, "var": t.var(0), "logsumexp": t.logsumexp(1),
               "norm": t.norm(dim=1), "prod": t.prod(1), "argmax": t.argmax(1), "all": (t > 0).all(1),
               "softmax": t.softmax(0), "log_softmax": t.log_softmax(-1), "cumsum": t.cumsum(0),
               "cumprod": t.cumprod(1), "logsigmoid": torch.nn.functional.logsigmoid(t), "sigmoid": t.sigmoid()}
        for op, y in ops.items():
            rec(f"{name}.{op}", _layout(y))
        y = torch.nn.functional.logsigmoid(t)
        rec(f"{name}.logsigmoid_view", y.view(-1))
        rec(f"{name}.logsigmoid_contiguous_is_itself", y.contiguous() is y)
    with torch.no_grad():
        flat = torch.nn.functional.logsigmoid(lapack).flatten()
    rec("no_grad_flatten", {"requires_grad": flat.requires_grad, "is_leaf": flat.is_leaf})


@scenario
def memory_formats(torch, rec):
    """torch.contiguous_format, preserve_format, channels_last, channels_last_3d: their reprs, clone, contiguous,
    to, *_like and empty in each (rank errors for channels_last of a 3-d tensor, contiguous refusing
    preserve_format, to() keeping a tensor whose strides suggest the format), is_contiguous in each, and the
    type errors of a memory_format that is not one."""
    rec("reprs", [repr(f) for f in (torch.contiguous_format, torch.preserve_format, torch.channels_last,
                                    torch.channels_last_3d)])
    x = torch.tensor(rec.data(1, 2, 3, 4))
    tensors = {"nchw": x, "permuted": x.permute(0, 2, 3, 1), "3d": x[0], "n11w": torch.ones(2, 1, 1, 3),
               "nc11": torch.ones(2, 3, 1, 1)}
    formats = {"contiguous": torch.contiguous_format, "preserve": torch.preserve_format,
               "channels_last": torch.channels_last, "channels_last_3d": torch.channels_last_3d}
    for tname, t in tensors.items():
        for fname, fmt in formats.items():
            ops = {"clone": lambda: t.clone(memory_format=fmt), "contiguous": lambda: t.contiguous(memory_format=fmt),
                   "to": lambda: t.to(memory_format=fmt), "double": lambda: t.double(memory_format=fmt),
                   "zeros_like": lambda: torch.zeros_like(t, memory_format=fmt),
                   "empty": lambda: torch.empty(tuple(t.shape), memory_format=fmt)}
            for op, make in ops.items():
                try:
                    y = make()
                except RuntimeError as exc:
                    rec(f"{tname}.{fname}.{op}", str(exc))
                    continue
                rec(f"{tname}.{fname}.{op}", [_layout(y), y is t])
            rec(f"{tname}.{fname}.is_contiguous", t.is_contiguous(memory_format=fmt))
    for name, bad in {"is_contiguous": lambda: x.is_contiguous(memory_format="channels_last"),
                      "clone": lambda: x.clone(memory_format=1), "contiguous": lambda: x.contiguous(memory_format=3),
                      "zeros_like": lambda: torch.zeros_like(x, memory_format="x"),
                      "double": lambda: x.double(memory_format=3), "empty": lambda: torch.empty(2, memory_format=3)}.items():
        rec.raises(f"not_a_format.{name}", bad)


@scenario
def channels_last_through_ops(torch, rec):
    """A channels-last input keeps its layout through elementwise ops, convolution (input or weight), pooling and
    padding, and its gradient follows it; reductions and softmax stay row-major; contiguous() and
    to(memory_format=) record CloneBackward0 and ToCopyBackward0."""
    F = torch.nn.functional
    x = torch.tensor(rec.data(2, 3, 5, 5)).contiguous(memory_format=torch.channels_last).requires_grad_()
    w = torch.tensor(rec.data(4, 3, 3, 3))
    outputs = {"conv": F.conv2d(x, w), "conv_weight": F.conv2d(x.detach().contiguous(),
                                                              w.contiguous(memory_format=torch.channels_last)),
               "max_pool": F.max_pool2d(x, 2), "avg_pool": F.avg_pool2d(x, 2), "relu": F.relu(x), "pad": F.pad(x, (1, 1)),
               "plus_row_major": x + x.detach().contiguous(), "row_major_plus": x.detach().contiguous() + x,
               "softmax": x.softmax(1), "sum": x.sum(1, keepdim=True), "mean": x.mean((2, 3)), "flatten": x.flatten(1)}
    for name, y in outputs.items():
        rec(name, _layout(y))
    y = x.detach().clone().requires_grad_()
    z = y.contiguous(memory_format=torch.channels_last)
    w2 = y.to(memory_format=torch.channels_last)
    rec("graph", [z.grad_fn.name(), w2.grad_fn.name()])
    (z * 2 + w2).sum().backward()
    rec("grad", [_layout(y.grad), y.grad])
    F.conv2d(x, w).sum().backward()
    rec("conv_input_grad", [_layout(x.grad), x.grad])
