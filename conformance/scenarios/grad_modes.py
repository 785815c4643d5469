"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode, as blocks and decorators."""
import warnings

from . import scenario


@scenario
def no_grad_does_not_record(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    with torch.no_grad():
        y = x * 2
        with torch.enable_grad():
            z = x * 2
    rec("y", y)
    rec("z", z)
    rec("enabled_after", torch.is_grad_enabled())


@scenario
def set_grad_enabled_forms(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    with torch.set_grad_enabled(False):
        rec("in_block", x * 2)
    rec("after_block", x * 2)
    torch.set_grad_enabled(False)
    rec("disabled", (x * 2).requires_grad)
    torch.set_grad_enabled(True)
    rec("enabled", (x * 2).requires_grad)


@scenario
def decorators(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)

    @torch.no_grad()
    def frozen(t):
        return t * 2

    @torch.enable_grad()
    def tracked(t):
        return t * 2

    rec("frozen", frozen(x))
    with torch.no_grad():
        rec("tracked_inside_no_grad", tracked(x))
    rec("enabled_after", torch.is_grad_enabled())


@scenario
def inference_mode_tensors(torch, rec):
    with torch.inference_mode():
        t = torch.ones(2)
        rec("enabled_inside", torch.is_inference_mode_enabled())
    rec("is_inference", t.is_inference())
    w = torch.ones(2, requires_grad=True)
    rec.raises("save", lambda: w * t)
    rec.raises("inplace_outside", lambda: t.add_(1))


@scenario
def inference_mode_false_and_decorator(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)

    @torch.inference_mode()
    def infer(t):
        return t * 2

    y = infer(x)
    rec("y", y)
    rec("y_is_inference", y.is_inference())
    with torch.inference_mode(False):
        rec("z", x * 2)
    with torch.inference_mode():
        with torch.inference_mode(False):
            rec("nested_enabled", torch.is_inference_mode_enabled())


@scenario
def requires_grad_in_no_grad(torch, rec):
    with torch.no_grad():
        w = torch.zeros(3).requires_grad_()
        rec("w", w)
        y = w * 2
    rec("y", y)
    z = (w * 2).sum()
    z.backward()
    rec("grad", w.grad)


@scenario
def no_grad_inplace_on_leaf(torch, rec):
    w = torch.tensor(rec.data(3), requires_grad=True)
    with torch.no_grad():
        w.sub_(0.5 * torch.ones(3))
    rec("w", w)
    rec("version", w._version)
    (w * w).sum().backward()
    rec("grad", w.grad)


@scenario
def backward_and_grad_inside_inference_mode(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = (x * x).sum()
    with torch.inference_mode():
        rec("grad", torch.autograd.grad(y, x, retain_graph=True))
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        rec("grad_create_graph", g)
        rec("grad_create_graph.requires_grad", g.requires_grad)
        y.backward(retain_graph=True)
        rec("backward", x.grad)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the create_graph warning comes once per process
            y.backward(create_graph=True)
        rec("backward_create_graph", x.grad)


@scenario
def detach_in_place_inside_inference_mode(torch, rec):
    base = torch.tensor(rec.data(3, 3), requires_grad=True)
    view = base[0, 1:]
    y = base * 2
    leaf = torch.tensor(rec.data(2), requires_grad=True)
    with torch.inference_mode():
        rec("view", view.detach_())
        rec("non_leaf", y.detach_())
        rec("leaf", leaf.detach_())
    rec("view.grad_fn", view.grad_fn)
    rec("non_leaf.grad_fn", y.grad_fn)
    rec("leaf.requires_grad", leaf.requires_grad)


@scenario
def inference_tensors(torch, rec):
    with torch.inference_mode():
        t = torch.tensor(rec.data(2))
        rec.raises("version_inside", lambda: t._version)
        t.add_(1)
        rec("after_add_", t)
        view = t[:1]
        rec("view.is_inference", view.is_inference())
        rec.raises("view_version", lambda: view._version)
        u = torch.tensor(rec.data(2))
        rec.raises("requires_grad_inside", lambda: u.requires_grad_())
    rec("is_inference", t.is_inference())
    rec.raises("version_outside", lambda: t._version)
    rec.raises("add_outside", lambda: t.add_(1))
    rec.raises("requires_grad_", lambda: t.requires_grad_())
    rec.raises("requires_grad_false", lambda: t.requires_grad_(False))
    rec.raises("detach_", lambda: t.detach_())

    def set_requires_grad(tensor, flag):
        tensor.requires_grad = flag

    rec.raises("requires_grad_setter", lambda: set_requires_grad(t, True))
    with torch.inference_mode():
        i = torch.tensor([1, 2])
    rec.raises("int_requires_grad", lambda: set_requires_grad(i, True))


@scenario
def inference_mode_false_enables_grad(torch, rec):
    with torch.no_grad():
        with torch.inference_mode(False):
            rec("in_no_grad", torch.is_grad_enabled())
    with torch.inference_mode():
        with torch.inference_mode(False):
            rec("in_inference_mode", torch.is_grad_enabled())
            rec("inference", torch.is_inference_mode_enabled())
        rec("back", torch.is_grad_enabled())


@scenario
def requires_grad_setter_errors(torch, rec):
    x = torch.tensor(rec.data(2), requires_grad=True)
    y = x * 2

    def set_requires_grad(tensor, flag):
        tensor.requires_grad = flag

    rec.raises("non_leaf_true", lambda: set_requires_grad(y, True))
    rec.raises("non_leaf_false", lambda: set_requires_grad(y, False))
    rec.raises("non_leaf_method_true", lambda: y.requires_grad_(True))
    rec.raises("non_leaf_method_false", lambda: y.requires_grad_(False))
    rec.raises("not_a_bool", lambda: set_requires_grad(x, 1))
    rec.raises("none", lambda: set_requires_grad(y, None))


@scenario
def inference_inputs_versions_of_results(torch, rec):
    """Outside inference mode, an op of inference tensors alone runs its kernel without autograd, and the result
    is a normal tensor: each write the kernel makes into it through an out= variant or an in-place op (sum.out,
    mean's div_, clone's copy_, pad's fill_ and copy_) counts in its version. A trivial case of a kernel (an empty
    input, dims of size 1) writes where the general one computes into the result directly."""
    def inference(*shape):
        with torch.inference_mode():
            return torch.tensor(rec.data(*shape)) if shape[-1] else torch.zeros(shape)
    F = torch.nn.functional
    ops = {
        "exp": lambda x: x.exp(), "abs": lambda x: x.abs(), "abs_int": lambda x: x.long().abs(),
        "sum": lambda x: x.sum(), "sum_dim": lambda x: x.sum(0), "mean": lambda x: x.mean(1), "prod": lambda x: x.prod(),
        "amax": lambda x: x.amax(0), "max": lambda x: x.max(), "max_dim": lambda x: list(x.max(1)),
        "argmax": lambda x: x.argmax(), "argmax_dim": lambda x: x.argmax(0), "all": lambda x: x.all(),
        "var": lambda x: x.var(), "var_dim": lambda x: x.var(0), "norm": lambda x: x.norm(),
        "norm_dim": lambda x: x.norm(dim=0), "logsumexp": lambda x: x.logsumexp(1), "cumsum": lambda x: x.cumsum(0),
        "softmax": lambda x: x.softmax(0), "clone": lambda x: x.clone(), "double": lambda x: x.double(),
        "contiguous": lambda x: x.t().contiguous(), "repeat": lambda x: x.repeat(2, 1), "flip": lambda x: x.flip(0),
        "roll": lambda x: x.roll(1, 0), "logical_and": lambda x: torch.logical_and(x, x), "eq": lambda x: x == x,
        "mv": lambda x: torch.mv(x, x[0]), "mm": lambda x: x @ x.t(), "pad": lambda x: F.pad(x, (1, 0)),
        "pad_none": lambda x: F.pad(x, (0, 0)), "mse_loss": lambda x: F.mse_loss(x, x),
        "mse_loss_none": lambda x: F.mse_loss(x, x, reduction="none"), "det": lambda x: torch.linalg.det(x[:, :2]),
        "inv": lambda x: torch.linalg.inv(x[:, :2]), "times_number": lambda x: x * 2,
        "bce_with_logits_none": lambda x: F.binary_cross_entropy_with_logits(x, x, reduction="none"),
        "bce_with_logits_weighted": lambda x: F.binary_cross_entropy_with_logits(x, x, x, reduction="none"),
        "bce_with_logits_mean": lambda x: F.binary_cross_entropy_with_logits(x, x),
    }
    for shape in ((2, 3), (1, 3), (0, 3)):
        for name, op in ops.items():
            key = f"{'x'.join(map(str, shape))}.{name}"
            try:
                y = op(inference(*shape))
            except RuntimeError as exc:  # an empty input some ops refuse: the error is compared
                rec(key, type(exc).__name__)
                continue
            rec(key, [t._version for t in y] if isinstance(y, list) else [y._version, y.is_inference()])


# Outside inference mode, an op runs its autograd kernel (records, checks an in-place use) only when one of its tensor
# arguments is a normal tensor: inference tensors carry no autograd dispatch key. A Python number that PyTorch wraps
# into a tensor (`t * 2`, mul.Tensor) counts; a Scalar argument (`t.pow(2)`, `t.clamp(0, 1)`) does not.
def _inference_leaf(torch, rec, *shape):
    with torch.inference_mode():
        return torch.tensor(rec.data(*shape), requires_grad=True)


@scenario
def inference_tensor_requiring_grad_in_ops(torch, rec):
    F = torch.nn.functional
    t = _inference_leaf(torch, rec, 3)
    normal = torch.tensor(rec.data(3))
    leaf = torch.tensor(rec.data(3), requires_grad=True)
    cases = {
        # every tensor argument an inference tensor: nothing recorded, the result requires no grad
        "exp": lambda: torch.exp(t), "sum": lambda: t.sum(), "sum_dim": lambda: t.sum(0, keepdim=True),
        "cumsum": lambda: t.cumsum(0), "silu": lambda: F.silu(t), "sigmoid": lambda: torch.sigmoid(t),
        "matmul": lambda: t @ t, "mul_self": lambda: t * t, "pow": lambda: t ** 2, "clamp": lambda: t.clamp(0, 1),
        "neg": lambda: -t, "relu": lambda: F.relu(t), "softmax": lambda: F.softmax(t, 0), "max": lambda: t.max(),
        "min_dim": lambda: t.min(0), "norm": lambda: t.norm(), "cat_self": lambda: torch.cat([t, t]),
        "rtruediv": lambda: 2 / t, "linear": lambda: F.linear(t, torch.ones(2, 3)),
        # a normal tensor argument, or a wrapped number: recorded
        "mul_number": lambda: t * 2, "number_mul": lambda: 2 * t, "add_number": lambda: t + 1,
        "add_fn": lambda: torch.add(t, 2), "sub_alpha": lambda: torch.sub(t, 2, alpha=2), "div_number": lambda: t / 2,
        "mul_normal": lambda: t * normal, "add_normal": lambda: normal + t, "cat_normal": lambda: torch.cat([t, normal]),
        "where_normal_condition": lambda: torch.where(normal > 0, t, normal), "index_list": lambda: t[[0, 2]],
        "index_select": lambda: t.index_select(0, torch.tensor([0])),
        # recorded, and the node would save the inference tensor
        "mul_leaf": lambda: t * leaf, "gather": lambda: t.gather(0, torch.tensor([0])),
    }
    for name, fn in cases.items():
        rec.raises(name, fn)
    (t * 2 + normal * t + t[[0, 2]].sum()).sum().backward()
    rec("grad", t.grad)


@scenario
def inference_tensor_requiring_grad_in_composites(torch, rec):
    """Ops whose PyTorch kernel calls another op with a new normal tensor: that op's autograd kernel runs."""
    t = _inference_leaf(torch, rec, 3)
    m = _inference_leaf(torch, rec, 2, 3)
    with torch.inference_mode():
        mask = m > 0
        target = torch.tensor(rec.data(3)).sigmoid()
    F = torch.nn.functional
    cases = {
        # empty_like + copy_: CopyBackwards (masked_fill's clone, then masked_fill_ saves the inference mask)
        "clone": lambda: t.clone(), "double": lambda: t.double(), "to": lambda: t.to(torch.float64),
        "pow_1": lambda: t.pow(1), "pow_0": lambda: t.pow(0), "masked_fill": lambda: m.masked_fill(mask, 0.0),
        "masked_fill_normal_mask": lambda: m.masked_fill(torch.ones(3, dtype=torch.bool), 0.0),
        # a Scalar overload runs its Tensor overload with the number wrapped
        "fmod": lambda: t.fmod(2), "remainder": lambda: t.remainder(1.5), "floor_divide": lambda: t // 2,
        "rsub": lambda: 1 - t, "rsub_alpha": lambda: torch.rsub(t, 2, alpha=3), "number_remainder": lambda: 2 % t,
        # an out= op into a new tensor refuses an input that requires grad
        "mean": lambda: t.mean(), "mean_dim": lambda: m.mean(1), "abs": lambda: t.abs(), "var": lambda: t.var(),
        "std_all_dims": lambda: m.std((0, 1)), "var_dim": lambda: m.var(1), "std_dim": lambda: m.std(0),
        "logsumexp": lambda: m.logsumexp(1), "number_pow": lambda: 2 ** t, "one_pow": lambda: 1 ** t,
        "isinf": lambda: t.isinf(), "isnan": lambda: t.isnan(),
        # flip clones when no flipped dim has two elements
        "flip_size_1_dim": lambda: m[:1].flip(0), "flip_no_dims": lambda: t.flip([]), "flip_long_dim": lambda: t.flip(0),
        "flip_one_element": lambda: t[:1].flip(0),
        # C++'s `1 - target` (a new tensor, fill_ then sub_), mul_(input), sub_(log_sigmoid(input)), then reduced:
        # mul_ saves the input when the target requires grad
        "bce_with_logits": lambda: F.binary_cross_entropy_with_logits(t, target),
        "bce_with_logits_none_weighted": lambda: F.binary_cross_entropy_with_logits(
            t, target, weight=target, pos_weight=target, reduction="none"),
        "bce_with_logits_target_requires_grad": lambda: F.binary_cross_entropy_with_logits(target, t),
    }
    for name, fn in cases.items():
        rec.raises(name, fn)
    (t.clone() * 2 + t.double().float() + (1 - t) + t.fmod(1.5) + t.remainder(1.5) + t.pow(1)).sum().backward()
    rec("grad", t.grad)
    F.binary_cross_entropy_with_logits(t, target, reduction="sum").backward()
    rec("grad_after_bce_with_logits", t.grad)
    with torch.no_grad():
        rec.raises("no_grad_mean", lambda: t.mean())
    with torch.inference_mode():
        rec.raises("inference_mode_clone", lambda: t.clone())


@scenario
def inference_tensor_requiring_grad_views(torch, rec):
    """A view of an inference tensor is an inference tensor and no view for autograd: no base, no grad."""
    t = _inference_leaf(torch, rec, 2, 3)
    normal = torch.tensor(rec.data(1, 3))
    views = {"unsqueeze": t.unsqueeze(0), "view": t.view(6), "reshape": t.reshape(3, 2), "select": t[0],
             "slice": t[:, 1:], "t": t.t(), "expand": t[:1].expand(2, 3), "narrow": t.narrow(0, 0, 1),
             "squeeze": t.unsqueeze(0).squeeze()}
    for name, v in views.items():
        rec(name, [v, v.is_inference(), v._base is None])
    rec("unbind", [[v.requires_grad, v.is_inference()] for v in t.unbind()])
    rec("split", [[v.requires_grad, v.is_inference()] for v in t.split(1)])
    rec.raises("view_times_number", lambda: t.view(6) * 2)
    rec.raises("view_exp", lambda: t[0].exp())
    rec.raises("cat_view_normal", lambda: torch.cat([t[:1], normal]))
    with torch.inference_mode():
        inside = t.view(6)
    rec("view_inside", [inside, inside._base is None])


@scenario
def inference_tensor_requiring_grad_in_place(torch, rec):
    t = _inference_leaf(torch, rec, 3)
    normal = torch.tensor(rec.data(3))

    def on_copy(fn):
        x = normal.clone()
        fn(x)
        return x

    def set_item(x, index, value):
        x[index] = value

    # a normal tensor written with an inference one: recorded
    rec.raises("add_", lambda: on_copy(lambda x: x.add_(t)))
    rec.raises("mul_", lambda: on_copy(lambda x: x.mul_(t)))
    rec.raises("copy_", lambda: on_copy(lambda x: x.copy_(t)))
    rec.raises("view_add_", lambda: on_copy(lambda x: x[:].add_(t)))
    rec.raises("clamp_", lambda: on_copy(lambda x: x.clamp_(min=t)))
    rec.raises("setitem_select", lambda: on_copy(lambda x: set_item(x, 0, t[1])))  # t[1] requires no grad
    rec.raises("setitem_list", lambda: on_copy(lambda x: set_item(x, [0, 1], t[:2] * 2)))
    on_copy(lambda x: x.mul_(t)).sum().backward()
    rec("grad", t.grad)
    # an inference tensor written outside inference mode: refused after the write, unless autograd's check refuses
    # first (a leaf that requires grad), which runs only with a normal tensor or a wrapped number among the arguments
    for name, fn in {"exp_": lambda u: u.exp_(), "zero_": lambda u: u.zero_(), "fill_": lambda u: u.fill_(1),
                     "clamp_scalars": lambda u: u.clamp_(0, 1), "setitem_number": lambda u: set_item(u, 0, 1.0),
                     "add_number": lambda u: u.add_(1), "mul_number": lambda u: u.mul_(2),
                     "add_normal": lambda u: u.add_(normal), "add_inference": lambda u: u.add_(t)}.items():
        u = _inference_leaf(torch, rec, 3)
        rec.raises(name, lambda: fn(u))
        with torch.inference_mode():
            rec(f"{name}.after", u.clone())
    u = _inference_leaf(torch, rec, 3)
    rec.raises("detach_", lambda: u.detach_())
    rec("detach_.requires_grad", u.requires_grad)


@scenario
def inference_tensor_saved_before_the_kernel_checks(torch, rec):
    """PyTorch saves a node's inputs before its kernel runs: an inference tensor the node would save is refused
    before the kernel finds the shapes do not broadcast or multiply; an op that does not save it (add, where)
    reports the shapes."""
    with torch.inference_mode():
        a = torch.tensor(rec.data(2, 3))
    b = torch.tensor(rec.data(4), requires_grad=True)
    cases = {"mul": lambda: a * b, "div": lambda: a / b, "pow": lambda: a ** b, "atan2": lambda: torch.atan2(a, b),
             "maximum": lambda: torch.maximum(a, b), "minimum": lambda: torch.minimum(b, a),
             "matmul": lambda: a @ b, "mm": lambda: a.mm(b.reshape(2, 2)), "mv": lambda: a.mv(b),
             "bmm": lambda: a.unsqueeze(0).bmm(b.reshape(1, 2, 2)),
             "addmm": lambda: torch.addmm(b[:2], a, b.reshape(2, 2)),
             "add": lambda: a + b, "where": lambda: torch.where(b > 0, a, b), "cat": lambda: torch.cat([a, b])}
    for name, fn in cases.items():
        rec.raises(name, fn)


@scenario
def set_multithreading_enabled_forms(torch, rec):
    """set_multithreading_enabled: a function, a block that nests and a decorator, with no effect on the
    results on the CPU (backward runs on the calling thread); its argument must be a bool."""
    x = torch.tensor(rec.data(2), requires_grad=True)
    with torch.autograd.set_multithreading_enabled(False):
        with torch.autograd.set_multithreading_enabled(True):
            (x * x).sum().backward()
        (x * 3).sum().backward()
    rec("grad", x.grad)

    @torch.autograd.set_multithreading_enabled(False)
    def backward_of(t):
        (t * 2).sum().backward()
        return t.grad

    rec("decorated", backward_of(torch.tensor(rec.data(2), requires_grad=True)))
    rec.raises("as_function", lambda: torch.autograd.set_multithreading_enabled(True) and None)
    rec.raises("int", lambda: torch.autograd.set_multithreading_enabled(1))
    rec.raises("missing", lambda: torch.autograd.set_multithreading_enabled())
