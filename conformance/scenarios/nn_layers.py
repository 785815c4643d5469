"""The layers and functionals of learners' CNN and MLP programs: the activations, losses, normalisations and
pooling torch.nn.functional adds to nn_functional's (OpInfo style: values, grad_fn names, first and second
order gradients, forward mode), and the modules that wrap them (torch.nn.Conv2d, BatchNorm2d, ...): their
outputs and gradients, train and eval modes, running statistics, reprs and the errors of bad arguments.
Module weights are copied in from seeded data, since PyTorch's default initialisation draws from its RNG."""
import warnings

from . import scenario
from ._opinfo import Sample as S, register_all


def _F(t):
    return t.nn.functional


def _bn(t, x, w, b, training, momentum=0.1):
    """F.batch_norm on fresh running statistics, which it returns too (updated in place in training)."""
    running_mean = t.arange(x.shape[1], dtype=x.dtype) * 0.25 - 0.2
    running_var = t.ones(x.shape[1], dtype=x.dtype) * 1.5
    out = _F(t).batch_norm(x, running_mean, running_var, w, b, training=training, momentum=momentum)
    return [out, running_mean, running_var]


TABLE = {
    "more_activations": [S("hardtanh", lambda t, a: _F(t).hardtanh(a)),
                         S("hardtanh_range", lambda t, a: _F(t).hardtanh(a, -0.5, 1.5)),
                         S("relu6", lambda t, a: _F(t).relu6(a), low=-3.0, high=8.0),
                         S("selu", lambda t, a: _F(t).selu(a)), S("celu", lambda t, a: _F(t).celu(a, 0.7)),
                         S("softsign", lambda t, a: _F(t).softsign(a)),
                         S("hardswish", lambda t, a: _F(t).hardswish(a), low=-5.0, high=5.0),
                         S("mish", lambda t, a: _F(t).mish(a)), S("tanhshrink", lambda t, a: _F(t).tanhshrink(a)),
                         # hardsigmoid's gradient has no derivative in PyTorch: hardsigmoid_double_backward
                         S("hardsigmoid", lambda t, a: _F(t).hardsigmoid(a), low=-5.0, high=5.0,
                           second_order=False)],
    # at the kinks each formula takes one side or the other
    "more_activations_at_kinks": [S("at_kinks", lambda t, a: [
        _F(t).hardtanh(a, -1.0, 2.0), _F(t).relu6(a), _F(t).hardswish(a), _F(t).selu(a), _F(t).celu(a, 0.5)],
        values=([-3.0, -1.0, 0.0, 0.5, 2.0, 3.0, 6.0],))],
    "losses_at_kinks": [S("at_kinks", lambda t, a, b: [
        _F(t).smooth_l1_loss(a, b, reduction="none", beta=0.5), _F(t).huber_loss(a, b, reduction="none", delta=0.5)],
        values=([-0.5, 0.0, 0.5, 1.0, 2.0], [0.0, 0.0, 0.0, 0.5, 1.0]))],
    "smooth_l1_loss": [S(r, lambda t, a, b, r=r: _F(t).smooth_l1_loss(a, b, reduction=r), ((2, 3), (2, 3)))
                       for r in ("mean", "sum", "none")] + [
        S("beta", lambda t, a, b: _F(t).smooth_l1_loss(a, b, beta=0.5), ((3, 4), (3, 4))),
        S("beta_0", lambda t, a, b: _F(t).smooth_l1_loss(a, b, beta=0.0), ((3, 4), (3, 4)))],
    "huber_loss": [S(r, lambda t, a, b, r=r: _F(t).huber_loss(a, b, reduction=r), ((2, 3), (2, 3)))
                   for r in ("mean", "sum", "none")] + [
        S("delta", lambda t, a, b: _F(t).huber_loss(a, b, delta=0.5), ((3, 4), (3, 4)))],
    "kl_div": [S(r, lambda t, a, b, r=r: _F(t).kl_div(a.log_softmax(1), b.detach().softmax(1), reduction=r),
                 ((3, 4), (3, 4))) for r in ("batchmean", "sum", "none")] + [
        S("log_target", lambda t, a, b: _F(t).kl_div(a.log_softmax(1), b.log_softmax(1), reduction="batchmean",
                                                     log_target=True), ((3, 4), (3, 4)))],
    "cosine_similarity": [S("rows", lambda t, a, b: _F(t).cosine_similarity(a, b), ((3, 4), (3, 4))),
                          S("dim0_broadcast", lambda t, a, b: _F(t).cosine_similarity(a, b, dim=0), ((3, 4), (3, 1)))],
    "normalize": [S("plain", lambda t, a: _F(t).normalize(a)),
                  S("p1_dim0", lambda t, a: _F(t).normalize(a, p=1.0, dim=0), ((3, 4),))],
    "batch_norm": [S("train_2d", lambda t, x, w, b: _bn(t, x, w, b, True), ((4, 3), (3,), (3,))),
                   S("train_4d", lambda t, x, w, b: _bn(t, x, w, b, True, 0.3), ((2, 3, 2, 2), (3,), (3,))),
                   S("train_no_affine", lambda t, x: _bn(t, x, None, None, True), ((2, 3, 4),)),
                   S("eval_4d", lambda t, x, w, b: _bn(t, x, w, b, False), ((2, 3, 2, 2), (3,), (3,)))],
    "conv_groups": [S("conv2d_groups", lambda t, x, w, b: _F(t).conv2d(x, w, b, padding=1, groups=2),
                      ((2, 4, 4, 3), (6, 2, 3, 2), (6,))),
                    S("conv2d_depthwise", lambda t, x, w: _F(t).conv2d(x, w, stride=2, groups=3), ((1, 3, 5, 5), (3, 1, 2, 2))),
                    S("conv1d_groups", lambda t, x, w: _F(t).conv1d(x, w, groups=2, dilation=2), ((2, 4, 7), (2, 2, 3)))],
    "conv_string_padding": [S("same", lambda t, x, w, b: _F(t).conv2d(x, w, b, padding="same"),
                              ((1, 2, 4, 5), (3, 2, 3, 3), (3,))),
                            S("same_dilated_1d", lambda t, x, w: _F(t).conv1d(x, w, padding="same", dilation=2),
                              ((2, 2, 6), (2, 2, 3))),
                            S("valid", lambda t, x, w: _F(t).conv2d(x, w, padding="valid"), ((1, 2, 4, 4), (1, 2, 2, 3)))],
    "adaptive_avg_pool2d": [S("uneven", lambda t, x: _F(t).adaptive_avg_pool2d(x, (2, 3)), ((1, 2, 5, 4),)),
                            S("one", lambda t, x: _F(t).adaptive_avg_pool2d(x, 1), ((2, 2, 3, 3),)),
                            S("unbatched_none", lambda t, x: _F(t).adaptive_avg_pool2d(x, (None, 2)), ((2, 3, 5),))],
}

globals().update(register_all(__name__, TABLE))


@scenario
def functional_errors(torch, rec):
    F = torch.nn.functional
    x = rec.tensor(2, 3)
    rec.raises("one_hot_float", lambda: F.one_hot(x, 3))
    rec.raises("one_hot_too_big", lambda: F.one_hot(torch.tensor([0, 3]), 3))
    rec.raises("one_hot_negative", lambda: F.one_hot(torch.tensor([0, -1]), 3))
    rec.raises("one_hot_empty", lambda: F.one_hot(torch.tensor([], dtype=torch.long)))
    rec("one_hot", F.one_hot(torch.tensor([[0, 2], [1, 1]])))
    rec("one_hot_classes", F.one_hot(torch.tensor([0, 2]), 4))
    rec("one_hot_empty_classes", F.one_hot(torch.tensor([], dtype=torch.long), 3))
    rec.raises("hardtanh_range", lambda: F.hardtanh(x, 2.0, 1.0))
    rec.raises("smooth_l1_beta", lambda: F.smooth_l1_loss(x, x, beta=-1.0))
    rec.raises("huber_delta", lambda: F.huber_loss(x, x, delta=0.0))
    rec.raises("kl_div_reduction", lambda: F.kl_div(x, x, reduction="bad"))
    rec.raises("batch_norm_one_value", lambda: F.batch_norm(rec.tensor(1, 3), torch.zeros(3), torch.ones(3),
                                                            training=True))
    rec.raises("batch_norm_sizes", lambda: F.batch_norm(x, torch.zeros(4), torch.ones(4), training=True))
    rec.raises("batch_norm_eval_no_stats", lambda: F.batch_norm(x, None, None))
    rec.raises("adaptive_pool_2d_input", lambda: F.adaptive_avg_pool2d(x, 2))
    rec.raises("cosine_shapes", lambda: F.cosine_similarity(x, rec.tensor(4, 3)))
    rec.raises("normalize_dim", lambda: F.normalize(x, dim=2))
    img, w = rec.tensor(1, 4, 3, 3), rec.tensor(6, 2, 2, 2)
    rec.raises("conv_groups_channels", lambda: F.conv2d(img, w, groups=3))
    rec.raises("conv_groups_weight", lambda: F.conv2d(img, rec.tensor(5, 2, 2, 2), groups=2))
    rec.raises("conv_groups_zero", lambda: F.conv2d(img, w, groups=0))
    rec.raises("conv_same_strided", lambda: F.conv2d(img, w, padding="same", stride=2, groups=2))
    rec.raises("conv_bad_padding_string", lambda: F.conv2d(img, w, padding="full", groups=2))


@scenario(dtypes=("float32", "float64"))
def adaptive_pool_double_backward(torch, rec):
    """The gradient of adaptive average pooling is an op of its own (AdaptiveAvgPool2DBackwardBackward0 under
    create_graph), linear in the incoming gradient: differentiated for that gradient."""
    F = torch.nn.functional
    for key, shape in (("4d", (1, 2, 5, 4)), ("3d", (2, 5, 4))):
        x = rec.tensor(*shape, requires_grad=True)
        v = rec.tensor(*shape[:-2], 2, 3, requires_grad=True)
        (gx,) = torch.autograd.grad(F.adaptive_avg_pool2d(x, (2, 3)), x, v, create_graph=True)
        rec(f"{key}.gx", gx)
        rec(f"{key}.gv", torch.autograd.grad((gx * rec.tensor(*shape)).sum(), v))
    # forward over reverse: the tangent of the gradient of sum(pool(x) ** 2)
    grad_fn = torch.func.grad(lambda y: (F.adaptive_avg_pool2d(y, (2, 2)) ** 2).sum())
    rec("jvp_of_grad", torch.func.jvp(grad_fn, (rec.tensor(1, 1, 3, 5),), (rec.tensor(1, 1, 3, 5),)))


@scenario
def hardsigmoid_double_backward(torch, rec):
    """PyTorch has no derivative of hardsigmoid's gradient: backward through it raises."""
    x = rec.tensor(2, 3, low=-4.0, high=4.0, requires_grad=True)
    (gx,) = torch.autograd.grad(torch.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
    rec("gx", [gx, gx.requires_grad])
    rec.raises("backward", lambda: gx.sum().backward())


@scenario
def kl_div_mean_warns(torch, rec):
    x = rec.tensor(2, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = torch.nn.functional.kl_div(x.log_softmax(1), x.softmax(1))
    rec("out", out)
    rec("warnings", [str(w.message) for w in caught])


@scenario
def batch_norm_running_stats(torch, rec):
    """In training the running statistics move towards the batch's (unbiased variance), in place and without
    a version bump; in eval they normalise and stay."""
    F = torch.nn.functional
    x = rec.tensor(5, 3, 2)
    running_mean, running_var = torch.zeros(3), torch.ones(3)
    F.batch_norm(x, running_mean, running_var, training=True, momentum=0.25)
    rec("after_train", [running_mean, running_var, running_mean._version, running_var._version])
    rec("eval", F.batch_norm(x, running_mean, running_var, training=False))
    rec("after_eval", [running_mean, running_var])
    rec("no_stats_training", F.batch_norm(x, None, None, training=True))


def _copy_weights(torch, rec, module):
    """Seeded values into every parameter (PyTorch's default initialisation draws from its RNG)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(rec.tensor(*p.shape, low=-0.5, high=0.5))
    return module


def _modules(nn):
    return [nn.Conv1d(2, 3, 3), nn.Conv2d(2, 4, 3, stride=2, padding=1, bias=False, padding_mode="reflect"),
            nn.Conv2d(2, 4, (3, 2), padding="same", dilation=2), nn.Conv2d(1, 2, 3, padding="valid"),
            nn.MaxPool2d(2), nn.MaxPool2d(3, stride=1, padding=1), nn.AvgPool2d(2), nn.AvgPool2d((2, 3), stride=1),
            nn.AdaptiveAvgPool2d((1, 1)), nn.AdaptiveAvgPool2d(3), nn.BatchNorm1d(3),
            nn.BatchNorm2d(4, momentum=None, affine=False, track_running_stats=False),
            nn.BatchNorm2d(4, eps=1e-3, bias=False), nn.LayerNorm(5), nn.LayerNorm((2, 3), elementwise_affine=False),
            nn.LayerNorm(4, bias=False), nn.Embedding(10, 3), nn.Embedding(10, 3, padding_idx=-1),
            nn.Unflatten(1, (2, 3)), nn.Softmax(dim=1), nn.Softmax(), nn.LogSoftmax(1), nn.LeakyReLU(),
            nn.LeakyReLU(0.2, inplace=True), nn.ELU(), nn.ELU(0.5), nn.CELU(), nn.SiLU(), nn.Softplus(),
            nn.Softplus(2.0, 10.0), nn.Hardtanh(), nn.Hardtanh(-2.0, 2.0), nn.ReLU6(), nn.SELU(), nn.Softsign(),
            nn.Hardswish(), nn.Hardsigmoid(), nn.Mish(), nn.Tanhshrink(), nn.SmoothL1Loss(), nn.HuberLoss(),
            nn.KLDivLoss(), nn.Conv2d(4, 8, 3, groups=4), nn.Conv2d(4, 4, 1, padding="same", groups=2)]


@scenario
def reprs(torch, rec):
    """print(model): each layer's extra_repr, and a CNN's nested text."""
    nn = torch.nn
    rec("layers", [repr(m) for m in _modules(nn)])
    rec("cnn", repr(_cnn(nn)))
    rec("embedding_padding_row", _modules(nn)[17].weight[9])


def _cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, padding="same", padding_mode="replicate"), nn.LeakyReLU(0.1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 5), nn.LogSoftmax(dim=1))


@scenario(dtypes=("float32", "float64"))
def cnn_training(torch, rec):
    """A small CNN (conv, batch norm, pooling, linear) trained three SGD steps, then evaluated: losses,
    gradients, running statistics and the number of batches tracked."""
    nn = torch.nn
    torch.set_default_dtype(getattr(torch, rec.dtype))  # not Module.to: see batch_norm_modules
    try:
        net = _copy_weights(torch, rec, _cnn(nn))
    finally:
        torch.set_default_dtype(torch.float32)
    X, y = rec.tensor(6, 1, 6, 6), torch.tensor([0, 1, 2, 3, 4, 0])
    loss_fn, trainer = nn.NLLLoss(), torch.optim.SGD(net.parameters(), lr=0.1)
    for step in range(3):
        out = net(X)
        loss = loss_fn(out, y)
        trainer.zero_grad()
        loss.backward()
        rec(f"step{step}", [out, loss, net[0].weight.grad, net[1].weight.grad, net[4].bias.grad])
        trainer.step()
    bn = net[1]
    rec("running", [bn.running_mean, bn.running_var, bn.num_batches_tracked])
    rec("buffers", [name for name, _ in net.named_buffers()])
    net.eval()
    rec("eval", [net(X), bn.running_mean, bn.num_batches_tracked, bn.training])


@scenario(dtypes=("float32", "float64"))
def batch_norm_modules(torch, rec):
    """BatchNorm1d and BatchNorm2d: batch statistics in training, running ones in eval; momentum=None is a
    cumulative average; without running statistics eval uses the batch's."""
    nn = torch.nn
    dtype = getattr(torch, rec.dtype)
    # dtype=, not .to(dtype), which in refgrad also casts num_batches_tracked (refgrad's Module.to casts every tensor)
    bn1 = _copy_weights(torch, rec, nn.BatchNorm1d(3, dtype=dtype))
    x = rec.tensor(4, 3, requires_grad=True)
    out = bn1(x)
    (out * rec.tensor(4, 3)).sum().backward()
    rec("bn1d", [out, x.grad, bn1.weight.grad, bn1.bias.grad, bn1.running_mean, bn1.running_var])
    rec("bn1d_3d", bn1(rec.tensor(2, 3, 5)))
    cumulative = nn.BatchNorm2d(2, momentum=None, dtype=dtype)
    for _ in range(3):
        cumulative(rec.tensor(2, 2, 3, 3))
    rec("cumulative", [cumulative.running_mean, cumulative.running_var, cumulative.num_batches_tracked])
    cumulative.eval()
    rec("cumulative_eval", cumulative(rec.tensor(1, 2, 2, 2)))
    untracked = nn.BatchNorm2d(2, affine=False, track_running_stats=False, dtype=dtype).eval()
    rec("untracked_eval", [untracked(rec.tensor(2, 2, 2, 2)), untracked.running_mean])


@scenario(dtypes=("float32", "float64"))
def conv_modules(torch, rec):
    """Conv1d and Conv2d with each padding mode and 'same', their outputs and gradients."""
    nn = torch.nn
    dtype = getattr(torch, rec.dtype)
    convs = {"conv1d": (nn.Conv1d(2, 3, 3, padding=1), (2, 2, 5)),
             "conv1d_same_even": (nn.Conv1d(2, 2, 4, padding="same", bias=False), (1, 2, 6)),
             "zeros": (nn.Conv2d(2, 3, 3, padding=1), (1, 2, 4, 4)),
             "reflect": (nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="reflect"), (1, 2, 4, 4)),
             "replicate": (nn.Conv2d(2, 3, 2, stride=2, padding=1, padding_mode="replicate"), (1, 2, 5, 4)),
             "same_dilated": (nn.Conv2d(2, 2, 3, padding="same", dilation=2), (1, 2, 5, 5)),
             "same_even": (nn.Conv2d(2, 2, (2, 3), padding="same"), (2, 2, 4, 3)),
             "unbatched": (nn.Conv2d(2, 1, 2), (2, 3, 3)),
             "groups": (nn.Conv2d(4, 6, 3, padding=1, groups=2, padding_mode="reflect"), (2, 4, 4, 4)),
             "depthwise_same": (nn.Conv2d(3, 3, 3, padding="same", groups=3, bias=False), (1, 3, 4, 4)),
             "conv1d_groups": (nn.Conv1d(4, 4, 2, groups=4, padding_mode="replicate", padding=1), (2, 4, 5))}
    for key, (conv, shape) in convs.items():
        _copy_weights(torch, rec, conv).to(dtype)
        x = rec.tensor(*shape, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 'same' with an even kernel: a warning naming PyTorch's source
            out = conv(x)
        (out * rec.tensor(*out.shape)).sum().backward()
        rec(key, [out, x.grad, conv.weight.grad])


@scenario(dtypes=("float32", "float64"))
def other_modules(torch, rec):
    """Pooling, LayerNorm, Embedding (padding_idx), Unflatten, softmaxes, activation and loss modules."""
    nn = torch.nn
    dtype = getattr(torch, rec.dtype)
    x4 = rec.tensor(2, 2, 4, 5, requires_grad=True)
    for key, m in {"max": nn.MaxPool2d(2), "max_padded": nn.MaxPool2d(3, stride=1, padding=1),
                   "avg": nn.AvgPool2d(2), "adaptive": nn.AdaptiveAvgPool2d((3, 2)),
                   "adaptive_1": nn.AdaptiveAvgPool2d(1)}.items():
        rec(key, m(x4))
    norm = _copy_weights(torch, rec, nn.LayerNorm(5)).to(dtype)
    x = rec.tensor(3, 5, requires_grad=True)
    out = norm(x)
    out.sum().backward()
    rec("layer_norm", [out, norm.weight.grad, norm.bias.grad])
    emb = nn.Embedding(5, 3, padding_idx=1).to(dtype)
    _copy_weights(torch, rec, emb)
    idx = torch.tensor([[0, 1], [1, 4]])
    out = emb(idx)
    (out * rec.tensor(2, 2, 3)).sum().backward()
    rec("embedding", [out, emb.weight.grad])
    rec("unflatten", nn.Unflatten(1, (2, 3))(rec.tensor(2, 6)))
    rec("softmax", [nn.Softmax(dim=1)(x), nn.LogSoftmax(dim=0)(x)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rec("softmax_implicit", nn.Softmax()(x))
    rec("softmax_implicit_warnings", [str(w.message) for w in caught])
    acts = [nn.LeakyReLU(0.2), nn.ELU(0.5), nn.CELU(0.7), nn.SiLU(), nn.Softplus(2.0, 1.0), nn.Hardtanh(-0.5, 0.5),
            nn.ReLU6(), nn.SELU(), nn.Softsign(), nn.Hardswish(), nn.Hardsigmoid(), nn.Mish(), nn.Tanhshrink()]
    z = rec.tensor(2, 4, low=-4.0, high=7.0, requires_grad=True)
    outs = [a(z) for a in acts]
    sum(o.sum() for o in outs).backward()
    rec("activations", outs + [z.grad])
    a, b = rec.tensor(3, 4, requires_grad=True), rec.tensor(3, 4)
    losses = [nn.SmoothL1Loss()(a, b), nn.SmoothL1Loss(reduction="sum", beta=0.3)(a, b),
              nn.HuberLoss(delta=0.4)(a, b), nn.HuberLoss(reduction="none")(a, b),
              nn.KLDivLoss(reduction="batchmean")(a.log_softmax(1), b.softmax(1)),
              nn.KLDivLoss(reduction="sum", log_target=True)(a.log_softmax(1), b.log_softmax(1))]
    sum(l.sum() for l in losses).backward()
    rec("losses", losses + [a.grad])


@scenario
def module_errors(torch, rec):
    nn = torch.nn
    rec.raises("conv_groups", lambda: nn.Conv2d(3, 4, 3, groups=2))
    rec.raises("conv_out_groups", lambda: nn.Conv2d(4, 3, 3, groups=2))
    rec.raises("conv_same_strided", lambda: nn.Conv2d(4, 4, 3, padding="same", stride=2))
    rec.raises("conv_input_channels", lambda: nn.Conv2d(3, 4, 3)(rec.tensor(1, 2, 5, 5)))
    rec.raises("bn2d_dim", lambda: nn.BatchNorm2d(3)(rec.tensor(2, 3, 4)))
    rec.raises("bn1d_dim", lambda: nn.BatchNorm1d(3)(rec.tensor(2, 3, 4, 5)))
    rec.raises("bn1d_one_value", lambda: nn.BatchNorm1d(3)(rec.tensor(1, 3)))
    rec.raises("embedding_padding_idx", lambda: nn.Embedding(10, 3, padding_idx=10))
    rec.raises("embedding_index", lambda: nn.Embedding(4, 2)(torch.tensor([4])))
    rec.raises("unflatten", lambda: nn.Unflatten(1, (2, 2))(rec.tensor(2, 3)))
    rec.raises("layer_norm_shape", lambda: nn.LayerNorm(4)(rec.tensor(2, 3)))
    rec.raises("adaptive_pool_dim", lambda: nn.AdaptiveAvgPool2d(2)(rec.tensor(2, 3)))
    rec("bn1d_one_value_eval", nn.BatchNorm1d(3).eval()(rec.tensor(1, 3)))
