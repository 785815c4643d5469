"""Python control flow (loops, branches, recursion) decided by tensor values: the graph follows the path taken."""
from . import scenario

FLOATS = ("float32", "float64")


def _grow(b):
    b = b * 2
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b


@scenario(dtypes=FLOATS)
def loop_and_branch(torch, rec):
    a = rec.tensor(requires_grad=True)
    d = _grow(a)
    d.backward()
    rec("d", d)
    rec("grad", a.grad)
    rec("grad_is_d_over_a", a.grad == d / a)


@scenario
def negative_branch(torch, rec):
    a = torch.tensor(-0.37, requires_grad=True)
    d = _grow(a)
    d.backward()
    rec("d", d)
    rec("grad", a.grad)


@scenario(dtypes=FLOATS)
def vector_loop(torch, rec):
    a = rec.tensor(3, requires_grad=True)
    d = _grow(a)
    d.sum().backward()
    rec("d", d)
    rec("grad", a.grad)


@scenario(dtypes=FLOATS)
def recursion(torch, rec):
    def power(x, n):
        return x if n == 1 else x * power(x, n - 1)
    x = rec.tensor(2, requires_grad=True)
    y = power(x, 5)
    y.sum().backward()
    rec("y", y)
    rec("grad", x.grad)


@scenario(dtypes=FLOATS)
def elementwise_branch_with_where(torch, rec):
    x = rec.tensor(6, requires_grad=True)
    y = torch.where(x > 0, x * x, -x)
    y.sum().backward()
    rec("y", y)
    rec("grad", x.grad)


@scenario
def loop_over_elements(torch, rec):
    x = torch.tensor(rec.data(4), requires_grad=True)
    total = x[0] * 0
    for i in range(4):
        if x[i] > 0:
            total = total + x[i] * i
    total.backward()
    rec("total", total)
    rec("grad", x.grad)
