"""Python control flow builds a dynamic graph (the seeds' f(a))."""
from . import scenario


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b


@scenario
def loop_and_branch(torch, rec):
    for i, value in enumerate(rec.data(3)):
        a = torch.tensor(value, requires_grad=True)
        d = f(a)
        d.backward()
        rec(f"d{i}", d)
        rec(f"grad{i}", a.grad)
