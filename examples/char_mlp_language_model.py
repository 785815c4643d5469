"""A character-level language model on a generated word list: bigram counts, then an MLP.

The words are made of syllables picked by seeded NumPy. First the bigram model: count character pairs in an
int tensor, normalise the rows into probabilities, measure the negative log likelihood and sample words.
Then an MLP over a context of three characters (an embedding table, a tanh hidden layer), trained with
mini-batch gradient descent by hand, its parameters plain tensors with requires_grad. Sampling uses NumPy's
generator, fed the model's probabilities.
"""
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(7)
SYLLABLES = ["ka", "ri", "mo", "len", "sa", "tor", "bi", "na", "el", "do", "vin", "ju", "pe", "ash", "qu"]
words = ["".join(rng.choice(SYLLABLES, size=rng.integers(1, 4))) for _ in range(300)]
print(len(words), "words, e.g.", words[:8])

chars = sorted(set("".join(words)))
stoi = {ch: i + 1 for i, ch in enumerate(chars)}
stoi["."] = 0
itos = {i: ch for ch, i in stoi.items()}
vocab_size = len(stoi)
print("vocabulary:", vocab_size, "".join(itos[i] for i in range(vocab_size)))

# --- bigram counts --------------------------------------------------------------------------------------
N = torch.zeros((vocab_size, vocab_size), dtype=torch.int32)
for word in words:
    chs = ["."] + list(word) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        N[stoi[ch1], stoi[ch2]] += 1
print("most common pair after '.':", itos[N[0].argmax().item()], "count", N[0].max().item())
print("row of 'a':", N[stoi["a"]])

P = (N + 1).float()
P /= P.sum(1, keepdim=True)
print("P[0]:", P[0])
print("rows sum to one:", P.sum(1)[:5])


def sample(next_probs, count):
    out = []
    for _ in range(count):
        context, word = None, []
        while True:
            p = next_probs(context, word).astype(np.float64)
            ix = int(rng.choice(len(p), p=p / p.sum()))
            if ix == 0:
                break
            word.append(itos[ix])
            context = ix
        out.append("".join(word))
    return out


print("bigram samples:", sample(lambda prev, word: P[prev or 0].numpy(), 6))

log_likelihood, n = 0.0, 0
for word in words:
    chs = ["."] + list(word) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        log_likelihood += torch.log(P[stoi[ch1], stoi[ch2]])
        n += 1
print(f"bigram nll: {(-log_likelihood / n).item():.4f} over {n} pairs")

# --- MLP over a context of three characters -------------------------------------------------------------
block_size = 3


def build_dataset(word_list):
    X, Y = [], []
    for word in word_list:
        context = [0] * block_size
        for ch in word + ".":
            X.append(context)
            Y.append(stoi[ch])
            context = context[1:] + [stoi[ch]]
    return torch.tensor(X), torch.tensor(Y)


Xtr, Ytr = build_dataset(words[:250])
Xval, Yval = build_dataset(words[250:])
print("train:", Xtr.shape, Ytr.shape, Xtr.dtype, "val:", Xval.shape)

n_embd, n_hidden = 8, 64
C = torch.tensor(rng.standard_normal((vocab_size, n_embd)).astype(np.float32))
W1 = torch.tensor((rng.standard_normal((block_size * n_embd, n_hidden)) * 0.2).astype(np.float32))
b1 = torch.tensor((rng.standard_normal(n_hidden) * 0.01).astype(np.float32))
W2 = torch.tensor((rng.standard_normal((n_hidden, vocab_size)) * 0.05).astype(np.float32))
b2 = torch.zeros(vocab_size)
parameters = [C, W1, b1, W2, b2]
for p in parameters:
    p.requires_grad = True
print("parameters:", sum(p.nelement() for p in parameters))


def forward(X):
    emb = C[X]
    h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)
    return h @ W2 + b2


for step in range(600):
    ix = torch.tensor(rng.integers(0, Xtr.shape[0], size=32))
    logits = forward(Xtr[ix])
    loss = F.cross_entropy(logits, Ytr[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.1 if step < 400 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    if step % 100 == 0:
        print(f"step {step:4d}  loss {loss.item():.4f}")

print("loss:", loss.grad_fn.name(), "C.grad:", C.grad.shape, "W1.grad norm", f"{W1.grad.norm().item():.4f}")
with torch.no_grad():
    for split, (X, Y) in {"train": (Xtr, Ytr), "val": (Xval, Yval)}.items():
        print(f"{split} loss {F.cross_entropy(forward(X), Y).item():.4f}")


def mlp_next(prev, word):
    context = ([0] * block_size + [stoi[ch] for ch in word])[-block_size:]
    with torch.no_grad():
        return F.softmax(forward(torch.tensor([context])), dim=1)[0].numpy()


print("mlp samples:", sample(mlp_next, 8))
