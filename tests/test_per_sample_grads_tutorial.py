"""A short program in the manner of PyTorch's "Per-sample-gradients" tutorial (torch.func's vmap, grad and
functional_call; a small MLP instead of its CNN, seeded NumPy data and weights): it prints the same text
under `import refgrad as torch` as under torch.

Cells run as the seed notes do (conformance/scenarios/seeds.py's run_notebook): in order, in one
namespace, an expression's repr shown, an exception shown as `Type: message`.
"""

from helpers import assert_notebook_same

CELLS = [
    # the model and the data: the weights and the samples from NumPy, so both engines start alike
    "import numpy as np\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
    "from torch.func import functional_call, vmap, grad\n"
    "rng = np.random.default_rng(0)\n"
    "class SimpleMLP(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.fc1 = nn.Linear(6, 8, dtype=torch.float64)\n        self.fc2 = nn.Linear(8, 3, dtype=torch.float64)\n"
    "    def forward(self, x):\n        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=-1)\n"
    "model = SimpleMLP()\nwith torch.no_grad():\n    for p in model.parameters():\n"
    "        p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)) * 0.5))\n"
    "batch_size = 8\ndata = torch.from_numpy(rng.standard_normal((batch_size, 6)))\n"
    "targets = torch.from_numpy(rng.integers(0, 3, batch_size))\n"
    "def loss_fn(predictions, targets):\n    return F.nll_loss(predictions, targets)\n"
    "def close(a, b):\n    return bool((a - b).abs().max() < 1e-10)\n"
    "model(data[:2])",
    # per-sample gradients the slow way: one backward per sample
    "def compute_grad(sample, target):\n    sample, target = sample.unsqueeze(0), target.unsqueeze(0)\n"
    "    loss = loss_fn(model(sample), target)\n    return torch.autograd.grad(loss, list(model.parameters()))\n"
    "def compute_sample_grads(data, targets):\n"
    "    sample_grads = [compute_grad(data[i], targets[i]) for i in range(batch_size)]\n"
    "    return [torch.stack(shards) for shards in zip(*sample_grads)]\n"
    "per_sample_grads = compute_sample_grads(data, targets)\n"
    "print([tuple(g.shape) for g in per_sample_grads])\nprint(per_sample_grads[3])",
    # the same with function transforms: grad of a loss of the parameters, vmapped over the samples
    "params = {k: v.detach() for k, v in model.named_parameters()}\n"
    "buffers = {k: v.detach() for k, v in model.named_buffers()}\n"
    "def compute_loss(params, buffers, sample, target):\n"
    "    batch, targets = sample.unsqueeze(0), target.unsqueeze(0)\n"
    "    predictions = functional_call(model, (params, buffers), (batch,))\n"
    "    return loss_fn(predictions, targets)\n"
    "ft_compute_grad = grad(compute_loss)\n"
    "ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))\n"
    "ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)\n"
    "print({k: tuple(v.shape) for k, v in ft_per_sample_grads.items()})\nprint(ft_per_sample_grads['fc2.bias'])\n"
    "for per_sample_grad, ft_per_sample_grad in zip(per_sample_grads, ft_per_sample_grads.values()):\n"
    "    assert close(per_sample_grad, ft_per_sample_grad)\nprint('same')",
    # in chunks; their mean is the batch gradient; their norms (for per-sample clipping)
    "chunked = vmap(ft_compute_grad, in_dims=(None, None, 0, 0), chunk_size=3)(params, buffers, data, targets)\n"
    "print(all(close(chunked[k], ft_per_sample_grads[k]) for k in chunked))\n"
    "batch_grads = torch.autograd.grad(loss_fn(model(data), targets), list(model.parameters()))\n"
    "print(all(close(g.mean(0), b) for g, b in zip(ft_per_sample_grads.values(), batch_grads)))\n"
    "norms = torch.stack([g.reshape(batch_size, -1).norm(dim=1) for g in ft_per_sample_grads.values()])\n"
    "print(norms.norm(dim=0))",
    # loss and gradient together, and the per-sample losses against the model's
    "grads, losses = vmap(torch.func.grad_and_value(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, "
    "data, targets)\nprint(losses)\nprint(close(losses, F.nll_loss(model(data), targets, reduction='none')))",
    # the mistakes: mapping over the parameters too, samples and targets of different counts, strict keys
    "vmap(ft_compute_grad)(params, buffers, data, targets)",
    "ft_compute_sample_grad(params, buffers, data, targets[:5])",
    "functional_call(model, {'fc1.weight': params['fc1.weight']}, (data,), strict=True)",
    "vmap(ft_compute_grad, in_dims=(None, None, 0, 0), chunk_size=0)",
]


def test_tutorial_prints_the_same():
    assert_notebook_same(CELLS, 5)
