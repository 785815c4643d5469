"""torch.einsum as a composite of differentiable ops: diagonal for repeated labels, permute and
unsqueeze onto one label order, a broadcast product, and a sum over the contracted labels.

PyTorch contracts pairs with bmm instead, so values and gradients agree but the grad_fn names
of the result differ (see known-divergences.toml).
"""
from . import _dtype as dt
from ._tensor import Tensor

__all__ = ["einsum"]


# The dims an ellipsis covers get labels no equation can use (PyTorch's subscripts are ASCII letters)
ELLIPSIS_LABELS = "".join(chr(0x3b1 + i) for i in range(25))


def _parse(equation, operands):
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                         if len(terms) < len(operands) else
                         "einsum(): fewer operands were provided than specified in the equation")
    ell_letters = ELLIPSIS_LABELS
    n_ell = max((op.dim() - len(t.replace("...", "")) for t, op in zip(terms, operands) if "..." in t), default=0)
    ell = ell_letters[:n_ell]
    labels = []
    for term, op in zip(terms, operands):
        if "..." in term:
            k = op.dim() - len(term.replace("...", ""))
            term = term.replace("...", ell[n_ell - k:])
        if len(term) != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not match the "
                               f"number of dimensions ({op.dim()}) for operand {len(labels)} and no ellipsis was "
                               "given")
        labels.append(term)
    if arrow:
        _check_output(rhs.replace("...", ""), labels)
        out = rhs.replace("...", ell)
    else:  # implicit output: ellipsis dims, then the labels seen once, in alphabetical order
        counts = {}
        for term in labels:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return labels, out


def _check_output(rhs, labels):
    for i, c in enumerate(rhs):
        if c in rhs[:i]:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
        if not any(c in term for term in labels):
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input operand")


def _check_sizes(labels, operands):
    """PyTorch's messages for a label whose sizes disagree, within one operand or across operands."""
    seen = {}
    for k, (term, op) in enumerate(zip(labels, operands)):
        first = {}
        for c, size in zip(term, op.shape):
            if c in first and size != first[c]:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, "
                                   f"{size} != {first[c]}")
            first.setdefault(c, size)
        for dim, (c, size) in enumerate(zip(term, op.shape)):
            before = seen.get(c, 1)
            if size != 1 and before != 1 and size != before:
                if c in ELLIPSIS_LABELS:
                    raise RuntimeError(f"einsum(): dimension {dim} covered by ellipsis in operand {k}has size {size} "
                                       f"which does not broadcast with previously seen ellipsis with size {before} "
                                       "for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {size} for operand {k} which does not broadcast "
                                   f"with previously seen size {before}")
            if size != 1:
                seen[c] = size


def _check_dtypes(labels, out, operands):
    """PyTorch contracts the operands left to right; a pair that shares a label (of size other than 1 in both)
    summed for good goes through bmm, which wants one dtype. Other pairs are multiplied, which promotes."""
    sizes = dict(zip(labels[0], operands[0].shape))
    dtype = operands[0].dtype
    for k in range(1, len(operands)):
        b_sizes = dict(zip(labels[k], operands[k].shape))
        needed = set(out).union(*labels[k + 1:])
        bmm = any(c in b_sizes and c not in needed and size != 1 and b_sizes[c] != 1 for c, size in sizes.items())
        nonempty = 0 not in sizes.values() and 0 not in b_sizes.values()
        if bmm and nonempty and dtype is dt.bool_:  # the kernel is picked by the left operand's dtype first
            raise NotImplementedError('"bmm" not implemented for \'Bool\'')
        if bmm and nonempty and dtype is not operands[k].dtype:
            raise RuntimeError(f"expected scalar type {dt.SCALAR_NAME[dtype]} but found "
                               f"{dt.SCALAR_NAME[operands[k].dtype]}")
        sizes = {c: max(sizes.get(c, 1), b_sizes.get(c, 1)) for c in {**sizes, **b_sizes} if c in needed}
        dtype = dt.promote_types(dtype, operands[k].dtype)


def _take_diagonals(t, term):
    """Repeated labels in one operand (`ii`) select the diagonal; returns the tensor and its distinct labels."""
    while True:
        seen = {}
        for i, c in enumerate(term):
            if c in seen:
                j = seen[c]
                t = t.diagonal(0, j, i)  # the diagonal goes last
                term = term[:j] + term[j + 1:i] + term[i + 1:] + c
                break
            seen[c] = i
        else:
            return t, term


def einsum(equation, operands):
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):  # ATen's einsum takes the operands as its argument 1, a TensorList
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got {type(op).__name__}")
    labels, out = _parse(equation, operands)
    _check_sizes(labels, operands)
    _check_dtypes(labels, out, operands)
    order = out + "".join(sorted({c for term in labels for c in term} - set(out)))
    product = None
    for t, term in zip(operands, labels):
        t, term = _take_diagonals(t, term)
        present = [c for c in order if c in term]
        t = t.permute(*[term.index(c) for c in present]) if term else t
        for i, c in enumerate(order):
            if c not in term:
                t = t.unsqueeze(i)
        product = t if product is None else product * t
    contracted = tuple(range(len(out), len(order)))
    return product.sum(contracted) if contracted else product
