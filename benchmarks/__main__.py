"""Benchmarks: refgrad against torch CPU eager (one thread and default threads) and hand-written NumPy,
measured in one run, side by side. `python -m benchmarks [--quick] [--json FILE]`.

1. per-op overhead: a chain of N elementwise ops (alternating mul and add) on 1, 1,000 and 100,000
   elements, forward + backward, in microseconds per op, with refgrad/torch and refgrad/NumPy ratios;
2. an MLP training step (batch 64, 784-256-10, cross-entropy, SGD);
3. a Hessian-vector product of a small tanh network (double backward);
4. scaling: time and peak memory of a chain of N sin ops against N (refgrad, traced with tracemalloc),
   and the memory left after backward (saved tensors are freed unless retain_graph);
5. the conformance suite's wall time with -n 1 and -n 2.

With `--baseline DIR`, the refgrad package in DIR (another checkout, say the commit before a change)
runs beside this one in 1-4, taking turns with it, so before and after come from the same run.

Every timing is the fastest of many runs, the compared engines taking turns run by run (a shared
machine's slow spells then hit them alike). Ratios compare numbers from this same run.
"""
import argparse
import gc
import importlib.util
import json
import os
import platform
import random
import subprocess
import sys
import time
import tracemalloc

import numpy as np

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
    return best_of_each({"fn": (fn, None)}, repeats)["fn"]


def best_of_each(variants, repeats):
    """{name: (fn, torch threads or None)} -> {name: fastest run in seconds}. The variants take turns,
    one run each per round, so that a slow spell of a shared machine hits them all alike; the order of
    the turns is shuffled (seeded) from round to round."""
    best = {}
    for name, (fn, threads) in variants.items():
        with torch_threads(threads):
            fn()  # warm up
        best[name] = float("inf")
    order = list(variants)
    shuffle = random.Random(0).shuffle
    for _ in range(repeats):
        # a new order each round: torch's thread pool stays busy for a while after its run (and after its
        # thread count is set back), so a fixed order, or a rotation of it, always puts the same engine
        # right after torch
        shuffle(order)
        for name in order:
            fn, threads = variants[name]
            with torch_threads(threads):
                start = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - start)
    return best


def torch_threads(n):
    """A context that sets torch's intra-op thread count (None keeps the default)."""
    class Threads:
        def __enter__(self):
            if n is not None:
                self.before = torch.get_num_threads()
                torch.set_num_threads(n)

        def __exit__(self, *exc):
            if n is not None:
                torch.set_num_threads(self.before)
    return Threads()


def compare(make, make_numpy, repeats):
    """Fastest run of refgrad, NumPy and torch (default threads and one thread), taking turns."""
    variants = {"refgrad": (make(refgrad), None), "numpy": (make_numpy(), None)}
    if BASELINE is not None:
        variants["baseline"] = (make(BASELINE), None)
    if torch is not None:
        variants["torch"] = (make(torch), None)
        variants["torch_1thread"] = (make(torch), 1)
    return best_of_each(variants, repeats)


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
        if torch is not None:
            row["refgrad/torch"] = row["refgrad_us"] / row["torch_us"]
            row["refgrad/torch_1thread"] = row["refgrad_us"] / row["torch_1thread_us"]
        row["refgrad/numpy"] = row["refgrad_us"] / row["numpy_us"]
        if BASELINE is not None:
            row["refgrad/baseline"] = row["refgrad_us"] / row["baseline_us"]
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------ 2. MLP training step
def mlp_step(lib):
    rng = np.random.default_rng(0)
    net = lib.nn.Sequential(lib.nn.Linear(784, 256), lib.nn.ReLU(), lib.nn.Linear(256, 10))
    with lib.no_grad():
        for p in net.parameters():
            p.copy_(lib.tensor(rng.uniform(-0.05, 0.05, tuple(p.shape)), dtype=lib.float32))
    X = lib.tensor(rng.uniform(0, 1, (64, 784)), dtype=lib.float32)
    y = lib.tensor(rng.integers(0, 10, 64))
    loss = lib.nn.CrossEntropyLoss()
    opt = lib.optim.SGD(net.parameters(), lr=0.1)

    def run():
        opt.zero_grad()
        loss(net(X), y).backward()
        opt.step()
    return run


def mlp_step_numpy():
    rng = np.random.default_rng(0)
    W1, b1 = rng.uniform(-0.05, 0.05, (256, 784)).astype(np.float32), np.zeros(256, np.float32)
    W2, b2 = rng.uniform(-0.05, 0.05, (10, 256)).astype(np.float32), np.zeros(10, np.float32)
    X = rng.uniform(0, 1, (64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)

    def run():
        h = X @ W1.T + b1
        a = np.maximum(h, 0)
        z = a @ W2.T + b2
        z = z - z.max(1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        dz = p
        dz[np.arange(64), y] -= 1
        dz /= 64
        dW2, db2 = dz.T @ a, dz.sum(0)
        da = dz @ W2
        dh = da * (h > 0)
        dW1, db1 = dh.T @ X, dh.sum(0)
        for w, g in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            w -= np.float32(0.1) * g
    return run


# ------------------------------------------------------------------------------ 3. Hessian-vector product
def hvp(lib):
    rng = np.random.default_rng(1)
    W1 = lib.tensor(rng.normal(0, 0.3, (32, 16)), dtype=lib.float32)
    W2 = lib.tensor(rng.normal(0, 0.3, (1, 32)), dtype=lib.float32)
    x = lib.tensor(rng.normal(0, 1, 16), dtype=lib.float32, requires_grad=True)
    v = lib.tensor(rng.normal(0, 1, 16), dtype=lib.float32)

    def run():
        f = (W2 @ (W1 @ x).tanh()).sum()
        (g,) = lib.autograd.grad(f, x, create_graph=True)
        (h,) = lib.autograd.grad((g * v).sum(), x)
        return h
    return run


def hvp_numpy():
    rng = np.random.default_rng(1)
    W1 = rng.normal(0, 0.3, (32, 16)).astype(np.float32)
    W2 = rng.normal(0, 0.3, (1, 32)).astype(np.float32)
    x = rng.normal(0, 1, 16).astype(np.float32)
    v = rng.normal(0, 1, 16).astype(np.float32)

    def run():
        t = np.tanh(W1 @ x)
        s = W2[0] * (1 - t * t)                       # gradient = W1^T s
        ds = W2[0] * (-2 * t) * (1 - t * t) * (W1 @ v)  # directional derivative of s along v
        return W1.T @ ds
    return run


def small_programs(repeats):
    out = {}
    for name, make, make_np in (("mlp_step", mlp_step, mlp_step_numpy), ("hvp", hvp, hvp_numpy)):
        row = {f"{lib}_ms": seconds * 1e3 for lib, seconds in compare(make, make_np, repeats).items()}
        if torch is not None:
            row["refgrad/torch"] = row["refgrad_ms"] / row["torch_ms"]
        row["refgrad/numpy"] = row["refgrad_ms"] / row["numpy_ms"]
        if BASELINE is not None:
            row["refgrad/baseline"] = row["refgrad_ms"] / row["baseline_ms"]
        out[name] = row
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


# ------------------------------------------------------------------------------ report
def machine():
    return {"python": platform.python_version(), "numpy": np.__version__,
            "torch": None if torch is None else torch.__version__,
            "torch_threads": None if torch is None else torch.get_num_threads(),
            "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "platform": platform.platform()}


def print_table(results):
    print(f"machine: {results['machine']}")
    print("\n1. per-op overhead (forward + backward, us per op)")
    print(f"{'elements':>9} {'ops':>5} {'refgrad':>9} {'torch':>9} {'torch 1t':>9} {'numpy':>9} "
          f"{'rg/torch':>9} {'rg/numpy':>9}")
    for r in results["per_op"]:
        print(f"{r['elements']:>9} {r['ops']:>5} {r['refgrad_us']:>9.2f} {r.get('torch_us', float('nan')):>9.2f} "
              f"{r.get('torch_1thread_us', float('nan')):>9.2f} {r['numpy_us']:>9.2f} "
              f"{r.get('refgrad/torch', float('nan')):>9.2f} {r['refgrad/numpy']:>9.2f}")
    print("\n2-3. small programs (ms per step)")
    print(f"{'program':>9} {'refgrad':>9} {'torch':>9} {'torch 1t':>9} {'numpy':>9} {'rg/torch':>9} {'rg/numpy':>9}")
    for name, r in results["programs"].items():
        print(f"{name:>9} {r['refgrad_ms']:>9.3f} {r.get('torch_ms', float('nan')):>9.3f} "
              f"{r.get('torch_1thread_ms', float('nan')):>9.3f} {r['numpy_ms']:>9.3f} "
              f"{r.get('refgrad/torch', float('nan')):>9.2f} {r['refgrad/numpy']:>9.2f}")
    print("\n4. scaling: a chain of N sin ops on 100 elements (refgrad)")
    print(f"{'ops':>8} {'seconds':>9} {'us/op':>7} {'graph MB':>9} {'peak MB':>8} {'left after backward':>20}")
    for r in results["scaling"]:
        print(f"{r['ops']:>8} {r['seconds']:>9.3f} {r['us_per_op']:>7.2f} {r['graph_bytes'] / 1e6:>9.2f} "
              f"{r['peak_bytes'] / 1e6:>8.2f} {r['bytes_left_after_backward']:>9} B "
              f"({100 * r['left_fraction_of_graph']:.2f}%)")
    if results.get("baseline"):
        b = results["baseline"]
        print(f"\nbaseline: refgrad from {b['path']} (refgrad/baseline: < 1 is faster than the baseline)")
        for r in results["per_op"]:
            print(f"  per-op, {r['elements']:>7} elements: baseline {r['baseline_us']:7.2f} us, "
                  f"refgrad {r['refgrad_us']:7.2f} us, refgrad/baseline {r['refgrad/baseline']:.2f}")
        for name, r in results["programs"].items():
            print(f"  {name:>8}: baseline {r['baseline_ms']:7.3f} ms, refgrad {r['refgrad_ms']:7.3f} ms, "
                  f"refgrad/baseline {r['refgrad/baseline']:.2f}")
        for r, rb in zip(results["scaling"], b["scaling"]):
            print(f"  {r['ops']:>7} sin ops: baseline {rb['us_per_op']:6.2f} us/op {rb['graph_bytes'] / 1e6:8.2f} MB, "
                  f"refgrad {r['us_per_op']:6.2f} us/op {r['graph_bytes'] / 1e6:8.2f} MB")
    if results.get("conformance"):
        print("\n5. conformance suite (refgrad,torch:cpu), wall seconds")
        for k, v in results["conformance"].items():
            print(f"{k:>5}: {v:.1f}")


def markdown_tables(results):
    """The tables of README's "Benchmarks" section, from a results dict."""
    lines = ["| per-op, fwd+bwd | refgrad | torch | torch 1 thread | NumPy | refgrad/torch | refgrad/NumPy |",
             "|---|---|---|---|---|---|---|"]
    for r in results["per_op"]:
        lines.append(f"| {r['elements']:,} element{'s' if r['elements'] > 1 else ''} | {r['refgrad_us']:.1f} us | "
                     f"{r['torch_us']:.1f} us | {r['torch_1thread_us']:.1f} us | {r['numpy_us']:.1f} us | "
                     f"{r['refgrad/torch']:.2f} | {r['refgrad/numpy']:.2f} |")
    lines += ["", "| program | refgrad | torch | torch 1 thread | NumPy | refgrad/torch |", "|---|---|---|---|---|---|"]
    for name, label, digits in (("mlp_step", "MLP step", 2), ("hvp", "HVP", 3)):
        r = results["programs"][name]
        cells = [f"{r[k]:.{digits}f} ms" for k in ("refgrad_ms", "torch_ms", "torch_1thread_ms", "numpy_ms")]
        lines.append(f"| {label} | {' | '.join(cells)} | {r['refgrad/torch']:.2f} |")
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
    results = {"machine": machine(), "per_op": per_op(repeats, n_ops), "programs": small_programs(repeats),
               "scaling": scaling(lengths)}
    if BASELINE is not None:
        results["baseline"] = {"path": os.path.abspath(args.baseline), "scaling": scaling(lengths, BASELINE)}
    if not args.no_conformance:
        results["conformance"] = conformance_wall((1, 2))
    print_table(results)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
