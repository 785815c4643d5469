"""refgrad.optim: SGD (momentum, dampening, Nesterov, weight decay, maximize), as torch.optim.SGD."""
from .sgd import SGD, Optimizer

__all__ = ["SGD", "Optimizer"]
