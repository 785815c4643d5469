"""nn.Module's API and containers as learner programs use them: registration and its errors, buffers (persistent or
not), traversal (named_modules/children/parameters/buffers with prefixes, recursion and duplicates), state_dict and
load_state_dict (keys, metadata, strict errors, the IncompatibleKeys result), train/eval, requires_grad_, zero_grad,
dtype conversion, nested reprs; forward pre-hooks and hooks (kwargs, prepend, always_call, handles); full backward
hooks and pre-hooks (their arguments, replaced gradients, the BackwardHookFunctionBackward nodes); Sequential,
ModuleList, ModuleDict, ParameterList and ParameterDict; nn.init (what holds for every random draw: bounds, constants,
gains, errors) and nn.utils (clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters).

Weights are copied in from harness data, since each engine has its own RNG."""
from collections import OrderedDict

from . import scenario


def _fill(torch, rec, module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(rec.tensor(*p.shape))
    return module


def _net(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
            self.head = nn.Linear(4, 2)
            self.register_buffer("running", torch.zeros(2))
            self.register_buffer("scratch", torch.ones(1), persistent=False)

        def forward(self, x):
            return self.head(self.body(x)) + self.running

    return Net()


@scenario
def registration(torch, rec):
    nn = torch.nn
    m = nn.Module()
    m.w = nn.Parameter(torch.ones(2))
    m.register_buffer("b", torch.zeros(1))
    m.sub = nn.Linear(1, 1)
    m.register_parameter("nothing", None)
    rec("stores", (list(m._parameters), list(m._buffers), list(m._modules)))
    rec.raises("buffer_dot", lambda: m.register_buffer("a.b", torch.ones(1)))
    rec.raises("buffer_empty", lambda: m.register_buffer("", torch.ones(1)))
    rec.raises("buffer_exists", lambda: m.register_buffer("w", torch.ones(1)))
    rec.raises("buffer_not_tensor", lambda: m.register_buffer("c", 3))
    rec.raises("buffer_name_type", lambda: m.register_buffer(1, torch.ones(1)))
    rec.raises("parameter_not_parameter", lambda: m.register_parameter("p", torch.ones(1)))
    rec.raises("parameter_non_leaf", lambda: m.register_parameter("p", nn.Parameter(torch.ones(1)) * 2))
    rec.raises("assign_tensor_to_parameter", lambda: setattr(m, "w", torch.ones(2)))
    rec.raises("assign_int_to_module", lambda: setattr(m, "sub", 1))
    rec.raises("assign_int_to_buffer", lambda: setattr(m, "b", 1))
    rec.raises("add_module_not_module", lambda: m.add_module("x", 1))
    rec.raises("add_module_dot", lambda: m.add_module("x.y", nn.ReLU()))
    rec.raises("add_module_exists", lambda: m.add_module("w", nn.ReLU()))
    m.b = torch.full((2,), 3.0)
    rec("buffer_reassigned", m.b)
    m.sub = None
    rec("module_set_to_none", (list(m._modules.items()), [n for n, _ in m.named_children()]))
    del m.w
    rec("deleted", ("w" in m._parameters, hasattr(m, "w")))
    rec.raises("missing", lambda: m.w)
    m.w = 5
    rec("plain_attribute", (m.w, "w" in m._parameters))
    rec.raises("before_init", lambda: type("Early", (nn.Module,), {"__init__": lambda self: setattr(
        self, "p", nn.Parameter(torch.ones(1)))})())
    rec("submodule", repr(_net(torch).get_submodule("body.0")))
    rec("dir", [k for k in dir(_net(torch)) if k in ("body", "head", "running", "scratch", "training", "forward")])
    rec("dir_sequential", [k for k in dir(nn.Sequential(nn.ReLU())) if k in ("0", "training")])


@scenario
def traversal(torch, rec):
    nn = torch.nn
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.ReLU(), shared, nn.Sequential(nn.Linear(2, 1)))
    rec("named_modules", [name for name, _ in net.named_modules()])
    rec("named_modules_all", [name for name, _ in net.named_modules(remove_duplicate=False)])
    rec("named_modules_prefix", [name for name, _ in net.named_modules(prefix="net")])
    rec("modules", [type(m).__name__ for m in net.modules()])
    rec("named_children", [name for name, _ in net.named_children()])
    rec("children", [type(m).__name__ for m in net.children()])
    rec("named_parameters", [name for name, _ in net.named_parameters()])
    rec("named_parameters_all", [name for name, _ in net.named_parameters(remove_duplicate=False)])
    rec("named_parameters_prefix", [name for name, _ in net.named_parameters(prefix="p")])
    rec("not_recursive", [name for name, _ in net[3].named_parameters(recurse=False)])
    rec("parameters", len(list(net.parameters())))
    model = _net(torch)
    rec("named_buffers", [name for name, _ in model.named_buffers()])
    rec("buffers", list(model.buffers()))
    rec("state_dict_keys", list(model.state_dict()))
    order = []
    rec("apply_returns_self", model.apply(lambda m: order.append(type(m).__name__)) is model)
    rec("apply_order", order)


@scenario
def modes_and_gradients(torch, rec):
    nn = torch.nn
    model = _fill(torch, rec, _net(torch))
    rec("eval_returns_self", model.eval() is model)
    rec("eval_flags", [m.training for m in model.modules()])
    model.train()
    rec("train_flags", [m.training for m in model.modules()])
    rec.raises("train_not_bool", lambda: model.train("yes"))
    rec("requires_grad_false", model.requires_grad_(False) is model and [p.requires_grad for p in model.parameters()])
    model.requires_grad_()
    out = model(rec.tensor(2, 3))
    out.sum().backward()
    rec("grad", model.head.weight.grad)
    model.zero_grad(set_to_none=False)
    rec("zeroed", (model.head.weight.grad, model.head.weight.grad.requires_grad))
    model.zero_grad()
    rec("set_to_none", model.head.weight.grad)
    model(rec.tensor(1, 3)).sum().backward()
    weight = model.head.weight
    rec("double_returns_self", model.double() is model)
    rec("double", ([p.dtype for p in model.parameters()], model.running.dtype, weight.grad.dtype,
                   model.head.weight is weight))
    model.float()
    rec("float", [t.dtype for t in model.state_dict().values()])
    model.to(torch.float64)
    rec("to_dtype", [t.dtype for t in model.state_dict().values()])
    model.to(torch.ones(1, dtype=torch.float32))
    rec("to_tensor", [t.dtype for t in model.state_dict().values()])
    rec.raises("to_integer", lambda: model.to(torch.int64))
    counts = nn.Module()
    counts.register_buffer("steps", torch.tensor(3))
    rec("integer_buffer_kept", counts.double().steps.dtype)
    images = nn.Module()
    images.kernel = nn.Parameter(torch.ones(2, 3, 4, 5))
    images.matrix = nn.Parameter(torch.ones(3, 4))
    images.to(memory_format=torch.channels_last)
    rec("channels_last", (images.kernel.stride(), images.matrix.stride()))
    images.to(torch.float64, memory_format=torch.contiguous_format)
    rec("contiguous_format", (images.kernel.stride(), images.kernel.dtype))


@scenario(dtypes=("float32", "float64"))
def state_dict_round_trip(torch, rec):
    source = _fill(torch, rec, _net(torch))
    if rec.dtype == "float64":
        source.double()
    with torch.no_grad():
        source.running.copy_(rec.tensor(2))
    sd = source.state_dict()
    rec("keys", list(sd))
    rec("type", type(sd).__name__)
    rec("metadata", sorted(sd._metadata.items()))
    rec("values", list(sd.values()))
    rec("detached", [t.requires_grad for t in sd.values()])
    rec("keep_vars", [t.requires_grad for t in source.state_dict(keep_vars=True).values()])
    rec("prefix", list(source.state_dict(prefix="model.")))
    target = _net(torch)
    if rec.dtype == "float64":
        target.double()
    result = target.load_state_dict(sd)
    rec("result", (repr(result), result.missing_keys, result.unexpected_keys))
    rec("loaded", list(target.state_dict().values()))
    rec("output", target(rec.tensor(2, 3)))
    with torch.no_grad():
        source.head.weight.add_(1)
    rec("loaded_is_a_copy", target.head.weight)


@scenario
def load_state_dict_errors(torch, rec):
    nn = torch.nn
    model = _net(torch)
    sd = model.state_dict()
    broken = OrderedDict(sd)
    del broken["running"]
    broken["extra.weight"] = torch.ones(1)
    broken["head.bias"] = torch.ones(3)
    rec.raises("strict", lambda: model.load_state_dict(broken))
    del broken["head.bias"]
    result = model.load_state_dict(broken, strict=False)
    rec("not_strict", (repr(result), result.missing_keys, result.unexpected_keys, type(result).__name__))
    rec.raises("not_a_mapping", lambda: model.load_state_dict([1, 2]))
    wrong = OrderedDict(sd)
    wrong["head.weight"] = 3.0
    rec.raises("not_a_tensor", lambda: model.load_state_dict(wrong))
    unknown_child = OrderedDict(sd)
    unknown_child["body.5.weight"] = torch.ones(1)
    unknown_child["tail.weight"] = torch.ones(1)
    rec.raises("unexpected_nested", lambda: model.load_state_dict(unknown_child))
    scalar = nn.Module()
    scalar.register_buffer("count", torch.tensor(0.0))
    scalar.load_state_dict({"count": torch.tensor([7.0])})
    rec("one_element_into_scalar", scalar.count)
    assigned = _net(torch)
    fresh = {k: v + 1 for k, v in sd.items()}
    assigned.load_state_dict(fresh, assign=True)
    rec("assign", (assigned.head.weight is fresh["head.weight"], type(assigned.head.weight).__name__,
                   assigned.running is fresh["running"]))


@scenario
def reprs(torch, rec):
    nn = torch.nn

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(2, 2)

        def extra_repr(self):
            return "scale=2"

    class Multi(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    rec("custom", repr(_net(torch)))
    rec("extra_with_children", repr(Scaled()))
    rec("extra_multiline", repr(Multi()))
    rec("empty_module", repr(nn.Module()))
    rec("nested", repr(nn.Sequential(nn.Sequential(nn.Linear(1, 2), nn.Sequential(nn.ReLU())), Scaled())))
    rec("module_list_runs", repr(nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Linear(1, 1), nn.Linear(1, 1),
                                                nn.Linear(1, 2), nn.ReLU()])))
    rec("module_list_nested_runs", repr(nn.Sequential(nn.ModuleList([Scaled(), Scaled()]))))
    rec("empty_containers", [repr(nn.ModuleList()), repr(nn.Sequential()), repr(nn.ModuleDict()),
                             repr(nn.ParameterList()), repr(nn.ParameterDict())])
    rec("module_dict", repr(nn.ModuleDict({"act": nn.Tanh(), "fc": nn.Linear(1, 1)})))
    params = nn.ParameterList([torch.ones(2), nn.Parameter(torch.zeros(2, 3, dtype=torch.float64)), "text"])
    rec("parameter_list", repr(params))
    rec("parameter_dict", repr(nn.ParameterDict({"b": torch.ones(1), "a": torch.zeros(2, 2, dtype=torch.float64)})))
    holder = nn.Module()
    holder.params = params
    rec("parameter_list_inside", repr(holder))


@scenario
def sequential(torch, rec):
    nn = torch.nn
    net = _fill(torch, rec, nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    x = rec.tensor(2, 3)
    rec("forward", net(x))
    rec("index", (type(net[0]).__name__, type(net[-1]).__name__, len(net)))
    rec.raises("out_of_range", lambda: net[3])
    rec.raises("negative_out_of_range", lambda: net[-4])
    rec("slice", (repr(net[1:]), type(net[:1]).__name__, net[::2][1] is net[2]))
    rec("slice_forward", net[:2](x))
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(1, 1)), ("act", nn.Sigmoid())]))
    rec("ordered_dict", (repr(named), [n for n, _ in named.named_parameters()], type(named.act).__name__))
    rec("named_slice", repr(named[1:]))
    grown = nn.Sequential(nn.ReLU())
    rec("append_returns_self", grown.append(nn.Tanh()) is grown)
    grown.insert(0, nn.Identity())
    grown.insert(-1, nn.Sigmoid())
    grown.extend([nn.ReLU(), nn.Tanh()])
    rec("grown", repr(grown))
    rec.raises("insert_out_of_range", lambda: grown.insert(9, nn.ReLU()))
    del grown[1]
    rec("deleted", repr(grown))
    del grown[::2]
    rec("deleted_slice", repr(grown))
    popped = grown.pop(0)
    rec("pop", (type(popped).__name__, repr(grown)))
    grown[0] = nn.GELU()
    rec("setitem", repr(grown))
    joined = nn.Sequential(nn.ReLU()) + nn.Sequential(nn.Tanh(), nn.Sigmoid())
    rec("add", repr(joined))
    joined += nn.Sequential(nn.Identity())
    rec("iadd", repr(joined))
    rec.raises("add_list", lambda: nn.Sequential() + [nn.ReLU()])
    rec("iterate", [type(m).__name__ for m in joined])
    pair = nn.Sequential(nn.ReLU(), nn.Tanh())
    rec("mul", (repr(pair * 2), repr(2 * pair), (pair * 2)[2] is pair[0]))
    pair *= 3
    rec("imul", repr(pair))


@scenario
def module_list_and_dict(torch, rec):
    nn = torch.nn
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    rec("len_index", (len(layers), layers[-1] is layers[2], type(layers[1:]).__name__, len(layers[1:])))
    rec.raises("out_of_range", lambda: layers[5])
    rec("parameters", [n for n, _ in layers.named_parameters()])
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(1, nn.Sigmoid())
    layers += [nn.Identity()]
    rec("grown", [type(m).__name__ for m in layers])
    del layers[0]
    rec("renumbered", list(layers._modules))
    rec("pop", (type(layers.pop(-1)).__name__, len(layers)))
    layers[0] = nn.GELU()
    rec("setitem", type(layers[0]).__name__)
    rec("add", repr(nn.ModuleList([nn.ReLU()]) + nn.ModuleList([nn.Tanh()])))
    rec.raises("extend_not_iterable", lambda: layers.extend(3))
    heads = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.ReLU()})
    heads["c"] = nn.Tanh()
    heads.update([("d", nn.Identity())])
    rec("dict", (list(heads.keys()), len(heads), "a" in heads, [type(m).__name__ for m in heads.values()]))
    rec("dict_items", [(k, type(v).__name__) for k, v in heads.items()])
    rec("dict_pop", (type(heads.pop("a")).__name__, list(heads)))
    del heads["c"]
    rec("dict_del", list(heads))
    rec.raises("dict_missing", lambda: heads["zzz"])
    rec.raises("dict_update_bad_pair", lambda: heads.update([("x", nn.ReLU(), 1)]))
    rec.raises("dict_update_not_iterable", lambda: heads.update(3))
    rec("dict_parameters", [n for n, _ in heads.named_parameters()])
    heads.clear()
    rec("cleared", len(heads))


@scenario
def parameter_containers(torch, rec):
    nn = torch.nn
    plist = nn.ParameterList([torch.ones(2), nn.Parameter(torch.zeros(3))])
    rec("list_converted", [type(p).__name__ for p in plist])
    rec("list_requires_grad", [p.requires_grad for p in plist])
    plist.append(torch.full((1,), 2.0))
    plist.extend([nn.Parameter(torch.ones(1), requires_grad=False)])
    rec("list_named", [(n, p.requires_grad) for n, p in plist.named_parameters()])
    rec("list_slice", (type(plist[1:3]).__name__, len(plist[1:3]), plist[-1].requires_grad))
    rec.raises("list_out_of_range", lambda: plist[7])
    rec.raises("list_extend_tensor", lambda: plist.extend(torch.ones(2)))
    rec.raises("list_called", lambda: plist(1))
    plist[0] = torch.zeros(2)
    rec("list_setitem", (type(plist[0]).__name__, plist[0]))
    pdict = nn.ParameterDict({"w": torch.ones(2), "b": nn.Parameter(torch.zeros(1))})
    rec("dict_sorted_from_dict", list(pdict))
    pdict["z"] = torch.full((2,), 5.0)
    pdict.update(OrderedDict([("y", torch.ones(1)), ("a", torch.ones(1))]))
    rec("dict_keys", (list(pdict.keys()), len(pdict), "z" in pdict, [n for n, _ in pdict.named_parameters()]))
    rec("dict_values", [type(v).__name__ for v in pdict.values()])
    rec("dict_pop", (pdict.pop("z"), list(pdict)))
    rec("dict_get", (pdict.get("nope") is None, pdict.get("w") is pdict["w"]))
    rec("dict_setdefault", (pdict.setdefault("new", torch.zeros(2)), pdict.setdefault("w", None) is pdict["w"]))
    rec("dict_popitem", (pdict.popitem(), list(pdict)))
    rec("dict_fromkeys", repr(pdict.fromkeys(["x", "y"], torch.ones(1))))
    rec("dict_or", (list(pdict | nn.ParameterDict({"q": torch.ones(1)})), list(reversed(pdict))))
    rec.raises("dict_key_type", lambda: pdict[1])
    rec.raises("dict_missing", lambda: pdict["nope"])
    rec.raises("dict_called", lambda: pdict(1))
    model = nn.Module()
    model.plist, model.pdict = plist, pdict
    rec("state_dict", list(model.state_dict()))


@scenario
def forward_hooks(torch, rec):
    nn = torch.nn
    layer = _fill(torch, rec, nn.Linear(3, 2))
    x = rec.tensor(2, 3)
    calls = []

    def pre(module, args):
        calls.append(("pre", type(module).__name__, len(args)))
        return args[0] * 2

    def pre_first(module, args):
        calls.append(("pre_first", args[0].shape))

    def post(module, args, output):
        calls.append(("post", output.shape))
        return output + 1

    def post_kwargs(module, args, kwargs, output):
        calls.append(("post_kwargs", sorted(kwargs)))

    handles = [layer.register_forward_pre_hook(pre), layer.register_forward_pre_hook(pre_first, prepend=True),
               layer.register_forward_hook(post), layer.register_forward_hook(post_kwargs, with_kwargs=True)]
    rec("hooked", layer(x))
    rec("calls", calls)
    rec("handle_ids_increase", [b.id > a.id for a, b in zip(handles, handles[1:])])
    for handle in handles:
        handle.remove()
    handles[0].remove()
    rec("removed", layer(x))
    rec("hook_dicts_empty", (len(layer._forward_hooks), len(layer._forward_pre_hooks),
                             len(layer._forward_hooks_with_kwargs)))

    class Keywords(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    kw = Keywords()
    kw.register_forward_pre_hook(lambda m, args, kwargs: (args, {**kwargs, "scale": 3.0}), with_kwargs=True)
    rec("pre_hook_kwargs", kw(x, scale=2.0))
    bad = Keywords()
    bad.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
    rec.raises("pre_hook_kwargs_bad_return", lambda: bad(x))
    tuple_pre = Keywords()
    tuple_pre.register_forward_pre_hook(lambda m, args: (args[0] + 1, 10.0))
    rec("pre_hook_tuple", tuple_pre(x))
    with layer.register_forward_hook(lambda m, a, o: o * 0):
        rec("context_handle", layer(x))
    rec("after_context", layer(x))


@scenario
def forward_hook_always_call(torch, rec):
    nn = torch.nn

    class Failing(nn.Module):
        def forward(self, x):
            raise ValueError("forward failed")

    calls = []
    module = Failing()
    module.register_forward_hook(lambda m, a, o: calls.append(("always", o)), always_call=True)
    module.register_forward_hook(lambda m, a, o: calls.append("normal"))
    module.register_forward_hook(lambda m, a, o: 1 / 0, always_call=True)
    rec.raises("failing", lambda: module(torch.ones(1)))
    rec("calls", calls)
    ok = nn.ReLU()
    ok.register_forward_hook(lambda m, a, o: calls.append("ok_always"), always_call=True)
    ok(torch.ones(1))
    rec("calls_when_ok", calls)


@scenario(dtypes=("float32", "float64"))
def full_backward_hooks(torch, rec):
    nn = torch.nn
    layer = _fill(torch, rec, nn.Linear(3, 2))
    if rec.dtype == "float64":
        layer.double()
    seen = []

    def pre_hook(module, grad_output):
        seen.append(("pre", type(module).__name__, grad_output))
        return (grad_output[0] * 10,)

    def hook(module, grad_input, grad_output):
        seen.append(("post", grad_input, grad_output))

    layer.register_full_backward_pre_hook(pre_hook)
    handle = layer.register_full_backward_hook(hook)
    x = rec.tensor(4, 3, requires_grad=True)
    y = layer(x)
    rec("y", y)
    rec("y.grad_fn", y.grad_fn)
    rec("next", y.grad_fn.next_functions)
    y.backward(rec.tensor(4, 2))
    rec("seen", seen)
    rec("x.grad", x.grad)
    rec("weight.grad", layer.weight.grad)
    handle.remove()
    seen.clear()
    x.grad = None
    layer(x).sum().backward()
    rec("pre_only", (seen, x.grad))

    replacing = nn.Tanh()
    replacing.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 7,))
    z = rec.tensor(3, requires_grad=True)
    replacing(z * 2).sum().backward()
    rec("replaced_grad_input", z.grad)


@scenario
def full_backward_hook_arguments(torch, rec):
    nn = torch.nn

    class Pair(nn.Module):
        def forward(self, a, scale, b):
            return a * scale, "label", b.sum()

    seen = []
    pair = Pair()
    pair.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    a, b = rec.tensor(2, requires_grad=True), rec.tensor(2)
    first, label, second = pair(a, 3.0, b)
    rec("outputs", (first.grad_fn, label, second.grad_fn))
    (first.sum() + second).backward()
    rec("grads_with_none", seen)

    seen.clear()
    frozen = _fill(torch, rec, nn.Linear(2, 1))
    frozen.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    rec.raises("no_input_requires_grad", lambda: frozen(rec.tensor(1, 2)).sum().backward())
    rec("seen_without_input_grads", seen)

    wrong = nn.ReLU()
    wrong.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    rec.raises("wrong_count", lambda: wrong(rec.tensor(2, requires_grad=True)).sum().backward())
    wrong_pre = nn.ReLU()
    wrong_pre.register_full_backward_pre_hook(lambda m, go: ())
    rec.raises("wrong_pre_count", lambda: wrong_pre(rec.tensor(2, requires_grad=True)).sum().backward())
    hooked = _fill(torch, rec, nn.Linear(2, 2))
    hooked.register_full_backward_hook(lambda m, gi, go: None)
    out = hooked(rec.tensor(1, 2, requires_grad=True))
    rec.raises("inplace_on_output", lambda: out.relu_())  # what ReLU(inplace=True) after a hooked module meets
    no_grad_out = nn.ReLU()
    no_grad_out.register_full_backward_hook(lambda m, gi, go: None)
    with torch.no_grad():
        rec("under_no_grad", no_grad_out(rec.tensor(2, requires_grad=True)))


@scenario
def init_functions(torch, rec):
    init = torch.nn.init
    rec("gains", [init.calculate_gain(n) for n in ("linear", "conv2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                                                    "leaky_relu", "selu")])
    rec("leaky_gain", (init.calculate_gain("leaky_relu", 0.2), init.calculate_gain("leaky_relu", 1)))
    rec.raises("gain_unknown", lambda: init.calculate_gain("swish"))
    rec.raises("gain_bool_slope", lambda: init.calculate_gain("leaky_relu", True))
    w = torch.empty(3, 4, requires_grad=True)
    rec("constant_returns_tensor", init.constant_(w, 0.5) is w)
    rec("constant", w)
    rec("ones", init.ones_(w))
    rec("zeros", init.zeros_(w))
    rec("eye", init.eye_(w))
    rec("eye_tall", init.eye_(torch.empty(4, 2)))
    rec.raises("eye_3d", lambda: init.eye_(torch.empty(2, 2, 2)))
    rec("dirac", init.dirac_(torch.empty(2, 2, 3)))
    rec("dirac_groups", init.dirac_(torch.empty(4, 1, 3, 3), groups=2))
    rec.raises("dirac_2d", lambda: init.dirac_(torch.empty(2, 2)))
    rec.raises("dirac_groups_bad", lambda: init.dirac_(torch.empty(3, 2, 2), groups=2))
    rec("no_graph", (w.grad_fn, w.requires_grad, w.is_leaf))
    rec.raises("xavier_1d", lambda: init.xavier_uniform_(torch.empty(3)))
    rec.raises("kaiming_1d", lambda: init.kaiming_normal_(torch.empty(3)))
    rec.raises("kaiming_mode", lambda: init.kaiming_uniform_(torch.empty(2, 3), mode="fan"))
    rec.raises("kaiming_empty", lambda: init.kaiming_uniform_(torch.empty(0, 3)).shape)
    x = init.uniform_(torch.empty(40, 50), -0.1, 0.2)
    rec("uniform_bounds", bool(((x >= -0.1) & (x <= 0.2)).all()))
    bound = 2.0 * (6 / 80) ** 0.5
    x = init.xavier_uniform_(torch.empty(30, 50), gain=2.0)
    rec("xavier_uniform_bounds", (bool((x.abs() <= bound).all()), x.shape))
    x = init.kaiming_uniform_(torch.empty(30, 50), a=5 ** 0.5)  # Linear's default: bound 1 / sqrt(fan_in)
    rec("kaiming_uniform_bounds", bool((x.abs() <= 1 / 50 ** 0.5).all()))
    x = init.kaiming_uniform_(torch.empty(6, 2, 5), mode="fan_out", nonlinearity="relu")
    rec("kaiming_fan_out_bounds", bool((x.abs() <= (6 / 30) ** 0.5).all()))
    x = init.trunc_normal_(torch.empty(500), std=2.0, a=-1.0, b=1.5)
    rec("trunc_normal_bounds", bool(((x >= -1.0) & (x <= 1.5)).all()))
    x = init.trunc_normal_(torch.empty(500), a=-0.1, b=0.1)
    rec("trunc_normal_narrow", bool(((x >= -0.1) & (x <= 0.1)).all()))
    rec.raises("trunc_normal_far_mean", lambda: init.trunc_normal_(torch.empty(5), mean=5.0, a=-0.5, b=0.5).shape)
    for shape, gain in (((3, 5), 1.0), ((6, 2), 2.0), ((4, 2, 3), 0.5)):
        m = init.orthogonal_(torch.empty(*shape), gain=gain).reshape(shape[0], -1)
        gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
        rec(f"orthogonal_{shape}", bool(((gram - gain ** 2 * torch.eye(gram.shape[0])).abs().max() < 1e-5)))
    rec.raises("orthogonal_1d", lambda: init.orthogonal_(torch.empty(3)))
    rec("orthogonal_empty", init.orthogonal_(torch.empty(0, 3)))
    for name in ("normal_", "xavier_normal_", "kaiming_normal_", "uniform_", "xavier_uniform_", "kaiming_uniform_",
                 "trunc_normal_", "orthogonal_"):
        t = torch.empty(3, 4, requires_grad=True)
        out = getattr(init, name)(t)
        rec(f"{name}.returns", (out is t, out.grad_fn, out.requires_grad, bool(out.isfinite().all())))


@scenario(dtypes=("float32", "float64"))
def clip_grad(torch, rec):
    nn = torch.nn

    def params():
        a = nn.Parameter(rec.tensor(2, 2))
        b = nn.Parameter(rec.tensor(3).double())
        c = nn.Parameter(rec.tensor(1))  # no grad: skipped
        a.grad, b.grad = rec.tensor(2, 2) * 3, rec.tensor(3).double() * 3
        return [a, b, c]

    for norm_type in (2, 1, float("inf"), 3.5, 0, "inf"):
        ps = params()
        total = nn.utils.clip_grad_norm_(ps, 1.5, norm_type=norm_type)
        rec(f"norm_{norm_type}", (total, [p.grad for p in ps]))
    ps = params()
    rec("large_max_norm_unchanged", (nn.utils.clip_grad_norm_(ps[0], 100.0), ps[0].grad))
    ps = params()
    rec("foreach", (nn.utils.clip_grad_norm_(ps, 1.0, foreach=True), ps[0].grad))
    ps = params()
    ps[0].grad[0, 0] = float("nan")
    rec.raises("nonfinite_error", lambda: nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True))
    rec("nonfinite_scaled", (nn.utils.clip_grad_norm_(ps, 1.0), ps[1].grad))
    rec.raises("empty_generator", lambda: nn.utils.clip_grad_norm_((p for p in []), 1.0))
    rec("empty_list", nn.utils.clip_grad_norm_([], 1.0))
    ps = params()
    rec("value", (nn.utils.clip_grad_value_(ps, 0.75), [p.grad for p in ps]))
    ps = params()
    nn.utils.clip_grad_value_(ps[1], 0.1)
    rec("value_single", ps[1].grad)
    ps = params()
    rec("total_norm", nn.utils.get_total_norm([p.grad for p in ps[:2]], 2.0))
    nn.utils.clip_grads_with_norm_(ps, 1.0, torch.tensor(4.0))
    rec("clip_with_norm", [p.grad for p in ps])


@scenario(dtypes=("float32", "float64"))
def parameters_vector(torch, rec):
    nn = torch.nn
    net = _fill(torch, rec, nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1)))
    if rec.dtype == "float64":
        net.double()
    vec = nn.utils.parameters_to_vector(net.parameters())
    rec("vector", vec)
    rec("vector.grad_fn", vec.grad_fn)
    vec.sum().backward()
    rec("grads_through_vector", [p.grad for p in net.parameters()])
    weight = net[0].weight
    nn.utils.vector_to_parameters(rec.tensor(11), net.parameters())
    rec("set", list(net.parameters()))
    rec("same_parameter_objects", (net[0].weight is weight, weight.requires_grad))
    rec.raises("not_a_tensor", lambda: nn.utils.vector_to_parameters([1.0], net.parameters()))


@scenario
def non_full_backward_hooks(torch, rec):
    """register_backward_hook: the hook sees the gradients of the output's grad_fn only (Linear's AddmmBackward0:
    bias, input and weight.T), with torch's FutureWarning; it cannot be mixed with full backward hooks."""
    nn = torch.nn
    layer = _fill(torch, rec, nn.Linear(3, 2))
    seen = []
    handle = layer.register_backward_hook(lambda m, gi, go: seen.append((type(m).__name__, gi, go)))
    rec.raises("mixed", lambda: layer.register_full_backward_hook(lambda *a: None))
    x = rec.tensor(1, 3, requires_grad=True)
    rec.raises("forward_warns", lambda: layer(x).sum().backward())
    rec("seen", seen)
    rec("x.grad", x.grad)
    seen.clear()
    net = nn.Sequential(_fill(torch, rec, nn.Linear(3, 3)), nn.ReLU())
    net.register_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    rec.raises("sequential_warns", lambda: net(x).sum().backward())
    rec("sequential_sees_last_node", seen)
    replacing = nn.Tanh()
    replacing.register_backward_hook(lambda m, gi, go: (gi[0] * 0 + 3,))
    z = rec.tensor(2, requires_grad=True)
    replacing(z * 1).sum().backward()
    rec("replaced", z.grad)
    handle.remove()
    seen.clear()
    layer(x).sum().backward()
    rec("removed", seen)
    full = nn.ReLU()
    full.register_full_backward_hook(lambda *a: None)
    rec.raises("mixed_other_way", lambda: full.register_backward_hook(lambda *a: None))


@scenario
def copies_and_lookups(torch, rec):
    """copy.deepcopy of a module and of a Parameter (the grad stays behind), print(Parameter), and the dotted
    lookups get_submodule/get_parameter/get_buffer with their errors."""
    import copy
    nn = torch.nn
    net = _fill(torch, rec, nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    net.register_buffer("steps", torch.tensor(3))
    net(rec.tensor(1, 2)).sum().backward()
    twin = copy.deepcopy(net)
    rec("deepcopy", (repr(twin), twin[0].weight, type(twin[0].weight).__name__, twin[0].weight is net[0].weight,
                     twin[0].weight.grad, twin.steps))
    with torch.no_grad():
        net[0].weight.add_(1)
    rec("deepcopy_is_independent", twin[0].weight)
    sd = copy.deepcopy(net.state_dict())
    rec("state_dict_deepcopy", list(sd.items()))
    rec("str_parameter", str(net[0].bias))
    rec("format_parameter", f"{net[0].bias}")
    rec("get_parameter", net.get_parameter("0.bias"))
    rec("get_buffer", net.get_buffer("steps"))
    rec.raises("get_parameter_missing", lambda: net.get_parameter("0.zzz"))
    rec.raises("get_parameter_not_parameter", lambda: net.get_parameter("steps"))
    rec.raises("get_buffer_not_buffer", lambda: net.get_buffer("0.weight"))
    rec.raises("get_submodule_missing", lambda: net.get_submodule("5"))
    rec.raises("get_submodule_not_module", lambda: net.get_submodule("0.weight"))


@scenario
def state_dict_hooks_and_extra_state(torch, rec):
    """get_extra_state/set_extra_state ('_extra_state' keys), and the state_dict and load_state_dict pre/post
    hooks with their arguments and their refusals of returned values."""
    nn = torch.nn

    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)
            self.count = 0

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]

    source = _fill(torch, rec, Counter())
    source.count = 5
    sd = source.state_dict()
    rec("keys", (list(sd), sd["_extra_state"]))
    target = Counter()
    rec("load", (repr(target.load_state_dict(sd)), target.count, target.fc.weight))
    without_extra = {k: v for k, v in sd.items() if k != "_extra_state"}
    rec.raises("missing_extra", lambda: target.load_state_dict(without_extra))
    plain = nn.Linear(1, 1)
    rec.raises("unexpected_extra", lambda: plain.load_state_dict({**plain.state_dict(), "_extra_state": 1}))
    rec("nested_keys", list(nn.Sequential(Counter()).state_dict()))
    calls = []
    plain.register_state_dict_pre_hook(lambda m, prefix, keep_vars: calls.append(("pre", prefix, keep_vars)))
    handle = plain.register_state_dict_post_hook(
        lambda m, sd, prefix, meta: calls.append(("post", list(sd), prefix, meta)))
    net = nn.Sequential(plain)
    net.state_dict(keep_vars=True)
    rec("save_calls", calls)
    handle.remove()
    plain.register_state_dict_post_hook(lambda m, sd, prefix, meta: 1)
    rec.raises("post_hook_returns", lambda: net.state_dict())
    calls.clear()
    loaded = nn.Linear(1, 1)
    loaded.register_load_state_dict_pre_hook(
        lambda m, sd, prefix, meta, strict, missing, unexpected, errors: calls.append(
            ("load_pre", type(m).__name__, sorted(sd), prefix, meta, strict)))
    loaded.register_load_state_dict_post_hook(lambda m, keys: calls.append(("load_post", repr(keys))))
    holder = nn.Sequential(loaded)
    holder.load_state_dict({"0.weight": torch.ones(1, 1), "0.bias": torch.ones(1)})
    rec("load_calls", calls)
    loaded.register_load_state_dict_post_hook(lambda m, keys: 1)
    rec.raises("load_post_hook_returns", lambda: holder.load_state_dict(holder.state_dict()))


@scenario(dtypes=("float32", "float64"))
def hooked_network(torch, rec):
    """The feature-extraction / Grad-CAM pattern: forward hooks keep activations and put tensor hooks on them, full
    backward hooks on every layer and on the container (nested BackwardHookFunction nodes), a backward pre-hook;
    then double backward and retain_graph through a hooked module."""
    nn = torch.nn
    net = _fill(torch, rec, nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    if rec.dtype == "float64":
        net.double()
    acts, log = {}, []

    def keep_activation(name):
        def hook(module, args, output):
            acts[name] = output.detach()
            output.register_hook(lambda g: log.append((name, "tensor_hook", g)))
        return hook

    def keep_grads(name):
        return lambda module, grad_input, grad_output: log.append((name, "full", grad_input, grad_output))

    for i, layer in enumerate(net):
        layer.register_forward_hook(keep_activation(str(i)))
        layer.register_full_backward_hook(keep_grads(str(i)))
    net.register_full_backward_hook(keep_grads("net"))
    net.register_full_backward_pre_hook(lambda m, grad_output: log.append(("net", "pre", grad_output)))
    x = rec.tensor(2, 3, requires_grad=True)
    y = net(x)
    rec("grad_fns", (y.grad_fn, y.grad_fn.next_functions[0][0], y.grad_fn.next_functions[0][0].next_functions))
    y.pow(2).sum().backward()
    rec("log", log)
    rec("activations", sorted(acts.items()))
    rec("x.grad", x.grad)
    seen = []
    tanh = nn.Tanh()
    tanh.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    z = rec.tensor(2, requires_grad=True)
    g, = torch.autograd.grad(tanh(z).sum(), z, create_graph=True)
    rec("double_backward_grad_fn", g.grad_fn)
    g.sum().backward()
    rec("double_backward", (z.grad, seen))
    seen.clear()
    w = rec.tensor(2, requires_grad=True)
    out = tanh(w)
    out.sum().backward(retain_graph=True)
    out.sum().backward()
    rec("retain_graph", (w.grad, len(seen)))
