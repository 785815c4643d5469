"""Benchmarks: refgrad against torch CPU eager and hand-written NumPy, measured in one run, side by side,
all at one thread count. `python -m benchmarks [--quick] [--threads N] [--runs K] [--json FILE]`.

1. per-op overhead: a chain of N elementwise ops (alternating mul and add) on 1, 1,000 and 100,000
   elements, forward + backward, in microseconds per op, with refgrad/torch and refgrad/NumPy ratios;
2. training steps: an MLP (batch 64, 784-256-10, cross-entropy, SGD) in eager mode and through
   torch.func (functional_call + grad w.r.t. the parameters, the SGD update by hand), and a small
   convolutional net (batch 16 of 1x28x28, conv 1->8 3x3, relu, max-pool 2, linear 1568->10, SGD);
3. a Hessian-vector product of a small tanh network: eager double backward, and torch.func's
   forward-over-reverse jvp(grad(f));
4. scaling: time and peak memory of a chain of N sin ops against N (refgrad, traced with tracemalloc),
   and the memory left after backward (saved tensors are freed unless retain_graph);
5. the conformance suite's wall time with -n 1 and -n 2.

`--threads N` (default 1) limits, for the whole run, torch's intra-op threads (torch.set_num_threads) and
NumPy's BLAS (threadpoolctl), so refgrad, torch and the hand-written NumPy use the same count.
`--runs K` (default 1) repeats 1-4 K times and reports the median of each figure and ratio (a ratio is
taken within a run), with its min-max over the runs. The JSON file holds the machine and its thread pools
(as threadpoolctl reports them), the medians (per_op, programs, scaling), their min-max ("spread") and
each run's figures ("runs"). Programs run on refgrad and on torch, beside the same math written by hand
in NumPy (the torch.func variants beside the same NumPy as their eager ones).
With `--baseline DIR`, the refgrad package in DIR (another checkout, say the commit before a change)
runs beside this one in 1-4, taking turns with it, so before and after come from the same run.

Every timing is the fastest of many runs, the compared engines taking turns run by run (a shared
machine's slow spells then hit them alike).
"""
import argparse
import gc
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import refgrad

try:
    import torch
except ImportError:  # the NumPy and refgrad columns still run
    torch = None

SIZES = (1, 1_000, 100_000)
BASELINE = None  # another refgrad (--baseline), imported as refgrad_baseline


def load_baseline(path):
    """The refgrad package under `path` (a checkout), imported under the name refgrad_baseline."""
    init = os.path.join(path, "refgrad", "__init__.py")
    spec = importlib.util.spec_from_file_location("refgrad_baseline", init,
                                                  submodule_search_locations=[os.path.dirname(init)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["refgrad_baseline"] = module
    spec.loader.exec_module(module)
    return module


def best_of(fn, repeats):
    """The fastest of `repeats` runs of fn(), in seconds."""
    return best_of_each({"fn": fn}, repeats)["fn"]


def best_of_each(variants, repeats):
    """{name: fn} -> {name: fastest run in seconds}. The variants take turns, one run each per round, so
    that a slow spell of a shared machine hits them all alike; the order of the turns is shuffled (seeded)
    from round to round."""
    for fn in variants.values():
        fn()  # warm up
    best = dict.fromkeys(variants, float("inf"))
    order = list(variants)
    shuffle = random.Random(0).shuffle
    for _ in range(repeats):
        # a new order each round: torch's thread pool stays busy for a while after its run, so a fixed
        # order, or a rotation of it, always puts the same engine right after torch
        shuffle(order)
        for name in order:
            start = time.perf_counter()
            variants[name]()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def compare(make, make_numpy, repeats):
    """Fastest run of refgrad, NumPy, torch and the baseline (if any), taking turns."""
    variants = {"refgrad": make(refgrad), "numpy": make_numpy()}
    if BASELINE is not None:
        variants["baseline"] = make(BASELINE)
    if torch is not None:
        variants["torch"] = make(torch)
    return best_of_each(variants, repeats)


def with_ratios(row, unit):
    """row ({engine}_{unit} figures) with refgrad/torch, refgrad/numpy and refgrad/baseline added."""
    for other in ("torch", "numpy", "baseline"):
        if f"{other}_{unit}" in row:
            row[f"refgrad/{other}"] = row[f"refgrad_{unit}"] / row[f"{other}_{unit}"]
    return row


# ------------------------------------------------------------------------------ 1. per-op overhead
def chain(lib, size, n_ops):
    """Forward + backward of n_ops alternating elementwise ops in refgrad or torch."""
    x = lib.ones(size, requires_grad=True)

    def run():
        y = x
        for i in range(n_ops // 2):
            y = y * 1.0001
            y = y + 0.5
        y.sum().backward()
        x.grad = None
    return run


def chain_numpy(size, n_ops):
    """The same chain written by hand: forward, then the backward products."""
    x = np.ones(size, np.float32)

    def run():
        y = x
        for i in range(n_ops // 2):
            y = y * np.float32(1.0001)
            y = y + np.float32(0.5)
        grad = np.ones_like(y)
        for i in range(n_ops // 2):
            grad = grad * np.float32(1.0001)  # add passes the gradient through
        return grad
    return run


def per_op(repeats, n_ops):
    rows = []
    for size in SIZES:
        ops = n_ops if size < 100_000 else max(n_ops // 5, 20)
        best = compare(lambda lib: chain(lib, size, ops), lambda: chain_numpy(size, ops), repeats)
        row = {"elements": size, "ops": ops}
        row.update({f"{name}_us": seconds / ops * 1e6 for name, seconds in best.items()})
        rows.append(with_ratios(row, "us"))
    return rows


# ------------------------------------------------------------------------------ 2. training steps
def mlp(lib):
    """The MLP, its seeded weights, a batch and the loss, in refgrad or torch."""
    rng = np.random.default_rng(0)
    net = lib.nn.Sequential(lib.nn.Linear(784, 256), lib.nn.ReLU(), lib.nn.Linear(256, 10))
    with lib.no_grad():
        for p in net.parameters():
            p.copy_(lib.tensor(rng.uniform(-0.05, 0.05, tuple(p.shape)), dtype=lib.float32))
    X = lib.tensor(rng.uniform(0, 1, (64, 784)), dtype=lib.float32)
    y = lib.tensor(rng.integers(0, 10, 64))
    return net, X, y, lib.nn.CrossEntropyLoss()


def mlp_step(lib):
    """The eager MLP step; run() returns the parameters, by name."""
    net, X, y, loss = mlp(lib)
    opt = lib.optim.SGD(net.parameters(), lr=0.1)
    params = dict(net.named_parameters())

    def run():
        opt.zero_grad()
        loss(net(X), y).backward()
        opt.step()
        return params
    return run


def mlp_func_step(lib):
    """The MLP step through torch.func: grad of the loss w.r.t. a dict of parameters, SGD by hand;
    run() returns that dict."""
    net, X, y, loss = mlp(lib)
    params = {name: p.detach() for name, p in net.named_parameters()}
    grads_of = lib.func.grad(lambda params: loss(lib.func.functional_call(net, params, (X,)), y))

    def run():
        grads = grads_of(params)
        with lib.no_grad():
            for name, p in params.items():
                p.sub_(grads[name], alpha=0.1)
        return params
    return run


def softmax_cross_entropy_grad(z, y):
    """d(mean cross-entropy)/dz for logits z and integer targets y."""
    z = z - z.max(1, keepdims=True)
    dz = np.exp(z)
    dz /= dz.sum(1, keepdims=True)
    dz[np.arange(len(y)), y] -= 1
    return dz / np.float32(len(y))


def sgd_numpy(pairs, lr=np.float32(0.1)):
    for w, g in pairs:
        w -= lr * g


def mlp_step_numpy():
    rng = np.random.default_rng(0)
    W1, b1 = rng.uniform(-0.05, 0.05, (256, 784)).astype(np.float32), np.zeros(256, np.float32)
    W2, b2 = rng.uniform(-0.05, 0.05, (10, 256)).astype(np.float32), np.zeros(10, np.float32)
    X = rng.uniform(0, 1, (64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)

    def run():
        h = X @ W1.T + b1
        a = np.maximum(h, 0)
        dz = softmax_cross_entropy_grad(a @ W2.T + b2, y)
        dW2, db2 = dz.T @ a, dz.sum(0)
        dh = (dz @ W2) * (h > 0)
        dW1, db1 = dh.T @ X, dh.sum(0)
        sgd_numpy(((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)))
    return run


def conv_weights():
    """Seeded NumPy float32 arrays: conv weight and bias, linear weight and bias, inputs, targets."""
    rng = np.random.default_rng(2)
    uniform = lambda bound, shape: rng.uniform(-bound, bound, shape).astype(np.float32)  # noqa: E731
    return (uniform(1 / 3, (8, 1, 3, 3)), uniform(1 / 3, 8), uniform(0.025, (10, 8 * 14 * 14)),
            uniform(0.025, 10), rng.uniform(0, 1, (16, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, 16))


def conv_step(lib):
    """One SGD step of conv2d 1->8 3x3 (padding 1), relu, max_pool2d 2, flatten, linear, cross-entropy.
    run() returns the parameters [conv weight, conv bias, linear weight, linear bias]."""
    F = lib.nn.functional
    *weights, X, y = conv_weights()
    params = [lib.tensor(w, requires_grad=True) for w in weights]
    X, y = lib.tensor(X), lib.tensor(y)
    opt = lib.optim.SGD(params, lr=0.1)

    def run():
        conv_w, conv_b, fc_w, fc_b = params
        opt.zero_grad()
        pooled = F.max_pool2d(F.relu(F.conv2d(X, conv_w, conv_b, padding=1)), 2)
        F.cross_entropy(F.linear(pooled.flatten(1), fc_w, fc_b), y).backward()
        opt.step()
        return params
    return run


def im2col_3x3(X):
    """(N, C, H, W) -> (N, H, W, C*9): each pixel's 3x3 neighbourhood (zero padding 1), as conv2d reads it."""
    padded = np.pad(X, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))  # N, C, H, W, 3, 3
    n, c, h, w = X.shape
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n, h, w, c * 9)


def pool_windows(a):
    """(N, H, W, C) -> (N, H/2, W/2, C, 4): each 2x2 window, in max_pool2d's scan order."""
    n, h, w, c = a.shape
    return a.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, h // 2, w // 2, c, 4)


def unpool_windows(d):
    """The inverse of pool_windows."""
    n, h, w, c, _ = d.shape
    return d.reshape(n, h, w, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(n, 2 * h, 2 * w, c)


def conv_step_numpy():
    """The conv step by hand (im2col, channels last); run() returns the updated parameters."""
    conv_w, conv_b, fc_w, fc_b, X, y = conv_weights()
    n = len(X)

    def run():
        cols = im2col_3x3(X)                                          # N, 28, 28, 9
        h = cols @ conv_w.reshape(8, -1).T + conv_b                   # N, 28, 28, 8
        windows = pool_windows(np.maximum(h, 0))                      # N, 14, 14, 8, 4
        first_max = windows.argmax(-1)[..., None]                     # the one max_pool2d routes back to
        pooled = np.take_along_axis(windows, first_max, -1)[..., 0]   # N, 14, 14, 8
        flat = pooled.transpose(0, 3, 1, 2).reshape(n, -1)            # torch flattens channels first
        dz = softmax_cross_entropy_grad(flat @ fc_w.T + fc_b, y)
        dfc_w, dfc_b = dz.T @ flat, dz.sum(0)
        dpooled = (dz @ fc_w).reshape(n, 8, 14, 14).transpose(0, 2, 3, 1)
        dwindows = np.zeros_like(windows)
        np.put_along_axis(dwindows, first_max, dpooled[..., None], -1)
        dh = unpool_windows(dwindows) * (h > 0)
        dconv_w = (dh.reshape(-1, 8).T @ cols.reshape(-1, cols.shape[-1])).reshape(conv_w.shape)
        sgd_numpy(((conv_w, dconv_w), (conv_b, dh.sum((0, 1, 2))), (fc_w, dfc_w), (fc_b, dfc_b)))
        return [conv_w, conv_b, fc_w, fc_b]
    return run


# ------------------------------------------------------------------------------ 3. Hessian-vector product
def hvp_inputs(lib):
    """f (a small tanh network), x and v, in refgrad or torch."""
    rng = np.random.default_rng(1)
    W1 = lib.tensor(rng.normal(0, 0.3, (32, 16)), dtype=lib.float32)
    W2 = lib.tensor(rng.normal(0, 0.3, (1, 32)), dtype=lib.float32)
    x = lib.tensor(rng.normal(0, 1, 16), dtype=lib.float32)
    v = lib.tensor(rng.normal(0, 1, 16), dtype=lib.float32)
    return (lambda x: (W2 @ (W1 @ x).tanh()).sum()), x, v


def hvp(lib):
    """The HVP by double backward."""
    f, x, v = hvp_inputs(lib)
    x.requires_grad_()

    def run():
        (g,) = lib.autograd.grad(f(x), x, create_graph=True)
        (h,) = lib.autograd.grad((g * v).sum(), x)
        return h
    return run


def hvp_func(lib):
    """The HVP through torch.func, forward-over-reverse: jvp(grad(f), (x,), (v,))."""
    f, x, v = hvp_inputs(lib)
    grad_f = lib.func.grad(f)
    return lambda: lib.func.jvp(grad_f, (x,), (v,))[1]


def hvp_numpy():
    rng = np.random.default_rng(1)
    W1 = rng.normal(0, 0.3, (32, 16)).astype(np.float32)
    W2 = rng.normal(0, 0.3, (1, 32)).astype(np.float32)
    x = rng.normal(0, 1, 16).astype(np.float32)
    v = rng.normal(0, 1, 16).astype(np.float32)

    def run():
        t = np.tanh(W1 @ x)
        # the gradient is W1^T (W2 (1 - t^2)); ds is the derivative of W2 (1 - t^2) along v
        ds = W2[0] * (-2 * t) * (1 - t * t) * (W1 @ v)
        return W1.T @ ds
    return run


PROGRAMS = {  # name: (label, refgrad/torch version, hand-written NumPy version)
    "mlp_step": ("MLP step", mlp_step, mlp_step_numpy),
    "mlp_func": ("MLP step, torch.func", mlp_func_step, mlp_step_numpy),
    "conv_step": ("conv step", conv_step, conv_step_numpy),
    "hvp": ("HVP", hvp, hvp_numpy),
    "hvp_func": ("HVP, torch.func", hvp_func, hvp_numpy),
}


def small_programs(repeats):
    out = {}
    for name, (label, make, make_numpy) in PROGRAMS.items():
        best = compare(make, make_numpy, repeats)
        out[name] = with_ratios({f"{lib}_ms": seconds * 1e3 for lib, seconds in best.items()}, "ms")
    return out


# ------------------------------------------------------------------------------ 4. scaling
def _sin_chain(x, n):
    y = x
    for _ in range(n):
        y = y.sin()  # sin saves its input: the graph holds n tensors
    return y


def scaling(lengths, lib=refgrad):
    """Time (untraced) and memory (tracemalloc, which sees NumPy's buffers) of a chain of n sin ops."""
    x = lib.ones(100, requires_grad=True)
    _sin_chain(x, 10).sum().backward()  # warm up: lazy imports and caches are not the graph's
    x.grad = None
    rows = []
    for n in lengths:
        seconds = best_of(lambda: _sin_chain(x, n).sum().backward(), max(1, 30_000 // n))  # ~30,000 ops a row
        x.grad = None
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        y = _sin_chain(x, n)
        graph = tracemalloc.get_traced_memory()[0] - base
        y.sum().backward()
        del y
        x.grad = None
        gc.collect()
        left, peak = (m - base for m in tracemalloc.get_traced_memory())
        tracemalloc.stop()
        rows.append({"ops": n, "seconds": seconds, "us_per_op": seconds / n * 1e6, "graph_bytes": graph,
                     "peak_bytes": peak, "bytes_left_after_backward": left,
                     "left_fraction_of_graph": left / graph})
    return rows


# ------------------------------------------------------------------------------ 5. the conformance suite
def conformance_wall(workers):
    out = {}
    for n in workers:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "conformance", "--subjects", "refgrad,torch:cpu", "-n", str(n),
                        "--no-report", "-q"], check=False, capture_output=True)
        out[f"-n {n}"] = time.perf_counter() - start
    return out


# ------------------------------------------------------------------------------ runs
def measure(repeats, n_ops, lengths):
    """One run of 1-4."""
    run = {"per_op": per_op(repeats, n_ops), "programs": small_programs(repeats), "scaling": scaling(lengths)}
    if BASELINE is not None:
        run["baseline_scaling"] = scaling(lengths, BASELINE)
    return run


def across(values, leaf):
    """Same-shaped results (nested dicts and lists of numbers) combined number by number with leaf(list)."""
    first = values[0]
    if isinstance(first, dict):
        return {key: across([v[key] for v in values], leaf) for key in first}
    if isinstance(first, list):
        return [across(list(items), leaf) for items in zip(*values)]
    return leaf(values)


def median(values):
    """The median; for integers (sizes, bytes) the lower middle one, so that it stays an integer."""
    if all(isinstance(v, int) for v in values):
        return statistics.median_low(values)
    return statistics.median(values)


def summarize(runs):
    """The median of each figure and ratio over the runs at the top level, their min-max under "spread"."""
    return {**across(runs, median), "spread": across(runs, lambda values: [min(values), max(values)]),
            "runs": runs}


# ------------------------------------------------------------------------------ report
def machine(threads):
    """The machine, and the thread counts in force (call it inside the run's limits)."""
    pools = [{key: pool.get(key) for key in ("user_api", "internal_api", "prefix", "version", "num_threads")}
             for pool in threadpool_info()]
    return {"python": platform.python_version(), "numpy": np.__version__,
            "torch": None if torch is None else torch.__version__, "threads": threads,
            "torch_threads": None if torch is None else torch.get_num_threads(), "threadpools": pools,
            "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "platform": platform.platform()}


def threads_line(m):
    pools = "; ".join(f"{p['user_api']}: {p['prefix']} {p['version'] or ''}".rstrip() + f", {p['num_threads']}"
                      for p in m.get("threadpools", []))
    return f"threads: {m.get('threads')} (torch intra-op: {m.get('torch_threads')}; {pools})"


def cell(row, spread, key, fmt, with_spread):
    """row[key] formatted, followed by its min-max over runs when with_spread; "-" if absent."""
    if key not in row:
        return "-"
    text = format(row[key], fmt)
    if with_spread:
        low, high = spread[key]
        text += f" ({format(low, fmt)}-{format(high, fmt)})"
    return text


def print_row(label_cells, row, spread, keys, fmt, with_spread):
    figures = [cell(row, spread, k, fmt, with_spread) for k in keys]
    ratios = [cell(row, spread, k, ".2f", with_spread) for k in ("refgrad/torch", "refgrad/numpy")]
    width = 20 if with_spread else 9
    print(" ".join(label_cells) + " " + " ".join(f"{c:>{width}}" for c in figures + ratios))


def print_table(results):
    machine_info = {k: v for k, v in results["machine"].items() if k not in ("threadpools", "torch_threads")}
    print(f"machine: {machine_info}")
    print(threads_line(results["machine"]))
    runs = len(results.get("runs", [None]))
    multi = runs > 1
    if multi:
        print(f"{runs} runs: median (min-max) of each figure and ratio")
    width = 20 if multi else 9
    names = "".join(f" {n:>{width}}" for n in ("refgrad", "torch", "numpy", "rg/torch", "rg/numpy"))
    spread = results.get("spread", {})
    print("\n1. per-op overhead (forward + backward, us per op)")
    print(f"{'elements':>9} {'ops':>5}{names}")
    for i, r in enumerate(results["per_op"]):
        print_row([f"{r['elements']:>9}", f"{r['ops']:>5}"], r, spread and spread["per_op"][i],
                  ("refgrad_us", "torch_us", "numpy_us"), ".2f", multi)
    print("\n2-3. programs (ms per step)")
    print(f"{'program':>21}{names}")
    for name, r in results["programs"].items():
        print_row([f"{PROGRAMS.get(name, (name,))[0]:>21}"], r, spread and spread["programs"][name],
                  ("refgrad_ms", "torch_ms", "numpy_ms"), ".3f", multi)
    print_scaling(results["scaling"], "4. scaling: a chain of N sin ops on 100 elements (refgrad)")
    if results.get("baseline"):
        print_baseline(results)
    if results.get("conformance"):
        print("\n5. conformance suite (refgrad,torch:cpu), wall seconds")
        for k, v in results["conformance"].items():
            print(f"{k:>5}: {v:.1f}")


def print_scaling(rows, title):
    print(f"\n{title}")
    print(f"{'ops':>8} {'seconds':>9} {'us/op':>7} {'graph MB':>9} {'peak MB':>8} {'left after backward':>20}")
    for r in rows:
        print(f"{r['ops']:>8} {r['seconds']:>9.3f} {r['us_per_op']:>7.2f} {r['graph_bytes'] / 1e6:>9.2f} "
              f"{r['peak_bytes'] / 1e6:>8.2f} {r['bytes_left_after_backward']:>9} B "
              f"({100 * r['left_fraction_of_graph']:.2f}%)")


def print_baseline(results):
    multi = len(results.get("runs", [None])) > 1
    spread = results.get("spread", {})
    print(f"\nbaseline: refgrad from {results['baseline']['path']} (refgrad/baseline: < 1 is faster)")
    for i, r in enumerate(results["per_op"]):
        ratio = cell(r, spread and spread["per_op"][i], "refgrad/baseline", ".2f", multi)
        print(f"  per-op, {r['elements']:>7} elements: baseline {r['baseline_us']:7.2f} us, "
              f"refgrad {r['refgrad_us']:7.2f} us, refgrad/baseline {ratio}")
    for name, r in results["programs"].items():
        ratio = cell(r, spread and spread["programs"][name], "refgrad/baseline", ".2f", multi)
        print(f"  {name:>9}: baseline {r['baseline_ms']:7.3f} ms, refgrad {r['refgrad_ms']:7.3f} ms, "
              f"refgrad/baseline {ratio}")
    print_scaling(results["baseline_scaling"], "baseline scaling")


def markdown_tables(results):
    """The tables of README's "Benchmarks" section, from a results dict: medians, and for the ratios the
    min-max over runs when there were several."""
    multi = len(results.get("runs", [None])) > 1
    spread = results.get("spread", {})
    ratio = lambda r, s, key: cell(r, s, key, ".2f", multi)  # noqa: E731
    lines = ["| per-op, fwd+bwd | refgrad | torch | NumPy | refgrad/torch | refgrad/NumPy |",
             "|---|---|---|---|---|---|"]
    for i, r in enumerate(results["per_op"]):
        s = spread and spread["per_op"][i]
        lines.append(f"| {r['elements']:,} element{'s' if r['elements'] > 1 else ''} | {r['refgrad_us']:.1f} us | "
                     f"{r['torch_us']:.1f} us | {r['numpy_us']:.1f} us | {ratio(r, s, 'refgrad/torch')} | "
                     f"{ratio(r, s, 'refgrad/numpy')} |")
    lines += ["", "| program | refgrad | torch | NumPy | refgrad/torch | refgrad/NumPy |", "|---|---|---|---|---|---|"]
    for name, (label, *_) in PROGRAMS.items():
        if name in results["programs"]:
            r, s = results["programs"][name], spread and spread["programs"][name]
            digits = 3 if name.startswith("hvp") else 2
            cells = [f"{r[k]:.{digits}f} ms" for k in ("refgrad_ms", "torch_ms", "numpy_ms")]
            lines.append(f"| {label} | {' | '.join(cells)} | {ratio(r, s, 'refgrad/torch')} | "
                         f"{ratio(r, s, 'refgrad/numpy')} |")
    rows = results["scaling"]
    lines += ["", "| graph length (sin ops, 100 elements) | " + " | ".join(f"{r['ops']:,}" for r in rows) + " |",
              "|---|" + "---|" * len(rows),
              "| time per op | " + " | ".join(f"{r['us_per_op']:.1f} us" for r in rows) + " |",
              "| graph memory | " + " | ".join(f"{r['graph_bytes'] / 1e6:.2f} MB" for r in rows) + " |",
              "| left after backward | " + " | ".join(f"{r['bytes_left_after_backward']} B" for r in rows) + " |"]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and shorter chains")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="torch intra-op and NumPy BLAS threads for the whole run (default 1)")
    parser.add_argument("--runs", type=int, default=1, metavar="K",
                        help="repeat the measurement K times; report medians and min-max (default 1)")
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write the results")
    parser.add_argument("--no-conformance", action="store_true", help="skip timing the conformance suite")
    parser.add_argument("--markdown", metavar="FILE", help="print README's tables from a results file and exit")
    parser.add_argument("--baseline", metavar="DIR", help="also time the refgrad package of another checkout")
    args = parser.parse_args(argv)
    global BASELINE
    if args.baseline:
        BASELINE = load_baseline(args.baseline)
    if args.markdown:
        with open(args.markdown) as f:
            print(markdown_tables(json.load(f)))
        return
    repeats = 5 if args.quick else 30
    n_ops = 100 if args.quick else 200
    lengths = (100, 1_000, 10_000) if args.quick else (100, 1_000, 10_000, 100_000)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        if torch is not None:
            torch.set_num_threads(args.threads)
        results = {"machine": machine(args.threads),
                   **summarize([measure(repeats, n_ops, lengths) for _ in range(args.runs)])}
    if BASELINE is not None:
        results["baseline"] = {"path": os.path.abspath(args.baseline)}
    if not args.no_conformance:
        results["conformance"] = conformance_wall((1, 2))
    print_table(results)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
