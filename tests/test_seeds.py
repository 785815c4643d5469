"""Every code block of the seed notes (../shared/seeds/, the d2l autograd chapter) prints the same
text under `import refgrad as torch` as under torch.

Cells run in order in one namespace, the way the notes ran them; as in a notebook, a cell whose
last statement is an expression shows that expression's repr. An exception ends the cell and
is printed as `Type: message`, so the seeds' deliberate errors are compared too.
"""
import ast
import contextlib
import io
import sys

import pytest
import torch

import refgrad

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


def run_notebook(cells, engine):
    """Runs cells with `torch` bound to `engine`; returns everything they show."""
    out = io.StringIO()
    namespace = {"torch": engine}
    saved = sys.modules["torch"]
    sys.modules["torch"] = engine  # so the cells' own `import torch` gets the engine under test
    try:
        engine.manual_seed(0)
        for i, cell in enumerate(cells):
            out.write(f"--- cell {i}\n")
            with contextlib.redirect_stdout(out):
                try:
                    _run_cell(cell, namespace)
                except Exception as exc:
                    print(f"{type(exc).__name__}: {exc}")
    finally:
        sys.modules["torch"] = saved
    return out.getvalue()


def _run_cell(source, namespace):
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = tree.body[:-1] if last is not None else tree.body
    exec(compile(ast.Module(body=body, type_ignores=[]), "<cell>", "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
        if value is not None:
            print(repr(value))


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_seed_prints_the_same(seed):
    expected = run_notebook(SEEDS[seed], torch)
    actual = run_notebook(SEEDS[seed], refgrad)
    assert actual == expected


def test_seed_outputs_match_the_notes():
    """Spot-check against what the notes themselves say they printed."""
    text = run_notebook(SEEDS["002"], refgrad)
    for line in ("tensor([0., 1., 2., 3.])", "tensor(28., grad_fn=<MulBackward0>)", "tensor([ 0.,  4.,  8., 12.])",
                 "tensor([True, True, True, True])", "tensor([1., 1., 1., 1.])", "tensor([0., 2., 4., 6.])",
                 "tensor(True)"):
        assert line in text
