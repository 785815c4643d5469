"""A short program in the manner of PyTorch's "Jacobians, Hessians, hvp, vhp, and more" tutorial, written
with torch.autograd.functional: it prints the same text under `import refgrad as torch` as under torch.

Cells run as the seed notes do (conformance/scenarios/seeds.py's run_notebook): in order, in one
namespace, an expression's repr shown, an exception shown as `Type: message`.
"""

from helpers import assert_notebook_same

CELLS = [
    # a small model: one linear layer and a tanh, its weight and bias as inputs
    "import torch\nfrom torch.autograd.functional import jacobian, hessian, vjp, jvp, hvp, vhp\n"
    "D = 4\nweight = torch.arange(D * D * 1.0).reshape(D, D).sin()\nbias = torch.linspace(-1, 1, D)\n"
    "x = torch.arange(D) * 0.4 - 0.5\n"
    "def predict(weight, bias, x):\n    return torch.tanh(weight @ x + bias)\n"
    "def close(a, b):\n    return bool((a - b).abs().max() < 1e-5)\n"
    "predict(weight, bias, x)",
    # the jacobian with respect to x, three ways
    "jac = jacobian(lambda x: predict(weight, bias, x), x)\nprint(jac.shape)\nprint(jac)\n"
    "jac_vectorized = jacobian(lambda x: predict(weight, bias, x), x, vectorize=True)\n"
    "jac_forward = jacobian(lambda x: predict(weight, bias, x), x, vectorize=True, strategy='forward-mode')\n"
    "print(close(jac, jac_vectorized), close(jac, jac_forward))\nprint(jac - jac_forward)",
    # with respect to all three inputs: a tuple, one jacobian per input
    "jw, jb, jx = jacobian(predict, (weight, bias, x))\nprint(jw.shape, jb.shape, jx.shape)\nprint(jb)",
    # several outputs: a tuple of tuples
    "jacobian(lambda a, b: (a * b, (a @ b).exp()), (x, bias))",
    # a scalar loss: hessian, and the hessian-vector products against it
    "def loss(x):\n    return predict(weight, bias, x).pow(2).sum()\n"
    "H = hessian(loss, x)\nprint(H)\nv = torch.linspace(0.5, -1, D)\n"
    "value, Hv = hvp(loss, x, v)\nvalue2, vH = vhp(loss, x, v)\nprint(value, Hv, vH, sep='\\n')\n"
    "print(close(Hv, H @ v), close(vH, v @ H))",
    "print(hessian(loss, x, vectorize=True, outer_jacobian_strategy='forward-mode'))",
    # vjp and jvp against the jacobian
    "out, vJ = vjp(lambda x: predict(weight, bias, x), x, v)\nout, Jv = jvp(lambda x: predict(weight, bias, x), x, v)\n"
    "print(vJ, Jv, sep='\\n')\nprint(close(vJ, v @ jac), close(Jv, jac @ v))",
    # create_graph: the results keep their graph, so they can be differentiated again
    "xr = x.clone().requires_grad_()\nout, Hv = hvp(loss, xr, v, create_graph=True)\nprint(out, Hv, sep='\\n')\n"
    "Hv.sum().backward()\nprint(xr.grad)",
    # strict mode and the options torch refuses
    "hessian(lambda x: (2 * x).sum(), x, strict=True)",
    "jacobian(lambda a, b: a.exp(), (x, bias), strict=True)",
    "jacobian(lambda a, b: a.exp(), (x, bias))",
    "jacobian(loss, x, create_graph=True, vectorize=True, strategy='forward-mode')",
    "vjp(lambda x: predict(weight, bias, x), x)",
    "hvp(lambda x: predict(weight, bias, x), x, v)",
]


def test_tutorial_prints_the_same():
    assert_notebook_same(CELLS, 8)
