"""Linear algebra, OpInfo style (see _opinfo.py): dot, mv, mm, bmm, matmul at every rank pairing,
outer, addmm, einsum, transposes, det and inv of small matrices."""
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
        rec(f"{name}.grad", [g.detach(), g.requires_grad])  # the 2x2 grad_fn is a known name difference
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
