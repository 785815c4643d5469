"""refgrad.linalg: vector norms, determinants, inverses, solves and SVDs of small matrices."""
from ._ops import vector_norm, norm, det, linalg_inv as inv, matmul, _LinAlgError as LinAlgError
from ._ops import linalg_solve as solve, linalg_svd as svd

__all__ = ["vector_norm", "norm", "det", "inv", "matmul", "LinAlgError", "solve", "svd"]
