"""refgrad.func: torch.func's transforms, built on refgrad's reverse mode (grad, vjp, jacrev) and
forward mode (jvp, jacfwd); hessian is jacfwd(jacrev(f)), forward-over-reverse, as in PyTorch.

Inputs are re-wrapped so each transform differentiates with respect to its own arguments; inside
another transform (or when an input already requires grad) the graph is kept, so transforms nest.
"""
import functools

from . import _creation, _ops
from ._tensor import Tensor
from .autograd import forward_ad, grad as _autograd_grad

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]

_depth = [0]


def _argnums_tuple(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _wrap(x):
    """A fresh tensor for differentiating with respect to x, connected to x's graph when it has one."""
    if not isinstance(x, Tensor):
        raise RuntimeError(f"Expected tensor inputs to be differentiated, but got {type(x).__name__}")
    if x.requires_grad:
        return _ops.view_as(x, x)
    return x.detach().requires_grad_(True) if forward_ad.tangent_of(x) is None else _dual_leaf(x)


def _dual_leaf(x):
    """A leaf that requires grad and keeps x's forward-mode tangent (for forward-over-reverse)."""
    tangent = forward_ad.tangent_of(x)
    leaf = x.detach().requires_grad_(True)
    forward_ad.set_tangent(leaf, tangent)
    return leaf


def _keep_graph(inputs):
    return _depth[0] > 1 or forward_ad.state.level is not None or any(x.requires_grad for x in inputs)


class _Nested:
    def __enter__(self):
        _depth[0] += 1

    def __exit__(self, *exc):
        _depth[0] -= 1


def grad_and_value(func, argnums=0, has_aux=False):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums)
        with _Nested():
            keep = _keep_graph([args[i] for i in nums])
            args = list(args)
            for i in nums:
                args[i] = _wrap(args[i])
            out = func(*args, **kwargs)
            out, aux = out if has_aux else (out, None)
            if not isinstance(out, Tensor) or out.dim() != 0:
                shape = "" if not isinstance(out, Tensor) else f" but got output of shape {list(out.shape)}"
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?" if isinstance(out, Tensor) else
                                   f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(out).__name__}{shape}")
            grads = _autograd_grad(out, [args[i] for i in nums], create_graph=keep, allow_unused=True,
                                   materialize_grads=True)
            if not keep:
                grads, out = tuple(g.detach() for g in grads), out.detach()
                aux = _detached(aux)
        g = grads[0] if isinstance(argnums, int) else grads
        return (g, (out, aux)) if has_aux else (g, out)
    return wrapper


def _detached(value):
    if isinstance(value, Tensor):
        return value.detach()
    if isinstance(value, (tuple, list)):
        return type(value)(_detached(v) for v in value)
    return value


def grad(func, argnums=0, has_aux=False):
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    with _Nested():
        keep = _keep_graph(primals)
        inputs = [_wrap(p) for p in primals]
        out = func(*inputs)
    out, aux = out if has_aux else (out, None)
    outputs = out if isinstance(out, (tuple, list)) else (out,)

    def vjp_fn(*cotangents):
        cts = cotangents[0] if len(cotangents) == 1 and isinstance(out, (tuple, list)) else cotangents
        grads = _autograd_grad(outputs, inputs, grad_outputs=cts, retain_graph=True, create_graph=keep,
                               allow_unused=True, materialize_grads=True)
        return tuple(g if keep else g.detach() for g in grads)

    result = out if keep else (tuple(o.detach() for o in outputs) if isinstance(out, (tuple, list)) else out.detach())
    return (result, vjp_fn, aux) if has_aux else (result, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, tangents also must be. Got "
                           f"primals with structure {_tree_spec(primals)} and tangents with structure "
                           f"{_tree_spec(tangents)}")
    outer = forward_ad.state.level is not None
    if outer:
        raise NotImplementedError("refgrad: jvp inside another forward-mode transform (jacfwd of jacfwd) is not "
                                  "supported; PyTorch's forward mode has one level too outside torch.func")
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(p, t) for p, t in zip(primals, tangents)]
        out = func(*duals)
        out, aux = out if has_aux else (out, None)
        outputs = out if isinstance(out, (tuple, list)) else (out,)
        unpacked = [forward_ad.unpack_dual(o) for o in outputs]
        values = [u.primal for u in unpacked]
        tans = [u.tangent if u.tangent is not None else _creation.zeros_like(u.primal) for u in unpacked]
    keep = _depth[0] > 0 or any(p.requires_grad for p in primals)
    if not keep:
        values, tans = [v.detach() for v in values], [t.detach() for t in tans]
    if isinstance(out, (tuple, list)):
        values, tans = tuple(values), tuple(tans)
    else:
        values, tans = values[0], tans[0]
    return (values, tans, aux) if has_aux else (values, tans)


def _tree_spec(values):
    """How torch.utils._pytree prints a flat tuple's structure."""
    return "TreeSpec(tuple, None, [" + ",\n  ".join("*" * 1 for _ in values) + "])"


def _basis(x):
    n = x.numel()
    eye = _creation.eye(n, dtype=x.dtype, device=x.device)
    return [eye[i].reshape(x.shape) for i in range(n)]


def jacrev(func, argnums=0):
    @functools.wraps(func)
    def wrapper(*args):
        nums = _argnums_tuple(argnums)
        with _Nested():
            keep = _keep_graph([args[i] for i in nums])
            args = list(args)
            for i in nums:
                args[i] = _wrap(args[i])
            out = func(*args)
            inputs = [args[i] for i in nums]
            rows = [[] for _ in nums]
            flat = out.reshape(-1)
            for k in range(flat.numel()):
                grads = _autograd_grad(flat[k], inputs, retain_graph=True, create_graph=keep, allow_unused=True,
                                       materialize_grads=True)
                for r, g in zip(rows, grads):
                    r.append(g)
            jac = [_ops.stack(r).reshape(tuple(out.shape) + tuple(x.shape)) if r else
                   _creation.zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype) for r, x in zip(rows, inputs)]
            if not keep:
                jac = [j.detach() for j in jac]
        return jac[0] if isinstance(argnums, int) else tuple(jac)
    return wrapper


def jacfwd(func, argnums=0):
    @functools.wraps(func)
    def wrapper(*args):
        nums = _argnums_tuple(argnums)
        keep = _depth[0] > 0 or any(isinstance(a, Tensor) and a.requires_grad for a in args)
        jac = []
        for i in nums:
            x = args[i]
            columns = []
            out = None
            for e in _basis(x):
                tangents = tuple(e if j == i else _creation.zeros_like(a) for j, a in enumerate(args))
                with _Nested():
                    out, t = jvp(func, tuple(args), tangents)
                columns.append(t)
            stacked = _ops.stack(columns, -1).reshape(tuple(out.shape) + tuple(x.shape))
            jac.append(stacked if keep else stacked.detach())
        return jac[0] if isinstance(argnums, int) else tuple(jac)
    return wrapper


def hessian(func, argnums=0):
    return jacfwd(jacrev(func, argnums), argnums)
