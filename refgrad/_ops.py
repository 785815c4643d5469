"""The public op functions (`refgrad.add`, `Tensor.sum`, operators, indexing).

Each function checks and normalises its arguments the way PyTorch's argument parser does, picks
the table entry (refgrad/derivatives.py) for the overload, and hands it to the dispatcher. An entry
whose op needs no argument handling of its own (`exp`, `eq`) declares `api=` and gets its function
generated here. `@public` registers where a function appears (refgrad.<name>, Tensor.<name>);
ALIASES names the other spellings. The bottom of the file installs it all: the methods and operators
on Tensor, the functions for refgrad/__init__.py (EXPORTS), and the ops the formulas call.
"""
import builtins
import functools
import inspect
import math
import operator
import types
import warnings

import numpy as np

from . import _dtype as dt
from . import _kernels as kernels
from . import derivatives as D
from ._args import _is_int, element_error, int_list
from ._creation import _rng, full_like_scalar
from ._creation import eye, full_like, ones, ones_like, zeros, zeros_like, tensor as new_tensor  # noqa: F401  (ops of formulas)
from ._creation import _filled as filled, full
from . import _device
from ._device import canonical
from ._dispatch import (bump_version, call, call_inplace, check_inplace, autograd_prechecks,  # noqa: F401
                        check_mutable, needs_history, zero_tensor_like)
from ._einsum import einsum as _run_einsum
from ._layout import check_memory_format, contiguous_format, is_contiguous_as, preserve_format, suggested_format
from ._formulas import install_ops
from ._promotion import broadcast_shapes, check_fill_value, check_inplace_shape, check_int_range, check_scalar_fits
from ._signatures import METHOD_SIGNATURES, SIGNATURES, Parser, rejected, type_name
from ._tensor import Tensor, _inherit_inference, _wrap_dim
from .autograd import grad_mode
from ._warn import warn_once
from .return_types import return_type

EXPORTS = {}  # refgrad.<name> -> function
METHODS = {}  # Tensor.<name> -> function


def public(function=True, method=True, name=None):
    """Registers an op under its name (or `name`): as refgrad.<name> and/or as Tensor.<name>."""
    def register(fn):
        key = name or fn.__name__
        if function:
            EXPORTS[key] = fn
        if method:
            METHODS[key] = fn
        return fn
    return register

# The functions whose first argument may be a number as well as a tensor (torch.add(2, t)).
_NUMBER_FIRST = {"add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
                 "remainder", "pow", "bitwise_and", "bitwise_or", "bitwise_xor"}


# The first parameter of a function that takes a tensor first, and PyTorch's name for it.
_TENSOR_FIRST = {"input": "input", "A": "input", "condition": "condition"}
_SHOWN_AS = {**_TENSOR_FIRST, "size_args": "size"}  # a parameter's name in PyTorch's messages
# Functions whose first argument is not a tensor: its name and type in PyTorch's messages, and what passes.
_FIRST_TYPED = {"promote_types": ("type1", "torch.dtype", dt.dtype), "can_cast": ("from_", "torch.dtype", dt.dtype),
                "eye": ("n", "int", (int, np.integer))}
# PyTorch's functions written in Python (torch.functional): Python's own words for a bad call.
_PYTHON_FUNCTIONS = {"norm", "einsum", "tensordot", "split", "set_default_device"}


def parsed(fn, name):
    """refgrad.<name> as PyTorch's argument parser presents it: a first argument that is not a tensor and a
    missing argument are TypeErrors in PyTorch's words, before fn runs (or instead of Python's). Only the
    module-level functions go through it; methods and the formulas' ops do not."""
    params = list(inspect.signature(fn).parameters.values())
    if name in _PYTHON_FUNCTIONS:
        return fn
    if not params:
        return _no_arguments(fn, name)
    first = params[0]
    tensor_first = first.name in _TENSOR_FIRST
    typed_first = _FIRST_TYPED.get(name)
    sizes_first = first.kind is first.VAR_POSITIONAL and first.name in ("size", "size_args")  # zeros() needs one
    accepted = _OPERAND if name in _NUMBER_FIRST else Tensor

    signatures = name in SIGNATURES
    numpy_names = _numpy_names_of(params)

    @functools.wraps(fn)
    def parse(*args, **kwargs):
        if numpy_names and kwargs:
            kwargs = _renamed(kwargs, numpy_names)
        if signatures:
            error = rejected(name, args, kwargs)
            if error is not None:
                raise error
        if tensor_first:
            value = args[0] if args else kwargs.get(first.name, _MISSING)
            if not isinstance(value, accepted):
                raise _argument_error(name, params, args, kwargs, value)
        elif sizes_first and not args and "size" not in kwargs:
            raise _missing(name, params, args, kwargs)
        elif typed_first and args and (not isinstance(args[0], typed_first[2]) or isinstance(args[0], bool)):
            raise TypeError(f"{name}(): argument '{typed_first[0]}' (position 1) must be {typed_first[1]}, not "
                            f"{type_name(args[0])}")
        dtype = kwargs.get("dtype")
        if dtype is not None and type(dtype) is not dt.dtype and not (sizes_first and not _plain_sizes(args)):
            # (an overloaded function's parser said it above; bad sizes are named first, by fn)
            raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
        try:
            return fn(*args, **kwargs)
        except TypeError as exc:
            if exc.__traceback__.tb_next is None and " missing " in str(exc):  # raised by the call itself
                raise _missing(name, params, args, kwargs) from None
            if name != fn.__name__ and str(exc).startswith(f"{fn.__name__}(): argument "):  # an alias's own name
                raise TypeError(name + str(exc)[len(fn.__name__):]) from None
            raise
    return parse


_MISSING = object()

# NumPy's names PyTorch's parser takes for its own (sum(x, axis=0, keepdims=True), add(x1=a, x2=b))
_NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim", "x": "input", "a": "input", "x1": "input", "x2": "other"}


def _numpy_names_of(params):
    """The NumPy names a function takes, for those of its parameters PyTorch's parser gives them to."""
    names = {p.name for p in params}
    return {alias: own for alias, own in _NUMPY_NAMES.items() if own in names and alias not in names}


def _renamed(kwargs, numpy_names):
    """kwargs with NumPy's names put as PyTorch's (where PyTorch's is not given too: then the alias is an unknown
    keyword, as in PyTorch)."""
    if not builtins.any(k in numpy_names for k in kwargs):
        return kwargs
    return {numpy_names[k] if k in numpy_names and numpy_names[k] not in kwargs else k: v for k, v in kwargs.items()}



def exactly_one_argument(fn, shown):
    """fn(x) as a C function that takes one argument says it (PyTorch's from_numpy)."""
    @functools.wraps(fn)
    def parse(*args, **kwargs):
        if len(args) + len(kwargs) != 1:
            raise TypeError(f"{shown}() takes exactly one argument ({len(args) + len(kwargs)} given)")
        return fn(*args, **kwargs)
    return parse


def _no_arguments(fn, name):
    @functools.wraps(fn)
    def parse(*args, **kwargs):
        if args or kwargs:
            raise TypeError(f"torch.{name}() takes no arguments ({len(args) + len(kwargs)} given)")
        return fn()
    return parse


def _argument_error(name, params, args, kwargs, value):
    if value is _MISSING:
        return _missing(name, params, args, kwargs)
    where = " (position 1)" if args else ""
    return TypeError(f"{name}(): argument '{_TENSOR_FIRST[params[0].name]}'{where} must be Tensor, not "
                     f"{type_name(value)}")


def _plain_sizes(args):
    sizes = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    return not [v for v in sizes if type(v) is not int]  # (`all` is the op here)


def _missing(name, params, args, kwargs):
    required = [_SHOWN_AS.get(p.name, p.name) for p in params[len(args):] if p.name not in kwargs and (
        p.kind is p.VAR_POSITIONAL or p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD)]
    # PyTorch's words, singular and plural as it has them
    return TypeError(f"{name}() missing {len(required)} required positional argument{'s' if len(required) == 1 else ''}"
                     f": {', '.join(f'{chr(34)}{r}{chr(34)}' for r in required)}")


_NUMBER = (int, float, bool, np.number, np.bool_)
_OPERAND = (Tensor,) + _NUMBER


def _operand(name, position, argname, value):
    if isinstance(value, _OPERAND):
        return value
    raise TypeError(f"{name}(): argument '{argname}' (position {position}) must be Tensor, not "
                    f"{type_name(value)}")


def _tensor_arg(name, position, argname, value):
    if isinstance(value, Tensor):
        return value
    raise TypeError(f"{name}(): argument '{argname}' (position {position}) must be Tensor, not "
                    f"{type_name(value)}")


def _generated(rule):
    """The public function of an entry whose op takes only tensors (those with `api=`, and the bitwise
    operators'): its tensor inputs, positionally, checked as torch's argument parser checks them."""
    name = rule.name
    if len(rule.inputs) == 1:
        def op(input):
            return call(rule, (_tensor_arg(name, 1, "input", input),), {})
    else:
        def op(input, other):
            return call(rule, (_tensor_arg(name, 1, "input", input), _operand(name, 2, "other", other)), {})
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{name}({', '.join(op.__code__.co_varnames[:len(rule.inputs)])}): grad_fn {rule.node}."
    return op


def _is_bool(operand):
    return type(operand) is bool or isinstance(operand, np.bool_) or getattr(operand, "_dtype", None) is dt.bool_


def _check_sub(a, b):
    """PyTorch's sub_check: no subtraction with a bool operand (a Python bool counts)."""
    a_bool, b_bool = _is_bool(a), _is_bool(b)
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
                           "or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


# --------------------------------------------------------------------------- arithmetic
@public()
def add(input, other, *, alpha=1):
    if type(input) is not Tensor:  # the checks are skipped for plain tensors and floats: the hot path
        input = _tensor_arg("add", 1, "input", input)
    if type(other) is not Tensor and type(other) is not float:
        other = _operand("add", 2, "other", other)
    return call(D.ADD, (input, other), {"alpha": alpha})


@public()
def sub(input, other, *, alpha=1):
    input = _tensor_arg("sub", 1, "input", input)
    other = _operand("sub", 2, "other", other)
    _check_sub(input, other)
    return call(D.SUB, (input, other), {"alpha": alpha})


@public(method=False)
def rsub(input, other, *, alpha=1):
    input = _tensor_arg("rsub", 1, "input", input)
    other = _operand("rsub", 2, "other", other)
    _check_sub(input, other)
    if isinstance(other, Tensor):
        broadcast_shapes(other._data.shape, input._data.shape)  # other - input: PyTorch names other first
        return call(D.RSUB, (input, other), {"alpha": alpha})
    return call(D.RSUB_SCALAR, (input,), {"other": other, "alpha": alpha})


@public()
def mul(input, other):
    if type(input) is not Tensor:
        input = _tensor_arg("mul", 1, "input", input)
    if type(other) is not Tensor and type(other) is not float:
        other = _operand("mul", 2, "other", other)
    return call(D.MUL, (input, other), {})


def _check_rounding_mode(rounding_mode):
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")


@public()
def div(input, other, *, rounding_mode=None):
    input = _tensor_arg("div", 1, "input", input)
    other = _operand("div", 2, "other", other)
    if rounding_mode is None:
        return call(D.DIV, (input, other), {})
    _check_rounding_mode(rounding_mode)
    return call(D.DIV_ROUNDING, (input, other), {"rounding_mode": rounding_mode})


@public()
def true_divide(input, other):
    return div(input, other)


@public()
def floor_divide(input, other):
    input = _tensor_arg("floor_divide", 1, "input", input)
    if isinstance(_operand("floor_divide", 2, "other", other), Tensor):
        return call(D.FLOOR_DIVIDE, (input, other), {})
    return call(D.FLOOR_DIVIDE_SCALAR, (input,), {"other": other})


@public()
def remainder(input, other):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise SIGNATURES["remainder"].error((input, other), {}) or TypeError("remainder(): two numbers")
    if isinstance(other, Tensor) and isinstance(input, (int, float)):
        return call(D.REMAINDER_SCALAR_TENSOR, (other,), {"scalar": input})  # no derivative in PyTorch
    input = _tensor_arg("remainder", 1, "input", input)
    if isinstance(_operand("remainder", 2, "other", other), Tensor):
        return call(D.REMAINDER, (input, other), {})
    return call(D.REMAINDER_SCALAR, (input,), {"other": other})


@public()
def neg(input):
    return call(D.NEG, (input,), {})  # its kernel refuses bools


@public()
def reciprocal(input):
    return call(D.RECIPROCAL, (input,), {})


@public()
def pow(input, exponent):
    if not isinstance(input, Tensor):
        exponent = _tensor_arg("pow", 2, "exponent", exponent)
        return call(D.POW_SCALAR_BASE, (exponent,), {"base": _operand("pow", 1, "self", input)})
    exponent = _operand("pow", 2, "exponent", exponent)
    if isinstance(exponent, Tensor):
        return call(D.POW, (input, exponent), {})
    if not input._dtype.is_floating_point and isinstance(exponent, (int, np.integer)) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return call(D.POW_SCALAR, (input,), {"exponent": exponent})


def mul_scalar(input, other):
    """input * other for a Python number `other`, as PyTorch's C++ formulas multiply (MulBackward1)."""
    return call(D.MUL_SCALAR, (input,), {"other": other})


def sub_scalar(input, other):
    """input - other for a Python number `other`, as PyTorch's C++ formulas subtract (SubBackward1)."""
    _check_sub(input, other)
    return call(D.SUB_SCALAR, (input,), {"other": other})


def add_scalar(input, other):
    """input + other for a Python number `other`, as PyTorch's C++ formulas add (AddBackward1)."""
    return call(D.ADD_SCALAR, (input,), {"other": other})


@public()
def square(input):
    return pow(input, 2)




@public(method=False)
def where(condition, input, other):
    condition = _tensor_arg("where", 1, "condition", condition)
    if condition._dtype is not dt.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{dt.SCALAR_NAME[condition._dtype]}")
    return call(D.WHERE, (condition, _operand("where", 2, "input", input), _operand("where", 3, "other", other)), {})


def tanh_backward(grad_output, output):
    return call(D.TANH_BACKWARD, (grad_output, output), {})


def sigmoid_backward(grad_output, output):
    return call(D.SIGMOID_BACKWARD, (grad_output, output), {})


def threshold_backward(grad_output, self, threshold):
    return call(D.THRESHOLD_BACKWARD, (grad_output, self), {"threshold": threshold})


def elu_backward(grad_output, self, alpha):
    return call(D.ELU_BACKWARD, (grad_output, self), {"alpha": alpha})


def leaky_relu_backward(grad_output, self, negative_slope):
    return call(D.LEAKY_RELU_BACKWARD, (grad_output, self), {"negative_slope": negative_slope})


def softplus_backward(grad_output, self, beta, threshold):
    return call(D.SOFTPLUS_BACKWARD, (grad_output, self), {"beta": beta, "threshold": threshold})


def softmax_backward_data(grad_output, output, dim):
    return call(D.SOFTMAX_BACKWARD, (grad_output, output), {"dim": dim})


def log_softmax_backward_data(grad_output, output, dim):
    return call(D.LOG_SOFTMAX_BACKWARD, (grad_output, output), {"dim": dim})


def gelu_backward(grad_output, self, approximate):
    return call(D.GELU_BACKWARD, (grad_output, self), {"approximate": approximate})


def log_sigmoid_backward(grad_output, self):
    return call(D.LOG_SIGMOID_BACKWARD, (grad_output, self), {})


def mse_loss_backward(grad_output, self, target, reduction):
    return call(D.MSE_LOSS_BACKWARD, (grad_output, self, target), {"reduction": reduction})


def binary_cross_entropy_backward(grad_output, self, target, weight, reduction):
    return call(D.BCE_BACKWARD, (grad_output, self, target), {"weight": weight, "reduction": reduction})


def nll_loss_backward(grad_output, self, target, weight, reduction, ignore_index):
    return call(D.NLL_LOSS_BACKWARD, (grad_output, self),
                {"target": target, "weight": weight, "reduction": reduction, "ignore_index": ignore_index})


def nll_loss_forward(self, weight, target, reduction, ignore_index):
    """nll_loss on checked arguments (the double backward of nll_loss_backward applies it to a gradient)."""
    total_weight = Tensor._make(kernels.nll_total_weight(self._data, target, weight, reduction, ignore_index),
                                self._dtype, self._device)
    return call(D.NLL_LOSS, (self, weight), {"target": target, "reduction": reduction, "ignore_index": ignore_index,
                                             "total_weight": total_weight})


def embedding_dense_backward(grad_output, indices, num_weights, padding_idx):
    return call(D.EMBEDDING_BACKWARD, (grad_output,),
                {"indices": indices, "num_weights": num_weights, "padding_idx": padding_idx})


def _bitwise(rule):
    """torch.bitwise_and/or/xor and Tensor.bitwise_*: a number may come first (the Scalar_Tensor overload),
    and as the ops commute, it is taken second."""
    name = rule.name

    def op(input, other):
        if not isinstance(input, Tensor) and isinstance(other, Tensor):
            input, other = other, _operand(name, 1, "self", input)
        return call(rule, (_tensor_arg(name, 1, "input", input), _operand(name, 2, "other", other)), {})
    op.__name__ = op.__qualname__ = name
    return public()(op)


bitwise_and = _bitwise(D.BITWISE_AND)  # also the operators &, | and ^, reflected too
bitwise_or = _bitwise(D.BITWISE_OR)
bitwise_xor = _bitwise(D.BITWISE_XOR)


@public()
def equal(input, other):
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


# --------------------------------------------------------------------------- reductions
def _dims(dim, ndim):
    """Normalises an int or a sequence of ints to sorted non-negative dims."""
    if isinstance(dim, int) and not isinstance(dim, bool):
        return (_wrap_dim(dim, ndim),) if ndim else (_wrap_dim(dim, ndim), ())[1]
    dims = tuple(_wrap_dim(d, ndim) for d in dim)
    if len(set(dims)) != len(dims):
        repeated = next(d for d in dims if dims.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    return dims if ndim else ()


def _reduced_dims(dim, ndim):
    """The dims a reduction reduces: an empty list of dims means all of them, as in PyTorch."""
    return _dims(dim, ndim) or tuple(range(ndim))


@public()
def sum(input, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dim, dt.dtype):
        dim, dtype = None, dim
    if dim is None:
        return call(D.SUM, (input,), {"dtype": dtype})
    if not isinstance(dim, (int, tuple, list)) or isinstance(dim, bool):
        raise TypeError(f"sum() received an invalid combination of arguments - got ({type(dim).__name__})")
    return call(D.SUM_DIM, (input,), {"dim": _reduced_dims(dim, input._data.ndim), "keepdim": keepdim, "dtype": dtype})


@public()
def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None:
        return call(D.MEAN, (input,), {"dtype": dtype})
    return call(D.MEAN_DIM, (input,), {"dim": _reduced_dims(dim, input._data.ndim), "keepdim": keepdim, "dtype": dtype})


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if dim is not None:
        # a 0-d input's dims given (not an empty list): () for the kernel, which then skips its |x| shortcut
        given = isinstance(dim, int) or len(dim) > 0
        dim = _reduced_dims(dim, x._data.ndim) if x._data.ndim or given else None
    return call(D.LINALG_VECTOR_NORM, (x,), {"ord": float(ord), "dim": dim, "keepdim": keepdim, "dtype": dtype})


@public()
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if not isinstance(input, Tensor):  # torch.functional.norm reads input.layout first
        raise AttributeError(f"'{type(input).__name__}' object has no attribute 'layout'")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported." if p != "nuc" else
                           "refgrad: norm with p='nuc' is not supported yet")
    if not isinstance(p, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {type(p).__name__}")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def _reduce_dim(input, dim):
    """One dim for ops that reduce one: PyTorch's wrap, with its error for a 0-dim input (dim 0 or -1 allowed)."""
    return _wrap_dim(dim, input._data.ndim) if input._data.ndim else (_wrap_dim(dim, 0), 0)[1]


@public()
def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None:
        return call(D.PROD, (input,), {"dtype": dtype})
    return call(D.PROD_DIM, (input,), {"dim": _reduce_dim(input, dim), "keepdim": keepdim, "dtype": dtype})


def _extreme(name, rule, dim_rule, pick, binary):
    def op(input, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return binary(input, dim)
        if dim is None:
            return call(rule, (input,), {})
        dim = _reduce_dim(input, dim)
        if input._data.ndim and input._data.shape[dim] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
        indices = Tensor._make(np.asarray(_arg_along(pick, input._data, dim, keepdim)), dt.int64, input._device)
        values = call(dim_rule, (input,), {"dim": dim if input._data.ndim else None, "keepdim": keepdim,
                                           "indices": indices})
        return return_type(name, values=values, indices=indices)
    op.__name__ = op.__qualname__ = name
    return op


def _arg_along(pick, a, dim, keepdim):
    if a.ndim == 0:
        return np.zeros((), np.int64)
    # NaN is the extreme in PyTorch: pick the first NaN where there is one.
    nan = np.isnan(a) if a.dtype.kind == "f" else None
    idx = pick(a, axis=dim, keepdims=keepdim)
    if nan is not None and nan.any():
        idx = np.where(np.any(nan, axis=dim, keepdims=keepdim), np.argmax(nan, axis=dim, keepdims=keepdim), idx)
    return idx


max = public()(_extreme("max", D.MAX, D.MAX_DIM, np.argmax, lambda a, b: EXPORTS["maximum"](a, b)))
min = public()(_extreme("min", D.MIN, D.MIN_DIM, np.argmin, lambda a, b: EXPORTS["minimum"](a, b)))


# --------------------------------------------------------------------------- sorting and selection
def _selected(name, rule, input, dim, keepdim, indices):
    """torch.return_types.<name>(values, indices): the indices computed here, the values by the table entry."""
    indices = Tensor._make(np.array(indices, np.int64, order="C"), dt.int64, input._device)
    values = call(rule, (input,), {"dim": dim, "keepdim": keepdim, "indices": indices})
    return return_type(name, values=values, indices=indices)


def _selection_dim(name, input, dim, nonempty=True):
    dim = _reduce_dim(input, dim)
    if nonempty and input._data.ndim and input._data.shape[dim] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
    return dim


@public()
def sort(input, dim=-1, descending=False, *, stable=None):
    dim = _reduce_dim(input, dim)
    indices = kernels.sort_indices(input._data, dim, descending)
    return _selected("sort", D.SORT if stable is None else D.SORT_STABLE, input, dim, True, indices)


@public()
def argsort(input, dim=-1, descending=False, *, stable=False):
    return sort(input, dim, descending, stable=stable).indices


@public(method=False)
def msort(input):
    return sort(input, 0).values


@public()
def topk(input, k, dim=-1, largest=True, sorted=True):
    if input.dtype is dt.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    dim = _reduce_dim(input, dim)
    size = input._data.shape[dim] if input._data.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    indices = kernels.topk_indices(input._data, dim, k, largest, sorted)
    return _selected("topk", D.TOPK, input, dim, True, indices)


@public()
def kthvalue(input, k, dim=-1, keepdim=False):
    dim = _selection_dim("kthvalue", input, dim, nonempty=False)
    size = input._data.shape[dim] if input._data.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    indices = kernels.kth_indices(input._data, dim, k, keepdim)
    return _selected("kthvalue", D.KTHVALUE, input, dim, keepdim, indices)


@public()
def median(input, dim=None, keepdim=False):
    if input.dtype is dt.bool_:
        raise NotImplementedError('"median_cpu" not implemented for \'Bool\'')
    if dim is None:
        return call(D.MEDIAN, (input,), {})
    dim = _selection_dim("median", input, dim)
    return _selected("median", D.MEDIAN_DIM, input, dim, keepdim, kernels.median_indices(input._data, dim, keepdim))


@public()
def mode(input, dim=-1, keepdim=False):
    dim = _selection_dim("mode", input, dim)
    return _selected("mode", D.MODE, input, dim, keepdim, kernels.mode_indices(input._data, dim, keepdim))


# --------------------------------------------------------------------------- the default device
_DEVICE = Parser("device", ("(torch.device device)", "(str type, int index = -1)"))  # torch.device's parser


@public(method=False)
def set_default_device(device):
    if device is not None:
        error = _DEVICE.error((device,), {})
        if error is not None:
            raise error
    _device.set_default_device(device)


# --------------------------------------------------------------------------- the legacy constructor's parser
# torch.Tensor(...)'s signatures, for a call that fits none (torch.Tensor([1], requires_grad=True))
_LEGACY_NEW = Parser("new", ("(*, torch.device device = None)", "(torch.Storage storage)", "(Tensor other)",
                             "(tuple of ints size, *, torch.device device = None)",
                             "(object data, *, torch.device device = None)"))


def _parsed_legacy_new(make):
    def legacy_new(dtype, args, kwargs=None):
        if kwargs and set(kwargs) != {"device"}:
            raise _LEGACY_NEW.error(args, kwargs)
        return make(dtype, args, kwargs)
    return staticmethod(legacy_new)


Tensor._legacy_new = _parsed_legacy_new(Tensor._legacy_new)


# --------------------------------------------------------------------------- Tensor.new_*: self's dtype and device
def _new_options(self, dtype, device):
    return {"dtype": dtype or self._dtype, "device": self._device if device is None else device}


@public(function=False, name="new_tensor")
def _new_tensor_method(self, data, *, dtype=None, device=None, requires_grad=False):
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=2)
        data = data.detach().clone()
        return data.to(**_new_options(self, dtype, device)).requires_grad_(requires_grad)
    if data is None:  # read as a number of the given dtype
        raise TypeError("must be real number, not NoneType")
    return new_tensor(data, requires_grad=requires_grad, **_new_options(self, dtype, device))


def _new_filled(name, value):
    def method(self, size, *, dtype=None, device=None, requires_grad=False):  # the parser packs new_zeros(2, 3)
        options = _new_options(self, dtype, device)
        return filled(name, value, (size,), options["dtype"], options["device"], requires_grad)
    method.__name__ = method.__qualname__ = name
    return method


new_zeros = public(function=False)(_new_filled("new_zeros", 0))
new_ones = public(function=False)(_new_filled("new_ones", 1))
new_empty = public(function=False)(_new_filled("new_empty", 0))


@public(function=False)
def new_full(self, size, fill_value=None, *, dtype=None, device=None, requires_grad=False):
    if not isinstance(size, (tuple, list)):  # PyTorch's parser names the size before a missing fill_value
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    if fill_value is None:
        raise TypeError('new_full() missing 1 required positional arguments: "fill_value"')
    return full(size, fill_value, requires_grad=requires_grad, **_new_options(self, dtype, device))


# --------------------------------------------------------------------------- closeness
def _check_close_args(input, other, rtol, atol):
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{dt.SCALAR_NAME[input.dtype]} did not match {dt.SCALAR_NAME[other.dtype]}")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {value}")


@public()
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, computed in the inputs' dtype (PyTorch's isclose), infinities
    close only to themselves."""
    _check_close_args(input, other, rtol, atol)
    a, b = np.broadcast_arrays(input._data, other._data)
    if not input.dtype.is_floating_point:  # integers compare in the default float dtype
        a, b = (v.astype(dt.get_default_dtype().np) for v in (a, b))
    close = a == b
    if equal_nan:
        close |= np.isnan(a) & np.isnan(b)
    with np.errstate(all="ignore"):
        allowed = a.dtype.type(atol) + np.abs(a.dtype.type(rtol) * b)
        actual = np.abs(a - b)
        close |= np.isfinite(actual) & (actual <= allowed)
    return Tensor._make(np.ascontiguousarray(close), dt.bool_, input._device)


@public()
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    broadcast_shapes(input._data.shape, other._data.shape)
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def _amax_args(name, input, dim, keepdim):
    dim = () if dim is None else dim
    dims = _dims(dim, input._data.ndim) if dim != () else ()
    if input._data.size == 0:  # PyTorch names the first empty dim as it was given
        if not dims:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                               "the reduction dim with the 'dim' argument.")
        for given, d in zip((dim,) if isinstance(dim, int) else dim, dims):
            if input._data.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {given} to have non-zero size.")
    return {"dim": dims, "keepdim": keepdim}


@public()
def amax(input, dim=(), keepdim=False):
    return call(D.AMAX, (input,), _amax_args("amax", input, dim, keepdim))


@public()
def amin(input, dim=(), keepdim=False):
    return call(D.AMIN, (input,), _amax_args("amin", input, dim, keepdim))


def _arg_args(name, input, dim, keepdim):
    if input.dtype is dt.bool_:  # checked before the dims, as PyTorch's argmax/argmin kernel check comes first
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is not None:
        if input._data.ndim:
            dim = _reduce_dim(input, dim)
        else:
            _wrap_dim(dim, 0)  # a 0-d tensor takes dim 0 or -1 only
            dim = None
    if input._data.size == 0:
        if dim is None:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        if input._data.shape[dim] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
    return {"dim": dim, "keepdim": keepdim}


@public()
def argmax(input, dim=None, keepdim=False):
    return call(D.ARGMAX, (input,), _arg_args("argmax", input, dim, keepdim))


@public()
def argmin(input, dim=None, keepdim=False):
    return call(D.ARGMIN, (input,), _arg_args("argmin", input, dim, keepdim))


def _correction(name, unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _var_args(name, input, dim, unbiased, keepdim, correction):
    _float_only(name, input)
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    dims = None if dim is None else _dims(dim, input._data.ndim) or None
    correction = _correction(name, unbiased, correction)
    # PyTorch's count: input numel over output numel, 0 when the output is empty
    kept = 1 if dims is None else math_prod(s for d, s in enumerate(input._data.shape) if d not in dims)
    n = input._data.size // kept if kept else 0
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", stacklevel=3)
    return {"dim": dims, "correction": correction, "keepdim": keepdim}


@public()
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return call(D.VAR, (input,), _var_args("var", input, dim, unbiased, keepdim, correction))


@public()
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return call(D.STD, (input,), _var_args("std", input, dim, unbiased, keepdim, correction))


def _float_only(name, input):
    if not input._dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")


@public()
def logsumexp(input, dim, keepdim=False):
    return call(D.LOGSUMEXP, (input,), {"dim": _dims(dim, input._data.ndim), "keepdim": keepdim})


def _softmax_args(name, input, dim, dtype):
    if dtype is not None:
        if type(dtype) is not dt.dtype:  # the method's parser (the function's is `public`)
            raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
        input = to(input, dtype)
    if input._data.ndim:
        dim = _reduce_dim(input, dim)
    else:
        _wrap_dim(dim, 0)  # a 0-d tensor takes dim 0 or -1 only
        dim = None
    if not input._dtype.is_floating_point and input._data.size:  # an empty one comes back as it is, as there
        kernel = "lastdim_kernel_impl" if dim is None or dim == input._data.ndim - 1 else "kernel_impl"
        raise NotImplementedError(f'"{name}_{kernel}" not implemented for \'{dt.SCALAR_NAME[input._dtype]}\'')
    return (input,), {"dim": dim}


@public()
def softmax(input, dim, dtype=None):
    return call(D.SOFTMAX, *_softmax_args("softmax", input, dim, dtype))


@public()
def log_softmax(input, dim, dtype=None):
    return call(D.LOG_SOFTMAX, *_softmax_args("log_softmax", input, dim, dtype))


@public()
def cumsum(input, dim, *, dtype=None):
    return call(D.CUMSUM, (input,), {"dim": _cumulative_dim(input, dim), "dtype": dtype})


@public()
def cumprod(input, dim, *, dtype=None):
    return call(D.CUMPROD, (input,), {"dim": _cumulative_dim(input, dim), "dtype": dtype})


def _cumulative_dim(input, dim):
    if input._data.ndim:
        return _reduce_dim(input, dim)
    _wrap_dim(dim, 0)  # a 0-d tensor takes dim 0 or -1 only
    return None


@public()
def all(input, dim=None, keepdim=False):
    return call(D.ALL, (input,), {} if dim is None else {"dim": _dims(dim, input._data.ndim) or None,
                                                          "keepdim": keepdim})


@public()
def any(input, dim=None, keepdim=False):
    return call(D.ANY, (input,), {} if dim is None else {"dim": _dims(dim, input._data.ndim) or None,
                                                          "keepdim": keepdim})


# --------------------------------------------------------------------------- linear algebra
def _dtypes_match(name, a, b):
    """The dtype check of each BLAS kernel, in its words (mv runs addmv, whose result takes vec's dtype)."""
    if a._dtype is b._dtype:
        return
    if name == "mv":
        vec, mat = dt.SCALAR_NAME[b._dtype], dt.SCALAR_NAME[a._dtype]
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {vec}, {mat}, and {vec}")
    if name == "bmm":
        raise RuntimeError(f"expected scalar type {dt.SCALAR_NAME[a._dtype]} but found {dt.SCALAR_NAME[b._dtype]}")
    raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {dt.CPP_NAME[a._dtype]} != "
                       f"{dt.CPP_NAME[b._dtype]}")


_BLAS_KERNEL = {"mm": "addmm_impl_cpu_", "addmm": "addmm_impl_cpu_", "mv": "addmv_impl_cpu", "bmm": "bmm", "dot": "dot"}


def _check_blas_dtype(name, t):
    if t._dtype is dt.bool_:
        raise NotImplementedError(f'"{_BLAS_KERNEL[name]}" not implemented for \'Bool\'')


@public()
def mm(input, mat2):
    a, b = _tensor_arg("mm", 1, "input", input), _tensor_arg("mm", 2, "mat2", mat2)
    autograd_prechecks(D.MM, (a, b), {})
    if a._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a._data.shape[0]}x{a._data.shape[1]} and "
                           f"{b._data.shape[0]}x{b._data.shape[1]})")
    _dtypes_match("mm", a, b)
    _check_blas_dtype("mm", a)
    return call(D.MM, (a, b), {})


@public()
def mv(input, vec):
    a, v = _tensor_arg("mv", 1, "input", input), _tensor_arg("mv", 2, "vec", vec)
    autograd_prechecks(D.MV, (a, v), {})
    if a._data.ndim != 2 or v._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a._data.ndim}, {v._data.ndim}")
    if a._data.shape[1] != v._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a._data.shape[0]}), mat ({a._data.shape[0]}x"
                           f"{a._data.shape[1]}), vec ({v._data.shape[0]})")
    _dtypes_match("mv", a, v)
    _check_blas_dtype("mv", a)
    return call(D.MV, (a, v), {})


@public()
def bmm(input, mat2):
    a, b = _tensor_arg("bmm", 1, "input", input), _tensor_arg("bmm", 2, "mat2", mat2)
    autograd_prechecks(D.BMM, (a, b), {})
    if a._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    (n, _, k), (n2, k2, _) = a._data.shape, b._data.shape
    if n != n2 or k != k2:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {k}] but got: "
                           f"[{n2}, {k2}].")
    if a._data.size == 0 or b._data.size == 0:  # ATen's bmm zero-fills an empty product in mat2's dtype, unchecked
        if a._dtype is not b._dtype:
            a = a.to(b._dtype)
        return call(D.BMM, (a, b), {})
    _check_blas_dtype("bmm", a)  # bmm dispatches on its input's dtype before it reads mat2's
    _dtypes_match("bmm", a, b)
    return call(D.BMM, (a, b), {})


@public()
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    autograd_prechecks(D.ADDMM, (input, mat1, mat2), {"beta": beta, "alpha": alpha})
    _check_addmm(input, mat1, mat2)
    return call(D.ADDMM, (input, mat1, mat2), {"beta": beta, "alpha": alpha})


def _check_addmm(bias, mat1, mat2):
    """ATen's addmm meta checks (its `self` is the bias), then the bias's expand to the result's shape."""
    for first, which in ((bias, "self"), (mat1, "mat1")):
        if first._dtype is not mat2._dtype:
            raise RuntimeError(f"{which} and mat2 must have the same dtype, but got {dt.SCALAR_NAME[first._dtype]} "
                               f"and {dt.SCALAR_NAME[mat2._dtype]}")
    for m, which in ((mat1, "mat1"), (mat2, "mat2")):
        if m._data.ndim != 2:
            raise RuntimeError(f"{which} must be a matrix, got {m._data.ndim}-D tensor")
    (n, k), (k2, p) = mat1._data.shape, mat2._data.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{p})")
    if bias._data.ndim > 2:
        raise RuntimeError(f"expand({_type_name(bias)}{{[{', '.join(map(str, bias._data.shape))}]}}, size=[{n}, {p}]): "
                           f"the number of sizes provided (2) must be greater or equal to the number of dimensions in "
                           f"the tensor ({bias._data.ndim})")
    _expanded_shape(bias._data.shape, (n, p))
    _check_blas_dtype("addmm", mat1)


@public()
def matmul(input, other):
    """torch.matmul's composite (ATen's _matmul_impl), step by step, so the graph has PyTorch's nodes:
    dot, mv, mm, mm on the larger operand folded into a matrix, or bmm on expanded, folded batches."""
    a, b = _tensor_arg("matmul", 1, "input", input), _tensor_arg("matmul", 2, "other", other)
    da, db = a._data.ndim, b._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return dot(a, b)
    if da == 2 and db == 1:
        return mv(a, b)
    if da == 1 and db == 2:
        return _squeeze_in_place(mm(unsqueeze(a, 0), b), 0)
    if da == 2 and db == 2:
        return mm(a, b)
    if _should_fold(a, b):
        return _folded_matmul(a, b)
    return _batched_matmul(a, b)


def _squeeze_in_place(t, dim):
    """t.squeeze_(dim) of a result no one else holds: its history rebased (SqueezeBackward4), a write counted."""
    out = call(D.SQUEEZE_DIMS_, (t,), {"dims": (dim,)})
    bump_version(out)
    return out


def _should_fold(a, b):
    """ATen's should_fold: mm on the larger operand folded into a matrix when the smaller one requires grad
    (so its gradient is not a batch of matrices summed), or when the fold needs no copy."""
    larger_first = a._data.ndim >= b._data.ndim
    big = a._data if larger_first else np.swapaxes(b._data, -1, -2)
    small = b if larger_first else a
    if not (big.ndim >= 3 and small._data.ndim <= 2):
        return False
    if small.requires_grad:
        return True
    if a._data.ndim == 2:
        return False
    if big.size == 0:
        return True
    strides = [s // big.itemsize for s in big.strides]
    return builtins.all(strides[i] == strides[i + 1] * big.shape[i + 1] for i in range(big.ndim - 2))


def _folded_matmul(a, b):
    transposed = b._data.ndim > a._data.ndim
    big = transpose(b, -1, -2) if transposed else a
    small = (t(a) if a._data.ndim == 2 else a) if transposed else b
    out_shape = big._data.shape[:-1]
    folded = reshape(big, math_prod(out_shape), big._data.shape[-1])
    if small._data.ndim == 1:
        return call(D.UNSAFE_VIEW, (mv(folded, small),), {"size": out_shape})
    out = call(D.UNSAFE_VIEW, (mm(folded, small),), {"size": out_shape + small._data.shape[1:]})
    return transpose(out, -1, -2).contiguous() if transposed else out


def _batched_matmul(a, b):
    da, db = a._data.ndim, b._data.ndim
    sa, sb = a._data.shape, b._data.shape
    n, m1, p = sa[-2] if da > 1 else 1, sa[-1], sb[-1] if db > 1 else 1
    m2 = sb[-2] if db > 1 else sb[0]
    batch_a, batch_b = sa[:builtins.max(da - 2, 0)], sb[:builtins.max(db - 2, 0)]
    if da == 3 and db == 3 and batch_a[0] != batch_b[0]:
        # a batch of one that requires grad is squeezed, to take the fold instead of broadcasting
        if batch_a[0] == 1 and a.requires_grad:
            return matmul(squeeze(a, 0), b)
        if batch_b[0] == 1 and b.requires_grad:
            return matmul(a, squeeze(b, 0))
    batch = broadcast_shapes(batch_a, batch_b)
    count = math_prod(batch)
    a3 = reshape(expand(a, batch + (n, m1)), count, n, m1)
    if db == 1:
        b3 = unsqueeze(reshape(expand(b, batch + (m2,)), count, m2), 2)
        out = squeeze(bmm(a3, b3), -1)
    else:
        out = bmm(a3, reshape(expand(b, batch + (m2, p)), count, m2, p))
    return call(D.UNSAFE_VIEW, (out,), {"size": batch + ((n,) if da > 1 else ()) + ((p,) if db > 1 else ())})


def math_prod(shape):
    out = 1
    for s in shape:
        out *= s
    return out


@public()
def outer(input, vec2):
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return mul(reshape(input, -1, 1), vec2)


@public()
def det(A):
    _square_matrices("linalg.det", A)
    return call(D.LINALG_DET, (A,), {})


@public(name="inverse")
def linalg_inv(A):
    _square_matrices("linalg.inv", A)
    try:
        return call(D.LINALG_INV, (A,), {})
    except np.linalg.LinAlgError:
        where, pivot = _first_singular(A._data)
        raise _LinAlgError(f"linalg.inv: {where}The diagonal element {pivot} is zero, the inversion could not be "
                           "completed because the input matrix is singular.") from None


def linalg_solve(A, B, *, left=True, out=None):
    """torch.linalg.solve (left=True): X with A X = B, B a matrix or a vector (batches of them)."""
    if not left or out is not None:
        raise NotImplementedError("refgrad's linalg.solve supports neither left=False nor out=")
    _square_matrices("linalg.solve", A)
    if A._dtype != B._dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{dt.SCALAR_NAME[A._dtype]} and B of type {dt.SCALAR_NAME[B._dtype]} instead")
    a, b = A._data.shape, B._data.shape
    rhs = b + (1,) if kernels.is_vector_rhs(a, b) else b
    if len(rhs) < 2 or rhs[-2] != a[-1]:
        rows, cols = (rhs[-2], rhs[-1]) if len(rhs) >= 2 else (rhs[-1], 1)
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({a[-2]}x{a[-1]} and {rows}x{cols})")
    batch = broadcast_shapes(rhs[:-2], a[:-2])
    try:
        return call(D.LINALG_SOLVE, (A, B), {})
    except np.linalg.LinAlgError:
        where, _ = _first_singular(np.broadcast_to(A._data, batch + a[-2:]))
        raise _LinAlgError(f"torch.linalg.solve: {where}The solver failed because the input matrix is "
                           "singular.") from None


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    """torch.linalg.svd: (U, S, Vh) as torch.return_types.linalg_svd."""
    if A._data.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    if not A._dtype.is_floating_point:
        raise RuntimeError(f"linalg.svd: Expected a floating point or complex tensor as input. Got "
                           f"{dt.SCALAR_NAME[A._dtype]}")
    nan = np.isnan(A._data).any(axis=(-2, -1)).reshape(-1)
    if nan.any():  # MKL's gesdd fails on a NaN (an inf gives NaN values)
        where = f"(Batch element {int(np.argmax(nan))}): " if A._data.ndim > 2 else ""
        raise _LinAlgError(f"linalg.svd: {where}The algorithm failed to converge because the input matrix contained "
                           "non-finite values.")
    U, S, Vh = call(D.LINALG_SVD, (A,), {"full_matrices": bool(full_matrices)})
    return return_type("linalg_svd", U=U, S=S, Vh=Vh)


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix the operation cannot handle (singular for inv)."""


_LinAlgError.__module__ = "torch._C"


def _first_singular(a):
    """("(Batch element i): " for a batch, else "", the 1-based first zero pivot) of the first singular matrix,
    from the LU in the matrix's own dtype, as PyTorch's getrf `info`."""
    info = kernels.lu_factor(a)[3].reshape(-1)
    i = int(np.argmax(info != 0))
    return (f"(Batch element {i}): " if a.ndim > 2 else ""), int(info[i]) or a.shape[-1]


def _square_matrices(name, A):
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {A._data.shape[-2]} by "
                           f"{A._data.shape[-1]} matrices")
    if not A._dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{dt.SCALAR_NAME[A._dtype]}")


@public(method=False)
def einsum(*args):
    if len(args) < 2:  # torch.functional.einsum's words
        raise ValueError("einsum(): must specify the equation string and at least one operand, or at least one "
                         "operand and its subscripts list")
    equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return _run_einsum(equation, operands)


@public()
def dot(input, tensor):
    input = _tensor_arg("dot", 1, "input", input)
    tensor = _tensor_arg("dot", 2, "tensor", tensor)
    autograd_prechecks(D.DOT, (input, tensor), {})
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors")
    if input._dtype is not tensor._dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{dt.SCALAR_NAME[input._dtype]} and {dt.SCALAR_NAME[tensor._dtype]}")
    n, m = input._data.shape[0], tensor._data.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
                           f"of elements, but got {n} and {m} elements respectively")
    _check_blas_dtype("dot", input)
    return call(D.DOT, (input, tensor), {})


# --------------------------------------------------------------------------- binary and ternary pointwise
@public()
def clamp(input, min=None, max=None):
    input = _tensor_arg("clamp", 1, "input", input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        bounds = tuple(b if isinstance(b, Tensor) or b is None else full_like_scalar(input, b) for b in (min, max))
        return call(D.CLAMP, (input,) + bounds, {})
    _clamp_bounds_fit(input, (min, max))
    return call(D.CLAMP_SCALAR, (input,), {"min": min, "max": max})


def _clamp_bounds_fit(input, bounds, into=None):
    """clamp's kernel reads its number bounds as Scalars of the dtype it computes in (refusing one that
    overflows it, even for an empty tensor); in place, after the check that its result casts into `into`."""
    numbers = [b for b in bounds if b is not None]
    common = dt.result_type([input] + numbers)
    if into is None or dt.can_cast(common, into):
        for b in numbers:
            check_scalar_fits(b, common)


@public()
def clamp_min(input, min):
    if isinstance(min, Tensor):
        return call(D.CLAMP_MIN_TENSOR, (input, min), {})
    input = _tensor_arg("clamp_min", 1, "input", input)
    _clamp_bounds_fit(input, (min,))
    return call(D.CLAMP_MIN, (input,), {"min": min})


@public()
def clamp_max(input, max):
    if isinstance(max, Tensor):
        return call(D.CLAMP_MAX_TENSOR, (input, max), {})
    input = _tensor_arg("clamp_max", 1, "input", input)
    _clamp_bounds_fit(input, (max,))
    return call(D.CLAMP_MAX, (input,), {"max": max})




@public()
def addcmul(input, tensor1, tensor2, *, value=1):
    return call(D.ADDCMUL, (input, tensor1, tensor2), {"value": value})


@public()
def addcdiv(input, tensor1, tensor2, *, value=1):
    if not (tensor1._dtype.is_floating_point or tensor2._dtype.is_floating_point):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
                           "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                           "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
                           "for all dtypes.")
    return call(D.ADDCDIV, (input, tensor1, tensor2), {"value": value})


@public()
def lerp(input, end, weight):
    _check_lerp(input, end, weight)
    if isinstance(weight, Tensor):
        return call(D.LERP, (input, end, weight), {})
    return call(D.LERP_SCALAR, (input, end), {"weight": weight})


def _check_lerp(input, end, weight):
    """lerp's meta checks: end (and a weight tensor with dims) in self's dtype; shapes; then a float kernel."""
    operands = [(end, "end")] + ([(weight, "weight")] if isinstance(weight, Tensor) and weight._data.ndim else [])
    for t, which in operands:
        if isinstance(t, Tensor) and t._dtype is not input._dtype:
            raise RuntimeError(f"expected dtype {dt.CPP_NAME[input._dtype]} for `{which}` but got dtype "
                               f"{dt.CPP_NAME[t._dtype]}")
    if not input._dtype.is_floating_point and isinstance(end, Tensor):
        shapes = [input._data.shape, end._data.shape] + ([weight._data.shape] if isinstance(weight, Tensor) else [])
        broadcast_shapes(*shapes)
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dt.SCALAR_NAME[input._dtype]}\'')


@public()
def fmod(input, other):
    input = _tensor_arg("fmod", 1, "input", input)
    if isinstance(_operand("fmod", 2, "other", other), Tensor):
        return call(D.FMOD, (input, other), {})
    return call(D.FMOD_SCALAR, (input,), {"other": other})


# --------------------------------------------------------------------------- helpers of nn formulas
@public(method=False)
def tensordot(a, b, dims=2):
    """torch.functional.tensordot's dims, then ATen's composite: permute each operand to [free, contracted],
    fold to matrices, mm (dot for a full contraction), reshape to the free dims."""
    dims_a, dims_b = _tensordot_dims(a, b, dims)
    for position, (name, operand) in enumerate((("input", a), ("other", b)), 1):
        if not isinstance(operand, Tensor):  # torch.functional hands the operands to ATen's parser here
            raise TypeError(f"tensordot(): argument '{name}' (position {position}) must be Tensor, not "
                            f"{type(operand).__name__}")
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._dtype is not b._dtype:
        raise RuntimeError("both inputs should have same dtype")
    t1, t2, contracted = a, b, 1
    for d1, d2 in zip(dims_a, dims_b):
        s1, s2 = a._data.shape[_wrap_dim(d1, a._data.ndim)], b._data.shape[_wrap_dim(d2, b._data.ndim)]
        if s2 == 1:  # a broadcast dim is summed at once
            t1 = sum(t1, d1, True, dtype=t1._dtype)
        elif s1 == 1:
            t2 = sum(t2, d2, True, dtype=t2._dtype)
        elif s1 != s2:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} in dim {d1} and second "
                               f"has size {s2} in dim {d2}")
        else:
            contracted *= s1
    free_a = _free_dims("tensordot", dims_a, a._data.ndim)
    free_b = _free_dims("tensordot", dims_b, b._data.ndim)
    sizes = tuple(t1._data.shape[i] for i in free_a) + tuple(t2._data.shape[i] for i in free_b)
    size1, size2 = math_prod(sizes[:len(free_a)]), math_prod(sizes[len(free_a):])
    t1, t2 = permute(t1, free_a + list(dims_a)), permute(t2, list(dims_b) + free_b)
    if size1 != 1 or size2 != 1:
        return reshape(mm(reshape(t1, size1, contracted), reshape(t2, contracted, size2)), sizes)
    if t1.is_contiguous() and t2.is_contiguous():
        return reshape(dot(flatten(t1), flatten(t2)), sizes)
    return reshape(sum(mul(squeeze(t1), squeeze(t2)), dtype=t1._dtype), sizes)


def _tensordot_dims(a, b, dims):
    if isinstance(dims, Tensor):
        if dims._data.size > 1:
            return dims[0].tolist(), dims[1].tolist()
        return _last_dims(int(dims.item()))  # torch.functional checks no ndim for a one-element tensor
    if isinstance(dims, (tuple, list)):
        return tuple([d] if isinstance(d, int) else list(d) for d in dims)
    elif not isinstance(dims, int):
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] "
                           f"containing two lists, but got dims={dims}")
    if dims < 0:
        raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
    if dims > builtins.min(a.dim(), b.dim()):
        raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
    return _last_dims(dims)


def _last_dims(dims):
    """dims=n: a's last n dims with b's first n."""
    if dims < 0:
        raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
    return list(range(-dims, 0)), list(range(dims))


def _free_dims(name, dims, ndim):
    """The dims not in `dims`, in order (each of `dims` wrapped, and named once at most)."""
    seen = set()
    for d in dims:
        w = _wrap_dim(d, ndim)
        if w in seen:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        seen.add(w)
    return [i for i in range(ndim) if i not in seen]


def max_pool2d_backward(grad, self, indices):
    return call(D.MAX_POOL2D_BACKWARD, (grad, self), {"indices": indices})


def native_layer_norm_backward(grad, input, weight, normalized_shape, eps):
    return call(D.NATIVE_LAYER_NORM_BACKWARD, (grad, input, weight), {"normalized_shape": normalized_shape, "eps": eps})


def avg_pool2d_backward(grad, self, kernel, stride, padding):
    return call(D.AVG_POOL2D_BACKWARD, (grad, self), {"kernel": kernel, "stride": stride, "padding": padding})


def avg_pool2d(input, kernel, stride, padding):
    """The average pooling of a 4-D tensor (refgrad.nn.functional.avg_pool2d checks the arguments)."""
    return call(D.AVG_POOL2D, (input,), {"kernel": tuple(kernel), "stride": tuple(stride), "padding": tuple(padding)})


def hardsigmoid_backward(grad_output, self):
    return call(D.HARDSIGMOID_BACKWARD, (grad_output, self), {})


def adaptive_avg_pool2d_raw(input, output_size):
    """_adaptive_avg_pool2d of a 3-D or 4-D tensor (refgrad.nn.functional.adaptive_avg_pool2d checks the arguments)."""
    return call(D.ADAPTIVE_AVG_POOL2D, (input,), {"output_size": tuple(output_size)})


def adaptive_avg_pool2d_backward(grad, self):
    return call(D.ADAPTIVE_AVG_POOL2D_BACKWARD, (grad, self), {})


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, mean, invstd):
    """native_batch_norm's output, normalised by `mean` and `invstd` (float64 arrays: the batch's or the running
    statistics, which refgrad.nn.functional.batch_norm computes and keeps)."""
    return call(D.NATIVE_BATCH_NORM, (input, weight, bias),
                {"running_mean": running_mean, "running_var": running_var, "training": training,
                 "momentum": momentum, "eps": eps, "mean": mean, "invstd": invstd})


def convolution(input, weight, bias, stride, padding, dilation, groups=1):
    return call(D.CONVOLUTION, (input, weight, bias), {"stride": tuple(stride), "padding": tuple(padding),
                                                       "groups": groups,
                                                       "dilation": tuple(dilation)})


def convolution_backward(grad_output, input, weight, stride, padding, dilation, output_mask, groups=1):
    """[grad_input, grad_weight, grad_bias] of a convolution, those output_mask asks for computed."""
    return call(D.CONVOLUTION_BACKWARD, (grad_output, input, weight),
                {"stride": tuple(stride), "padding": tuple(padding), "dilation": tuple(dilation),
                 "groups": groups, "output_mask": tuple(output_mask)})


def mode_pad(input, pad, mode):
    """Reflect or replicate padding (refgrad.nn.functional.pad checks the arguments)."""
    return call(D.PADS[mode, len(pad) // 2], (input,), {"pad": tuple(pad)})


def mode_pad_backward(grad, self, pad, mode):
    """The gradient of mode_pad: PyTorch's reflection_/replication_padNd_backward."""
    return call(D.PAD_BACKWARDS[mode, len(pad) // 2], (grad, self), {"pad": tuple(pad)})


def alias_identity(input):
    """The primal `unpack_dual` returns: an alias whose grad_fn PyTorch names Identity."""
    return _view_call(D.IDENTITY, input, {})


def log_sigmoid(input):
    return call(D.LOG_SIGMOID, (input,), {})


def div_scalar(input, other):
    """input / other for a Python number, as PyTorch's C++ formulas divide (DivBackward1)."""
    return call(D.DIV_SCALAR, (input,), {"other": other})


def constant_pad(input, pad, value=0.0):
    return call(D.CONSTANT_PAD, (input,), {"pad": tuple(pad), "value": value})


# --------------------------------------------------------------------------- views and shapes
def _as_view(result, base, multi=False):
    """Makes a view op's result a view of its base: the same version counter, `_base` the base's base,
    and how it was created (PyTorch's CreationMeta: a non-default one sticks to views of views). A view of
    an inference tensor is an inference tensor and no view for autograd (no `_base`): PyTorch's view
    tracking is a dispatch key that inference tensors lack."""
    if base._zt:  # a view of a ZeroTensor is one
        result._zt = True
    if base._is_inference:
        result._is_inference = True
        return result
    result._vc = base._vc
    result._base = base if base._base is None else base._base
    result._view_version = result._vc.value
    creation, previous = _view_creation(multi), base._view_creation
    if creation is None or previous == "inference":  # PyTorch's propagate_creation_meta
        creation = previous
    if creation is not None:
        result._view_creation = creation
    _inherit_inference(result, base)
    return result


def _view_creation(multi):
    state = grad_mode.state
    if state.inference:
        return "inference"
    if not state.enabled:
        return "no_grad"
    return "multi" if multi else None


def _view_call(rule, input, params):
    return _as_view(call(rule, (input,), params), input)


def positions_backward(grad, self_shape, positions):
    """as_strided's backward: the gradient of each view element added at its place in the base. An empty
    view's is PyTorch's fresh zeros, with no history even under create_graph."""
    if not grad._data.size:
        return zeros(self_shape, dtype=grad._dtype, device=grad._device)
    index = Tensor._make(positions.reshape(-1), dt.int64, grad._device)
    size = math.prod(self_shape)
    storage = zeros((size,), dtype=grad._dtype, device=grad._device).index_add(0, index, grad.reshape(-1))
    return _view_call(D.AS_STRIDED, storage, {"positions": np.arange(size).reshape(self_shape), "view": True})


def as_strided_positions(input, positions):
    """The elements of `input` at `positions` (its C-order element indices): PyTorch's as_strided, as CopySlices
    takes a view's part of its base's gradient."""
    return call(D.AS_STRIDED, (input,), {"positions": positions})


def index_put_values(input, index, values):
    """input with input[index] replaced by values, out of place (CopySlices' backward)."""
    return call(D.INDEX_PUT, (input, values), {"index": index, "indices": ()})


def _infer_size(size, numel):
    size = list(size)
    known, inferred = 1, False
    for i, s in enumerate(size):
        if s == -1:
            if inferred:
                raise RuntimeError("only one dimension can be inferred")
            inferred = True
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape [{', '.join(map(str, size))}]")
        else:
            known *= s
    if inferred and known == 0 and numel == 0:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape [{', '.join(map(str, size))}] because the "
                           "unspecified dimension size -1 can be any value and is ambiguous")
    if inferred:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, size))}]' is invalid for input of size {numel}")
        size[size.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, size))}]' is invalid for input of size {numel}")
    return tuple(size)


def _viewable(a, size):
    try:
        v = a.view()
        v.shape = size
        return True
    except AttributeError:
        return False


@public(function=False)
def view(input, *size):
    if len(size) == 1 and isinstance(size[0], dt.dtype):
        raise RuntimeError("refgrad: view(dtype) is not supported")
    _check_view_overloads(size)
    size = _infer_size(int_list("view", "size", size), input._data.size)
    if not _viewable(input._data, size):
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one dimension "
                           "spans across two contiguous subspaces). Use .reshape(...) instead.")
    return _view_call(D.VIEW, input, {"size": size})


def _check_view_overloads(args):
    """view's first argument picks one of its two overloads (a dtype, or sizes); PyTorch names both when it
    fits neither."""
    first = args[0] if args else None
    if not args or _is_int(first):
        return
    if isinstance(first, (list, tuple)):
        if len(args) > 1 or builtins.all(_is_int(v) for v in first[:1]):
            return
        got = f"{type(first).__name__} of [{type(first[0]).__name__}]"
    else:
        got = type(first).__name__
    if len(args) > 1:
        kinds = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"view() received an invalid combination of arguments - got ({kinds}), but expected one of:\n"
                        " * (torch.dtype dtype)\n * (tuple of ints size)\n")
    mismatch = f"      didn't match because some of the arguments have invalid types: (!{got}!)\n"
    raise TypeError(f"view() received an invalid combination of arguments - got ({type(first).__name__}), but "
                    f"expected one of:\n * (torch.dtype dtype)\n{mismatch} * (tuple of ints size)\n{mismatch}")


@public()
def reshape(input, *shape):
    size = _infer_size(int_list("reshape", "shape", shape), input._data.size)
    if _viewable(input._data, size):
        # PyTorch views a contiguous tensor and aliases a non-contiguous one it can still view
        return _view_call(D.VIEW if input._data.flags.c_contiguous else D.RESHAPE_ALIAS, input, {"size": size})
    return call(D.UNSAFE_VIEW, (_contiguous_clone(input),), {"size": size})


@public(function=False)  # a method only: torch has no torch.view_as
def view_as(input, other):
    return view(input, other._data.shape)


@public(function=False)
def reshape_as(input, other):
    return reshape(input, other._data.shape)


@public()
def flatten(input, start_dim=0, end_dim=-1):
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = _wrap_dim(start_dim, nd), _wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input._data.shape
    return reshape(input, shape[:s] + (-1,) + shape[e + 1:])


@public(function=False)
def expand(input, *sizes):
    sizes = int_list("expand", "size", sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand({_type_name(input)}{{[{', '.join(map(str, shape))}]}}, size=[{', '.join(map(str, sizes))}]): "
                           "the number of sizes provided (" + str(len(sizes)) + ") must be greater or equal to the "
                           "number of dimensions in the tensor (" + str(len(shape)) + ")")
    return _view_call(D.EXPAND, input, {"size": _expanded_shape(shape, sizes)})


def _type_name(t):
    """How PyTorch's C++ names a tensor's type in messages: its legacy type, but CPUBoolType for bool."""
    if t._dtype is dt.bool_:
        return f"{'CUDA' if t._device.type == 'cuda' else 'CPU'}BoolType"
    return t.type()


def _expanded_shape(shape, sizes):
    """The shape `shape` expands to for expand(*sizes), with PyTorch's error when it cannot (it checks the
    dims from the last)."""
    lead = len(sizes) - len(shape)
    target = list(sizes)
    for i in reversed(range(len(sizes))):
        t = sizes[i]
        if i < lead:
            if t < 0:
                raise RuntimeError(f"The expanded size of the tensor ({t}) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            continue
        s = shape[i - lead]
        if t == -1:
            target[i] = s
        elif t < 0 and s == 1:
            raise RuntimeError("numel: integer multiplication overflow")  # PyTorch's words for a negative size
        elif s != 1 and s != t:
            raise RuntimeError(f"The expanded size of the tensor ({t}) must match the existing size ({s}) at "
                               f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}]."
                               f"  Tensor sizes: [{', '.join(map(str, shape))}]")
    return tuple(target)


@public(function=False)
def expand_as(input, other):
    return expand(input, other._data.shape)


@public()
def broadcast_to(input, size):
    return expand(input, size)


@public()
def unsqueeze(input, dim):
    return _view_call(D.UNSQUEEZE, input, {"dim": _wrap_dim(dim, input._data.ndim + 1)})


@public()
def squeeze(input, dim=None):
    if dim is None:
        return _view_call(D.SQUEEZE, input, {})
    if isinstance(dim, (tuple, list)):
        return _view_call(D.SQUEEZE_DIMS, input, {"dims": _dims(dim, input._data.ndim)})
    return _view_call(D.SQUEEZE_DIM, input, {"dim": _wrap_dim(dim, input._data.ndim)})


@public()
def transpose(input, dim0, dim1):
    nd = input._data.ndim
    return _view_call(D.TRANSPOSE, input, {"dim0": _wrap_dim(dim0, nd), "dim1": _wrap_dim(dim1, nd)})


@public()
def t(input):
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return _view_call(D.T, input, {})


@public()
def permute(input, *dims):
    dims = int_list("permute", "dims", dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to "
                           f"len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _view_call(D.PERMUTE, input, {"dims": dims})


@public()
def select(input, dim, index):
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, nd)
    size = input._data.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of bounds for dimension {dim} with size {size}")
    return _view_call(D.SELECT, input, {"dim": dim, "index": index % size})


def _slice(input, dim, start, end, step):
    if step <= 0:
        raise ValueError("step must be greater than zero")
    start, end, _ = slice(start, end, step).indices(input._data.shape[dim])
    end = builtins.max(end, start)
    return _view_call(D.SLICE, input, {"dim": dim, "start": start, "end": end, "step": step})


@public()
def narrow(input, dim, start, length):
    if not input._data.ndim:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice(input, dim, start, start + length, 1)


def alias(input):
    return _view_call(D.ALIAS, input, {})


def select_backward(grad, input_sizes, dim, index):
    return call(D.SELECT_BACKWARD, (grad,), {"input_sizes": tuple(input_sizes), "dim": dim, "index": index})


def slice_backward(grad, input_sizes, dim, start, end, step):
    return call(D.SLICE_BACKWARD, (grad,), {"input_sizes": tuple(input_sizes), "dim": dim, "start": start,
                                            "end": end, "step": step})


def _index(input, index, indices=()):
    return call(D.INDEX, (input,), {"index": index, "indices": indices})


def _index_tensors(items):
    """The tensors of an index (x[i, mask]), which the node saves to detect an in-place change to one. A list or
    array is made a tensor, as PyTorch makes it (a normal tensor, even for an inference tensor indexed)."""
    return tuple(i if isinstance(i, Tensor) else new_tensor(i) for i in items
                 if isinstance(i, (Tensor, list, np.ndarray)))


def index_backward(grad, shape, index):
    zeros = Tensor._make(np.zeros(tuple(shape), grad._data.dtype), grad._dtype, grad._device)
    return call(D.INDEX_BACKWARD, (zeros, grad), {"index": index})


def _masked_zero(grad, index):
    mask = np.zeros(grad._data.shape, dtype=bool)
    mask[index] = True
    return where(Tensor._make(mask, dt.bool_, grad._device), 0.0, grad)


# --------------------------------------------------------------------------- shape ops that copy
@public(function=False)
def repeat(input, *sizes):
    repeats = int_list("repeat", "repeats", sizes)
    if len(repeats) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    return call(D.REPEAT, (input,), {"repeats": repeats})


@public()
def flip(input, *dims):
    dims = _dims(int_list("flip", "dims", dims), input._data.ndim)
    return call(D.FLIP, (input,), {"dims": dims})


@public()
def roll(input, shifts, dims=None):
    """ATen's roll: no dims rolls the flattened tensor; an empty tensor is copied before its dims are read."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if len(shifts) != len(dims) and not (len(shifts) == 1 and not dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    if input._data.size == 0:
        return call(D.ROLL, (input,), {"shifts": shifts[:1], "dims": ()})
    return call(D.ROLL, (input,), {"shifts": shifts,
                                   "dims": tuple(_wrap_dim(d, input._data.ndim, scalar=False) for d in dims)})


@public()
def tril(input, diagonal=0):
    _at_least_2d("tril", input)
    return call(D.TRIL, (input,), {"diagonal": diagonal})


@public()
def triu(input, diagonal=0):
    _at_least_2d("triu", input)
    return call(D.TRIU, (input,), {"diagonal": diagonal})


def _at_least_2d(name, input):
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


@public()
def diagonal(input, offset=0, dim1=0, dim2=1):
    nd = input._data.ndim
    given = dim1, dim2
    dim1, dim2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if dim1 == dim2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {given[0]}, {given[1]}")
    return _view_call(D.DIAGONAL, input, {"offset": offset, "dim1": dim1, "dim2": dim2})


def diagonal_backward(grad, input_sizes, offset, dim1, dim2):
    return call(D.DIAGONAL_BACKWARD, (grad,), {"input_sizes": tuple(input_sizes), "offset": offset, "dim1": dim1,
                                               "dim2": dim2})


@public()
def movedim(input, source, destination):
    nd = input._data.ndim
    source = [_wrap_dim(d, nd) for d in ((source,) if isinstance(source, int) else source)]
    destination = [_wrap_dim(d, nd) for d in ((destination,) if isinstance(destination, int) else destination)]
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({_int_text(source)} dims) should "
                           f"contain the same number of dims as destination ({_int_text(destination)} dims)")
    for name, dims in (("source", source), ("destination", destination)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({_int_text(dims)})")
    if not nd:
        return alias(input)
    perm = [None] * nd
    for src, dst in zip(source, destination):
        perm[dst] = src
    rest = iter(d for d in range(nd) if d not in source)
    return permute(input, [next(rest) if p is None else p for p in perm])


def _int_text(ints):
    return f"[{', '.join(map(str, ints))}]"


@public()
def unflatten(input, dim, sizes):
    sizes = int_list("unflatten", "sizes", (sizes,))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    shape = input._data.shape
    dim = _wrap_dim(dim, len(shape))
    if not shape:  # ATen reads the size of the wrapped dim, which a 0-d tensor refuses inside a catch-all
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but tensor has no "
                           "dimensions")
    if -1 not in sizes and np.prod(sizes) != shape[dim]:
        raise RuntimeError(f"unflatten: Provided sizes {_int_text(sizes)} don't multiply up to the size of dim {dim} "
                           f"({shape[dim]}) in the input tensor")
    return reshape(input, shape[:dim] + _infer_size(sizes, shape[dim]) + shape[dim + 1:])


def _tensor_list(name, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if not tensors:
        if name == "cat":
            raise ValueError("torch.cat(): expected a non-empty list of Tensors")
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return tuple(tensors)


@public(method=False)
def cat(tensors, dim=0):
    tensors = _tensor_list("cat", tensors)
    shaped = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or list(tensors)
    ref = shaped[0]._data.shape
    for i, t in enumerate(shaped):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dim = _wrap_dim(dim, len(ref))
    for i, t in enumerate(shaped):
        shape = t._data.shape
        if len(shape) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and {len(shape)}")
        for d, (a, b) in enumerate(zip(ref, shape)):
            if d != dim and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size {a} but "
                                   f"got size {b} for tensor number {i} in the list.")
    return call(D.CAT, tensors, {"dim": dim})


@public(method=False)
def stack(tensors, dim=0):
    tensors = _tensor_list("stack", tensors)
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got [{', '.join(map(str, ref))}] at "
                               f"entry 0 and [{', '.join(map(str, t._data.shape))}] at entry {i}")
    return call(D.STACK, tensors, {"dim": _wrap_dim(dim, len(ref) + 1)})


def _views(results, input):
    return tuple(_as_view(r, input, multi=True) for r in results)


@public()
def split(tensor, split_size_or_sections, dim=0):
    if not tensor._data.ndim:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = _wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and not (step == 0 and size == 0):
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        # an empty dim splits into one empty piece, as in PyTorch
        sizes = (step and [builtins.min(step, size - i) for i in range(0, size, step)]) or [0]
        return _views(call(D.SPLIT, (tensor,), {"dim": dim, "sizes": tuple(sizes)}), tensor)
    if not isinstance(split_size_or_sections, (list, tuple)):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of ints, not "
                        f"{type(split_size_or_sections).__name__}")
    sizes = tuple(split_size_or_sections)
    for i, value in enumerate(sizes):
        if not _is_int(value):
            raise element_error("split_with_sizes", "split_sizes", 2, i, value)
    if builtins.sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                           f"dimension {dim}), but got split_sizes=[{', '.join(map(str, sizes))}]")
    return _views(call(D.SPLIT_WITH_SIZES, (tensor,), {"dim": dim, "sizes": sizes}), tensor)


@public()
def chunk(input, chunks, dim=0):
    if not input._data.ndim:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[dim]
    if size == 0:
        return split(input, [0] * chunks, dim)
    return split(input, -(-size // chunks), dim)


@public()
def unbind(input, dim=0):
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = _wrap_dim(dim, input._data.ndim)
    return _views(call(D.UNBIND, (input,), {"dim": dim}), input)


# --------------------------------------------------------------------------- gather and scatter
def _index_and_dim(name, input, dim, index, kernel=None):
    """gather's and scatter's index and wrapped dim, checked in PyTorch's order: the parser's TypeError for an
    index that is not a tensor, the dim's range, then the index's dtype, int32 or int64 unless the index is empty
    (PyTorch skips every check of an empty index), with the error of the `kernel` that checks it."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    dim = _wrap_dim(dim, input._data.ndim)
    if index._dtype not in (dt.int64, dt.int32):
        if index._data.size:
            raise RuntimeError(f"{kernel or name}(): Expected dtype int32/int64 for index")
        index = Tensor._make(index._data.astype(np.int64), dt.int64, index._device)
    return index, dim


def _check_gather_bounds(index, size, dim):
    """The kernels' bounds check: an index lies in [0, size), negative ones are out of bounds too."""
    if index._data.size and (index._data.min() < 0 or index._data.max() >= size):
        bad = int(index._data[(index._data < 0) | (index._data >= size)].flat[0])
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _sizes(shape):
    return f"[{', '.join(map(str, shape))}]"


def _nonempty_ndim(t):
    return builtins.max(t._data.ndim, 1)


def _nonempty_size(t, d):
    """ATen's ensure_nonempty_size: a 0-d tensor has size 1 in every dim; a dim past the others' is an IndexError."""
    return t._data.shape[_wrap_dim(d, t._data.ndim)] if t._data.ndim else 1


def _check_gather_shape(input, dim, index):
    """PyTorch's gather_shape_check (run for a non-empty index only)."""
    if _nonempty_ndim(input) != _nonempty_ndim(index):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(_nonempty_ndim(input)):
        if d != dim and _nonempty_size(index, d) > _nonempty_size(input, d):
            raise RuntimeError(f"Size does not match at dimension {d} expected index {_sizes(index.shape)} "
                               f"to be no larger than self {_sizes(input.shape)} apart from dimension {dim}")


def _check_scatter_shape(input, dim, index, src=None):
    """PyTorch's scatter_shape_check: nothing for an empty index; else index as many dims as self, no larger
    than self (but in dim) and than src (in every dim, read before src's own dim count is checked)."""
    if index._data.size == 0:
        return
    ndim = _nonempty_ndim(input)
    if ndim != _nonempty_ndim(index):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    wrong = builtins.any(d != dim and _nonempty_size(index, d) > _nonempty_size(input, d) for d in range(ndim))
    message = f"Expected index {_sizes(index.shape)} to be no larger than self {_sizes(input.shape)} apart from dimension {dim}"
    if src is None:
        if wrong:
            raise RuntimeError(message)
        return
    wrong = wrong or builtins.any(_nonempty_size(index, d) > _nonempty_size(src, d) for d in range(ndim))
    if _nonempty_ndim(src) != _nonempty_ndim(index):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if wrong:
        raise RuntimeError(f"{message} and to be no larger size than src {_sizes(src.shape)}")


def _dim_size(input, dim):
    return input._data.shape[dim] if input._data.ndim else 1


@public()
def gather(input, dim, index, *, sparse_grad=False):
    index, dim = _index_and_dim("gather", input, dim, index)
    if index._data.size:
        _check_gather_shape(input, dim, index)
    _check_gather_bounds(index, _dim_size(input, dim), dim)
    return call(D.GATHER, (input,), {"dim": dim, "index": index})


@public()
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    if reduce is not None:
        raise RuntimeError("refgrad: scatter with reduce= is not supported; use scatter_add or scatter_reduce")
    index, dim = _index_and_dim("scatter", input, dim, index)
    if src is None:
        src = value
    _check_same_dtype(input, src)
    _check_scatter_shape(input, dim, index, src if isinstance(src, Tensor) else None)
    _check_gather_bounds(index, _dim_size(input, dim), dim)
    if isinstance(src, Tensor):
        return call(D.SCATTER, (input, src), {"dim": dim, "index": index})
    return call(D.SCATTER_VALUE, (input,), {"dim": dim, "index": index, "value": src})


def _check_same_dtype(input, src):
    """scatter's kernels take src as it is: no promotion (a Python number as value is cast)."""
    if isinstance(src, Tensor) and src._dtype is not input._dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")


@public()
def scatter_add(input, dim, index, src):
    index, dim = _index_and_dim("scatter_add", input, dim, index, kernel="scatter")
    _check_same_dtype(input, src)
    _check_scatter_shape(input, dim, index, src)
    _check_gather_bounds(index, _dim_size(input, dim), dim)
    return call(D.SCATTER_ADD, (input, src), {"dim": dim, "index": index})


@public()
def index_select(input, dim, index):
    if not isinstance(index, Tensor) or index._dtype not in (dt.int64, dt.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    dim = _wrap_dim(dim, input._data.ndim)
    if not input._data.ndim and index._data.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index._data.size} value(s)")
    size = input._data.shape[dim] if input._data.ndim else 1
    if index._data.size and (index._data.min() < 0 or index._data.max() >= size):
        raise _index_select_bound_error(input, dim, index, size)
    return call(D.INDEX_SELECT, (input,), {"dim": dim, "index": index.reshape(-1)})


def _index_select_bound_error(input, dim, index, size):
    """PyTorch's CPU kernels' words: each path of index_select_out_cpu_ has its own."""
    if input._data.ndim <= 1 or (dim != 1 and input._data.size):
        return IndexError("index out of range in self")
    if size == 0:
        return RuntimeError("index_select(): self indexing axis dim should be positive")
    bad = int(index._data[(index._data < 0) | (index._data >= size)].flat[0])
    return RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")


@public()
def index_add(input, dim, index, source, *, alpha=1):
    return call(D.INDEX_ADD, (input, source), _index_add_params(input, dim, index, source, alpha))


def _index_add_params(input, dim, index, source, alpha):
    """index_add's checks, as its structured kernel's meta function makes them (index_func_meta_impl)."""
    dim = _wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {index._data.ndim} with "
                         f"type: {dt.SCALAR_NAME[index._dtype]} and size: {_sizes(index.shape)}")
    if index._dtype not in (dt.int64, dt.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{dt.SCALAR_NAME[index._dtype]}")
    if input._dtype is not source._dtype:
        raise RuntimeError(f"index_add_(): self ({dt.SCALAR_NAME[input._dtype]}) and source "
                           f"({dt.SCALAR_NAME[source._dtype]}) must have the same scalar type")
    if dim != 0 and dim >= source._data.ndim:
        raise RuntimeError(f"index_add_(): Indexing dim {dim} is out of bounds of the source tensor with dim "
                           f"{source._data.ndim}")
    sources = source._data.shape[dim] if source._data.ndim else 1
    if index._data.size != sources:
        raise RuntimeError(f"index_add_(): Number of indices ({index._data.size}) should be equal to "
                           f"source.size(dim): ({sources}), for dim: {dim}")
    self_rest, source_rest = list(input._data.shape), list(source._data.shape)
    if self_rest and source_rest:
        del self_rest[dim], source_rest[dim]
    if self_rest != source_rest:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {_sizes(input.shape)} source.shape = {_sizes(source.shape)}")
    return {"dim": dim, "index": index, "alpha": alpha}


def _bool_mask(name, mask):
    if not isinstance(mask, Tensor) or mask._dtype is not dt.bool_:
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype "
                           f"{dt.CPP_NAME.get(getattr(mask, '_dtype', None), type(mask).__name__)}"
                           if name == "masked_fill_" else f"{name}: expected BoolTensor for mask")
    return mask


@public()
def masked_fill(input, mask, value):
    mask = _bool_mask("masked_fill_", mask)
    broadcast_shapes(mask._data.shape, input._data.shape)  # PyTorch expands both first, the mask named first
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        _masked_fill_value_fits(input, value)
        return call(D.MASKED_FILL_TENSOR, (input, value), {"mask": mask})
    _masked_fill_value_fits(input, value)
    return call(D.MASKED_FILL, (input,), {"mask": mask, "value": value})


@public()
def masked_select(input, mask):
    mask = _bool_mask("masked_select", mask)
    broadcast_shapes(mask._data.shape, input._data.shape)
    return call(D.MASKED_SELECT, (input,), {"mask": mask})


def masked_select_backward(grad, self_shape, mask):
    """PyTorch's: the gradient scattered where the mask is set into zeros of the broadcast shape
    (MaskedScatterBackward0 under create_graph)."""
    shape = np.broadcast_shapes(tuple(self_shape), mask._data.shape)
    return masked_scatter(zeros(shape, dtype=grad.dtype, device=grad.device), mask, grad)


def masked_scatter_backward(grad, mask, sizes):
    """PyTorch's op of that name (MaskedScatterBackwardBackward0), masked_scatter's gradient for its source."""
    return call(D.MASKED_SCATTER_BACKWARD, (grad,), {"mask": mask, "sizes": tuple(sizes)})


@public()
def masked_scatter(input, mask, source):
    """Out of place: PyTorch expands mask and self to one shape (the mask named first), then scatters into a copy."""
    _check_masked_scatter(input._dtype, broadcast_shapes(mask._data.shape, input._data.shape), mask, source)
    return call(D.MASKED_SCATTER, (input, source), {"mask": mask})


def _masked_scatter_args(self, mask, source):
    return D.MASKED_SCATTER, (source,), {"mask": mask}


def _masked_scatter_check(self, operands, params):
    _check_masked_scatter(self._dtype, self._data.shape, params["mask"], operands[0])


def _check_masked_scatter(dtype, shape, mask, source):
    """masked_scatter_'s checks, in its order: dtypes, the mask's expand to self, a bool mask, enough source."""
    if source._dtype is not dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{dt.SCALAR_NAME[dtype]} and {dt.SCALAR_NAME[source._dtype]}")
    expand(mask, shape)
    if mask._dtype is not dt.bool_:
        if mask._dtype is dt.uint8:
            warnings.warn("masked_scatter_ received a mask with dtype torch.uint8, this behavior is now deprecated,"
                          "please use a mask with dtype torch.bool instead.")
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{dt.SCALAR_NAME[mask._dtype]}")
    if np.count_nonzero(np.broadcast_to(mask._data, shape)) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")


@public()
def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(view(input, -1), 0, view(indices, -1))
    if input._data.ndim != indices._data.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input._data.ndim} dimensions for input, and {indices._data.ndim} dimensions "
                           "for indices")
    if indices._dtype is not dt.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{dt.SCALAR_NAME[indices._dtype]}")
    dim = _wrap_dim(dim, input._data.ndim)
    # PyTorch broadcasts both with broadcast_to, which records ExpandBackward0 even when nothing grows
    indices_shape = _along_dim_shape(indices, input, dim)  # PyTorch's order, for the error's words
    input = broadcast_to(input, _along_dim_shape(input, indices, dim))
    indices = broadcast_to(indices, indices_shape)
    return gather(input, dim, _indices_modulo(indices, input._data.shape[dim]))


def _indices_modulo(indices, size):
    """take_along_dim wraps its indices into the dim, Python's way (7 and -3 are 2 in a dim of 5), so none is
    out of range; with an empty dim the integer remainder is ATen's "ZeroDivisionError"."""
    if not indices._data.size:
        return indices
    if not size:
        raise RuntimeError("ZeroDivisionError")
    return Tensor._make(indices._data % size, dt.int64, indices._device)


def _along_dim_shape(t, other, dim):
    """t's shape broadcast with other's, but t keeps its own size in dim."""
    sizes = list(other._data.shape)
    sizes[dim] = t._data.shape[dim]
    return broadcast_shapes(tuple(sizes), t._data.shape)


# --------------------------------------------------------------------------- indexing
def _is_advanced(item):
    if isinstance(item, Tensor):
        return item._data.ndim > 0 or item._dtype is dt.bool_
    return isinstance(item, (list, np.ndarray)) or isinstance(item, (bool, np.bool_))


def _numpy_index(index):
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if isinstance(item, Tensor):
            if item._dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(item._data)
        elif isinstance(item, list):
            out.append(np.asarray(item))
        elif item is None or item is Ellipsis or isinstance(item, (slice, np.ndarray, bool, np.bool_)):
            out.append(item)
        elif isinstance(item, (int, np.integer)):
            out.append(int(item))
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             "valid indices (got " + type(item).__name__ + ")")
    return tuple(out)


def _index_error(exc, shape):
    msg = str(exc)
    if "out of bounds" in msg:
        msg = msg.replace("axis", "dimension")
    elif "too many indices" in msg:
        msg = f"too many indices for tensor of dimension {len(shape)}"
    return IndexError(msg)


_SEQUENCE_AS_TUPLE = ("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in "
                      "pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as "
                      "tensor index, x[torch.tensor(seq)], which will result either in an error or a different result")


def _is_sequence(item):
    return isinstance(item, (list, tuple, range))


def _python_index(index):
    """An index as PyTorch's indexing reads Python sequences: a non-tuple sequence of fewer than 32 items, one of them
    a tensor, a sequence, a slice, `...` or None, is a tuple (with a deprecation warning); every other sequence (a
    list, a tuple inside the index, a range) becomes an index tensor, bool when all its items are, else int64."""
    if not isinstance(index, tuple):
        if not _is_sequence(index):
            return index
        if len(index) >= 32 or not builtins.any(_is_sequence(i) or isinstance(i, (Tensor, slice)) or i is None
                                                 or i is Ellipsis for i in index):
            return _index_tensor(index)
        warnings.warn(_SEQUENCE_AS_TUPLE, UserWarning, stacklevel=3)
        index = tuple(index)
    return tuple(_index_tensor(i) if _is_sequence(i) else i for i in index)


def _index_tensor(items):
    items = list(items)
    is_mask = bool(items) and builtins.all(isinstance(i, (bool, np.bool_)) for i in items)
    return new_tensor(items, dtype=dt.bool_ if is_mask else dt.int64)


def _byte_masks(index):
    """uint8 index tensors read as bool masks, each with PyTorch's deprecation warning (reading only: writing
    through one is refused by kernels refgrad does not have)."""
    items = index if isinstance(index, tuple) else (index,)
    if not builtins.any(isinstance(i, Tensor) and i._dtype is dt.uint8 for i in items):
        return index
    masks = []
    for item in items:
        if isinstance(item, Tensor) and item._dtype is dt.uint8:
            if item._data.ndim:  # (a 0-d one is read as a bool without a word)
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                              "instead.", UserWarning, stacklevel=4)
            item = Tensor._make(item._data.astype(bool), dt.bool_, item._device)
        masks.append(item)
    return tuple(masks) if isinstance(index, tuple) else masks[0]


def getitem(self, index):
    index = _byte_masks(_python_index(index))
    if isinstance(index, Tensor) and index._data.ndim == 0 and index._dtype not in (dt.bool_,) and \
            not index._dtype.is_floating_point:
        index = int(index._data)
    items = index if isinstance(index, tuple) else (index,)
    np_index = _numpy_index(index)  # validates the index types
    if builtins.any(_is_advanced(i) for i in items):
        _check_masks(items, self._data.shape)
        _check_index_bounds(items, self._data.shape)
        try:
            self._data[np_index]
        except IndexError as exc:
            raise _index_error(exc, self._data.shape) from None
        return _index(self, np_index, _index_tensors(items))
    if not isinstance(index, tuple):
        _check_zero_dim_index(self, index)
        if isinstance(index, slice):
            return _slice(self, 0, index.start, index.stop, 1 if index.step is None else index.step)
        if index is Ellipsis:
            return alias(self)
    result = _basic_index(self, items)
    return alias(self) if result is self else result


def _check_zero_dim_index(self, index):
    """PyTorch's errors for a lone int or slice indexing a 0-dim tensor."""
    if self._data.ndim:
        return
    if isinstance(index, slice):
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
        if index != 0:  # PyTorch checks the bounds first, taking the size of the dim it lacks as 0
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size 0")
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                         "C++ to convert a 0-dim tensor to a number")


def _check_masks(items, shape):
    """PyTorch's message for a boolean mask whose shape does not match the dims it indexes."""
    pos = 0
    for item in items:
        if item is Ellipsis:
            return
        if item is None:
            continue
        if isinstance(item, Tensor) and item._dtype is dt.bool_:
            for j, size in enumerate(item._data.shape):
                if pos + j < len(shape) and size != shape[pos + j]:
                    raise IndexError(f"The shape of the mask {list(item._data.shape)} at index {j} does not match the "
                                     f"shape of the indexed tensor {list(shape)} at index {pos + j}")
            pos += item._data.ndim
        else:
            pos += 1


def _check_index_bounds(items, shape):
    """PyTorch's message for an integer index tensor (or list) out of bounds: it names the dim by the index's
    place among the advanced indices (a mask counts one per dim), not by the dim it indexes."""
    consumed = [_dims_indexed(i) for i in items]
    if builtins.sum(consumed) > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    pos = advanced = 0
    for k, (item, n) in enumerate(zip(items, consumed)):
        if item is Ellipsis:
            pos = len(shape) - builtins.sum(consumed[k + 1:])
        elif _is_mask(item):
            advanced += n
        elif _is_advanced(item) and pos < len(shape):
            values = np.asarray(item._data if isinstance(item, Tensor) else item)
            size = shape[pos]
            if values.dtype.kind in "iu" and values.size:
                if not size:  # ATen's words for an empty dim name neither the index nor the dim
                    raise IndexError("index is out of bounds for dimension with size 0")
                bad = values[(values < -size) | (values >= size)]
                if bad.size:
                    raise IndexError(f"index {int(bad.flat[0])} is out of bounds for dimension {advanced} with size "
                                     f"{size}")
            advanced += 1
        pos += n


def _is_mask(item):
    return isinstance(item, (bool, np.bool_)) or isinstance(item, Tensor) and item._dtype is dt.bool_


def _dims_indexed(item):
    """How many of the tensor's dims an index item consumes."""
    if item is None or item is Ellipsis or isinstance(item, (bool, np.bool_)):
        return 0
    return item._data.ndim if _is_mask(item) else 1


def _too_many(self):
    raise IndexError(f"too many indices for tensor of dimension {self._data.ndim}")


def _basic_index(self, items):
    """The view that basic indexing picks; a slice over a whole dim is skipped, so this is `self` when
    nothing else is left (setitem writes into it; getitem makes an alias)."""
    specified = builtins.sum(1 for i in items if i is not None and i is not Ellipsis)
    if specified > self._data.ndim:
        _too_many(self)
    result, dim = self, 0
    for position, item in enumerate(items):
        if item is None:
            result = unsqueeze(result, dim)
            dim += 1
        elif item is Ellipsis:
            dim += self._data.ndim - specified
        elif isinstance(item, slice):
            size = result._data.shape[dim]
            step = 1 if item.step is None else item.step
            if (item.start in (None, 0) and (item.stop is None or item.stop >= size) and step == 1):
                dim += 1
                continue
            result = _slice(result, dim, item.start, item.stop, step)
            dim += 1
        else:
            index = operator.index(item)
            _check_select_bound(index, result._data.shape[dim], position)
            result = select(result, dim, index)
    return result


def _check_select_bound(index, size, position):
    """PyTorch's applySelect names the dim by the int's place in the index tuple (x[None, 5]: dimension 1)."""
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of bounds for dimension {position} with size {size}")


def setitem(self, index, value):
    """x[index] = value as PyTorch runs it: basic indexing picks a view (x itself for whole slices and `...`)
    that copy_ (fill_ for a 0-dim value) writes; an advanced index runs index_put_."""
    if not isinstance(value, _OPERAND):
        raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")
    index = _python_index(index)
    if isinstance(index, Tensor) and index._data.ndim == 0 and not index._dtype.is_floating_point \
            and index._dtype is not dt.bool_:
        index = int(index._data)
    items = index if isinstance(index, tuple) else (index,)
    np_index = _numpy_index(index)  # validates the index types
    if isinstance(index, (bool, np.bool_)):  # x[True] = v writes x.unsqueeze(0); x[False] = v writes nothing
        if index:
            _copy_to(unsqueeze(self, 0), value)
        return
    if builtins.any(_is_advanced(i) for i in items):
        target, np_index = _slice_around_advanced(self, items, np_index)
        _index_put(target, np_index, value, items, self._data.shape)
        return
    if not isinstance(index, tuple):
        _check_zero_dim_index(self, index)
    _copy_to(_basic_index(self, items), value)


def _slice_around_advanced(self, items, np_index):
    """PyTorch's applySlicing for setitem: ints, None and partial slices pick a view first, and index_put_ takes
    the advanced indices left for that view's dims. With nothing to pick, self and the index as given."""
    if not builtins.any(i is None or _is_zero_dim_bool(i) or isinstance(i, (int, np.integer, slice))
                        and not (isinstance(i, slice) and i == slice(None)) for i in items):
        return self, np_index
    kept = []
    basic = []
    for item, np_item in zip(items, np_index):
        if _is_zero_dim_bool(item):  # PyTorch unsqueezes a dim for it and indexes that with [0] or []
            basic.append(None)
            kept.append(np.zeros(1 if bool(np_item) else 0, np.int64))
        elif _is_advanced(item):
            width = item._data.ndim if isinstance(item, Tensor) and item._dtype is dt.bool_ else 1
            basic.extend([slice(None)] * width)
            kept.append(np_item)
        elif item is None or isinstance(item, slice):
            basic.append(item)
            kept.append(slice(None))
        elif item is Ellipsis:
            basic.append(item)
            kept.append(item)
        else:
            basic.append(item)
    return _basic_index(self, tuple(basic)), tuple(kept)


def _is_zero_dim_bool(item):
    return isinstance(item, (bool, np.bool_)) or isinstance(item, Tensor) and item._dtype is dt.bool_ and \
        not item._data.ndim


def _index_put(self, np_index, value, items, indexed_shape):
    """x[advanced index] = value: index_put_ of the value without its leading 1-sized dims (PyTorch checks
    in-place use before the index). `items` is the whole index of a tensor of `indexed_shape`."""
    indices = _index_tensors(items)
    check_inplace(self, needs_history(D.INDEX_PUT, (self, value), {"indices": indices}))
    check_mutable(self)
    _check_index_bounds(items, indexed_shape)
    try:
        target_shape = self._data[np_index].shape
    except IndexError as exc:
        raise _index_error(exc, self._data.shape) from None
    if isinstance(value, Tensor):
        shape = _strip_leading_ones(value._data.shape)
        if shape != target_shape and not _expandable_to(shape, target_shape):
            raise RuntimeError(f"shape mismatch: value tensor of shape [{', '.join(map(str, shape))}] cannot be "
                               f"broadcast to indexing result of shape [{', '.join(map(str, target_shape))}]")
        _check_put_dtype(self, items, value)
        if shape != value._data.shape:
            value = view(value, shape)
    call_inplace(D.INDEX_PUT, self, (value,), {"index": np_index, "indices": indices})


def _check_put_dtype(self, items, value):
    """index_put_ takes only its own dtype (a 0-d value under a mask is masked_fill_, which casts)."""
    masked_fill = len(items) == 1 and isinstance(items[0], Tensor) and items[0]._dtype is dt.bool_ \
        and value._data.ndim == 0
    if value._dtype is not self._dtype and not masked_fill:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{dt.SCALAR_NAME[self._dtype]} for the destination and {dt.SCALAR_NAME[value._dtype]} "
                           "for the source.")


def _copy_to(dst, value):
    """PyTorch's copy_to: copy_ when the shapes agree, fill_ with a 0-dim value, else copy_ of the value
    viewed without its leading 1-sized dims and expanded to dst."""
    if not isinstance(value, Tensor):
        value = Tensor._make(np.asarray(value, dst._dtype.np), dst._dtype, dst._device)
    if value._data.shape == dst._data.shape:
        copy_(dst, value)
    elif value._data.ndim == 0:
        fill_(dst, value)
    else:
        source = view(value, _strip_leading_ones(value._data.shape))
        if source._data.shape != dst._data.shape:
            source = expand(source, dst._data.shape)
        copy_(dst, source)


def _strip_leading_ones(shape):
    shape = tuple(shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    return shape


def _expandable_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


# --------------------------------------------------------------------------- copies, casts, devices
@public()
def clone(input, *, memory_format=None):
    check_memory_format("clone", memory_format)
    return call(D.CLONE, (input,), {} if memory_format in (None, preserve_format) else {"memory_format": memory_format})


@public(function=False)
def contiguous(input, memory_format=contiguous_format):
    check_memory_format("contiguous", memory_format)
    if is_contiguous_as(input._data, memory_format):
        return input
    if memory_format is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return call(D.CLONE, (input,), {"memory_format": memory_format})


def _contiguous_clone(input):
    """PyTorch's clone(at::MemoryFormat::Contiguous): a row-major copy, whatever the input's layout."""
    return call(D.CLONE, (input,), {"memory_format": contiguous_format})


def _to_args(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    memory_format = kwargs.pop("memory_format", None)
    check_memory_format("to", memory_format)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if a is None:  # to(None): no device named
            continue
        if isinstance(a, dt.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a._dtype, a._device
        elif isinstance(a, (str, int)) or type(a).__name__ == "device":
            device = a
        elif isinstance(a, bool):
            continue
        else:
            raise TypeError(f"to() received an invalid combination of arguments - got ({type(a).__name__})")
    return dtype, device, copy, memory_format


@public(function=False)
def to(input, *args, **kwargs):
    dtype, device, copy, memory_format = _to_args(args, dict(kwargs))
    dtype = dtype or input._dtype
    device = canonical(device) if device is not None else input._device
    if memory_format is preserve_format:
        memory_format = None
    if dtype is input._dtype and device == input._device and not copy and (
            memory_format is None or suggested_format(input._data) is memory_format):
        return input
    result = call(D.TO_COPY, (input,), {"dtype": dtype} if memory_format is None else
                  {"dtype": dtype, "memory_format": memory_format})
    result._device = device
    return result


def _cast(dtype):
    def method(self, *, memory_format=None):
        return to(self, dtype, memory_format=memory_format)
    return method


@public(function=False)
def cpu(input):
    return to(input, "cpu")


@public(function=False)
def cuda(input, device=None, non_blocking=False):
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = f"cuda:{device}"
    return to(input, device)


# --------------------------------------------------------------------------- in place
def _inplace(name, rule_for, kernel_check=None):
    """Tensor.<name>: in place, with the entry and operands `rule_for(self, *args)` picks (it parses the
    arguments). `kernel_check(self, operands, params)`: the checks of PyTorch's kernel, which come after
    autograd's check_inplace (a leaf that requires grad is refused first)."""
    if len(inspect.signature(rule_for).parameters) == 1:
        def method(self):
            rule, operands, params = rule_for(self)
            return call_inplace(rule, self, operands, params)
    elif kernel_check is None:
        def method(self, *args, **kwargs):
            rule, operands, params = rule_for(self, *args, **kwargs)
            return call_inplace(rule, self, operands, params)
    else:
        def method(self, *args, **kwargs):
            rule, operands, params = rule_for(self, *args, **kwargs)
            check_inplace(self, needs_history(rule, (self,) + operands, params))
            kernel_check(self, operands, params)
            return call_inplace(rule, self, operands, params)
    method.__name__ = method.__qualname__ = name
    METHODS[name] = method
    return method


def _add_args(self, other, *, alpha=1):
    return D.ADD, (_operand("add_", 1, "other", other),), {"alpha": alpha}


def _sub_args(self, other, *, alpha=1):
    return D.SUB, (_operand("sub_", 1, "other", other),), {"alpha": alpha}


def _sub_check(self, operands, params):
    _check_sub(self, operands[0])


def _mul_args(self, other):
    return D.MUL, (_operand("mul_", 1, "other", other),), {}


def _div_args(self, other, *, rounding_mode=None):
    if rounding_mode is not None:
        return D.DIV_ROUNDING, (other,), {"rounding_mode": rounding_mode}
    return D.DIV, (_operand("div_", 1, "other", other),), {}


def _div_check(self, operands, params):
    rounding_mode = params.get("rounding_mode")
    if rounding_mode is not None:
        _check_rounding_mode(rounding_mode)


def _pow_args(self, exponent):
    if isinstance(exponent, Tensor):
        return D.POW, (exponent,), {}
    return D.POW_SCALAR, (), {"exponent": exponent}


def _fill_args(self, value):
    if isinstance(value, Tensor):
        return D.FILL_TENSOR, (value,), {}
    check_int_range(value)
    return D.FILL, (), {"value": value}


def _fill_check(self, operands, params):
    if operands and operands[0]._data.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{operands[0]._data.ndim} dimensions.")
    if not operands:
        check_fill_value(params["value"], self._dtype, self._data.size)


def _copy_args(self, src, non_blocking=False):
    if isinstance(src, (int, float)):  # x.copy_(2): PyTorch's parser takes a number as a tensor here
        src = full_like_scalar(self, src)
    return D.COPY, (_tensor_arg("copy_", 1, "src", src),), {}


def _copy_check(self, operands, params):
    check_inplace_shape(self, [operands[0]._data.shape])


def _clamp_args(self, min=None, max=None):
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return D.CLAMP, tuple(b if isinstance(b, Tensor) or b is None else full_like_scalar(self, b)
                              for b in (min, max)), {}
    return D.CLAMP_SCALAR, (), {"min": min, "max": max}


def _clamp_check(self, operands, params):
    if not operands and params["min"] is None and params["max"] is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if not operands:
        _clamp_bounds_fit(self, (params["min"], params["max"]), into=self._dtype)


def _lerp_args(self, end, weight):
    if isinstance(weight, Tensor):
        return D.LERP, (end, weight), {}
    return D.LERP_SCALAR, (end,), {"weight": weight}


def _lerp_check(self, operands, params):
    _check_lerp(self, operands[0], operands[1] if len(operands) > 1 else params["weight"])


def _masked_fill_args(self, mask, value):
    if isinstance(value, Tensor):
        return D.MASKED_FILL_TENSOR, (value,), {"mask": mask}
    check_int_range(value)
    return D.MASKED_FILL, (), {"mask": mask, "value": value}


def _unary_args(rule):
    return lambda self: (rule, (), {})


def _masked_fill_check(self, operands, params):
    _bool_mask("masked_fill_", params["mask"])
    _masked_fill_value_fits(self, operands[0] if operands else params["value"])


def _masked_fill_value_fits(self, value):
    """masked_fill's kernel writes value.item() for a 0-dim tensor value: both are checked as Scalars."""
    check_scalar_fits(value.item() if isinstance(value, Tensor) else value, self._dtype)


add_ = _inplace("add_", _add_args)
sub_ = _inplace("sub_", _sub_args, _sub_check)
mul_ = _inplace("mul_", _mul_args)
div_ = _inplace("div_", _div_args, _div_check)
pow_ = _inplace("pow_", _pow_args)
fill_ = _inplace("fill_", _fill_args, _fill_check)
copy_ = _inplace("copy_", _copy_args, _copy_check)
zero_ = _inplace("zero_", _unary_args(D.ZERO))
neg_ = _inplace("neg_", _unary_args(D.NEG))
reciprocal_ = _inplace("reciprocal_", _unary_args(D.RECIPROCAL))
clamp_ = _inplace("clamp_", _clamp_args, _clamp_check)
lerp_ = _inplace("lerp_", _lerp_args, _lerp_check)
masked_fill_ = _inplace("masked_fill_", _masked_fill_args, _masked_fill_check)
masked_scatter_ = _inplace("masked_scatter_", _masked_scatter_args, _masked_scatter_check)
index_add_ = _inplace("index_add_", lambda self, dim, index, source, *, alpha=1: (
    D.INDEX_ADD, (source,), _index_add_params(self, dim, index, source, alpha)))


def _bitwise_args(rule):
    return lambda self, other: (rule, (_operand(rule.name + "_", 1, "other", other),), {})


bitwise_and_ = _inplace("bitwise_and_", _bitwise_args(D.BITWISE_AND))
bitwise_or_ = _inplace("bitwise_or_", _bitwise_args(D.BITWISE_OR))
bitwise_xor_ = _inplace("bitwise_xor_", _bitwise_args(D.BITWISE_XOR))


def _binary_args(rule):
    return lambda self, other: (rule, (_tensor_arg(rule.name + "_", 1, "other", other),), {})


def _fill_random(name, sampler):
    """An in-place random fill (`normal_`, `uniform_`): writes the samples and bumps the version."""
    def method(self, *args, generator=None, **kwargs):
        check_inplace(self)
        check_mutable(self)
        self._data[...] = sampler(self._data.shape, *args, **kwargs)
        bump_version(self)
        return self
    method.__name__ = method.__qualname__ = name
    METHODS[name] = method
    return method


normal_ = _fill_random("normal_", lambda shape, mean=0.0, std=1.0: _rng[0].normal(mean, std, shape))
def _uniform(shape, low=0.0, high=1.0):
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={low:g} > to={high:g}")
    return _rng[0].uniform(low, high, shape)


uniform_ = _fill_random("uniform_", _uniform)


# --------------------------------------------------------------------------- Tensor methods and operators
def _operator(fn, swap=False, rule=None, params=None):
    """A binary operator: unsupported operand types give NotImplemented so Python raises its TypeError.
    With `rule`, the table entry `fn` picks for a tensor or float operand, that case goes to the
    dispatcher directly (the hot path of arithmetic; `params` are never modified, so one dict serves)."""
    def method(self, other):
        if rule is not None and (type(other) is Tensor or type(other) is float):
            return call(rule, (self, other), params)
        if type(other) is not Tensor and type(other) is not float and not isinstance(other, _OPERAND):
            return NotImplemented
        return fn(other, self) if swap else fn(self, other)
    return method


def _rtruediv(self, other):
    return mul(reciprocal(self), other)


def _rpow(self, other):
    return pow(other, self)


def _rfloordiv(self, other):
    return floor_divide(full_like_scalar(self, other), self)


def _rmod(self, other):
    return remainder(other, self)


def _invert(self):
    if self._dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return EXPORTS["bitwise_not"](self)


def _iop(inplace):
    def method(self, other):
        if not isinstance(other, _OPERAND):
            return NotImplemented
        return inplace(self, other)
    return method


def _iter(self):
    if self._data.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(unbind(self, 0))


# --------------------------------------------------------------------------- installing it all
for _rule in D.TABLE.values():
    if _rule.api:
        _fn = globals()[_rule.name] = _generated(_rule)  # as if defined in this module
        public("function" in _rule.api, "method" in _rule.api)(_fn)
        if "inplace" in _rule.api:
            _inplace(_rule.name + "_", (_unary_args if len(_rule.inputs) == 1 else _binary_args)(_rule))


@public(method=False)
def relu_(input):
    return METHODS["relu_"](_tensor_arg("relu_", 1, "input", input))


# Other spellings of the same op, wherever the op appears (refgrad.<name> and/or Tensor.<name>).
ALIASES = {"subtract": "sub", "multiply": "mul", "divide": "div", "negative": "neg", "absolute": "abs",
           "arctan2": "atan2", "clip": "clamp", "clip_": "clamp_", "moveaxis": "movedim", "ger": "outer",
           "concat": "cat", "concatenate": "cat", "swapaxes": "transpose", "swapdims": "transpose",
           "swapaxes_": "transpose_", "swapdims_": "transpose_"}
for _alias, _target in ALIASES.items():
    for _registry in (EXPORTS, METHODS):
        if _target in _registry:
            _registry[_alias] = _registry[_target]

# Python's operators, and the methods whose torch signature differs from the function's.
_OPERATORS = {
    "__matmul__": _operator(matmul), "__rmatmul__": _operator(matmul, swap=True),
    "__getitem__": getitem, "__setitem__": setitem, "__iter__": _iter,
    "__add__": _operator(add, rule=D.ADD, params={"alpha": 1}),
    "__radd__": _operator(add, rule=D.ADD, params={"alpha": 1}), "__sub__": _operator(sub),
    "__rsub__": _operator(rsub), "__mul__": _operator(mul, rule=D.MUL, params={}),
    "__rmul__": _operator(mul, rule=D.MUL, params={}),
    "__truediv__": _operator(div), "__rtruediv__": _operator(_rtruediv),
    "__floordiv__": _operator(floor_divide), "__rfloordiv__": _operator(_rfloordiv),
    "__mod__": _operator(remainder), "__rmod__": _operator(_rmod),
    "__pow__": _operator(pow), "__rpow__": _operator(_rpow),
    "__iadd__": _iop(add_), "__isub__": _iop(sub_), "__imul__": _iop(mul_), "__itruediv__": _iop(div_),
    "__neg__": neg, "__pos__": lambda self: self, "__abs__": EXPORTS["abs"],
    "__invert__": _invert,
    "__eq__": _operator(EXPORTS["eq"]), "__ne__": _operator(EXPORTS["ne"]),
    "__lt__": _operator(EXPORTS["lt"]), "__le__": _operator(EXPORTS["le"]),
    "__gt__": _operator(EXPORTS["gt"]), "__ge__": _operator(EXPORTS["ge"]),
    "__and__": _operator(bitwise_and), "__or__": _operator(bitwise_or), "__xor__": _operator(bitwise_xor),
    "__rand__": _operator(bitwise_and), "__ror__": _operator(bitwise_or), "__rxor__": _operator(bitwise_xor),
    "__iand__": _iop(bitwise_and_), "__ior__": _iop(bitwise_or_), "__ixor__": _iop(bitwise_xor_),
}
METHODS.update(float=_cast(dt.float32), double=_cast(dt.float64), half=_cast(dt.float16), int=_cast(dt.int32),
               long=_cast(dt.int64), bool=_cast(dt.bool_), where=lambda self, condition, other:
               where(condition, self, other))


# --------------------------------------------------------------------------- transposes as attributes
def _matrix_transpose(attr, conj_hint):
    """Tensor.mT / .mH / .H: the last two dims swapped (the identity, with a warning, on a 0-d tensor)."""
    def get(self):
        nd = self._data.ndim
        if nd == 0:
            warn_once(f"Tensor.{attr} is deprecated on 0-D tensors. " + (
                "Consider using x.conj()." if conj_hint else "This function is the identity in these cases."))
            return self
        if attr == "H" and nd != 2:
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {nd}-D tensor."
                               + (" For batches of matrices, consider using tensor.mH" if nd > 2 else ""))
        if nd < 2:
            raise RuntimeError(f"tensor.{attr} is only supported on matrices or batches of matrices. Got {nd}-D tensor.")
        return transpose(self, -2, -1)
    return property(get)


def _reversed_dims(self):
    """Tensor.T: all dims reversed, with PyTorch's deprecation warning unless the tensor is a matrix."""
    nd = self._data.ndim
    if nd == 0:
        warn_once("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.")
    elif nd != 2:
        warn_once("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
                  "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
                  "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.")
    return permute(self, tuple(range(nd - 1, -1, -1)))


_ATTRIBUTES = {"T": property(_reversed_dims), "mT": _matrix_transpose("mT", False), "H": _matrix_transpose("H", True),
               "mH": _matrix_transpose("mH", True)}
for _name, _fn in {**METHODS, **_OPERATORS, **_ATTRIBUTES}.items():
    setattr(Tensor, _name, _fn)
install_ops({**globals(), **EXPORTS})


# --------------------------------------------------------------------------- PyTorch's parser in front of each method
# Methods torch/_tensor.py writes in Python: a bad call gets Python's own words, about Tensor.<name>()
# (Tensor.backward, defined in autograd/api.py, is named there).
_PYTHON_METHODS = {"norm", "split", "unflatten", "register_hook"}


def _parsed_method(fn, parser):
    """Tensor.<name> behind PyTorch's parser. The parser runs only where it may speak: before a call with an
    argument it may refuse (parser.doubtful), and after a call that failed (whose arguments it refuses, it
    reports in its words instead)."""
    packs = parser.varargs_ints and not builtins.any(
        p.kind is p.VAR_POSITIONAL for p in inspect.signature(fn).parameters.values())
    doubtful = parser.doubtful
    needs_arguments = parser.error((), {}) is not None  # view(), permute(): PyTorch's parser refuses the call
    numpy_names = _numpy_names_of(list(inspect.signature(fn).parameters.values())[1:])

    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        if numpy_names and kwargs:
            kwargs = _renamed(kwargs, numpy_names)
        if not args and needs_arguments:
            error = parser.error(args, kwargs)
            if error is not None:
                raise error
        if args:
            if packs and len(args) > 1 and _is_int(args[0]):
                args = (args,)  # squeeze(0, 1) is squeeze((0, 1))
            if doubtful(args):
                error = parser.error(args, kwargs)
                if error is not None:
                    raise error
        try:
            return fn(self, *args, **kwargs)
        except Exception:
            error = parser.error(args, kwargs)
            if error is None:
                raise
        raise error
    return method


def _no_arguments_method(fn, name):
    """Tensor.<name> as a C method that takes no arguments, in CPython's words (`x.abs(1)`)."""
    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"TensorBase.{name}() takes no keyword arguments")
        if args:
            raise TypeError(f"TensorBase.{name}() takes no arguments ({len(args)} given)")
        return fn(self)
    return method


def _python_method(fn, name):
    """A method torch writes in Python: Python's messages for a bad call name it Tensor.<name>()."""
    method = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    method.__kwdefaults__, method.__doc__ = fn.__kwdefaults__, fn.__doc__
    method.__qualname__ = f"Tensor.{name}"
    return method


for _name, _fn in list(vars(Tensor).items()):
    if _name.startswith("_") or not inspect.isfunction(_fn):
        continue
    if _name in METHOD_SIGNATURES:
        setattr(Tensor, _name, _parsed_method(_fn, METHOD_SIGNATURES[_name]))
    elif _name in _PYTHON_METHODS:
        setattr(Tensor, _name, _python_method(_fn, _name))
    elif len(inspect.signature(_fn).parameters) == 1:
        setattr(Tensor, _name, _no_arguments_method(_fn, _name))
