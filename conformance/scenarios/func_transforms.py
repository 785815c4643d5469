"""torch.func's vmap, functional_call and linearize: in_dims and out_dims over pytrees, non-tensor arguments,
nesting with itself and with grad/jacrev/jacfwd (per-sample gradients), chunk_size, randomness, and their
argument errors; a module called with swapped parameters and buffers, strict keys, tied weights.

refgrad's vmap runs the function once per slice and stacks the results, so an output that requires grad
has StackBackward0 where PyTorch has the batched op's node: those outputs are recorded detached, with
their requires_grad apart (README, "Known differences from PyTorch")."""
import collections

from . import scenario

Pair = collections.namedtuple("Pair", "first second")


def _lists(value):
    """dicts as [key, value] lists (the recorder shows a dict by its repr), recursively."""
    if isinstance(value, dict):
        return [[k, _lists(v)] for k, v in value.items()]
    if isinstance(value, (tuple, list)):
        return [_lists(v) for v in value]
    return value


def _detached(rec, name, value):
    """value's values, shape and dtype, and whether it requires grad, but not its grad_fn."""
    rec(name, value.detach())
    rec(f"{name}.requires_grad", value.requires_grad)


@scenario(dtypes=("float32", "float64"))
def vmap_dims(torch, rec):
    vmap = torch.func.vmap
    x, y = rec.tensor(2, 3), rec.tensor(3)
    rec("sin", vmap(torch.sin)(x))
    rec("in_dim_1", vmap(torch.sin, in_dims=1)(x))
    rec("in_dim_negative", vmap(lambda a: a * 2, in_dims=-1)(x))
    rec("broadcast_none", vmap(torch.mul, in_dims=(0, None))(x, y))
    rec("outer", vmap(torch.mul, in_dims=(None, 0))(y, x))
    rec("out_dim_1", vmap(lambda a: a.exp(), out_dims=1)(x))
    rec("out_dim_negative", vmap(lambda a: a.exp(), out_dims=-1)(x))
    rec("tuple_out_dims", vmap(lambda a: (a, a.sum()), out_dims=(1, 0))(x))
    rec("nested_out_dims", vmap(lambda a: [a, {"k": a * 2}], out_dims=[0, {"k": 1}])(x))
    rec("dict_in_out", vmap(lambda d: {"s": d["a"] + d["b"]})({"a": x, "b": x.cos()})["s"])
    rec("dict_in_dims", vmap(lambda d, z: d["a"] * z, in_dims=({"a": 1}, None))({"a": x.t()}, y))
    rec("nested_tuple_in_dims", vmap(lambda p: p[0] + p[1], in_dims=((0, None),))((x, y)))
    rec("non_tensor_arg", vmap(lambda a, s: a * s, in_dims=(0, None))(x, 2.5))
    rec("kwargs_unmapped", vmap(lambda a, b=None: a + b)(x, b=y))
    rec("unbatched_output", vmap(lambda a: y * 2)(x))
    rec("unbatched_output_out_dims_none", vmap(lambda a: (a, y), out_dims=(0, None))(x))
    rec("non_tensor_output_out_dims_none", vmap(lambda a: (a, 3), out_dims=(0, None))(x))
    rec("namedtuple_out", vmap(lambda a: Pair(a, a * 2))(x))
    rec("namedtuple_out_type", type(vmap(lambda a: Pair(a, a * 2))(x)).__name__)
    rec("namedtuple_in", vmap(lambda p: p.first + p.second)(Pair(x, x.exp())))
    rec("return_types_out", vmap(lambda a: a.max(0))(x))
    rec("integer", vmap(lambda a: a.sum())(torch.arange(6).reshape(2, 3)))
    rec("reduce", vmap(lambda a: (a.softmax(0) * a).sum())(x))
    rec("matmul", vmap(torch.mv, in_dims=(None, 0))(rec.tensor(4, 3), x))
    rec("nested", vmap(vmap(torch.mul))(x, x.exp()))
    rec("torch_vmap", torch.vmap(torch.mul, in_dims=(0, None))(x, y[0]))  # torch.vmap is torch.func.vmap
    rec("nested_in_dims", vmap(vmap(torch.mul, in_dims=(0, None)), in_dims=(None, 0))(y, x))
    rec("chunk_size", vmap(torch.sin, chunk_size=1)(rec.tensor(3, 2)))
    rec("chunk_size_large", vmap(torch.sin, chunk_size=5)(rec.tensor(3, 2)))
    rec("name", vmap(torch.sin).__name__)
    empty = rec.tensor(0, 3)
    rec("empty", vmap(torch.sin)(empty))
    rec("empty_out_dim_1", vmap(torch.sin, out_dims=1)(empty))
    rec("empty_reduction", vmap(lambda a: a.sum())(empty))
    rec("empty_integer", vmap(lambda a: a * 2)(torch.zeros(3, 0, dtype=torch.int32)))
    rec("empty_tuple", vmap(lambda a, b: (a * b, b), in_dims=(0, None), out_dims=(0, None))(empty, y))
    _detached(rec, "empty_requires_grad", vmap(torch.sin)(rec.tensor(0, 3, requires_grad=True)))
    z = x.clone()
    rec("in_place_on_the_input", (vmap(lambda a: a.mul_(2))(z), z))


@scenario(dtypes=("float32",))
def vmap_errors(torch, rec):
    vmap = torch.func.vmap
    x = rec.tensor(2, 3)

    def returns_a_string(a):
        return "x"

    rec.raises("batch_sizes", lambda: vmap(torch.add)(x, torch.ones(3, 3)))
    rec.raises("batch_sizes_three", lambda: vmap(lambda a, b, c: a)(x, torch.ones(3, 3), torch.ones(4)))
    rec.raises("returns_int", lambda: vmap(lambda a: 3)(x))
    rec.raises("returns_none", lambda: vmap(lambda a: None)(x))
    rec.raises("returns_a_string", lambda: vmap(returns_a_string)(x))
    rec.raises("returns_tuple_with_int", lambda: vmap(lambda a: (a, 3))(x))
    rec.raises("in_dim_too_large", lambda: vmap(torch.sin, in_dims=2)(x))
    rec.raises("in_dim_too_small", lambda: vmap(torch.sin, in_dims=-3)(x))
    rec.raises("in_dim_of_0d", lambda: vmap(torch.sin)(torch.tensor(1.0)))
    rec.raises("in_dims_str", lambda: vmap(torch.sin, in_dims="a")(x))
    rec.raises("in_dims_float", lambda: vmap(torch.sin, in_dims=1.0)(x))
    rec.raises("in_dims_list", lambda: vmap(torch.add, in_dims=[0, 0])(x, x))
    rec.raises("in_dims_dict", lambda: vmap(torch.sin, in_dims={"a": 0})(x))
    rec.raises("in_dims_too_short", lambda: vmap(torch.add, in_dims=(0,))(x, x))
    rec.raises("in_dims_too_long", lambda: vmap(lambda a: a, in_dims=(0, None, 0))(x))
    rec.raises("in_dims_nested_mismatch", lambda: vmap(lambda a: a, in_dims=((0, 0),))(x))
    rec.raises("in_dims_dict_keys", lambda: vmap(lambda d, z: d["a"], in_dims=({"b": 0}, None))({"a": x}, x))
    rec.raises("in_dims_vs_namedtuple", lambda: vmap(lambda p: p.first, in_dims=((0,),))(Pair(x, x)))
    rec.raises("out_dims_vs_return_type", lambda: vmap(lambda a: a.max(0), out_dims=(0, 0, 0))(x))
    rec.raises("in_dims_str_leaf", lambda: vmap(torch.add, in_dims=(0, "a"))(x, x))
    rec.raises("all_none", lambda: vmap(torch.add, in_dims=(None, None))(x, x))
    rec.raises("no_inputs", lambda: vmap(lambda: torch.ones(1))())
    rec.raises("mapped_float", lambda: vmap(lambda a, s: a * s)(x, 2.0))
    rec.raises("mapped_none", lambda: vmap(lambda a, b: a, in_dims=(0, 0))(x, None))
    rec.raises("mapped_int_in_tuple", lambda: vmap(lambda a, b: a, in_dims=(0, (None, 0)))(x, (1, 2)))
    rec.raises("out_dim_too_large", lambda: vmap(lambda a: a * 2, out_dims=2)(x))
    rec.raises("out_dims_too_short", lambda: vmap(lambda a: (a, a), out_dims=(0,))(x))
    rec.raises("out_dims_list_vs_dict", lambda: vmap(lambda a: [a, {"k": a}], out_dims=(0,))(x))
    rec.raises("out_dims_str", lambda: vmap(lambda a: a, out_dims="a")(x))
    rec.raises("out_dims_none_batched", lambda: vmap(lambda a: a, out_dims=None)(x))
    rec.raises("empty_returns_int", lambda: vmap(lambda a: 3)(torch.ones(0, 3)))
    rec.raises("empty_batch_sizes", lambda: vmap(torch.mul)(torch.ones(0, 3), torch.ones(3)))
    rec.raises("chunk_size_0", lambda: vmap(torch.sin, chunk_size=0))
    rec.raises("chunk_size_negative", lambda: vmap(torch.sin, chunk_size=-1))
    rec.raises("chunk_size_float", lambda: vmap(torch.sin, chunk_size=1.5)(x))
    rec.raises("randomness_value", lambda: vmap(torch.sin, randomness="foo"))
    rec.raises("not_callable", lambda: vmap(3)(x))


@scenario(dtypes=("float32",))
def vmap_randomness(torch, rec):
    """The numbers differ between engines; what is recorded is the error mode's error and which slices agree."""
    vmap = torch.func.vmap
    x = torch.zeros(3, 4)
    rec.raises("error", lambda: vmap(lambda a: a + torch.rand(4))(x))
    rec.raises("error_randn", lambda: vmap(lambda a: a + torch.randn(4))(x))
    F = torch.nn.functional
    rec.raises("error_dropout", lambda: vmap(lambda a: F.dropout(a, 0.5))(x))
    rec.raises("error_normal_", lambda: vmap(lambda a: a.clone().normal_())(x))
    rec.raises("error_randint", lambda: vmap(lambda a: a + torch.randint(0, 3, (4,)))(x))
    rec("dropout_eval", vmap(lambda a: F.dropout(a + 1, 0.5, training=False))(x))
    rec("dropout_p0", vmap(lambda a: F.dropout(a + 1, 0.0))(x))
    rec("dropout_p1", vmap(lambda a: F.dropout(a + 1, 1.0))(x))
    rec("after_error", torch.rand(2).shape)
    same = vmap(lambda a: a + torch.rand(4), randomness="same")(x)
    rec("same", (same.shape, bool((same == same[0]).all())))
    different = vmap(lambda a: a + torch.rand(4), randomness="different")(x)
    rec("different", (different.shape, bool((different[0] != different[1]).any())))
    rec("no_random_op", vmap(torch.exp, randomness="error")(x))


@scenario(dtypes=("float32", "float64"))
def vmap_with_autograd(torch, rec):
    """Per-sample gradients (vmap of grad), jacobians of vmap and vmap of jacobians, and gradients through
    vmap's output."""
    func = torch.func
    w, xs, ys = rec.tensor(3), rec.tensor(4, 3), rec.tensor(4)

    def loss(weight, x, y):
        return ((x * weight).sum().tanh() - y) ** 2

    rec("per_sample_grads", func.vmap(func.grad(loss), in_dims=(None, 0, 0))(w, xs, ys))
    rec("per_sample_grad_and_value", func.vmap(func.grad_and_value(loss), in_dims=(None, 0, 0))(w, xs, ys))
    rec("per_sample_grads_argnums", func.vmap(func.grad(loss, argnums=(0, 1)), in_dims=(None, 0, 0))(w, xs, ys))
    rec("grad_of_vmap", func.grad(lambda v: func.vmap(lambda x, y: loss(v, x, y))(xs, ys).sum())(w))
    x = rec.tensor(2, 3)
    rec("jacrev_of_vmap", func.jacrev(func.vmap(torch.sin))(x))
    rec("jacfwd_of_vmap", func.jacfwd(func.vmap(lambda a: a.exp() * a))(x))
    rec("vmap_of_jacrev", func.vmap(func.jacrev(lambda a: a.sin() * a.sum()))(x))
    rec("vmap_of_jacfwd", func.vmap(func.jacfwd(lambda a: a.cos() * a.sum()))(x))
    rec("vmap_of_hessian", func.vmap(func.hessian(lambda a: (a ** 3).sum()))(x))
    rec("vmap_of_vjp", func.vmap(lambda a, c: func.vjp(torch.tanh, a)[1](c))(x, x.exp()))
    rec("vmap_of_jvp", func.vmap(lambda a, t: func.jvp(torch.tanh, (a,), (t,)))(x, x.exp()))
    leaf = rec.tensor(2, 3, requires_grad=True)
    out = func.vmap(lambda a, b: (a * b).sin(), in_dims=(0, None))(leaf, w)
    _detached(rec, "requires_grad_output", out)
    out.sum().backward()
    rec("leaf_grad", leaf.grad)
    weight = rec.tensor(3, requires_grad=True)
    _detached(rec, "closure_requires_grad", func.vmap(lambda a: a * weight)(x))
    rec("no_grad_needed", func.vmap(lambda a: a * w)(x).requires_grad)
    # per-sample gradients of a weight that requires grad keep their graph: a penalty on them differentiates
    weight = rec.tensor(3, requires_grad=True)
    per_sample = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(weight, xs, ys)
    _detached(rec, "per_sample_grads_of_a_leaf", per_sample)
    per_sample.pow(2).sum().backward()
    rec("gradient_penalty", weight.grad)


def _mlp(torch, rec):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    if rec.dtype == "float64":
        model.double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(rec.tensor(*p.shape))
    return model


@scenario(dtypes=("float32", "float64"))
def functional_call_module(torch, rec):
    fc = torch.func.functional_call
    model = _mlp(torch, rec)
    params = {name: rec.tensor(*p.shape) for name, p in model.named_parameters()}
    x = rec.tensor(5, 3)
    rec("call", fc(model, params, (x,)))
    rec("single_arg", fc(model, params, x))
    rec("kwargs", fc(model, params, (), {"input": x}))
    rec("tuple_of_dicts", fc(model, ({k: v for k, v in params.items() if "0." in k},
                                     {k: v for k, v in params.items() if "2." in k}), (x,)))
    rec("partial", fc(model, {"0.weight": params["0.weight"]}, (x,)).detach())
    rec("module_unchanged", model(x).detach())
    rec("still_parameters", [type(p).__name__ for p in model.parameters()])
    rec("unexpected_not_strict", fc(model, dict(params, foo=torch.ones(1)), (x,)))
    rec.raises("strict_missing", lambda: fc(model, {"0.weight": params["0.weight"]}, (x,), strict=True))
    rec.raises("strict_unexpected", lambda: fc(model, dict(params, foo=torch.ones(1)), (x,), strict=True))
    rec.raises("strict_both", lambda: fc(model, {"0.weight": params["0.weight"], "foo": torch.ones(1),
                                                 "bar.x": torch.ones(1)}, (x,), strict=True))
    rec.raises("repeated_keys", lambda: fc(model, (params, {"0.weight": params["0.weight"]}), (x,)))
    rec.raises("not_a_dict", lambda: fc(model, 3, (x,)))
    rec.raises("not_dicts", lambda: fc(model, [params, 3], (x,)))
    rec.raises("bad_input_restores", lambda: fc(model, params, (rec.tensor(2, 2),)))
    rec("restored", model(x).detach())
    # gradients with respect to the given tensors
    given = {k: v.clone().requires_grad_() for k, v in params.items()}
    out = fc(model, given, (x,))
    rec("out_grad_fn", out.grad_fn)
    rec("grads", torch.autograd.grad(out.pow(2).sum(), list(given.values())))
    rec("model_grads_untouched", [p.grad for p in model.parameters()])


@scenario(dtypes=("float32", "float64"))
def functional_call_buffers_and_ties(torch, rec):
    fc = torch.func.functional_call

    class Shifted(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)
            self.register_buffer("shift", torch.zeros(2))

        def forward(self, v):
            return self.lin(v) + self.shift

    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(2, 2, bias=False)
            self.b = torch.nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, v):
            return self.b(self.a(v))

    v = rec.tensor(2)
    weight, bias, shift = rec.tensor(2, 2), rec.tensor(2), rec.tensor(2)
    shifted = Shifted()
    rec("buffer", fc(shifted, {"lin.weight": weight, "lin.bias": bias, "shift": shift}, (v,)))
    rec.raises("strict_buffer", lambda: fc(shifted, {"shift": shift}, (v,), strict=True))
    rec("buffer_restored", shifted.shift)
    tied = Tied()
    rec("tied", fc(tied, {"a.weight": weight}, (v,)))
    rec("tied_strict", fc(tied, {"a.weight": weight}, (v,), strict=True))
    rec("untied", fc(tied, {"a.weight": weight}, (v,), tie_weights=False).shape)


@scenario(dtypes=("float32", "float64"))
def functional_call_per_sample_grads(torch, rec):
    """PyTorch's per-sample-gradients recipe: vmap over grad of a loss through functional_call."""
    func, F = torch.func, torch.nn.functional
    model = _mlp(torch, rec)
    params = {k: v.detach() for k, v in model.named_parameters()}
    xs, ys = rec.tensor(4, 3), rec.tensor(4, 2)

    def loss(p, x, y):
        return F.mse_loss(func.functional_call(model, p, (x.unsqueeze(0),)), y.unsqueeze(0))

    grads = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
    rec("keys", list(grads))
    rec("grads", list(grads.values()))
    rec("chunked", list(func.vmap(func.grad(loss), in_dims=(None, 0, 0), chunk_size=3)(params, xs, ys).values()))
    grads, losses = func.vmap(func.grad_and_value(loss), in_dims=(None, 0, 0))(params, xs, ys)
    rec("losses", losses)
    # the same, one sample at a time with autograd.grad
    rec("loop", [torch.autograd.grad(F.mse_loss(model(xs[i:i + 1]), ys[i:i + 1]), list(model.parameters()))
                 for i in range(4)])


@scenario(dtypes=("float32", "float64"))
def linearize(torch, rec):
    func = torch.func
    x, t = rec.tensor(3), rec.tensor(3)
    out, jvp_fn = func.linearize(torch.sin, x)
    rec("out", out)
    rec("jvp", jvp_fn(t))
    rec("jvp_again", jvp_fn(t * 2))
    out, jvp_fn = func.linearize(lambda a, b: (a * b, a.exp()), x, x.cos())
    rec("two_outputs", out)
    rec("two_jvps", jvp_fn(t, torch.ones_like(t)))
    rec.raises("tangent_shape", lambda: jvp_fn(torch.ones(4), t))
    rec.raises("tangent_dtype", lambda: jvp_fn(t.to(torch.float16), t))
    rec.raises("tangent_count", lambda: jvp_fn(t))
    leaf = rec.tensor(3, requires_grad=True)
    out, jvp_fn = func.linearize(lambda a: a.tanh() * a, leaf)
    rec("requires_grad_out", out)
    _detached(rec, "requires_grad_jvp", jvp_fn(t))


@scenario(dtypes=("float32", "float64"))
def pytree_arguments(torch, rec):
    """grad, vjp, jvp, jacrev and jacfwd differentiate with respect to dicts, tuples and lists of tensors and
    give their derivatives in the same structure."""
    func = torch.func
    a, b, t = rec.tensor(3), rec.tensor(3), rec.tensor(3)

    def f(p):
        return p["a"].sin() * p["b"][0] + p["b"][1]

    params = {"a": a, "b": (b, b.exp())}
    tangents = {"a": t, "b": (t * 2, t.cos())}
    rec("grad_dict", list(func.grad(lambda p: f(p).sum())(params).values()))
    rec("grad_tuple", func.grad(lambda p: (p[0] * p[1]).sum())((a, b)))
    rec("grad_list_argnums", func.grad(lambda s, p: (s * p[0] * p[1]).sum(), argnums=(0, 1))(t, [a, b]))
    out, vjp_fn = func.vjp(f, params)
    rec("vjp", (out, list(vjp_fn(t)[0].values())))
    out, vjp_fn = func.vjp(lambda p: {"y": f(p), "z": p["a"] * 2}, params)
    rec("vjp_dict_output", (list(out.values()), list(vjp_fn({"y": t, "z": t * 3})[0].values())))
    rec("jvp", func.jvp(f, (params,), (tangents,)))
    rec("jacrev", list(func.jacrev(f)(params).values()))
    rec("jacfwd", list(func.jacfwd(f)(params).values()))
    rec("jacfwd_closed_over_float", func.jacfwd(lambda v, s: v * s, argnums=0)(a, 2.0))
    def g(x, y):
        return {"u": x * y.sum(), "v": (x.exp(), y.sin())}

    rec("hessian", _lists(func.hessian(lambda p: (p["a"].sin().sum() * p["b"][0] ** 2).sum())(params)))
    rec("jacrev_dict_output", _lists(func.jacrev(g)(a, b)))
    rec("jacrev_dict_output_argnums", _lists(func.jacrev(g, argnums=(0, 1))(a, b)))
    rec("jacfwd_dict_output", _lists(func.jacfwd(g)(a, b)))
    rec("jacfwd_dict_output_argnums", _lists(func.jacfwd(g, argnums=(0, 1))(a, b)))
    rec("jvp_dict_output", _lists(func.jvp(g, (a, b), (t, t))))
    rec("jacrev_constant", func.jacrev(lambda v: torch.ones(2))(a))
    rec.raises("grad_float_leaf", lambda: func.grad(lambda p: (p[0] * p[1]).sum())((a, 2.0)))
    rec.raises("vjp_float", lambda: func.vjp(torch.sin, 2.0))
    rec.raises("jacrev_float", lambda: func.jacrev(torch.sin)(2.0))
    rec.raises("jvp_float", lambda: func.jvp(torch.sin, (2.0,), (1.0,)))
    rec.raises("jvp_structure", lambda: func.jvp(f, (params,), ({"a": t, "b": t},)))
