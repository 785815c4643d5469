"""nn.init: in-place initialisers (values come from refgrad's own generator, not torch's)."""
from ..autograd import grad_mode

__all__ = ["normal_", "uniform_", "zeros_", "ones_", "constant_"]


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    with grad_mode.no_grad():
        return tensor.normal_(mean, std)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    with grad_mode.no_grad():
        return tensor.uniform_(a, b)


def constant_(tensor, val):
    with grad_mode.no_grad():
        return tensor.fill_(val)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)
