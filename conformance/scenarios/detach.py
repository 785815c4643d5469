"""detach(): a constant that shares data, detach_(), and stopping gradients part of the way."""
from . import scenario

FLOATS = ("float32", "float64")


@scenario(dtypes=FLOATS)
def detach_is_constant(torch, rec):
    x = rec.tensor(4, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    rec("u", u)
    rec("grad", x.grad)
    rec("grad_is_u", x.grad == u)


@scenario
def detach_inplace(torch, rec):
    x = torch.arange(3.0, requires_grad=True)
    y = x * 2
    y.detach_()
    rec("y", y)
    rec.raises("backward", lambda: y.sum().backward())


@scenario
def detach_shares_data_and_version(torch, rec):
    x = torch.arange(3.0, requires_grad=True)
    y = x * 2
    u = y.detach()
    u.add_(10)
    rec("y", y)
    rec("y_version", y._version)
    rec("u_version", u._version)


@scenario
def detached_then_requires_grad(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    u = (x * 3).detach().requires_grad_()
    z = (u * x).sum()
    z.backward()
    rec("u", u)
    rec("u.grad", u.grad)
    rec("x.grad", x.grad)


@scenario(dtypes=FLOATS)
def stop_gradient_in_a_product(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    y = x * (x.detach() ** 2)
    y.sum().backward()
    rec("y", y)
    rec("grad", x.grad)


@scenario
def detach_of_leaf(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    d = x.detach()
    rec("d", d)
    rec("d_is_leaf", d.is_leaf)
    d.zero_()
    rec("x_after_zero", x)


@scenario
def detach_in_place_refuses_every_view(torch, rec):
    """detach_ refuses a view whether or not it requires grad (PyTorch's is_view), not a detach() or .data."""
    plain = torch.tensor(rec.data(2))
    leaf = torch.tensor(rec.data(2), requires_grad=True)
    rec.raises("view_of_plain", lambda: plain.unsqueeze(0).detach_())
    rec.raises("index_of_plain", lambda: plain[0].detach_())
    rec.raises("view_of_leaf", lambda: leaf.view(2).detach_())
    rec.raises("int_view", lambda: torch.tensor([1, 2])[0].detach_())
    rec.raises("expand", lambda: plain[0].expand(3).detach_())
    with torch.no_grad():
        made_in_no_grad = plain[0]
    rec.raises("view_made_in_no_grad", lambda: made_in_no_grad.detach_())
    rec.raises("detach_result", lambda: leaf.detach().detach_())
    rec.raises("data", lambda: leaf.data.detach_())
    rec.raises("non_view", lambda: (plain + 1).detach_())


@scenario
def legacy_variable(torch, rec):
    """autograd.Variable, as torch 2.x keeps it: calling it detaches its tensor (shared data and version) and
    sets requires_grad; every tensor is an instance of it; its legacy arguments and their errors. The
    deprecated function autograd.variable only raises."""
    Variable = torch.autograd.Variable
    t = torch.tensor(rec.data(2))
    v = Variable(t, requires_grad=True)
    rec("v", v)
    rec("kind", [type(v).__name__, v is t, v.is_leaf, t.requires_grad])
    with torch.no_grad():
        v.add_(1)
    rec("shares", [t, t._version, v._version])
    rec("isinstance", [isinstance(t, Variable), isinstance(v, Variable), isinstance(1, Variable),
                       isinstance([t], Variable), issubclass(torch.Tensor, Variable)])
    rec("empty", Variable())
    rec("empty_requires_grad", Variable(None, True))
    nonleaf = torch.tensor(rec.data(2), requires_grad=True) * 2
    rec("of_non_leaf", Variable(nonleaf))
    rec("of_non_leaf_requires_grad", Variable(nonleaf, requires_grad=True))
    rec("positional", Variable(t, 1))
    rec.raises("volatile", lambda: Variable(t, volatile=True))
    rec.raises("volatile_and_requires_grad", lambda: Variable(t, True, True))
    rec.raises("not_a_tensor", lambda: Variable([1.0]))
    rec.raises("integer_requires_grad", lambda: Variable(torch.tensor([1, 2]), requires_grad=True))
    rec.raises("unknown_keyword", lambda: Variable(t, foo=1))
    rec.raises("too_many", lambda: Variable(t, False, False, None, None, 6))
    rec.raises("twice", lambda: Variable(t, True, requires_grad=True))
    for name, flag in [("str", "x"), ("float", 1.5), ("none", None), ("big", 256), ("negative", -1)]:
        rec.raises(f"requires_grad_{name}", lambda: Variable(t, requires_grad=flag))
    rec.raises("name_int", lambda: Variable(t, name=3))
    rec.raises("name_str", lambda: Variable(t, name="v"))
    rec.raises("grad_fn_int", lambda: Variable(t, _grad_fn=4))
    rec.raises("grad_fn_node", lambda: Variable(t, _grad_fn=nonleaf.grad_fn))
    rec.raises("variable_function", lambda: torch.autograd.variable(t))
    rec("variable_carries_Variable", torch.autograd.variable.Variable is Variable)
