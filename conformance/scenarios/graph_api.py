"""torch.autograd.graph: saved tensors hooks (pack/unpack, nesting, disabling, save_on_cpu, a saved tensor's
own hooks), multi-grad and post-accumulate-grad hooks, gradient edges, increment_version and
allow_mutation_on_saved_tensors."""
from . import scenario


def _hooks(torch, log):
    """A pack/unpack pair that logs what it receives."""
    def pack(t):
        log.append(("pack", t.clone(), t.grad_fn.name() if t.grad_fn is not None else None, t.requires_grad))
        return ("packed", t)

    def unpack(packed):
        log.append(("unpack", packed[0], packed[1].clone()))
        return packed[1]
    return torch.autograd.graph.saved_tensors_hooks(pack, unpack)


@scenario
def saved_tensors_hooks_pack_and_unpack(torch, rec):
    """Every tensor a node saves is packed (inputs, then outputs once they have their grad_fn), and each is
    unpacked once when the node runs, in the order the node saved them."""
    log = []
    a = torch.tensor(rec.data(3), requires_grad=True)
    b = torch.tensor(rec.data(3), requires_grad=True) * 2
    with _hooks(torch, log):
        y = a * b
        z = y.exp()
        w = torch.tensor(rec.data(3)) * a
        u = torch.atan2(y, b)  # saves self and other, each used by both formulas
        v = torch.lerp(a, b, torch.tensor(rec.data(3), requires_grad=True))  # PyTorch packs them by name
        t = torch.addcmul(b, a, b, value=2)
    rec("packed", log)
    log.clear()
    (z.sum() + u.sum() + v.sum() + t.sum()).backward(retain_graph=True)
    rec("unpacked", log)
    rec("a.grad", a.grad)
    log.clear()
    w.sum().backward()
    rec("unpacked (no grad input)", log)


@scenario
def saved_tensors_hooks_saved_attributes(torch, rec):
    """grad_fn._saved_<name> calls the unpack hook; the result takes the saved tensor's place in the graph."""
    a = torch.tensor(rec.data(3), requires_grad=True)
    c = a * 2
    calls = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t.detach(), lambda t: calls.append(1) or t):
        e = c.exp()
        s = a.sin()
        q = c.cos()
    for name, value in (("output", e.grad_fn._saved_result), ("leaf", s.grad_fn._saved_self),
                        ("non-leaf", q.grad_fn._saved_self)):
        rec(name, (value, value is e or value is a or value is c, value.is_leaf, value.requires_grad,
                   value.grad_fn is c.grad_fn))
    rec("unpack calls", len(calls))
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: torch.ones(3)):
        e = c.exp()
    rec("replaced output", e.grad_fn._saved_result)


@scenario
def saved_tensors_hooks_skip_version_check(torch, rec):
    """With hooks, a saved tensor modified in place is not caught: the unpack hook's tensor is used."""
    a = torch.tensor(rec.data(3), requires_grad=True)
    b = a * 1
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = b.sin()
    b.mul_(2)
    rec.raises("backward", lambda: y.sum().backward())
    rec("a.grad", a.grad)
    z = b.sin()
    b.mul_(2)
    rec.raises("without hooks", lambda: z.sum().backward())


@scenario
def saved_tensors_hooks_nesting_and_modes(torch, rec):
    """Only the innermost pair applies; pack runs with grad disabled, unpack in the backward's grad mode."""
    log = []

    def pair(name):
        def pack(t):
            log.append((name, "pack", torch.is_grad_enabled()))
            return t

        def unpack(t):
            log.append((name, "unpack", torch.is_grad_enabled()))
            return t
        return torch.autograd.graph.saved_tensors_hooks(pack, unpack)
    a = torch.tensor(rec.data(3), requires_grad=True)
    with pair("outer"):
        with pair("inner"):
            q = a.sin()
        r = a.cos()
    q.sum().backward()
    torch.autograd.grad(r.sum(), a, create_graph=True)
    rec("log", log)


@scenario
def saved_tensors_hooks_errors(torch, rec):
    a = torch.tensor(rec.data(3), requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
        q = a.sin()
    rec.raises("unpack returns an int", lambda: q.sum().backward())
    rec.raises("saved attribute", lambda: q.grad_fn._saved_self)

    def modifies(t):
        t.add_(1)
        return t
    with torch.autograd.graph.saved_tensors_hooks(modifies, lambda t: t):
        rec.raises("pack modifies its input", lambda: (a * 2).sin())
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t.detach(), lambda t: t):
        e = a.exp()
    e.sum().backward()
    rec.raises("after backward", lambda: e.grad_fn._saved_result)
    rec.raises("backward twice", lambda: e.sum().backward())


@scenario
def disable_saved_tensors_hooks_messages(torch, rec):
    graph = torch.autograd.graph

    def push_inside():
        with graph.disable_saved_tensors_hooks("saved tensors hooks are disabled here"):
            with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass

    def disable_inside():
        with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            with graph.disable_saved_tensors_hooks("cannot disable now"):
                pass

    def nested():
        with graph.disable_saved_tensors_hooks("outer message"):
            with graph.disable_saved_tensors_hooks("inner message"):
                pass
            with graph.save_on_cpu():
                pass
    rec.raises("push inside", push_inside)
    rec.raises("disable inside", disable_inside)
    rec.raises("nested", nested)
    a = torch.tensor(rec.data(2), requires_grad=True)
    with graph.saved_tensors_hooks(lambda t: t, lambda t: t * 0):  # enabled again
        q = a.sin()
    q.sum().backward()
    rec("a.grad", a.grad)


@scenario
def save_on_cpu_round_trip(torch, rec):
    a = torch.tensor(rec.data(3), requires_grad=True)
    b = torch.tensor(rec.data(3), requires_grad=True)
    with torch.autograd.graph.save_on_cpu():
        y = a * b
    with torch.autograd.graph.save_on_cpu(pin_memory=True):
        z = (y * 2).exp()
    rec("saved", (y.grad_fn._saved_self, y.grad_fn._saved_other, z.grad_fn._saved_result))
    z.sum().backward()
    rec("grads", (a.grad, b.grad))


@scenario
def raw_saved_tensor_hooks(torch, rec):
    """grad_fn._raw_saved_<name>.register_hooks: the pack hook gets the tensor detached, once."""
    log = []
    a = torch.tensor(rec.data(3), requires_grad=True)
    e = (a * 2).exp()
    raw = e.grad_fn._raw_saved_result
    rec("unpack_hook before", raw.unpack_hook)
    rec("data before", raw.data)
    raw.register_hooks(lambda t: log.append(("pack", t.requires_grad, t.grad_fn)) or t.clone(),
                       lambda t: log.append("unpack") or t * 10)
    rec("data after", raw.data)
    rec.raises("twice", lambda: raw.register_hooks(lambda t: t, lambda t: t))
    rec("saved result", e.grad_fn._saved_result)
    e.sum().backward()
    rec("a.grad", a.grad)
    rec("log", log)
    rec.raises("after free", lambda: e.grad_fn._raw_saved_result.register_hooks(lambda t: t, lambda t: t))
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        c = a.cos()
    rec.raises("under default hooks", lambda: c.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t))
    x = a * 1
    y = x.sin()
    x.mul_(2)
    y.grad_fn._raw_saved_self.register_hooks(lambda t: t.clone(), lambda t: t)  # set on a modified tensor
    rec.raises("stale with hooks", lambda: y.sum().backward())


@scenario
def saved_tensors_hooks_op_outputs(torch, rec):
    """What an op computes beside its result and its node saves (max_pool2d's indices, nll_loss's total weight,
    layer_norm's mean and rstd) is packed too, after the inputs, as the op's outputs are."""
    log = []
    F = torch.nn.functional
    x = torch.tensor(rec.data(1, 2, 4, 4), requires_grad=True)
    target = torch.tensor([1, 0, -100, 3])
    with _hooks(torch, log):
        F.max_pool2d(x, 2)
        loss = F.nll_loss(x[0, 0], target, weight=torch.tensor(rec.data(4, low=0.5)))
        normed = F.layer_norm(x, (4, 4))
        half = F.layer_norm(x.half(), (4,))
    rec("packed", [entry[:2] + entry[3:] for entry in log])
    rec("total_weight", (loss.grad_fn._saved_total_weight, F.nll_loss(x[0, 0], target)))
    for name, out in (("layer_norm", normed), ("half", half)):
        rec(name, (out.grad_fn._saved_result1, out.grad_fn._saved_result2))
    F.cross_entropy(x[0, 1], target, reduction="none").sum().backward()
    rec("x.grad", x.grad)


@scenario
def custom_function_saved_tensors_hooks(torch, rec):
    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y / x

    log = []
    x = torch.tensor(rec.data(2), requires_grad=True)
    with _hooks(torch, log):
        out = Twice.apply(x)
    rec("packed", log)
    log.clear()
    rec("saved", [t.grad_fn.name() if t.grad_fn is not None else None for t in out.grad_fn.saved_tensors])
    out.sum().backward()
    rec("unpacked", log)
    rec("x.grad", x.grad)


@scenario
def multi_grad_hook_all(torch, rec):
    calls = []
    a = torch.tensor(rec.data(3), requires_grad=True)
    b = torch.tensor(rec.data(3), requires_grad=True)
    c = a * b
    d = a * b
    handle = torch.autograd.graph.register_multi_grad_hook((a, b, c, d), lambda grads: calls.append(list(grads)))
    c.sum().backward(retain_graph=True)
    c.sum().backward(inputs=(a,), retain_graph=True)
    (c.sum() + d.sum()).backward(retain_graph=True)
    torch.autograd.grad(c.sum(), (c,), retain_graph=True)
    rec.raises("grad of a leaf", lambda: torch.autograd.grad(c.sum(), (a,), retain_graph=True))
    rec("calls", calls)
    calls.clear()
    handle.remove()
    c.sum().backward()
    rec("after remove", calls)
    rec.raises("bad mode", lambda: torch.autograd.graph.register_multi_grad_hook((a,), print, mode="some"))
    rec.raises("no grad tensor", lambda: torch.autograd.graph.register_multi_grad_hook((a, torch.ones(1)), print))


@scenario
def multi_grad_hook_any_and_order(torch, rec):
    calls = []
    a = torch.tensor(rec.data(3), requires_grad=True)
    b = torch.tensor(rec.data(3), requires_grad=True)
    c = a * b
    d = a * b
    handle = torch.autograd.graph.register_multi_grad_hook((a, b, c, d, torch.ones(1)), calls.append, mode="any")
    (c.sum() + d.sum() * 2).backward(retain_graph=True)
    c.sum().backward(retain_graph=True)
    rec("any", calls)
    rec("handles", len(handle.handles))
    order = []
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * 2
    z = y * 3
    y.register_hook(lambda g: order.append("y first"))
    torch.autograd.graph.register_multi_grad_hook((y, z), lambda gs: order.append("multi"))
    y.register_hook(lambda g: order.append("y second"))
    z.register_hook(lambda g: order.append("z"))
    z.sum().backward()
    rec("order", order)


@scenario
def post_accumulate_grad_hook(torch, rec):
    order = []
    x = torch.tensor(rec.data(2), requires_grad=True)
    out = x * 3
    acc = out.grad_fn.next_functions[0][0]
    acc.register_hook(lambda gi, go: order.append(("node post", gi, go)))
    acc.register_prehook(lambda go: order.append(("node pre", go)))
    x.register_hook(lambda g: order.append(("tensor", g)))
    handle = x.register_post_accumulate_grad_hook(lambda t: order.append(("post accumulate", t is x, t.grad.clone())))
    out.sum().backward(retain_graph=True)
    out.sum().backward(retain_graph=True)
    torch.autograd.grad(out.sum(), x, retain_graph=True)
    rec("order", order)
    order.clear()
    handle.remove()
    out.sum().backward()
    rec("after remove", order)
    rec.raises("non-leaf", lambda: out.register_post_accumulate_grad_hook(lambda t: None))
    rec.raises("no grad", lambda: torch.ones(1).register_post_accumulate_grad_hook(lambda t: None))
    q = torch.tensor(rec.data(2), requires_grad=True)
    q.register_post_accumulate_grad_hook(lambda t: 5)
    rec.raises("returns an int", lambda: (q * 1).sum().backward())
    r = torch.tensor(rec.data(2), requires_grad=True)
    r.register_post_accumulate_grad_hook(lambda t: t * 2)
    rec.raises("returns a tensor", lambda: (r * 1).sum().backward())


@scenario
def gradient_edges(torch, rec):
    graph = torch.autograd.graph
    a = torch.tensor(rec.data(3), requires_grad=True)
    b = torch.tensor(rec.data(3), requires_grad=True)
    edge = graph.get_gradient_edge(a)
    rec("leaf edge", (type(edge).__name__, edge.node.name(), edge.output_nr, edge.ownership_token, len(edge),
                      isinstance(edge.node, graph.Node)))
    c = a * b
    parts = c.unbind()
    e2 = graph.get_gradient_edge(parts[1])
    rec("output edge", (e2.node.name(), e2.output_nr, e2.node is parts[1].grad_fn))
    rec("same accumulator", graph.get_gradient_edge(a).node is c.grad_fn.next_functions[0][0])
    rec.raises("no grad", lambda: graph.get_gradient_edge(torch.ones(1)))
    out = (c * 2).sum()
    rec("grad wrt edge", torch.autograd.grad(out, graph.get_gradient_edge(c), retain_graph=True))
    rec("grad wrt leaf edge", torch.autograd.grad(out, (graph.get_gradient_edge(a), b), retain_graph=True))
    rec("grad of an edge", torch.autograd.grad(graph.get_gradient_edge(c), a, grad_outputs=torch.ones(3),
                                               retain_graph=True))
    rec("edge built by hand", torch.autograd.grad(out, graph.GradientEdge(c.grad_fn, 0), retain_graph=True))
    out.backward(inputs=[graph.get_gradient_edge(a)], retain_graph=True)
    rec("backward inputs edge", (a.grad, b.grad))
    rec.raises("materialize", lambda: torch.autograd.grad(out, (graph.get_gradient_edge(a), graph.GradientEdge(
        parts[0].grad_fn, 0)), materialize_grads=True, retain_graph=True))

    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    token = graph.get_gradient_edge(Double.apply(a)).ownership_token
    rec("custom function token", token.name())


@scenario
def increment_version_counts(torch, rec):
    t = torch.ones(2)
    before = t._version
    torch.autograd.graph.increment_version(t)
    torch.autograd.graph.increment_version([t, t])
    rec("versions", (before, t._version))
    with torch.inference_mode():
        it = torch.ones(2)
    rec.raises("inference", lambda: torch.autograd.graph.increment_version(it))
    rec.raises("inference version", lambda: it._version)
    rec.raises("not a tensor", lambda: torch.autograd.graph.increment_version(3))
    a = torch.tensor(rec.data(3), requires_grad=True)
    z = a * 1
    s = z.sin()
    torch.autograd.graph.increment_version(z)
    rec.raises("backward", lambda: s.sum().backward())


@scenario
def allow_mutation_on_saved_tensors_clones(torch, rec):
    graph = torch.autograd.graph
    with graph.allow_mutation_on_saved_tensors() as ctx:
        a = torch.tensor(rec.data(2, 3), requires_grad=True)
        b = a.clone()
        out = (b ** 2).sum()
        b.sin_()
        rec("kept", (type(ctx).__name__, len(ctx.cloned), len(ctx.original)))
        out.backward()
        rec("grad", a.grad)
        e = (a * 3).exp()
        f = e.sum()
        e.mul_(2)
        x = a * 2
        v = x[:1]
        z = (v * v).sum()
        x.mul_(3)  # the base of a saved view
        w = torch.zeros(3)
        y = a[0] * w
        w.copy_(torch.ones(3))
        with torch.no_grad():
            a2 = a * 1
        g = (a2 * a).sum()
        a2[0] = 5.0
        rec("grads", torch.autograd.grad(f + z + y.sum() + g, a))
    rec("cleared", (len(ctx.cloned), len(ctx.original)))
    rec.raises("outside", lambda: (a * 1).sum().backward())
    with graph.allow_mutation_on_saved_tensors():
        p = torch.tensor(rec.data(2), requires_grad=True)
        q = (p * p).sum()
    rec.raises("backward outside", lambda: q.backward())

    def nested():
        with graph.allow_mutation_on_saved_tensors():
            with graph.allow_mutation_on_saved_tensors():
                pass
    rec.raises("nested", nested)


@scenario
def compile_and_stream_knobs(torch, rec):
    graph = torch.autograd.graph
    for budget in (0.5, "x", True, 1.5):
        rec.raises(f"budget {budget!r}", lambda: graph.region_activation_memory_budget(budget))
    for setter in (graph.set_warn_on_accumulate_grad_stream_mismatch, graph.set_override_stale_capture_stream):
        rec.raises(setter.__name__, lambda: setter(False))
        rec.raises(setter.__name__ + " not a bool", lambda: setter(1))
    rec("names", sorted(graph.__all__))


@scenario
def node_base_class(torch, rec):
    a = torch.tensor(rec.data(3), requires_grad=True)
    b = a.clone()
    Node = torch.autograd.graph.Node
    rec("isinstance", (isinstance(b.grad_fn, Node), isinstance(b.grad_fn.next_functions[0][0], Node),
                       isinstance(a, Node), hasattr(torch.autograd, "Node")))
    rec("name", (b.grad_fn.name(), b.grad_fn.next_functions[0][0].name(), b.grad_fn.metadata))
    handle = b.grad_fn.register_hook(lambda gi, go: (go[0] * 2,))
    b.sum().backward(retain_graph=True)
    rec("hooked", a.grad)
    handle.remove()
    a.grad = None
    pre = b.grad_fn.register_prehook(lambda go: (go[0] * 3,))
    b.sum().backward(retain_graph=True)
    rec("prehooked", a.grad)
    pre.remove()
