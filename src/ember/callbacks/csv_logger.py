"""``CSVLogger``: one CSV row per epoch with the epoch's logs."""

from __future__ import annotations

import csv
import os
from typing import Any

from ember.callbacks.base import Callback
from ember.serialization import register


@register()
class CSVLogger(Callback):
    """Write ``epoch`` and every log value to ``filename``; ``append=True`` continues a file
    (for resumed training). Rows are flushed each epoch, so a killed run keeps what it logged.

    Example:
        >>> import ember as em
        >>> logger = em.callbacks.CSVLogger("training.csv")
    """

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self._file: Any = None
        self._writer: Any = None
        self._keys: list[str] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        has_rows = self.append and os.path.exists(self.filename) and \
            os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._keys = None
        if has_rows:
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.sep), None)
            self._keys = header[1:] if header else None
            if self._keys is not None:
                self._writer = csv.writer(self._file, delimiter=self.sep)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
            self._writer = csv.writer(self._file, delimiter=self.sep)
            self._writer.writerow(["epoch"] + self._keys)
        self._writer.writerow([epoch] + [logs.get(k, "NA") for k in self._keys])
        self._file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
