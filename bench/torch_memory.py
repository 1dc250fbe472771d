"""The PyTorch baseline's memory setting for these comparisons: glibc keeps freed memory in the process.

By default glibc returns large freed blocks to the kernel (munmap, heap trimming), and PyTorch frees and
reallocates its activations every step. In this VM the kernel reports freed pages to the host (virtio-balloon free
page reporting), so touching them again costs a fault the host serves: a PyTorch process that falls into that
pattern runs its lenet5 step at 2,500 samples/s instead of 14,000 (3,000 minor faults per step against none), by
chance of its allocator's state. Fixing glibc's mmap threshold at its maximum and never trimming keeps the memory
in the process, as the jemalloc or tcmalloc that PyTorch's CPU tuning guide recommends would, so PyTorch runs at
its best every time. glibc reads these variables at process start: set them before the interpreter starts.
"""
import os
import resource
import sys

KEEP_FREED_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 40)}


def with_kept_memory(env):
    """env plus the variables that make glibc keep freed memory."""
    return {**env, **KEEP_FREED_MEMORY}


def reexec_with_kept_memory():
    """Restarts this script with the variables set, unless they already are (for scripts run directly)."""
    if any(os.environ.get(k) != v for k, v in KEEP_FREED_MEMORY.items()):
        os.execve(sys.executable, [sys.executable, *sys.argv], with_kept_memory(os.environ))


def minor_faults():
    """This process's minor page faults so far: a step that faults thousands of times is timing the kernel."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
