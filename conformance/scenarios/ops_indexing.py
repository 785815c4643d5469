"""Indexing, OpInfo style (see _opinfo.py): basic, advanced and boolean indexing (reading and
`__setitem__`), gather, scatter, scatter_add, index_select, index_add, masked_fill, masked_select,
take_along_dim. Index tensors are made inside each sample, on the subject's device."""
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
                 S("repeated", lambda t, a: a[t.tensor([1, 1, 1])], ((3,),))],
    "boolean": [S("mask", lambda t, a: a[a > 0]), S("row_mask", lambda t, a: a[t.tensor([True, False])]),
                S("masked_select", lambda t, a: t.masked_select(a, a < 0.5)),
                S("masked_select_broadcast", lambda t, a: a.masked_select(t.tensor([True, False, True]))),
                S("0d_true", lambda t, a: a[t.tensor(True)]), S("0d_false", lambda t, a: a[t.tensor(False)]),
                S("python_bool", lambda t, a: a[True, 1])],
    "setitem": [S("int_scalar", _setitem(lambda t: 1)), S("slice_tensor", _setitem(lambda t: (slice(None), 0)),
                                                          ((2, 3), (2,))),
                S("advanced_tensor", _setitem(lambda t: t.tensor([0, 2])), ((3, 2), (2, 2))),
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
}

globals().update(register_all(__name__, TABLE))
