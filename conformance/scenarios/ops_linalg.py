"""Linear algebra, OpInfo style (see _opinfo.py): dot, mv, mm, bmm, matmul at every rank pairing,
outer, addmm, einsum, transposes, det and inv of small matrices."""
from ._opinfo import Sample as S, register_all

MATMUL_RANKS = {
    "1x1": ((3,), (3,)), "2x1": ((2, 3), (3,)), "1x2": ((3,), (3, 2)), "2x2": ((2, 3), (3, 2)),
    "3x1": ((2, 2, 3), (3,)), "3x2": ((2, 2, 3), (3, 2)), "1x3": ((3,), (2, 3, 2)), "2x3": ((2, 3), (2, 3, 2)),
    "3x3": ((2, 2, 3), (2, 3, 2)), "4x3_broadcast": ((2, 1, 2, 3), (3, 3, 2)),
}

# Well-conditioned matrices: a seeded perturbation of 2 * identity.
def _well_conditioned(t, a):
    return a * 0.3 + 2 * t.eye(a.shape[-1], dtype=a.dtype)


TABLE = {
    "dot": [S("vectors", lambda t, a, b: t.dot(a, b), ((4,), (4,)))],
    "mv": [S("matrix_vector", lambda t, a, b: a.mv(b), ((2, 3), (3,)))],
    "mm": [S("matrices", lambda t, a, b: t.mm(a, b), ((2, 3), (3, 4)))],
    "bmm": [S("batches", lambda t, a, b: a.bmm(b), ((2, 2, 3), (2, 3, 2)))],
    "matmul": [S(key, lambda t, a, b: a @ b, shapes) for key, shapes in MATMUL_RANKS.items()],
    "outer": [S("vectors", lambda t, a, b: t.outer(a, b), ((3,), (2,)))],
    "addmm": [S("bias", lambda t, c, a, b: t.addmm(c, a, b), ((4,), (2, 3), (3, 4)))],
    "transpose": [S("t", lambda t, a: a.t()), S("transpose", lambda t, a: t.transpose(a, 0, 2), ((2, 3, 2),)),
                  S("mT", lambda t, a: a.transpose(-2, -1) @ a, ((2, 3),))],
    "det": [S("matrix", lambda t, a: t.linalg.det(_well_conditioned(t, a)), ((3, 3),)),
            S("batch", lambda t, a: _well_conditioned(t, a).det(), ((2, 2, 2),)),
            S("two_batch_dims", lambda t, a: t.linalg.det(_well_conditioned(t, a)), ((2, 3, 2, 2),))],
    "inv": [S("matrix", lambda t, a: t.linalg.inv(_well_conditioned(t, a)), ((3, 3),)),
            S("batch", lambda t, a: t.inverse(_well_conditioned(t, a)), ((2, 2, 2),))],
    # torch contracts with bmm and refgrad with a broadcast product, so the grad_fn names differ:
    # values and derivatives are compared here, names in einsum_grad_fn below.
    "einsum": [S("matmul", lambda t, a, b: t.einsum("ij,jk->ik", a, b), ((2, 3), (3, 2)), record_grad_fn=False),
               S("trace", lambda t, a: t.einsum("ii", a), ((3, 3),), record_grad_fn=False),
               S("implicit_outer", lambda t, a, b: t.einsum("i,j", a, b), ((2,), (3,)), record_grad_fn=False),
               S("batch_ellipsis", lambda t, a, b: t.einsum("...ij,...jk->...ik", a, b), ((2, 2, 3), (2, 3, 2)),
                 record_grad_fn=False),
               S("sum_all", lambda t, a: t.einsum("ij->", a), record_grad_fn=False),
               S("diagonal", lambda t, a: t.einsum("ii->i", a), ((3, 3),), record_grad_fn=False)],
    "einsum_grad_fn": [S("matmul", lambda t, a, b: t.einsum("ij,jk->ik", a, b), ((2, 3), (3, 2)),
                         second_order=False)],
}

globals().update(register_all(__name__, TABLE))
