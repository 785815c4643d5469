"""torch.nn.functional, OpInfo style (see _opinfo.py): activations, losses (every reduction, class
weights, ignore_index, probability targets), layer_norm, conv1d/conv2d (stride, padding, dilation),
pooling, padding modes and embedding. Dropout's mask is random, so its cases are the deterministic
ones (eval, p=0, p=1) and the statistics of a training mask."""
from . import scenario
from ._opinfo import Sample as S, register_all


def _F(t):
    return t.nn.functional


def _targets(t):
    return t.tensor([0, 2, 1, 2])


def _probs(t, a):
    return a.detach().softmax(1)


TABLE = {
    "linear": [S("bias", lambda t, x, w, b: _F(t).linear(x, w, b), ((4, 3), (2, 3), (2,))),
               S("no_bias", lambda t, x, w: _F(t).linear(x, w), ((4, 3), (2, 3))),
               S("3d_bias", lambda t, x, w, b: _F(t).linear(x, w, b), ((2, 2, 3), (2, 3), (2,))),
               S("1d_no_bias", lambda t, x, w: _F(t).linear(x, w), ((3,), (2, 3)))],
    "activations": [S("relu", lambda t, a: _F(t).relu(a)), S("gelu", lambda t, a: _F(t).gelu(a)),
                    S("gelu_tanh", lambda t, a: _F(t).gelu(a, approximate="tanh")),
                    S("silu", lambda t, a: _F(t).silu(a)), S("elu", lambda t, a: _F(t).elu(a, alpha=0.5)),
                    S("leaky_relu", lambda t, a: _F(t).leaky_relu(a, 0.2)),
                    S("softplus", lambda t, a: _F(t).softplus(a, beta=2.0, threshold=3.0)),
                    S("sigmoid", lambda t, a: _F(t).sigmoid(a)), S("tanh", lambda t, a: _F(t).tanh(a)),
                    S("softmax", lambda t, a: _F(t).softmax(a, dim=1)),
                    S("log_softmax", lambda t, a: _F(t).log_softmax(a, dim=-1)),
                    S("logsigmoid", lambda t, a: _F(t).logsigmoid(a))],
    # at the kinks (0, softplus's threshold 3 / beta 2) each formula takes one side or the other
    "activations_at_kinks": [S("at_kinks", lambda t, a: [_F(t).relu(a), _F(t).elu(a, alpha=0.5), _F(t).leaky_relu(a, 0.2),
                                                _F(t).softplus(a, beta=2.0, threshold=3.0)],
                      values=([-1.0, 0.0, 0.5, 1.0, 1.5, 2.0],))],
    "mse_loss": [S(r, lambda t, a, b, r=r: _F(t).mse_loss(a, b, reduction=r), ((2, 3), (2, 3)))
                 for r in ("mean", "sum", "none")] + [
        S("broadcast_target", lambda t, a, b: _F(t).mse_loss(a, b, reduction="none"), ((3,), (2, 3))),
        S("broadcast_target_mean", lambda t, a, b: _F(t).mse_loss(a, b), ((3,), (2, 3))),
        S("broadcast_input_mean", lambda t, a, b: _F(t).mse_loss(a, b), ((2, 3), (3,)))],
    "l1_loss": [S(r, lambda t, a, b, r=r: _F(t).l1_loss(a, b, reduction=r), ((2, 3), (2, 3)))
                for r in ("mean", "sum", "none")],
    "cross_entropy": [S(r, lambda t, a, r=r: _F(t).cross_entropy(a, _targets(t), reduction=r), ((4, 3),))
                      for r in ("mean", "sum", "none")] + [
        S("weight", lambda t, a, w: _F(t).cross_entropy(a, _targets(t), weight=w.detach().abs() + 0.5), ((4, 3), (3,))),
        S("ignore_index", lambda t, a: _F(t).cross_entropy(a, _targets(t), ignore_index=2), ((4, 3),)),
        S("probabilities", lambda t, a, b: _F(t).cross_entropy(a, _probs(t, b)), ((4, 3), (4, 3))),
        S("unbatched", lambda t, a: _F(t).cross_entropy(a, t.tensor(1)), ((3,),))],
    "nll_loss": [S(r, lambda t, a, r=r: _F(t).nll_loss(a.log_softmax(1), _targets(t), reduction=r), ((4, 3),))
                 for r in ("mean", "sum", "none")] + [
        S("weight", lambda t, a, w: _F(t).nll_loss(a, _targets(t), weight=w.detach().abs() + 0.5), ((4, 3), (3,)))],
    "binary_cross_entropy": [
        S(r, lambda t, a, b, r=r: _F(t).binary_cross_entropy(a.sigmoid(), b.sigmoid(), reduction=r), ((2, 3),) * 2)
        for r in ("mean", "sum", "none")] + [
        S("weight", lambda t, a, b, w: _F(t).binary_cross_entropy(a.sigmoid(), b.sigmoid(), weight=w.detach()),
          ((2, 3),) * 3),
        # inputs 0 and 1: the loss clamps log at -100, the target's gradient (-logit) does not
        S("inputs_0_and_1", lambda t, a, b: _F(t).binary_cross_entropy(a, b),
          values=([0.0, 1.0, 0.5], [0.3, 0.6, 0.2]))],
    "binary_cross_entropy_with_logits": [
        S(r, lambda t, a, b, r=r: _F(t).binary_cross_entropy_with_logits(a, b.sigmoid(), reduction=r), ((2, 3),) * 2)
        for r in ("mean", "sum", "none")] + [
        S("pos_weight", lambda t, a, b, w, p: _F(t).binary_cross_entropy_with_logits(
            a, b.sigmoid(), weight=w.detach(), pos_weight=p.detach().abs()), ((2, 3), (2, 3), (2, 3), (3,)))],
    "layer_norm": [S("plain", lambda t, a: _F(t).layer_norm(a, (3,))),
                   S("affine", lambda t, a, w, b: _F(t).layer_norm(a, [3], w, b), ((2, 3), (3,), (3,))),
                   S("2d_shape", lambda t, a, w, b: _F(t).layer_norm(a, (2, 3), w, b, eps=1e-3),
                     ((2, 2, 3), (2, 3), (2, 3))),
                   S("whole_shape", lambda t, a, w, b: _F(t).layer_norm(a, (2, 3), w, b), ((2, 3), (2, 3), (2, 3)))],
    "conv1d": [S("plain", lambda t, x, w: _F(t).conv1d(x, w), ((1, 2, 5), (3, 2, 2))),
               S("bias_stride_padding", lambda t, x, w, b: _F(t).conv1d(x, w, b, stride=2, padding=1),
                 ((2, 2, 6), (3, 2, 3), (3,))),
               S("dilation_unbatched", lambda t, x, w: _F(t).conv1d(x, w, dilation=2), ((2, 7), (1, 2, 3)))],
    "conv2d": [S("plain", lambda t, x, w: _F(t).conv2d(x, w), ((1, 2, 4, 4), (3, 2, 2, 2))),
               S("bias_stride_padding", lambda t, x, w, b: _F(t).conv2d(x, w, b, stride=(2, 1), padding=1),
                 ((2, 1, 4, 3), (2, 1, 3, 2), (2,))),
               S("dilation", lambda t, x, w: _F(t).conv2d(x, w, dilation=2), ((1, 1, 5, 5), (1, 1, 2, 2)))],
    "pooling": [S("max", lambda t, x: _F(t).max_pool2d(x, 2), ((1, 2, 4, 4),)),
                S("max_stride_padding", lambda t, x: _F(t).max_pool2d(x, 3, stride=2, padding=1), ((2, 1, 5, 4),)),
                S("max_indices", lambda t, x: _F(t).max_pool2d(x, 2, return_indices=True), ((1, 1, 4, 4),)),
                S("avg", lambda t, x: _F(t).avg_pool2d(x, 2), ((1, 2, 4, 4),)),
                S("avg_stride_padding", lambda t, x: _F(t).avg_pool2d(x, (2, 3), stride=1, padding=1),
                  ((1, 1, 3, 4),))],
    "pad": [S("constant", lambda t, a: _F(t).pad(a, (1, 2))),
            S("constant_value_2d", lambda t, a: _F(t).pad(a, (1, 0, 0, 2), value=0.5)),
            S("negative", lambda t, a: _F(t).pad(a, (-1, 1))),
            S("reflect1d", lambda t, a: _F(t).pad(a, (2, 1), mode="reflect"), ((1, 2, 4),)),
            S("reflect2d", lambda t, a: _F(t).pad(a, (1, 1, 2, 0), mode="reflect"), ((1, 1, 3, 3),)),
            S("replicate1d", lambda t, a: _F(t).pad(a, (2, 1), mode="replicate"), ((1, 2, 3),)),
            S("replicate2d", lambda t, a: _F(t).pad(a, (0, 2, 1, 1), mode="replicate"), ((1, 1, 2, 3),))],
    "embedding": [S("plain", lambda t, w: _F(t).embedding(t.tensor([[0, 2], [2, 3]]), w), ((4, 3),)),
                  S("padding_idx", lambda t, w: _F(t).embedding(t.tensor([1, 0, 1]), w, padding_idx=1), ((4, 3),))],
}

globals().update(register_all(__name__, TABLE))


def _walk(fn, depth=0, out=None):
    """(depth, node name, input index) for every node reachable from fn, depth first."""
    out = [] if out is None else out
    for nxt, index in fn.next_functions:
        out.append((depth, None if nxt is None else nxt.name(), index))
        if nxt is not None:
            _walk(nxt, depth + 1, out)
    return out


def _operand(torch, rec, shape, requires_grad=False):
    """rec.tensor(*shape), or zeros when a dim is 0 (nested lists cannot hold a leading empty dim)."""
    if 0 in shape:
        return torch.zeros(shape, dtype=getattr(torch, rec.dtype), requires_grad=requires_grad)
    return rec.tensor(*shape, requires_grad=requires_grad)


@scenario
def linear_graph(torch, rec):
    """F.linear as ATen composes it: addmm for a matrix, an addmm on the input flattened to a matrix when it
    is contiguous (1-D and empty inputs too), else matmul and an in-place add of the bias."""
    F = torch.nn.functional
    w, b = rec.tensor(4, 3, requires_grad=True), rec.tensor(4, requires_grad=True)
    inputs = {"vector": (3,), "matrix": (2, 3), "3d": (5, 2, 3), "4d": (2, 2, 2, 3), "empty_rows": (0, 3),
              "empty_batch": (2, 0, 3)}
    for name, shape in inputs.items():
        x = _operand(torch, rec, shape, True)
        for label, y in (("no_bias", F.linear(x, w)), ("bias", F.linear(x, w, b)),
                         ("bias_2d", F.linear(x, w, b.reshape(1, 4))), ("input_constant", F.linear(x.detach(), w, b))):
            rec(f"{name}.{label}", y)
            rec(f"{name}.{label}.walk", _walk(y.grad_fn))
    x = rec.tensor(2, 5, 3, requires_grad=True)
    y = F.linear(x.transpose(0, 1), w, b)
    rec("non_contiguous", y)
    rec("non_contiguous.walk", _walk(y.grad_fn))
    (y * y).sum().backward()
    rec("non_contiguous.grads", [x.grad, w.grad, b.grad])


@scenario
def nll_loss_unbatched_graph(torch, rec):
    """nll_loss / cross_entropy on one sample (1-D input): NllLossBackward0 straight on the input (or its
    LogSoftmaxBackward0), a 0-d loss for every reduction; class-probability targets as ATen composes them."""
    F = torch.nn.functional
    weight = torch.tensor([1.0, 2.0, 0.5], dtype=getattr(torch, rec.dtype))
    probs = torch.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], dtype=getattr(torch, rec.dtype))
    for reduction in ("mean", "sum", "none"):
        for name, fn in {"nll": lambda x, **k: F.nll_loss(x, torch.tensor(2), **k),
                         "nll_target_1": lambda x, **k: F.nll_loss(x, torch.tensor([1]), **k),
                         "nll_weight": lambda x, **k: F.nll_loss(x, torch.tensor(1), weight=weight, **k),
                         "nll_ignored": lambda x, **k: F.nll_loss(x, torch.tensor(1), ignore_index=1, **k),
                         "ce": lambda x, **k: F.cross_entropy(x, torch.tensor(0), **k),
                         "ce_weight": lambda x, **k: F.cross_entropy(x, torch.tensor(2), weight=weight, **k),
                         "ce_probs": lambda x, **k: F.cross_entropy(x, probs[0], **k),
                         "ce_probs_weight": lambda x, **k: F.cross_entropy(x, probs[0], weight=weight, **k)}.items():
            x = rec.tensor(3, requires_grad=True)
            y = fn(x, reduction=reduction)
            rec(f"{name}.{reduction}", y)
            rec(f"{name}.{reduction}.walk", _walk(y.grad_fn))
            rec.raises(f"{name}.{reduction}.backward", lambda: y.sum().backward())  # target [1]: torch refuses
            rec(f"{name}.{reduction}.grad", x.grad)
        x = rec.tensor(2, 3, requires_grad=True)
        y = F.cross_entropy(x, probs, weight=weight, reduction=reduction)
        rec(f"ce_probs_batch.{reduction}.walk", _walk(y.grad_fn))
        rec(f"ce_probs_empty.{reduction}", F.cross_entropy(probs[:0].clone().requires_grad_(), probs[:0],
                                                           reduction=reduction))
    x = rec.tensor(3, requires_grad=True)
    rec.raises("target_size", lambda: F.nll_loss(x, torch.tensor([1, 2])))


@scenario(dtypes=("float64",))
def pooling_double_backward(torch, rec):
    """With create_graph=True the gradient of avg_pool2d / max_pool2d is PyTorch's pooling backward op,
    which takes the input: it requires grad, and a second backward gives zeros (or the input's own terms)."""
    F = torch.nn.functional
    pools = {"avg": lambda x: F.avg_pool2d(x, 2), "max": lambda x: F.max_pool2d(x, 2),
             "avg_padded": lambda x: F.avg_pool2d(x, 3, stride=2, padding=1),
             "max_unbatched": lambda x: F.max_pool2d(x[0], 2)}
    for name, pool in pools.items():
        for label, inner in (("plain", lambda x: x), ("square", lambda x: x * x)):
            x = rec.tensor(1, 2, 4, 4, requires_grad=True)
            g, = torch.autograd.grad(pool(inner(x)).sum(), x, create_graph=True)
            rec(f"{name}.{label}.grad", g)
            gg, = torch.autograd.grad(g.sum(), x, allow_unused=True)
            rec(f"{name}.{label}.second", gg)
        x = rec.tensor(1, 2, 4, 4, requires_grad=True)
        g, = torch.autograd.grad((pool(x) ** 2).sum(), x, create_graph=True)  # grad_output requires grad
        rec(f"{name}.outer_square.grad", g)
        rec(f"{name}.outer_square.second", torch.autograd.grad(g.sum(), x)[0])
        fw = torch.autograd.forward_ad
        with fw.dual_level():  # forward over reverse: the pooling backward's own forward-mode rule
            xd = fw.make_dual(x.detach().clone().requires_grad_(), rec.tensor(1, 2, 4, 4))
            g, = torch.autograd.grad((pool(xd) ** 2).sum(), xd, create_graph=True)
            rec(f"{name}.forward_over_reverse", fw.unpack_dual(g).tangent.detach())


@scenario
def losses_broadcast_target_graph(torch, rec):
    """mse_loss / l1_loss broadcast input and target first (torch.broadcast_tensors): the one that grows
    goes through ExpandBackward0."""
    F = torch.nn.functional
    shapes = {"target_row": ((2, 3), (3,)), "input_row": ((3,), (2, 3)), "same": ((2, 3), (2, 3))}
    for loss in ("mse_loss", "l1_loss"):
        for name, (si, st) in shapes.items():
            for grads in ((True, False), (True, True)):
                x, t = rec.tensor(*si, requires_grad=grads[0]), rec.tensor(*st, requires_grad=grads[1])
                for reduction in ("mean", "none"):
                    y = getattr(F, loss)(x, t, reduction=reduction)
                    key = f"{loss}.{name}.{int(grads[1])}.{reduction}"
                    rec(key, y)
                    rec(f"{key}.walk", _walk(y.grad_fn))
                    y.sum().backward()
                    rec(f"{key}.grads", [x.grad, t.grad])
                    x.grad = t.grad = None
    rec.raises("not_broadcastable", lambda: F.mse_loss(rec.tensor(2, 3), rec.tensor(4)))
