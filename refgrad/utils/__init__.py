"""refgrad.utils: `data` (datasets and loaders), as torch.utils has them."""
from . import data

__all__ = ["data"]
