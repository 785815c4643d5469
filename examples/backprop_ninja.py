"""Backprop by hand: every gradient of a two-layer MLP with a batch-norm layer, checked against autograd.

The network (an embedding table, a linear layer, batch normalisation written out op by op, tanh, a linear
layer and cross-entropy written out op by op) runs forward in small steps, each intermediate keeping its
gradient. Then the backward pass is derived by hand, step by step in reverse, and each hand-made gradient is
compared with autograd's: exactly equal, equal within allclose's tolerance, and the largest difference.
Last, the fused formulas: cross-entropy's gradient through the logits in one line, and batch norm's in one.
Data (three-character contexts of random letters) and weights come from seeded NumPy.
"""
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(1337)
vocab_size, block_size, n_embd, n_hidden, n = 12, 3, 5, 32, 24
Xb = torch.tensor(rng.integers(0, vocab_size, size=(n, block_size)))
Yb = torch.tensor(rng.integers(0, vocab_size, size=n))


def param(shape, scale):
    return torch.tensor((rng.standard_normal(shape) * scale).astype(np.float32)).requires_grad_()


C = param((vocab_size, n_embd), 1.0)
W1 = param((n_embd * block_size, n_hidden), (5 / 3) / (n_embd * block_size) ** 0.5)
b1 = param((n_hidden,), 0.1)
W2 = param((n_hidden, vocab_size), 0.1)
b2 = param((vocab_size,), 0.1)
bngain = param((1, n_hidden), 0.1)
bnbias = param((1, n_hidden), 0.1)
with torch.no_grad():
    bngain += 1.0
parameters = [C, W1, b1, W2, b2, bngain, bnbias]
print("parameters:", sum(p.nelement() for p in parameters))


def cmp(s, dt, t):
    ex = torch.all(dt == t.grad).item()
    app = ((dt - t.grad).abs() <= 1e-8 + 1e-5 * t.grad.abs()).all().item()  # torch.allclose's test
    maxdiff = (dt - t.grad).abs().max().item()
    # the size of the rounding noise, not its digits: those depend on the order of each sum
    print(f"{s:15s} | exact: {str(ex):5s} | approximate: {str(app):5s} | maxdiff < 1e-6: {maxdiff < 1e-6}")


# forward pass, chunked into steps that can be backpropagated one at a time
emb = C[Xb]
embcat = emb.view(emb.shape[0], -1)
hprebn = embcat @ W1 + b1
bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
bndiff = hprebn - bnmeani
bndiff2 = bndiff ** 2
bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)  # Bessel's correction
bnvar_inv = (bnvar + 1e-5) ** -0.5
bnraw = bndiff * bnvar_inv
hpreact = bngain * bnraw + bnbias
h = torch.tanh(hpreact)
logits = h @ W2 + b2
logit_maxes = logits.max(1, keepdim=True).values
norm_logits = logits - logit_maxes  # for numerical stability
counts = norm_logits.exp()
counts_sum = counts.sum(1, keepdims=True)  # NumPy's spelling, which PyTorch takes too
counts_sum_inv = counts_sum ** -1
probs = counts * counts_sum_inv
logprobs = probs.log()
loss = -logprobs[range(n), Yb].mean()

intermediates = [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes, logits, h,
                 hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani, embcat, emb]
for t in intermediates:
    t.retain_grad()
loss.backward()
print("loss:", loss)
print("grad_fns:", [t.grad_fn.name() for t in intermediates[:6]])

# exercise 1: backprop through every step by hand
dlogprobs = torch.zeros_like(logprobs)
dlogprobs[range(n), Yb] = -1.0 / n
dprobs = (1.0 / probs) * dlogprobs
dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
dcounts = counts_sum_inv * dprobs
dcounts_sum = (-counts_sum ** -2) * dcounts_sum_inv
dcounts += torch.ones_like(counts) * dcounts_sum
dnorm_logits = counts * dcounts
dlogits = dnorm_logits.clone()
dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
dh = dlogits @ W2.T
dW2 = h.T @ dlogits
db2 = dlogits.sum(0)
dhpreact = (1.0 - h ** 2) * dh
dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
dbnraw = bngain * dhpreact
dbnbias = dhpreact.sum(0, keepdim=True)
dbndiff = bnvar_inv * dbnraw
dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
dbnvar = (-0.5 * (bnvar + 1e-5) ** -1.5) * dbnvar_inv
dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
dbndiff += (2 * bndiff) * dbndiff2
dhprebn = dbndiff.clone()
dbnmeani = (-dbndiff).sum(0)
dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
dembcat = dhprebn @ W1.T
dW1 = embcat.T @ dhprebn
db1 = dhprebn.sum(0)
demb = dembcat.view(emb.shape)
dC = torch.zeros_like(C)
for k in range(Xb.shape[0]):
    for j in range(Xb.shape[1]):
        dC[Xb[k, j]] += demb[k, j]

for name, d, t in [("logprobs", dlogprobs, logprobs), ("probs", dprobs, probs),
                   ("counts_sum_inv", dcounts_sum_inv, counts_sum_inv), ("counts_sum", dcounts_sum, counts_sum),
                   ("counts", dcounts, counts), ("norm_logits", dnorm_logits, norm_logits),
                   ("logit_maxes", dlogit_maxes, logit_maxes), ("logits", dlogits, logits), ("h", dh, h),
                   ("W2", dW2, W2), ("b2", db2, b2), ("hpreact", dhpreact, hpreact), ("bngain", dbngain, bngain),
                   ("bnbias", dbnbias, bnbias), ("bnraw", dbnraw, bnraw), ("bnvar_inv", dbnvar_inv, bnvar_inv),
                   ("bnvar", dbnvar, bnvar), ("bndiff2", dbndiff2, bndiff2), ("bndiff", dbndiff, bndiff),
                   ("bnmeani", dbnmeani, bnmeani), ("hprebn", dhprebn, hprebn), ("embcat", dembcat, embcat),
                   ("W1", dW1, W1), ("b1", db1, b1), ("emb", demb, emb), ("C", dC, C)]:
    cmp(name, d, t)

# exercise 2: cross-entropy's backward in one step
loss_fast = F.cross_entropy(logits, Yb)
print("loss_fast:", f"{loss_fast.item():.4f}", "diff:", (loss_fast - loss).abs().item() < 1e-6)
dlogits = F.softmax(logits, 1)
dlogits[range(n), Yb] -= 1
dlogits /= n
cmp("logits", dlogits, logits)

# exercise 3: batch norm's backward in one step
hpreact_fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(
    hprebn.var(0, keepdim=True, unbiased=True) + 1e-5) + bnbias
print("max diff of the fused batch norm:", (hpreact_fast - hpreact).abs().max().item() < 1e-6)
dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
cmp("hprebn", dhprebn, hprebn)
print("dhprebn:", dhprebn.shape, dhprebn[0, :4])
