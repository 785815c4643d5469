"""refgrad.autograd.functional: PyTorch's torch.autograd.functional (vjp, jvp, jacobian, hessian, vhp,
hvp), composed from autograd.grad and, for jacobian's strategy="forward-mode", forward_ad.

As in PyTorch: the inputs are re-wrapped (so the function's own captures are told apart from them),
jvp and hvp use the double-backward trick (the gradient of a gradient with respect to a dummy
grad_output), tuples in give tuples out, and strict=True turns an independent input into an error
where strict=False gives zeros. Results keep their graph only with create_graph=True.

vectorize=True is, in PyTorch, vmap over the basis vectors (batched grad_outputs or batched
tangents). refgrad has no vmap: the batch is walked one basis vector at a time, with the same basis,
the same stacking and the same split/view/permute of the result, so values, dtypes and flags agree.
What still shows: forward mode calls `func` once per basis vector, not once, and a hook inside `func`
sees one gradient or tangent per basis vector, not one batch. PyTorch's vmap also fails where refgrad
does not, in forward mode: an op on the result of a 1-D @ 2-D matmul (its squeeze_ of a batched
tangent), and an op without a batching rule (sum) over an empty batch (all inputs empty).
"""
from .._creation import zeros, zeros_like
from .._ops import stack
from .._tensor import Tensor
from . import forward_ad, grad_mode
from .api import grad as _grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# The tuples in and out

def _as_tuple(value, arg_name=None, fn_name=None):
    """(was it a tuple, the tuple); every item must be a Tensor."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, item in enumerate(values):
        if not isinstance(item, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"the {where} has type {type(item)}.")
    return is_tuple, values


def _unpack(result, was_tuple):
    """Undoes _as_tuple: one flag for a tuple, (outer, inner) for a tuple of tuples."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(r[0] for r in result)
        return result if outer else result[0]
    return result if was_tuple else result[0]


def _preprocess(values, create_graph, need_graph):
    """Fresh tensors to differentiate with respect to: connected to the caller's graph only with create_graph."""
    return tuple(v.view_as(v) if create_graph and v.requires_grad else v.detach().requires_grad_(need_graph)
                 for v in values)


def _postprocess(values, create_graph):
    """The results, detached unless create_graph (tuples of tuples recursively)."""
    if isinstance(values[0], Tensor):
        return values if create_graph else tuple(v.detach() for v in values)
    return tuple(_postprocess(v, create_graph) for v in values)


def _validate_v(v, like, like_is_tuple):
    if len(like) != len(v):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got {len(v)}."
                           if like_is_tuple else "The given v should contain a single Tensor.")
    for i, (item, ref) in enumerate(zip(v, like)):
        if item.size() != ref.size():
            where = f"Entry {i} in " if like_is_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {ref.size()} but got {item.size()}.")


def _v_tuple(v, fn_name, create_graph, like, like_is_tuple, none_message):
    """v checked against `like` (the inputs or outputs); None only where `like` is one one-element tensor."""
    if v is None:
        if len(like) != 1 or like[0].nelement() != 1:
            raise RuntimeError(none_message)
        return None
    v = _preprocess(_as_tuple(v, "v", fn_name)[1], create_graph, need_graph=False)
    _validate_v(v, like, like_is_tuple)
    return v


_NONE_V_FOR_INPUT = ("The vector v can only be None if the input to the user-provided function is a single Tensor "
                     "with a single element.")


# strict mode

_NOT_REQUIRING_GRAD = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be computed "
               "in a differentiable manner from the input when running in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
                   "function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with respect to "
                "input {i} is independent of the input. This is not allowed in strict mode. You should ensure that "
                "your function is twice differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is independent of the input. "
               "This is not allowed in strict mode. You should ensure that your function is thrice differentiable "
               "and that the hessian depends on the inputs.",
}


def _check_requires_grad(values, kind, strict):
    if not strict:
        return
    for i, value in enumerate(values):
        if value is None:  # only a gradient can be missing
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode.")
        if not value.requires_grad:
            raise RuntimeError(_NOT_REQUIRING_GRAD[kind].format(i=i))


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in strict "
                  "mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
                   "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """Zeros (shaped as refs) for the missing gradients, or strict mode's error for them."""
    result = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
        result.append(g)
    return tuple(result)


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad of the outputs that require grad (None for every input when none does), unused inputs None."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return _grad(tuple(o for o, _ in kept), inputs, tuple(g for _, g in kept), allow_unused=True,
                 create_graph=create_graph, retain_graph=retain_graph)


def _batched_autograd_grad(outputs, inputs, batched_grad_outputs, create_graph):
    """_autograd_grad with is_grads_batched: one gradient per row of the grad_outputs, stacked; the graph is
    kept until the last row (then as create_graph says, as one batched call would)."""
    if any(o is not None and o.requires_grad for o in outputs):
        for g in batched_grad_outputs:
            g[0]  # PyTorch's grad reads each one's first row to check its shape: an empty batch fails here
    rows = batched_grad_outputs[0].shape[0]
    per_row = [_autograd_grad(outputs, inputs, tuple(g[k] for g in batched_grad_outputs), create_graph,
                              retain_graph=True if k < rows - 1 else None) for k in range(rows)]
    if not per_row:
        return (None,) * len(inputs)
    return tuple(None if per_row[0][i] is None else stack([row[i] for row in per_row]) for i in range(len(inputs)))


def _with_grad(create_graph):
    """The grad mode of the final backward: on for create_graph, else the caller's."""
    return grad_mode.set_grad_enabled(True if create_graph else grad_mode.is_grad_enabled())


# vjp, jvp

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product, shaped as the inputs."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        v = _v_tuple(v, "vjp", create_graph, outputs, is_outputs_tuple,
                     "The vector v can only be None if the user-provided function returns a single Tensor with a "
                     "single element.")
    with _with_grad(create_graph):
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (_unpack(_postprocess(outputs, create_graph), is_outputs_tuple),
            _unpack(_postprocess(result, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, shaped as the outputs, by the double-backward trick."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        v = _v_tuple(v, "jvp", create_graph, inputs, is_inputs_tuple,
                     "The vector v can only be None if the input to the user-provided function is a single Tensor "
                     "with a single element.")
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # backward is linear in grad_outputs: their value (finite) never reaches the double backward
        dummies = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, dummies, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with _with_grad(create_graph):
        grads = _autograd_grad(grad_inputs, dummies, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    return (_unpack(_postprocess(outputs, create_graph), is_outputs_tuple),
            _unpack(_postprocess(result, create_graph), is_outputs_tuple))


# jacobian, hessian

_STRATEGY_HINT = ('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more '
                  'outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use '
                  '"reverse-mode".')


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at inputs: J[i][j] of output i and input j, shaped output.shape + input.shape."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(_STRATEGY_HINT)
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        return _jacfwd(func, inputs, strict, vectorize)
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize:
            if strict:
                raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                                   "supported together. Please either set `strict=False` or `vectorize=False`.")
            jac = _jacrev_vectorized(outputs, inputs, create_graph)
        else:
            jac = tuple(_jacrev_rows(i, out, inputs, create_graph, strict) for i, out in enumerate(outputs))
        return _unpack(_postprocess(jac, create_graph), (is_outputs_tuple, is_inputs_tuple))


def _jacrev_rows(i, out, inputs, create_graph, strict):
    """Output i's Jacobians with respect to each input, one backward per element of the output."""
    columns = tuple([] for _ in inputs)
    for k in range(out.nelement()):
        grads = _autograd_grad((out.reshape(-1)[k],), inputs, retain_graph=True, create_graph=create_graph)
        for j, (column, g, x) in enumerate(zip(columns, grads, inputs)):
            if g is not None:
                if strict and create_graph and not g.requires_grad:  # PyTorch names the output's index here
                    raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                       "This is not allowed in strict mode when create_graph=True.")
            elif strict:
                raise RuntimeError(f"Output {i} of the user-provided function is independent of input {j}. This is "
                                   "not allowed in strict mode.")
            column.append(zeros_like(x) if g is None else g)
    return tuple(stack(column, dim=0).view(out.size() + x.size()) for column, x in zip(columns, inputs))


def _standard_basis(tensors, numels):
    """The identity of size sum(numels), cut by columns into one block per tensor, each of its tensor's dtype."""
    total = sum(numels)
    blocks = tuple(zeros((total, n), dtype=t.dtype, device=t.device) for t, n in zip(tensors, numels))
    start = 0
    for block, n in zip(blocks, numels):
        block.diagonal(start).fill_(1)
        start -= n
    return blocks


def _jacrev_vectorized(outputs, inputs, create_graph):
    """The vjps of every basis vector of the flattened outputs at once, split back by output."""
    numels = tuple(out.numel() for out in outputs)
    basis = _standard_basis(outputs, numels)
    flat = tuple(out.reshape(-1) for out in outputs)
    grads = _batched_autograd_grad(flat, inputs, basis, create_graph)
    grads = [zeros_like(x).expand((sum(numels),) + x.shape) if g is None else g for g, x in zip(grads, inputs)]
    by_input = [[part.view(out.shape + x.shape) for part, out in zip(g.split(numels, dim=0), outputs)]
                for g, x in zip(grads, inputs)]
    return tuple(zip(*by_input))


def _jacfwd(func, inputs, strict, vectorize):
    """jacobian(strategy="forward-mode"): the tangents of the outputs for each basis vector of the inputs."""
    if strict:
        raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not '
                           'supported together (yet). Please either set `strict=False` or '
                           '`strategy="reverse-mode"`.')
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly "
                                  "implemented for `vectorize=True`.")
    numels = tuple(x.numel() for x in inputs)
    basis = _standard_basis(inputs, numels)
    total = sum(numels)
    # vmap calls func even for an empty batch (all inputs empty): once, with (empty) zero tangents
    vectors = [tuple(b[k] for b in basis) for k in range(total)] or [tuple(zeros_like(x) for x in inputs)]
    rows = [_jvp_of_basis_vector(func, inputs, v) for v in vectors]
    is_outputs_tuple, primals = rows[-1][0], rows[-1][1]
    tangents = [stack([row[2][i] for row in rows])[:total] for i in range(len(primals))]
    jac = [[t.permute(*range(1, t.ndim), 0).reshape((*out.shape, *x.shape))
            for t, x in zip(tangent.split(numels, dim=0), inputs)] for tangent, out in zip(tangents, primals)]
    return _unpack(jac, (is_outputs_tuple, is_inputs_tuple))


def _jvp_of_basis_vector(func, inputs, tangents):
    """(outputs were a tuple, primal outputs, their tangents: zeros where an output has none)."""
    with forward_ad.dual_level():
        duals = tuple(forward_ad.make_dual(x, t.view_as(x)) for x, t in zip(inputs, tangents))
        is_outputs_tuple, outputs = _as_tuple(func(*duals), "outputs")
        unpacked = [forward_ad.unpack_dual(out) for out in outputs]
        primals = [u.primal for u in unpacked]
        tangents = tuple(zeros_like(u.primal) if u.tangent is None else u.tangent for u in unpacked)
    return is_outputs_tuple, primals, tangents


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar func: H[i][j] of inputs i and j, the jacobian of its (reverse-mode) jacobian."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*args):
        out = func(*args)
        is_out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        _check_single_element(is_out_tuple, out, "hessian")
        return out.squeeze()

    def jac_func(*args):
        if outer_jacobian_strategy == "forward-mode":  # so that the inner jacobian keeps their tangents
            args = tuple(a.requires_grad_(True) for a in args)
        jac = jacobian(scalar_func, args, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)
    return _unpack(result, (is_inputs_tuple, is_inputs_tuple))


def _check_single_element(is_tuple, out, fn_name):
    if is_tuple or not isinstance(out, Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if out.nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


# vhp, hvp

def _gradient_of_scalar(func, inputs, v, fn_name, create_graph, strict):
    """The first stage of vhp and hvp: (inputs, v, outputs, their gradient with its graph) as tuples."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _preprocess(inputs, create_graph, need_graph=True)
    v = _v_tuple(v, fn_name, create_graph, inputs, is_inputs_tuple, _NONE_V_FOR_INPUT)
    out = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(out, "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    _check_single_element(is_outputs_tuple, outputs[0], fn_name)
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return (is_inputs_tuple, inputs), v, (is_outputs_tuple, outputs), jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar func, shaped as the inputs."""
    with grad_mode.enable_grad():
        (is_inputs_tuple, inputs), v, (is_outputs_tuple, outputs), jac = _gradient_of_scalar(
            func, inputs, v, "vhp", create_graph, strict)
    with _with_grad(create_graph):
        grads = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return (_unpack(_postprocess(outputs, create_graph), is_outputs_tuple),
            _unpack(_postprocess(result, create_graph), is_inputs_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func, shaped as the inputs, by the double-backward trick."""
    with grad_mode.enable_grad():
        (is_inputs_tuple, inputs), v, (is_outputs_tuple, outputs), jac = _gradient_of_scalar(
            func, inputs, v, "hvp", create_graph, strict)
        dummies = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        double_back = _autograd_grad(jac, inputs, dummies, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with _with_grad(create_graph):
        grads = _autograd_grad(double_back, dummies, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
    return (_unpack(_postprocess(outputs, create_graph), is_outputs_tuple),
            _unpack(_postprocess(result, create_graph), is_inputs_tuple))
