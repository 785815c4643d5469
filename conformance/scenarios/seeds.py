"""Every code block of the seed notes (../shared/seeds/, the d2l autograd chapter), run as a notebook.

Cells run in order in one namespace, the way the notes ran them; a cell whose last statement is
an expression shows its repr, and an exception ends the cell and shows as `Type: message`, so the
notes' deliberate errors are compared too. Each note is one scenario; each cell's printed text is
one observation. The notes call `torch.randn`; here it draws from the harness's seeded data, so
every subject sees the same numbers.
"""
import ast
import builtins
import contextlib
import functools
import io

from . import scenario

# seed file -> its code cells, transcribed verbatim (comments dropped).
SEEDS = {
    "000": [
        "import torch\nx = torch.arange(4.0)\nprint(x)",
        "x.requires_grad_(True)\nprint(x.grad)",
        "import torch\nx = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)\nprint(y)",
        "import torch\nx = torch.arange(4.0,requires_grad=True)\ny = 2 * torch.dot(x,x)\ny.backward()\n"
        "print(x.grad)\nprint(x.grad == 4 * x)",
        "import torch\nx = torch.arange(4.0,requires_grad=True)\ny = 2 * torch.dot(x,x)\ny.backward()\n"
        "x.grad.zero_()\ny = x.sum()\ny.backward()\nprint(x.grad)",
        "import torch\nx = torch.arange(4.0,requires_grad=True)\ny = 2 * torch.dot(x,x)\ny.backward()\n"
        "x.grad.zero_()\ny = x * x\ny.sum().backward()\nprint(x.grad)",
        "import torch\nx = torch.arange(4.0,requires_grad=True)\ny = 2 * torch.dot(x,x)\ny.backward()\n"
        "x.grad.zero_()\ny = x * x\nu = y.detach()\nz = u * x\nprint(y)\nprint(u)\nz.sum().backward()\nx.grad == u",
        "import torch\nx = torch.arange(4.0,requires_grad=True)\ny = 2 * torch.dot(x,x)\ny.backward()\n"
        "x.grad.zero_()\ny = x * x\nx.grad.zero_()\ny.sum().backward()\nx.grad == 2 * x",
        "import torch\n\ndef f(a):\n    b = a * 2\n    while b.norm() < 1000:\n        b = b * 2\n"
        "    if b.sum() > 0:\n        c = b\n    else:\n        c = 100 * b\n    return c\n\n"
        "a = torch.randn(size=(), requires_grad=True)\nd = f(a)\nd.backward()\nprint(a.grad == d / a)",
    ],
    "001": [
        "import torch\n \nx = torch.arange(4.0)\nx",
        "x.requires_grad_(True)\nx.grad",
        "\nx.requires_grad_(True)\nx.grad",
        "y = 2 * torch.dot(x ,x)\ny",
        "y.backward()\nx.grad",
        "x.grad ==4 * x",
        "x.grad.zero_()\ny = x.sum()\ny.backward()\nx.grad",
        "x.grad.zero_()\ny = x * x\ny.sum().backward()\nx.grad",
        "x.grad.zero_()\ny = x * x\nu = y.detach()\nz = u * x\n\nz.sum().backward()\nx.grad == u",
        "x.grad.zero_()\ny.sum().backward()\nx.grad == 2 * x",
        "def f(a):\n    b = a * 2\n    while b.norm() < 1000:\n        b = b * 2\n    if b.sum() > 0:\n"
        "        c = b\n    else:\n        c = 100 * b\n    return c\n\n"
        "a = torch.randn(size=(), requires_grad=True) \nd = f(a)\nd.backward()\n\na.grad == d/a",
    ],
    "002": [
        "import torch\n\nx = torch.arange(4.0)\nx",
        "x.requires_grad_(True)\nx.grad",
        "y = 2 * torch.dot(x, x)\ny",
        "y.backward()\nx.grad",
        "x.grad == 4 * x",
        "x.grad.zero_()\ny = x.sum()\ny.backward()\nx.grad",
        "x.grad.zero_()\ny = x * x\ny.sum().backward()\nx.grad",
        "x.grad.zero_()\ny = x * x\nu = y.detach()\nz = u * x\n\nz.sum().backward()\nx.grad == u",
        "x.grad.zero_()\ny.sum().backward()\nx.grad == 2 * x",
        "def f(a):\n    b = a * 2\n    while b.norm() < 1000:\n        b = b * 2\n    if b.sum() > 0:\n"
        "        c = b\n    else:\n        c = 100 * b\n    return c\n\n"
        "a = torch.randn(size=(), requires_grad=True)\nd = f(a)\nd.backward()\n\na.grad == d / a",
    ],
    "003": [
        "x = torch.arange(4.0)\nprint('x =', x)\n\nx.requires_grad_(True)\nprint('x.grad =', x.grad)\n  \n"
        "y = 2 * torch.dot(x, x)\nprint('y =', y)\n  \ny.backward()\nprint('x.grad =', x.grad)\n  \n"
        "print(x.grad == 4 * x)",
        "y = x.sum()\ny.backward()\nprint(x.grad)",
        "x = torch.arange(4.0)\ny = x * x\n\ny.backward(torch.ones(len(x)))\nprint(x.grad)",
        "x.grad.zero_()\ny = x * x\ny.sum().backward()\nprint(x.grad)",
        "x = torch.arange(4.0)\ny = x * x\nu = y.detach()\nz = u * x\nz.sum().backward()\n\nprint(x.grad == u)",
        "def f(a):\n    b = a * 2\n    while b.norm() < 1000:\n        b = 2 * b\n    if b.sum() > 0:\n"
        "        c = b\n    else:\n        c = 100 * b\n    return c\n\n"
        "a = torch.randn(size=(), requires_grad=True)\nd = f(a)\nd.backward()\n\nprint(a.grad == d / a)",
    ],
    "004": [
        "import torch\n\nx = torch.tensor(2.0, requires_grad=True)\ny = x ** 2\n\ny.backward()\nprint(x.grad)",
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x.sum() ** 2\n\ny.backward()\nprint(x.grad)",
        "u=torch.tensor(1.0,requires_grad=True)\nv=torch.tensor(2.0,requires_grad=True)\nf=u*v+u**2\n"
        "f.backward()\nprint(u.grad)\nprint(v.grad)",
        "def forward(x):\n    return x ** 2 + 2 * x + 1\n\nx = torch.tensor(3.0, requires_grad=True)\n"
        "y = forward(x)\ny.backward()\nprint(x.grad)",
        "x = torch.tensor(1.0, requires_grad=True)\n\ny1 = x ** 2\ny1.backward()\nprint(x.grad)\n\n"
        "y2 = x ** 3\ny2.backward()\nprint(x.grad)\n\nx.grad.zero_()",
        "x = torch.tensor(2.0, requires_grad=True)\ny = x ** 2\nz = y.detach()\n\nz.backward()\n\n"
        "x = torch.tensor(2.0, requires_grad=True)\nwith torch.no_grad():\n    y = x ** 2",
        "x = torch.tensor(2.0, requires_grad=True)\nwith torch.no_grad():\n    y = x ** 2\nprint(y, y.requires_grad)",
        "x = torch.tensor(2.0, requires_grad=True)\ny = x ** 3\n\ngrad1 = torch.autograd.grad(y, x, create_graph=True)\n"
        "print(grad1[0])\n\ngrad2 = torch.autograd.grad(grad1[0], x)\nprint(grad2[0])",
    ],
}


class SeededNamespace:
    """The subject's namespace, with randn/rand drawing from the harness's seeded data."""

    def __init__(self, torch, rec):
        self._torch, self._rec = torch, rec

    def __getattr__(self, name):
        return getattr(self._torch, name)

    def randn(self, *size, requires_grad=False, **kwargs):
        return self._seeded(size, kwargs, requires_grad, -2.0, 2.0)

    def rand(self, *size, requires_grad=False, **kwargs):
        return self._seeded(size, kwargs, requires_grad, 0.0, 1.0)

    def _seeded(self, size, kwargs, requires_grad, low, high):
        shape = tuple(kwargs.pop("size", None) or (size[0] if len(size) == 1 and isinstance(size[0], tuple) else size))
        values = self._rec.data(*shape, low=low, high=high) if shape else self._rec.data(1, low=low, high=high)[0]
        return self._torch.tensor(values, requires_grad=requires_grad, **kwargs)


def run_notebook(cells, torch, show):
    """Runs `cells` with `import torch` giving `torch`; `show(i, text)` receives each cell's output."""
    def import_(name, globals=None, locals=None, fromlist=(), level=0):
        if name != "torch" and not name.startswith("torch."):
            return builtins.__import__(name, globals, locals, fromlist, level)
        # `import torch.a.b` binds torch; `from torch.a.b import c` takes c from torch.a.b
        return functools.reduce(getattr, name.split(".")[1:], torch) if fromlist else torch
    namespace = {"torch": torch, "__builtins__": dict(vars(builtins), __import__=import_)}
    for i, cell in enumerate(cells):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                _run_cell(cell, namespace)
            except Exception as exc:
                print(f"{type(exc).__name__}: {exc}")
        show(i, out.getvalue())


def _run_cell(source, namespace):
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = tree.body[:-1] if last is not None else tree.body
    exec(compile(ast.Module(body=body, type_ignores=[]), "<cell>", "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
        if value is not None:
            print(repr(value))


def _note_scenario(note):
    def run(torch, rec):
        run_notebook(SEEDS[note], SeededNamespace(torch, rec), lambda i, text: rec(f"cell {i}", text))
    run.__name__ = f"note_{note}"
    run.__qualname__ = run.__name__
    run.__module__ = __name__
    return scenario(run)


for _note in SEEDS:
    globals()[f"note_{_note}"] = _note_scenario(_note)
