"""Reductions, scans and normalisations, OpInfo style (see _opinfo.py): over everything, over one dim
and several, with keepdim, on 0-d inputs; forward values and grad_fn names, first and second derivatives."""
import math

from . import scenario
from ._opinfo import Sample as S, register_all

NAN = float("nan")
ROWS_WITH_TIES = ([[1.0, 3.0, 3.0], [-2.0, -2.0, 0.5]],)
ZEROS = ([[0.0, 0.0], [-0.0, 0.0]],)
ROWS_WITH_NAN = ([[1.0, NAN, 2.0], [3.0, 3.0, 1.0]],)

TABLE = {
    "sum": [S("all", lambda t, a: a.sum()), S("dim", lambda t, a: a.sum(1)), S("dims_keepdim",
            lambda t, a: t.sum(a, (0, 2), keepdim=True), ((2, 3, 2),)), S("0d", lambda t, a: a.sum(0), ((),)),
            S("empty_dims_is_all", lambda t, a: (a.sum(()), t.mean(a, [], keepdim=True), t.linalg.vector_norm(a, dim=())))],
    "mean": [S("all", lambda t, a: a.mean()), S("dim", lambda t, a: a.mean(-1, keepdim=True)),
             S("0d_dim", lambda t, a: a.mean(0), ((),)),
             S("dims", lambda t, a: t.mean(a, (0, 1)), ((2, 3, 2),))],
    "prod": [S("all", lambda t, a: a.prod()), S("dim", lambda t, a: a.prod(1)),
             S("keepdim", lambda t, a: t.prod(a, 0, keepdim=True)),
             S("with_zero", lambda t, a: t.cat([a, a * 0]).prod(0), ((2, 3),)),
             S("all_with_zero", lambda t, a: (a * t.tensor([1.0, 0.0, 1.0], dtype=a.dtype)).prod(), ((2, 3),)),
             S("all_with_one_zero", lambda t, a: a.prod(), values=([1.5, 0.0, -2.0, 0.5],)),
             S("dim_with_one_zero", lambda t, a: a.prod(1), values=([[1.5, 0.0, -2.0], [0.5, 1.0, 3.0]],)),
             S("0d", lambda t, a: a.prod(), ((),)), S("1d", lambda t, a: a.prod(), ((4,),)),
             S("1d_dim", lambda t, a: a.prod(0), ((3,),))],
    "max": [S("all", lambda t, a: a.max()), S("dim", lambda t, a: a.max(1)),
            S("keepdim", lambda t, a: t.max(a, 0, keepdim=True)), S("0d", lambda t, a: a.max(0), ((),)),
            S("ties", lambda t, a: a.max(), values=ROWS_WITH_TIES),
            S("ties_dim", lambda t, a: a.max(1), values=ROWS_WITH_TIES),
            S("nan_keepdim", lambda t, a: t.max(a, 1, keepdim=True), values=ROWS_WITH_NAN),
            S("nan_all", lambda t, a: a.max(), values=ROWS_WITH_NAN)],
    "min": [S("all", lambda t, a: a.min()), S("dim", lambda t, a: a.min(-1)),
            S("keepdim", lambda t, a: t.min(a, dim=1, keepdim=True)),
            S("ties", lambda t, a: a.min(), values=ROWS_WITH_TIES),
            S("nan_dim", lambda t, a: a.min(0), values=ROWS_WITH_NAN)],
    "amax": [S("all", lambda t, a: a.amax()), S("dims", lambda t, a: a.amax((0, 2)), ((2, 3, 2),)),
             S("keepdim", lambda t, a: t.amax(a, 1, keepdim=True)),
             S("ties", lambda t, a: a.amax(1), values=ROWS_WITH_TIES),
             S("nan", lambda t, a: a.amax(0), values=ROWS_WITH_NAN)],
    "amin": [S("all", lambda t, a: t.amin(a)), S("dim", lambda t, a: a.amin(-1)),
             S("ties", lambda t, a: a.amin(), values=ROWS_WITH_TIES)],
    "argmax": [S("all", lambda t, a: a.argmax()), S("dim", lambda t, a: a.argmax(1)),
               S("keepdim", lambda t, a: t.argmax(a, 0, keepdim=True)), S("argmin", lambda t, a: a.argmin(dim=1)),
               S("argmin_all", lambda t, a: t.argmin(a)),
               S("argmin_keepdim", lambda t, a: t.argmin(a, 1, keepdim=True)),
               S("ties", lambda t, a: (a.argmax(1), a.argmin(0, keepdim=True)), values=ROWS_WITH_TIES),
               S("nan", lambda t, a: (a.argmax(1), a.argmin()), values=ROWS_WITH_NAN)],
    "norm": [S("default", lambda t, a: a.norm()), S("p1_dim", lambda t, a: a.norm(1, dim=1)),
             S("p3_keepdim", lambda t, a: t.norm(a, 3, dim=0, keepdim=True)),
             S("inf", lambda t, a: a.norm(float("inf"))), S("0d", lambda t, a: a.norm(), ((),)),
             S("at_zero", lambda t, a: a.norm(), values=ZEROS), S("p1_at_zero", lambda t, a: a.norm(1), values=ZEROS),
             S("p3_at_zero", lambda t, a: a.norm(3), values=ZEROS),
             S("inf_at_zero", lambda t, a: a.norm(float("inf")), values=ZEROS),
             S("inf_ties", lambda t, a: a.norm(float("inf")), values=ROWS_WITH_TIES)],
    "vector_norm": [S("default", lambda t, a: t.linalg.vector_norm(a)),
                    S("ord1_dim", lambda t, a: t.linalg.vector_norm(a, 1, dim=1)),
                    S("ord_half", lambda t, a: t.linalg.vector_norm(a, 0.5, dim=(0, 1), keepdim=True)),
                    S("ord_neg_inf", lambda t, a: t.linalg.vector_norm(a, float("-inf"), dim=0))],
    "var": [S("all", lambda t, a: a.var()), S("dim", lambda t, a: a.var(1)),
            S("correction0", lambda t, a: t.var(a, 0, correction=0)),
            S("unbiased_false", lambda t, a: a.var(1, unbiased=False, keepdim=True))],
    "std": [S("all", lambda t, a: a.std()), S("dim_correction2", lambda t, a: t.std(a, dim=1, correction=2),
                                              ((2, 4),)),
            S("keepdim", lambda t, a: a.std(0, keepdim=True))],
    "logsumexp": [S("dim", lambda t, a: a.logsumexp(1)), S("dims_keepdim",
                  lambda t, a: t.logsumexp(a, (0, 1), keepdim=True))],
    "softmax": [S("dim1", lambda t, a: a.softmax(1)), S("dim0", lambda t, a: t.softmax(a, 0)),
                S("3d", lambda t, a: a.softmax(-1), ((2, 2, 3),))],
    "log_softmax": [S("dim1", lambda t, a: a.log_softmax(1)), S("dim0", lambda t, a: t.log_softmax(a, dim=0))],
    "cumsum": [S("dim1", lambda t, a: a.cumsum(1)), S("dim0", lambda t, a: t.cumsum(a, dim=0)),
               S("0d", lambda t, a: a.cumsum(0), ((),))],
    "cumprod": [S("dim1", lambda t, a: a.cumprod(1)), S("dim0", lambda t, a: t.cumprod(a, dim=0)),
                S("with_zero", lambda t, a: (a * t.tensor([1.0, 0.0, 1.0, 1.0], dtype=a.dtype)).cumprod(0),
                  ((4,),)),
                S("two_zeros", lambda t, a: (a * t.tensor([1.0, 0.0, 1.0, 0.0], dtype=a.dtype)).cumprod(0),
                  ((4,),)),
                S("all_zeros", lambda t, a: a.cumprod(0), values=([0.0, 0.0, 0.0],)),
                S("zeros_2d", lambda t, a: a.cumprod(1), values=([[1.5, 0.0, 2.0], [0.5, -1.0, 0.0]],))],
    # sorting and selection: ties only where PyTorch's choice among them is its stable sort's (sort, mode)
    "sort": [S("dim", lambda t, a: a.sort(1)), S("descending_dim0", lambda t, a: t.sort(a, 0, descending=True)),
             S("stable_ties", lambda t, a: a.sort(stable=True), values=ROWS_WITH_TIES),
             S("nan_descending", lambda t, a: a.sort(descending=True), values=ROWS_WITH_NAN),
             S("0d", lambda t, a: a.sort(), ((),)), S("argsort", lambda t, a: t.argsort(a, 1))],
    "topk": [S("largest", lambda t, a: a.topk(2)), S("smallest_dim0", lambda t, a: t.topk(a, 1, 0, largest=False))],
    "kthvalue": [S("dim", lambda t, a: a.kthvalue(2, 1)), S("keepdim", lambda t, a: t.kthvalue(a, 1, 0, keepdim=True))],
    "median": [S("all", lambda t, a: a.median()), S("all_even", lambda t, a: t.median(a), ((4,),)),
               S("dim", lambda t, a: a.median(1)), S("ties_all", lambda t, a: a.median(), values=ROWS_WITH_TIES),
               S("nan", lambda t, a: (a.median(1), a.median()), values=([[1.0, NAN, 2.0], [3.0, 0.5, 1.0]],))],
    "mode": [S("ties", lambda t, a: a.mode(1), values=ROWS_WITH_TIES), S("distinct", lambda t, a: t.mode(a, 0))],
    "all_any": [S("all", lambda t, a: ((a > -1).all(), (a > 1).any())),
                S("dim", lambda t, a: ((a > 0).all(1), t.any(a > 1, 0, keepdim=True)))],
}

globals().update(register_all(__name__, TABLE))


@scenario
def softmax_implicit_dim(torch, rec):
    """F.softmax / F.log_softmax without dim: PyTorch's deprecated implicit choice (dim 0 for 0-, 1- and 3-d
    inputs, 1 otherwise), with its UserWarning; dtype as a keyword or the fourth argument."""
    F = torch.nn.functional
    for shape in ((), (3,), (2, 3), (2, 2, 3), (2, 1, 2, 2)):
        x = torch.arange(float(math.prod(shape))).reshape(shape)
        key = "x".join(map(str, shape)) or "0d"
        rec.raises(f"softmax.{key}", lambda: F.softmax(x))
        rec.raises(f"log_softmax.{key}", lambda: F.log_softmax(x))
    x = torch.tensor([[1.0, 2.0], [0.5, -1.0]], requires_grad=True)
    y = F.softmax(x, dtype=torch.float64)
    y.sum().backward()
    rec("dtype_keyword", y)
    rec("grad", x.grad)
    rec.raises("dtype_positional", lambda: F.log_softmax(x, None, 3, torch.float64))
    rec.raises("int_input", lambda: F.softmax(torch.tensor([1, 2])))


@scenario
def argmax_bool_before_empty(torch, rec):
    """argmax/argmin refuse a bool input before they look at its (empty) dims."""
    for name in ("argmax", "argmin"):
        rec.raises(f"{name}.empty_dim", lambda: getattr(torch.tensor([], dtype=torch.bool), name)(0))
        rec.raises(f"{name}.empty", lambda: getattr(torch.tensor([], dtype=torch.bool), name)())
        rec.raises(f"{name}.bool", lambda: getattr(torch.tensor([True, False]), name)())
        rec.raises(f"{name}.empty_int", lambda: getattr(torch.tensor([], dtype=torch.int64), name)(0))


@scenario
def softmax_of_empty_integers(torch, rec):
    """softmax and log_softmax of an empty integer or bool tensor give it back (no kernel runs); of a
    non-empty one they fail naming the kernel."""
    F = torch.nn.functional
    for dtype in ("int64", "bool"):
        empty = torch.zeros(0, 3, dtype=getattr(torch, dtype))
        rec(f"{dtype}.softmax_last", empty.softmax(1))
        rec(f"{dtype}.softmax_first", torch.softmax(empty, 0))
        rec(f"{dtype}.log_softmax", empty.log_softmax(-1))
        rec(f"{dtype}.functional", F.softmax(empty, 1))
    rec("given_dtype", torch.tensor([], dtype=torch.int64).softmax(0, dtype=torch.float32))
    rec.raises("nonempty", lambda: torch.tensor([1, 2]).softmax(0))


@scenario
def cumulative_ops_accumulate_wider(torch, rec):
    """cumsum and cumprod accumulate float32 in double and half in float32, rounding each element once
    (PyTorch's CPU kernels): a cancellation keeps the small terms, and each element equals the scan in the
    wider type rounded back."""
    x = torch.tensor([0.33333334, 0.1, 0.7, 1e8, -1e8, 0.3, 0.1])
    rec("cancellation", x.cumsum(0))
    rec("cancellation_2d", torch.stack([x, -x]).cumsum(1))
    steps = torch.linspace(0.95, 1.05, 400)
    for wide, narrow in (("float64", "float32"), ("float32", "float16")):
        a = steps.to(getattr(torch, narrow)).reshape(4, 100)
        for op in ("cumsum", "cumprod"):
            wider = getattr(a.to(getattr(torch, wide)), op)(1).to(a.dtype)
            rec(f"{narrow}.{op}.exact", bool((getattr(a, op)(1) == wider).all()))
            rec(f"{narrow}.{op}.exact_dim0", bool((getattr(a, op)(0) == getattr(a.to(getattr(torch, wide)), op)(0)
                                                   .to(a.dtype)).all()))


@scenario
def reduction_results_are_row_major(torch, rec):
    """A reduction's result is a fresh row-major tensor: flatten() and view(-1) of it are views (ViewBackward0),
    whatever the order or the reduced dim."""
    x = rec.tensor(2, 3, 4, requires_grad=True)
    for ord in (1, 2, 3, float("inf"), 0):
        for dim in (-1, 1, (0, 2)):
            y = torch.linalg.vector_norm(x, ord=ord, dim=dim)
            rec(f"vector_norm.{ord}.{dim}", [y.flatten().grad_fn.name(), y.view(-1).shape])
    for name, y in {"sum": x.sum(1), "amax": x.amax(-1), "prod": x.prod(0), "logsumexp": x.logsumexp(1)}.items():
        rec(name, y.flatten().grad_fn.name())
