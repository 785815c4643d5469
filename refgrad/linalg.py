"""refgrad.linalg: vector norms for now."""
from ._ops import vector_norm, norm

__all__ = ["vector_norm", "norm"]
