"""torch.nn.functional, OpInfo style (see _opinfo.py): activations, losses (every reduction, class
weights, ignore_index, probability targets), layer_norm, conv1d/conv2d (stride, padding, dilation),
pooling, padding modes and embedding. Dropout's mask is random, so its cases are the deterministic
ones (eval, p=0, p=1) and the statistics of a training mask."""
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
