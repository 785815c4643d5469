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
