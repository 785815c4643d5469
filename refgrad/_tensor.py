"""The Tensor: a NumPy array with a dtype, a device tag and autograd metadata.

Autograd state: `_requires_grad` (leaves only), `_grad_fn` and `_output_nr` (the edge this tensor
is in the graph), `_grad`, and `_vc`, a version counter shared with every view of the same data so
that in-place changes are seen by saved tensors (made on first use).

A view (`_base` set: the tensor whose memory it shares, never itself a view) follows its base as
PyTorch's differentiable views do: it requires grad when its base does, and when the base or another
view of it was modified in place since the view's grad_fn was set (`_view_version` behind the shared
counter), reading its grad_fn regenerates it as AsStridedBackward0 of the base. `_view_creation` says
how it was made when that was not plain grad mode ("no_grad", "inference", "multi" for an output of
unbind/split): PyTorch then forbids modifying it in place, directly or through its base. A view of an
inference tensor is no such view: an inference tensor without `_base`, that requires no grad.

The layers above attach the rest, once, when they are imported: refgrad/_ops.py the op methods and
operators (generated from the derivative table), refgrad/autograd/api.py `backward`.
"""
import math
import warnings
import weakref

from . import _dtype as dt
from ._device import CPU, canonical
from ._layout import check_memory_format, is_contiguous_as
from ._warn import warn_once
from ._printing import tensor_repr
from .autograd import grad_mode
from .autograd.graph import TENSOR, AccumulateGrad, _HookDict, _op_name, add_hook

__all__ = ["Tensor", "Size"]

_grad_state = grad_mode.state

NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


class Size(tuple):
    """torch.Size: a tuple of ints that prints as `torch.Size([2, 3])`."""

    __slots__ = ()

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def numel(self):
        return math.prod(self)

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r


class VersionCounter:
    """Shared by a tensor and its views; in-place ops bump `value`. Made on first use (Tensor._vc);
    the class attribute serves as the value until the first bump."""

    value = 0


ZERO_TENSOR_IMMUTABLE = ("ZeroTensors are immutable. Please use the materialized zero tensor obtained using .clone() "
                         "if you want a mutable tensor.")


class Tensor:
    # Every tensor sets the slots; the class attributes below are defaults that few tensors
    # override (leaves, views, tensors with hooks or tangents), kept out of the slots so that
    # creating a tensor, which every op does, stores six fields instead of fifteen.
    __slots__ = ("_data", "_dtype", "_device", "_grad_fn", "_output_nr", "_counter", "__dict__", "__weakref__")
    _requires_grad = False
    _grad = None
    _retains_grad = False
    _hooks = None
    _post_acc_hooks = None
    _grad_accumulator = None
    _is_inference = False
    _base = None
    _view_version = 0
    _view_creation = None
    _fw = None
    _legacy_new = None  # refgrad/_creation.py's legacy_new, set there
    _zt = False  # a ZeroTensor (PyTorch's efficient zeros: sgn's gradient of a real input): see _is_zerotensor

    # Tensors win over NumPy arrays in mixed binary operators.
    __array_priority__ = 1000

    def __new__(cls, *args, **kwargs):
        if cls is Tensor:  # the legacy constructor, torch.Tensor(2, 3) or torch.Tensor([1, 2])
            return Tensor._legacy_new(None, args, kwargs)
        return object.__new__(cls)

    @classmethod
    def _make(cls, data, dtype, device=CPU):
        t = object.__new__(cls)
        t._data = data
        t._dtype = dtype
        t._device = device
        t._grad_fn = None
        t._output_nr = 0
        t._counter = None  # made when first needed: most tensors are never saved, viewed or modified
        if _grad_state.inference:
            t._is_inference = True
        return t

    @property
    def _vc(self):
        """The version counter this tensor shares with its views."""
        counter = self._counter
        if counter is None:
            counter = self._counter = VersionCounter()
        return counter

    @_vc.setter
    def _vc(self, counter):
        self._counter = counter

    def _view_of(self, data):
        """A tensor sharing this one's data and version counter (no autograd history)."""
        t = Tensor._make(data, self._dtype, self._device)
        t._vc = self._vc
        t._base = self if self._base is None else self._base
        t._view_version = t._vc.value
        _inherit_inference(t, self)
        return t

    def _refresh_view(self):
        """PyTorch's grad_fn getter of a view: after an in-place change of its base or another view of it
        (the shared version moved past the one its grad_fn was made at), the grad_fn becomes
        AsStridedBackward0 of the base. A view made in no_grad/inference mode or by a multi-output op
        may not be regenerated: PyTorch raises."""
        version = self._vc.value
        if self._view_version == version or (self._grad_fn is None and not self._base.requires_grad):
            return
        check_view_creation(self, indirect=True)
        old_fn, old_nr = self._grad_fn, self._output_nr
        VIEW_HOOKS.regenerate(self)
        self._view_version = version
        self._move_retains_grad(old_fn, old_nr)

    def _move_retains_grad(self, old_fn, old_nr):
        """When its grad_fn changes, a tensor that retains its grad has it retained at the new one (PyTorch's
        update_tensor_hooks_on_new_gradfn); its tensor hooks stay with the old node."""
        if self._retains_grad and old_fn is not None and old_fn._hooks is not None:
            ref = old_fn._hooks.retains_grad.pop(old_nr, None)
            if ref is not None:
                self._grad_fn.hooks().retains_grad[self._output_nr] = ref

    # ----------------------------------------------------------------- metadata
    @property
    def dtype(self):
        return self._dtype

    @property
    def device(self):
        return self._device

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, scalar=False)]

    def dim(self):
        return self._data.ndim

    def stride(self, dim=None):
        """Elements to step in memory along each dim, NumPy's (whose view strides are PyTorch's) but for an empty
        tensor: NumPy gives each dim of one stride 0, PyTorch its row-major strides counting a size-0 dim as 1."""
        data = self._data
        if not data.size:
            strides, step = [], 1
            for n in reversed(data.shape):
                strides.insert(0, step)
                step *= max(n, 1)
        else:
            strides = [s // data.itemsize for s in data.strides]
        if dim is None:
            return tuple(strides)
        return strides[_wrap_dim(dim, data.ndim, scalar=False)]

    def is_contiguous(self, *args, **kwargs):
        """Whether the elements lie in row-major order, or in the memory_format given (PyTorch's words for a bad
        call: a C method's)."""
        if args:
            raise TypeError(f"is_contiguous() takes 0 positional arguments but {len(args)} "
                            f"{'was' if len(args) == 1 else 'were'} given")
        for name in kwargs:
            if name != "memory_format":
                raise TypeError(f"is_contiguous() got an unexpected keyword argument '{name}'")
        memory_format = kwargs.get("memory_format")
        check_memory_format("is_contiguous", memory_format)
        return is_contiguous_as(self._data, memory_format)

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._dtype.itemsize

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    def is_floating_point(self):
        return self._dtype.is_floating_point

    def is_complex(self):
        return False

    def is_inference(self):
        return self._is_inference

    def type(self, dtype=None, non_blocking=False, *, memory_format=None):
        if dtype is None:
            prefix = "torch.cuda." if self._device.type == "cuda" else "torch."
            return prefix + self._dtype._legacy
        if isinstance(dtype, str):  # a legacy type name: torch.DoubleTensor, torch.cuda.FloatTensor
            device, _, legacy = dtype.rpartition(".")
            found = [d for d in dt.ALL if d._legacy == legacy]
            if device not in ("torch", "torch.cuda") or not found:
                raise ValueError(f"invalid type: '{dtype}'")
            return self.to("cuda" if device == "torch.cuda" else "cpu", found[0])
        if not isinstance(dtype, dt.dtype):
            raise TypeError("dtype must be a type, str, or dtype object")
        return self.to(dtype)

    @property
    def itemsize(self):
        return self._dtype.itemsize

    @property
    def nbytes(self):
        """numel() * itemsize: what the elements take, whatever the storage (a view's or an expanded tensor's)."""
        return self._data.size * self._dtype.itemsize

    def get_device(self):
        return -1 if self._device.type == "cpu" else self._device.index

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ----------------------------------------------------------------- autograd state
    @property
    def requires_grad(self):
        if self._requires_grad or self._grad_fn is not None:
            return True
        return self._base is not None and self._base.requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if not isinstance(flag, bool):
            raise RuntimeError("requires_grad must be a bool")
        if self._grad_fn is not None and flag:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        self._set_requires_grad(flag, "only Tensors of floating point and complex dtype can require gradients")

    def requires_grad_(self, requires_grad=True):
        self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require gradients")
        return self

    def _set_requires_grad(self, flag, dtype_message):
        if not isinstance(flag, bool):
            raise TypeError(f"requires_grad must be a bool, not {type(flag).__name__}")
        if self._grad_fn is not None:
            if not flag:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
            return
        if flag and not self._dtype.is_floating_point:
            raise RuntimeError(dtype_message)
        if flag and self._is_inference and not _grad_state.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        self._requires_grad = flag

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad_fn(self):
        if self._base is not None:
            self._refresh_view()
        return self._grad_fn

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def _version(self):
        """How many times this tensor's data was modified in place (shared with its views)."""
        if self._is_inference:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._vc.value

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad and self._grad is None:
            warnings.warn(NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._dtype is not self._dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_c_type(value._dtype)}' to a tensor with "
                    f"grad_dtype '{dt.SCALAR_NAME[self._dtype]}'. The gradient must match the tensor's grad_dtype "
                    "(defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific "
                    "dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor "
                    "and its gradient may break downstream systems that assume they match.")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                    f"'{list(self._data.shape)}'. Please ensure that the gradient and the tensor are the same size")
            if value._device != self._device:
                raise RuntimeError(
                    f"attempting to assign a gradient located on device with index '{value.get_device()}' to a "
                    f"tensor located on device with index '{self.get_device()}'. Please ensure that the gradient "
                    "and the tensor are on the same device")
        self._grad = value

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self._grad_fn.hooks().retains_grad[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """hook(grad) runs when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return add_hook(self._grad_fn.tensor_pre_hooks(self._output_nr), hook)
        if self._hooks is None:
            self._hooks = _HookDict()
        return add_hook(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor) runs on a leaf once its .grad holds the accumulated gradient; it returns None."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = _HookDict()
        return add_hook(self._post_acc_hooks, hook)

    def _accumulator(self):
        """The AccumulateGrad node of a leaf that requires grad, shared while anything holds it."""
        node = self._grad_accumulator() if self._grad_accumulator is not None else None
        if node is None:
            node = AccumulateGrad(self)
            self._grad_accumulator = weakref.ref(node)
        return node

    def _edge(self):
        """Where gradients for this tensor enter the graph: (node, output_nr), or (None, 0)."""
        if self._base is not None:
            self._refresh_view()
        if self._grad_fn is not None:
            return (self._grad_fn, self._output_nr)
        if self._requires_grad:
            return (self._accumulator(), 0)
        return (None, 0)

    def detach(self):
        """A tensor sharing data and version counter with this one, cut from the graph."""
        t = Tensor._make(self._data, self._dtype, self._device)
        t._vc = self._vc
        _inherit_inference(t, self)
        if self._zt:
            t._zt = True
        return t

    def _is_zerotensor(self):
        """Is this one of PyTorch's ZeroTensors, zeros with no storage (sgn's gradient of a real input, and what
        its views, detach(), a product with it or a sum of two give)? It prints and reads (item()) as zeros, but
        tolist() and numpy() refuse it, and so does any in-place write (ZERO_TENSOR_IMMUTABLE); clone() or
        `+ 0` gives an ordinary tensor."""
        return self._zt

    def detach_(self):
        if _grad_state.inference or self._is_inference:
            return self  # PyTorch's detach_ is an autograd kernel, which inference mode and tensors skip
        if self._base is not None:  # any view, whether or not it requires grad
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() cannot be called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self._grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    @property
    def data(self):
        """Shares the data but not the version counter: changes through .data go unseen by autograd."""
        t = Tensor._make(self._data, self._dtype, self._device)
        _inherit_inference(t, self)
        if self._zt:
            t._zt = True
        return t

    @data.setter
    def data(self, value):
        self._data = value._data
        self._dtype = value._dtype
        self._device = value._device

    # ----------------------------------------------------------------- conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        if self._zt:
            raise RuntimeError("tolist() shouldn't be called on a tensor with unallocated storage")
        return self._data.tolist()

    def numpy(self, *, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu" and not force:
            raise TypeError(
                f"can't convert {self._device.type}:{self._device.index} device type tensor to numpy. Use "
                "Tensor.cpu() to copy the tensor to host memory first.")
        if self._zt and not force:
            raise RuntimeError(" Cannot convert a ZeroTensor to numpy. Set force=True if you need the zero array.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        data = self.numpy()
        return data if dtype is None else data.astype(dtype)

    def __bool__(self):
        if self._data.size != 1:
            if self._data.size == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self):
        self._warn_if_requires_grad()
        return float(self._scalar())

    def __complex__(self):
        self._warn_if_requires_grad()
        return complex(self._scalar())

    def _warn_if_requires_grad(self):
        if self.requires_grad and grad_mode.state.enabled:  # PyTorch warns only with grad mode on
            warn_once("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                      "Consider using tensor.detach() first.", stacklevel=3)

    def __int__(self):
        return int(self._scalar())

    def __index__(self):
        if self._dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __hash__(self):
        return id(self)

    def __repr__(self, *, tensor_contents=None):
        return tensor_repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._dtype.name, str(self._device), self._requires_grad))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        t = Tensor._make(self._data.copy(), self._dtype, self._device)
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t


def _rebuild(data, dtype_name, device, requires_grad):
    """Unpickling: a leaf with the pickled data, dtype, device and requires_grad."""
    t = Tensor._make(data, dt._BY_NAME[dtype_name], canonical(device))
    t._requires_grad = requires_grad
    return t


class _ViewHooks:
    """What the layers above give views: `regenerate(view)` sets a stale view's grad_fn to
    AsStridedBackward0 of its base (installed by refgrad/_dispatch.py, which records nodes)."""

    def regenerate(self, view):
        raise RuntimeError("refgrad's dispatch is not installed yet: import refgrad")


VIEW_HOOKS = _ViewHooks()
TENSOR.cls = Tensor  # what a saved tensor's unpack hook must return


_CREATION_HINTS = {
    "multi": " This view is the output of a function that returns multiple views. Such functions do not allow the "
             "output views to be modified inplace. You should replace the inplace operation by an out-of-place one.",
    "no_grad": " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
               "moving both the view and the inplace either both inside the no_grad block (if you don't want the "
               "inplace to be tracked) or both outside (if you want the inplace to be tracked).",
    "custom_function": " This view was created inside a custom Function (or because an input was returned as-is) "
                       "and the autograd logic to handle view+inplace would override the custom backward associated "
                       "with the custom Function, leading to incorrect gradients. This behavior is forbidden. You can "
                       "fix this by cloning the output of the custom Function.",
    "inference": " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code "
                 "by moving both the view and the inplace either both inside the inference_mode block (if you don't "
                 "want the inplace to be tracked) or both outside (if you want the inplace to be tracked).",
}


def check_view_creation(view, indirect):
    """PyTorch's handle_view_on_rebase: a view made in no_grad/inference mode, by a multi-output op or by a custom
    Function (an input it returned as-is, a view it made) must not be modified in place (directly, or `indirect`ly through its base or another view of it)."""
    creation = view._view_creation
    if creation is None:
        return
    what = "its base or another view of its base has been" if indirect else "is being"
    fn = view._grad_fn
    if creation not in ("multi", "custom_function") or fn is None:
        prefix = (f"Output {view._output_nr} of {_op_name(fn)} is a view of a view which was created in"
                  if fn is not None else "A view was created in")
        if creation == "inference":
            message = f"{prefix} inference mode and {what} modified inplace in normal mode."
        else:
            message = f"{prefix} no_grad mode and {what} modified inplace with grad mode enabled."
    else:
        message = f"Output {view._output_nr} of {_op_name(fn)} is a view and {what} modified inplace."
    raise RuntimeError(message + _CREATION_HINTS.get(creation, ""))


def _inherit_inference(t, source):
    """A view, detach or .data of `source` is an inference tensor exactly when `source` is."""
    if t._is_inference is not source._is_inference:
        t._is_inference = source._is_inference


def _wrap_dim(dim, ndim, scalar=True):
    """Turns a possibly negative dim into an index, with PyTorch's error when out of range. A 0-dim tensor
    takes dim 0 or -1 where PyTorch wraps scalars (`scalar`), and no dim at all elsewhere (size, roll)."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, not {type(dim).__name__}")
    if not ndim and not scalar:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})")
    return dim % rank if ndim else 0


def _c_type(d):
    return {dt.float32: "float", dt.float64: "double", dt.float16: "c10::Half", dt.int64: "long int",
            dt.int32: "int", dt.bool_: "bool"}.get(d, d.name)
