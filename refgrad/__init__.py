"""refgrad: a reference implementation of PyTorch's autograd semantics, in Python on NumPy.

`import refgrad as torch` runs autograd programs unchanged: same values, dtypes, grad_fn
names, reprs, errors and warnings. Where to look:

    refgrad/derivatives.py      every op's forward and backward formulas (the table)
    refgrad/_dispatch.py        how an op runs and records its node
    refgrad/autograd/engine.py  how backward walks the graph
    refgrad/autograd/graph.py   nodes, saved tensors, AccumulateGrad
"""
from . import _dtype
from ._dtype import (bool_ as bool, float16, float32, float64, int8, int16, int32, int64, uint8, dtype,
                     get_default_dtype, set_default_dtype, promote_types)
from ._device import device
from ._tensor import Tensor, Size
from . import autograd
from .autograd import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                       is_inference_mode_enabled)
from ._creation import (tensor, as_tensor, from_numpy, arange, zeros, ones, full, empty, eye, linspace, zeros_like,
                        ones_like, full_like, empty_like, rand, randn, rand_like, randn_like, randint, normal,
                        manual_seed, seed, initial_seed)
from ._ops import (add, sub, rsub, mul, div, true_divide, floor_divide, remainder, neg, reciprocal, pow, square,
                   abs, sgn, sign, exp, log, sqrt, sin, cos, tanh, sigmoid, relu, isfinite, exp2, expm1,
                   log2, log10, log1p, rsqrt, tan, asin, acos, atan, sinh, cosh, erf, floor, ceil, round, trunc,
                   where, eq, ne, lt, le,
                   gt, ge, equal, logical_and, logical_or, sum, mean, norm, dot, view_as, reshape, flatten,
                   unsqueeze, squeeze, transpose, t, permute, select, narrow, clone, broadcast_to,
                   clamp, clamp_min, clamp_max, maximum, minimum, atan2, arctan2, addcmul, addcdiv, lerp, fmod,
                   prod, max, min, amax, amin, argmax, argmin, var, std, logsumexp, softmax, log_softmax, cumsum,
                   cumprod, all, any, mm, mv, bmm, matmul, outer, addmm, det, einsum, flip, roll, tril, triu,
                   diagonal, movedim, cat, concat, concatenate, stack, split,
                   chunk, unbind, gather, scatter, scatter_add, index_select, index_add, masked_fill, masked_select,
                   take_along_dim, tensordot)
from ._ops import linalg_inv as inverse
from . import return_types
from ._printing import set_printoptions
from . import cuda, linalg, nn, optim, func

subtract, multiply, divide, negative, absolute = sub, mul, div, neg, abs
clip, moveaxis, ger = clamp, movedim, outer
float, double, half = float32, float64, float16
long, int, short = int64, int32, int16

__version__ = "0.1.0"


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    return _dtype.result_type((tensor1, tensor2))


def can_cast(from_, to):
    return _dtype.can_cast(from_, to)
