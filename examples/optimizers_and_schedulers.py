"""Training loops with each optimizer and learning-rate scheduler.

A small regression problem (two targets, sin(x0) + x1 * x2 and cos(x1), plus noise, from seeded
NumPy) fitted by a two-layer MLP, once per pairing of an optimizer with a scheduler. Every run starts from
the same weights, drawn with NumPy and copied into the model, so the loss curves can be compared. Losses
are printed to 4 decimals: the output layer's float32 products may differ from PyTorch's in the last bit.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import lr_scheduler

rng = np.random.default_rng(0)
X_np = rng.uniform(-2, 2, size=(64, 3)).astype(np.float32)
targets = np.concatenate([np.sin(X_np[:, :1]) + X_np[:, 1:2] * X_np[:, 2:3], np.cos(X_np[:, 1:2])], axis=1)
y_np = (targets + 0.05 * rng.standard_normal((64, 2))).astype(np.float32)
X, y = torch.tensor(X_np), torch.tensor(y_np)
W1 = rng.standard_normal((16, 3)).astype(np.float32) * 0.5
b1 = np.zeros(16, dtype=np.float32)
W2 = rng.standard_normal((2, 16)).astype(np.float32) * 0.25
b2 = np.zeros(2, dtype=np.float32)


def make_model():
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2))
    with torch.no_grad():
        for layer, (w, b) in zip((model[0], model[2]), ((W1, b1), (W2, b2))):
            layer.weight.copy_(torch.tensor(w))
            layer.bias.copy_(torch.tensor(b))
    return model


def train(name, make_optimizer, make_scheduler, epochs=12):
    torch.manual_seed(0)
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer)
    print(f"=== {name}: {type(optimizer).__name__} + {type(scheduler).__name__}")
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
            scheduler.step(loss.item())
        else:
            scheduler.step()
        lr = optimizer.param_groups[0]["lr"]
        print(f"epoch {epoch:2d}  loss {loss.item():.4f}  lr {lr:.6f}")
    print("final bias of the output layer:", model[2].bias)
    return optimizer, scheduler


optimizer, _ = train("sgd_step", lambda p: torch.optim.SGD(p, lr=0.1),
                     lambda o: lr_scheduler.StepLR(o, step_size=4, gamma=0.5))
print(optimizer)
train("sgd_nesterov_multistep", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
      lambda o: lr_scheduler.MultiStepLR(o, milestones=[3, 8], gamma=0.1))
train("sgd_weight_decay_lambda", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5, weight_decay=1e-3),
      lambda o: lr_scheduler.LambdaLR(o, lr_lambda=lambda epoch: 1 / (1 + epoch)))
optimizer, scheduler = train("adam_cosine", lambda p: torch.optim.Adam(p, lr=0.05),
                             lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=12, eta_min=0.001))
print(optimizer)
print("scheduler state:", scheduler.state_dict())
state = optimizer.state_dict()
print("optimizer state keys:", list(state["state"].keys()), "step:", state["state"][0]["step"])
print("exp_avg of the output bias:", state["state"][3]["exp_avg"])
train("adam_amsgrad_exponential", lambda p: torch.optim.Adam(p, lr=0.05, amsgrad=True),
      lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9))
train("adamw_onecycle", lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
      lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=12))
train("rmsprop_linear", lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9),
      lambda o: lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=6))
train("rmsprop_centered_constant", lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
      lambda o: lr_scheduler.ConstantLR(o, factor=0.5, total_iters=4))
train("adagrad_plateau", lambda p: torch.optim.Adagrad(p, lr=0.3),
      lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=1, threshold=0.05))
train("adam_warmup_then_cosine", lambda p: torch.optim.Adam(p, lr=0.05),
      lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=3),
                                              lr_scheduler.CosineAnnealingLR(o, T_max=9)], milestones=[3]))

# Two parameter groups with their own learning rates, and the scheduler scaling both.
model = make_model()
optimizer = torch.optim.SGD([{"params": model[0].parameters()},
                             {"params": model[2].parameters(), "lr": 0.01}], lr=0.1, momentum=0.9)
scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
print(optimizer)
for epoch in range(5):
    optimizer.zero_grad()
    loss = F.mse_loss(model(X), y)
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(f"epoch {epoch}  loss {loss.item():.4f}  lrs {scheduler.get_last_lr()}")
