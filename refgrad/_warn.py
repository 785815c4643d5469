"""PyTorch's TORCH_WARN_ONCE: a warning given once per process, whatever the warning filters say."""
import warnings

_given = set()


def warn_once(message, category=UserWarning, stacklevel=2, site=None):
    """site: what PyTorch's once is kept for, when its message varies (a TORCH_WARN_ONCE that shows sizes)."""
    key = message if site is None else site
    if key not in _given:
        _given.add(key)
        warnings.warn(message, category, stacklevel=stacklevel + 1)
