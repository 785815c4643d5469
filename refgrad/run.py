"""`python -m refgrad.run SCRIPT [ARGS...]`: run a PyTorch script unchanged on refgrad.

Installs the `torch` alias (refgrad.torch_alias) and runs SCRIPT as `__main__`, with `sys.argv` and
`sys.path[0]` set as `python SCRIPT [ARGS...]` would set them.
"""
import os
import runpy
import sys

from . import torch_alias


def main(argv):
    if not argv:
        sys.exit("usage: python -m refgrad.run SCRIPT [ARGS...]")
    script = argv[0]
    torch_alias.install()
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
