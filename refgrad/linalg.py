"""refgrad.linalg: vector norms, determinants and inverses of small matrices."""
from ._ops import vector_norm, norm, det, linalg_inv as inv, matmul, _LinAlgError as LinAlgError

__all__ = ["vector_norm", "norm", "det", "inv", "matmul", "LinAlgError"]
