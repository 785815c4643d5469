"""refgrad.cuda: CUDA as a simulated device tag.

refgrad computes on the host, so a "cuda" tensor is a NumPy array labelled cuda:N. The number of
simulated devices is REFGRAD_CUDA_DEVICES (default 1).
"""
import os

_current = [0]


def is_available():
    return device_count() > 0


def device_count():
    return int(os.environ.get("REFGRAD_CUDA_DEVICES", "1"))


def current_device():
    return _current[0]


def set_device(device):
    _current[0] = device if isinstance(device, int) else (device.index or 0)


def synchronize(device=None):
    pass


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass
