"""Linear algebra, OpInfo style (see _opinfo.py): dot, mv, mm, bmm, matmul at every rank pairing,
outer, addmm, einsum, transposes, det, inv, solve and svd of small matrices."""
from . import scenario
from ._opinfo import Sample as S, register_all

MATMUL_RANKS = {
    "1x1": ((3,), (3,)), "2x1": ((2, 3), (3,)), "1x2": ((3,), (3, 2)), "2x2": ((2, 3), (3, 2)),
    "3x1": ((2, 2, 3), (3,)), "3x2": ((2, 2, 3), (3, 2)), "1x3": ((3,), (2, 3, 2)), "2x3": ((2, 3), (2, 3, 2)),
    "3x3": ((2, 2, 3), (2, 3, 2)), "4x3_broadcast": ((2, 1, 2, 3), (3, 3, 2)),
}

# Well-conditioned matrices: a seeded perturbation of 2 * identity.
def _well_conditioned(t, a):
    return a * 0.3 + 2 * t.eye(a.shape[-1], dtype=a.dtype)


def _svd_reconstruct(t, a):
    U, S, Vh = t.linalg.svd(a)
    k = S.shape[-1]
    return (U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :]


def _svd_projector(t, a, which):
    """The projector onto the column (U) or row (V) space of a rank-deficient shape: sign-invariant."""
    U, S, Vh = t.linalg.svd(a, full_matrices=False)
    return U @ U.mT if which == "U" else Vh.mT @ Vh


TABLE = {
    "dot": [S("vectors", lambda t, a, b: t.dot(a, b), ((4,), (4,)))],
    "mv": [S("matrix_vector", lambda t, a, b: a.mv(b), ((2, 3), (3,)))],
    "mm": [S("matrices", lambda t, a, b: t.mm(a, b), ((2, 3), (3, 4)))],
    "bmm": [S("batches", lambda t, a, b: a.bmm(b), ((2, 2, 3), (2, 3, 2)))],
    "matmul": [S(key, lambda t, a, b: a @ b, shapes) for key, shapes in MATMUL_RANKS.items()],
    "outer": [S("vectors", lambda t, a, b: t.outer(a, b), ((3,), (2,)))],
    "addmm": [S("bias", lambda t, c, a, b: t.addmm(c, a, b), ((4,), (2, 3), (3, 4))),
              S("beta_alpha", lambda t, c, a, b: t.addmm(c, a, b, beta=0.5, alpha=-2), ((2, 4), (2, 3), (3, 4))),
              S("beta_zero_ignores_nan", lambda t, c, a, b: (c * float("nan")).addmm(a, b, beta=0),
                ((2, 4), (2, 3), (3, 4))),
              S("alpha_zero", lambda t, c, a, b: t.addmm(c, a, b, alpha=0), ((4,), (2, 3), (3, 4))),
              S("method_beta", lambda t, c, a, b: c.addmm(a, b, beta=2), ((1, 4), (2, 3), (3, 4)))],
    "transpose": [S("t", lambda t, a: a.t()), S("transpose", lambda t, a: t.transpose(a, 0, 2), ((2, 3, 2),)),
                  S("mT", lambda t, a: a.transpose(-2, -1) @ a, ((2, 3),))],
    "det": [S("matrix", lambda t, a: t.linalg.det(_well_conditioned(t, a)), ((3, 3),)),
            S("batch", lambda t, a: _well_conditioned(t, a).det(), ((2, 2, 2),)),
            S("two_batch_dims", lambda t, a: t.linalg.det(_well_conditioned(t, a)), ((2, 3, 2, 2),))],
    "inv": [S("matrix", lambda t, a: t.linalg.inv(_well_conditioned(t, a)), ((3, 3),)),
            S("batch", lambda t, a: t.inverse(_well_conditioned(t, a)), ((2, 2, 2),))],
    "linalg_solve": [S("matrix_rhs", lambda t, a, b: t.linalg.solve(_well_conditioned(t, a), b), ((3, 3), (3, 2))),
                     S("vector_rhs", lambda t, a, b: t.linalg.solve(_well_conditioned(t, a), b), ((3, 3), (3,))),
                     S("batch_vectors", lambda t, a, b: t.linalg.solve(_well_conditioned(t, a), b), ((2, 2, 2), (2, 2))),
                     S("broadcast", lambda t, a, b: t.linalg.solve(_well_conditioned(t, a), b), ((2, 2, 2), (2, 1))),
                     S("transposed", lambda t, a, b: t.linalg.solve(_well_conditioned(t, a).mT, b), ((3, 3), (3, 2)))],
    # U and Vh are unique up to the signs of their columns (rows), which LAPACKs choose differently: the
    # samples are functions invariant under them (the values, the reconstruction, projectors).
    "linalg_svd": [S("values", lambda t, a: t.linalg.svd(a).S, ((3, 2),), forward_mode=False),
                   S("reconstruct", lambda t, a: _svd_reconstruct(t, a), ((2, 3),), forward_mode=False,
                     second_order=False),
                   S("projector_U", lambda t, a: _svd_projector(t, a, "U"), ((3, 2),), forward_mode=False),
                   S("projector_V", lambda t, a: _svd_projector(t, a, "V"), ((2, 3),), forward_mode=False),
                   S("projector_batch", lambda t, a: _svd_projector(t, a, "U"), ((2, 3, 2),), forward_mode=False)],
    # torch contracts with bmm and refgrad with a broadcast product, so the grad_fn names differ:
    # values and derivatives are compared here, names in einsum_grad_fn below.
    "einsum": [S("matmul", lambda t, a, b: t.einsum("ij,jk->ik", a, b), ((2, 3), (3, 2)), record_grad_fn=False),
               S("trace", lambda t, a: t.einsum("ii", a), ((3, 3),), record_grad_fn=False),
               S("implicit_outer", lambda t, a, b: t.einsum("i,j", a, b), ((2,), (3,)), record_grad_fn=False),
               S("batch_ellipsis", lambda t, a, b: t.einsum("...ij,...jk->...ik", a, b), ((2, 2, 3), (2, 3, 2)),
                 record_grad_fn=False),
               S("sum_all", lambda t, a: t.einsum("ij->", a), record_grad_fn=False),
               S("diagonal", lambda t, a: t.einsum("ii->i", a), ((3, 3),), record_grad_fn=False),
               S("upper_case_with_ellipsis", lambda t, a, b: t.einsum("Ab,A...->b", a, b), ((2, 3), (2, 3)),
                 record_grad_fn=False)],
    "einsum_grad_fn": [S("matmul", lambda t, a, b: t.einsum("ij,jk->ik", a, b), ((2, 3), (3, 2)),
                         second_order=False)],
}

globals().update(register_all(__name__, TABLE))


@scenario
def matmul_family_dtype_errors(torch, rec):
    """Operands of different dtypes (or bool) to mm, mv, bmm, dot, matmul, addmm and linear: each kernel's
    own message, after the shape checks of its meta function."""
    def T(*shape, dtype=torch.float32):
        return torch.ones(*shape, dtype=dtype)
    f64, i64 = torch.float64, torch.int64
    cases = {
        "mm": lambda: torch.mm(T(2, 3), T(3, 2, dtype=f64)), "mm_long": lambda: torch.mm(T(2, 3, dtype=i64), T(3, 2)),
        "mm_bool": lambda: torch.mm(T(2, 3, dtype=torch.bool), T(3, 2, dtype=torch.bool)),
        "mv": lambda: torch.mv(T(2, 3), T(3, dtype=f64)), "mv_long": lambda: torch.mv(T(2, 3, dtype=i64), T(3)),
        "mv_bool": lambda: torch.mv(T(2, 3, dtype=torch.bool), T(3, dtype=torch.bool)),
        "bmm": lambda: torch.bmm(T(1, 2, 3), T(1, 3, 2, dtype=f64)),
        "bmm_bool": lambda: torch.bmm(T(1, 2, 3, dtype=torch.bool), T(1, 3, 2, dtype=torch.bool)),
        "dot_bool": lambda: torch.dot(T(3, dtype=torch.bool), T(3, dtype=torch.bool)),
        "mv_shape_first": lambda: torch.mv(T(2, 3), T(4, dtype=f64)),
        "bmm_shape_first": lambda: torch.bmm(T(1, 2, 3), T(1, 4, 2, dtype=f64)),
        "matmul_2x1": lambda: torch.matmul(T(2, 3), T(3, dtype=f64)),
        "matmul_3x1": lambda: torch.matmul(T(4, 2, 3), T(3, dtype=f64)),
        "matmul_2x3": lambda: torch.matmul(T(2, 3), T(4, 3, 2, dtype=f64)),
        "matmul_3x3": lambda: torch.matmul(T(4, 2, 3, dtype=i64), T(4, 3, 2)),
        "matmul_3x1_bool": lambda: torch.matmul(T(4, 2, 3, dtype=torch.bool), T(3, dtype=torch.bool)),
        "matmul_1x3_shape": lambda: torch.matmul(T(4), T(4, 3, 2)),
        "matmul_2x3_shape": lambda: torch.matmul(T(2, 4), T(4, 3, 2)),
        "addmm_mat2": lambda: torch.addmm(T(2, 2), T(2, 3), T(3, 2, dtype=f64)),
        "addmm_bias": lambda: torch.addmm(T(2, 2, dtype=f64), T(2, 3), T(3, 2)),
        "addmm_mat1": lambda: torch.addmm(T(2, 2), T(2, 3, dtype=f64), T(3, 2)),
        "addmm_vector": lambda: torch.addmm(T(2, 2), T(3), T(3, 2)),
        "addmm_shapes": lambda: torch.addmm(T(2, 2), T(2, 3), T(4, 2)),
        "addmm_bias_shape": lambda: torch.addmm(T(3), T(2, 3), T(3, 2)),
        "addmm_bias_rows": lambda: torch.addmm(T(3, 2), T(2, 3), T(3, 2)),
        "addmm_bias_dims": lambda: torch.addmm(T(1, 2, 2), T(2, 3), T(3, 2)),
        "linear": lambda: torch.nn.functional.linear(T(2, 3), T(4, 3, dtype=f64)),
        "linear_bias": lambda: torch.nn.functional.linear(T(2, 3), T(4, 3), T(4, dtype=f64)),
        "linear_3d_bias": lambda: torch.nn.functional.linear(T(5, 2, 3), T(4, 3), T(4, dtype=f64)),
        "linear_0d": lambda: torch.nn.functional.linear(T(()), T(4, 3)),
    }
    for name, fn in cases.items():
        rec.raises(name, fn)


@scenario
def lerp_dtype_errors(torch, rec):
    """lerp's end (and a weight tensor with dims) must have self's dtype; integer self has no kernel."""
    f32, f64, i64 = torch.float32, torch.float64, torch.int64
    for a in (f32, f64, i64):
        for b in (f32, f64, i64):
            x, y = torch.ones(2, dtype=a), torch.ones(2, dtype=b)
            rec.raises(f"{a}.{b}.scalar", lambda: x.lerp(y, 0.5))
            rec.raises(f"{a}.{b}.tensor", lambda: torch.lerp(x, y, torch.full((2,), 0.5, dtype=b)))
    x = torch.ones(2)
    rec.raises("weight_double", lambda: x.lerp(x, torch.full((2,), 0.5, dtype=f64)))
    rec.raises("weight_0d_double", lambda: x.lerp(x, torch.tensor(0.5, dtype=f64)))
    rec.raises("end_0d_double", lambda: x.lerp(torch.tensor(1.0, dtype=f64), 0.5))
    rec.raises("dtype_before_shape", lambda: x.lerp(torch.ones(3, dtype=f64), 0.5))
    rec.raises("long_shape", lambda: torch.ones(2, dtype=i64).lerp(torch.ones(3, dtype=i64), 0.5))


@scenario(dtypes=("float64",))
def det_of_one_by_one_create_graph(torch, rec):
    """The gradient of det of a 1x1 (or empty) matrix is a constant: with create_graph=True it does not
    require grad; of a larger matrix it does."""
    cases = {"1x1": (1, 1), "batch_1x1": (2, 1, 1), "batches_1x1": (3, 2, 1, 1), "0x0": (0, 0), "2x2": (2, 2),
             "batches_2x2": (1, 3, 2, 2)}
    fw = torch.autograd.forward_ad
    for name, shape in cases.items():
        eye = torch.eye(shape[-1], dtype=torch.float64)
        x = ((rec.tensor(*shape, low=0.5, high=1.5) if 0 not in shape else torch.zeros(shape, dtype=torch.float64))
             + 2 * eye).requires_grad_()
        g, = torch.autograd.grad(x.det().sum(), x, create_graph=True)
        rec(f"{name}.grad", [g, g.requires_grad])
        with fw.dual_level():
            tangent = torch.ones(shape, dtype=torch.float64) * 0.5 + eye
            rec(f"{name}.jvp", fw.unpack_dual(fw.make_dual(x.detach(), tangent).det()).tangent)

    x = rec.tensor(1, 1, low=0.5, high=1.5, requires_grad=True)
    g, = torch.autograd.grad((x * x).det(), x, create_graph=True)
    g.sum().backward()
    rec("square.second", x.grad)
    rec.raises("singular_1x1", lambda: torch.autograd.grad(torch.zeros(1, 1, requires_grad=True).det(),
                                                         torch.zeros(1, 1, requires_grad=True), allow_unused=True))


@scenario
def inverse_singular_messages(torch, rec):
    """linalg.inv of a batch with a singular matrix names the batch element and its zero pivot."""
    eye = torch.eye(2)
    cases = {"second": torch.stack([eye, torch.zeros(2, 2)]),
             "third": torch.stack([eye, eye, torch.tensor([[1.0, 2.0], [2.0, 4.0]])]),
             "4d": torch.zeros(2, 2, 2, 2), "matrix": torch.zeros(2, 2)}
    for name, a in cases.items():
        rec.raises(name, lambda: torch.linalg.inv(a))


@scenario
def det_inv_in_float32(torch, rec):
    """det and inv factor in the matrix's own dtype, as LAPACK does (not in float64): a float32 matrix
    singular up to its rounding has det exactly 0, a NaN spreads through the LU as there."""
    nan = float("nan")
    near_singular = torch.tensor([[[1.0, 1.0, 1.0], [-0.5, 1.0, 1.0], [-0.5, 0.0, 0.0]],
                                  [[-1.0, 0.5, 0.5], [1.0, -2.0, 1.0], [1.5, 0.5, -1.0]]])
    rec("det_near_singular", repr(torch.linalg.det(near_singular)))
    rec("det_2x2", torch.linalg.det(torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
    rec("det_nan", torch.linalg.det(torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, nan]])))
    rec("inv_nan", torch.linalg.inv(torch.tensor([[2.0, 1.0, 1.0], [1.0, nan, 1.0], [1.0, 1.0, 2.0]])))
    rec("inv_rounding", repr(torch.linalg.inv(torch.tensor([[2.0, 1.0, 0.5], [1.0, 2.0, 1.0], [1.0, -1.0, 2.0]]))))
    rec.raises("inv_singular_in_float32", lambda: torch.linalg.inv(near_singular[0]))


@scenario
def mixed_dtype_einsum(torch, rec):
    """einsum contracts pairs through bmm, which wants one dtype ("expected scalar type"); pairs without a
    contracted label are multiplied, which promotes."""
    i64, f32 = torch.ones(2, 2, dtype=torch.int64), torch.ones(2, 2)
    rec.raises("mm_long_float", lambda: torch.einsum("ij,jk->ik", i64, f32))
    rec.raises("mm_float_double", lambda: torch.einsum("ij,jk->ik", f32, f32.double()))
    rec.raises("dot", lambda: torch.einsum("i,i->", f32[0], i64[0]))
    rec.raises("three", lambda: torch.einsum("i,i,i->", f32[0], f32[0], i64[0]))
    rec.raises("diagonal", lambda: torch.einsum("ii,i->", i64, f32[0]))
    bools = torch.ones(2, dtype=torch.bool)
    rec.raises("bool_dot", lambda: torch.einsum("i,i->", bools, bools))
    rec.raises("bool_long", lambda: torch.einsum("i,i->", bools, i64[0]))
    rec.raises("long_bool", lambda: torch.einsum("i,i->", i64[0], bools))
    rec("bool_outer", torch.einsum("i,j->ij", bools, bools))
    rec("outer_promotes", torch.einsum("i,j->ij", i64[0], f32[0]))
    rec("elementwise_promotes", torch.einsum("ij,ij->ij", i64, f32))
    rec("size_one_label", torch.einsum("ij,jk->ik", torch.ones(2, 1, dtype=torch.int64), torch.ones(1, 2)))
    rec("empty_label", torch.einsum("ij,jk->ik", torch.ones(2, 0, dtype=torch.int64), torch.ones(0, 2)))


@scenario
def addmm_summation_order(torch, rec):
    """Small addmm and linear add each product into the scaled bias in turn, as PyTorch's CPU gemm does there:
    1 + (-1) + 1e-30 is 1e-30, not 0 (printed in full: values alone compare within tolerance)."""
    a = torch.ones(3, 3)
    b = torch.tensor([[-1.0, 1.0, 1.0], [-0.0, 1.0, 1.0], [1e-30, 1.0, 1.0]])
    rec("addmm", repr(torch.addmm(torch.ones(3), a, b)))
    rec("addmm_alpha", repr(torch.addmm(torch.ones(3), a, b * 0.5, alpha=2)))
    rec("one_row", repr(torch.addmm(torch.ones(1, 3), a[:1], b)))
    rec("linear", repr(torch.nn.functional.linear(a, b.t(), torch.ones(3))))


@scenario
def inv_grad_association(torch, rec):
    """inv's gradient is -A^-T (G A^-T), multiplied in PyTorch's order: the signs of its zeros show in repr."""
    for dtype in (torch.float32, torch.float64):
        A = torch.tensor([[3.0, 1.0, 1.0], [1.0, 2.0, 1.0], [0.0, 1.0, 1.0]], dtype=dtype, requires_grad=True)
        torch.linalg.inv(A).backward(torch.full((3, 3), -1.0, dtype=dtype))
        rec(f"{dtype}.grad", repr(A.grad))
    B = torch.tensor([[3.0, 2.0, 3.0], [3.0, 4.0, 2.0], [3.0, 1.0, 4.0]], dtype=torch.float64, requires_grad=True)
    torch.linalg.inv(B).backward(torch.ones(3, 3, dtype=torch.float64))
    rec("float64_ones", repr(B.grad))


@scenario
def linalg_solve_svd_errors(torch, rec):
    """linalg.solve's and linalg.svd's checks: shapes, dtypes, batches that do not broadcast, a singular A
    (torch._C._LinAlgError, naming the batch element), and the namedtuple svd returns."""
    A, b = torch.tensor([[2.0, 1.0], [1.0, 3.0]]), torch.tensor([1.0, 2.0])
    cases = {"not_square": lambda: torch.linalg.solve(torch.ones(2, 3), b),
             "vector_A": lambda: torch.linalg.solve(torch.ones(3), b),
             "vector_rows": lambda: torch.linalg.solve(A, torch.ones(3)),
             "matrix_rows": lambda: torch.linalg.solve(A, torch.ones(3, 2)),
             "batch_mismatch": lambda: torch.linalg.solve(torch.ones(2, 2, 2), torch.ones(3, 2, 1)),
             "singular": lambda: torch.linalg.solve(torch.ones(2, 2), torch.ones(2, 1)),
             "singular_batch": lambda: torch.linalg.solve(torch.stack([A, torch.ones(2, 2)]), torch.ones(2, 2, 1)),
             "long": lambda: torch.linalg.solve(torch.ones(2, 2, dtype=torch.long), torch.ones(2)),
             "dtypes": lambda: torch.linalg.solve(A, torch.ones(2, dtype=torch.float64)),
             "svd_vector": lambda: torch.linalg.svd(torch.ones(3)),
             "svd_long": lambda: torch.linalg.svd(torch.ones(3, 2, dtype=torch.long))}
    for name, fn in cases.items():
        rec.raises(name, fn)
    rec("solve_vector", torch.linalg.solve(A, b))
    rec("solve_empty", torch.linalg.solve(torch.zeros(0, 0), torch.zeros(0)))
    out = torch.linalg.svd(torch.tensor([[3.0, 0.0], [0.0, 4.0]]))
    rec("svd_type", [type(out).__name__, type(out).__module__, out.S])
    empty = torch.linalg.svd(torch.zeros(0, 3))
    rec("svd_empty", [tuple(t.shape) for t in empty])
    x = torch.tensor([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5]], requires_grad=True)
    U, S, Vh = torch.linalg.svd(x)
    rec("svd_grad_fn", [type(U.grad_fn).__name__, U.grad_fn is S.grad_fn, Vh.grad_fn is S.grad_fn])


@scenario
def det_grad_non_finite(torch, rec):
    """det's gradient of matrices with inf, NaN and 1e30 entries: NaN where det is NaN (its LU solve spreads
    it), no error, with and without create_graph (the 1e30 matrix, singular, takes the SVD formula)."""
    inf, nan = float("inf"), float("nan")
    rows = [[[1.0, 0.0, 1.0], [-inf, 1.0, inf], [inf, 1.0, 1.0]], [[1.0, 1.0, 1.0], [1e30, 1.0, 1.0], [1.0, 1.0, 1.0]],
            [[1.0, 0.0, 1.0], [-inf, 1.0, 1.0], [1.0, 1.0, 1.0]], [[nan, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]
    # under create_graph the singular 1e30 matrix's cofactors would carry MKL's SVD rounding: ones instead
    for create_graph, batch in ((False, rows), (True, rows[:1] + [[[1.0, 1.0, 1.0]] * 3] + rows[2:])):
        A = torch.tensor([batch], requires_grad=True)
        g, = torch.autograd.grad(torch.linalg.det(A).sum(), A, create_graph=create_graph)
        rec(f"grad.{create_graph}", [g, g.requires_grad])
    A = torch.tensor([[[0.0, 1.0, 1.0], [inf, 1.0, 1.0], [1.0, 1.0, 1.0]]], requires_grad=True)
    rec.raises("zero_pivot_nan_det", lambda: torch.autograd.grad(torch.linalg.det(A).sum(), A, create_graph=True))
    rec("zero_pivot_nan_det_plain", torch.autograd.grad(torch.linalg.det(A).sum(), A)[0])
    B = torch.tensor([[inf, 1.0], [0.0, 0.0]], requires_grad=True)
    rec.raises("zero_pivot_matrix", lambda: torch.autograd.grad(torch.linalg.det(B), B, create_graph=True))


@scenario
def det_grad_lu_solve(torch, rec):
    """Without create_graph det's gradient solves A^T G = grad det I with det's own LU, zero pivots made
    eps: a singular matrix gets exactly 0 (not -0.0), integer matrices exact integers, byte for byte."""
    A = torch.tensor([[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0], [1.0, 2.0, 3.0], [1.0, 3.0, 6.0]],
                      [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]], [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]]],
                     requires_grad=True)
    d = torch.linalg.det(A)
    d.backward(torch.tensor([1.0, 2.0, -0.5, 3.0], dtype=torch.float64))
    rec("float64_gradient", repr(A.grad))
    x = torch.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    torch.linalg.det(x).backward()
    rec("singular_2x2", repr(x.grad))
    y = torch.tensor([[4.0, 3.0], [6.0, 3.0]], dtype=torch.float64, requires_grad=True)
    torch.linalg.det(y.mT).backward()
    rec("transposed", repr(y.grad))


@scenario
def det_grad_create_graph(torch, rec):
    """With create_graph det's gradient is linalg.solve's (|det| >= 100 eps) or the SVD formula's (singular),
    put together by index_put_ for a mixed batch: differentiable either way; through repeated zero singular
    values the second derivative is NaN (svd_backward divides by s_i^2 - s_j^2)."""
    batches = {"non_singular": [[[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]]] * 2,
               "singular": [[[1.0, 1.0, 1.0]] * 3, [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]]],
               "mixed": [[[1.0, 1.0, 1.0]] * 3, [[1.0, 1.0, 1.0], [1.0, 2.0, 3.0], [1.0, 3.0, 6.0]]],
               "matrix": [[2.0, 1.0], [1.0, 3.0]], "singular_matrix": [[1.0, 2.0], [2.0, 4.0]],
               "above_threshold": [[1.0, 0.0], [0.0, 1.5e-5]],  # |det| between 100 eps and 200 eps: solve
               "below_threshold": [[1.0, 0.0], [0.0, 1e-6]]}  # |det| between eps and 100 eps: the SVD
    for name, value in batches.items():
        A = torch.tensor(value, requires_grad=True)
        g, = torch.autograd.grad(torch.linalg.det(A).sum(), A, create_graph=True)
        h, = torch.autograd.grad(g.sum(), A, retain_graph=True)
        rec(f"{name}.grad", [g, type(g.grad_fn).__name__, g.requires_grad])
        rec(f"{name}.second", h)
    A = torch.tensor([[[1.0, 1.0, 1.0]] * 3, [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]]], requires_grad=True)
    d = torch.linalg.det(A)
    d.backward(torch.ones_like(d), create_graph=True)
    rec("accumulated", [A.grad, type(A.grad.grad_fn).__name__])


@scenario
def linalg_solve_rounding(torch, rec):
    """linalg.solve factors A (getrf) and solves with getrs; its backward solves A^T with the same LU: the
    2x2 results are PyTorch's (MKL's) bit for bit (reprs compared)."""
    A = torch.tensor(rec.data(6, 2, 2), requires_grad=True)
    B = torch.tensor(rec.data(6, 2, 3), requires_grad=True)
    X = torch.linalg.solve(A, B)
    (X * 1.5).sum().backward()
    # the exact values, as strings (repr(tensor) shows 4 digits; values compare within a tolerance)
    rec("X", repr(X.tolist()))
    rec("B.grad", repr(B.grad.tolist()))
    rec("vector", repr(torch.linalg.solve(A.detach()[0], B.detach()[0, :, 0]).tolist()))


@scenario
def det_jvp_singular(torch, rec):
    """det's tangent, det(A) tr(A^-1 dA), is solved with det's LU, zero pivots made eps: a singular matrix
    gets a finite tangent (no linalg.inv error)."""
    cases = {"singular_2x2": [[1.0, 2.0], [2.0, 4.0]], "ones_3x3": [[1.0, 1.0, 1.0]] * 3,
             "batch": [[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]]], "zeros": [[0.0, 0.0], [0.0, 0.0]]}
    for name, values in cases.items():
        A = torch.tensor(values)
        T = torch.ones_like(A) * 0.5 + torch.eye(A.shape[-1])
        rec(name, torch.func.jvp(torch.linalg.det, (A,), (T,))[1])


@scenario
def addmm_scales_create_graph(torch, rec):
    """addmm's gradients multiply by beta and alpha only when they are not 1 (PyTorch's maybe_multiply, by a
    C++ scalar: MulBackward1), as the names of the gradients' nodes under create_graph show."""
    c, a, b = rec.tensor(2, 2, requires_grad=True), rec.tensor(2, 3, requires_grad=True), rec.tensor(3, 2, requires_grad=True)
    w = rec.tensor(2, 2, requires_grad=True)
    for name, scales in {"ones": {}, "scaled": {"beta": 2, "alpha": 3}}.items():
        grads = torch.autograd.grad((torch.addmm(c, a, b, **scales) * w).sum(), (c, a, b), create_graph=True)
        rec(name, [(g, g.grad_fn.name()) for g in grads])


@scenario
def mm_bmm_summation_order(torch, rec):
    """Small mm (MKL's gemm) and bmm (PyTorch's own loop below 400 multiply-adds) add the products in k order:
    the last bits, and so the printed cancellations, are PyTorch's (an inverse's gradient under create_graph)."""
    A = torch.tensor([[2.0, 1.0, 1.0], [1.0, -1.0, -1.0], [1.0, -1.0, 2.0]], requires_grad=True)
    torch.linalg.inv(A).sum().backward(create_graph=True)
    rec("inv_grad", repr(A.grad))
    inv = torch.linalg.inv(A.detach())
    rec("mm", repr(torch.ones(3, 3) @ inv.t()))
    rec("bmm", repr(torch.bmm(torch.ones(2, 3, 3), inv.t().expand(2, 3, 3))))
    rec("matmul_batched", repr(torch.ones(2, 2, 3) @ inv))


def _graph(fn):
    """A grad_fn and what it leads to, as nested (name, inputs) down to the leaves."""
    return None if fn is None else (fn.name(), [_graph(f) for f, _ in fn.next_functions])


@scenario
def matmul_result_layout_and_graph(torch, rec):
    """Every matmul form, each operand requiring grad or not: the result's graph (mm on a folded operand, bmm on
    expanded batches), its version (1 @ 2 squeezes mm's result in place) and its layout, row-major even where
    the fold transposes back (contiguous() is the result itself, view(-1) and flatten() view it)."""
    for key, (sa, sb) in dict(MATMUL_RANKS, **{"2x3_batch_of_one": ((2, 3), (1, 3, 2)),
                                               "3x3_batch_of_one": ((1, 2, 3), (2, 3, 2))}).items():
        for grads in ((False, False), (True, False), (False, True), (True, True)):
            a, b = (rec.tensor(*s, requires_grad=g) for s, g in zip((sa, sb), grads))
            out = a @ b
            name = f"{key}.{''.join('g' if g else '-' for g in grads)}"
            rec(name, (out, _graph(out.grad_fn), out._version, out.is_contiguous(), out.contiguous() is out))
            rec(f"{name}.view", out.view(-1))
            rec(f"{name}.flatten", _graph(out.flatten().grad_fn))
            rec(f"{name}.exp_", _graph(out.exp_().grad_fn) if grads == (False, True) else None)
