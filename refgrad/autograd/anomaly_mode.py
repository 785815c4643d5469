"""Anomaly mode: detect_anomaly and set_detect_anomaly (PyTorch's torch.autograd.anomaly_mode).

While it is on, every node made remembers the traceback of the forward call that made it
(`node.metadata["traceback_"]`) and, when made by a backward that records (create_graph), the node
whose backward made it (`metadata["parent_"]`). The engine then checks each node's outputs for NaN
(with check_nan) and, when a node fails, warns with those tracebacks before the error goes on.
The mode is global to the process, as PyTorch's AnomalyMode is.
"""
import os
import traceback
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _State:
    enabled = False
    check_nan = True
    node = None  # the node the engine is running, the parent of the nodes its backward makes


state = _State()


def is_anomaly_enabled():
    return state.enabled


def is_anomaly_check_nan_enabled():
    return state.check_nan


def set_anomaly_enabled(enabled, check_nan=True):
    for position, (name, value) in enumerate((("enabled", enabled), ("check_nan", check_nan)), 1):
        if not isinstance(value, bool):
            raise TypeError(f"set_anomaly_enabled(): argument '{name}' (position {position}) must be bool, not "
                            f"{type(value).__name__}")
    state.enabled, state.check_nan = enabled, check_nan


class detect_anomaly:
    """Enables anomaly detection inside the block (a context manager only, as PyTorch's)."""

    def __init__(self, check_nan=True):
        self.prev = state.enabled
        self.check_nan = check_nan
        self.prev_check_nan = state.check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Sets anomaly detection on or off when made; as a context manager, restores it on exit."""

    def __init__(self, mode, check_nan=True):
        self.prev = state.enabled
        self.prev_check_nan = state.check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *args):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


def record(node):
    """Called by a node made in anomaly mode: the forward's traceback (refgrad's own frames below the
    user's call left out, as PyTorch's C++ ops show none) and the running node as parent."""
    frames = traceback.extract_stack()
    end = len(frames)
    while end and frames[end - 1].filename.startswith(_PACKAGE):
        end -= 1
    metadata = node.metadata
    metadata["traceback_"] = traceback.format_list(frames[:end])
    if state.node is not None:
        metadata["parent_"] = state.node


def warn_failed(node):
    """PyTorch's warnings when `node` failed in anomaly mode: its forward traceback, then its parents'."""
    _warn_stack(node.metadata.get("traceback_"), node.name(), False)
    parent = node.metadata.get("parent_")
    while parent is not None:
        _warn_stack(parent.metadata.get("traceback_"), parent.name(), True)
        parent = parent.metadata.get("parent_")


def _warn_stack(stack, name, is_parent):
    if stack is None:
        message = (f"Error detected in {name}. No forward pass information available. Enable detect anomaly "
                   "during forward pass for more information.")
    elif is_parent:
        message = (f"\n\nPrevious calculation was induced by {name}. Traceback of forward call that induced the "
                   f"previous calculation:\n{''.join(stack)}")
    else:
        message = f"Error detected in {name}. Traceback of forward call that caused the error:\n{''.join(stack)}"
    warnings.warn(message, UserWarning, stacklevel=4)
