"""nn.Module, Parameter, Sequential and optim.SGD: the d2l concise linear-regression and MLP
examples trained step by step (losses, gradients and weights after every step), SGD's options,
the Module API (names, reprs, zero_grad, train/eval) and dropout's training mask.

Weights start from harness data copied into the parameters, since each engine has its own RNG."""
from . import scenario


@scenario(dtypes=("float32", "float64"))
def linear_regression(torch, rec):
    """d2l 3.5 (concise linear regression): nn.Linear(2, 1), MSELoss, SGD(lr=0.03), minibatches of 10."""
    nn = torch.nn
    true_w, true_b = torch.tensor([2.0, -3.4], dtype=getattr(torch, rec.dtype)), 4.2
    features = rec.tensor(100, 2)
    labels = (features @ true_w + true_b + rec.tensor(100) * 0.01).reshape((-1, 1))
    net = nn.Sequential(nn.Linear(2, 1))
    net = net.double() if rec.dtype == "float64" else net
    with torch.no_grad():
        net[0].weight.copy_(rec.tensor(1, 2) * 0.01)
        net[0].bias.fill_(0)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.03)
    losses, epoch_losses = [], []
    for epoch in range(3):
        for i in range(0, 100, 10):
            X, y = features[i:i + 10], labels[i:i + 10]
            batch_loss = loss(net(X), y)
            trainer.zero_grad()
            batch_loss.backward()
            trainer.step()
            losses.append(batch_loss.detach())
        epoch_losses.append(loss(net(features), labels))
        rec(f"epoch{epoch}.loss", epoch_losses[-1])
    rec("step_losses", torch.stack(losses))  # a tensor, so the dtype's tolerance applies
    rec("weight", net[0].weight)
    rec("bias", net[0].bias)
    rec("weight.grad", net[0].weight.grad)
    rec("loss_went_down", bool(epoch_losses[2] < epoch_losses[0] / 10))


@scenario(dtypes=("float32",))
def mlp(torch, rec):
    """d2l 5.2 (concise MLP): Flatten, Linear(784, 256), ReLU, Linear(256, 10), CrossEntropyLoss, SGD,
    three epochs of four minibatches of 16 images; labels from a linear teacher, so they can be learnt."""
    nn = torch.nn
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(rec.tensor(*p.shape, low=-0.01, high=0.01))
    X = rec.tensor(64, 1, 28, 28, low=0.0, high=1.0)
    y = (X.flatten(1) @ rec.tensor(784, 10)).argmax(1)  # labels from a linear teacher
    loss = nn.CrossEntropyLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    losses, epoch_losses = [], []
    for epoch in range(3):
        for i in range(0, 64, 16):
            batch_loss = loss(net(X[i:i + 16]), y[i:i + 16])
            trainer.zero_grad()
            batch_loss.backward()
            trainer.step()
            losses.append(batch_loss.detach())
        with torch.no_grad():
            epoch_losses.append(loss(net(X), y))
    rec("step_losses", torch.stack(losses))
    rec("epoch_losses", torch.stack(epoch_losses))
    rec("loss_went_down", bool(epoch_losses[0] > epoch_losses[1] > epoch_losses[2]))
    rec("logits", net(X[:4]))
    rec("last_layer.weight.grad", net[3].weight.grad)
    rec("first_layer.bias", net[1].bias)


@scenario(dtypes=("float32", "float64"))
def sgd_options(torch, rec):
    """Momentum, dampening, Nesterov, weight decay and maximize, three steps each."""
    options = {"plain": {}, "momentum": {"momentum": 0.9}, "dampening": {"momentum": 0.9, "dampening": 0.5},
               "nesterov": {"momentum": 0.9, "nesterov": True}, "weight_decay": {"weight_decay": 0.1},
               "maximize": {"maximize": True, "momentum": 0.5}}
    for name, opts in options.items():
        w = rec.tensor(3, requires_grad=True)
        opt = torch.optim.SGD([w], lr=0.1, **opts)
        for _ in range(3):
            opt.zero_grad()
            (w.pow(2).sum() + w.sin().sum()).backward()
            opt.step()
        rec(f"{name}.w", w)
    rec("repr", repr(torch.optim.SGD([w], lr=0.1, momentum=0.9)))
    rec.raises("nesterov_without_momentum", lambda: torch.optim.SGD([w], lr=0.1, nesterov=True))
    rec.raises("negative_lr", lambda: torch.optim.SGD([w], lr=-1))
    rec.raises("empty", lambda: torch.optim.SGD([], lr=0.1))
    rec.raises("non_leaf", lambda: torch.optim.SGD([w * 2], lr=0.1))


@scenario
def module_api(torch, rec):
    nn = torch.nn
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2, bias=False))
    rec("repr", repr(net))
    rec("names", [name for name, _ in net.named_parameters()])
    rec("shapes", [list(p.shape) for p in net.parameters()])
    rec("state_dict_keys", list(net.state_dict().keys()))
    rec("children", [type(m).__name__ for m in net.children()])
    rec("len_and_index", (len(net), type(net[-1]).__name__, repr(net[1])))
    rec("parameter_repr", repr(nn.Parameter(torch.tensor([1.0, 2.0]))))
    rec("parameter_is_leaf", nn.Parameter(torch.tensor([1.0])).is_leaf)
    rec("parameter_times_two", nn.Parameter(torch.tensor([1.0, 2.0])) * 2)
    rec("frozen_parameter", nn.Parameter(torch.tensor([1.0]), requires_grad=False))
    source = torch.ones(2)
    shared = nn.Parameter(source)
    source.add_(1)
    rec("parameter_shares_data_and_version", (shared, shared._version))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(rec.tensor(*p.shape))
    out = net(rec.tensor(2, 2, 2))
    rec("out", out)
    out.sum().backward()
    rec("grad_before_zero", net[1].weight.grad)
    net.zero_grad()
    rec("grad_after_zero", net[1].weight.grad)
    net.eval()
    rec("eval_flags", [m.training for m in net.modules()])
    net.train()
    rec("train_flags", [m.training for m in net.modules()])
    rec.raises("missing_attribute", lambda: net.nothing)
    rec.raises("missing_forward", lambda: nn.Module()(1))
    rec("losses_repr", [repr(nn.MSELoss()), repr(nn.CrossEntropyLoss())])


@scenario
def dropout(torch, rec):
    """The mask is random: what is compared is what holds for every mask."""
    F = torch.nn.functional
    x = rec.tensor(50, low=0.5, high=1.0, requires_grad=True)
    y = F.dropout(x, 0.5)
    rec("y.grad_fn", y.grad_fn)
    rec("kept_are_scaled", bool(((y == 0) | ((y - 2 * x).abs() < 1e-6)).all()))
    y.sum().backward()
    rec("grad_matches_mask", bool(((x.grad == 0) == (y == 0)).all()))
    rec("grad_values", sorted(set(x.grad.tolist())))
    rec("eval_is_identity", F.dropout(x, 0.5, training=False) is x)
    rec("p0_is_identity", F.dropout(x, 0.0) is x)
    rec("p1", F.dropout(x, 1.0))
    layer = torch.nn.Dropout(0.3)
    rec("module_repr", repr(layer))
    layer.eval()
    rec("module_eval", layer(x) is x)
