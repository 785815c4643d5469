"""A short program in the manner of PyTorch's "Hooks for autograd saved tensors" tutorial: what a node saves
(grad_fn._saved_*), hooks on one saved tensor (_raw_saved_*.register_hooks), default hooks for everything
saved in a block (saved_tensors_hooks, save_on_cpu, disable_saved_tensors_hooks) and a small MLP trained one
step with hooks that count and shrink what it saves. It prints the same text under `import refgrad as torch`
as under torch.

Cells run as the seed notes do (conformance/scenarios/seeds.py's run_notebook): in order, in one
namespace, an expression's repr shown, an exception shown as `Type: message`.
"""

from helpers import assert_notebook_same

CELLS = [
    # what a node saves: its inputs as themselves, its output as an equal but distinct tensor
    "import torch\nimport numpy as np\n"
    "x = torch.linspace(-1, 1, 5, requires_grad=True)\nw = torch.arange(5.0, requires_grad=True)\n"
    "y = x * w\nprint(x is y.grad_fn._saved_self, w is y.grad_fn._saved_other)\n"
    "p = x.pow(2)\nprint(x.equal(p.grad_fn._saved_self), x is p.grad_fn._saved_self, p.grad_fn._saved_exponent)\n"
    "e = x.exp()\nprint(e.equal(e.grad_fn._saved_result), e is e.grad_fn._saved_result)\n"
    "e.grad_fn._saved_result",
    # a saved tensor's own hooks: pack runs at once, unpack at every access and during backward
    "def pack_hook(t):\n    print('pack', t, t.requires_grad)\n    return t.clone()\n"
    "def unpack_hook(t):\n    print('unpack', t)\n    return t\n"
    "s = x.sin()\ns.grad_fn._raw_saved_self.register_hooks(pack_hook, unpack_hook)\n"
    "print(s.grad_fn._saved_self.equal(x))\ns.sum().backward()\nprint(x.grad)",
    # default hooks for a block: pack to an index into a list, unpack from it
    "storage = []\n"
    "def pack_to_index(t):\n    storage.append(t)\n    return len(storage) - 1\n"
    "def unpack_from_index(i):\n    print('unpack', i)\n    return storage[i]\n"
    "a = torch.ones(5, requires_grad=True)\n"
    "with torch.autograd.graph.saved_tensors_hooks(pack_to_index, unpack_from_index):\n"
    "    b = torch.ones(5, requires_grad=True) * 2\n    y = a * b\n"
    "print(len(storage), storage[0] is a, storage[1] is b)\ny.sum().backward()\nprint(a.grad)",
    # a pack hook returning a detached copy: the saved tensor comes back equal, not identical
    "with torch.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):\n"
    "    x2 = torch.linspace(0, 1, 4, requires_grad=True)\n    y2 = x2.pow(3)\n"
    "saved = y2.grad_fn._saved_self\n"
    "print(saved.equal(x2), saved is x2, saved.requires_grad, saved.is_leaf)\n"
    "y2.sum().backward()\nx2.grad",
    # saving to "disk": a dict keyed by a counter, counting the tensors packed
    "disk = {}\npacked = 0\n"
    "def save_to_disk(t):\n    global packed\n    packed += 1\n    key = packed\n"
    "    disk[key] = t.detach().numpy().copy()\n    return key\n"
    "def load_from_disk(key):\n    return torch.from_numpy(disk.pop(key))\n"
    "x3 = torch.linspace(-2, 2, 6, requires_grad=True)\n"
    "with torch.autograd.graph.saved_tensors_hooks(save_to_disk, load_from_disk):\n"
    "    h = (x3 * x3).tanh().sigmoid()\n"
    "print(packed, sorted(disk))\nh.sum().backward()\nprint(len(disk), x3.grad)",
    # save_on_cpu: on a CPU-only run the saved tensors stay where they are
    "with torch.autograd.graph.save_on_cpu():\n    y4 = (x3 * 3).exp()\n"
    "print(y4.grad_fn._saved_result.equal(y4), y4.grad_fn._saved_result.device)\n"
    "x3.grad = None\ny4.sum().backward()\nx3.grad",
    # nesting: only the innermost pair applies
    "log = []\n"
    "def pair(name):\n"
    "    return torch.autograd.graph.saved_tensors_hooks(lambda t: log.append(name + ' pack') or t,\n"
    "                                                    lambda t: log.append(name + ' unpack') or t)\n"
    "with pair('outer'):\n    with pair('inner'):\n        q = x3.cos()\n    r = x3.sin()\n"
    "(q.sum() + r.sum()).backward()\nprint(log)",
    # a small MLP trained one step, its saved activations counted and stored in half precision
    "rng = np.random.default_rng(0)\n"
    "W1 = torch.tensor(rng.normal(size=(8, 4)).round(3), dtype=torch.float32, requires_grad=True)\n"
    "W2 = torch.tensor(rng.normal(size=(3, 8)).round(3), dtype=torch.float32, requires_grad=True)\n"
    "inputs = torch.tensor(rng.normal(size=(5, 4)).round(3), dtype=torch.float32)\n"
    "targets = torch.tensor([0, 2, 1, 1, 0])\n"
    "saved_bytes = {'full': 0, 'stored': 0}\n"
    "def pack_half(t):\n"
    "    saved_bytes['full'] += t.numel() * t.element_size()\n"
    "    if not t.is_floating_point():\n        return t\n"
    "    small = t.detach().to(torch.float16)\n"
    "    saved_bytes['stored'] += small.numel() * small.element_size()\n    return (t.dtype, small)\n"
    "def unpack_half(packed):\n"
    "    return packed if torch.is_tensor(packed) else packed[1].to(packed[0])\n"
    "def forward(inputs):\n"
    "    hidden = torch.relu(inputs @ W1.t())\n"
    "    return torch.nn.functional.cross_entropy(hidden @ W2.t(), targets)\n"
    "with torch.autograd.graph.saved_tensors_hooks(pack_half, unpack_half):\n"
    "    loss = forward(inputs)\n"
    "print(loss, saved_bytes)\nloss.backward()\n"
    "with torch.no_grad():\n    W1 -= 0.1 * W1.grad\n    W2 -= 0.1 * W2.grad\n"
    "print(W2.grad)\nprint(forward(inputs))",
    # the errors: disabled hooks, a pack hook that modifies its input, reading a freed saved tensor
    "with torch.autograd.graph.disable_saved_tensors_hooks('no hooks in this block'):\n"
    "    with torch.autograd.graph.saved_tensors_hooks(pack_to_index, unpack_from_index):\n        pass",
    "def modifies(t):\n    t.mul_(2)\n    return t\n"
    "with torch.autograd.graph.saved_tensors_hooks(modifies, lambda t: t):\n    (x3 * 1).exp()",
    "y5 = x3.pow(2)\ny5.sum().backward()\ny5.grad_fn._saved_self",
    "s.grad_fn._raw_saved_self.register_hooks(pack_hook, unpack_hook)",
    "e.grad_fn._raw_saved_result.register_hooks(pack_hook, unpack_hook)\n"
    "e.grad_fn._raw_saved_result.register_hooks(pack_hook, unpack_hook)",
]


def test_tutorial_prints_the_same():
    assert_notebook_same(CELLS, 8)
