"""The backward engine: runs the graph from the roots towards the leaves.

As in PyTorch's engine:
1. count, for every node reachable from the roots, how many edges lead into it;
2. when only some inputs are wanted (autograd.grad, backward(inputs=...)), mark the nodes
   that lead to them and run only those (a lone root is still evaluated: its tensor hooks run);
3. run ready nodes latest-created first (AccumulateGrad before anything else), adding each
   node's output gradients into the input buffers of its next functions;
4. before a node runs, apply the tensor hooks of its outputs and store retained grads;
   after it runs, reduce each gradient to its input's shape and dtype (`sum_to`, done once
   here, from refgrad/_formulas.py), and free its saved tensors unless the graph is retained;
5. AccumulateGrad keeps a leaf's first gradient when nothing but the engine holds it and it has
   the leaf's layout (PyTorch's use_count check, read here with sys.getrefcount), and copies it
   otherwise; later gradients are added in place.
"""
import itertools
import sys
from heapq import heappop, heappush

import numpy as np

from .._formulas import sum_to
from .._fp import quietly
from .._tensor import Tensor
from .._warn import warn_once
from . import anomaly_mode, grad_mode
from .graph import TASK, AccumulateGrad, Node

__all__ = ["execute"]

_task_ids = itertools.count()


class GraphRoot(Node):
    """Hands the initial gradients to the roots."""

    __slots__ = ("grads",)

    def __init__(self, edges, grads):
        Node.__init__(self, tuple(edges))
        self.grads = grads

    def apply(self, grads):
        return self.grads

    def name(self):
        return "torch::autograd::GraphRoot"


def execute(roots, grads, keep_graph, create_graph, inputs=None, accumulate=True):
    """Backpropagates `grads` from `roots` (edges); returns the gradients captured at `inputs`.

    inputs: edges whose gradient is wanted, or None for a plain backward. With
    accumulate=False (autograd.grad) the gradients arriving at those edges are captured and no
    AccumulateGrad runs. With accumulate=True (backward(inputs=...)) the nodes of those edges run:
    the AccumulateGrad of wanted leaves, the node of a wanted non-leaf (whose retains_grad hook,
    set by the caller, stores its grad).
    """
    root = GraphRoot(roots, grads)
    dependencies = _count_dependencies(root)
    captures = {}
    must_run = set()
    for i, (node, nr) in enumerate(inputs or ()):
        if accumulate:
            must_run.add(node)
        elif node is not None:
            captures.setdefault(node, []).append((nr, i))
    needed = _exec_info(root, captures, must_run) if inputs is not None else None
    results = [None] * len(inputs or ())
    outer_task, TASK.current = TASK.current, _GraphTask(dependencies, needed, captures)
    try:
        _run(root, dependencies, captures, results, needed, keep_graph, create_graph)
    finally:
        TASK.current = outer_task
    return results


class _GraphTask:
    """What register_multi_grad_hook asks about the running backward (graph.TASK)."""

    __slots__ = ("id", "nodes", "needed", "captures")

    def __init__(self, nodes, needed, captures):
        self.id = next(_task_ids)
        self.nodes = nodes
        self.needed = needed
        self.captures = captures


def _run(root, dependencies, captures, results, needed, keep_graph, create_graph):
    """Runs the ready nodes, latest created first, from the root."""

    buffers = {}
    order = itertools.count()
    ready = []
    node = root
    prev = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph and not grad_mode.state.inference  # inference mode records nothing
    try:
        while node is not None:
            if anomaly_mode.state.enabled:
                outputs = _outputs_in_anomaly_mode(node, root, buffers, captures, results, needed, keep_graph,
                                                   create_graph)
            else:
                outputs = _node_outputs(node, root, buffers, captures, results, needed, keep_graph, create_graph)
            # SHORTCUT of the ready heap: the one node this step made ready while none waits runs next
            # without it (it would come out of the heap first anyway)
            pending = None
            for (next_node, nr), g in zip(node.next_functions, outputs):
                if next_node is None:
                    continue
                if g is not None:
                    buf = buffers.get(next_node)
                    if buf is None:
                        buffers[next_node] = [None] * nr + [g] if nr else [g]
                    else:
                        if len(buf) <= nr:
                            buf.extend([None] * (nr + 1 - len(buf)))
                        _sum_into(buf, nr, g)
                left = dependencies[next_node] - 1
                dependencies[next_node] = left
                if not left:
                    if pending is None and not ready:
                        pending = next_node
                        continue
                    if pending is not None:
                        heappush(ready, (-pending._seq, next(order), pending))
                        pending = None
                    heappush(ready, (-next_node._seq, next(order), next_node))
            outputs = g = buf = None  # hold no gradient while the next node runs (see _is_unshared)
            node = pending if pending is not None else heappop(ready)[2] if ready else None
    finally:
        grad_mode.state.enabled = prev


def _sum_into(buf, nr, g):
    """PyTorch's InputBuffer::accumulate of a second gradient for one input: in place into the first when
    nothing else holds it or its memory (so its version counts the add), else into the second likewise, else
    out of place; always out of place under create_graph (grad mode on)."""
    old = buf[nr]
    if old is None:
        buf[nr] = g
        return
    if grad_mode.state.enabled or old._data.shape != g._data.shape:
        buf[nr] = old + g
        return
    old_refs = sys.getrefcount(old)
    g_refs = sys.getrefcount(g)
    if _sole_buffer(old, old_refs <= _BUFFER_REFS[0]):
        _add_in_place(old, g)
    elif _sole_buffer(g, g_refs <= _BUFFER_REFS[1]):
        _add_in_place(g, old)
        buf[nr] = g
    else:
        buf[nr] = old + g


def _sole_buffer(t, engine_only):
    """Is t held only by the engine (`engine_only`, from its reference count) and its array by t alone, dense
    and writable: PyTorch's can_accumulate_inplace (use counts of the tensor and its storage)?"""
    return (engine_only and t._data.base is None and sys.getrefcount(t._data) <= 2 and
            t._data.flags.writeable and not t._zt and _is_dense(t._data))


@quietly  # inf + -inf is NaN silently, as PyTorch's
def _add_in_place(into, other):
    np.add(into._data, other._data, out=into._data, casting="unsafe")
    into._vc.value += 1


def _buffer_refs():
    """The references _sum_into sees to a gradient only the engine holds: the buffer's slot and `old`, or the
    node's outputs, the loop's `g` and the parameter (measured the way _run calls it)."""
    counts = []

    def measure(buf, nr, g):
        old = buf[nr]
        old_refs = sys.getrefcount(old)
        g_refs = sys.getrefcount(g)
        counts.append((old_refs, g_refs))
    outputs = [object()]
    for (_, nr), g in zip([(None, 0)], outputs):  # zip keeps its last tuple (and g) for reuse, as in _run
        measure([object()], nr, g)
    return counts[0]


_BUFFER_REFS = _buffer_refs() if hasattr(sys, "getrefcount") else (0, 0)


def _node_outputs(node, root, buffers, captures, results, needed, keep_graph, create_graph):
    """Runs one ready node on its input buffer: tensor hooks and captures first, then the node and
    its post hooks. Returns the gradients for its next_functions, checked and reduced to its inputs'
    metadata (none for a sink or a node that need not run)."""
    if node is root:
        return root.grads
    grads = buffers.pop(node, None) or [None]
    if needed is not None and not needed[node]:
        # a node that only captures, or the lone root (PyTorch's graph root when there is one root edge, so
        # it is evaluated even when it leads nowhere wanted): the tensor hooks run, then the capture, no node
        if node in captures or _is_lone_root(node, root):
            grads = _call_tensor_hooks(node, grads, with_node_hooks=False)
            if node in captures:
                _capture(node, grads, captures, results)
        return ()
    if captures and node in captures:
        _capture(node, grads, captures, results)  # before the tensor's own hooks, as PyTorch does
    if node._hooks is not None or type(node) is AccumulateGrad and node.variable._hooks:
        grads = _call_tensor_hooks(node, grads)
    if type(node) is AccumulateGrad:
        if grads and grads[0] is not None and node.variable.requires_grad:
            _accumulate_into(node.variable, grads[0], create_graph)
            if node.variable._post_acc_hooks:
                _call_post_accumulate_hooks(node.variable)
        outputs = ()
    else:
        outputs = _validate_outputs(node, node.apply(tuple(grads)))
    if node._hooks is not None:
        for hook in list(node._hooks.post.values()):
            new = hook(tuple(outputs), tuple(grads))
            if new is not None:
                outputs = tuple(_node_hook_results(hook, outputs, new))
    if not keep_graph:
        node.release()  # saved tensors are freed as soon as the node has run
    return outputs


def _outputs_in_anomaly_mode(node, root, *args):
    """_node_outputs in anomaly mode: the node is the parent of the nodes it makes, its outputs are checked
    for NaN, and when it fails its forward traceback is given as a warning before the error goes on. The root
    of a lone root edge does not run as a node (PyTorch skips it)."""
    state = anomaly_mode.state
    if node is root and len(root.next_functions) == 1:
        return root.grads
    parent, state.node = state.node, node
    try:
        outputs = _node_outputs(node, root, *args)
        if state.check_nan:
            for i, g in enumerate(outputs):
                if g is not None and g._data.dtype.kind in "fc" and np.isnan(g._data).any():
                    raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
        return outputs
    except Exception:
        anomaly_mode.warn_failed(node)
        raise
    finally:
        state.node = parent


def _is_lone_root(node, root):
    """Is `node` the one root of the graph? PyTorch then skips the dummy root node and evaluates it first."""
    edges = root.next_functions
    return len(edges) == 1 and edges[0][0] is node


def _capture(node, grads, captures, results):
    """Stores the gradients arriving at a wanted edge (autograd.grad's results)."""
    for nr, i in captures[node]:
        results[i] = grads[nr] if nr < len(grads) else None


def _count_dependencies(root):
    """node -> how many edges lead into it, for every node reachable from the root."""
    dependencies = {}
    stack = [root]
    while stack:
        for next_node, _ in stack.pop().next_functions:
            if next_node is None:
                continue
            if next_node in dependencies:
                dependencies[next_node] += 1
            else:
                dependencies[next_node] = 1
                stack.append(next_node)
    return dependencies


def _exec_info(root, captures, must_run):
    """node -> whether it must run: it is a wanted AccumulateGrad or leads to a wanted edge."""
    needed = {}
    stack = [(root, iter(root.next_functions))]
    while stack:
        node, edges = stack[-1]
        for next_node, _ in edges:
            if next_node is not None and next_node not in needed:
                stack.append((next_node, iter(next_node.next_functions)))
                break
        else:
            stack.pop()
            needed[node] = node in must_run or any(
                n is not None and (n in captures or needed[n]) for n, _ in node.next_functions)
    return needed


def _call_tensor_hooks(node, grads, with_node_hooks=True):
    """Tensor hooks, then retained grads, then the node's own pre-hooks (PyTorch's order)."""
    if isinstance(node, AccumulateGrad):
        hooks = node.variable._hooks
        if hooks:
            grads = list(grads)
            for hook in list(hooks.values()):
                grads[0] = _tensor_hook_result(hook, grads[0], hook(grads[0]))
    node_hooks = node._hooks
    if node_hooks is None:
        return grads
    if node_hooks.tensor_pre:
        grads = list(grads)
        for nr, hooks in node_hooks.tensor_pre.items():
            if nr >= len(grads):  # an output that got no gradient (a split's other piece): its hooks see None
                grads.extend([None] * (nr + 1 - len(grads)))
            for hook in list(hooks.values()):
                grads[nr] = _tensor_hook_result(hook, grads[nr], hook(grads[nr]))
    for nr, ref in node_hooks.retains_grad.items():
        tensor = ref()
        if tensor is not None and nr < len(grads) and grads[nr] is not None:
            _retain(tensor, grads[nr])
    if not with_node_hooks:
        return grads
    for hook in list(node_hooks.pre.values()):
        new = hook(tuple(grads))
        if new is not None:
            grads = _node_hook_results(hook, grads, new)
    return grads


def _call_post_accumulate_hooks(tensor):
    """Tensor.register_post_accumulate_grad_hook's hooks: hook(tensor) once .grad holds the sum; they return None."""
    for hook in list(tensor._post_acc_hooks.values()):
        result = hook(tensor)
        if result is not None:
            if not isinstance(result, Tensor):
                raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def _tensor_hook_result(hook, old, new):
    """A tensor hook's result: None keeps the gradient, a tensor replaces it (checked)."""
    if new is not None and old is None:
        raise RuntimeError("can't replace a None gradient with a non-None value")
    return old if new is None else _checked(hook, old, new)


def _node_hook_results(hook, old, new):
    """A node hook's results, one per gradient: None drops that gradient, a tensor replaces it (checked)."""
    if not isinstance(new, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(new).__name__}'")
    if len(new) != len(old):
        raise RuntimeError(f"hook '{_hook_name(hook)}' has returned an incorrect number of values "
                           f"(got {len(new)}, but expected {len(old)})")
    results = []
    for o, n in zip(old, new):
        if n is not None and o is None:
            raise RuntimeError("can't replace a None gradient with a non-None value")
        results.append(None if n is None else _checked(hook, o, n))
    return results


def _checked(hook, old, new):
    """PyTorch's check of a hook's replacement gradient: a tensor of the same type and size."""
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    if old.type() != new.type():
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the type of value (was {old.type()} got "
                           f"{new.type()})")
    if old._data.shape != new._data.shape:
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the size of value")
    return new


def _hook_name(hook):
    return getattr(hook, "__name__", "<unknown>")


def _validate_outputs(node, outputs):
    """Reduces each gradient to its input's shape, dtype and device."""
    n = len(node.next_functions)
    if len(outputs) != n:
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients (expected {n}, "
                           f"got {len(outputs)})")
    meta = node._input_meta
    if not meta:
        return outputs
    fixed = None
    for i, (g, m) in enumerate(zip(outputs, meta)):
        if g is None or m is None:
            continue
        shape, dtype, device = m
        if g._data.shape == shape and g._dtype is dtype and g._device is device:
            continue  # the common case: nothing to reduce or cast
        if fixed is None:
            fixed = list(outputs)
        if g._data.shape != shape:
            if not _expandable(shape, g._data.shape):
                raise RuntimeError(
                    f"Function {node.name()} returned an invalid gradient at index {i} - got "
                    f"[{', '.join(map(str, g._data.shape))}] but expected shape compatible with "
                    f"[{', '.join(map(str, shape))}]")
            g = sum_to(g, shape)
        if g._dtype is not dtype:
            g = g.to(dtype)
        if g._device is not device and g._device != device:
            g = g.to(device)
        fixed[i] = g
    return outputs if fixed is None else fixed


def _expandable(shape, to):
    """Can a tensor of `shape` be broadcast to `to`?"""
    if len(shape) > len(to):
        return False
    for a, b in zip(reversed(shape), reversed(to)):
        if a != b and a != 1:
            return False
    return True


def _retain(tensor, grad):
    """The retains_grad hook of a non-leaf: a clone of the first gradient, later ones added out of place."""
    tensor._grad = grad.clone() if tensor._grad is None else tensor._grad + grad


def _accumulate_into(tensor, grad, create_graph):
    """AccumulateGrad: the first gradient is stored, later ones are added (in place unless create_graph).
    A leaf that stopped requiring grad (detach_(), requires_grad_(False)) keeps its .grad. A leaf that got
    a grad_fn since the graph was recorded (a view whose base was then modified in place) is refused, as
    PyTorch's AccumulateGrad does when it runs."""
    if tensor.grad_fn is not None:
        raise RuntimeError("leaf variable has been moved into the graph interior")
    if not tensor.requires_grad:
        return
    if create_graph:
        if tensor._grad is None:
            tensor._grad = _copy_like(grad, tensor, create_graph)
        else:
            tensor._grad = tensor._grad + grad  # laid out as TensorIterator lays out a sum (add's Rule.layout)
            _check_layout_contract(tensor._grad, tensor, "sum")
    elif tensor._grad is None:
        if _is_unshared(grad) and grad._data.flags.writeable and (
                not grad_mode.state.layout_enforced or _obeys_layout_contract(grad._data, tensor._data)):
            tensor._grad = grad.detach()  # PyTorch keeps a gradient nothing else holds (a view shares its data)
        else:
            tensor._grad = _copy_like(grad, tensor, create_graph)
    else:  # in place even when .grad requires grad (create_graph made it): PyTorch keeps its grad_fn
        with grad_mode.no_grad():
            tensor._grad.add_(grad)
        _check_layout_contract(tensor._grad, tensor, "in_place")


def _check_layout_contract(grad, variable, site):
    """PyTorch warns when a sum of gradients does not have its parameter's layout: once for the sum in place,
    once for the sum under create_graph (a TORCH_WARN_ONCE each), whatever their sizes; not at all when
    enforce_grad_layout_policy(False) relaxes the contract."""
    if grad_mode.state.layout_enforced and not _obeys_layout_contract(grad._data, variable._data):
        def layout(a):
            return f"sizes() = {list(a.shape)}, strides() = {[s // a.itemsize for s in a.strides]}"
        warn_once("grad and param do not obey the gradient layout contract. This is not an error, but may impair "
                  f"performance.\ngrad.{layout(grad._data)}\nparam.{layout(variable._data)}",
                  site=("layout contract", site))


def _refs_in_callee(obj):
    return sys.getrefcount(obj)


def _fresh_refs():
    """The references to a gradient that only the engine holds, seen from _accumulate_into: its slot in
    the node's gradient list, the parameter, getrefcount's argument (measured: Python versions differ)."""
    holder = [object()]
    return _refs_in_callee(holder[0])


_ENGINE_REFS = _fresh_refs() if hasattr(sys, "getrefcount") else 0


def _is_unshared(grad):
    """Does nothing but the engine hold `grad`? PyTorch's AccumulateGrad asks the same (its use_count)
    before it keeps a first gradient instead of copying it. Called from _accumulate_into only."""
    return sys.getrefcount(grad) - 1 <= _ENGINE_REFS  # - 1: this function's own parameter


def _obeys_layout_contract(grad, variable):
    """PyTorch's gradient layout contract: a dense variable's gradient has its strides (those of size-1
    dims aside, which must not be 0); another variable's is contiguous. Arrays of the same dtype."""
    if not grad.size:  # PyTorch's strides of an empty gradient are its variable's; NumPy's may be anything
        return True
    if not _is_dense(variable):
        return grad.flags.c_contiguous
    for size, stride, var_stride in zip(grad.shape, grad.strides, variable.strides):
        if (stride != var_stride) if size != 1 else stride == 0:
            return False
    return True


def _is_dense(data):
    """Non-overlapping and dense: the elements fill their memory without gaps, in some dim order. An empty
    tensor is (PyTorch's strides of a size-0 dim never matter; NumPy's may be anything)."""
    if not data.size:
        return True
    expected = data.itemsize
    for stride, size in sorted((abs(st), sz) for st, sz in zip(data.strides, data.shape) if sz != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def _copy_like(grad, variable, create_graph):
    """A copy of the gradient that obeys the layout contract (PyTorch's clone_obey_contract): into the
    variable's layout when it is dense (empty_strided(...).copy_(grad): its version is 1, CopyBackwards
    under create_graph), else a row-major clone (version 0, CloneBackward0)."""
    if not _is_dense(variable._data):
        copy = grad.clone()
        copy._data = np.ascontiguousarray(copy._data)
        return copy
    if create_graph:
        layout = Tensor._make(np.zeros_like(variable._data, dtype=grad._data.dtype), grad._dtype, grad._device)
        return layout.copy_(grad)
    data = np.empty_like(variable._data, dtype=grad._data.dtype)
    np.copyto(data, grad._data)
    copy = Tensor._make(data, grad._dtype, grad._device)
    copy._vc.value = 1
    return copy
