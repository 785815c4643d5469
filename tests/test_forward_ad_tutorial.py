"""A short program in the manner of PyTorch's "Forward-mode Automatic Differentiation" tutorial (dual tensors in
a dual_level, a module's parameters made dual or passed through functional_call, custom Functions with a jvp,
torch.func's jvp and jacfwd, nested jacfwd; seeded NumPy data): it prints the same text under
`import refgrad as torch` as under torch.

Cells run as the seed notes do (conformance/scenarios/seeds.py's run_notebook): in order, in one
namespace, an expression's repr shown, an exception shown as `Type: message`.
"""

from helpers import assert_notebook_same

CELLS = [
    # dual tensors: a primal and its tangent, packed in a level and unpacked again
    "import numpy as np\nimport torch\nimport torch.nn as nn\nimport torch.autograd.forward_ad as fwAD\n"
    "from torch.func import functional_call, jvp, jacfwd, jacrev, hessian\n"
    "rng = np.random.default_rng(0)\n"
    "def from_numpy(*shape):\n    return torch.from_numpy(rng.standard_normal(shape).round(4))\n"
    "def close(a, b):\n    return bool((a - b).abs().max() < 1e-10)\n"
    "primal = from_numpy(4)\ntangent = from_numpy(4)\nother = from_numpy(4)\n"
    "def fn(x, y):\n    return x ** 2 + y.sin() * x\n"
    "with fwAD.dual_level() as level:\n    print(level)\n"
    "    dual_input = fwAD.make_dual(primal, tangent)\n    print(dual_input)\n"
    "    dual_output = fn(dual_input, other)\n    print(dual_output)\n"
    "    unpacked = fwAD.unpack_dual(dual_output)\n"
    "    print(type(unpacked).__name__, unpacked.primal, unpacked.tangent, sep='\\n')\n"
    "    print(fwAD.unpack_dual(other))\n"
    "jvp_by_hand = 2 * primal * tangent + other.sin() * tangent\n"
    "print(close(unpacked.tangent, jvp_by_hand))\nprint(fwAD.unpack_dual(dual_output).tangent)",
    # a dual tensor that also requires grad: reverse mode records its primal's ops, and the tangent's
    "x = primal.clone().requires_grad_()\n"
    "with fwAD.dual_level():\n    d = fwAD.make_dual(x, tangent)\n    y = (d.exp() * d).sum()\n"
    "    print(d)\n    print(y)\n"
    "    p, t = fwAD.unpack_dual(y)\n    print(p.grad_fn.name(), t.grad_fn.name())\n"
    "    print(fwAD.unpack_dual(d[1:].view(3, 1)))\n"
    "    print(fwAD.unpack_dual(d.tanh().sum(0, keepdim=True)).tangent)",
    # an nn.Module: the parameters swapped for dual tensors
    "model = nn.Linear(4, 3, dtype=torch.float64)\ninput = from_numpy(2, 4)\n"
    "with torch.no_grad():\n    for p in model.parameters():\n        p.copy_(from_numpy(*p.shape))\n"
    "params = {name: p.detach() for name, p in model.named_parameters()}\n"
    "tangents = {name: from_numpy(*p.shape) for name, p in params.items()}\n"
    "with fwAD.dual_level():\n    for name, p in dict(model.named_parameters()).items():\n"
    "        delattr(model, name)\n"
    "        setattr(model, name, fwAD.make_dual(p, tangents[name]))\n"
    "    print(model.bias)\n    out = model(input)\n    print(out)\n    jvp_params = fwAD.unpack_dual(out).tangent\n"
    "print(jvp_params)\nprint(model.bias)\n"
    "print(close(jvp_params, input @ tangents['weight'].T + tangents['bias']))",
    # the same with functional_call: the module keeps its parameters
    "model = nn.Linear(4, 3, dtype=torch.float64)\n"
    "with fwAD.dual_level():\n"
    "    dual_params = {name: fwAD.make_dual(p, tangents[name]) for name, p in params.items()}\n"
    "    out = functional_call(model, dual_params, (input,))\n    jvp_functional = fwAD.unpack_dual(out).tangent\n"
    "print(close(jvp_functional, jvp_params))\n"
    "print(type(model.weight).__name__, fwAD.unpack_dual(model.weight).tangent)",
    # a custom Function with its own forward-mode rule
    "class Exp(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        result = x.exp()\n"
    "        ctx.save_for_backward(result)\n        ctx.save_for_forward(result)\n        return result\n"
    "    @staticmethod\n    def backward(ctx, grad_output):\n        result, = ctx.saved_tensors\n"
    "        return grad_output * result\n"
    "    @staticmethod\n    def jvp(ctx, tangent):\n        result, = ctx.saved_tensors\n"
    "        return tangent * result\n"
    "with fwAD.dual_level():\n    out = Exp.apply(fwAD.make_dual(primal, tangent))\n    print(out)\n"
    "    print(close(fwAD.unpack_dual(out).tangent, primal.exp() * tangent))\n"
    "x = primal.clone().requires_grad_()\ny = Exp.apply(x)\nprint(y)\ny.sum().backward()\nprint(x.grad)",
    # setup_context: forward takes no ctx; jvp reads what setup_context kept on ctx
    "class ScaledSquare(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(x, scale):\n        return scale * x ** 2\n"
    "    @staticmethod\n    def setup_context(ctx, inputs, output):\n        x, scale = inputs\n"
    "        ctx.save_for_forward(x)\n        ctx.save_for_backward(x)\n        ctx.scale = scale\n"
    "    @staticmethod\n    def backward(ctx, grad_output):\n        x, = ctx.saved_tensors\n"
    "        return 2 * ctx.scale * x * grad_output, None\n"
    "    @staticmethod\n    def jvp(ctx, x_tangent, scale_tangent):\n        x, = ctx.saved_tensors\n"
    "        return 2 * ctx.scale * x * x_tangent\n"
    "with fwAD.dual_level():\n    out = ScaledSquare.apply(fwAD.make_dual(primal, tangent), 3.0)\n"
    "    print(out)\n"
    "print(torch.autograd.gradcheck(ScaledSquare.apply, (primal.clone().requires_grad_(), 3.0), "
    "check_forward_ad=True, check_backward_ad=False, check_undefined_grad=False, check_batched_grad=False))\n"
    "print(jvp(lambda v: ScaledSquare.apply(v, 3.0), (primal,), (tangent,)))",
    # torch.func.jvp: the output and its tangent; the inputs not differentiated closed over
    "out, jvp_out = jvp(lambda x: fn(x, other), (primal,), (tangent,))\nprint(out)\nprint(jvp_out)\n"
    "print(close(jvp_out, jvp_by_hand))\n"
    "print(jvp(fn, (primal, other), (tangent, torch.zeros_like(other)))[1])\n"
    "def model_of(params):\n    return functional_call(model, params, (input,))\n"
    "_, jvp_func = jvp(model_of, (params,), (tangents,))\nprint(close(jvp_func, jvp_params))",
    # jacfwd against jacrev, and nested forward mode: second and third derivatives
    "jac_fwd = jacfwd(fn)(primal, other)\njac_rev = jacrev(fn)(primal, other)\nprint(jac_fwd)\n"
    "print(close(jac_fwd, jac_rev))\nprint(jacfwd(fn, argnums=(0, 1))(primal, other)[1])\n"
    "def energy(x):\n    return (x.tanh() * x ** 3).sum()\n"
    "h_fwd = jacfwd(jacfwd(energy))(primal)\nprint(h_fwd)\n"
    "print(close(h_fwd, hessian(energy)(primal)), close(h_fwd, jacfwd(jacrev(energy))(primal)))\n"
    "print(jacfwd(jacfwd(jacfwd(lambda x: (x ** 4).sum())))(primal[:2]))\n"
    "jac, value = jacfwd(lambda x: (fn(x, other), fn(x, other)), has_aux=True)(primal)\n"
    "print(close(jac, jac_fwd), value)",
    # mistakes torch refuses
    "fwAD.make_dual(primal, tangent)",
    "with fwAD.dual_level():\n    fwAD.make_dual(primal, torch.ones(5, dtype=torch.float64))",
    "with fwAD.dual_level():\n    with fwAD.dual_level():\n        pass",
    "with fwAD.dual_level():\n    fwAD.make_dual(torch.tensor([1, 2]), torch.tensor([1, 2]))",
    "class NoJvp(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        return 2 * x\n"
    "    @staticmethod\n    def backward(ctx, g):\n        return 2 * g\n"
    "with fwAD.dual_level():\n    NoJvp.apply(fwAD.make_dual(primal, tangent))",
    "with fwAD.dual_level():\n    dual = fwAD.make_dual(primal, tangent)\n    fwAD.make_dual(dual, tangent)",
    "class ShortJvp(Exp):\n    @staticmethod\n    def jvp(ctx, tangent):\n        return tangent[:2]\n"
    "with fwAD.dual_level():\n    ShortJvp.apply(fwAD.make_dual(primal, tangent))",
    "jvp(fn, (primal, other), (tangent,))",
    "jacfwd(lambda x: fn(x, other), has_aux=True)(primal)",
    "with fwAD.dual_level():\n    jvp(energy, (primal,), (tangent,))",
]


def test_tutorial_prints_the_same():
    assert_notebook_same(CELLS, 8)
