"""Misuse: the errors and warnings torch gives for common mistakes, class and message exact."""
from . import scenario


@scenario
def integer_tensor_cannot_require_grad(torch, rec):
    rec.raises("tensor", lambda: torch.tensor([1, 2, 3], requires_grad=True))
    rec.raises("requires_grad_", lambda: torch.arange(3).requires_grad_())


@scenario
def requires_grad_flag_of_non_leaf(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * 2
    rec.raises("set_false", lambda: y.requires_grad_(False))
    rec("set_true_is_fine", y.requires_grad_(True))


@scenario
def grad_of_non_leaf_warns(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * 2
    y.sum().backward()
    rec("y.grad", y.grad)


@scenario
def numpy_of_grad_requiring_tensor(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    rec.raises("numpy", lambda: x.numpy())
    rec("detached", x.detach().numpy().tolist())


@scenario
def scalar_conversions(torch, rec):
    x = torch.tensor(rec.data(4), requires_grad=True)
    rec.raises("item", lambda: x.item())
    rec.raises("bool", lambda: bool(x > 0))
    rec.raises("float", lambda: float(x.detach()))  # float(x) also warns, but only once per process
    rec("item_of_sum", round((x * 1).sum().item(), 4))


@scenario
def bad_grad_assignment(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    rec.raises("shape", lambda: setattr(x, "grad", torch.ones(2)))
    rec.raises("dtype", lambda: setattr(x, "grad", torch.ones(3, dtype=torch.float64)))
    rec.raises("not_a_tensor", lambda: setattr(x, "grad", [1.0, 2.0, 3.0]))


@scenario
def backward_of_integer_output(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    rec.raises("comparison", lambda: (x > 0).sum().backward())


@scenario
def operand_errors(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    rec.raises("shapes", lambda: x + torch.ones(4))
    rec.raises("string", lambda: x * "a")
    rec.raises("dot_dims", lambda: torch.dot(x, torch.ones(2, 3)))


@scenario
def in_place_on_leaf_refused_before_kernel_checks(torch, rec):
    """autograd's check (a leaf, or a view of one, that requires grad) comes before the kernel's own
    checks; a non-leaf gets the kernel's error."""
    makers = {"leaf": lambda: torch.tensor(rec.data(2), requires_grad=True),
              "view_of_leaf": lambda: torch.tensor(rec.data(2), requires_grad=True)[:],
              "non_leaf": lambda: torch.tensor(rec.data(2), requires_grad=True) * 1}
    ops = {"sub_bool": lambda t: t.sub_(True),
           "sub_bool_tensor": lambda t: t.sub_(torch.tensor([True, False])),
           "copy_shape": lambda t: t.copy_(torch.ones(3)),
           "fill_1d": lambda t: t.fill_(torch.ones(2)),
           "clamp_no_bounds": lambda t: t.clamp_(),
           "lerp_dtype": lambda t: t.lerp_(torch.tensor([1, 2]), 0.5),
           "lerp_shape": lambda t: t.lerp_(torch.ones(3), 0.5),
           "masked_fill_mask": lambda t: t.masked_fill_(torch.ones(2), 1.0),
           "div_rounding_mode": lambda t: t.div_(2, rounding_mode="bad"),
           "add_type": lambda t: t.add_("a")}
    for op_name, op in ops.items():
        for kind, make in makers.items():
            rec.raises(f"{op_name}.{kind}", lambda: op(make()))
    with torch.no_grad():
        rec("div_rounding_mode.plain", torch.tensor(rec.data(2)).div_(2, rounding_mode="floor"))


@scenario
def clamp_cast_error_names_dtype(torch, rec):
    """clamp_ with number bounds checks the cast itself and names self's dtype as C++ does; with tensor
    bounds (and other ops) TensorIterator's check names it as ScalarType."""
    for dtype in (torch.bool, torch.int64, torch.int32, torch.uint8, torch.int16, torch.int8):
        name = str(dtype)
        rec.raises(f"{name}.clamp_min", lambda: torch.tensor([True], dtype=dtype).clamp_(min=1.5))
        rec.raises(f"{name}.clamp_max", lambda: torch.tensor([True], dtype=dtype).clamp_(max=-2.5))
        rec.raises(f"{name}.clamp_tensor", lambda: torch.tensor([True], dtype=dtype).clamp_(min=torch.tensor(1.5)))
        rec.raises(f"{name}.add_", lambda: torch.tensor([True], dtype=dtype).add_(1.5))
