"""The Tensor API around autograd that tutorials use: sort and its kin (sort, argsort, topk, kthvalue, median,
mode) with their gradients, the legacy constructors (torch.Tensor(...), torch.FloatTensor), the Tensor.new_*
factories, nbytes/itemsize, swapaxes, closeness (allclose, isclose) and logical_not/xor, torch.tensor of a list
of tensors, and arange's values as PyTorch's CPU kernel rounds them.

Ties: sort is stable on CPU (descending too) and NaN sorts above every number; among equal values topk picks as
libstdc++'s nth_element/sort/partial_sort leave them, kthvalue as ATen's quickselect, median.dim in a stable
order, mode as libstdc++'s std::sort (selections_with_ties)."""
from . import scenario

FLOATS = ("float32", "float64")
NAN = float("nan")


def _pairs(result):
    """values and indices of a torch.return_types tuple, and its repr (the type's name and fields)."""
    return {"values": result.values, "indices": result.indices, "repr": repr(result), "type": type(result).__name__}


@scenario(dtypes=FLOATS)
def sort_is_stable_with_nan_last(torch, rec):
    """sort and argsort with ties and NaN, ascending and descending, stable or not: equal values keep their order,
    NaN is the largest."""
    x = rec.constant([3.0, 1.0, 2.0, 1.0, NAN, 2.0, 1.0, NAN])
    rec("ascending", _pairs(torch.sort(x)))
    rec("descending", _pairs(torch.sort(x, descending=True)))
    rec("stable_descending", _pairs(x.sort(stable=True, descending=True)))
    rec("argsort", [torch.argsort(x), x.argsort(descending=True), torch.argsort(x, stable=True)])
    m = rec.constant([[2.0, 1.0, 2.0], [0.0, 0.0, 1.0]])
    rec("dims", [_pairs(torch.sort(m, dim=0)), _pairs(m.sort(-1, True))])
    rec("msort", torch.msort(m))
    rec("zero_d", _pairs(torch.sort(rec.constant(3.0))))
    rec("ints", _pairs(torch.sort(torch.tensor([3, 1, 2, 1]), descending=True)))
    rec("empty", _pairs(torch.sort(rec.constant([]))))


@scenario(dtypes=FLOATS)
def selections_without_ties(torch, rec):
    """topk, kthvalue, median (whole and along a dim) and mode on inputs without ties, their return types."""
    x = rec.constant([[0.5, -1.5, 2.25, 4.0, 1.0], [3.5, 0.25, -2.0, 1.75, -0.5]])
    rec("topk", [_pairs(torch.topk(x, 2)), _pairs(x.topk(2, dim=0, largest=False)), _pairs(x.topk(2, 1, False))])
    rec("kthvalue", [_pairs(torch.kthvalue(x, 2)), _pairs(x.kthvalue(1, 0, keepdim=True))])
    rec("median", [torch.median(x), _pairs(torch.median(x, 1)), _pairs(x.median(0, keepdim=True)),
                   torch.median(rec.constant([1.0, 4.0, 2.0, 3.0]))])
    rec("median_nan", [torch.median(rec.constant([1.0, NAN, 2.0])), _pairs(torch.median(rec.constant([1.0, NAN, 2.0, NAN]), 0))])
    rec("median_empty", torch.median(rec.constant([])))
    rec("mode", [_pairs(torch.mode(rec.constant([[1.0, 2.0, 2.0, 1.0, 3.0], [0.0, 0.0, 1.0, 5.0, 0.0]]))),
                 _pairs(torch.mode(rec.constant([3.0, 1.0, 2.0]))), _pairs(torch.mode(torch.tensor([True, False, True])))])
    rec("zero_d", [_pairs(torch.topk(rec.constant(2.0), 1)), _pairs(torch.kthvalue(rec.constant(2.0), 1)),
                   _pairs(torch.median(rec.constant(2.0), 0)), _pairs(torch.mode(rec.constant(2.0)))])
    rec("return_type_names", [torch.return_types.sort.__name__, torch.return_types.topk.__name__])


@scenario(dtypes=("float32",))
def selections_with_ties(torch, rec):
    """Which of equal values topk (both of PyTorch's algorithms, sorted or not), kthvalue, median and mode pick,
    with NaN among them, on rows long enough for std::sort's introsort (over 16) and topk's partial sort
    (k * 64 <= size)."""
    values = [float((i * 7 + i // 5) % 4) for i in range(150)]
    values[20] = values[97] = NAN
    rows = rec.constant([values, values[::-1]])
    for k in (1, 2, 40, 149):
        for largest in (True, False):
            rec(f"topk_{k}_{largest}", _pairs(torch.topk(rows, k, largest=largest)))
            rec(f"topk_{k}_{largest}_unsorted", _pairs(torch.topk(rows, k, largest=largest, sorted=False)))
    for k in (1, 37, 75, 148, 150):
        rec(f"kthvalue_{k}", _pairs(torch.kthvalue(rows, k)))
    short = rec.constant([[2.0, 1.0, 2.0, 1.0, 3.0, 2.0, 1.0], [0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 5.0]])
    rec("kthvalue_short", [_pairs(torch.kthvalue(short, k)) for k in range(1, 8)])
    rec("median", [_pairs(torch.median(short, 1)), _pairs(torch.median(rows[:, 30:90], 1))])
    rec("mode", [_pairs(torch.mode(short)), _pairs(torch.mode(rows)), _pairs(torch.mode(rows[:, :17], 1)),
                 _pairs(torch.mode(rows[:, 21:90]))])


@scenario(dtypes=FLOATS)
def selection_gradients(torch, rec):
    """The gradient of each selection goes to the selected elements (zeros elsewhere), twice differentiable:
    the grad_fn names (SortBackward0/1, TopkBackward0, KthvalueBackward0, MedianBackward0/1, ModeBackward0) and
    the first and second gradients."""
    x = rec.constant([[3.0, 1.0, 2.0, 5.0], [0.5, 4.0, -1.0, 2.5]], requires_grad=True)
    selections = {
        "sort": lambda: torch.sort(x, 1, descending=True).values,
        "sort_stable": lambda: torch.sort(x, stable=True, dim=0).values,
        "topk": lambda: torch.topk(x, 2).values, "kthvalue_keepdim": lambda: torch.kthvalue(x, 2, 0, True).values,
        "kthvalue": lambda: x.kthvalue(2).values, "median": lambda: torch.median(x),
        "median_dim": lambda: x.median(1).values, "mode": lambda: torch.mode(x, 0).values,
    }
    for name, select in selections.items():
        values = select()
        grad, = torch.autograd.grad((values * values).sum(), x, create_graph=True)
        second, = torch.autograd.grad(grad.sum(), x)
        rec(name, {"grad_fn": values.grad_fn.name(), "grad": grad, "grad_grad_fn": grad.grad_fn.name(),
                   "second": second})


@scenario(dtypes=("float32",))
def selection_errors(torch, rec):
    """k out of range, bool and empty inputs: PyTorch's exceptions and words."""
    x = rec.constant([3.0, 1.0, 2.0])
    calls = {"topk_k": lambda: torch.topk(x, 4), "topk_negative": lambda: torch.topk(x, -1),
             "topk_bool": lambda: torch.topk(torch.tensor([True, False]), 1),
             "topk_0d": lambda: torch.topk(rec.constant(2.0), 2),
             "kthvalue_0": lambda: torch.kthvalue(x, 0), "kthvalue_k": lambda: x.kthvalue(4),
             "median_bool": lambda: torch.median(torch.tensor([True, False])),
             "median_empty_dim": lambda: torch.median(rec.constant([]), 0),
             "mode_empty": lambda: torch.mode(rec.constant([])), "sort_dim": lambda: torch.sort(x, 1)}
    for name, call in calls.items():
        rec.raises(name, call)


@scenario(dtypes=("float32",))
def legacy_constructors(torch, rec):
    """torch.Tensor(...) and torch.FloatTensor and friends: data, sizes, a torch.Size, nothing, or a tensor (an
    alias); their dtypes, isinstance against them, and their reprs; the bad calls, in the parser's words."""
    rec("tensor_data", [torch.Tensor([1, 2]), torch.Tensor((1.5, 2)), torch.Tensor([[1, 2], [3, 4]])])
    rec("tensor_sizes", [torch.Tensor(2, 3).shape, torch.Tensor(torch.Size([2, 1])).shape, torch.Tensor(0)])
    rec("tensor_nothing", [torch.Tensor(), torch.FloatTensor()])
    long = torch.tensor([1, 2])
    rec("tensor_of_tensor", [torch.Tensor(long), torch.Tensor(long) is long, torch.LongTensor(long)._base is long])
    leaf = torch.ones(2, requires_grad=True)
    alias = torch.Tensor(leaf)
    alias.data.add_(1)
    rec("alias_of_leaf", [alias, alias._base is leaf, leaf])
    rec("typed", [torch.FloatTensor([1, 2]), torch.DoubleTensor([1, 2]), torch.LongTensor([1.7, -2.5]),
                  torch.BoolTensor([1, 0, 2]), torch.IntTensor([1]), torch.ByteTensor([1]), torch.HalfTensor([1]),
                  torch.LongTensor(3).shape])
    rec("isinstance", [isinstance(torch.ones(1), torch.FloatTensor), isinstance(torch.ones(1), torch.DoubleTensor),
                       isinstance(torch.ones(1, dtype=torch.float64), torch.DoubleTensor),
                       isinstance(torch.tensor([1]), torch.LongTensor), isinstance(torch.ones(1), torch.Tensor)])
    rec("reprs", [repr(torch.FloatTensor), torch.FloatTensor.__name__, repr(type(torch.FloatTensor)),
                  torch.LongTensor.dtype, torch.ones(1).type(), torch.tensor([True]).type()])
    rec.raises("number", lambda: torch.Tensor(2.5))
    rec.raises("string", lambda: torch.Tensor("a"))
    rec.raises("requires_grad", lambda: torch.Tensor([1, 2], requires_grad=True))
    rec.raises("dtype_keyword", lambda: torch.FloatTensor([1], dtype=torch.float64))
    rec("device_keyword", torch.Tensor([1], device="cpu"))
    # the parser names torch's own types as torch.dtype, torch.device, torch.Size
    rec.raises("dtype_as_input", lambda: torch.sum(torch.float32))
    rec.raises("device_as_input", lambda: torch.add(torch.device("cpu"), 1))
    rec.raises("size_as_input", lambda: torch.exp(torch.Size([2])))
    rec.raises("dtype_in_listing", lambda: torch.ones(2).view(torch.float32, 1))


@scenario(dtypes=FLOATS)
def new_factories_and_sizes(torch, rec):
    """Tensor.new_tensor/new_zeros/new_ones/new_full/new_empty take self's dtype and device unless told;
    nbytes and itemsize; swapaxes and swapdims are transpose."""
    x = rec.tensor(2, 3, requires_grad=True)
    ints = torch.tensor([1, 2])
    rec("new_tensor", [x.new_tensor([1, 2]), x.new_tensor([1.5], dtype=torch.float64),
                       x.new_tensor([1.5], requires_grad=True), ints.new_tensor([1.5, 2.5])])
    rec.raises("new_tensor_of_tensor", lambda: x.new_tensor(x))
    rec("new_zeros", [x.new_zeros(2, 3), x.new_zeros((2, 3), dtype=torch.int64), x.new_zeros([2]),
                      x.new_zeros(size=(2,))])
    rec("new_ones", [x.new_ones(2, requires_grad=True), ints.new_ones(2)])
    rec("new_full", [x.new_full((2,), 3), x.new_full((2,), 3.5, dtype=torch.int64), ints.new_full((2,), 3.5)])
    rec("new_empty", [x.new_empty((2, 3)).shape, x.new_empty(2, 3).dtype])
    rec.raises("new_zeros_negative", lambda: x.new_zeros(-1))
    rec("nbytes", [x.nbytes, ints.to(torch.int32).nbytes, torch.zeros(4)[::2].nbytes,
                   torch.zeros(2, 3).expand(4, 2, 3).nbytes, torch.tensor(1, dtype=torch.int16).itemsize, x.itemsize])
    rec("swap", [x.swapaxes(0, 1), x.swapdims(1, 0), torch.swapaxes(x, 0, -1), torch.swapdims(x, 1, 0)])
    rec.raises("swap_out_of_range", lambda: x.swapaxes(0, 2))


@scenario(dtypes=("float32",))
def closeness_and_logical(torch, rec):
    """allclose and isclose (tolerances, NaN and infinities, integers, dtypes that differ), logical_not and
    logical_xor, the in-place logical_and_/or_/xor_."""
    a, b = torch.tensor([1.0, float("inf"), NAN, 2.0, -1.0]), torch.tensor([1.00001, float("inf"), NAN, 3.0, -1.1])
    rec("isclose", [torch.isclose(a, b), torch.isclose(a, b, equal_nan=True), a.isclose(b, atol=0.2),
                    torch.isclose(a, b, rtol=0.1, atol=0.0), torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3]))])
    rec("allclose", [torch.allclose(a[:1], b[:1]), torch.allclose(a, a), torch.allclose(a, a, equal_nan=True),
                     a[3:].allclose(b[3:], rtol=0.4), torch.allclose(torch.tensor([1, 2]), torch.tensor([1, 2]))])
    rec.raises("dtypes_differ", lambda: torch.allclose(a, a.double()))
    rec.raises("ints_and_floats", lambda: torch.isclose(torch.tensor([1, 2]), torch.tensor([1.0, 3.0])))
    rec.raises("negative_rtol", lambda: torch.isclose(a, b, rtol=-1))
    rec.raises("shapes", lambda: torch.allclose(a, b[:2]))
    rec("logical_not", [torch.logical_not(torch.tensor([0.0, 1.0, NAN])), torch.logical_not(torch.tensor([0, 3])),
                        torch.tensor([True, False]).logical_not(), torch.tensor([0, 3]).logical_not_()])
    rec("logical_xor", [torch.logical_xor(torch.tensor([0, 3]), torch.tensor([1.0, 0.0])),
                        torch.tensor([True, False]).logical_xor(torch.tensor([True, True]))])
    rec("in_place", [torch.tensor([True, False]).logical_and_(torch.tensor([True, True])),
                     torch.tensor([1.0, 0.0]).logical_or_(torch.tensor([0.0, 0.0])),
                     torch.tensor([1, 0]).logical_xor_(torch.tensor([1, 1]))])
    # no autograd kernel: a leaf that requires grad (or a view of one) is written without autograd's check
    leaf = torch.tensor([1.0, 0.0], requires_grad=True)
    rec.raises("in_place_on_leaf", lambda: [leaf.logical_and_(torch.tensor([0.0, 1.0])), leaf.is_leaf, leaf._version])
    rec.raises("in_place_on_view_of_leaf", lambda: torch.tensor([1.0, 0.0], requires_grad=True)[:1].logical_not_())
    rec.raises("in_place_on_result", lambda: (leaf * 2).logical_xor_(torch.tensor([1.0, 1.0])))
    rec.raises("in_place_number", lambda: torch.tensor([1.0, 0.0]).logical_and_(1))
    rec.raises("in_place_broadcast", lambda: torch.tensor([1.0, 0.0]).logical_and_(torch.tensor([[0.0, 0.0]])))


@scenario(dtypes=("float32",))
def tensor_from_tensors(torch, rec):
    """torch.tensor of a list whose elements are tensors: at a level where the first element is a tensor each is
    a scalar (one element, of any shape; its dtype promoted with the rest), at a level of lists a tensor is a
    sequence of its elements."""
    t = torch.tensor
    rec("one_element", [t([t([0.5]), t([0.25])]), t([t([[0.5]]), t([[0.25]])]), t([t(0.5), t(0.25)])])
    rec("mixed", [t([t(1), 2.5]), t([t([1]), 2.5]), t([[t(1), t(2)]]), t([[1, 2], t([3, 4])])])
    rec("dtypes", [t([t([1.5], dtype=torch.float64)]), t([t(1, dtype=torch.int32), t(2, dtype=torch.int32)]),
                   t([t(1, dtype=torch.int32), 2])])
    rec.raises("requires_grad", lambda: t([t([0.5], requires_grad=True)]))
    rec.raises("several_floats", lambda: t([t([0.5, 1.0]), t([0.25, 2.0])]))
    rec.raises("several_ints", lambda: t([t([1, 2]), t([3])]))
    rec.raises("several_ints_then_list", lambda: t([t([1, 2]), [3, 4]]))


@scenario(dtypes=FLOATS)
def arange_rounds_as_the_kernel(torch, rec):
    """arange's elements as PyTorch's CPU kernel rounds them (not start + i * step): arange(-8, 8, 0.1)[80] is
    4.44e-16. Compared exactly, as the reprs of the Python floats (sizes kept under PyTorch's parallel grain)."""
    dtype = getattr(torch, rec.dtype)
    ranges = {"tutorial": (-8.0, 8.0, 0.1), "hundredths": (0, 1, 0.01), "down": (1.5, -3.2, -0.37),
              "odd": (0.3, 7.1, 0.07), "long": (-3.0, 400.0, 0.173)}
    for name, (start, end, step) in ranges.items():
        rec(name, [repr(v) for v in torch.arange(start, end, step, dtype=dtype).tolist()])


@scenario(dtypes=FLOATS)
def selection_tangents(torch, rec):
    """Forward mode through each selection: the tangent at the selected elements (median's whole-tensor form: the
    mean of the tangents at the median), for 0-d, 1-d and 2-d inputs."""
    fwAD = torch.autograd.forward_ad
    inputs = {"0d": (rec.constant(1.5), rec.constant(0.5)),
              "1d": (rec.constant([3.0, -1.0, 2.0, 0.5]), rec.constant([1.0, 2.0, 3.0, 4.0])),
              "2d": (rec.constant([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]]), rec.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))}
    selections = {
        "sort": lambda d: torch.sort(d, descending=True).values, "sort_stable": lambda d: d.sort(stable=True).values,
        "topk": lambda d: torch.topk(d, 1).values, "kthvalue": lambda d: torch.kthvalue(d, 1).values,
        "kthvalue_keepdim": lambda d: torch.kthvalue(d, 1, keepdim=True).values, "median": torch.median,
        "median_dim": lambda d: torch.median(d, 0).values, "mode": lambda d: torch.mode(d).values,
        "mode_keepdim": lambda d: torch.mode(d, keepdim=True).values,
    }
    with fwAD.dual_level():
        for shape, (primal, tangent) in inputs.items():
            dual = fwAD.make_dual(primal, tangent)
            for name, select in selections.items():
                rec(f"{name}.{shape}", fwAD.unpack_dual(select(dual)).tangent)


@scenario(dtypes=("float32",))
def numpy_argument_names(torch, rec):
    """PyTorch's parser takes NumPy's names for its own: axis for dim, keepdims for keepdim, x/a/x1 for input, x2
    for other; given with its own name too, the alias is an unknown keyword. Functions written in Python (norm)
    and parameters not named dim (transpose's dim0) take none."""
    x = rec.tensor(2, 3, requires_grad=True)
    calls = {
        "sum": lambda: x.sum(axis=0), "sum_fn": lambda: torch.sum(x, axis=1, keepdims=True),
        "mean": lambda: x.mean(axis=1, keepdims=True), "mean_dims": lambda: torch.mean(x, axis=(0, 1)),
        "max": lambda: x.max(axis=1), "max_fn": lambda: torch.max(x, axis=0, keepdims=True),
        "amax": lambda: x.amax(axis=1), "argmax": lambda: x.argmax(axis=1), "std": lambda: x.std(axis=0),
        "var": lambda: x.var(axis=1, keepdims=True), "prod": lambda: x.prod(axis=1),
        "softmax": lambda: x.softmax(axis=0), "cat": lambda: torch.cat([x, x], axis=0),
        "stack": lambda: torch.stack([x, x], axis=1), "unsqueeze": lambda: x.unsqueeze(axis=0),
        "sort": lambda: x.sort(axis=0), "cumsum": lambda: x.cumsum(axis=1), "any": lambda: (x > 0).any(axis=0),
        "logsumexp": lambda: x.logsumexp(axis=1), "median": lambda: x.median(axis=0),
        "topk": lambda: x.topk(1, axis=0), "argsort": lambda: torch.argsort(x, axis=0), "size": lambda: x.size(axis=0),
        "add_x": lambda: torch.add(x=x, other=x), "add_x2": lambda: torch.add(x, x2=x), "exp_a": lambda: torch.exp(a=x),
        "both_names": lambda: x.sum(axis=0, dim=0), "norm": lambda: x.norm(axis=1),
        "flip": lambda: x.flip(axis=0), "transpose": lambda: x.transpose(axis0=0, axis1=1),
    }
    for name, call in calls.items():
        rec.raises(name, call)


@scenario(dtypes=("float32",))
def python_sequences_as_indices(torch, rec):
    """Indexing with Python sequences as PyTorch reads them: a range or a list of numbers is an index tensor (floats
    truncated), a tuple inside the index too; a list holding a tensor, a list, a slice, None or `...` is a tuple,
    with a deprecation warning; a uint8 tensor is a bool mask (deprecated too). Reading and writing."""
    x = rec.tensor(2, 3, requires_grad=True)
    indices = {
        "range": range(1), "range_all": range(0, 2), "range_in_tuple": (slice(None), range(0, 3, 2)),
        "two_ranges": (range(2), range(2)), "tuple_in_tuple": ((0, 1),), "range_after_none": (None, range(1)),
        "range_after_ellipsis": (Ellipsis, range(1)), "empty_range": range(0), "floats": [1.0],
        "bools": [True, False], "bool_and_int": [True, 1], "tensors": [torch.tensor(0), torch.tensor(1)],
        "lists": [[0], [1]], "slice_and_int": [slice(None), 0], "with_none": [0, None], "long_list": [0] * 40,
    }
    for name, index in indices.items():
        rec.raises(name, lambda: x[index])
    rec.raises("range_out_of_bounds", lambda: x[range(5)])
    byte = torch.tensor([1, 0], dtype=torch.uint8)
    rec.raises("byte_mask", lambda: x[byte])  # a bool mask, with a deprecation warning
    rec.raises("byte_mask_2d", lambda: x[torch.tensor([[1, 0, 1], [0, 0, 1]], dtype=torch.uint8)])
    rec.raises("byte_mask_and_slice", lambda: x[byte, 1:])
    rec.raises("byte_0d", lambda: x[torch.tensor(1, dtype=torch.uint8)])
    y = x.detach().clone()
    y[range(1)] = 7.0
    y[[[0], [1]]] = 9.0
    rec("written", y)
    (x[range(2), range(2)] * 2).sum().backward()
    rec("grad", x.grad)


@scenario(dtypes=("float32",), same_on_every_device=False)
def default_device(torch, rec):
    """set_default_device/get_default_device: factories (zeros, tensor, arange, randn) follow it, from_numpy and
    *_like do not; None restores the CPU. On a CUDA subject, the same with "cuda"."""
    import numpy as np
    before = torch.get_default_device()
    rec("before", before)
    devices = ["cpu"] + (["cuda"] if torch.ones(1).device.type == "cuda" else [])
    try:
        for name in devices:
            torch.set_default_device(name)
            x = torch.ones(2, requires_grad=True)
            (x * 2).sum().backward()
            rec(name, [torch.get_default_device(), torch.zeros(2).device, torch.tensor([1.0]).device,
                       torch.arange(3).device, torch.randn(2).device, torch.from_numpy(np.ones(1)).device,
                       torch.zeros_like(torch.ones(1, device="cpu")).device, x.grad.device])
        torch.set_default_device(None)
        rec("reset", [torch.get_default_device(), torch.zeros(1).device])
        rec.raises("bogus", lambda: torch.set_default_device("bogus"))
        rec.raises("list", lambda: torch.set_default_device([1.5]))
    finally:
        torch.set_default_device(None)
