"""backward() and grad(): check the arguments, make the root gradients, run the engine.

Also `Tensor.backward`, installed on Tensor here: the engine sits layers above the Tensor class.
"""
from collections.abc import Mapping

import numpy as np

from .._creation import zeros_like
from .._tensor import Tensor
from .._warn import warn_once
from . import grad_mode
from .engine import execute
from .graph import AccumulateGrad, GradientEdge

__all__ = ["backward", "grad"]

CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid "
    "this. If you have to use this function, make sure to reset the .grad fields of your parameters to None "
    "after use to break the cycle and avoid the leak.")


def _tensor_tuple(value):
    """PyTorch's reading of `tensors`/`outputs`: a Tensor or a GradientEdge is one, anything else is
    iterated (and its items are checked later, by _make_grads)."""
    return (value,) if isinstance(value, (Tensor, GradientEdge)) else tuple(value)


def _inputs_tuple(inputs, function):
    """PyTorch's reading of `inputs`: a Tensor, a dict (its values) or any other iterable, not empty."""
    if isinstance(inputs, (Tensor, GradientEdge)):
        result = (inputs,)
    elif type(inputs) is dict:
        result = tuple(inputs.values())
    elif isinstance(inputs, Mapping):
        raise TypeError(f"`inputs` argument to `{function}()` must be a dict, not {type(inputs).__name__}. "
                        "Other Mapping types are not supported.")
    else:
        result = tuple(inputs)
    if not result:
        raise RuntimeError(f"`inputs` argument to `{function}()` cannot be empty.")
    return result


def _make_grads(outputs, grads, is_grads_batched=False):
    """The initial gradients: given ones checked against their output, ones for scalar outputs."""
    result = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if isinstance(out, GradientEdge):
            result.append(_edge_grad(i, out, g))
            continue
        if not isinstance(out, Tensor):
            raise AssertionError("Expected output to be a torch.Tensor")
        if g is None:
            if out.requires_grad:
                if out._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not out._dtype.is_floating_point:
                    raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                       f"{out._dtype}")
                g = Tensor._make(np.ones_like(out._data), out._dtype, out._device)
            result.append(g)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        if g._data.shape != out._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a "
                               f"shape of {out.shape}.")
        result.append(g)
    if len(grads) < len(outputs):  # the engine's check, after these; extra gradients are ignored (zip)
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    return result


def _edge_grad(i, edge, g):
    """The gradient given for an output that is a GradientEdge, checked against what is known of the
    tensor whose gradient arrives there (a leaf's, a custom Function output's)."""
    meta = _edge_meta(edge)
    if g is None:
        if meta is None or int(np.prod(meta[0])) != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        if not meta[1].is_floating_point:
            raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {meta[1]}")
        return Tensor._make(np.ones(meta[0], dtype=meta[1].np), meta[1], meta[2])
    if not isinstance(g, Tensor):
        raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    if meta is not None and g._data.shape != meta[0]:
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a "
                           f"shape of {type(g.shape)(meta[0])}.")
    return g


def _edge_meta(edge):
    """(shape, dtype, device) of the gradient arriving at a GradientEdge, where the node records it."""
    node = edge.node
    if type(node) is AccumulateGrad:
        v = node.variable
        return v._data.shape, v._dtype, v._device
    meta = getattr(node, "_output_meta", None)
    if meta is not None and edge.output_nr < len(meta) and meta[edge.output_nr][1] is not None:
        return meta[edge.output_nr]
    return None


def _cast_to_outputs(outputs, grads, create_graph):
    """The engine's check of the root gradients: each is cast to its output's dtype (a cast that
    create_graph records)."""
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if g is not None and not isinstance(out, GradientEdge) and g._dtype is not out._dtype:
            with grad_mode.set_grad_enabled(create_graph):
                grads[i] = g.to(out._dtype)
    return grads


def _root_edges(outputs, grads):
    edges = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if isinstance(out, GradientEdge):
            edges.append((out.node, out.output_nr))
            continue
        edge = out._edge()  # None for a no_grad view of a leaf: it requires grad, through its base only
        if edge[0] is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        edges.append(edge)
    return edges


def _input_edges(inputs, retain=False):
    """Where the gradients of `inputs` arrive in the graph; each input must be a tensor that requires
    grad. retain (backward): as PyTorch does, each input retains its grad (a non-leaf input gets it
    through its retains_grad hook), checked one input after the other."""
    edges = []
    for t in inputs:
        if isinstance(t, GradientEdge):
            edges.append((t.node, t.output_nr))
            continue
        if not isinstance(t, Tensor):
            raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got {type(t).__name__}")
        if retain:
            t.retain_grad()
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        edges.append(t._edge())
    return edges


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """Accumulates into `.grad` of the leaves the gradient of `tensors` (weighted by grad_tensors)."""
    if grad_variables is not None:
        grad_tensors = grad_variables
    if inputs is not None:
        inputs = _inputs_tuple(inputs, "backward")
    outputs = _tensor_tuple(tensors)
    grads = _make_grads(outputs, _grad_tuple(grad_tensors, len(outputs)))
    grads = _cast_to_outputs(outputs, grads, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_edges(outputs, grads)
    input_edges = None if inputs is None else _input_edges(inputs, retain=True)
    if create_graph:  # PyTorch's engine warns once the roots and inputs are checked
        warn_once(CREATE_GRAPH_WARNING, stacklevel=3)
    execute(roots, grads, retain_graph, create_graph, input_edges, accumulate=True)


def _grad_tuple(value, n_outputs):
    """The given gradients as a tuple: None for all `n_outputs` when none are given."""
    if value is None:
        return (None,) * n_outputs
    if isinstance(value, Tensor):
        return (value,)
    return tuple(value)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Returns the gradients of `outputs` with respect to `inputs` without touching any `.grad`."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _tensor_tuple(outputs)
    inputs_tuple = _inputs_tuple(inputs, "grad")
    grads = _make_grads(outputs, _grad_tuple(grad_outputs, len(outputs)))
    grads = _cast_to_outputs(outputs, grads, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_edges(outputs, grads)
    result = execute(roots, grads, retain_graph, create_graph, _input_edges(inputs_tuple), accumulate=False)
    if materialize_grads and any(g is None and isinstance(t, GradientEdge) for t, g in zip(inputs_tuple, result)):
        raise RuntimeError("materialize_grads cannot be used when the given input is a GradientEdge")
    final = []
    for i, (t, g) in enumerate(zip(inputs_tuple, result)):
        if g is None:
            if materialize_grads:
                g = zeros_like(t, requires_grad=create_graph)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
        final.append(g)
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), final))
    return tuple(final)


def _tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Tensor.backward: autograd.backward of this one tensor."""
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


_tensor_backward.__name__, _tensor_backward.__qualname__ = "backward", "Tensor.backward"  # Python's words name it
Tensor.backward = _tensor_backward
