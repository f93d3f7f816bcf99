"""Progress output of ``fit`` / ``evaluate`` / ``predict``: a tqdm bar or one line per epoch.

``verbose=1``: a bar per epoch with live loss and metrics (tqdm, throttled redraws);
``verbose=2``: one plain line per epoch; ``verbose="auto"``: 1 on a terminal or notebook, 2
otherwise (a log file or CI never gets carriage returns or escape codes); ``verbose=0``: silent.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from ember import backend
from ember.callbacks.base import Callback


def resolve_verbose(verbose: Any, stream: TextIO | None = None) -> int:
    """Map 'auto' to 1 on an interactive terminal and 2 elsewhere; validate the value."""
    if verbose == "auto":
        stream = stream or sys.stdout
        isatty = getattr(stream, "isatty", lambda: False)
        return 1 if isatty() else 2
    if verbose in (0, 1, 2) and not isinstance(verbose, bool) or verbose is False:
        return int(verbose)
    if verbose is True:
        return 1
    raise ValueError(f"verbose must be 0, 1, 2 or 'auto'; got {verbose!r}")


def format_logs(logs: dict | None) -> str:
    """'loss: 0.2578 - accuracy: 0.9256' with Keras' 4 significant decimals."""
    parts = []
    for k, v in (logs or {}).items():
        if isinstance(v, (int, float)):
            parts.append(f"{k}: {v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{k}: {v:.4e}")
    return " - ".join(parts)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 1 else f"{seconds * 1000:.0f}ms"


def closing_line(done: int, total: int, elapsed: float, logs: dict | None = None) -> str:
    """Keras' one-line summary of a finished pass: '313/313 - 1s - 3ms/step - loss: 0.2578'."""
    line = f"{done}/{total} - {_duration(elapsed)} - {elapsed / max(done, 1) * 1000:.0f}ms/step"
    text = format_logs(logs)
    return line + (" - " + text if text else "")


class ProgbarLogger(Callback):
    """Prints training progress; ``fit`` adds one automatically unless ``verbose=0``."""

    def __init__(self, verbose: int = 1, stream: TextIO | None = None) -> None:
        super().__init__()
        self.verbose = verbose
        self.stream = stream
        self._bar: Any = None
        self._last = 0.0

    @property
    def _out(self) -> TextIO:
        return self.stream or sys.stdout

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start = time.perf_counter()
        self._seen = 0
        epochs = self.params.get("epochs", 1)
        steps = self.params.get("steps")
        # with interactive logging off (and no stream of its own) no bar: lines to the logger
        if self.verbose == 1 and (self.stream is not None or
                                  backend.is_interactive_logging_enabled()):
            try:
                from tqdm.auto import tqdm
            except ImportError:  # the bar is a nicety: fall back to one line per epoch
                backend.print_msg(f"Epoch {epoch + 1}/{epochs}", self.stream)
                return
            self._bar = tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", unit="step",
                             file=self._out, leave=True, mininterval=0.1, dynamic_ncols=True)
            self._last = 0.0
        elif self.verbose in (1, 2):
            backend.print_msg(f"Epoch {epoch + 1}/{epochs}", self.stream)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._seen = batch + 1
        bar = self._bar
        if bar is None:
            return
        bar.update(1)
        now = time.perf_counter()
        if now - self._last > 0.2:  # formatting logs every step would cost more than the step
            self._last = now
            bar.set_postfix_str(format_logs(logs), refresh=False)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        elapsed = time.perf_counter() - self._epoch_start
        steps = self._seen or self.params.get("steps") or 1
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._bar.close()
            self._bar = None
        elif self.verbose in (1, 2):
            backend.print_msg(closing_line(steps, self.params.get("steps") or steps, elapsed,
                                           logs), self.stream)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
