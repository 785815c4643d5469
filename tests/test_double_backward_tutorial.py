"""A short program in the manner of PyTorch's "Double Backward with Custom Functions" tutorial: custom
torch.autograd.Function subclasses whose backward is written in differentiable ops, checked with gradcheck and
gradgradcheck; it prints the same text under `import refgrad as torch` as under torch.

Cells run as the seed notes do (conformance/scenarios/seeds.py's run_notebook): in order, in one
namespace, an expression's repr shown, an exception shown as `Type: message`. Nothing printed runs inside
gradcheck: how many times it calls a backward is its own business. gradgradcheck is given its grad_outputs,
since the random ones it makes otherwise come from each engine's own generator.
"""


from helpers import assert_notebook_same

CELLS = [
    # a square whose backward is itself made of differentiable ops: double backward works
    "import torch\nfrom torch.autograd import gradcheck, gradgradcheck\n"
    "class Square(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n        return x ** 2\n"
    "    @staticmethod\n    def backward(ctx, grad_out):\n"
    "        x, = ctx.saved_tensors\n        return grad_out * 2 * x\n"
    "def close(a, b):\n    return bool((a - b).abs().max() < 1e-12)\n"
    "x = torch.linspace(-1.5, 2.0, 5, dtype=torch.double, requires_grad=True)\n"
    "print(gradcheck(Square.apply, x), gradgradcheck(Square.apply, x))\n"
    "y = Square.apply(x)\nprint(y)\nprint(type(y.grad_fn).__name__, y.grad_fn.name())",
    # the first gradient, kept differentiable; its graph is the backward's ops, leading back through y to x
    "g, = torch.autograd.grad((y ** 2).sum(), x, create_graph=True)\nprint(g)\n"
    "def names(node):\n    return [type(n).__name__ if n is not None else None for n, _ in node.next_functions]\n"
    "print(type(g.grad_fn).__name__, names(g.grad_fn), names(g.grad_fn.next_functions[0][0]))\n"
    "h, = torch.autograd.grad(g.sum(), x, create_graph=True)\nprint(h, type(h.grad_fn).__name__)\n"
    "print(close(h, 12 * x ** 2))\nh2, = torch.autograd.grad(g.sum(), x)\nprint(h2.grad_fn, h2.requires_grad)",
    # exp saves its output: the saved output still leads to the custom node, so the second derivative sees it
    "class Exp(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        result = x.exp()\n"
    "        ctx.save_for_backward(result)\n        return result\n"
    "    @staticmethod\n    def backward(ctx, grad_out):\n"
    "        result, = ctx.saved_tensors\n        return grad_out * result\n"
    "print(gradcheck(Exp.apply, x), gradgradcheck(Exp.apply, x))\n"
    "out = Exp.apply(x)\nsaved, = out.grad_fn.saved_tensors\n"
    "print(type(saved.grad_fn).__name__, saved.grad_fn is out.grad_fn)\n"
    "g, = torch.autograd.grad(out.sum(), x, create_graph=True)\nprint(type(g.grad_fn).__name__, names(g.grad_fn))\n"
    "h, = torch.autograd.grad(g.sum(), x)\nprint(close(h, x.exp()), h)",
    # sinh from exp(x) and exp(-x): the intermediates are returned as outputs, so the saved ones keep their graph
    "class Sinh(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        expx = torch.exp(x)\n        expnegx = torch.exp(-x)\n"
    "        ctx.save_for_backward(expx, expnegx)\n        return (expx - expnegx) / 2, expx, expnegx\n"
    "    @staticmethod\n    def backward(ctx, grad_out, grad_expx, grad_expnegx):\n"
    "        expx, expnegx = ctx.saved_tensors\n        grad_input = grad_out * (expx + expnegx) / 2\n"
    "        grad_input += grad_expx * expx\n        grad_input -= grad_expnegx * expnegx\n        return grad_input\n"
    "def sinh(x):\n    return Sinh.apply(x)[0]\n"
    "print(gradcheck(sinh, x), gradgradcheck(sinh, x))\n"
    "s, expx, expnegx = Sinh.apply(x)\nprint(s)\n"
    "print(type(s.grad_fn).__name__, expx.grad_fn is s.grad_fn, expx.output_nr, expnegx.output_nr)\n"
    "g, = torch.autograd.grad((s ** 2).sum(), x, create_graph=True)\nh, = torch.autograd.grad(g.sum(), x)\n"
    "print(close(g, 2 * x.sinh() * x.cosh()), close(h, 2 * x.cosh() ** 2 + 2 * x.sinh() ** 2))",
    # the intermediates saved without being outputs: backward is right, double backward silently wrong
    "class SinhBad(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        expx = torch.exp(x)\n        expnegx = torch.exp(-x)\n"
    "        ctx.save_for_backward(expx, expnegx)\n        return (expx - expnegx) / 2\n"
    "    @staticmethod\n    def backward(ctx, grad_out):\n"
    "        expx, expnegx = ctx.saved_tensors\n        return grad_out * (expx + expnegx) / 2\n"
    "bad_saved = SinhBad.apply(x).grad_fn.saved_tensors\n"
    "print([t.grad_fn for t in bad_saved], [t.requires_grad for t in bad_saved])\n"
    "grad_outputs = torch.linspace(1.0, -1.0, 5, dtype=torch.double, requires_grad=True)\n"
    "print(gradcheck(SinhBad.apply, x), gradgradcheck(SinhBad.apply, x, grad_outputs, raise_exception=False))\n"
    "g, = torch.autograd.grad(SinhBad.apply(x).sum(), x, create_graph=True)\nprint(g.requires_grad, g.grad_fn)\n"
    "g, = torch.autograd.grad((SinhBad.apply(x) ** 2).sum(), x, create_graph=True)\n"
    "h, = torch.autograd.grad(g.sum(), x)\n"
    "print(close(g, 2 * x.sinh() * x.cosh()), close(h, 2 * x.cosh() ** 2 + 2 * x.sinh() ** 2))\n"
    "print(close(h, 2 * x.cosh() ** 2))  # the sinh ** 2 term is missing: expx and expnegx are constants here",
    # or recompute them in backward from the saved input: double backward is right again
    "class SinhRecompute(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n"
    "        return (torch.exp(x) - torch.exp(-x)) / 2\n"
    "    @staticmethod\n    def backward(ctx, grad_out):\n"
    "        x, = ctx.saved_tensors\n        return grad_out * (torch.exp(x) + torch.exp(-x)) / 2\n"
    "print(gradcheck(SinhRecompute.apply, x), gradgradcheck(SinhRecompute.apply, x, grad_outputs))",
    # a backward that is not differentiable itself (numpy inside): its gradient is a custom Function of its own
    "needs = []\n"
    "class Cube(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n"
    "        return torch.tensor(x.detach().numpy() ** 3)\n"
    "    @staticmethod\n    def backward(ctx, grad_out):\n"
    "        x, = ctx.saved_tensors\n        return CubeGrad.apply(grad_out, x)\n"
    "class CubeGrad(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, grad_out, x):\n        ctx.save_for_backward(grad_out, x)\n"
    "        return grad_out * torch.tensor(3 * x.detach().numpy() ** 2)\n"
    "    @staticmethod\n    def backward(ctx, grad_grad):\n        grad_out, x = ctx.saved_tensors\n"
    "        needs.append(ctx.needs_input_grad)\n"
    "        return grad_grad * 3 * x ** 2, grad_grad * 6 * x * grad_out\n"
    "print(gradcheck(Cube.apply, x), gradgradcheck(Cube.apply, x))\nneeds.clear()\n"
    "g, = torch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)\nprint(g, type(g.grad_fn).__name__)\n"
    "h, = torch.autograd.grad(g.sum(), x)\nprint(h, needs)\n"
    "needs.clear()\ng, = torch.autograd.grad(Cube.apply(x), x, grad_outputs, create_graph=True)\n"
    "gg = torch.autograd.grad(g.sum(), (x, grad_outputs))\nprint(gg, needs)",
    # once_differentiable: backward runs without recording; with create_graph its result comes from an Error node
    "from torch.autograd.function import once_differentiable\n"
    "class SquareOnce(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n        return x ** 2\n"
    "    @staticmethod\n    @once_differentiable\n    def backward(ctx, grad_out):\n"
    "        x, = ctx.saved_tensors\n        return grad_out * 2 * x\n"
    "print(gradcheck(SquareOnce.apply, x), gradgradcheck(SquareOnce.apply, x, grad_outputs, raise_exception=False))\n"
    "g, = torch.autograd.grad(SquareOnce.apply(x).sum(), x)\nprint(g, g.requires_grad)\n"
    "g, = torch.autograd.grad(SquareOnce.apply(x).sum(), x, create_graph=True)\nprint(g.requires_grad, g.grad_fn)\n"
    "g, = torch.autograd.grad((SquareOnce.apply(x) ** 2).sum(), x, create_graph=True)\n"
    "print(g.requires_grad, g.grad_fn.name(), type(g.grad_fn).__name__)\n"
    "print([(n.name(), n.variable is x, n.variable.shape) for n, _ in g.grad_fn.next_functions])",
    # mark_non_differentiable (the argmax indices) and needs_input_grad (the scale may or may not need a gradient)
    "class RowMax(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x, scale):\n        values, indices = x.max(dim=1)\n"
    "        ctx.mark_non_differentiable(indices)\n        ctx.save_for_backward(x, indices, scale)\n"
    "        return values * scale, indices\n"
    "    @staticmethod\n    def backward(ctx, grad_values, grad_indices):\n"
    "        x, indices, scale = ctx.saved_tensors\n        needs.append((ctx.needs_input_grad, grad_indices))\n"
    "        at = indices.unsqueeze(1)\n        grad_x = grad_scale = None\n"
    "        if ctx.needs_input_grad[0]:\n"
    "            grad_x = torch.zeros_like(x).scatter(1, at, (grad_values * scale).unsqueeze(1))\n"
    "        if ctx.needs_input_grad[1]:\n            grad_scale = (grad_values * x.gather(1, at).squeeze(1)).sum()\n"
    "        return grad_x, grad_scale\n"
    "m = torch.tensor([[0.5, -1.0, 2.0], [0.0, 3.0, 1.0]], dtype=torch.double, requires_grad=True)\n"
    "scale = torch.tensor(3.0, dtype=torch.double)\nneeds.clear()\n"
    "values, indices = RowMax.apply(m, scale)\nprint(values, indices)\n"
    "print(values.requires_grad, indices.requires_grad, indices.grad_fn, indices.is_leaf)\n"
    "g, = torch.autograd.grad((values ** 2).sum(), m, create_graph=True)\nprint(g, type(g.grad_fn).__name__)\n"
    "h, = torch.autograd.grad(g.sum(), m)\nprint(h, needs)\n"
    "scale.requires_grad_()\nprint(gradcheck(RowMax.apply, (m, scale)), gradgradcheck(RowMax.apply, (m, scale)))",
    # the errors: gradgradcheck's report on the wrong sinh and on once_differentiable (its analytical part
    # reaches only the Error node's fresh leaf, not x)
    "gradgradcheck(SinhBad.apply, x, grad_outputs)",
    "gradgradcheck(SquareOnce.apply, x, grad_outputs)",
    # differentiating once_differentiable's result again: the Error node raises; x itself is not reached
    "g, = torch.autograd.grad((SquareOnce.apply(x) ** 2).sum(), x, create_graph=True)\ng.sum().backward()",
    "g, = torch.autograd.grad((SquareOnce.apply(x) ** 2).sum(), x, create_graph=True)\ntorch.autograd.grad(g.sum(), x)",
    # the wrong sinh's first gradient of a plain sum has no graph at all; a non-differentiable output has none
    "g, = torch.autograd.grad(SinhBad.apply(x).sum(), x, create_graph=True)\ntorch.autograd.grad(g.sum(), x)",
    "indices.sum().backward()",
]

FIRST_ERROR_CELL = 9


def test_tutorial_prints_the_same():
    assert_notebook_same(CELLS, FIRST_ERROR_CELL)
