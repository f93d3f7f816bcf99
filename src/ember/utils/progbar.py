"""``Progbar``: the progress bar for custom training loops, as ``keras.utils.Progbar``.

``update(current, values)`` moves the bar to step ``current``; each ``(name, value)`` in
``values`` is shown as its running mean, weighted by the steps since the last update (Keras'
rule), except names in ``stateful_metrics`` and the values of the final update
(``current >= target``), shown as given. ``verbose=1`` redraws one line
in place on a terminal (throttled to ``interval`` seconds) and prints a line per update
elsewhere; ``verbose=2`` prints only the final line; ``verbose=0`` nothing.

Example:
    >>> import io
    >>> from ember.utils.progbar import Progbar
    >>> out = io.StringIO()
    >>> bar = Progbar(4, verbose=2, stream=out)
    >>> for step in range(1, 4):
    ...     bar.update(step, [("loss", float(step))])
    >>> bar.mean("loss")
    2.0
    >>> bar.update(4, [("loss", 9.0)]); bar.mean("loss"), out.getvalue().split(" - ")[-1].strip()
    (9.0, 'loss: 9.0000')
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

from ember import backend


class Progbar:
    """See the module docstring."""

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics: Iterable[str] | None = None,
                 unit_name: str = "step", stream: TextIO | None = None) -> None:
        if target is not None and (isinstance(target, bool) or target < 0):
            raise ValueError(f"Progbar: target must be a non-negative int or None; got "
                             f"{target!r}")
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: verbose must be 0, 1 or 2; got {verbose!r}")
        self.target, self.width, self.verbose = target, int(width), verbose
        self.interval, self.unit_name = float(interval), unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stream = stream
        out = stream or sys.stdout
        # redraw in place on a terminal or in a notebook cell (ipykernel's OutStream); Keras
        # asks whether ipykernel is imported at all, which a test runner that imports it
        # (to run notebooks) also satisfies, and a StringIO stream then got \r redraws
        self._dynamic = (bool(getattr(out, "isatty", lambda: False)()) or
                         type(out).__module__.startswith("ipykernel")) and \
            (stream is not None or backend.is_interactive_logging_enabled())
        self._values: dict[str, list[float]] = {}
        self._order: list[str] = []
        self._seen = 0
        self._start = time.time()
        self._first_step_time: float | None = None
        self._last_update = 0.0
        self._prev_width = 0

    def mean(self, name: str) -> float:
        """The value shown for ``name``: its weighted running mean (or last stateful value)."""
        total, count = self._values[name]
        return total / max(1, count)

    def update(self, current: int, values: Iterable[tuple[str, Any]] | None = None,
               finalize: bool | None = None) -> None:
        """Move to step ``current`` and fold in ``values`` (see the module docstring)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            value = float(value)
            if name not in self._order:
                self._order.append(name)
            # Keras' rule: the final update's value is shown as given (a loop passes its
            # epoch averages there), as is every value of a stateful metric
            if name in self.stateful_metrics or finalize:
                self._values[name] = [value, 1]
            else:
                weight = max(current - self._seen, 1)
                total, count = self._values.get(name, [0.0, 0])
                self._values[name] = [total + value * weight, count + weight]
        self._seen = current
        now = time.time()
        if current >= 1 and self._first_step_time is None:
            self._first_step_time = now
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._draw(current, now, finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._final_line(current, now) + "\n")
        self._last_update = now

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Advance by ``n`` steps."""
        self.update(self._seen + n, values)

    # ------------------------------------------------------------------ drawing
    def _draw(self, current: int, now: float, finalize: bool) -> None:
        if self.target:
            digits = int(math.log10(self.target)) + 1
            filled = int(self.width * min(current / self.target, 1.0))
            bar = f"{current:{digits}d}/{self.target} [" + "=" * max(filled - 1, 0) + \
                (">" if 0 < filled < self.width else "=" if filled else "") + \
                "." * (self.width - filled) + "]"
        else:
            bar = f"{current:7d}/Unknown"
        if self.target and not finalize:
            eta = self._per_step(current, now) * (self.target - current)
            info = f" - ETA: {_clock(eta)}"
        else:
            info = f" - {now - self._start:.0f}s{self._per_step_text(current, now)}"
        info += self._metrics()
        line = bar + info
        pad = " " * max(self._prev_width - len(line), 0)
        self._prev_width = len(line)
        if self._dynamic:
            self._write("\r" + line + pad + ("\n" if finalize else ""))
        else:
            self._write(line + "\n")

    def _final_line(self, current: int, now: float) -> str:
        digits = int(math.log10(self.target)) + 1 if self.target else 1
        return (f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s -"
                f"{self._per_step_text(current, now)}{self._metrics()}")

    def _metrics(self) -> str:
        out = ""
        for name in self._order:
            avg = self.mean(name)
            out += f" - {name}: {avg:.4f}" if abs(avg) > 1e-3 else f" - {name}: {avg:.4e}"
        return out

    def _per_step(self, current: int, now: float) -> float:
        if self._first_step_time is not None and current > 1:
            return (now - self._first_step_time) / (current - 1)
        return (now - self._start) / current if current else 0.0

    def _per_step_text(self, current: int, now: float) -> str:
        t = self._per_step(current, now)
        if t >= 1 or t == 0:
            return f" {t:.0f}s/{self.unit_name}"
        if t >= 1e-3:
            return f" {t * 1e3:.0f}ms/{self.unit_name}"
        return f" {t * 1e6:.0f}us/{self.unit_name}"

    def _write(self, text: str) -> None:
        # stdout, or the logger when interactive logging is off (an explicit stream is kept)
        backend.print_msg(text, self.stream, line_break=False)


def _clock(seconds: float) -> str:
    if seconds > 3600:
        return f"{seconds // 3600:.0f}:{(seconds % 3600) // 60:02.0f}:{seconds % 60:02.0f}"
    if seconds > 60:
        return f"{seconds // 60:.0f}:{seconds % 60:02.0f}"
    return f"{seconds:.0f}s"
