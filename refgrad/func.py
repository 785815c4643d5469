"""refgrad.func: torch.func's transforms, built on refgrad's reverse mode (grad, vjp, jacrev) and
forward mode (jvp, jacfwd, linearize); hessian is jacfwd(jacrev(f)), forward-over-reverse, as in PyTorch.
vmap has no batching rules: it calls the function once per slice of the mapped dimension and stacks
the results, with PyTorch's argument handling and errors. functional_call runs a module with its
parameters and buffers swapped for given tensors.

Inputs are re-wrapped so each transform differentiates with respect to its own arguments; inside
another transform (or when an input already requires grad) the graph is kept, so transforms nest.
"""
import copy
import functools

from . import _creation, _ops
from ._tensor import Tensor
from .autograd import forward_ad, forward_level, grad as _autograd_grad

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call",
           "linearize"]

_depth = [0]


def _argnums_tuple(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _argnums(argnums, args):
    """The argnums as a tuple of indices into args (a negative one counted from the end), checked as
    torch.func's _slice_argnums does."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    nums = tuple(_argnum(a, len(args)) for a in _argnums_tuple(argnums))
    if isinstance(argnums, tuple) and not nums:
        raise RuntimeError("argnums must be non-empty")
    if isinstance(argnums, tuple) and len(set(nums)) != len(nums):
        raise RuntimeError(f"argnums elements must be unique, got {nums}")
    return nums


def _argnum(argnum, num_args):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if -num_args <= argnum < num_args:
        return argnum % num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _output_and_aux(out, has_aux, api):
    """f's output, and its aux when has_aux (f must then return a pair)."""
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


def _wrap(x):
    """A fresh tensor for differentiating with respect to x, connected to x's graph when it has one."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if x.requires_grad:
        return _ops.view_as(x, x)
    return x.detach().requires_grad_(True) if forward_level.tangent_of(x) is None else _dual_leaf(x)


def _dual_leaf(x):
    """A leaf that requires grad and keeps x's forward-mode tangents (for forward-over-reverse)."""
    leaf = x.detach().requires_grad_(True)
    for level, tangent in forward_level.entries(x):
        forward_level.set_tangent(leaf, tangent, level)
    return leaf


def _keep_graph(inputs):
    return _depth[0] > 1 or forward_level.state.level is not None or any(x.requires_grad for x in inputs)


class _Nested:
    def __enter__(self):
        _depth[0] += 1

    def __exit__(self, *exc):
        _depth[0] -= 1


def _differentiable(args, nums):
    """args with the pytrees (tensors, or dicts, tuples, lists of them) at nums re-wrapped for differentiation:
    (the args, the wrapped leaves, whether to keep the graph, a function regrouping per-leaf values by argument)."""
    args = list(args)
    trees = [_flatten(args[i]) for i in nums]
    keep = _keep_graph([x for leaves, _ in trees for x in leaves if isinstance(x, Tensor)])
    trees = [([_wrap(x) for x in leaves], spec) for leaves, spec in trees]
    for i, (leaves, spec) in zip(nums, trees):
        args[i] = _unflatten(leaves, spec)

    def regroup(values):
        values, grouped = list(values), []
        for leaves, spec in trees:
            grouped.append(_unflatten(values[:len(leaves)], spec))
            values = values[len(leaves):]
        return grouped
    return args, [x for leaves, _ in trees for x in leaves], keep, regroup


def grad_and_value(func, argnums=0, has_aux=False):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, args)
        with _Nested():
            args, inputs, keep, regroup = _differentiable(args, nums)
            out, aux = _output_and_aux(func(*args, **kwargs), has_aux, "grad_and_value(f)(*args)")
            if not isinstance(out, Tensor) or out.dim() != 0:
                shape = "" if not isinstance(out, Tensor) else f" but got output of shape {list(out.shape)}"
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?" if isinstance(out, Tensor) else
                                   f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(out).__name__}{shape}")
            grads = _autograd_grad(out, inputs, create_graph=keep, allow_unused=True, materialize_grads=True)
            if not keep:
                grads, out = tuple(g.detach() for g in grads), out.detach()
                aux = _detached(aux)
            grads = regroup(grads)
        g = grads[0] if isinstance(argnums, int) else tuple(grads)
        return (g, (out, aux)) if has_aux else (g, out)
    return wrapper


def _detached(value):
    leaves, spec = _flatten(value)
    return _unflatten([v.detach() if isinstance(v, Tensor) else v for v in leaves], spec)


def grad(func, argnums=0, has_aux=False):
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    with _Nested():
        primals, inputs, keep, regroup = _differentiable(primals, range(len(primals)))
        out = func(*primals)
    out, aux = _output_and_aux(out, has_aux, "vjp(f, *primals)")
    outputs, _ = _flatten(out)

    def vjp_fn(*cotangents):
        cts = cotangents[0] if len(cotangents) == 1 and isinstance(out, (tuple, list, dict)) else cotangents
        grads = _autograd_grad(outputs, inputs, grad_outputs=_flatten(cts)[0], retain_graph=True, create_graph=keep,
                               allow_unused=True, materialize_grads=True)
        return tuple(regroup(g if keep else g.detach() for g in grads))

    result = out if keep else _detached(out)
    return (result, vjp_fn, aux) if has_aux else (result, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    flat_primals, primal_spec = _flatten(primals)
    flat_tangents, tangent_spec = _flatten(tangents)
    if repr(primal_spec) != repr(tangent_spec):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, tangents also must be. Got "
                           f"primals with structure {primal_spec} and tangents with structure {tangent_spec}")
    for what, leaves in (("primals", flat_primals), ("tangents", flat_tangents)):
        for x in leaves:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"jvp(f, primals, tangents): Expected {what} to only contain Tensors, got "
                                   f"{type(x)}")
    with _TransformLevel():
        duals = [forward_ad.make_dual(p, t) for p, t in zip(flat_primals, flat_tangents)]
        out, aux = _output_and_aux(func(*_unflatten(duals, primal_spec)), has_aux, "jvp(f, primals, tangents)")
        outputs, out_spec = _flatten(out)
        unpacked = [forward_ad.unpack_dual(o) for o in outputs]
        values = [u.primal for u in unpacked]
        tans = [u.tangent if u.tangent is not None else _creation.zeros_like(u.primal) for u in unpacked]
    keep = _depth[0] > 0 or forward_level.state.level is not None or any(p.requires_grad for p in flat_primals)
    if not keep:
        values, tans = [v.detach() for v in values], [t.detach() for t in tans]
    values, tans = _unflatten(values, out_spec), _unflatten(tans, out_spec)
    return (values, tans, aux) if has_aux else (values, tans)


class _TransformLevel:
    """jvp's forward-AD level: inside another transform's, so jvp of jvp (jacfwd of jacfwd) nests."""

    def __enter__(self):
        return forward_level.enter_transform_level()

    def __exit__(self, *exc):
        forward_level.exit_level()


def _basis(x):
    n = x.numel()
    eye = _creation.eye(n, dtype=x.dtype, device=x.device)
    return [eye[i].reshape(x.shape) for i in range(n)]


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args):
        nums = _argnums(argnums, args)
        with _Nested():
            args, inputs, keep, regroup = _differentiable(args, nums)
            out, aux = _output_and_aux(func(*args), has_aux, "vjp(f, *primals)")
            outputs, out_spec = _flatten(out)
            jacobians = []
            for out in outputs:
                rows = [[] for _ in inputs]
                flat = out.reshape(-1)
                for k in range(flat.numel() if out.requires_grad else 0):  # an output free of the inputs: zeros
                    grads = _autograd_grad(flat[k], inputs, retain_graph=True, create_graph=keep, allow_unused=True,
                                           materialize_grads=True)
                    for r, g in zip(rows, grads):
                        r.append(g)
                jac = [_ops.stack(r).reshape(tuple(out.shape) + tuple(x.shape)) if r else
                       _creation.zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype) for r, x in zip(rows, inputs)]
                jacobians.append(regroup(j if keep else j.detach() for j in jac))
        jacobian = _by_output(jacobians, out_spec, argnums)
        return (jacobian, aux if keep else _detached(aux)) if has_aux else jacobian
    return wrapper


def _by_output(jacobians, out_spec, argnums):
    """The jacobians in the output's structure, each the argument's structure (a tuple of them for several)."""
    return _unflatten([j[0] if isinstance(argnums, int) else tuple(j) for j in jacobians], out_spec)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """One jvp per basis vector, where PyTorch vmaps one over the basis: random ops follow `randomness` as in
    vmap, and the aux (with has_aux) is the first jvp's."""
    @functools.wraps(func)
    def wrapper(*args):
        nums = _argnums(argnums, args)
        if randomness not in ("error", "different", "same"):
            raise RuntimeError("Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                               f"{randomness}")
        keep = _depth[0] > 0 or any(isinstance(a, Tensor) and a.requires_grad for a in _flatten(args)[0])
        primals, spec = _flatten(tuple(args[i] for i in nums))

        def of_the_argnums(*diff):
            full = list(args)
            for i, d in zip(nums, diff):
                full[i] = d
            return func(*full)

        columns = []  # per input leaf: per basis vector, the output tangents' leaves
        out_leaves, out_spec, auxes = None, None, []
        with _Randomness(randomness) as rng:
            for k, x in enumerate(primals):
                columns.append([])
                for e in _basis(x):
                    rng.slice()
                    tangents = [e if m == k else _creation.zeros_like(p) for m, p in enumerate(primals)]
                    with _Nested():
                        out, t, *aux = jvp(of_the_argnums, _unflatten(primals, spec), _unflatten(tangents, spec),
                                           has_aux=has_aux)
                    out_leaves, out_spec = _flatten(out)
                    columns[-1].append(_flatten(t)[0])
                    auxes += aux
        jacobians = []
        for o, out in enumerate(out_leaves):
            jac = [_ops.stack([c[o] for c in cols], -1).reshape(tuple(out.shape) + tuple(x.shape))
                   for cols, x in zip(columns, primals)]
            jacobians.append(_unflatten([j if keep else j.detach() for j in jac], spec))
        jacobian = _by_output(jacobians, out_spec, argnums)
        return (jacobian, auxes[0]) if has_aux else jacobian
    return wrapper


def hessian(func, argnums=0):
    return jacfwd(jacrev(func, argnums), argnums)


# ------------------------------------------------------------------ pytrees (torch.utils._pytree's)
class _Spec:
    """The structure of a pytree: tuples, lists and dicts are nodes, anything else (None too) a leaf."""

    def __init__(self, kind=None, context=None, children=()):
        self.kind, self.context, self.children = kind, context, list(children)
        self.num_leaves = 1 if kind is None else sum(c.num_leaves for c in self.children)

    def __repr__(self, indent=0):
        if self.kind is None:
            return "*"
        indent += 2
        inner = (",\n" + " " * indent).join(c.__repr__(indent) for c in self.children)
        if hasattr(self.kind, "_make"):  # a namedtuple: PyTorch's spec names its class
            return f"TreeSpec(namedtuple, {self.kind}, [{inner}])"
        return f"TreeSpec({self.kind.__name__}, {self.context}, [{inner}])"


def _flatten(tree):
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(v) for v in tree]
        return [x for leaves, _ in parts for x in leaves], _Spec(type(tree), None, [sp for _, sp in parts])
    if isinstance(tree, dict):
        parts = [_flatten(v) for v in tree.values()]
        return [x for leaves, _ in parts for x in leaves], _Spec(dict, list(tree), [sp for _, sp in parts])
    return [tree], _Spec()


def _unflatten(leaves, spec):
    it = iter(leaves)

    def build(sp):
        if sp.kind is None:
            return next(it)
        values = [build(c) for c in sp.children]
        if sp.kind is dict:
            return dict(zip(sp.context, values))
        return sp.kind._make(values) if hasattr(sp.kind, "_make") else sp.kind(values)  # a namedtuple, a tuple
    return build(spec)


def _broadcast(prefix, spec):
    """prefix's leaves repeated over the leaves of the subtrees of spec they stand for; None if not a prefix."""
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * spec.num_leaves
    if type(prefix) is not spec.kind or len(prefix) != len(spec.children):
        return None
    if isinstance(prefix, dict) and set(prefix) != set(spec.context):
        return None
    values = [prefix[k] for k in spec.context] if isinstance(prefix, dict) else prefix
    out = []
    for v, child in zip(values, spec.children):
        part = _broadcast(v, child)
        if part is None:
            return None
        out += part
    return out


# ------------------------------------------------------------------ vmap
def _name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(out_dims, func)
        size, flat_dims, flat_args, spec = _batched_inputs(in_dims, args, func)
        if chunk_size is not None:
            _chunk_sizes(size, chunk_size)  # the chunks give the same results: only a bad chunk_size shows
        results = []
        with _Randomness(randomness) as rng:
            for b in range(max(size, 1)):
                rng.slice()
                sliced = [a if d is None else a.select(d, b) if size else _empty_slice(a, d)
                          for a, d in zip(flat_args, flat_dims)]
                results.append(func(*_unflatten(sliced, spec), **kwargs))
        return _stacked(results, out_dims, func, size)
    return wrapped


def _chunk_sizes(size, chunk_size):
    """PyTorch's get_chunk_sizes (a float chunk_size fails in it with a TypeError)."""
    sizes = [chunk_size] * (size // chunk_size)
    return sizes + [size % chunk_size] if size % chunk_size else sizes


def _empty_slice(a, d):
    """For an empty mapped dimension: zeros of one slice's shape and dtype (on a's graph), so that the function
    runs once and its results give the outputs' structure, shapes and dtypes."""
    return _ops.sum(a.narrow(d, 0, 0), d).to(a.dtype)


def _check_out_dims(out_dims, func):
    leaves = [out_dims] if isinstance(out_dims, int) else _flatten(out_dims)[0]
    if any(d is not None and not isinstance(d, int) for d in leaves):
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a python "
                         "collection of ints representing where in the outputs the vmapped dimension should appear.")


def _batched_inputs(in_dims, args, func):
    """PyTorch's _process_batched_inputs: (batch size, in_dim per leaf, leaves, the args' structure)."""
    head = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): "
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(head + "expected `in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
                         "trying to vmap over a function with no inputs. The latter is unsupported.")
    flat_args, spec = _flatten(args)
    flat_dims = _broadcast(in_dims, spec)
    if flat_dims is None:
        raise ValueError(head + f"in_dims is not compatible with the structure of `inputs`. in_dims has structure "
                         f"{_flatten(in_dims)[1]} but inputs has structure {spec}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_dims)):
        if d is not None and not isinstance(d, int):
            raise ValueError(head + f"Got in_dim={d} for an input but in_dim must be either an integer dimension "
                             "or None.")
        if d is not None and not isinstance(arg, Tensor):
            raise ValueError(head + f"Got in_dim={d} for an input but the input is of type {type(arg)}. We cannot "
                             "vmap over non-Tensor arguments, please use None as the respective in_dim")
        if d is not None and not -arg.dim() <= d < arg.dim():
            raise ValueError(head + f"Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                             f"{arg.dim()} so expected in_dim to satisfy -{arg.dim()} <= in_dim < {arg.dim()}.")
        if d is not None and d < 0:
            flat_dims[i] = d % arg.dim()
    sizes = [arg.size(d) for arg, d in zip(flat_args, flat_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    return sizes[0], flat_dims, flat_args, spec


def _stacked(results, out_dims, func, size):
    """The per-slice results stacked along out_dims (PyTorch's _unwrap_batched)."""
    spec = _flatten(results[0])[1]
    columns = list(zip(*(_flatten(r)[0] for r in results)))
    if isinstance(results[0], Tensor):
        dims = [out_dims] if isinstance(out_dims, int) or out_dims is None else (
            list(out_dims) if isinstance(out_dims, tuple) and len(out_dims) == 1 else None)
    else:
        dims = _broadcast(out_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
                         f"the structure of `outputs`. out_dims has structure {_flatten(out_dims)[1]} but outputs "
                         f"has structure {spec}.")
    return _unflatten([_stack_column(col, d, func, size) for col, d in zip(columns, dims)], spec)


def _stack_column(values, out_dim, func, size):
    name = _name(func)
    if out_dim is None:
        # PyTorch refuses a result that depends on the mapped inputs; here: one that differs between slices
        if isinstance(values[0], Tensor) and not all(v is values[0] or _ops.equal(v, values[0]) for v in values):
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
        return values[0]
    if not isinstance(values[0], Tensor):
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(values[0])}. "
                         "Did you mean to set out_dims= to None for output?")
    stacked = _ops.stack(values, out_dim)
    return stacked if size else stacked.narrow(out_dim, 0, 0)


class _Randomness:
    """randomness='error': every random op raises; 'same': each slice draws the same numbers (the generator
    ends as after one slice); 'different': the slices draw one after another."""

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.saved = _creation._rng[0]
        if self.mode == "error":
            _creation._rng[0] = _NoRandomness()
        return self

    def slice(self):
        if self.mode == "same":
            _creation._rng[0] = copy.deepcopy(self.saved)

    def __exit__(self, *exc):
        if self.mode == "error":
            _creation._rng[0] = self.saved


class _NoRandomness:
    def __getattr__(self, name):
        raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use the "
                           "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
                           "of vmap")


# ------------------------------------------------------------------ functional_call
def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    tensors = _merged(parameter_and_buffer_dicts)
    slots = _named_slots(module)
    if tie_weights:
        tensors = _untied(slots, tensors)
    if strict:
        _check_keys(module, slots, tensors)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    swapped = [(slots[k], tensors[k]) for k in tensors if k in slots]
    originals = [(store, key, store[key]) for (store, key), _ in swapped]
    try:
        for (store, key), value in swapped:
            store[key] = value
        return module(*args, **(kwargs or {}))
    finally:
        for store, key, value in reversed(originals):
            store[key] = value


def _merged(dicts):
    if isinstance(dicts, dict):
        return dicts
    if not isinstance(dicts, (tuple, list)):
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(dicts)}")
    if not all(isinstance(d, dict) for d in dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
    keys = [k for d in dicts for k in d]
    repeated = [k for k in dict.fromkeys(keys) if keys.count(k) > 1]
    if repeated:
        raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
    return {k: v for d in dicts for k, v in d.items()}


def _named_slots(module):
    """Every parameter's and buffer's name (tied ones under each of their names) -> (its dict, its key)."""
    slots = {}
    for prefix, m in _all_modules(module, ""):
        for store in (m._parameters, m._buffers):
            for key, value in store.items():
                if value is not None:
                    slots[f"{prefix}{key}"] = (store, key)
    return slots


def _all_modules(module, prefix):
    yield prefix, module
    for name, child in module._modules.items():
        if child is not None:
            yield from _all_modules(child, f"{prefix}{name}.")


def _untied(slots, tensors):
    """A tensor given for one name of a tied parameter is used for all its names."""
    names = {}
    for name, (store, key) in slots.items():
        names.setdefault(id(store[key]), []).append(name)
    out = dict(tensors)
    for name in tensors:
        if name in slots:
            store, key = slots[name]
            for other in names[id(store[key])]:
                out.setdefault(other, tensors[name])
    return out


def _check_keys(module, slots, tensors):
    unexpected = sorted(set(tensors) - set(slots))
    missing = sorted(set(slots) - set(tensors))
    messages = ([f"Unexpected key(s): {', '.join(map(repr, unexpected))}."] if unexpected else []) + (
        [f"Missing key(s): {', '.join(map(repr, missing))}."] if missing else [])
    if messages:
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(messages))


# ------------------------------------------------------------------ linearize
def linearize(func, *primals):
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is func's jvp at primals (recomputed by forward mode)."""
    out = func(*primals)
    flat_primals, primal_spec = _flatten(primals)

    def jvp_fn(*tangents):
        flat_tangents, tangent_spec = _flatten(tangents)
        if repr(tangent_spec) != repr(primal_spec):
            raise RuntimeError(f"Expected the tangents {tangent_spec} to have the same argspec as the primals "
                               f"{primal_spec}")
        for i, (p, t) in enumerate(zip(flat_primals, flat_tangents)):
            for what in ("shape", "dtype"):
                if getattr(p, what) != getattr(t, what):
                    name = f"torch.Size({list(t.shape)})" if what == "shape" else t.dtype
                    mine = f"torch.Size({list(p.shape)})" if what == "shape" else p.dtype
                    raise RuntimeError(f"tangent:{i} with {what} {name} in flattened pytree doesn't match the "
                                       f"{what} {mine} of the corresponding primal.")
        return jvp(func, tuple(primals), tuple(tangents))[1]
    return out, jvp_fn
