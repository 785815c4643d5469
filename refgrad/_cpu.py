"""The vector width PyTorch's CPU kernels run with on this machine (ATen's CPU capability: AVX-512, AVX2, or
its default), for the kernels whose results depend on where their vectorised loop stops and the scalar loop
takes over (elu's backward at a NaN)."""
import os

__all__ = ["CAPABILITY", "VECTOR_BYTES", "vectorised_count"]

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


def vectorised_count(a):
    """How many leading elements (in memory order) of a contiguous array an elementwise kernel's vectorised
    loop takes: whole chunks of two vectors; the rest goes through its scalar loop."""
    chunk = 2 * VECTOR_BYTES // a.itemsize
    return a.size - a.size % chunk
