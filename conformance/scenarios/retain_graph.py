"""retain_graph: backward twice through saved tensors, freed buffers, and graphs that save nothing."""
from . import scenario

FLOATS = ("float32", "float64")


@scenario
def second_backward_without_retain(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    rec.raises("again", lambda: y.backward())


@scenario(dtypes=FLOATS)
def retain_graph_then_again(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    rec("first", x.grad.clone())
    y.backward()
    rec("twice", x.grad)
    rec.raises("third", lambda: y.backward())


@scenario
def graph_without_saved_tensors(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    rec("grad", x.grad)


@scenario(dtypes=FLOATS)
def shared_subgraph(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    h = x.sin() * x
    a, b = h.sum(), (h * h).sum()
    a.backward(retain_graph=True)
    rec("after_a", x.grad.clone())
    b.backward()
    rec("after_b", x.grad)


@scenario
def freed_shared_subgraph(torch, rec):
    x = torch.tensor(rec.data(3), requires_grad=True)
    h = x.exp()
    a, b = h.sum(), (h * 2).sum()
    a.backward()
    rec.raises("b", lambda: b.backward())


@scenario(dtypes=FLOATS)
def create_graph_retains(torch, rec):
    x = rec.tensor(3, requires_grad=True)
    y = (x ** 3).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(y, x)
    rec("g", g)
    rec("g2", g2)


@scenario
def backward_twice_frees_numbers_and_indices(torch, rec):
    x = torch.tensor(rec.data(1, 1, 4, 4), requires_grad=True)
    flat = x.flatten()
    index = torch.tensor([0, 3])
    outputs = {
        "mul_number": lambda: x * 2, "div_number": lambda: x / 2, "add_number": lambda: x + 2,
        "max_pool2d": lambda: torch.nn.functional.max_pool2d(x, 2),
        "avg_pool2d": lambda: torch.nn.functional.avg_pool2d(x, 2),
        "gather": lambda: flat.gather(0, index), "index": lambda: flat[index], "mask": lambda: flat[flat > 0],
        "index_select": lambda: flat.index_select(0, index), "masked_fill": lambda: x.masked_fill(x > 0, 1.0),
        "min_dim": lambda: x.min(-1)[0], "div_floor": lambda: x.div(2, rounding_mode="floor"),
        "sum": lambda: x.sum(), "expand": lambda: x.expand(2, 1, 4, 4), "neg": lambda: -x,
    }
    for name, make in outputs.items():
        y = make().sum()
        y.backward()
        rec.raises(name, lambda: y.backward())


@scenario
def detach_in_place_of_a_saved_tensor(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    a = x * 2
    b = a * a
    a.detach_()
    rec("saved_self", b.grad_fn._saved_self)
    rec.raises("backward", lambda: b.sum().backward())
    e = x.exp()
    c = e * 1
    e.detach_()
    c.sum().backward()
    rec("saved_output_ok", x.grad)
    leaf = torch.tensor(rec.data(2), requires_grad=True)
    d = leaf * leaf
    leaf.detach_()
    d.sum().backward()
    rec("saved_leaf", leaf.grad)
