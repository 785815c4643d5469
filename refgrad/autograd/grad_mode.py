"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode; and the engine's switches
set_multithreading_enabled and enforce_grad_layout_policy.

Each is a context manager and a decorator, like PyTorch's. The state is thread-local, as
in PyTorch; the engine reads `state.enabled` on every op.
"""
import functools
import inspect
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "set_multithreading_enabled",
           "enforce_grad_layout_policy"]


class _State(threading.local):
    enabled = True
    inference = False
    multithreading = True  # refgrad's engine runs on the calling thread whatever it says
    layout_enforced = True  # AccumulateGrad's gradient layout contract (see engine._accumulate_into)


state = _State()


def is_grad_enabled():
    return state.enabled


def is_inference_mode_enabled():
    return state.inference


class _DecoratorContextManager:
    """A context manager that can also decorate functions (and generator functions)."""

    def __call__(self, func):
        if inspect.isclass(func):
            raise RuntimeError("Cannot decorate classes; it is ambiguous")
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def generator(*args, **kwargs):
                gen = func(*args, **kwargs)
                try:
                    with self.clone():
                        response = gen.send(None)
                    while True:
                        try:
                            request = yield response
                        except GeneratorExit:
                            with self.clone():
                                gen.close()
                            raise
                        except BaseException as exc:
                            with self.clone():
                                response = gen.throw(exc)
                        else:
                            with self.clone():
                                response = gen.send(request)
                except StopIteration as stop:
                    return stop.value
            return generator

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class _GradModeBase(_DecoratorContextManager):
    """Sets grad mode on enter and restores the previous mode on exit."""

    _mode = True

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None and callable(orig_func) and cls._decorates_bare:
            # `@no_grad` without parentheses
            self.__init__()
            return self(orig_func)
        return self

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._mode

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False


class no_grad(_GradModeBase):
    """Disables gradient recording: results of ops do not require grad."""

    _mode = False
    _decorates_bare = True

    def __init__(self, orig_func=None):
        pass


class enable_grad(_GradModeBase):
    """Enables gradient recording inside a no_grad or set_grad_enabled(False) region."""

    _mode = True
    _decorates_bare = True

    def __init__(self, orig_func=None):
        pass


class set_grad_enabled(_DecoratorContextManager):
    """Sets grad mode to `mode`; effective at once when called, restored on exit as a context."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self.prev = state.enabled
        self.mode = mode
        state.enabled = mode

    def __call__(self, func):
        state.enabled = self.prev
        return super().__call__(func)

    def __enter__(self):
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False

    def __repr__(self):
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.mode})"

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like no_grad, and tensors created inside are inference tensors that autograd refuses to save."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # `@inference_mode` without parentheses

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self._prev = (state.enabled, state.inference)
        if self.mode:
            state.enabled, state.inference = False, True
        else:
            state.enabled, state.inference = True, False

    def __exit__(self, *exc):
        state.enabled, state.inference = self._prev
        return False

    def clone(self):
        return self.__class__(self.mode)


def _checked_bool(value, function):
    if not isinstance(value, bool):
        raise TypeError(f"{function}(): argument 'enabled' (position 1) must be bool, not {type(value).__name__}")
    return value


class _SetAtOnce(_DecoratorContextManager):
    """A process flag set when the object is made (by calling it as a function), restored on exit."""
    flag = function = None

    def __init__(self, mode):
        self.prev = getattr(state, self.flag)
        setattr(state, self.flag, _checked_bool(mode, self.function))
        self.mode = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        setattr(state, self.flag, self.prev)

    def clone(self):
        return self.__class__(self.mode)


class set_multithreading_enabled(_SetAtOnce):
    """Enables or disables multithreaded backward. Backward runs on the calling thread in refgrad, as PyTorch's
    does on the CPU, so it changes nothing else."""
    flag, function = "multithreading", "set_multithreading_enabled"

    def __init__(self, mode):  # its own, so a missing argument is named as PyTorch's names it
        super().__init__(mode)


class enforce_grad_layout_policy(_SetAtOnce):
    """With False, AccumulateGrad keeps a first gradient nothing else holds whatever its layout, and does not
    warn when a sum of gradients breaks the layout contract."""
    flag, function = "layout_enforced", "set_grad_layout_enforcement_enabled"

    def __init__(self, enable=True):
        super().__init__(enable)

    def __call__(self, orig_func):  # as a decorator, PyTorch's restores the flag at once
        state.layout_enforced = self.prev
        return super().__call__(orig_func)
