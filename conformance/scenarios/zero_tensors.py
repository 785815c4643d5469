"""ZeroTensors: torch's storage-less zeros, which sgn's backward gives for a real input (at::_efficientzerotensor).
They print and read (item()) as zeros; tolist() and numpy() refuse them, so does every in-place write; a product with
one, a quotient of one, a sum of two and a view of one are ZeroTensors, anything else an ordinary tensor."""
from . import scenario

FLOATS = ("float32", "float64")


def _sgn_grad(torch, rec, *shape):
    x = rec.tensor(*shape, requires_grad=True)
    return x, torch.autograd.grad(torch.sgn(x).sum(), x)[0]


@scenario(dtypes=FLOATS)
def sgn_gradient_is_a_zero_tensor(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    torch.sgn(x).sum().backward()
    g = x.grad
    rec("grad", g)  # observed through a clone: its tolist() raises
    rec("is_zerotensor", g._is_zerotensor())
    rec("repr", repr(g))
    rec("meta", [g.shape, g.dtype, g.requires_grad, g.is_leaf, g.grad_fn, g._version])
    rec.raises("tolist", lambda: g.tolist())
    rec.raises("numpy", lambda: g.numpy())
    rec("numpy_force", g.numpy(force=True).tolist())
    rec("element", g[0])
    rec("item", g.sum().item())
    rec("float", float(g[1]))
    rec("bool", bool(g[1]))
    rec("plus_zero", [g + 0, (g + 0)._is_zerotensor()])
    rec("clone", [g.clone(), g.clone()._is_zerotensor()])
    x0 = rec.tensor(requires_grad=True)
    torch.sgn(x0).backward()
    rec("zero_dim", [x0.grad, x0.grad._is_zerotensor(), x0.grad.item()])
    rec("plain_zeros", torch.zeros(3)._is_zerotensor())


@scenario(dtypes=FLOATS)
def zero_tensors_are_immutable(torch, rec):
    x, g = _sgn_grad(torch, rec, 3)
    writes = {"add_": lambda: g.add_(1), "mul_": lambda: g.mul_(2), "zero_": lambda: g.zero_(),
              "fill_": lambda: g.fill_(1.0), "exp_": lambda: g.exp_(), "iadd": lambda: g.__iadd__(1),
              "copy_": lambda: g.copy_(torch.ones(3)), "setitem_int": lambda: g.__setitem__(0, 1.0),
              "setitem_slice": lambda: g.__setitem__(slice(0, 2), torch.ones(2)),
              "setitem_advanced": lambda: g.__setitem__(torch.tensor([0]), 1.0),
              "masked_fill_": lambda: g.masked_fill_(g == 0, 1.0), "clamp_": lambda: g.clamp_(0, 1),
              "view_add_": lambda: g.view(3).add_(1)}
    for name, write in writes.items():
        rec.raises(name, write)
    rec("unchanged", [g, g._is_zerotensor(), g._version])
    rec("into_ordinary", torch.ones(3).add_(g))


@scenario(dtypes=FLOATS)
def what_stays_a_zero_tensor(torch, rec):
    x, g = _sgn_grad(torch, rec, 3)
    o = rec.tensor(3)
    results = {"mul": g * o, "rmul": o * g, "mul_number": g * 2, "mul_zero_tensors": g * g, "div": g / o,
               "div_number": g / 2, "rdiv": o / g, "add_zero_tensors": g + g, "sub_zero_tensors": g - g,
               "add": g + o, "radd": o + g, "sub": g - o, "add_number": g + 1, "neg": -g, "exp": g.exp(),
               "abs": g.abs(), "pow": g.pow(2), "sum": g.sum(), "sum_dim": g.unsqueeze(0).sum(0), "dot": g @ o,
               "view": g.view(3), "slice": g[1:], "index": g[torch.tensor([0, 1])], "unsqueeze": g.unsqueeze(0),
               "expand": g.unsqueeze(0).expand(2, 3), "transpose": g.unsqueeze(0).t(), "reshape": g.reshape(3, 1),
               "detach": g.detach(), "data": g.data, "clone": g.clone(), "contiguous": g.contiguous(),
               "cat": torch.cat([g, g]), "where": torch.where(o > 0, g, o), "zeros_like": torch.zeros_like(g),
               "relu": g.relu(), "double": g.double()}
    for name, t in results.items():
        rec(name, [t, t._is_zerotensor()])
    # ZeroTensor kernels compute nothing: 0 * inf is 0, x / 0 is inf whatever x, 0 / 0 NaN, 0 + -0.0 is -0.0
    special = torch.tensor([-0.0, float("inf"), float("nan")], dtype=g.dtype)
    mm_operand = torch.tensor([[float("inf")], [1.0], [2.0]], dtype=g.dtype)
    specials = {"mul": g * special, "mul_inf": g * float("inf"), "div": g / special, "div_zero": g / 0,
                "rdiv": special / g, "div_zero_tensors": g / g, "add": g + special, "radd": special + g,
                "sub": g - special, "rsub": special - g, "add_alpha": torch.add(g, special, alpha=2),
                "sub_alpha": torch.sub(g, special, alpha=-3), "int_over": torch.tensor([1, 0, -2]) / g,
                "int_times": torch.tensor([1, 0, -2]) * g, "dot": g @ special, "mv": mm_operand.t().mv(g),
                "mm": g.unsqueeze(0).mm(mm_operand), "mean_of": g.mean(), "mean_grad": torch.autograd.grad(
                    (x * 1).mean(), x, g.sum())[0]}
    for name, t in specials.items():
        rec(f"special.{name}", [t, t._is_zerotensor()])


@scenario(dtypes=FLOATS)
def zero_tensor_gradients_in_backward(torch, rec):
    """Where sgn's ZeroTensor goes in a backward: through formulas that multiply or pass the gradient on it stays
    one; into .grad it is kept (a second backward then cannot add into it); after an ordinary .grad it is added
    in place; create_graph=True stores a copy."""
    def grad_through(f):
        x = rec.tensor(3, requires_grad=True)
        g = torch.autograd.grad(torch.sgn(f(x)).sum(), x)[0]
        return [g, g._is_zerotensor()]

    chains = {"view": lambda x: x.view(3), "mul": lambda x: x * 2, "div": lambda x: x / 2, "exp": lambda x: x.exp(),
              "add": lambda x: x + 1, "neg": lambda x: -x, "twice": lambda x: x + x, "cat": lambda x: torch.cat([x, x]),
              "slice": lambda x: x[1:], "expand": lambda x: x.unsqueeze(0).expand(2, 3), "clone": lambda x: x.clone(),
              "index": lambda x: x[torch.tensor([0, 2])], "tanh": lambda x: x.tanh(), "sgn": lambda x: x.sgn()}
    for name, f in chains.items():
        rec(f"through.{name}", grad_through(f))

    x = rec.tensor(3, requires_grad=True)
    torch.sgn(x).sum().backward()
    rec.raises("second_backward", lambda: torch.sgn(x).sum().backward())
    rec("after_second", [x.grad, x.grad._is_zerotensor()])

    y = rec.tensor(3, requires_grad=True)
    (y * 2).sum().backward()
    torch.sgn(y).sum().backward()
    rec("zero_tensor_second", [y.grad, y.grad._is_zerotensor()])

    z = rec.tensor(3, requires_grad=True)
    (torch.sgn(z) + z).sum().backward()
    rec("summed_in_graph", [z.grad, z.grad._is_zerotensor()])

    w = rec.tensor(3, requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append([g, g._is_zerotensor()]))
    torch.sgn(w).sum().backward(create_graph=True)
    rec("hook", seen)
    rec("create_graph_grad", [w.grad, w.grad._is_zerotensor(), w.grad.requires_grad])
    w.grad = None

    v = rec.tensor(3, requires_grad=True)
    g = torch.autograd.grad(torch.sgn(v).sum(), v, create_graph=True)[0]
    rec("autograd_grad_create_graph", [g, g._is_zerotensor(), g.requires_grad, g.grad_fn])
