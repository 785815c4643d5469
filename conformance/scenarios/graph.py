"""Graph structure: grad_fn names, next_functions, AccumulateGrad nodes and requires_grad propagation."""
from . import scenario


def _walk(fn, depth=0, out=None):
    """(depth, node name, input index) for every node reachable from fn, depth first."""
    out = [] if out is None else out
    for nxt, index in fn.next_functions:
        out.append((depth, None if nxt is None else nxt.name(), index))
        if nxt is not None:
            _walk(nxt, depth + 1, out)
    return out


@scenario
def chain_of_nodes(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    c = torch.tensor(rec.data(3))
    y = ((x * c).exp() + x.sin()).sum()
    rec("root", y.grad_fn)
    rec("walk", _walk(y.grad_fn))


@scenario
def accumulate_grad_node(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    node = (x * 2).grad_fn.next_functions[0][0]
    rec("name", node)
    rec("variable_is_x", node.variable is x)
    rec("same_node_twice", node is (x * 3).grad_fn.next_functions[0][0])
    rec("leaf_grad_fn", x.grad_fn)


@scenario
def view_nodes(torch, rec):
    x = torch.tensor(rec.data(2, 3), requires_grad=True)
    outs = {"view": x.view(3, 2), "t": x.t(), "transpose": x.transpose(0, 1), "permute": x.permute(1, 0),
            "unsqueeze": x.unsqueeze(0), "squeeze": x.unsqueeze(0).squeeze(0), "expand": x[:1].expand(4, 3),
            "select": x[1], "slice": x[:, 1:], "index": x[[0, 1, 1]], "clone": x.clone()}
    for name, t in outs.items():
        rec(name, t)


@scenario
def requires_grad_propagates(torch, rec):
    a = torch.tensor(rec.data(2), requires_grad=True)
    b = torch.tensor(rec.data(2))
    rec("a*b", a * b)
    rec("b*b", b * b)
    rec("comparison", a > b)
    rec("leaves", [a.is_leaf, b.is_leaf, (a * b).is_leaf, (b * b).is_leaf])


@scenario
def operator_node_names(torch, rec):
    x = torch.tensor(rec.data(3, low=0.5, high=2.0), requires_grad=True)
    exprs = {"add": x + 1, "radd": 1 + x, "sub": x - 1, "rsub": 1 - x, "mul": x * x, "div": x / 2, "rdiv": 2 / x,
             "pow": x ** 2, "rpow": 2 ** x, "neg": -x, "abs": abs(x), "sum": x.sum(), "mean": x.mean(),
             "norm": x.norm(), "dot": torch.dot(x, x), "sqrt": x.sqrt(), "log": x.log()}
    for name, t in exprs.items():
        rec(name, t.grad_fn)


@scenario
def next_functions_of_constant_inputs(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * torch.tensor(rec.data(2))
    rec("next", [(None if f is None else f.name(), i) for f, i in y.grad_fn.next_functions])
    z = x + x
    rec("self_twice", [(f.name(), i) for f, i in z.grad_fn.next_functions])


@scenario
def iteration_unbinds(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    a, b, c = x * 2
    rec("parts", [a, b, c])
    (a * b * c).backward()
    rec("grad", x.grad)
