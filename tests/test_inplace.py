"""In-place ops: version counters, rebased history, saved originals, and torch's errors."""
import pytest

from helpers import same


@same
def test_version_counter(torch):
    x = torch.ones(3)
    v0 = x._version
    x.add_(1)
    x.mul_(2)
    x[0] = 5
    d = x.detach()
    d.zero_()
    return v0, x._version, d._version, x


@pytest.mark.parametrize("op", ["add_(1)", "mul_(2)", "zero_()", "fill_(3)", "copy_(torch.ones(3))",
                                "__setitem__(0, 1.0)", "exp_()", "sub_(1)", "div_(2)", "pow_(2)"])
@same
def test_inplace_on_leaf_requiring_grad_fails(torch, op):
    x = torch.ones(3, requires_grad=True)
    eval(f"x.{op}")


@same
def test_inplace_on_view_of_leaf_fails(torch):
    x = torch.ones(3, requires_grad=True)
    x[0].mul_(2)


@same
def test_rebased_history(torch):
    x = torch.arange(1., 5., requires_grad=True)
    a = x * 1
    names = []
    for step in ("mul_(2)", "add_(torch.ones(4), alpha=3)", "__setitem__(0, 5.0)", "sub_(1)", "div_(2)",
                 "pow_(2)", "exp_()", "fill_(2)", "copy_(torch.arange(4.0))", "zero_()"):
        eval(f"a.{step}")
        names.append((a.grad_fn.name(), [n.name() if n else None for n, _ in a.grad_fn.next_functions],
                      a._version))
    return names, a


@pytest.mark.parametrize("op", ["mul_(b)", "pow_(2)", "pow_(b)", "div_(b)", "add_(b, alpha=2)", "sub_(b)",
                                "exp_()", "sqrt_()", "copy_(b)", "__setitem__(slice(1, 3), b[:2] * 2)",
                                "fill_(b[0])", "zero_()"])
@same
def test_gradients_through_inplace_ops(torch, op):
    x = torch.arange(1., 5., requires_grad=True)
    b = torch.full((4,), 3., requires_grad=True)
    a = x * 1
    eval(f"a.{op}")
    a.sum().backward()
    return a, x.grad, b.grad


@same
def test_inplace_makes_tensor_require_grad(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    a = torch.zeros(2)
    a.add_(x)
    b = torch.zeros(4)
    b[1:3] = x * 2
    (a.sum() + b.sum()).backward()
    return a, b, x.grad, [n.name() if n else None for n, _ in b.grad_fn.next_functions]


@same
def test_modified_output_detected(torch):
    x = torch.arange(4.0, requires_grad=True)
    b = (x * 1).exp()
    b.add_(1)
    b.sum().backward()


@same
def test_modified_input_detected(torch):
    x = torch.arange(4.0, requires_grad=True)
    a = x * 1
    b = a * a
    a.add_(1)
    b.sum().backward()


@same
def test_modified_leaf_detected(torch):
    x = torch.arange(4.0, requires_grad=True)
    w = torch.ones(4, requires_grad=True)
    b = w * x
    with torch.no_grad():
        w.add_(1)
    b.sum().backward()


@same
def test_modification_through_detached_alias_detected(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = x.sigmoid()
    y.detach().zero_()
    y.sum().backward()


@same
def test_modification_through_view_detected(torch):
    x = torch.arange(4.0, requires_grad=True)
    a = x.exp()
    with torch.no_grad():
        a[1:].mul_(2)
    a.sum().backward()


@same
def test_version_in_message_counts_all_changes(torch):
    x = torch.arange(4.0, requires_grad=True)
    a = x * 1
    a.add_(1)
    c = a.sin()
    a.mul_(2)
    c.sum().backward()


@same
def test_unmodified_saved_tensors_are_fine(torch):
    x = torch.arange(4.0, requires_grad=True)
    a = x * 1
    b = a * 2  # a not saved: the other factor is a constant
    a.add_(1)
    b.sum().backward()
    return x.grad


@same
def test_iadd_is_inplace(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    a = x * 1
    before = a
    a += 1
    a *= x
    a.sum().backward()
    return a is before, a.grad_fn.name(), x.grad


@same
def test_setitem_values(torch):
    x = torch.zeros(2, 3)
    x[0] = 1
    x[1, 1:] = torch.tensor([5., 6.])
    x[:, 0] = torch.tensor([7., 8.])
    x[x > 5] = -1
    y = torch.zeros(3, dtype=torch.int64)
    y[0] = 2.7
    return x, y


@same
def test_setitem_shape_mismatch(torch):
    x = torch.zeros(4)
    x[1:3] = torch.ones(3)


@same
def test_optimizer_style_updates_are_seen_through_views(torch):
    """add_/sub_/mul_/div_ without history write into the tensor itself: views and the version see it."""
    p = torch.ones(2, 3)
    row = p[1]
    with torch.no_grad():
        p.add_(torch.full((3,), 2.0), alpha=-0.5)
        p.sub_(0.25)
        p.mul_(torch.full((2, 1), 3.0))
        p.div_(2)
    return p, row, p._version, row._version


def test_inplace_without_history_makes_no_temporary():
    import tracemalloc

    import refgrad
    p, g = refgrad.ones(1_000_000), refgrad.ones(1_000_000)  # 4 MB each
    with refgrad.no_grad():
        tracemalloc.start()
        p.mul_(2.0)
        p.add_(g)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 1_000_000, peak  # written into p's own memory: no 4 MB result
    assert p[0].item() == 3.0


@pytest.mark.parametrize("op", ["zero_()", "fill_(2.0)", "__setitem__(0, 5.0)"])
def test_fills_write_through_an_expanded_tensor(op):
    """One value written into memory that an expanded tensor's elements share, as PyTorch writes it."""
    import refgrad
    base = refgrad.ones(3)
    x = base.expand(2, 3)
    eval(f"x.{op}")
    assert base.tolist() == x[1].tolist() == x[0].tolist() != [1.0, 1.0, 1.0]


_UNARY_INPLACE = sorted(k for k, r in __import__("refgrad").derivatives.TABLE.items() if "inplace" in r.api)


@pytest.mark.parametrize("name", _UNARY_INPLACE)
@same
def test_generated_unary_inplace(torch, name):
    """Every elementwise op's generated in-place method: the values, version and grad_fn of a non-leaf, the
    error of an int tensor whose result is float. (x.grad is cloned: torch's gradient of sgn is a ZeroTensor,
    whose tolist() raises; see README's known differences.)"""
    x = torch.tensor([0.25, 0.5, 1.5, -0.75], requires_grad=True)
    y = x * 1.0
    getattr(y, name + "_")()
    y.sum().backward()
    ints = torch.tensor([1, 2, 3])
    try:
        getattr(ints, name + "_")()
        int_result = ints
    except RuntimeError as exc:
        int_result = str(exc)
    return y, y._version, x.grad.clone(), int_result
