"""torch.optim beyond SGD's update: Adam, AdamW, RMSprop and Adagrad trained for a few steps with each of
their options; every optimizer's state_dict / load_state_dict, param_groups, add_param_group, zero_grad and
repr; the learning-rate schedulers StepLR, ExponentialLR, LambdaLR and CosineAnnealingLR; and the errors and
warnings of bad arguments and misordered calls.

A small model (Linear(3, 2), tanh, Linear(2, 1)) starts from harness data copied into its parameters, since each
engine has its own RNG; gradients come from an MSE loss on harness data."""
from . import scenario

FLOATS = ("float32", "float64")


def _model(torch, rec):
    nn = torch.nn
    net = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    net = net.double() if rec.dtype == "float64" else net
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(rec.tensor(*p.shape, low=-1.0, high=1.0))
    return net


def _train(torch, rec, net, opt, steps=5):
    """`steps` optimizer steps on one minibatch; the losses as a tensor."""
    X, y = rec.tensor(8, 3), rec.tensor(8, 1)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(X), y)
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    return torch.stack(losses)


def _trajectories(torch, rec, name, options):
    """Each option set trains a fresh model; the losses, the parameters and the optimizer's state are recorded."""
    for label, opts in options.items():
        net = _model(torch, rec)
        opt = getattr(torch.optim, name)(net.parameters(), **opts)
        rec(f"{label}.losses", _train(torch, rec, net, opt))
        for i, p in enumerate(net.parameters()):
            rec(f"{label}.param{i}", p)
        last = net[2].weight
        rec(f"{label}.state_keys", list(opt.state[last].keys()))
        for key, value in opt.state[last].items():
            rec(f"{label}.state.{key}", value)


@scenario(dtypes=FLOATS)
def adam_trajectory(torch, rec):
    _trajectories(torch, rec, "Adam", {
        "default": {}, "lr": {"lr": 0.05}, "betas": {"lr": 0.01, "betas": (0.8, 0.9)}, "eps": {"eps": 1e-3},
        "weight_decay": {"lr": 0.01, "weight_decay": 0.1}, "amsgrad": {"lr": 0.05, "amsgrad": True},
        "maximize": {"lr": 0.01, "maximize": True},
        "decoupled": {"lr": 0.01, "weight_decay": 0.5, "decoupled_weight_decay": True},
        "foreach_false": {"lr": 0.01, "foreach": False},
        "all": {"lr": 0.02, "betas": (0.5, 0.6), "weight_decay": 0.2, "amsgrad": True, "maximize": True}})


@scenario(dtypes=FLOATS)
def adamw_trajectory(torch, rec):
    _trajectories(torch, rec, "AdamW", {
        "default": {}, "weight_decay": {"lr": 0.01, "weight_decay": 0.5}, "no_decay": {"weight_decay": 0},
        "amsgrad": {"lr": 0.05, "amsgrad": True, "betas": (0.7, 0.8)}, "maximize": {"lr": 0.01, "maximize": True}})
    net = _model(torch, rec)
    opt = torch.optim.AdamW(net.parameters())
    rec("is_adam", isinstance(opt, torch.optim.Adam))
    rec("decoupled_weight_decay", opt.param_groups[0]["decoupled_weight_decay"])


@scenario(dtypes=FLOATS)
def rmsprop_trajectory(torch, rec):
    _trajectories(torch, rec, "RMSprop", {
        "default": {}, "alpha": {"alpha": 0.9}, "eps": {"eps": 1e-2}, "weight_decay": {"weight_decay": 0.1},
        "momentum": {"momentum": 0.9}, "centered": {"centered": True},
        "centered_momentum": {"lr": 0.005, "centered": True, "momentum": 0.5}, "maximize": {"maximize": True}})


@scenario(dtypes=FLOATS)
def adagrad_trajectory(torch, rec):
    _trajectories(torch, rec, "Adagrad", {
        "default": {}, "lr_decay": {"lr": 0.1, "lr_decay": 0.5}, "weight_decay": {"weight_decay": 0.1},
        "initial_accumulator_value": {"initial_accumulator_value": 0.5}, "eps": {"eps": 1e-2},
        "maximize": {"maximize": True}})


@scenario
def adagrad_state_from_the_start(torch, rec):
    """Adagrad makes its state when built; a group added later gets it at its first step."""
    net = _model(torch, rec)
    opt = torch.optim.Adagrad(net[0].parameters(), initial_accumulator_value=0.25)
    rec("state_before_any_step", {k: sorted(v) for k, v in opt.state_dict()["state"].items()})
    rec("sum", opt.state[net[0].weight]["sum"])
    rec("step", opt.state[net[0].bias]["step"])
    opt.add_param_group({"params": net[2].parameters()})
    rec("added_group_state", len(opt.state[net[2].weight]))
    _train(torch, rec, net, opt, steps=2)
    rec("added_group_sum", opt.state[net[2].weight]["sum"])
    rec("steps", [opt.state[p]["step"] for p in net.parameters()])


OPTIMIZERS = {"SGD": {"lr": 0.1, "momentum": 0.9}, "Adam": {"lr": 0.01, "amsgrad": True}, "AdamW": {"lr": 0.01},
              "RMSprop": {"momentum": 0.5, "centered": True}, "Adagrad": {"lr_decay": 0.1}}


@scenario
def state_dict_structure(torch, rec):
    """Keys by parameter index over all groups, the per-parameter state ('step' a float32 tensor), and every
    group's options with 'params' as indices; the state's tensors are the optimizer's own, not copies."""
    for name, opts in OPTIMIZERS.items():
        net = _model(torch, rec)
        opt = getattr(torch.optim, name)([{"params": net[0].parameters()},
                                          {"params": net[2].parameters(), "lr": 0.5}], **opts)
        _train(torch, rec, net, opt, steps=2)
        sd = opt.state_dict()
        rec(f"{name}.keys", list(sd))
        rec(f"{name}.state_indices", list(sd["state"]))
        rec(f"{name}.param_state_keys", [list(s) for s in sd["state"].values()])
        rec(f"{name}.param_groups", repr(sd["param_groups"]))
        for key, value in sd["state"][3].items():
            rec(f"{name}.state3.{key}", value)
        rec(f"{name}.shares_tensors", all(v is opt.state[net[2].bias][k] for k, v in sd["state"][3].items()))


@scenario(dtypes=FLOATS)
def state_dict_round_trip(torch, rec):
    """A second optimizer loaded from the first's state_dict continues exactly as the first does."""
    for name, opts in OPTIMIZERS.items():
        net, twin = _model(torch, rec), _model(torch, rec)
        with torch.no_grad():
            for p, q in zip(net.parameters(), twin.parameters()):
                q.copy_(p)
        opt = getattr(torch.optim, name)(net.parameters(), **opts)
        _train(torch, rec, net, opt, steps=2)
        with torch.no_grad():
            for p, q in zip(net.parameters(), twin.parameters()):
                q.copy_(p)
        twin_opt = getattr(torch.optim, name)(twin.parameters(), lr=123.0)
        twin_opt.load_state_dict(opt.state_dict())
        rec(f"{name}.loaded_groups", repr(twin_opt.state_dict()["param_groups"]))
        rec(f"{name}.loaded_lr", twin_opt.param_groups[0]["lr"])
        rec(f"{name}.losses", _train(torch, rec, net, opt, steps=3))
        rec(f"{name}.twin_losses", _train(torch, rec, twin, twin_opt, steps=3))
        rec(f"{name}.twin_weight", twin[2].weight)
        rec(f"{name}.same", all(bool((p == q).all()) for p, q in zip(net.parameters(), twin.parameters())))


@scenario
def load_state_dict_errors_and_casts(torch, rec):
    net = _model(torch, rec)
    opt = torch.optim.Adam(net.parameters())
    _train(torch, rec, net, opt, steps=1)
    sd = opt.state_dict()
    rec.raises("fewer_groups", lambda: torch.optim.Adam([{"params": net[0].parameters()},
                                                          {"params": net[2].parameters()}]).load_state_dict(sd))
    rec.raises("group_size", lambda: torch.optim.Adam(net[0].parameters()).load_state_dict(sd))
    doubled = torch.optim.Adam([p.detach().double().requires_grad_() for p in net.parameters()])
    doubled.load_state_dict(sd)
    state = doubled.state[doubled.param_groups[0]["params"][0]]
    rec("cast_to_param_dtype", state["exp_avg"])
    rec("step_kept", state["step"])


@scenario
def param_groups_and_add_param_group(torch, rec):
    net = _model(torch, rec)
    opt = torch.optim.Adam([{"params": net[0].parameters(), "lr": 0.1}, {"params": [net[2].weight]}],
                           lr=0.01, betas=(0.5, 0.6))
    rec("groups", [sorted(g) for g in opt.param_groups])
    rec("lrs", [g["lr"] for g in opt.param_groups])
    rec("betas", [g["betas"] for g in opt.param_groups])
    group = {"params": net[2].bias, "eps": 0.5}
    opt.add_param_group(group)
    rec("added_group_is_the_dict", opt.param_groups[-1] is group)
    rec("added_group", repr({k: v for k, v in group.items() if k != "params"}))
    rec("added_params_is_list", isinstance(group["params"], list))
    rec.raises("again", lambda: opt.add_param_group({"params": [net[2].bias]}))
    rec.raises("not_a_dict", lambda: opt.add_param_group([net[2].bias]))
    rec.raises("a_set", lambda: opt.add_param_group({"params": {net[2].bias}}))
    rec.raises("not_a_tensor", lambda: opt.add_param_group({"params": [1.0]}))
    rec.raises("non_leaf", lambda: opt.add_param_group({"params": [net[2].bias * 2]}))
    rec.raises("duplicate", lambda: repr(torch.optim.SGD([net[2].bias, net[2].bias], lr=0.1)))
    rec.raises("params_a_tensor", lambda: torch.optim.SGD(net[2].bias, lr=0.1))
    _train(torch, rec, net, opt, steps=2)
    rec("weights", [p for p in net.parameters()])


@scenario
def named_parameters_give_param_names(torch, rec):
    net = _model(torch, rec)
    opt = torch.optim.AdamW(net.named_parameters(), lr=0.01)
    rec("param_names", opt.param_groups[0]["param_names"])
    rec("params_are_tensors", [type(p).__name__ for p in opt.param_groups[0]["params"]])
    rec("state_dict_group", repr(opt.state_dict()["param_groups"]))
    rec.raises("mixed", lambda: torch.optim.SGD([("a", net[0].weight), net[0].bias], lr=0.1))
    rec.raises("group_without_names", lambda: opt.add_param_group({"params": [torch.zeros(2, requires_grad=True)]}))


@scenario
def zero_grad_set_to_none(torch, rec):
    net = _model(torch, rec)
    opt = torch.optim.RMSprop(net.parameters())
    _train(torch, rec, net, opt, steps=1)
    opt.zero_grad(set_to_none=False)
    rec("zeroed", net[0].weight.grad)
    opt.zero_grad()
    rec("none", net[0].weight.grad)
    w = torch.ones(2, requires_grad=True)
    (w * w).sum().backward(create_graph=True)
    rec("grad_with_graph", w.grad)
    torch.optim.SGD([w], lr=0.1).zero_grad(set_to_none=False)
    rec("zeroed_grad_detached", (w.grad, w.grad.grad_fn is None))
    w.grad = torch.ones(2, requires_grad=True)
    torch.optim.SGD([w], lr=0.1).zero_grad(set_to_none=False)
    rec("zeroed_grad_stops_requiring_grad", w.grad)


@scenario
def step_with_closure(torch, rec):
    net = _model(torch, rec)
    X, y = rec.tensor(8, 3), rec.tensor(8, 1)
    for name, opts in OPTIMIZERS.items():
        opt = getattr(torch.optim, name)(net.parameters(), **opts)

        def closure():
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(X), y)
            loss.backward()
            return loss
        with torch.no_grad():
            rec(f"{name}.loss", opt.step(closure))
        rec(f"{name}.weight", net[0].weight)
    opt = torch.optim.Adam(net.parameters())
    opt.zero_grad()
    rec("no_grads_no_state", (opt.step(), len(opt.state)))


@scenario
def reprs(torch, rec):
    w = torch.zeros(2, requires_grad=True)
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        rec(f"{name}.default", repr(getattr(torch.optim, name)([w])))
    rec("Adam.options", repr(torch.optim.Adam([w], lr=0.1, betas=(0.5, 0.6), eps=1e-6, weight_decay=0.01,
                                               amsgrad=True, maximize=True, foreach=False)))
    rec("RMSprop.options", repr(torch.optim.RMSprop([w], lr=0.1, alpha=0.5, momentum=0.9, centered=True)))
    two_groups = torch.optim.SGD([{"params": [w]}, {"params": [torch.ones(1, requires_grad=True)], "lr": 0.5}],
                                 lr=0.1)
    torch.optim.lr_scheduler.StepLR(two_groups, step_size=2)
    rec("two_groups_with_scheduler", repr(two_groups))


@scenario
def argument_errors(torch, rec):
    w = torch.zeros(2, requires_grad=True)
    bad = {
        "Adam": [{"lr": -1.0}, {"eps": -1e-8}, {"betas": (1.0, 0.999)}, {"betas": (0.9, -0.1)},
                 {"weight_decay": -0.1}, {"betas": (0, 0.9)}, {"fused": True, "foreach": True}],
        "AdamW": [{"lr": -0.5}, {"betas": (0.9, 1.5)}, {"weight_decay": -1.0}],
        "RMSprop": [{"lr": -1.0}, {"eps": -1.0}, {"momentum": -0.5}, {"weight_decay": -1.0}, {"alpha": -0.1}],
        "Adagrad": [{"lr": -1.0}, {"lr_decay": -1.0}, {"weight_decay": -1.0}, {"initial_accumulator_value": -1.0},
                    {"eps": -1.0}],
        "SGD": [{"lr": -0.1}, {"momentum": -0.9}, {"weight_decay": -1.0}, {"nesterov": True},
                {"nesterov": True, "momentum": 0.9, "dampening": 0.1}],
    }
    for name, cases in bad.items():
        for i, opts in enumerate(cases):
            rec.raises(f"{name}.{i}", lambda: getattr(torch.optim, name)([w], **opts))
    rec.raises("empty", lambda: torch.optim.Adam([]))
    rec.raises("not_an_optimizer", lambda: torch.optim.lr_scheduler.StepLR(object(), step_size=1))


def _scheduled(torch, rec, make_scheduler, epochs=8, lr=0.1, groups=1):
    """The lr of every group after each epoch (optimizer.step() then scheduler.step())."""
    weights = [torch.zeros(2, requires_grad=True) for _ in range(groups)]
    opt = torch.optim.SGD([{"params": [w], "lr": lr * (i + 1)} for i, w in enumerate(weights)], lr=lr)
    sched = make_scheduler(opt)
    rec("initial", (sched.get_last_lr(), sched.last_epoch, [g["initial_lr"] for g in opt.param_groups]))
    lrs = []
    for _ in range(epochs):
        for w in weights:
            w.grad = torch.ones(2)
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    rec("lrs", lrs)
    rec("group_lrs", [g["lr"] for g in opt.param_groups])
    rec("last_epoch", sched.last_epoch)
    rec("weights", weights)
    return opt, sched


def _state_dict_of(rec, sched):
    sd = sched.state_dict()
    rec("state_dict_keys", list(sd))
    rec("state_dict", repr({k: v for k, v in sd.items() if k != "lr_lambdas"}))


@scenario
def step_lr(torch, rec):
    opt, sched = _scheduled(torch, rec, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
                            groups=2)
    _state_dict_of(rec, sched)
    again = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    again.load_state_dict(sched.state_dict())
    again.step()
    rec("loaded_then_stepped", (again.get_last_lr(), again.last_epoch))


@scenario
def exponential_lr(torch, rec):
    _, sched = _scheduled(torch, rec, lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9))
    _state_dict_of(rec, sched)


@scenario
def lambda_lr(torch, rec):
    class Warmup:
        def __init__(self, steps):
            self.steps = steps

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.steps)

    _, sched = _scheduled(torch, rec, lambda o: torch.optim.lr_scheduler.LambdaLR(o, [lambda e: 0.95 ** e,
                                                                                      Warmup(4)]), groups=2)
    _state_dict_of(rec, sched)
    rec("lr_lambdas_saved", sched.state_dict()["lr_lambdas"])
    weights = [torch.zeros(1, requires_grad=True)]
    rec.raises("wrong_count", lambda: torch.optim.lr_scheduler.LambdaLR(torch.optim.SGD(weights), [abs, abs]))


@scenario
def cosine_annealing_lr(torch, rec):
    _, sched = _scheduled(torch, rec, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4,
                                                                                           eta_min=0.01),
                          epochs=12, groups=2)
    _state_dict_of(rec, sched)


@scenario
def scheduler_warnings(torch, rec):
    """Stepping the scheduler before the optimizer, calling get_lr() directly, passing an epoch, and resuming
    (last_epoch >= 0) without 'initial_lr'."""
    def scheduler_first():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1)
        sched.step()
        return sched.get_last_lr()
    rec.raises("scheduler_first", scheduler_first)

    def get_lr_directly():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5).get_lr()
    rec.raises("get_lr_directly", get_lr_directly)

    def with_epoch():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        opt.step()
        sched.step(5)
        return sched.get_last_lr(), sched.last_epoch
    rec.raises("with_epoch", with_epoch)

    def resumed():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3, last_epoch=2)
    rec.raises("resumed_without_initial_lr", resumed)

    def resumed_from_epoch():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        opt.param_groups[0]["initial_lr"] = 0.2
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5, last_epoch=2)
        return sched.get_last_lr(), sched.last_epoch
    rec.raises("resumed_from_epoch", resumed_from_epoch)

    def ordered():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1)
        opt.step()
        sched.step()
        return sched.get_last_lr()
    rec.raises("optimizer_first_no_warning", ordered)


@scenario
def step_counter_follows_default_dtype(torch, rec):
    """'step' is a float32 tensor, or float64 while that is the default dtype."""
    previous = torch.get_default_dtype()
    try:
        for default in (torch.float32, torch.float64):
            torch.set_default_dtype(default)
            w = torch.zeros(2, dtype=torch.float32, requires_grad=True)
            opts = [torch.optim.Adam([w]), torch.optim.RMSprop([w]), torch.optim.Adagrad([w])]
            w.grad = torch.ones(2, dtype=torch.float32)
            for opt in opts:
                opt.step()
            rec(f"{default}.steps", [opt.state[w]["step"] for opt in opts])
    finally:
        torch.set_default_dtype(previous)


@scenario
def deepcopied_state_dict(torch, rec):
    """A checkpoint kept with copy.deepcopy is unaffected by later steps, and restores them."""
    import copy
    net = _model(torch, rec)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    _train(torch, rec, net, opt, steps=2)
    saved = copy.deepcopy(opt.state_dict())
    weights = [p.detach().clone() for p in net.parameters()]
    first = _train(torch, rec, net, opt, steps=2)
    rec("checkpoint_kept", saved["state"][0]["exp_avg"])
    with torch.no_grad():
        for p, w in zip(net.parameters(), weights):
            p.copy_(w)
    opt.load_state_dict(saved)
    rec("replayed_the_same", bool((first == _train(torch, rec, net, opt, steps=2)).all()))


@scenario
def custom_optimizer_subclass(torch, rec):
    """A user's Optimizer subclass (d2l style): defaults, self.state as a defaultdict, state_dict of its state."""
    class SignSGD(torch.optim.Optimizer):
        def __init__(self, params, lr=0.01, decay=0.5):
            super().__init__(params, {"lr": lr, "decay": decay})

        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    state["count"] = state.get("count", 0) + 1
                    p.add_(p.grad.sign(), alpha=-group["lr"] * group["decay"] ** state["count"])

    net = _model(torch, rec)
    opt = SignSGD([{"params": net[0].parameters()}, {"params": net[2].parameters(), "decay": 0.9}], lr=0.1)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    losses = []
    for _ in range(3):
        losses.append(_train(torch, rec, net, opt, steps=1))
        sched.step()
    rec("losses", torch.cat(losses))
    rec("state_dict", repr(opt.state_dict()))
    rec("repr", repr(opt))
    rec("lrs", sched.get_last_lr())


@scenario
def hooks(torch, rec):
    """Step pre/post hooks (a pre-hook may replace the arguments), state_dict and load_state_dict hooks with
    prepend, and handles that remove them. (The global step hooks are in torch.optim.optimizer, which torch.optim
    does not keep as an attribute: tests/test_optim.py compares them.)"""
    net = _model(torch, rec)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    calls = []
    handles = [
        opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", type(o).__name__, len(args),
                                                                          sorted(kwargs)))),
        opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", len(args)))),
        opt.register_state_dict_pre_hook(lambda o: calls.append("sd pre")),
        opt.register_state_dict_post_hook(lambda o, sd: dict(sd, extra=1)),
        opt.register_state_dict_post_hook(lambda o, sd: calls.append(("sd post first", sorted(sd))), prepend=True),
        opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append(("load pre", sorted(sd)))),
        opt.register_load_state_dict_post_hook(lambda o: calls.append("load post")),
    ]
    try:
        _train(torch, rec, net, opt, steps=1)
        sd = opt.state_dict()
        rec("state_dict_keys", list(sd))
        opt.load_state_dict(sd)
        opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": None}))
        opt.step(closure=lambda: 1.0)
        bad = opt.register_step_pre_hook(lambda o, args, kwargs: "nonsense")
        try:
            opt.step()
        except RuntimeError as error:  # it names the step function, with its address
            rec("bad_pre_hook_result", str(error).split(">", 1)[-1])
        bad.remove()
    finally:
        for handle in handles:
            handle.remove()
    opt.step()
    rec("calls", calls)


@scenario
def old_checkpoints_and_copies(torch, rec):
    """A state_dict from an older PyTorch (a numeric 'step', options missing from the groups) loads with today's
    defaults; copy.deepcopy of an optimizer copies its groups and state."""
    import copy
    net = _model(torch, rec)
    for name in ("Adam", "RMSprop", "Adagrad", "SGD"):
        opt = getattr(torch.optim, name)(net.parameters(), lr=0.01)
        _train(torch, rec, net, opt, steps=1)
        sd = opt.state_dict()
        for group in sd["param_groups"]:
            for key in ("maximize", "foreach", "differentiable", "amsgrad", "decoupled_weight_decay"):
                group.pop(key, None)
        for state in sd["state"].values():
            if "step" in state:
                state["step"] = int(state["step"].item())
        fresh = getattr(torch.optim, name)(net.parameters(), lr=0.5)
        fresh.load_state_dict(sd)
        rec(f"{name}.groups", repr(fresh.param_groups[0] | {"params": None}))
        rec(f"{name}.steps", [s.get("step") for s in fresh.state.values()])
        rec(f"{name}.losses", _train(torch, rec, net, fresh, steps=2))
        twin = copy.deepcopy(fresh)
        rec(f"{name}.copy", (repr(twin), len(twin.state), [sorted(s) for s in twin.state.values()]))


@scenario
def multi_step_constant_linear_multiplicative_lr(torch, rec):
    """MultiStepLR (a repeated milestone counts twice), ConstantLR, LinearLR and MultiplicativeLR, each for ten
    epochs, then one step(epoch) to its closed form where it has one; and their argument errors."""
    sch = torch.optim.lr_scheduler
    makers = {"multi_step": lambda o: sch.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.5),
              "constant": lambda o: sch.ConstantLR(o, factor=0.25, total_iters=4),
              "linear": lambda o: sch.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
              "multiplicative": lambda o: sch.MultiplicativeLR(o, lambda e: 0.9)}
    for name, make in makers.items():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        sched = make(opt)
        lrs = [sched.get_last_lr()]
        for _ in range(10):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        rec(f"{name}.lrs", lrs)
        rec(f"{name}.state_dict_keys", list(sched.state_dict()))
        rec.raises(f"{name}.step_epoch", lambda: (sched.step(3), sched.get_last_lr())[1])
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    rec.raises("constant_factor", lambda: sch.ConstantLR(opt, factor=1.5))
    rec.raises("linear_start", lambda: sch.LinearLR(opt, start_factor=0))
    rec.raises("linear_end", lambda: sch.LinearLR(opt, end_factor=2.0))
    rec.raises("multiplicative_not_callable", lambda: sch.MultiplicativeLR(opt, 0.5))


@scenario
def reduce_lr_on_plateau(torch, rec):
    """The lr drops by `factor` after `patience` epochs without improvement, waits `cooldown` epochs, stops at
    min_lr; max mode with an absolute threshold; state_dict; errors."""
    sch = torch.optim.lr_scheduler
    losses = [1.0, 0.9, 0.91, 0.92, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    opt = torch.optim.Adam([{"params": [torch.zeros(1, requires_grad=True)]},
                            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5}], lr=0.1)
    sched = sch.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=[0.02, 0.2])
    lrs = []
    for loss in losses:
        sched.step(torch.tensor(loss))
        lrs.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter, sched.best))
    rec("min_rel", lrs)
    rec("state_dict", repr(sched.state_dict()))
    rec("repr_of_optimizer", repr(opt))
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = sch.ReduceLROnPlateau(opt, mode="max", threshold=0.1, threshold_mode="abs", patience=0)
    accuracies = [0.5, 0.55, 0.7, 0.75, 0.9]
    for acc in accuracies:
        sched.step(acc)
    rec("max_abs", (sched.get_last_lr(), sched.best, sched.last_epoch))
    rec.raises("factor", lambda: sch.ReduceLROnPlateau(opt, factor=1.0))
    rec.raises("mode", lambda: sch.ReduceLROnPlateau(opt, mode="up"))
    rec.raises("threshold_mode", lambda: sch.ReduceLROnPlateau(opt, threshold_mode="log"))
    rec.raises("min_lrs", lambda: sch.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2]))
    rec.raises("with_epoch", lambda: (sched.step(0.1, 7), sched.last_epoch)[1])


@scenario
def sequential_lr(torch, rec):
    """Warm-up (LinearLR) then cosine annealing: the lr at every epoch, the state_dict and the errors."""
    sch = torch.optim.lr_scheduler
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    warmup = sch.LinearLR(opt, start_factor=0.1, total_iters=3)
    cosine = sch.CosineAnnealingLR(opt, T_max=5)
    sched = sch.SequentialLR(opt, [warmup, cosine], milestones=[3])
    lrs = [sched.get_last_lr()]
    for _ in range(9):
        opt.step()
        sched.step()
        lrs.append((sched.get_last_lr(), sched.last_epoch, warmup.last_epoch, cosine.last_epoch))
    rec("lrs", lrs)
    rec("state_dict_keys", list(sched.state_dict()))
    rec("inner_state_dicts", [sorted(s) for s in sched.state_dict()["_schedulers"]])
    other = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    rec.raises("no_schedulers", lambda: sch.SequentialLR(opt, [], milestones=[]))
    rec.raises("milestones", lambda: sch.SequentialLR(opt, [warmup, cosine], milestones=[1, 2]))
    rec.raises("plateau", lambda: sch.SequentialLR(opt, [sch.ReduceLROnPlateau(opt)], milestones=[]))
    rec.raises("not_a_scheduler", lambda: sch.SequentialLR(opt, [object()], milestones=[]))
    rec.raises("other_optimizer_type", lambda: type(sch.SequentialLR(other, [warmup], milestones=[])).__name__)


@scenario
def one_cycle_lr(torch, rec):
    """OneCycleLR on SGD (momentum cycled) and on Adam (beta1 cycled), cos and linear, two and three phases;
    stepping past total_steps; the errors."""
    sch = torch.optim.lr_scheduler
    settings = {"sgd_cos": ("SGD", {"total_steps": 10}), "adam_linear": ("Adam", {"epochs": 2, "steps_per_epoch": 5,
                                                                                  "anneal_strategy": "linear"}),
                "three_phase": ("SGD", {"total_steps": 12, "three_phase": True, "pct_start": 0.25})}
    for name, (optimizer, opts) in settings.items():
        w = torch.zeros(1, requires_grad=True)
        opt = getattr(torch.optim, optimizer)([w], lr=0.1, **({"momentum": 0.9} if optimizer == "SGD" else {}))
        sched = sch.OneCycleLR(opt, max_lr=[1.0], **opts)
        values = []
        for _ in range(sched.total_steps - 1):
            w.grad = torch.ones(1)
            opt.step()
            sched.step()
            group = opt.param_groups[0]
            values.append((sched.get_last_lr(), group.get("momentum"), group.get("betas")))
        rec(f"{name}.schedule", values)
        rec(f"{name}.group_keys", sorted(opt.param_groups[0]))
        rec(f"{name}.w", w)
    rec.raises("past_the_end", lambda: (sched.step(), sched.step()))
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    rec.raises("no_momentum", lambda: sch.OneCycleLR(torch.optim.Adagrad([torch.zeros(1, requires_grad=True)]),
                                                     max_lr=1.0, total_steps=5))
    rec.raises("no_length", lambda: sch.OneCycleLR(opt, max_lr=1.0))
    rec.raises("bad_total", lambda: sch.OneCycleLR(opt, max_lr=1.0, total_steps=0))
    rec.raises("bad_epochs", lambda: sch.OneCycleLR(opt, max_lr=1.0, epochs=0, steps_per_epoch=2))
    rec.raises("bad_pct", lambda: sch.OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=1))
    rec.raises("bad_anneal", lambda: sch.OneCycleLR(opt, max_lr=1.0, total_steps=5, anneal_strategy="exp"))
    rec.raises("max_lr_count", lambda: sch.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=5))
    rec.raises("without_cycling", lambda: sch.OneCycleLR(opt, max_lr=1.0, total_steps=5,
                                                         cycle_momentum=False).get_last_lr())
