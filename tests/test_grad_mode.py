"""no_grad, enable_grad, set_grad_enabled, inference_mode: as context managers and decorators; which of
these states, and forward AD's level, each thread has of its own."""
import threading

from helpers import same


@same
def test_no_grad_context(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    with torch.no_grad():
        y = x * 2
        inside = torch.is_grad_enabled()
    return y, y.requires_grad, y.grad_fn, inside, torch.is_grad_enabled()


@same
def test_no_grad_decorators(torch):
    x = torch.tensor([1., 2.], requires_grad=True)

    @torch.no_grad()
    def f(t):
        return t * 2

    @torch.no_grad
    def g(t):
        return t * 3

    return f(x).requires_grad, g(x).requires_grad, f.__name__, (x * 2).requires_grad


@same
def test_enable_grad_inside_no_grad(torch):
    x = torch.tensor([1., 2.], requires_grad=True)

    @torch.enable_grad()
    def f(t):
        return t * 2

    with torch.no_grad():
        with torch.enable_grad():
            a = x * 2
        b = f(x)
        c = x * 2
    return a.requires_grad, b.requires_grad, c.requires_grad


@same
def test_set_grad_enabled(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    with torch.set_grad_enabled(False):
        a = x * 2
    with torch.set_grad_enabled(True):
        b = x * 2
    torch.set_grad_enabled(False)
    c = x * 2
    off = torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    return a.requires_grad, b.requires_grad, c.requires_grad, off, repr(torch.set_grad_enabled(True))


@same
def test_set_grad_enabled_decorator(torch):
    x = torch.tensor([1., 2.], requires_grad=True)

    @torch.set_grad_enabled(False)
    def f(t):
        return t * 2

    return f(x).requires_grad, torch.is_grad_enabled(), (x * 2).requires_grad


@same
def test_no_grad_restores_after_exception(torch):
    try:
        with torch.no_grad():
            raise ValueError("boom")
    except ValueError:
        pass
    return torch.is_grad_enabled()


@same
def test_no_grad_generator_decorator(torch):
    x = torch.tensor([1., 2.], requires_grad=True)

    @torch.no_grad()
    def gen():
        yield (x * 2).requires_grad
        yield torch.is_grad_enabled()

    return list(gen()), torch.is_grad_enabled()


@same
def test_inference_mode(torch):
    x = torch.tensor([1., 2.], requires_grad=True)
    with torch.inference_mode():
        y = x * 2
        t = torch.ones(2)
        enabled = torch.is_inference_mode_enabled()
    return (y.requires_grad, y.is_inference(), t.is_inference(), x.is_inference(), enabled,
            torch.is_inference_mode_enabled(), torch.is_grad_enabled())


@same
def test_inference_mode_decorator(torch):
    @torch.inference_mode()
    def f():
        return torch.ones(2) * 2, torch.is_grad_enabled()

    @torch.inference_mode
    def g():
        return torch.ones(2).is_inference()

    t, grad = f()
    return t.is_inference(), grad, g()


@same
def test_inference_tensor_cannot_be_saved(torch):
    with torch.inference_mode():
        t = torch.ones(2)
    w = torch.ones(2, requires_grad=True)
    return w * t


@same
def test_inference_tensor_inplace_outside_fails(torch):
    with torch.inference_mode():
        t = torch.ones(2)
    t.add_(1)


@same
def test_no_grad_allows_inplace_on_leaf(torch):
    w = torch.tensor([1., 2.], requires_grad=True)
    (w * w).sum().backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    return w, w.is_leaf, w.requires_grad, w.grad


def _in_thread(fn):
    out = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


@same
def test_grad_mode_is_per_thread(torch):
    with torch.no_grad():
        return torch.is_grad_enabled(), _in_thread(torch.is_grad_enabled)


@same
def test_forward_ad_level_is_process_wide(torch):
    """A dual level entered in one thread is active in another, which cannot enter one of its own."""
    fwAD = torch.autograd.forward_ad

    def other():
        dual = fwAD.make_dual(torch.ones(2), torch.full((2,), 3.0))
        try:
            with fwAD.dual_level():
                pass
        except RuntimeError as exc:
            return fwAD.unpack_dual(dual).tangent, str(exc)

    with fwAD.dual_level():
        return _in_thread(other)
