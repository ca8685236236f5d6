"""Enough memory to load torch, or one line that says so.

Under a low address-space limit (`ulimit -v`), importing torch fails in whichever way the allocation that first
fails chooses: an ImportError, a RuntimeError or an uncatchable C++ `std::bad_alloc` abort, OpenBLAS giving up.
torch takes about 600 MB of address space just to load (measured: VmPeak 597 MB for `import torch`, one thread), so
below that no command that needs it can run: `guard_torch_import` makes the import itself say so first.
"""

from __future__ import annotations

import importlib.abc
import sys

from keytui.errors import KeytuiError

MiB = 1 << 20
TORCH_ADDRESS_SPACE = 600 * MiB  # measured: `import torch` peaks at 597 MB; `keytui list` runs in 650 MB


def address_space_limit() -> int | None:
    """The process's address-space limit in bytes, or None when there is none (or no way to know)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def check_torch_memory() -> None:
    limit = address_space_limit()
    if limit is not None and limit < TORCH_ADDRESS_SPACE:
        raise KeytuiError(
            f"not enough memory: loading torch needs about {TORCH_ADDRESS_SPACE // MiB} MB of address space, "
            f"and this process may use {limit // MiB} MB (ulimit -v)"
        )


class _TorchGuard(importlib.abc.MetaPathFinder):
    """Checks the limit when torch is first imported, wherever that happens; finds nothing itself."""

    def find_spec(self, name, path, target=None):  # importlib's signature
        if name == "torch":
            check_torch_memory()
        return None


def guard_torch_import() -> None:
    """Install the check before any import of torch (idempotent)."""
    if "torch" not in sys.modules and not any(isinstance(f, _TorchGuard) for f in sys.meta_path):
        sys.meta_path.insert(0, _TorchGuard())


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether an exception from loading or running torch means memory ran out."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc)
    return any(sign in text for sign in ("bad_alloc", "failed to map segment", "Cannot allocate memory")) or (
        isinstance(exc, OSError) and exc.errno == 12  # ENOMEM
    )
