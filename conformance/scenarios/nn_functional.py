"""torch.nn.functional, OpInfo style (see _opinfo.py): activations, losses (every reduction, class
weights, ignore_index, probability targets), layer_norm, conv1d/conv2d (stride, padding, dilation),
pooling, padding modes and embedding. Dropout's mask is random, so its cases are the deterministic
ones (eval, p=0, p=1) and the statistics of a training mask."""
import warnings

from . import scenario
from .graph import _walk
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


@scenario(dtypes=("float64",))
def conv_double_backward(torch, rec):
    """With create_graph=True each gradient of conv1d / conv2d is an output of PyTorch's convolution_backward
    (ConvolutionBackwardBackward0), which takes the gradient, the input and the weight: it requires grad when
    any of them does (the input alone included), and a second backward differentiates it in each."""
    F = torch.nn.functional
    convs = {"conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1), (1, 2, 3, 4), (2, 2, 2, 2)),
             "conv1d": (lambda x, w, b: F.conv1d(x, w, b, padding=1, dilation=2), (2, 2, 5), (3, 2, 2))}
    for name, (conv, x_shape, w_shape) in convs.items():
        for w_grad in (False, True):
            for g_grad in (False, True):
                case = f"{name}.weight_{'grad' if w_grad else 'constant'}.grad_output_{'grad' if g_grad else 'constant'}"
                x, w = rec.tensor(*x_shape, requires_grad=True), rec.tensor(*w_shape, requires_grad=w_grad)
                b = rec.tensor(w_shape[0], requires_grad=True)
                y = conv(x, w, b)
                g = rec.tensor(*y.shape, requires_grad=g_grad)
                wrt = [x, w, b] if w_grad else [x, b]
                grads = torch.autograd.grad(y, wrt, g, create_graph=True)
                rec(f"{case}.grads", list(grads))
                for label, grad in zip(("input", "weight", "bias") if w_grad else ("input", "bias"), grads):
                    wrt = [t for t in (x, w, g) if t.requires_grad]
                    second = torch.autograd.grad((grad * grad).sum(), wrt, allow_unused=True,
                                                 retain_graph=True) if grad.requires_grad else None
                    rec(f"{case}.{label}.second", second)
                if all(t.requires_grad for t in grads):  # every output of convolution_backward gets a gradient
                    wrt = [t for t in (x, w, g) if t.requires_grad]
                    total = sum((t * t).sum() for t in grads)
                    rec(f"{case}.all.second", torch.autograd.grad(total, wrt, allow_unused=True, retain_graph=True))
                rec.raises(f"{case}.input.unused", lambda: torch.autograd.grad(grads[0].sum(), x, retain_graph=True))
    x = rec.tensor(2, 3, 3, requires_grad=True)  # unbatched: the gradient goes back through the unsqueeze
    g, = torch.autograd.grad(F.conv2d(x, rec.tensor(1, 2, 2, 2)).sum(), x, create_graph=True)
    rec("unbatched.grad", g)
    x = rec.tensor(1, 2, 3, 3, requires_grad=True)  # backward(create_graph=True) into .grad, then through it
    y = F.conv2d(x, rec.tensor(1, 2, 2, 2), padding=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns of the reference cycle once per process
        y.backward(torch.full_like(y, 0.5), create_graph=True, inputs=[x])
    rec("backward.grad", x.grad)
    rec.raises("backward.second", lambda: x.grad.sum().backward(inputs=[x]))
    fw = torch.autograd.forward_ad
    with fw.dual_level():  # forward over reverse: convolution_backward's own forward-mode rule
        xd = fw.make_dual(rec.tensor(1, 2, 3, 4).requires_grad_(), rec.tensor(1, 2, 3, 4))
        w = fw.make_dual(rec.tensor(2, 2, 2, 2).requires_grad_(), rec.tensor(2, 2, 2, 2))
        b = rec.tensor(2, requires_grad=True)
        grads = torch.autograd.grad((F.conv2d(xd, w, b, padding=1) ** 2).sum(), [xd, w, b], create_graph=True)
        rec("forward_over_reverse", [fw.unpack_dual(t).tangent.detach() for t in grads])


@scenario(dtypes=("float64",))
def pad_double_backward(torch, rec):
    """With create_graph=True the gradient of reflect / replicate padding is PyTorch's padding backward op
    (ReflectionPad2DBackwardBackward0, ...), which takes the input: it requires grad when the input does, and
    a second backward gives zeros for the input, the padding of its gradient for the grad_output. Constant
    padding's gradient is a constant_pad_nd of the grad_output alone."""
    F = torch.nn.functional
    shapes = {"1d": ((1, 2, 3), (2, 1)), "2d": ((1, 2, 3, 3), (1, 1, 2, 0)), "3d": ((1, 1, 2, 3, 3), (1, 0, 1, 1, 1, 1))}
    for mode in ("reflect", "replicate", "constant"):
        for dims, (shape, pad) in shapes.items():
            for g_grad in (False, True):
                case = f"{mode}.{dims}.grad_output_{'grad' if g_grad else 'constant'}"
                x = rec.tensor(*shape, requires_grad=True)
                y = F.pad(x, pad, mode=mode)
                g = rec.tensor(*y.shape, requires_grad=g_grad)
                grad, = torch.autograd.grad(y, x, g, create_graph=True)
                rec(f"{case}.grad", grad)
                if grad.requires_grad:
                    wrt = [x, g] if g_grad else [x]
                    rec(f"{case}.second", torch.autograd.grad((grad * grad).sum(), wrt, allow_unused=True))
        x = rec.tensor(1, 2, 3, 3, requires_grad=True)  # the fuzzer's program: .grad from backward, then through it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns of the reference cycle once per process
            F.pad(x, (1, 1, 1, 1), mode=mode).sum().backward(create_graph=True, inputs=[x])
        rec(f"{mode}.backward.grad", x.grad)
        rec.raises(f"{mode}.backward.second", lambda: x.grad.sum().backward(inputs=[x]))
        rec(f"{mode}.backward.second.grad", x.grad)
        x = rec.tensor(1, 2, 3, requires_grad=True)
        h = x * 1
        y = F.pad(h, (1, 2), mode=mode)
        h.add_(1)  # the modes that save the input refuse it changed in place
        rec.raises(f"{mode}.inplace_after", lambda: y.sum().backward())
        fw = torch.autograd.forward_ad
        for dims, (shape, pad) in shapes.items():
            with fw.dual_level():  # forward over reverse: the padding backward's own forward-mode rule
                xd = fw.make_dual(rec.tensor(*shape).requires_grad_(), rec.tensor(*shape))
                grad, = torch.autograd.grad((F.pad(xd, pad, mode=mode) ** 2).sum(), xd, create_graph=True)
                rec(f"{mode}.{dims}.forward_over_reverse", fw.unpack_dual(grad).tangent.detach())


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


@scenario(dtypes=("float32",))
def non_tensor_arguments(torch, rec):
    """None, a number or a str where nn.functional takes a tensor: each function's ATen parser names the
    argument (by position when torch's Python wrapper passes it on by position), and the functions written
    in Python (F.sigmoid, F.softmax, the losses that read .size()) raise Python's AttributeError."""
    F = torch.nn.functional
    x, target = torch.ones(2, 3), torch.tensor([0, 1])
    calls = {
        "gelu": lambda v: F.gelu(v), "gelu_kw": lambda v: F.gelu(input=v), "silu": lambda v: F.silu(v),
        "silu_kw": lambda v: F.silu(input=v), "softplus": lambda v: F.softplus(v),
        "softplus_kw": lambda v: F.softplus(input=v), "elu": lambda v: F.elu(v), "leaky_relu": lambda v: F.leaky_relu(v),
        "logsigmoid": lambda v: F.logsigmoid(v), "logsigmoid_kw": lambda v: F.logsigmoid(input=v),
        "dropout": lambda v: F.dropout(v), "sigmoid": lambda v: F.sigmoid(v), "tanh": lambda v: F.tanh(v),
        "relu": lambda v: F.relu(v), "softmax": lambda v: F.softmax(v, 0), "log_softmax": lambda v: F.log_softmax(v, 0),
        "linear": lambda v: F.linear(v, x), "linear_kw": lambda v: F.linear(input=v, weight=x),
        "linear_weight": lambda v: F.linear(x, v), "mse_loss": lambda v: F.mse_loss(v, x),
        "mse_loss_target": lambda v: F.mse_loss(x, v), "l1_loss": lambda v: F.l1_loss(v, x),
        "nll_loss": lambda v: F.nll_loss(v, target), "nll_loss_target": lambda v: F.nll_loss(x, v),
        "cross_entropy": lambda v: F.cross_entropy(v, target), "cross_entropy_target": lambda v: F.cross_entropy(x, v),
        "bce": lambda v: F.binary_cross_entropy(v, x), "bce_weight": lambda v: F.binary_cross_entropy(x.sigmoid(), x, v),
        "bce_logits": lambda v: F.binary_cross_entropy_with_logits(v, x), "layer_norm": lambda v: F.layer_norm(v, (3,)),
        "conv2d": lambda v: F.conv2d(v, torch.ones(1, 2, 1, 1)), "conv1d_weight": lambda v: F.conv1d(torch.ones(1, 2, 3), v),
        "conv2d_bias": lambda v: F.conv2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 1, 1), v),
        "max_pool2d": lambda v: F.max_pool2d(v, 2), "avg_pool2d": lambda v: F.avg_pool2d(v, 2),
        "avg_pool2d_kw": lambda v: F.avg_pool2d(input=v, kernel_size=2), "pad": lambda v: F.pad(v, (1, 1)),
        "pad_reflect": lambda v: F.pad(v, (1, 1), mode="reflect"), "embedding": lambda v: F.embedding(v, x),
        "embedding_weight": lambda v: F.embedding(target, v),
    }
    for name, call in calls.items():
        for label, value in (("none", None), ("float", 1.5), ("str", "s")):
            rec.raises(f"{name}.{label}", lambda: call(value))
    rec.raises("gelu_approximate_none", lambda: F.gelu(x, approximate=None))
    rec.raises("softplus_beta_none", lambda: F.softplus(x, beta=None))
    rec.raises("elu_alpha_none", lambda: F.elu(x, alpha=None))
    rec.raises("leaky_relu_slope_none", lambda: F.leaky_relu(x, None))


@scenario(dtypes=("float32",))
def nll_loss_spatial_checks(torch, rec):
    """nll_loss / cross_entropy over (N, C, d1, ...): ATen's checks in its order (batch sizes first, even for
    a 0-d target, then the target's size, dtype, the weight), before any computing."""
    F = torch.nn.functional
    long = torch.int64
    inputs = {"3d": torch.ones(2, 1, 3), "4d": torch.ones(2, 3, 2, 2), "2d": torch.ones(2, 3), "1d": torch.ones(3),
              "5d": torch.ones(2, 3, 2, 2, 1), "3d_empty": torch.ones(0, 2, 3), "4d_empty": torch.ones(0, 1, 3, 2)}
    targets = {"0d": torch.tensor(0), "1d": torch.tensor([0, 0]), "1d_3": torch.tensor([0, 0, 0]),
               "2d": torch.zeros(2, 3, dtype=long), "2d_bad": torch.zeros(2, 4, dtype=long),
               "2d_float": torch.zeros(2, 3), "3d": torch.zeros(2, 2, 2, dtype=long), "3d_bad": torch.zeros(2, 2, 3, dtype=long),
               "3d_float": torch.zeros(2, 2, 2), "3d_batch": torch.zeros(3, 2, 2, dtype=long),
               "3d_byte": torch.zeros(2, 2, 3, dtype=torch.uint8), "3d_int": torch.zeros(2, 3, 1, dtype=torch.int32),
               "1d_float": torch.zeros(2), "2d_1": torch.zeros(2, 1, dtype=long)}
    checked = {("3d", "0d"), ("3d", "1d"), ("3d", "1d_3"), ("3d", "2d_bad"), ("3d", "2d_float"), ("3d", "3d_int"),
               ("4d", "2d_bad"), ("4d", "3d_bad"), ("4d", "3d_float"), ("4d", "3d_batch"), ("4d", "3d_byte"),
               ("4d", "0d"), ("2d", "0d"), ("2d", "2d_1"), ("2d", "1d_3"), ("1d", "2d_1"), ("1d", "1d_float"),
               ("1d", "1d"), ("5d", "3d"), ("3d_empty", "0d"), ("4d_empty", "0d")}
    for (i, t) in sorted(checked):
        rec.raises(f"nll_loss.{i}.{t}", lambda: F.nll_loss(inputs[i], targets[t]))
        rec.raises(f"cross_entropy.{i}.{t}", lambda: F.cross_entropy(inputs[i], targets[t], reduction="sum"))
    rec.raises("nll_loss.3d.weight", lambda: F.nll_loss(torch.ones(2, 3, 2), torch.zeros(2, 2, dtype=long),
                                                         weight=torch.ones(2)))
    rec.raises("nll_loss.4d.weight", lambda: F.nll_loss(inputs["4d"], torch.zeros(2, 2, 3, dtype=long),
                                                         weight=torch.ones(2)))


@scenario(dtypes=("float64",))
def pad_size_checks(torch, rec):
    """The non-constant padding modes pad the last 1, 2 or 3 dims of an input with one or two more: other
    combinations are PyTorch's NotImplementedError (an unknown mode is named first)."""
    F = torch.nn.functional
    for mode in ("reflect", "replicate"):
        for ndim in (1, 2, 3, 4, 5, 6):
            for size in (2, 4, 6):
                x = rec.tensor(*(3,) * ndim, requires_grad=True)
                rec.raises(f"{mode}.{ndim}d.{size}", lambda: F.pad(x, (1,) * size, mode=mode))
    rec.raises("bogus_odd", lambda: F.pad(torch.ones(2, 2), (1,), mode="bogus"))
    rec.raises("bogus_long", lambda: F.pad(torch.ones(2, 2), (1,) * 8, mode="bogus"))
    rec.raises("reflect_odd", lambda: F.pad(torch.ones(2, 2), (1,), mode="reflect"))
    rec.raises("reflect_long", lambda: F.pad(torch.ones(2, 2, 2), (1,) * 8, mode="reflect"))


@scenario
def layer_norm_dtype_checks(torch, rec):
    """layer_norm after its shape check: parameters of another dtype than the input must be float32 (for a
    half input, PyTorch's mixed kernel) and the input must be floating point."""
    F = torch.nn.functional
    for name, dtype in (("long", torch.long), ("int", torch.int32), ("bool", torch.bool)):
        rec.raises(name, lambda: F.layer_norm(torch.ones(2, 3, dtype=dtype), (3,)))
    for name, dtype, wdtype in (("long_float_weight", torch.long, torch.float32),
                                ("float_double_weight", torch.float32, torch.float64),
                                ("double_float_weight", torch.float64, torch.float32),
                                ("float_half_weight", torch.float32, torch.float16)):
        rec.raises(name, lambda: F.layer_norm(torch.ones(2, 3, dtype=dtype), (3,), torch.ones(3, dtype=wdtype)))
    rec.raises("float_double_bias", lambda: F.layer_norm(torch.ones(2, 3), (3,), None, torch.ones(3).double()))
    rec.raises("shape_first", lambda: F.layer_norm(torch.ones(2, 3, dtype=torch.long), (2,)))
