"""refgrad.nn: Module, Parameter, the layers and losses the d2l examples use, and `functional`."""
from . import functional, init
from .modules import (Module, Linear, Sequential, ReLU, Sigmoid, Tanh, GELU, Flatten, Dropout, Identity, MSELoss,
                      L1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss)
from .parameter import Parameter
