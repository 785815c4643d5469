"""Anomaly mode: detect_anomaly and set_detect_anomaly, their flags and forms; in anomaly mode, NaN in a
node's outputs, errors raised in backward, and the warnings that give the forward traceback of the failed
node (and of the nodes whose backward made it).

What is compared of those warnings: the category, the first line ("Error detected in SqrtBackward0.
Traceback of forward call that caused the error:") and the frames of this file in the traceback (function
and source line). The rest names each engine's own files (torch's Python frames, such as Function.apply's,
and the C++ source of the warning) and the harness's, which differ between engines and installs; the frames
of this file are where the op was called, the same for every engine. The warning's own location (PyTorch's
is torch/autograd/graph.py) is an engine file too and is not compared.

Anomaly mode is global to the process: every scenario turns it off again, even when it fails.
"""
import contextlib
import warnings

from ..observe import normalize_message
from . import scenario


@contextlib.contextmanager
def _restoring(torch):
    try:
        yield
    finally:
        torch.autograd.set_detect_anomaly(False)


def _frames_here(text):
    """(function, source line) of each frame of this file in a traceback text."""
    lines = text.split("\n")
    frames = []
    for i, line in enumerate(lines):
        if line.startswith(f'  File "{__file__}"'):
            code = lines[i + 1].strip() if i + 1 < len(lines) else ""
            frames.append([line.rsplit(" in ", 1)[-1], code])
    return frames


def _reduced(warning):
    text = normalize_message(warning.message).lstrip("\n")
    return [warning.category.__name__, text.split("\n", 1)[0], _frames_here(text)]


def _record_anomaly(rec, name, fn):
    """Runs fn; records its result or exception, and its warnings reduced to what every engine shares."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn()
        except Exception as exc:
            result = exc
    rec(name, result)
    rec(f"{name}.warnings", [_reduced(w) for w in caught])


def _nan_sqrt(torch, rec):
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt() * 0  # MulBackward0 gives 0, then SqrtBackward0 0 / (2 * 0)
    y.sum().backward()
    return x.grad


@scenario
def flags_and_forms(torch, rec):
    with _restoring(torch):
        rec("default", [torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()])
        rec.raises("detect_anomaly_warns", lambda: torch.autograd.detect_anomaly() and None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            block = torch.autograd.detect_anomaly()
            rec("made_not_entered", torch.is_anomaly_enabled())
            with block:
                rec("inside", [torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()])
                with torch.autograd.detect_anomaly(check_nan=False):
                    rec("nested_no_nan", [torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()])
                rec("back", [torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()])
            rec("after", torch.is_anomaly_enabled())
        setter = torch.autograd.set_detect_anomaly(True, check_nan=False)
        rec("set_as_function", [torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()])
        with setter:
            rec("set_block", torch.is_anomaly_enabled())
        rec("set_block_restores", [torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()])
        with torch.autograd.set_detect_anomaly(True):
            with torch.autograd.set_detect_anomaly(False):
                rec("set_nested", torch.is_anomaly_enabled())
            rec("set_nested_back", torch.is_anomaly_enabled())
        rec("set_warns_nothing", [torch.is_anomaly_enabled()])
        torch.set_anomaly_enabled(True)
        rec("set_anomaly_enabled", [torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()])
        torch.set_anomaly_enabled(False)
        rec.raises("set_int", lambda: torch.autograd.set_detect_anomaly(1))
        rec.raises("set_check_nan_int", lambda: torch.autograd.set_detect_anomaly(True, 1))
        rec.raises("set_anomaly_enabled_int", lambda: torch.set_anomaly_enabled(0))
        rec.raises("enter_check_nan_int", lambda: torch.autograd.detect_anomaly(check_nan=1).__enter__())
        rec.raises("not_a_decorator", lambda: torch.autograd.set_detect_anomaly(False)(lambda: None))
        rec("end", torch.is_anomaly_enabled())


@scenario
def nan_in_backward(torch, rec):
    """In anomaly mode (with check_nan) a node that returns NaN raises, after the warning that gives its
    forward traceback; without anomaly mode or with check_nan=False the NaN reaches the grad."""
    with _restoring(torch):
        _record_anomaly(rec, "off", lambda: _nan_sqrt(torch, rec))
        with torch.autograd.set_detect_anomaly(True):
            _record_anomaly(rec, "on", lambda: _nan_sqrt(torch, rec))
        with torch.autograd.set_detect_anomaly(True, check_nan=False):
            _record_anomaly(rec, "check_nan_false", lambda: _nan_sqrt(torch, rec))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with torch.autograd.detect_anomaly():
                _record_anomaly(rec, "detect_anomaly", lambda: _nan_sqrt(torch, rec))


@scenario
def nan_in_later_outputs_and_roots(torch, rec):
    """The index of the output that has NaN; a NaN gradient handed to a leaf (no node runs but
    AccumulateGrad, which has no outputs); several roots, whose GraphRoot hands a NaN on."""
    def second_output():
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        w = torch.tensor([0.0, 1.0], requires_grad=True)
        (x * w.sqrt() * 0).sum().backward()

    def leaf():
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        x.backward(torch.tensor([float("nan"), 1.0]))
        return x.grad

    def roots():
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        torch.autograd.backward([(x * 2).sum(), (x * 3).sum()], [torch.tensor(float("nan")), torch.tensor(1.0)])

    def one_root():
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 2).sum()
        y.backward(torch.tensor(float("nan")))

    with _restoring(torch):
        with torch.autograd.set_detect_anomaly(True):
            _record_anomaly(rec, "second_output", second_output)
            _record_anomaly(rec, "leaf", leaf)
            _record_anomaly(rec, "roots", roots)
            _record_anomaly(rec, "one_root", one_root)


@scenario
def errors_raised_in_backward(torch, rec):
    """In anomaly mode an error raised while a node runs (its backward, a hook, a bad gradient, a modified
    saved tensor) comes after the warning with the node's forward traceback; the error is unchanged, but for
    the modified-tensor hint, which points at that warning."""
    class Raises(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom in backward")

    class WrongShape(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return torch.ones(3)

    def custom():
        x = torch.ones(2, requires_grad=True)
        Raises.apply(x).sum().backward()

    def wrong_shape():
        x = torch.ones(2, requires_grad=True)
        WrongShape.apply(x).sum().backward()

    def hook():
        x = torch.ones(2, requires_grad=True)
        y = x.exp()
        y.register_hook(lambda g: {}["missing"])
        y.sum().backward()

    def modified():
        x = torch.ones(2, requires_grad=True)
        y = x.exp()
        y.add_(1)
        y.sum().backward()

    def freed():
        x = torch.ones(2, requires_grad=True)
        y = x.exp()
        y.sum().backward()
        y.sum().backward()

    with _restoring(torch):
        _record_anomaly(rec, "custom_off", custom)
        _record_anomaly(rec, "modified_off", modified)
        with torch.autograd.set_detect_anomaly(True):
            for fn in (custom, wrong_shape, hook, modified, freed):
                _record_anomaly(rec, fn.__name__, fn)


@scenario
def tracebacks_of_parents_and_missing_ones(torch, rec):
    """A node made by a backward with create_graph remembers the node whose backward made it (metadata
    "parent_"); when it fails, the parents' tracebacks follow its own. A node made outside anomaly mode has
    no traceback: the warning says so. A backward run inside a custom backward fails with its own node's
    warnings, then the custom node's."""
    def parent():
        x = torch.tensor([0.0, 1.0], requires_grad=True)
        y = x.sqrt()
        g, = torch.autograd.grad(y.sum(), x, create_graph=True)
        (g * 0).sum().backward()

    class Nested(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            with torch.enable_grad():
                a = torch.zeros(1, requires_grad=True)
                b = a.sqrt()
                torch.autograd.grad(b.sum() * 0, a)
            return g

    def nested():
        x = torch.ones(2, requires_grad=True)
        Nested.apply(x).sum().backward()

    with _restoring(torch):
        x = torch.tensor([0.0, 1.0], requires_grad=True)
        y = x.sqrt() * 0
        with torch.autograd.set_detect_anomaly(True):
            _record_anomaly(rec, "made_outside", lambda: y.sum().backward())
            _record_anomaly(rec, "parent", parent)
            _record_anomaly(rec, "nested", nested)


@scenario
def node_metadata(torch, rec):
    """metadata["traceback_"]: the formatted frames of the forward call (its frames of this file compared);
    metadata["parent_"] on nodes a recording backward made; nothing outside anomaly mode."""
    with _restoring(torch):
        x = torch.tensor(rec.data(2), requires_grad=True)
        rec("outside", sorted(x.exp().grad_fn.metadata))
        with torch.autograd.set_detect_anomaly(True):
            y = x.exp()
            meta = y.grad_fn.metadata
            rec("keys", sorted(meta))
            rec("traceback_type", [type(meta["traceback_"]).__name__,
                                   sorted({type(s).__name__ for s in meta["traceback_"]})])
            rec("frames", _frames_here("".join(meta["traceback_"])))
            g, = torch.autograd.grad(y.sum(), x, create_graph=True)
            rec("made_by_backward", [sorted(g.grad_fn.metadata), g.grad_fn.metadata["parent_"].name()])
            rec("parent_is_node", g.grad_fn.metadata["parent_"] is y.grad_fn)
