"""Shape ops, OpInfo style (see _opinfo.py): views (reshape, view, flatten, squeeze, unsqueeze,
permute, transpose, expand, narrow, movedim, diagonal), copies (repeat, flip, roll, tril, triu),
joins (cat, stack) and multi-output splits (split, chunk, unbind)."""
from . import scenario
from ._opinfo import Sample as S, register_all

TABLE = {
    "reshape": [S("flat", lambda t, a: a.reshape(-1)), S("view", lambda t, a: a.view(3, 2)),
                S("non_contiguous", lambda t, a: a.t().reshape(6)), S("flatten", lambda t, a: t.flatten(a, 1),
                                                                      ((2, 2, 3),)),
                S("view_as", lambda t, a, b: a.view_as(b), ((2, 3), (3, 2))), S("0d", lambda t, a: a.reshape(1, 1),
                                                                                ((),))],
    "squeeze": [S("all", lambda t, a: a.squeeze(), ((1, 3, 1),)), S("dim", lambda t, a: a.squeeze(0), ((1, 3),)),
                S("dims", lambda t, a: t.squeeze(a, (0, 2)), ((1, 3, 1),)),
                S("unsqueeze", lambda t, a: a.unsqueeze(-1), ((2, 3),))],
    "permute": [S("permute", lambda t, a: a.permute(2, 0, 1), ((2, 3, 2),)),
                S("movedim", lambda t, a: t.movedim(a, 0, -1), ((2, 3, 2),)),
                S("transpose", lambda t, a: a.transpose(0, 1)),
                S("swapaxes", lambda t, a: (a.swapaxes(0, 2), t.swapdims(a, 1, -1)), ((2, 3, 2),)),
                S("matrix_T", lambda t, a: (a.mT, a.mH, a.T, a.H)), S("batch_mT", lambda t, a: a.mT, ((2, 2, 3),))],
    "expand": [S("expand", lambda t, a: a.expand(2, 3), ((3,),)), S("expand_as", lambda t, a, b: a.expand_as(b),
                                                                   ((1, 3), (2, 3))),
               S("broadcast_to", lambda t, a: t.broadcast_to(a, (2, 2, 3)), ((2, 1, 3),))],
    "narrow": [S("narrow", lambda t, a: a.narrow(1, 1, 2)), S("diagonal", lambda t, a: a.diagonal(), ((3, 3),)),
               S("diagonal_offset", lambda t, a: t.diagonal(a, 1, 1, 2), ((2, 3, 3),))],
    "repeat": [S("2d", lambda t, a: a.repeat(2, 1)), S("new_dims", lambda t, a: a.repeat(2, 1, 2), ((3,),))],
    "flip": [S("dim0", lambda t, a: a.flip(0)), S("dims", lambda t, a: t.flip(a, (0, 1)))],
    "roll": [S("dim", lambda t, a: a.roll(1, 1)), S("flat", lambda t, a: t.roll(a, 2)),
             S("dims", lambda t, a: a.roll((1, -1), (0, 1)))],
    "tril": [S("tril", lambda t, a: a.tril()), S("triu_offset", lambda t, a: t.triu(a, 1)),
             S("tril_negative", lambda t, a: a.tril(-1), ((3, 3),))],
    "cat": [S("dim0", lambda t, a, b: t.cat([a, b]), ((2, 3), (1, 3))),
            S("dim1", lambda t, a, b: t.cat((a, b), dim=1), ((2, 3), (2, 2))),
            S("three", lambda t, a, b, c: t.cat([a, b, c], -1), ((2,), (3,), (1,))),
            # a 1-d empty tensor joins any shape (PyTorch's legacy rule) and gets an empty gradient
            S("empty_1d", lambda t, a, e: t.cat([e, a, e], 1), ((2, 3), (0,))),
            S("empty_1d_with_3d", lambda t, a, e: t.cat([a, e], 1), ((2, 2, 2), (0,))),
            S("empty_1d_with_1d", lambda t, a, e: t.cat([e, a]), ((3,), (0,))),
            S("empty_rows", lambda t, a, e: t.cat([a, e]), ((2, 3), (0, 3)))],
    "stack": [S("dim0", lambda t, a, b: t.stack([a, b]), ((2, 3), (2, 3))),
              S("dim_last", lambda t, a, b: t.stack((a, b), dim=-1), ((3,), (3,)))],
    "split": [S("size", lambda t, a: a.split(2, 1), ((2, 5),)),
              S("sizes", lambda t, a: t.split(a, [1, 3], dim=1), ((2, 4),)),
              S("one_used", lambda t, a: a.split(1)[1], ((3, 2),))],
    "chunk": [S("even", lambda t, a: a.chunk(2, 1), ((2, 4),)), S("uneven", lambda t, a: t.chunk(a, 3), ((5,),))],
    "unbind": [S("dim0", lambda t, a: a.unbind()), S("dim1", lambda t, a: t.unbind(a, 1)),
               S("iterate", lambda t, a: [row * 2 for row in a]), S("one_used", lambda t, a: a.unbind()[0])],
}

globals().update(register_all(__name__, TABLE))


@scenario
def narrow_bounds_and_empty_unbind(torch, rec):
    """narrow wraps only a negative start (a start equal to the size is an empty slice, not 0), then checks
    start + length; unbind along an empty dim gives no tensors (and records nothing)."""
    x = rec.tensor(3, 1, requires_grad=True)
    for start, length in ((1, 1), (0, 1), (-1, 1), (1, 0), (2, 0), (-3, 1)):
        rec.raises(f"narrow.dim1.{start}.{length}", lambda: x.narrow(1, start, length))
    v = rec.tensor(3, requires_grad=True)
    for start, length in ((3, 1), (3, 0), (4, 0), (-1, 2), (-4, 1), (2, 2), (0, -1), (2, 1), (-3, 3)):
        rec.raises(f"narrow.{start}.{length}", lambda: v.narrow(0, start, length))
    rec.raises("narrow.empty", lambda: torch.zeros(0).narrow(0, 0, 0))
    empty = torch.zeros(0, 2, requires_grad=True)
    rec("unbind.empty_dim", empty.unbind(0))
    rec("unbind.empty_function", torch.unbind(torch.zeros(0, requires_grad=True)))
    rec("unbind.other_dim", empty.unbind(1))
    rec("unbind.other_dim.grad_fn", empty.unbind(1)[0].grad_fn.name())
    with torch.no_grad():
        rec("unbind.no_grad", empty.unbind(0))


@scenario
def cat_legacy_empty_grad(torch, rec):
    """cat's backward gives a legacy empty input (shape [0]) a new empty gradient whatever the other inputs'
    dims: a tensor that never requires grad, even under create_graph."""
    for shape in ((3,), (2, 3)):
        e, a = torch.tensor([], requires_grad=True), rec.tensor(*shape, requires_grad=True)
        y = torch.cat([e, a])
        (y * y).sum().backward(create_graph=True)
        rec(f"{shape}", [e.grad, a.grad])
