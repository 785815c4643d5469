"""A small CNN classifying synthetic 12x12 images: horizontal bars, vertical bars and crosses.

The images are drawn with seeded NumPy (a bar at a random position plus noise), the weights too, and
copied into the model. Trains with SGD and momentum on mini-batches, then evaluates in eval mode
(batch norm's running statistics) and prints the per-class accuracy.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(42)
CLASSES = ["horizontal", "vertical", "cross"]


def draw(label):
    image = 0.2 * rng.standard_normal((12, 12))
    row, col = rng.integers(2, 10, size=2)
    if label in (0, 2):
        image[row, 1:11] += 1.0
    if label in (1, 2):
        image[1:11, col] += 1.0
    return image


def make_dataset(n):
    labels = rng.integers(0, 3, size=n)
    images = np.stack([draw(label) for label in labels])[:, None].astype(np.float32)
    return torch.tensor(images), torch.tensor(labels)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3)
        self.fc = nn.Linear(8 * 4 * 4, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.conv2(x))
        return self.fc(torch.flatten(x, 1))


def init_from_numpy(model):
    """Kaiming-like uniform weights from NumPy, so both engines start from the same numbers."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.startswith("bn"):
                continue
            fan_in = param[0].numel() if param.dim() > 1 else param.numel()
            bound = 1 / np.sqrt(fan_in)
            param.copy_(torch.tensor(rng.uniform(-bound, bound, size=tuple(param.shape)).astype(np.float32)))


train_x, train_y = make_dataset(96)
test_x, test_y = make_dataset(48)
print("images:", train_x.shape, train_x.dtype, "labels:", train_y[:10])

model = SmallCNN()
init_from_numpy(model)
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()))
for name, buffer in model.named_buffers():
    print("buffer", name, tuple(buffer.shape))

optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
batch_size = 16
for epoch in range(6):
    model.train()
    order = rng.permutation(len(train_x))
    total = 0.0
    for start in range(0, len(order), batch_size):
        idx = torch.tensor(order[start:start + batch_size])
        logits = model(train_x[idx])
        loss = loss_fn(logits, train_y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    model.eval()
    with torch.no_grad():
        predicted = model(test_x).argmax(dim=1)
    accuracy = (predicted == test_y).float().mean().item()
    print(f"epoch {epoch}  train loss {total / len(train_x):.4f}  test accuracy {accuracy:.3f}")

print("loss grad_fn:", loss.grad_fn.name(), "logits grad_fn:", logits.grad_fn.name())
print("running mean:", model.bn1.running_mean)
print("running var:", model.bn1.running_var)
print("batches tracked:", model.bn1.num_batches_tracked)
with torch.no_grad():
    probs = F.softmax(model(test_x[:4]), dim=1)
torch.set_printoptions(precision=3, sci_mode=False)
print("probabilities of the first test images:\n", probs)
torch.set_printoptions(profile="default")
for k, name in enumerate(CLASSES):
    mask = test_y == k
    correct = (predicted[mask] == k).sum().item()
    print(f"{name:10s}: {correct}/{mask.sum().item()}")
print("state_dict keys:", list(model.state_dict().keys()))
