"""refgrad.nn.functional: activations, losses, normalisation, convolution, pooling, padding and
embedding. Ops with their own PyTorch node (GeluBackward0, NllLossBackward0, ConvolutionBackward0)
are table entries in refgrad/derivatives.py; the others are composites, as in PyTorch."""
import functools
import inspect
import math
import warnings

import numpy as np

from .. import _dtype as dt
from .. import derivatives as D
from .. import _ops
from .._creation import rand, zeros_like
from .._dispatch import call
from .._formulas import reduce_loss
from .._kernels import batch_norm_stats, layer_norm_outputs, max_pool_indices
from ..autograd.grad_mode import no_grad as _no_grad
from .._promotion import broadcast_shapes
from .._ops import log_sigmoid, relu_  # noqa: F401  (re-exported)
from .._signatures import Parser, Signature, matches, wrong_type
from .._tensor import Tensor

__all__ = ["linear", "relu", "relu_", "elu_", "leaky_relu_", "hardtanh_", "selu_", "celu_", "gelu", "silu", "elu", "leaky_relu", "softplus", "sigmoid", "tanh", "softmax",
           "log_softmax", "logsigmoid", "dropout", "mse_loss", "l1_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "layer_norm", "conv1d", "conv2d",
           "max_pool2d", "avg_pool2d", "pad", "embedding", "hardtanh", "relu6", "selu", "celu", "softsign",
           "hardswish", "hardsigmoid", "mish", "tanhshrink", "one_hot", "smooth_l1_loss", "huber_loss", "kl_div",
           "cosine_similarity", "normalize", "batch_norm", "adaptive_avg_pool2d"]


def _parsed(text, name=None, positional=True, renamed=None):
    """fn as the ATen function it hands its arguments to: an argument that does not fit `text` (PyTorch's
    signature of that function, its tensor and number parameters at least) is the parser's TypeError, named
    `name`. `positional`: torch's Python wrapper passes every argument by position, so the message gives the
    position even for a keyword; `renamed` maps ATen's parameter names to the Python function's. A call with
    `inplace=True` goes to the in-place op (`elu_`), whose name the message gives."""
    params = Signature(text).params
    renamed = renamed or {}

    def wrap(fn):
        python = inspect.signature(fn)
        names = list(python.parameters)
        shown = _shown_name(name or fn.__name__, names)
        plain = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in python.parameters.values())
        # (ATen position, parameter, its position in fn) in ATen's order, for the parameters fn has
        checked = [(i, p, names.index(renamed.get(p.name, p.name))) for i, p in enumerate(params)
                   if renamed.get(p.name, p.name) in names]

        @functools.wraps(fn)
        def parse(*args, **kwargs):
            if plain and not kwargs and len(args) <= len(names):  # SHORTCUT of bind: positional arguments
                for i, param, at in checked:
                    if at < len(args) and not matches(param, args[at]):
                        raise wrong_type(shown(args, {}), param, i + 1, args[at])
                return fn(*args)
            try:
                given = python.bind(*args, **kwargs).arguments
            except TypeError:
                return fn(*args, **kwargs)  # Python's own words for a missing or extra argument
            for i, param in enumerate(params):
                key = renamed.get(param.name, param.name)
                if key in given and not matches(param, given[key]):
                    by_position = positional or list(python.parameters).index(key) < len(args)
                    raise wrong_type(shown(args, kwargs), param, i + 1 if by_position else None, given[key])
            return fn(*args, **kwargs)
        return parse
    return wrap


def _shown_name(name, names):
    """The name of the op a call goes to: `name`, or `name_` for one with inplace=True."""
    at = names.index("inplace") if "inplace" in names else None

    def shown(args, kwargs):
        inplace = kwargs.get("inplace", at is not None and at < len(args) and args[at])
        return name + "_" if inplace else name
    return shown


def _parsed_overloads(name, texts):
    """fn as an ATen function with several signatures: a call that fits none is the parser's TypeError."""
    parser = Parser(name, texts)

    def wrap(fn):
        @functools.wraps(fn)
        def parse(*args, **kwargs):
            error = parser.error(args, kwargs)
            if error is not None:
                raise error
            return fn(*args, **kwargs)
        return parse
    return wrap


# --------------------------------------------------------------------------- linear and activations
@_parsed("(Tensor input, Tensor weight, Tensor bias = None)", positional=False)
def linear(input, weight, bias=None):
    """input @ weight.T + bias, composed as ATen's linear: addmm for 2-D input, an addmm on the input
    flattened to a matrix when it is contiguous, else matmul and an in-place add of the bias."""
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                           f"{input.dim()}D and {weight.dim()}D")
    if bias is not None:
        if input.dim() == 2:
            return _ops.addmm(bias, input, _ops.t(weight))
        if input.is_contiguous():
            return _flattened_linear(input, weight, bias)
    output = _ops.matmul(input, _ops.t(weight))
    return output if bias is None else output.add_(bias)


def _flattened_linear(input, weight, bias):
    rows = 1
    for n in input.shape[:-1]:
        rows *= n  # not -1: it is ambiguous when a dim is 0
    out = _ops.addmm(bias, _ops.reshape(input, rows, input.shape[-1]), _ops.t(weight))
    return _ops.view(out, *input.shape[:-1], out.shape[1])


def _activation(rule, input, params, inplace, inplace_rule=None):
    """An activation, or with `inplace` its in-place form: the same entry, or the one PyTorch's in-place op
    records (a node that reads the output, *Backward1)."""
    if inplace:
        return _ops.call_inplace(inplace_rule or rule, input, (), params)
    return call(rule, (input,), params)


def relu(input, inplace=False):
    return relu_(input) if inplace else _ops.relu(input)


def _implicit_softmax_dim(name, ndim, stacklevel):
    """PyTorch's _get_softmax_dim: the dim a softmax without one takes, with its deprecation warning."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                  "an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def sigmoid(input):
    return input.sigmoid()  # torch's F.sigmoid: a method call, so a non-tensor is an AttributeError


def tanh(input):
    return input.tanh()


@_parsed("(Tensor input)", name="log_sigmoid", positional=False)
def logsigmoid(input):
    return log_sigmoid(input)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_softmax_dim("softmax", input.dim(), _stacklevel)
    return input.softmax(dim) if dtype is None else input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return input.log_softmax(dim) if dtype is None else input.log_softmax(dim, dtype=dtype)


@_parsed("(Tensor input, *, str approximate = 'none')", positional=False)
def gelu(input, *, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    # PyTorch runs its vectorised loop on a contiguous float32 input of two elements or more
    vectorised = input.dtype is dt.float32 and input._data.size > 1 and input._data.flags.c_contiguous
    return call(D.GELU, (input,), {"approximate": approximate, "vectorised": vectorised})


@_parsed("(Tensor input)")
def silu(input, inplace=False):
    return _activation(D.SILU, input, {}, inplace)


@_parsed("(Tensor input, Number alpha = 1)")
def elu(input, alpha=1.0, inplace=False):
    if inplace:
        return elu_(input, alpha)
    return call(D.ELU, (input,), {"alpha": alpha})


@_parsed("(Tensor input, Number alpha = 1)")
def elu_(input, alpha=1.0):
    return _ops.call_inplace(D.ELU_, input, (), {"alpha": alpha, "scale": 1, "input_scale": 1})


@_parsed("(Tensor input, Number negative_slope = 0.01)")
def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _activation(D.LEAKY_RELU, input, {"negative_slope": negative_slope}, inplace, D.LEAKY_RELU_)


@_parsed("(Tensor input, Number negative_slope = 0.01)")
def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


@_parsed("(Tensor input, Number beta = 1, Number threshold = 20)", positional=False)
def softplus(input, beta=1.0, threshold=20.0):
    return call(D.SOFTPLUS, (input,), {"beta": beta, "threshold": threshold})


@_parsed("(Tensor input)")
def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    multiply = _ops.mul_ if inplace else _ops.mul  # PyTorch's dropout_ multiplies in place
    if p == 1.0:
        return multiply(input, zeros_like(input))
    keep = rand(*input.shape, dtype=input.dtype, device=input.device) >= p
    return multiply(input, _ops.div(keep.to(input.dtype), 1 - p))


# --------------------------------------------------------------------------- losses
_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _warn_target_size(input, target):
    if target.size() != input.size():
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


def _broadcast_pair(input, target):
    """PyTorch's losses run torch.broadcast_tensors first: ExpandBackward0 on the one whose shape grows."""
    shape = broadcast_shapes(input.shape, target.shape)
    return tuple(t if t.shape == shape else _ops.expand(t, shape) for t in (input, target))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _warn_target_size(input, target)
    input, target = _broadcast_pair(input, target)
    return call(D.MSE_LOSS, (input, target), {"reduction": _reduction(reduction)})


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _warn_target_size(input, target)
    input, target = _broadcast_pair(input, target)
    loss = _ops.abs(_ops.sub(input, target))
    return reduce_loss(loss, _reduction(reduction))


@_parsed("(Tensor input, Tensor target, Tensor weight = None)", name="nll_loss_nd")
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    _reduction(reduction)
    if input.dim() == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    # ATen reads a 0-d target's size(0) out of its (empty) sizes: 0
    target_batch = target.shape[0] if target.dim() else 0
    if input.dim() != 1 and input.shape[0] != target_batch:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target_batch}).")
    if input.dim() > 2:
        _check_spatial_nll_loss(input, target, weight)
        raise NotImplementedError("refgrad: nll_loss supports inputs of shape (C) or (N, C); "
                                  f"got {input.dim()} dimensions")
    if input.dim() == 2 and target.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    _check_target_dtype(target)
    if input.dim() == 1 and target.dim() == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    t = target if target._dtype is dt.int64 else target.long()
    return _ops.nll_loss_forward(input, weight, t, reduction, ignore_index)


def _check_target_dtype(target):
    if target._dtype not in (dt.int64, dt.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {dt.SCALAR_NAME[target._dtype]}")


def _check_spatial_nll_loss(input, target, weight):
    """ATen's checks of nll_loss over (N, C, d1, ...): other than 4-D, the target must be (N, d1, ...), and both
    are folded to nll_loss2d's (N, C, H, W) and (N, H, W), whose checks follow."""
    if input.dim() != 4:
        if target.dim() == 0:  # ATen slices the target's sizes from dim 1
            raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
        expected = [input.shape[0], *input.shape[2:]]
        if list(target.shape[1:]) != expected[1:]:
            raise RuntimeError(f"Expected target size {_sizes(expected)}, got {_sizes(target.shape)}")
    elif target.dim() != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                           f"{target.dim()}")
    _check_target_dtype(target)
    if weight is not None and weight.numel() != input.shape[1]:
        raise RuntimeError("weight tensor should be defined either for all or no classes")
    if input.dim() == 4 and (input.shape[0], *input.shape[2:]) != tuple(target.shape):
        raise RuntimeError(f"size mismatch (got input: {_sizes(input.shape)} , target: {_sizes(target.shape)}")
    if target._dtype is dt.uint8:
        raise RuntimeError("expected scalar type Long but found Byte")


def _sizes(shape):
    return f"[{', '.join(map(str, shape))}]"


@_parsed("(Tensor input, Tensor target, Tensor weight = None)", name="cross_entropy_loss")
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    _reduction(reduction)
    if label_smoothing != 0.0:
        raise NotImplementedError("refgrad: cross_entropy with label_smoothing is not supported yet")
    class_dim = 0 if input.dim() == 1 else 1
    if input.shape == target.shape:  # ATen's test for class probabilities
        if not target._dtype.is_floating_point:
            raise RuntimeError("Expected floating point type for target with class probabilities, got "
                               f"{dt.SCALAR_NAME[target._dtype]}")
        if input.dim() == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        return _cross_entropy_probabilities(log_softmax(input, class_dim), target, weight, reduction, class_dim)
    return nll_loss(log_softmax(input, class_dim), target, weight, ignore_index=ignore_index, reduction=reduction)


def _cross_entropy_probabilities(logp, target, weight, reduction, class_dim):
    """ATen's cross_entropy with class probabilities as the target: -(logp * target [* weight]) reduced."""
    terms = _ops.mul(logp, target)
    if weight is not None:
        shape = [1] * logp.dim()
        shape[class_dim] = weight.shape[0]
        terms = _ops.mul(terms, _ops.view(weight, *shape) if logp.dim() > 1 else weight)
    if reduction == "none":
        return _ops.neg(_ops.sum(terms, class_dim))
    if reduction == "mean" and logp.numel() == 0:
        return _ops.neg(_ops.sum(terms).fill_(float("nan")))
    loss = _ops.neg(_ops.sum(terms))
    return loss if reduction == "sum" else _ops.div_scalar(loss, logp.numel() // logp.shape[class_dim])


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    if target.size() != input.size():
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if weight is not None:
        broadcast_shapes(target.size(), weight.size())  # torch's _infer_size, before it expands the weight
    return call(D.BINARY_CROSS_ENTROPY, (input, target, weight), {"reduction": _reduction(reduction)})


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    _check_bce_target_dtype(input, target)
    return call(D.BCE_WITH_LOGITS, (input, target, weight, pos_weight), {"reduction": _reduction(reduction)})


def _check_bce_target_dtype(input, target):
    """PyTorch computes the loss in place in `1 - target`, so the loss has target's dtype, which must hold it;
    log_sigmoid(input) comes first."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"log_sigmoid_cpu" not implemented for \'{dt.SCALAR_NAME[input.dtype]}\'')
    if target.dtype is dt.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {dt.SCALAR_NAME[dt.promote_types(input.dtype, target.dtype)]} can't be cast "
                           f"to the desired output type {dt.SCALAR_NAME[target.dtype]}")


# --------------------------------------------------------------------------- normalisation
@_parsed("(Tensor input, tuple of ints normalized_shape, Tensor weight = None, Tensor bias = None)")
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(normalized_shape):]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
                           f"{list(input.shape)}")
    _check_layer_norm_dtypes(input, weight, bias)
    mean, rstd = _layer_norm_moments(input, normalized_shape, eps)
    return call(D.NATIVE_LAYER_NORM, (input, weight, bias), {"normalized_shape": normalized_shape, "eps": eps,
                                                             "result1": mean, "result2": rstd})


def _check_layer_norm_dtypes(input, weight, bias):
    """ATen's checks: parameters of another dtype than the input must be float32 and the input half or
    bfloat16 (its mixed-type kernel); then the kernel's dtype."""
    params = [p for p in (weight, bias) if p is not None]
    if params and params[0].dtype is not input.dtype:
        if any(p.dtype is not dt.float32 for p in params):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if input.dtype is not dt.float16:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
        raise NotImplementedError("refgrad: layer_norm of a half input with float32 weight or bias (PyTorch's mixed "
                                  "kernel) is not supported")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"LayerNormKernelImpl" not implemented for \'{dt.SCALAR_NAME[input.dtype]}\'')


def _layer_norm_moments(input, normalized_shape, eps):
    """native_layer_norm's second and third outputs, which its node saves: each row's mean and rstd."""
    return tuple(Tensor._make(m, input._dtype, input._device)
                 for m in layer_norm_outputs(input._data, normalized_shape, eps))


# --------------------------------------------------------------------------- convolution and pooling
def _tuple(value, k):
    return (value,) * k if isinstance(value, int) else tuple(value)


def _conv(k, input, weight, bias, stride, padding, dilation, groups):
    name = f"conv{k}d"
    if input.dim() not in (k + 1, k + 2):
        raise RuntimeError(f"Expected {k + 1}D (unbatched) or {k + 2}D (batched) input to {name}, but got input of "
                           f"size: {list(input.shape)}")
    unbatched = input.dim() == k + 1
    x = _ops.unsqueeze(input, 0) if unbatched else input
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")  # the double brackets are PyTorch's
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} "
                           f"to have {weight.shape[1] * groups} channels, but got {x.shape[1]} channels instead")
    if isinstance(padding, str):
        x, padding = _string_padding(k, x, weight, padding, _tuple(stride, k), _tuple(dilation, k))
    out = call(D.CONVOLUTION, (x, weight, bias), {"stride": _tuple(stride, k), "padding": _tuple(padding, k),
                                                  "dilation": _tuple(dilation, k), "groups": groups})
    return _ops.squeeze(out, 0) if unbatched else out


def _string_padding(k, x, weight, padding, stride, dilation):
    """ATen's _convolution_mode: 'valid' is no padding; 'same' pads dilation * (kernel - 1) in all, the odd one
    at the end, by a constant_pad_nd of the input where the two sides differ."""
    if padding == "valid":
        return x, 0
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    totals = [d * (n - 1) for d, n in zip(dilation, weight.shape[2:])]
    left = [t // 2 for t in totals]
    if any(t % 2 for t in totals):
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy "
                      "of the input be created", stacklevel=4)
        extra = [t - 2 * n for t, n in zip(totals, left)]
        x = _ops.constant_pad(x, tuple(p for e in reversed(extra) for p in (0, e)), 0.0)
    return x, tuple(left)


_CONV_SIGNATURES = (
    "(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, tuple of ints padding = 0, "
    "tuple of ints dilation = 1, int groups = 1)",
    "(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, str padding = \"valid\", "
    "tuple of ints dilation = 1, int groups = 1)")


@_parsed_overloads("conv1d", _CONV_SIGNATURES)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


@_parsed_overloads("conv2d", _CONV_SIGNATURES)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


def _pool_args(kernel_size, stride, padding):
    kernel = _tuple(kernel_size, 2)
    stride = kernel if stride is None or stride == () or stride == [] else _tuple(stride, 2)
    padding = _tuple(padding, 2)
    for p, k in zip(padding, kernel):
        if p > k // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation=1")
    return kernel, stride, padding


@_parsed("(Tensor input, tuple of ints kernel_size)")
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    if dilation not in (1, (1, 1)) or ceil_mode:
        raise NotImplementedError("refgrad: max_pool2d with dilation or ceil_mode is not supported yet")
    kernel, stride, padding = _pool_args(kernel_size, stride, padding)
    unbatched = input.dim() == 3
    x = _ops.unsqueeze(input, 0) if unbatched else input
    indices = Tensor._make(max_pool_indices(x._data, kernel, stride, padding), dt.int64, x._device)
    out = call(D.MAX_POOL2D, (x,), {"kernel": kernel, "stride": stride, "padding": padding, "indices": indices})
    if unbatched:
        out, indices = _ops.squeeze(out, 0), _ops.squeeze(indices, 0)
    return (out, indices) if return_indices else out


@_parsed("(Tensor input)", positional=False)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    if ceil_mode or not count_include_pad or divisor_override is not None:
        raise NotImplementedError("refgrad: avg_pool2d with ceil_mode, count_include_pad=False or divisor_override "
                                  "is not supported yet")
    kernel, stride, padding = _pool_args(kernel_size, stride, padding)
    unbatched = input.dim() == 3
    x = _ops.unsqueeze(input, 0) if unbatched else input
    out = call(D.AVG_POOL2D, (x,), {"kernel": kernel, "stride": stride, "padding": padding})
    return _ops.squeeze(out, 0) if unbatched else out


@_parsed("(Tensor input)")
def pad(input, pad, mode="constant", value=None):
    pad = tuple(pad)
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    if mode == "constant":
        return _ops.constant_pad(input, pad, 0.0 if value is None else value)
    _check_padding_size(input.dim(), len(pad))
    k = len(pad) // 2
    rule = D.PADS.get((mode, k))
    if rule is None:
        raise NotImplementedError(f"refgrad: padding mode '{mode}' with {len(pad)} pad values is not supported")
    return call(rule, (input,), {"pad": pad})


def _check_padding_size(ndim, size):
    """The non-constant modes pad the last 1, 2 or 3 dims of an input with one or two more (batch, channel)."""
    if ndim - size // 2 not in (1, 2):
        raise NotImplementedError(
            f"Padding size {size} is not supported for {ndim}D input tensor.\nSupported combinations for non-constant "
            "padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: padding size = 4 "
            "(pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


@_parsed("(Tensor weight, Tensor indices)", renamed={"indices": "input"})
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("refgrad: embedding with max_norm, scale_grad_by_freq or sparse is not supported")
    if input._dtype not in (dt.int64, dt.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{dt.SCALAR_NAME[input._dtype]}Tensor instead (while checking "
                           "arguments for embedding)")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    n = weight.shape[0]
    if input._data.size and (input._data.min() < 0 or input._data.max() >= n):
        raise IndexError("index out of range in self")
    return call(D.EMBEDDING, (weight,), {"indices": input, "padding_idx": padding_idx})


# --------------------------------------------------------------------------- more activations
@_parsed("(Tensor input, Number min_val = -1, Number max_val = 1)")
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _activation(D.HARDTANH, input, {"min_val": min_val, "max_val": max_val}, inplace)


@_parsed("(Tensor input, Number min_val = -1, Number max_val = 1)")
def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _activation(D.HARDTANH, input, {"min_val": min_val, "max_val": max_val}, True)


@_parsed("(Tensor input)")
def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


@_parsed("(Tensor input)")
def selu(input, inplace=False):
    if inplace:
        return selu_(input)
    return call(D.SELU, (input,), {})


@_parsed("(Tensor input)")
def selu_(input):
    return _ops.call_inplace(D.ELU_, input, (), {"alpha": D.SELU_ALPHA, "scale": D.SELU_SCALE, "input_scale": 1})


@_parsed("(Tensor input, Number alpha = 1)")
def celu(input, alpha=1.0, inplace=False):
    return _activation(D.CELU, input, {"alpha": alpha}, inplace, D.CELU_)


@_parsed("(Tensor input, Number alpha = 1)")
def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


@_parsed("(Tensor input)")
def hardswish(input, inplace=False):
    return _activation(D.HARDSWISH, input, {}, inplace)


@_parsed("(Tensor input)")
def hardsigmoid(input, inplace=False):
    return _activation(D.HARDSIGMOID, input, {}, inplace)


@_parsed("(Tensor input)")
def mish(input, inplace=False):
    return _activation(D.MISH, input, {}, inplace)


def softsign(input):
    return _ops.div(input, _ops.add_scalar(input.abs(), 1))


def tanhshrink(input):
    return _ops.sub(input, input.tanh())


# --------------------------------------------------------------------------- more losses and similarities
def one_hot(tensor, num_classes=-1):
    if tensor._dtype is not dt.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values = tensor._data
    if num_classes == -1:
        if values.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(values.max()) + 1
    if values.size and values.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if values.size and values.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (values[..., None] == np.arange(num_classes)).astype(np.int64)
    return Tensor._make(out, dt.int64, tensor._device)


def _pointwise_loss(name, rule, input, target, reduction, option, value):
    _warn_target_size(input, target)
    input, target = _broadcast_pair(input, target)
    return call(rule, (input, target), {"reduction": _reduction(reduction), option: value})


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise_loss("smooth_l1_loss", D.SMOOTH_L1_LOSS, input, target, reduction, "beta", beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if weight is not None:
        raise NotImplementedError("refgrad: huber_loss with a weight is not supported yet")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _pointwise_loss("huber_loss", D.HUBER_LOSS, input, target, reduction, "delta", delta)


def _xlogy_of_itself(t):
    """xlogy(t, t): t * log(t), 0 where t is 0 (NaN stays NaN)."""
    return _ops.where(t == 0, zeros_like(t), _ops.mul(t, t.log()))


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """PyTorch's kl_div: exp(target) * (target - input) for a log target, else xlogy(target, target) - target *
    input, reduced; 'batchmean' is the sum divided by the batch size."""
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction != "batchmean":
        _reduction(reduction)
    if log_target:
        loss = _ops.mul(target.exp(), _ops.sub(target, input))
    else:
        loss = _ops.sub(_xlogy_of_itself(target), _ops.mul(target, input))
    loss = reduce_loss(loss, "sum" if reduction == "batchmean" else reduction)
    if reduction == "batchmean" and input.dim() != 0:
        loss = loss / input.shape[0]
    return loss


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """ATen's cosine_similarity: each input divided by its norm (clamped to eps), then the products summed."""
    x1, x2 = _broadcast_pair(x1, x2)
    norms = [_ops.clone(_ops.vector_norm(x, 2, dim, keepdim=True)) for x in (x1, x2)]
    with _no_grad():
        for n in norms:
            n.clamp_(min=eps)
    return _ops.sum(_ops.mul(_ops.div(x1, norms[0]), _ops.div(x2, norms[1])), dim)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


# --------------------------------------------------------------------------- batch norm, adaptive pooling
def _verify_batch_size(size):
    values = size[0]
    for n in size[2:]:
        values *= n
    if values == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """PyTorch's batch_norm: the batch's statistics in training (and the running ones updated in place, without
    a version bump, as its kernel writes them), the running ones otherwise."""
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    channels = input.shape[1] if input.dim() > 1 else 1
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be defined in evaluation mode")
    if training:
        mean, var = batch_norm_stats(input._data)
        _update_running_stats(running_mean, running_var, mean, var, input.numel() // channels, momentum)
    else:
        mean, var = running_mean._data.astype(np.float64), running_var._data.astype(np.float64)
    invstd = 1 / np.sqrt(var + eps)
    return _ops.native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, mean,
                                  invstd)


def _update_running_stats(running_mean, running_var, mean, var, n, momentum):
    if running_mean is not None:
        running_mean._data[...] = momentum * mean + (1 - momentum) * running_mean._data
    if running_var is not None:
        unbiased = var * n / (n - 1) if n > 1 else np.full_like(var, np.nan)
        running_var._data[...] = momentum * unbiased + (1 - momentum) * running_var._data


def adaptive_avg_pool2d(input, output_size):
    """ATen's adaptive_avg_pool2d: a mean over the last two dims for an output of 1 x 1, else its own op."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    size = _tuple(output_size, 2)
    size = tuple(input.shape[-2 + i] if s is None else s for i, s in enumerate(size))
    if size == (1, 1):
        return _ops.mean(input, (-1, -2), keepdim=True)
    return _ops.adaptive_avg_pool2d_raw(input, size)


del math
