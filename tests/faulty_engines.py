"""Third-party subjects that misbehave, for the harness's robustness tests (`faulty_engines:NAME`).

Each is a factory(device) returning a torch-like namespace: refgrad, except that making a tensor
hangs, hangs where no Python signal can reach it, or kills the process.
"""
import os
import signal
import time

import refgrad
from conformance.subjects import FACTORIES


class _Refgrad:
    """refgrad with every tensor factory replaced by `factory`."""

    def __init__(self, factory):
        self._factory = factory

    def __getattr__(self, name):
        return self._factory if name in FACTORIES else getattr(refgrad, name)


def hanging(device):
    def tensor(*args, **kwargs):
        while True:
            time.sleep(0.05)
    return _Refgrad(tensor)


def deaf_hanging(device):
    """Hangs with SIGALRM ignored, like a hang inside C code: only killing the worker stops it."""
    def tensor(*args, **kwargs):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        time.sleep(3600)
    return _Refgrad(tensor)


def crashing(device):
    def tensor(*args, **kwargs):
        os._exit(3)
    return _Refgrad(tensor)


def segfaulting(device):
    def tensor(*args, **kwargs):
        import ctypes
        ctypes.string_at(0)  # reads address 0: SIGSEGV, as a broken C extension would
    return _Refgrad(tensor)


def unloadable(device):
    raise ImportError("this engine needs a library that is not installed")


def plain(device):
    """refgrad itself, reached through the plugin point."""
    return refgrad
