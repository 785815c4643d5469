"""Module hooks for looking inside a network: activation statistics and gradient norms per layer.

A deep tanh MLP (weights from seeded NumPy, deliberately too large in one version) classifies random points.
Forward hooks record each layer's output, full backward hooks each layer's gradients, the way one looks for
saturated tanh units and vanishing gradients before training; the printed tables are what one would plot as
histograms. Then a forward pre-hook that rescales an input, a backward hook that replaces a gradient, tensor
hooks, and removing hooks through their handles.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(3)
X = torch.tensor(rng.standard_normal((40, 10)).astype(np.float32))
Y = torch.tensor(rng.integers(0, 4, size=40))


def make_model(gain):
    layers = []
    for fan_in, fan_out in [(10, 32), (32, 32), (32, 32), (32, 32)]:
        layers += [nn.Linear(fan_in, fan_out), nn.Tanh()]
    model = nn.Sequential(*layers, nn.Linear(32, 4))
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, nn.Linear):
                w = rng.standard_normal(tuple(layer.weight.shape)) * gain / layer.in_features ** 0.5
                layer.weight.copy_(torch.tensor(w.astype(np.float32)))
                layer.bias.zero_()
    return model


def inspect(model, title):
    print(f"--- {title}")
    activations, gradients, handles = {}, {}, []

    def save_output(module, inputs, output):
        activations[module] = output.detach()

    def save_grad(module, grad_input, grad_output):
        gradients[module] = grad_output[0].detach()

    for layer in model:
        if isinstance(layer, nn.Tanh):
            handles.append(layer.register_forward_hook(save_output))
            handles.append(layer.register_full_backward_hook(save_grad))
    loss = F.cross_entropy(model(X), Y)
    loss.backward()
    print(f"loss {loss.item():.4f}")
    for i, layer in enumerate(model):
        if isinstance(layer, nn.Tanh):
            t, g = activations[layer], gradients[layer]
            saturated = (t.abs() > 0.97).float().mean().item() * 100
            print(f"layer {i} ({layer.__class__.__name__}): mean {t.mean().item():+.2f}, std {t.std().item():.2f}, "
                  f"saturated: {saturated:.2f}%  | grad mean {g.mean().item():+.6f}, std {g.std().item():.4e}")
    for name, p in model.named_parameters():
        if p.dim() == 2:
            ratio = (p.grad.std() / p.std()).item()
            print(f"weight {name:10s} {str(tuple(p.shape)):8s} | grad norm {p.grad.norm().item():.4e} | "
                  f"grad:data ratio {ratio:.3e}")
    for handle in handles:
        handle.remove()
    return loss


model = make_model(gain=5 / 3)
print(model)
inspect(model, "gain 5/3 (tanh's recommended gain)")
inspect(make_model(gain=3.0), "gain 3 (saturated)")
inspect(make_model(gain=0.5), "gain 0.5 (shrinking activations)")

# hooks that print and hooks that change what flows through
model = make_model(gain=1.0)
first, last = model[0], model[-1]


def show_call(module, args):
    print(f"pre-hook on {module.__class__.__name__}: input {tuple(args[0].shape)}")


def halve_input(module, args):
    return (args[0] * 0.5,)


def show_grads(module, grad_input, grad_output):
    print(f"backward hook on {module}: grad_input {[None if g is None else tuple(g.shape) for g in grad_input]}, "
          f"grad_output {[tuple(g.shape) for g in grad_output]}")


def clip_grad_input(module, grad_input, grad_output):
    return tuple(None if g is None else g.clamp(-1e-3, 1e-3) for g in grad_input)


h1 = first.register_forward_pre_hook(show_call)
h2 = first.register_forward_pre_hook(halve_input)
h3 = last.register_full_backward_hook(show_grads)
h4 = model[2].register_full_backward_hook(clip_grad_input)
x = X[:5].clone().requires_grad_()
out = model(x)
print("out grad_fn:", out.grad_fn.name(), "->", [f[0].name() if f[0] else None for f in out.grad_fn.next_functions])
out.sum().backward()
print("x.grad (clipped by the hook on layer 2):", x.grad[0])
print("hooks on the first layer:", len(first._forward_pre_hooks), "on the last:", len(last._backward_hooks))
for handle in (h1, h2, h3, h4):
    handle.remove()
print("after remove:", len(first._forward_pre_hooks), len(last._backward_hooks))

# tensor hooks: see and scale the gradient of an intermediate value
h = torch.tanh(first(X[:3]))
h.register_hook(lambda grad: print("grad of h:", grad.shape, f"norm {grad.norm().item():.4f}"))
h.register_hook(lambda grad: grad * 2)
z = (h ** 2).sum()
z.backward()
print("bias grad after doubling:", first.bias.grad[:4])
