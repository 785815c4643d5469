"""Graph structure: grad_fn names and next_functions chains, exactly as torch builds them."""
import pytest

from helpers import same


def chain(fn, depth=3):
    """grad_fn name with its next_functions, `depth` levels deep, as nested tuples of names."""
    if fn is None:
        return None
    if depth == 0:
        return fn.name()
    return (fn.name(), tuple((chain(n, depth - 1), nr) for n, nr in fn.next_functions))


EXPRESSIONS = ["2*x", "x*2", "x+2", "2+x", "x-1", "1-x", "x/2", "2/x", "x**2", "2**x", "x**y", "-x", "x.sum()",
               "x.sum(0)", "torch.dot(x,x)", "x.norm()", "x*y", "x-y", "y-x", "x/y", "y/x", "torch.rsub(x,y)",
               "x.mean()", "x.mean(0)", "x.clone()", "x.to(torch.float64)", "x.double()", "x.abs()", "x.exp()",
               "x.pow(2)", "x.pow(y)", "x+y", "x.add(y,alpha=2)", "x.sub(y,alpha=2)", "x.view(2,2)",
               "x.reshape(2,2)", "x[0]", "x[1:]", "x[:]", "x[...]", "x[None]", "x[[0, 1]]", "x[x > 1]",
               "x.sum()**2", "x**3", "x.neg()", "x.square()", "x.sqrt()", "x.unsqueeze(0)", "x.expand(2,4)",
               "x.sum(dim=0, keepdim=True)", "x**-1", "x**0", "abs(x)", "x // 2", "x % 2", "x.true_divide(y)",
               "x.div(y, rounding_mode='floor')", "torch.mul(x, 2)", "x.norm(p=1)", "x.sum(dtype=torch.float64)",
               "torch.where(x > 1, x, 0.)", "x.sign()", "x.sgn()", "x.tanh()", "x.sigmoid()", "x.relu()",
               "x.sin().cos()", "(x * y).log()", "x.view(2, 2).t()", "x.view(2, 2).transpose(0, 1)",
               "x.view(2, 2).permute(1, 0)", "x.view(1, 4).squeeze()", "x.view(1, 4).squeeze(0)",
               "x.view(2, 2)[0, 1:]", "x.view(2, 2)[:, 1]", "x.flatten()", "x.narrow(0, 1, 2)",
               "x.reciprocal()", "torch.where(x > 1, x, y)", "x.view(2, 2).t().reshape(4)",
               "x.view(2, 2).t().contiguous()"]


@pytest.mark.parametrize("expr", EXPRESSIONS)
@same
def test_grad_fn_chain(torch, expr):
    x = torch.arange(1.0, 5.0, requires_grad=True)
    y = torch.tensor(2.0, requires_grad=True)
    t = eval(expr)
    return chain(t.grad_fn), t.requires_grad, t.is_leaf


@same
def test_accumulate_grad_node(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = x * 2
    acc = y.grad_fn.next_functions[0][0]
    return acc.name(), acc.variable is x, acc.next_functions, type(acc).__name__, y.grad_fn.metadata


@same
def test_same_leaf_shares_its_accumulator(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    a, b = y.grad_fn.next_functions
    return a[0] is b[0]


@same
def test_sequence_numbers_increase(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = x * 2
    z = y + 1
    return z.grad_fn._sequence_nr() > y.grad_fn._sequence_nr()


@same
def test_nondifferentiable_results(torch):
    x = torch.arange(4.0, requires_grad=True)
    results = [x > 1, x == 2, x.detach(), (x * 2).detach(), x.to(torch.int64), x // 1 if False else x.sign() > 0]
    return [(r.requires_grad, r.grad_fn is None, r.is_leaf) for r in results]


@same
def test_results_without_grad_inputs(torch):
    a = torch.ones(2)
    b = a * 2 + 1
    return b.requires_grad, b.is_leaf, b.grad_fn


@same
def test_grad_fn_call_directly(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 3
    return y.grad_fn(torch.ones(2))


@same
def test_graph_of_reduced_broadcast_gradients(torch):
    """The engine's sum_to shows in create_graph graphs: a full sum for 0-dim inputs, sum + view otherwise."""
    x = torch.ones(2, 3, requires_grad=True)
    scalar = torch.tensor(2., requires_grad=True)
    row = torch.ones(3, requires_grad=True)
    g_scalar, g_row = torch.autograd.grad((x * scalar * row).sum(), [scalar, row], create_graph=True)
    return chain(g_scalar.grad_fn, 1), chain(g_row.grad_fn, 1), g_scalar, g_row
