"""Keep the memory of freed arrays in the process for the next training step (glibc only).

Why ember touches it: a training step allocates the same large temporaries every time (a
convolution's patch matrix, activations, gradients: hundreds of KB to a few MB each) and frees
them before the next step. glibc's malloc gives such a block back to the kernel whenever it
lies at the top of the heap (the "trim" threshold, 128 KB at first and adjusted as it goes),
and the next step then page-faults it in again, one fault per 4 KiB page. Whether a given
block lies at the top depends on every allocation made before it, down to the size of the
environment variables: with identical code, 300 training steps of the MNIST convnet took 2.74
to 3.53 s depending only on the environment's size.

``tune()`` sets two glibc parameters once: blocks under 32 MiB come from the heap (glibc's
own adaptive rule would also end there, but only after it has seen such a block freed), and
the heap is trimmed only when more than 64 MiB at its top is free. The same 300 steps then took
2.65 to 3.0 s whatever the environment. The cost: up to 64 MiB of freed memory stays with the
process instead of going back to the system; the peak itself does not grow.

``import ember`` changes nothing: ember's loops call ``tune_for_loop()`` where they start
(``fit``, ``train_on_batch``, ``predict``), which tunes unless the environment variable
``EMBER_MALLOC_TUNING`` is ``0`` (or ``off``, ``false``, ``no``). The settings are
process-wide and cannot be taken back: once they are set, glibc stops adapting its
thresholds. It changes nothing on a C library other than glibc (macOS, Windows, musl), and it
runs once per process.

Example:
    >>> from ember import heap
    >>> heap.tune() in (True, False)  # True where glibc took the settings
    True
"""

from __future__ import annotations

import ctypes
import os

# glibc's mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 2**20  # blocks from this size up are mapped (and unmapped) one by one
TRIM_THRESHOLD = 64 * 2**20  # free memory at the heap's top beyond this goes back to the OS

_tuned: bool | None = None  # None: not tried yet


def tune() -> bool:
    """Apply the two settings (once per process); True when glibc accepted them."""
    global _tuned
    if _tuned is None:
        _tuned = _mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and \
            _mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return _tuned


def tune_for_loop() -> bool:
    """What fit, train_on_batch and predict call where they start: ``tune()`` unless
    ``EMBER_MALLOC_TUNING`` turns it off; True when the settings are in place."""
    if _tuned is not None:
        return _tuned
    return tune() if enabled_by_environment() else False


def tuned() -> bool:
    """Whether ``tune()`` has applied the settings in this process."""
    return bool(_tuned)


def enabled_by_environment() -> bool:
    """False when ``EMBER_MALLOC_TUNING`` is set to 0 / false / no / off."""
    value = os.environ.get("EMBER_MALLOC_TUNING", "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def _is_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # not a GNU system
        return False


def _mallopt(param: int, value: int) -> bool:
    if not _is_glibc():
        return False
    try:  # the running process's own symbols: glibc's mallopt among them (no library search)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(param, value) == 1
