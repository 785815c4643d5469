"""refgrad: a reference implementation of PyTorch's autograd semantics, in Python on NumPy.

`import refgrad as torch` runs autograd programs unchanged: same values, dtypes, grad_fn
names, reprs, errors and warnings. Where to look:

    refgrad/derivatives.py      every op's forward, backward and forward-mode formulas (the table)
    refgrad/_dispatch.py        how an op runs and records its node
    refgrad/autograd/engine.py  how backward walks the graph
    refgrad/autograd/graph.py   nodes, saved tensors, AccumulateGrad

The op functions exported here are generated from the table and refgrad/_ops.py's registry.
"""
# The autograd package first: importing any of its modules (graph, grad_mode, which Tensor needs) runs
# its __init__, which gathers the API from the layers above Tensor. Starting there lets every layer
# import only the ones below it.
from . import autograd
from . import _dtype
from ._dtype import (bool_ as bool, float16, float32, float64, int8, int16, int32, int64, uint8, dtype,
                     get_default_dtype, set_default_dtype, promote_types)
from ._device import device, get_default_device
from ._layout import memory_format, contiguous_format, preserve_format, channels_last, channels_last_3d
from ._tensor import Tensor, Size
from .autograd import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                       is_inference_mode_enabled)
from .autograd.anomaly_mode import is_anomaly_enabled, is_anomaly_check_nan_enabled, set_anomaly_enabled
from ._creation import (tensor, as_tensor, from_numpy, arange, zeros, ones, full, empty, eye, linspace, zeros_like,
                        ones_like, full_like, empty_like, rand, randn, rand_like, randn_like, randint, normal,
                        manual_seed, seed, initial_seed, randperm, Generator, default_generator)
from ._ops import EXPORTS as _EXPORTS, parsed as _parsed, exactly_one_argument as _exactly_one_argument
from . import return_types, _creation
from ._printing import set_printoptions
from . import cuda, linalg, nn, optim, func, utils
from .autograd import functional as _functional  # sets autograd.functional; it needs the ops above

globals().update(_EXPORTS)
globals().update(_creation.LEGACY_TYPES)  # torch.FloatTensor, torch.LongTensor, ...
vmap = func.vmap  # torch.vmap is torch.func.vmap
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


# PyTorch's words for a call its argument parser rejects
for _name in [*_EXPORTS, "tensor", "as_tensor", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
              "full_like", "empty_like", "rand_like", "randn_like", "numel", "get_default_dtype", "is_grad_enabled",
              "is_inference_mode_enabled", "promote_types", "can_cast", "eye", "arange", "linspace", "rand", "randn",
              "rand_like", "randn_like", "randint", "randperm", "normal", "result_type", "is_anomaly_enabled",
              "is_anomaly_check_nan_enabled", "set_anomaly_enabled"]:
    globals()[_name] = _parsed(globals()[_name], _name)
from_numpy = _exactly_one_argument(from_numpy, "torch._VariableFunctionsClass.from_numpy")
