"""refgrad.nn: Module, Parameter, the containers, the layers and losses of the d2l examples and learners' CNN and
MLP programs, `functional`, `init` and `utils`."""
from . import functional, init, utils
from .modules import (Module, Linear, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, ReLU,
                      Sigmoid, Tanh, GELU, Flatten, Dropout, Identity, MSELoss, L1Loss, CrossEntropyLoss, NLLLoss,
                      BCELoss, BCEWithLogitsLoss)
from .layers import (Conv1d, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d, LayerNorm,
                     Embedding, Unflatten, Softmax, LogSoftmax, LeakyReLU, ELU, CELU, SiLU, Softplus, Hardtanh, ReLU6,
                     SELU, Softsign, Hardswish, Hardsigmoid, Mish, Tanhshrink, SmoothL1Loss, HuberLoss, KLDivLoss)
from .parameter import Parameter
