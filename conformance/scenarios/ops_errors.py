"""Bad input to ops: shape mismatches, bad dims, out-of-range and wrongly typed indices, unsupported
dtypes, and the outputs that are not differentiable. Each must raise torch's exception class and
message (or give its warning), never a NumPy error."""
from . import scenario


def _record_all(rec, table):
    for name, fn in table.items():
        rec.raises(name, fn)


@scenario
def linalg_errors(torch, rec):
    m, v = torch.ones(3, 3), torch.ones(3)
    _record_all(rec, {
        "mm_shape": lambda: torch.mm(torch.ones(2, 3), torch.ones(2, 3)),
        "mm_1d": lambda: torch.mm(v, m),
        "mm_dtype": lambda: torch.mm(m, m.double()),
        "mv_shape": lambda: torch.mv(m, torch.ones(2)),
        "bmm_shape": lambda: torch.bmm(torch.ones(2, 2, 3), torch.ones(3, 3, 2)),
        "bmm_2d": lambda: torch.bmm(m, m),
        "matmul_shape": lambda: torch.ones(2, 3) @ torch.ones(2, 3),
        "matmul_0d": lambda: torch.matmul(torch.tensor(1.0), v),
        "matmul_1d": lambda: v @ torch.ones(2),
        "matmul_batch": lambda: torch.ones(2, 2, 3) @ torch.ones(3, 3, 2),
        "dot_dtype": lambda: torch.dot(v, torch.ones(3, dtype=torch.int64)),
        "det_not_square": lambda: torch.linalg.det(torch.ones(2, 3)),
        "inv_singular": lambda: torch.linalg.inv(m),
        "inv_int": lambda: torch.linalg.inv(torch.ones(2, 2, dtype=torch.int64)),
        "einsum_operands": lambda: torch.einsum("ij,jk", m),
        "einsum_dims": lambda: torch.einsum("ijk", m),
    })


@scenario
def shape_errors(torch, rec):
    x = torch.ones(2, 3, requires_grad=True)
    _record_all(rec, {
        "cat_shape": lambda: torch.cat([torch.ones(2, 3), torch.ones(2, 2)]),
        "cat_ndim": lambda: torch.cat([torch.ones(2, 3), torch.ones(3)]),
        "cat_0d": lambda: torch.cat([torch.tensor(1.0), torch.tensor(2.0)]),
        "cat_empty": lambda: torch.cat([]),
        "cat_tensor": lambda: torch.cat(torch.ones(2)),
        "cat_dim": lambda: torch.cat([x, x], dim=2),
        "stack_shape": lambda: torch.stack([torch.ones(2), torch.ones(3)]),
        "stack_empty": lambda: torch.stack([]),
        "split_sizes": lambda: x.split([1, 1], 1),
        "chunk_zero": lambda: x.chunk(0),
        "repeat_too_few": lambda: x.repeat(2),
        "tril_1d": lambda: torch.ones(3).tril(),
        "flip_repeated_dim": lambda: x.flip(0, 0),
        "roll_mismatch": lambda: x.roll((1, 2), 0),
        "unbind_0d": lambda: torch.tensor(1.0).unbind(),
        "iterate_0d": lambda: list(torch.tensor(1.0)),
    })


@scenario
def broadcast_errors_fold_operands_in_order(torch, rec):
    """Shapes that do not broadcast: TensorIterator folds the operands' shapes in order into the shape so far
    (tensor a), each from its last dim, so a three-operand op names the first pair that clashes."""
    def ones(*shape):
        return torch.ones(shape)
    _record_all(rec, {
        "addcmul_self_first": lambda: torch.addcmul(ones(3, 1), ones(1, 1, 4, 4), ones(1, 2, 3, 3)),
        "addcdiv_self_first": lambda: torch.addcdiv(ones(3, 1), ones(1, 1, 4, 4), ones(1, 2, 3, 3)),
        "addcmul_tensor2_last": lambda: torch.addcmul(ones(2, 1), ones(1, 4), ones(3, 1)),
        "lerp_weight_last": lambda: torch.lerp(ones(2, 1), ones(1, 4), ones(3, 1)),
        "where_condition_first": lambda: torch.where(ones(2, 1) > 0, ones(1, 4), ones(3, 1)),
        "empty_dim": lambda: torch.addcmul(ones(2, 0), ones(3, 1), ones(2, 1)),
    })


@scenario
def inplace_shape_errors(torch, rec):
    """An in-place op's operands must broadcast to self's own shape (TensorIterator's two messages), and
    self's elements must not share memory (an expanded tensor)."""
    def ones(*shape):
        return torch.ones(shape)
    _record_all(rec, {
        "add_bigger_rank": lambda: ones(3).add_(ones(2, 3)),
        "add_to_0d": lambda: torch.tensor(1.0).add_(ones(3)),
        "mul_expands_dim": lambda: ones(2, 1).mul_(ones(2, 3)),
        "add_size_mismatch": lambda: ones(3).add_(ones(4)),
        "sub_alpha_bigger_rank": lambda: ones(3).sub_(ones(2, 3), alpha=2),
        "div_python_scalar_ok": lambda: ones(3).div_(0.0),
        "long_add_bigger_rank_before_cast": lambda: torch.ones(3, dtype=torch.int64).add_(ones(2, 3)),
        "clamp_bigger_rank": lambda: ones(3).clamp_(ones(2, 3)),
        "masked_fill_bigger_mask": lambda: ones(3).masked_fill_(ones(2, 3) > 0, 1.0),
        "copy_bigger_rank": lambda: ones(3).copy_(ones(2, 3)),
        "copy_size_mismatch": lambda: ones(2, 3).copy_(ones(2, 4)),
        "copy_size_mismatch_leading": lambda: ones(2, 3).copy_(ones(5, 3)),
        "copy_expands_dim": lambda: ones(2, 1).copy_(ones(2, 3)),
        "mul_into_expanded": lambda: ones(3).expand(2, 3).mul_(2),
        "add_into_expanded": lambda: ones(3).expand(2, 3).add_(ones(2, 3)),
        "exp_into_expanded": lambda: ones(3).expand(2, 3).exp_(),
        "copy_into_expanded": lambda: ones(3).expand(2, 3).copy_(ones(2, 3)),
    })
    base = ones(3)
    base.expand(1, 3).mul_(2)  # no element repeats: a plain view, written through
    rec("expand_adding_a_leading_1_writes_its_base", base)


@scenario
def index_errors(torch, rec):
    x = torch.ones(2, 3, requires_grad=True)
    _record_all(rec, {
        "gather_float_index": lambda: x.gather(1, torch.tensor([[0.0]])),
        "gather_out_of_range": lambda: x.gather(1, torch.tensor([[0, 3]])),
        "gather_ndim": lambda: x.gather(1, torch.tensor([0, 1])),
        "scatter_out_of_range": lambda: x.detach().scatter(1, torch.tensor([[5]]), 1.0),
        "index_select_out_of_range": lambda: x.index_select(1, torch.tensor([3])),
        "index_select_float": lambda: x.index_select(1, torch.tensor([0.0])),
        "index_select_2d": lambda: x.index_select(1, torch.tensor([[0]])),
        "getitem_out_of_range": lambda: x[2],
        "getitem_list_out_of_range": lambda: x[[0, 5]],
        "getitem_float_tensor": lambda: x[torch.tensor([0.5])],
        "getitem_too_many": lambda: x[0, 0, 0],
        "mask_shape": lambda: x[torch.tensor([True, False, True])],
        "mask_shape_second_dim": lambda: x[:, torch.tensor([True, False])],
        "masked_fill_float_mask": lambda: x.masked_fill(torch.ones(2, 3), 0.0),
        "masked_fill_long_mask": lambda: x.masked_fill(torch.ones(2, 3, dtype=torch.int64), 0.0),
        "masked_select_shape": lambda: x.masked_select(torch.ones(4) > 0),
        # a 0-d tensor: an int index other than 0 is out of bounds of a dim of size 0, 0 is refused as invalid
        **{f"zero_dim_{i}": (lambda i=i: torch.tensor(3.0)[i]) for i in (0, 1, -1, 2)},
        "zero_dim_bool": lambda: torch.tensor(3.0)[True],
    })


@scenario
def reduction_errors(torch, rec):
    x = torch.ones(2, 3, requires_grad=True)
    longs = torch.ones(3, dtype=torch.int64)
    _record_all(rec, {
        "sum_dim": lambda: x.sum(2),
        "softmax_dim": lambda: x.softmax(3),
        "max_dim": lambda: x.max(5),
        "max_empty": lambda: torch.ones(0).max(),
        "clamp_without_bounds": lambda: x.clamp(),
        "var_long": lambda: longs.var(),
        "softmax_long": lambda: longs.softmax(0),
        "softmax_long_not_last_dim": lambda: torch.ones(2, 3, dtype=torch.int64).softmax(0),
        "log_softmax_long": lambda: longs.log_softmax(0),
        "mean_long": lambda: longs.mean(),
        "addcdiv_long": lambda: torch.addcdiv(torch.ones(3), longs, longs),
        "std_one_element": lambda: torch.ones(1).std(),
        "var_correction_too_big": lambda: torch.ones(2, 3).var(1, correction=3),
    })


@scenario
def result_types(torch, rec):
    """dtypes and differentiability of results: indices and comparisons never require grad."""
    x = torch.ones(2, 3, requires_grad=True)
    longs = torch.ones(3, dtype=torch.int64)
    rec("argmax", x.argmax())
    rec("argmax_dim", x.argmax(1))
    rec("comparison", x > 0)
    rec("max_indices", x.max(1).indices)
    rec("max_repr", repr(torch.tensor([[1.0, 5.0], [3.0, 2.0]]).max(1)))
    rec("max_type", type(x.max(0)).__name__)
    rec("prod_long", longs.prod())
    rec("cumsum_int", torch.ones(3, dtype=torch.int32).cumsum(0))
    rec("maximum_mixed", torch.maximum(torch.ones(2), torch.ones(2, dtype=torch.int64)))
    rec("logsumexp_long", longs.logsumexp(0))
    rec("clamp_long_float_bound", longs.clamp(0.5))
    rec("all_any", (x.all(), x.any(0)))
    rec("amax_no_dims", x.amax(()))


@scenario
def nn_errors(torch, rec):
    F = torch.nn.functional
    x, w = torch.ones(2, 3, requires_grad=True), torch.ones(3, requires_grad=True)
    t = torch.tensor([0, 2])
    _record_all(rec, {
        "nll_weight_requires_grad": lambda: F.nll_loss(x, t, weight=w),
        "cross_entropy_weight_requires_grad": lambda: F.cross_entropy(x, t, weight=w),
        "bce_weight_requires_grad": lambda: F.binary_cross_entropy(x.sigmoid(), x.detach().sigmoid(), weight=w),
        "bce_logits_pos_weight_requires_grad": lambda: F.binary_cross_entropy_with_logits(x, x.detach(), pos_weight=w),
        "bce_out_of_range": lambda: F.binary_cross_entropy(x * 2, x.detach()),
        "bce_target_size": lambda: F.binary_cross_entropy(x.sigmoid(), torch.ones(3)),
        "mse_target_size": lambda: F.mse_loss(x, torch.ones(3)),
        "nll_target_out_of_range": lambda: F.nll_loss(x, torch.tensor([0, 3])),
        "nll_batch_mismatch": lambda: F.nll_loss(x, torch.tensor([0, 1, 2])),
        "nll_float_target": lambda: F.nll_loss(x, torch.tensor([0.0, 1.0])),
        "bad_reduction": lambda: F.mse_loss(x, x.detach(), reduction="avg"),
        "conv_channels": lambda: F.conv2d(torch.ones(1, 2, 4, 4), torch.ones(3, 1, 2, 2)),
        "conv_rank": lambda: F.conv2d(torch.ones(4, 4), torch.ones(3, 1, 2, 2)),
        "layer_norm_shape": lambda: F.layer_norm(x, (2,)),
        "dropout_p": lambda: F.dropout(x, 1.5),
        "embedding_float_indices": lambda: F.embedding(torch.tensor([0.0]), torch.ones(3, 2)),
        "embedding_out_of_range": lambda: F.embedding(torch.tensor([3]), torch.ones(3, 2)),
        "pad_odd": lambda: F.pad(x, (1,)),
        "pool_padding": lambda: F.max_pool2d(torch.ones(1, 1, 4, 4), 2, padding=2),
        "gelu_approximate": lambda: F.gelu(x, approximate="fast"),
    })


@scenario
def view_and_shape_argument_errors(torch, rec):
    """Each view op's own words for a bad size or dims (view's two overloads, reshape's one, -1 rules,
    permute's, narrow's, movedim's, expand's and unflatten's checks)."""
    x = torch.ones(2, 3)
    _record_all(rec, {
        "view_size": lambda: x.view(4), "view_two_inferred": lambda: x.view(-1, -1),
        "view_negative": lambda: x.view(-2, 3), "view_zero_inferred": lambda: x.view(0, -1),
        "view_non_contiguous": lambda: x.t().view(6), "view_float": lambda: x.view(2.5),
        "view_list_of_float": lambda: x.view([2.5]), "view_float_then_int": lambda: x.view(6.0, 1),
        "view_second_float": lambda: x.view(2, 2.5), "view_list_second_float": lambda: x.view([6, 1.0]),
        "view_str": lambda: x.view("a"), "view_none": lambda: x.view(None), "view_0d_tensor": lambda: x.view(torch.tensor(6)),
        "view_as": lambda: x.view_as(torch.ones(4)), "reshape_size": lambda: x.reshape(4),
        "reshape_float": lambda: x.reshape(1.5), "reshape_two_inferred": lambda: x.reshape(-1, -1),
        "permute_length": lambda: x.permute(0), "permute_repeated": lambda: x.permute(0, 0),
        "permute_range": lambda: x.permute(0, 2), "permute_float": lambda: x.permute(1.0, 0),
        "transpose_range": lambda: x.transpose(0, 2), "flatten_order": lambda: x.flatten(1, 0),
        "unsqueeze_range": lambda: x.unsqueeze(3), "squeeze_range": lambda: x.squeeze(2),
        "expand_fewer": lambda: x.expand(3), "expand_mismatch": lambda: x.expand(2, 4),
        "expand_negative_leading": lambda: x.expand(-1, 2, 3), "expand_negative": lambda: x.expand(2, -2),
        "expand_negative_singleton": lambda: torch.ones(1, 3).expand(-2, 3),
        "narrow_past_end": lambda: x.narrow(1, 2, 2), "narrow_start": lambda: x.narrow(1, -5, 1),
        "narrow_start_past": lambda: x.narrow(1, 4, 0), "narrow_negative_length": lambda: x.narrow(1, 0, -1),
        "movedim_repeated_destination": lambda: x.movedim((0, 1), (0, 0)),
        "movedim_repeated_source": lambda: x.movedim((0, 0), (0, 1)), "movedim_lengths": lambda: x.movedim((0, 1), (0,)),
        "unflatten_product": lambda: x.unflatten(1, (2, 2)), "unflatten_empty": lambda: x.unflatten(1, ()),
        "diagonal_same_dims": lambda: x.diagonal(0, 0, 0),
    })
    rec("unflatten", [x.unflatten(1, (3, 1)).shape, torch.unflatten(x, -1, (1, -1)).shape, x.unflatten(1, (-1, 3))])


@scenario
def modified_output_node_names(torch, rec):
    """A saved output modified in place: the message names its node without 'Backward' (and without a 0
    after it: Exp, Prod1, Max1, Pow2)."""
    producers = {"exp": lambda x: x.exp(), "prod": lambda x: x.prod(), "prod_dim": lambda x: x.prod(1),
                 "max": lambda x: x.max(), "amax": lambda x: x.amax(1), "pow_scalar_base": lambda x: torch.pow(2.0, x),
                 "sigmoid": lambda x: x.sigmoid(), "log_softmax": lambda x: x.log_softmax(1),
                 "cumprod": lambda x: x.cumprod(1), "norm": lambda x: x.norm(), "std": lambda x: x.std()}

    def run(make):
        def go():
            x = rec.tensor(1, 3, low=0.5, high=2.0, requires_grad=True)
            y = make(x)
            y.mul_(2)
            y.sum().backward()
        return go
    for name, make in producers.items():
        rec.raises(name, run(make))


@scenario
def shape_and_dim_messages(torch, rec):
    """Messages of view/reshape with an ambiguous -1, diagonal with one dim twice, einsum's checks, and an
    in-place op whose result dtype cannot be cast back (an empty tensor too)."""
    x = rec.tensor(2, 3)
    empty = torch.zeros(0, 1)
    cases = {"view_ambiguous": lambda: empty.view(-1, 0), "view_ambiguous_first": lambda: empty.view(0, -1),
             "view_ambiguous_3d": lambda: torch.zeros(2, 0).view(-1, 0, 2),
             "reshape_ambiguous": lambda: empty.reshape(-1, 0), "flatten_empty": lambda: torch.zeros(0, 3).flatten(),
             "reshape_ambiguous_t": lambda: torch.zeros(3, 0).t().reshape(-1, 0),
             "diagonal_same": lambda: x.diagonal(0, 1, 1), "diagonal_same_negative": lambda: x.diagonal(0, -1, 1),
             "einsum_output_twice": lambda: torch.einsum("ij->ii", x),
             "einsum_repeated_sizes": lambda: torch.einsum("ii->i", x),
             "einsum_output_unknown": lambda: torch.einsum("ij->k", x),
             "einsum_sizes": lambda: torch.einsum("ij,ij->i", x, rec.tensor(3, 2)),
             "einsum_broadcast_one": lambda: torch.einsum("ij,ij->i", x, rec.tensor(1, 3)),
             "einsum_ellipsis_sizes": lambda: torch.einsum("i...j,i...j->...", rec.tensor(2, 4, 3), rec.tensor(2, 5, 3)),
             "einsum_ellipsis_aligned_right": lambda: torch.einsum("...j,...j->...", rec.tensor(5, 3),
                                                                   rec.tensor(4, 3, 3)),
             "matmul_bool_batched": lambda: torch.ones(2, 3, dtype=torch.bool) @ torch.ones(2, 3, 2),
             "matmul_float_bool_batched": lambda: torch.ones(2, 3) @ torch.ones(2, 3, 2, dtype=torch.bool),
             "roll_no_shifts": lambda: x.roll(()),
             "roll_shifts_without_dims": lambda: x.roll((1, 2)),
             "exp_long_empty": lambda: torch.zeros((3, 0), dtype=torch.int64).exp_(),
             "exp_long": lambda: torch.zeros(3, dtype=torch.int64).exp_()}
    for name, fn in cases.items():
        rec.raises(name, fn)


@scenario
def modified_copy_slices_name(torch, rec):
    """A tensor saved for backward and then written by x[i] = v: its producer is named in full,
    torch::autograd::CopySlices."""
    def go():
        x = rec.tensor(3, requires_grad=True)
        y = x * 1
        w = y * y
        y[0] = 1.0
        w.sum().backward()
    rec.raises("setitem_after_save", go)


@scenario
def fuzz_found_messages(torch, rec):
    """Errors the fuzzer found refgrad giving otherwise: outer of a matrix, nll_loss and cross_entropy of a
    0-d input, softmax of a 0-d tensor along dim 1, arange with an int64 dtype and a step that truncates to
    0 (PyTorch reads the bounds as ints), lerp_ that refgrad lacked."""
    x = rec.tensor(3)
    F = torch.nn.functional
    cases = {"outer_matrix": lambda: torch.outer(rec.tensor(2, 2), x),
             "outer_matrix_second": lambda: torch.outer(x, rec.tensor(3, 1)),
             "nll_loss_0d": lambda: F.nll_loss(rec.tensor(), torch.tensor(0)),
             "cross_entropy_0d_long_target": lambda: F.cross_entropy(rec.tensor(), torch.tensor(0)),
             "cross_entropy_0d_float_target": lambda: F.cross_entropy(rec.tensor(), rec.tensor()),
             "cross_entropy_0d_vector_target": lambda: F.cross_entropy(rec.tensor(), torch.tensor([0])),
             "log_softmax_0d_dim_1": lambda: torch.log_softmax(rec.tensor(), 1),
             "log_softmax_0d_dim_minus_1": lambda: torch.log_softmax(rec.tensor(), -1),
             "arange_int64_truncated_step": lambda: torch.arange(0, 2, 0.5, dtype=torch.int64),
             "arange_int64_truncated_bounds": lambda: torch.arange(-1.5, 1.5, 1, dtype=torch.int64),
             "arange_int64_descending": lambda: torch.arange(2.7, -1.2, -1.5, dtype=torch.int64),
             "lerp_": lambda: x.clone().lerp_(rec.tensor(3), 0.25),
             "lerp_tensor_weight": lambda: x.clone().lerp_(rec.tensor(3), rec.tensor(3)),
             "lerp_long_end": lambda: x.clone().lerp_(torch.ones(3, dtype=torch.int64), 0.5)}
    for name, fn in cases.items():
        rec.raises(name, fn)


@scenario
def not_implemented_node_raises_without_a_gradient(torch, rec):
    """A node PyTorch has no derivative for (floor_divide's NotImplemented) raises when the engine reaches it,
    even when what comes to it is no gradient (norm of order 0 gives none, a split's unused piece)."""
    for inputs in (None, "x", "both"):
        x = torch.tensor(1.0, requires_grad=True)
        q = torch.floor_divide(x, 2)
        y = q.norm(0)
        kw = {} if inputs is None else {"inputs": [x] if inputs == "x" else [x, q]}
        rec.raises(f"norm0.{inputs}", lambda: y.sum().backward(**kw))
        rec(f"norm0.{inputs}.grad", x.grad)
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    first, _ = torch.floor_divide(x, 2).split(1)
    rec.raises("split_piece", lambda: first.sum().backward())
    z = torch.tensor(1.0, requires_grad=True)
    z.norm(0).backward()
    rec("norm0_leaf_grad", z.grad)
