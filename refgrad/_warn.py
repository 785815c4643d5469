"""PyTorch's TORCH_WARN_ONCE: a warning given once per process, whatever the warning filters say."""
import warnings

_given = set()


def warn_once(message, category=UserWarning, stacklevel=2):
    if message not in _given:
        _given.add(message)
        warnings.warn(message, category, stacklevel=stacklevel + 1)
