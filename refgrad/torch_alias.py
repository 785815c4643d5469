"""Run a PyTorch program unchanged on refgrad: `install()` makes `import torch` (and `torch.nn`,
`torch.nn.functional`, `torch.optim.lr_scheduler`, `torch.autograd`, ...) import refgrad's modules.

Every module of refgrad already loaded by `import refgrad` (which loads them all) is entered in
`sys.modules` under the name with `torch` in place of `refgrad`: `refgrad.nn.functional` becomes
`torch.nn.functional`. Registering them all, rather than a chosen few, keeps Python's import system from
loading a second copy of a refgrad module under a `torch.` name (its classes would then be other
classes). A `torch` submodule refgrad does not have (`torch.utils.data`) fails to import, as it should.
`python -m refgrad.run SCRIPT` installs the alias and runs the script.
"""
import sys

import refgrad


def install():
    """Make `torch` and its submodules refgrad's in this process; returns the names entered."""
    if "torch" in sys.modules and sys.modules["torch"] is not refgrad:
        raise RuntimeError("torch is already imported; install the refgrad alias before importing torch")
    aliases = {"torch" + name[len("refgrad"):]: module for name, module in list(sys.modules.items())
               if name == "refgrad" or name.startswith("refgrad.")}
    sys.modules.update(aliases)
    return sorted(aliases)
