"""The in-place forms of the activations (`F.relu(x, inplace=True)`, `F.elu_`, `nn.ReLU(inplace=True)`): the
result is the input itself, its version bumps, and its grad_fn is PyTorch's in-place node, which for
leaky_relu_, elu_, selu_ and celu_ reads the output (*Backward1, `_saved_result`), so that changing the output
again breaks the backward; gradients, second derivatives and forward mode agree with the out-of-place forms.
F.dropout(inplace=True) multiplies in place (values compared at p=0 and p=1 only: the mask is each engine's RNG).
"""
from . import scenario
from ._opinfo import FLOATS, Sample as S, register_all


def _F(t):
    return t.nn.functional


# name -> the activation in place on x, with options that make each formula's constants matter
INPLACE = {
    "relu": lambda t, x: _F(t).relu(x, inplace=True),
    "relu6": lambda t, x: _F(t).relu6(x, inplace=True),
    "leaky_relu": lambda t, x: _F(t).leaky_relu(x, 0.2, inplace=True),
    "elu": lambda t, x: _F(t).elu(x, 0.7, inplace=True),
    "selu": lambda t, x: _F(t).selu(x, inplace=True),
    "celu": lambda t, x: _F(t).celu(x, 2.0, inplace=True),
    "hardtanh": lambda t, x: _F(t).hardtanh(x, -0.5, 0.6, inplace=True),
    "silu": lambda t, x: _F(t).silu(x, inplace=True),
    "hardswish": lambda t, x: _F(t).hardswish(x, inplace=True),
    "hardsigmoid": lambda t, x: _F(t).hardsigmoid(x, inplace=True),
    "mish": lambda t, x: _F(t).mish(x, inplace=True),
}
# The nodes that read the output
READS_RESULT = ("relu", "leaky_relu", "elu", "selu", "celu")
KINKS = [-3.0, -1.0, -0.5, 0.0, 0.6, 3.0, 6.0]


def _on_copy(fn):
    """fn in place on a copy of the leaf input (a leaf that requires grad is refused)."""
    return lambda t, a: fn(t, a * 1)


TABLE = {
    "inplace_activations": [S(name, _on_copy(fn), low=-4.0, high=4.0, second_order=name != "hardsigmoid")
                            for name, fn in INPLACE.items()],
    # at the kinks, where each formula of the output takes one side or the other
    "inplace_at_kinks": [S(name, _on_copy(INPLACE[name]), values=(KINKS,)) for name in READS_RESULT] + [
        S("leaky_relu_slope_0", _on_copy(lambda t, x: _F(t).leaky_relu(x, 0.0, inplace=True)), values=(KINKS,))],
}

globals().update(register_all(__name__, TABLE))


def _record_in_place(rec, name, apply, low=-2.0, high=2.0):
    """`apply` on a non-leaf x: its result, whether that is x itself, and the gradient through it."""
    leaf = rec.tensor(2, 3, low=low, high=high, requires_grad=True)
    x = leaf * 1
    y = apply(x)
    rec(f"{name}.y", y)
    rec(f"{name}.is_input", y is x)
    y.backward(rec.tensor(2, 3))
    rec(f"{name}.grad", leaf.grad)


@scenario(dtypes=FLOATS)
def identity_and_version(torch, rec):
    for name, fn in INPLACE.items():
        x = rec.tensor(2, 3, requires_grad=True) * 1
        version = x._version
        y = fn(torch, x)
        rec(f"{name}.is_input", y is x)
        rec(f"{name}.version_bump", x._version - version)
        rec(f"{name}.grad_fn", y.grad_fn)
        rec(f"{name}.next_functions", [(f, i) for f, i in y.grad_fn.next_functions])


@scenario(dtypes=FLOATS)
def saved_values(torch, rec):
    F = torch.nn.functional
    for name in READS_RESULT:
        y = INPLACE[name](torch, rec.tensor(5, requires_grad=True) * 1)
        rec(f"{name}.saved_result", y.grad_fn._saved_result)
        rec(f"{name}.saved_result_is_output", y.grad_fn._saved_result.equal(y))
    selu = F.selu(rec.tensor(3, requires_grad=True) * 1, inplace=True).grad_fn
    rec("selu.scales", [selu._saved_alpha, selu._saved_scale, selu._saved_input_scale])
    elu = F.elu(rec.tensor(3, requires_grad=True) * 1, 0.5, inplace=True).grad_fn
    rec("elu.scales", [elu._saved_alpha, elu._saved_scale, elu._saved_input_scale])
    rec("celu.alpha", F.celu(rec.tensor(3, requires_grad=True) * 1, 1.5, inplace=True).grad_fn._saved_alpha)
    rec("leaky_relu.slope", F.leaky_relu(rec.tensor(3, requires_grad=True) * 1, 0.3, inplace=True)
        .grad_fn._saved_negative_slope)
    x = rec.tensor(4, requires_grad=True) * 1
    before = x.detach().clone()
    node = F.hardtanh(x, inplace=True).grad_fn  # saves the input from before the write
    rec("hardtanh.saved_self_is_original", node._saved_self.equal(before))
    x = rec.tensor(4, requires_grad=True) * 1
    before = x.detach().clone()
    rec("silu.saved_self_is_original", F.silu(x, inplace=True).grad_fn._saved_self.equal(before))


@scenario
def modified_output_breaks_backward(torch, rec):
    for name, fn in INPLACE.items():
        y = fn(torch, rec.tensor(4, requires_grad=True) * 1)
        y.mul_(2)
        rec.raises(f"{name}.backward", lambda: y.sum().backward())


@scenario
def negative_slope_backward(torch, rec):
    x = rec.tensor(4, requires_grad=True)
    y = torch.nn.functional.leaky_relu(x * 1, -0.1, inplace=True)
    rec("y", y)
    rec.raises("backward", lambda: y.sum().backward())


@scenario
def leaf_and_view_errors(torch, rec):
    for name, fn in INPLACE.items():
        leaf = rec.tensor(4, requires_grad=True)
        rec.raises(f"{name}.leaf", lambda: fn(torch, leaf))
        rec.raises(f"{name}.view_of_leaf", lambda: fn(torch, leaf[1:3]))
        rec.raises(f"{name}.unbind_view", lambda: fn(torch, (leaf * 1).unbind(0)[0]))
        base = leaf * 1
        view = base[1:3]
        rec(f"{name}.view_is_input", fn(torch, view) is view)
        rec(f"{name}.view", [view.grad_fn, base.grad_fn, base._version])
        base.sum().backward()
        rec(f"{name}.view_grad", leaf.grad)
        plain = rec.tensor(4)
        rec(f"{name}.no_grad_is_input", fn(torch, plain) is plain)
        rec(f"{name}.no_grad", plain)


@scenario(dtypes=FLOATS)
def function_forms(torch, rec):
    F = torch.nn.functional
    forms = {"torch.relu_": torch.relu_, "Tensor.relu_": lambda x: x.relu_(), "F.relu_": F.relu_,
             "F.elu_": lambda x: F.elu_(x, 0.5), "F.leaky_relu_": lambda x: F.leaky_relu_(x, 0.3),
             "F.hardtanh_": lambda x: F.hardtanh_(x, -0.2, 0.4), "F.selu_": F.selu_,
             "F.celu_": lambda x: F.celu_(x, 1.5)}
    for name, fn in forms.items():
        _record_in_place(rec, name, fn)
    rec.raises("torch.relu_.str", lambda: torch.relu_("a"))
    for name in ("relu6", "silu", "elu", "leaky_relu", "hardtanh", "celu", "mish", "dropout"):  # named as the _ op
        rec.raises(f"F.{name}.inplace.str", lambda: getattr(F, name)("a", inplace=True))
    rec.raises("F.hardtanh_.min_above_max", lambda: F.hardtanh_(torch.ones(2), 1.0, -1.0))


@scenario(dtypes=FLOATS)
def dropout_inplace(torch, rec):
    F = torch.nn.functional
    for p in (0.0, 1.0):
        leaf = rec.tensor(2, 3, requires_grad=True)
        x = leaf * 1
        y = F.dropout(x, p, inplace=True)
        rec(f"p{p}.y", y)
        rec(f"p{p}.is_input", y is x)
        rec(f"p{p}.version", x._version)
        rec(f"p{p}.next_functions", [(f, i) for f, i in y.grad_fn.next_functions])
        y.backward(rec.tensor(2, 3))
        rec(f"p{p}.grad", leaf.grad)
    x = rec.tensor(20, 10, requires_grad=True) * 1
    y = F.dropout(x, 0.5, inplace=True)
    rec("p0.5", [y is x, x._version, y.grad_fn, [(f, i) for f, i in y.grad_fn.next_functions]])
    leaf = rec.tensor(3, requires_grad=True)
    rec("p0_leaf_is_input", F.dropout(leaf, 0.0, inplace=True) is leaf)  # no write: a leaf is fine
    rec("eval_leaf_is_input", F.dropout(leaf, 0.5, training=False, inplace=True) is leaf)
    rec.raises("p1_leaf", lambda: F.dropout(leaf, 1.0, inplace=True))


@scenario
def module_reprs(torch, rec):
    nn = torch.nn
    for inplace in (False, True):
        modules = [nn.ReLU(inplace=inplace), nn.ReLU6(inplace=inplace), nn.LeakyReLU(0.2, inplace=inplace),
                   nn.ELU(inplace=inplace), nn.SELU(inplace=inplace), nn.CELU(2.0, inplace=inplace),
                   nn.Hardtanh(inplace=inplace), nn.SiLU(inplace=inplace), nn.Hardswish(inplace=inplace),
                   nn.Hardsigmoid(inplace=inplace), nn.Mish(inplace=inplace), nn.Dropout(inplace=inplace)]
        rec(f"inplace={inplace}", [repr(m) for m in modules])
    rec("positional", repr(nn.ReLU(True)))


@scenario(dtypes=FLOATS)
def modules_in_place(torch, rec):
    nn = torch.nn
    modules = {"ReLU": nn.ReLU(inplace=True), "ReLU6": nn.ReLU6(inplace=True),
               "LeakyReLU": nn.LeakyReLU(0.2, inplace=True), "ELU": nn.ELU(0.5, inplace=True),
               "SELU": nn.SELU(inplace=True), "CELU": nn.CELU(2.0, inplace=True),
               "Hardtanh": nn.Hardtanh(-0.5, 0.5, inplace=True), "SiLU": nn.SiLU(inplace=True),
               "Hardswish": nn.Hardswish(inplace=True), "Hardsigmoid": nn.Hardsigmoid(inplace=True),
               "Mish": nn.Mish(inplace=True), "Dropout": nn.Dropout(1.0, inplace=True)}
    for name, module in modules.items():
        _record_in_place(rec, name, module, low=-4.0, high=4.0)


@scenario(dtypes=FLOATS)
def sequential_training_step(torch, rec):
    nn = torch.nn
    net = nn.Sequential(nn.Linear(4, 5), nn.ReLU(inplace=True), nn.Linear(5, 2))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(rec.tensor(*p.shape))
    rec("repr", repr(net))
    x, target = rec.tensor(6, 4), rec.tensor(6, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for step in range(2):
        hidden = net[0](x)
        out = net[2](net[1](hidden))
        rec(f"step{step}.hidden_grad_fn", hidden.grad_fn)
        loss = nn.functional.mse_loss(out, target)
        opt.zero_grad()
        loss.backward()
        rec(f"step{step}.loss", loss)
        rec(f"step{step}.grads", [p.grad for p in net.parameters()])
        opt.step()
    rec("weights", [p.detach() for p in net.parameters()])
