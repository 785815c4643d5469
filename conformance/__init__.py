"""conformance: runs identical autograd scenarios on refgrad and PyTorch and compares them field by field."""
__version__ = "0.1.0"
