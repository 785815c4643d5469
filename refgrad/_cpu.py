"""The vector width PyTorch's CPU kernels run with on this machine (ATen's CPU capability: AVX-512, AVX2, or
its default), for the kernels whose results depend on where their vectorised loop stops and the scalar loop
takes over (elu's backward at a NaN)."""
import os

import numpy as np

from ._layout import iteration_order

__all__ = ["CAPABILITY", "VECTOR_BYTES", "vectorised_mask"]

_AVX512 = {"avx512f", "avx512bw", "avx512vl", "avx512dq"}


def _cpu_flags():
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _capability():
    """ATen's choice: ATEN_CPU_CAPABILITY if set, else the best the CPU has."""
    chosen = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    if chosen:
        return chosen
    flags = _cpu_flags()
    if _AVX512 <= flags:
        return "avx512"
    return "avx2" if {"avx2", "fma"} <= flags else "default"


CAPABILITY = _capability()
VECTOR_BYTES = 64 if CAPABILITY == "avx512" else 32


def vectorised_mask(operands):
    """Which elements of an elementwise result (a boolean array of its shape) PyTorch's vectorised loop
    computes, given its operands broadcast to the result's shape (NumPy views, stride 0 where broadcast).
    TensorIterator orders the dims by the operands' strides (refgrad/_layout.py), merges the fastest ones
    every operand walks as one (coalescing) into the inner loop of a 2-d loop, and vectorises a row of that
    loop in whole chunks of two vectors, the rest of the row going through the scalar loop, but only when
    every operand steps through it contiguously or one input stays put (a broadcast scalar); otherwise the
    scalar loop computes every element."""
    shape, itemsize = operands[0].shape, operands[0].itemsize
    size = int(np.prod(shape))
    order = iteration_order([a.strides for a in operands], shape) if len(shape) > 1 else list(range(len(shape)))
    dims = [shape[d] for d in order]  # fastest first
    out_strides, step = [], itemsize
    for n in dims:
        out_strides.append(step)
        step *= n
    strides = [out_strides] + [[a.strides[d] for d in order] for a in operands]
    inner, steps = 1, [itemsize] * len(strides)
    for i, n in enumerate(dims):
        if inner != 1 and n != 1 and any(inner * st != s[i] for st, s in zip(steps, strides)):
            break
        if inner == 1:
            steps = [s[i] for s in strides]
        inner *= n
    fits = steps[0] == itemsize and all(st in (0, itemsize) for st in steps[1:]) and steps[1:].count(0) <= 1
    if not fits or not size:
        return np.zeros(shape, bool)
    chunk = 2 * VECTOR_BYTES // itemsize
    position = np.arange(size).reshape(dims[::-1]).transpose(np.argsort(order[::-1]))  # each element's turn
    return position % inner < inner - inner % chunk
