"""refgrad.nn: Module, Parameter, the containers, the layers and losses the d2l examples use, `functional`,
`init` and `utils`."""
from . import functional, init, utils
from .modules import (Module, Linear, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, ReLU,
                      Sigmoid, Tanh, GELU, Flatten, Dropout, Identity, MSELoss, L1Loss, CrossEntropyLoss, NLLLoss,
                      BCELoss, BCEWithLogitsLoss)
from .parameter import Parameter
