"""gradcheck and gradgradcheck: the numerical oracle.

The analytical Jacobian (one backward per output element, or one JVP per input element for
check_forward_ad) is compared with central differences, (f(x + eps) - f(x - eps)) / 2 eps, element
by element: |analytical - numerical| <= atol + rtol * |numerical|. PyTorch's signature, defaults and
messages; run it in float64.
"""
import warnings

import numpy as np

from .._creation import randn, tensor
from .._fp import quietly
from .._tensor import Tensor
from . import forward_ad
from .api import grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a Jacobian does not match (raise_exception=True)."""


GradcheckError.__module__ = "torch.autograd.gradcheck"


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _is_tensor(x):
    return isinstance(x, Tensor)


def _differentiable_inputs(inputs):
    return [i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad]


def _outputs(func, inputs):
    return [o for o in _as_tuple(func(*inputs)) if _is_tensor(o)]


@quietly  # differences of inf are nan, silently
def _numerical_jacobians(func, inputs, wrt, outputs, eps):
    """jac[o][i]: [numel(input i), numel(output o)], by central differences, perturbing the data in place."""
    jac = [[np.zeros((inputs[i].numel(), o.numel())) for i in wrt] for o in outputs]
    for k, i in enumerate(wrt):
        flat = inputs[i]._data.flat  # writes through .flat reach the input whatever its layout
        for j in range(inputs[i].numel()):
            original = flat[j]
            flat[j] = original + eps
            plus = [o._data.astype(np.float64).reshape(-1).copy() for o in _outputs(func, inputs)]
            flat[j] = original - eps
            minus = [o._data.astype(np.float64).reshape(-1).copy() for o in _outputs(func, inputs)]
            flat[j] = original
            for n, (p, m) in enumerate(zip(plus, minus)):
                jac[n][k][j] = (p - m) / (2 * eps)
    return jac


def _analytical_jacobians(inputs, wrt, outputs):
    """By reverse mode: row j of output o is the gradient of its j-th element."""
    jac = [[np.zeros((inputs[i].numel(), o.numel())) for i in wrt] for o in outputs]
    for n, o in enumerate(outputs):
        if not o.requires_grad:
            continue
        flat = o.reshape(-1)
        for j in range(o.numel()):
            grads = grad(flat[j], [inputs[i] for i in wrt], retain_graph=True, allow_unused=True)
            for k, g in enumerate(grads):
                if g is not None:
                    jac[n][k][:, j] = g._data.astype(np.float64).reshape(-1)
    return jac


def _forward_jacobians(func, inputs, wrt, outputs):
    """By forward mode: column j of input i is the output tangent along the j-th basis vector."""
    jac = [[np.zeros((inputs[i].numel(), o.numel())) for i in wrt] for o in outputs]
    for k, i in enumerate(wrt):
        x = inputs[i]
        for j in range(x.numel()):
            basis = np.zeros(x.numel(), x._data.dtype)
            basis[j] = 1
            tangent = tensor(basis.reshape(x.shape), dtype=x.dtype, device=x.device)
            with forward_ad.dual_level():
                args = list(inputs)
                args[i] = forward_ad.make_dual(x.detach(), tangent)
                for n, out in enumerate(_outputs(func, args)):
                    t = forward_ad.unpack_dual(out).tangent
                    if t is not None:
                        jac[n][k][j] = t._data.astype(np.float64).reshape(-1)
    return jac


def _compare(numerical, analytical, outputs, wrt, atol, rtol, what, dtype_of):
    for n in range(len(outputs)):
        for k in range(len(wrt)):
            a, e = analytical[n][k], numerical[n][k]
            if not np.all(np.abs(a - e) <= atol + rtol * np.abs(e)):
                dtype = dtype_of(n)
                show = lambda m: repr(tensor(m.astype(dtype.np), dtype=dtype))  # noqa: E731
                return (f"Jacobian {what}mismatch for output {n} with respect to input {wrt[k]},\n"
                        f"numerical:{show(e)}\nanalytical:{show(a)}\n")
    return None


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    inputs = _as_tuple(inputs)
    wrt = _differentiable_inputs(inputs)
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")
    for i in wrt:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ", stacklevel=2)
    outputs = _outputs(func, inputs)
    differentiable = [o for o in outputs if o.requires_grad]
    if not differentiable:
        return True
    numerical = _numerical_jacobians(func, inputs, wrt, outputs, eps)
    checks = []
    if check_backward_ad:
        checks.append(("", _analytical_jacobians(inputs, wrt, outputs)))
    if check_forward_ad:
        checks.append(("computed with forward mode ", _forward_jacobians(func, inputs, wrt, outputs)))
    for what, analytical in checks:
        failure = _compare(numerical, analytical, outputs, wrt, atol, rtol, what, lambda n: outputs[n].dtype)
        if failure:
            if raise_exception:
                raise GradcheckError(failure)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck of the function inputs, grad_outputs -> the gradients of func, taken with create_graph=True."""
    inputs = _as_tuple(inputs)
    wrt = _differentiable_inputs(inputs)
    outputs = [o for o in _outputs(func, inputs) if o.requires_grad]
    if grad_outputs is None:
        grad_outputs = [randn(*o.shape, dtype=o.dtype, device=o.device).requires_grad_() for o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_inputs = len(inputs)

    def first_derivatives(*args):
        ins, gos = args[:n_inputs], args[n_inputs:]
        outs = [o for o in _outputs(func, ins) if o.requires_grad]
        grads = grad(outs, [ins[i] for i in wrt], gos, create_graph=True, allow_unused=True, materialize_grads=True)
        return tuple(grads)

    return gradcheck(first_derivatives, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev)
