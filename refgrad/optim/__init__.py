"""refgrad.optim: SGD, Adam, AdamW, RMSprop and Adagrad (PyTorch's single-tensor updates), and lr_scheduler."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

# as in PyTorch, the modules are not attributes of the package (torch.optim.adam raises AttributeError)
del adagrad, adam, adamw, optimizer, rmsprop, sgd  # noqa: F821

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
