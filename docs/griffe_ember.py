"""A griffe extension for the API reference (mkdocs.yml loads it): reads ember's docstrings as
they are written, so ``mkdocs build --strict`` needs no edits to the sources.

- ember's docstrings head their doctests ``Example:``; griffe's Google parser knows only
  ``Examples:`` and would render the ``>>>`` lines as Markdown quotes (a printed ``[3, 3]`` then
  reads as a broken link). The singular is read as the plural.
- ``ember.model_selection.__all__`` spreads ``*SPLITTERS`` (scikit-learn's splitters, loaded
  lazily); griffe cannot evaluate that statically and warns, which --strict would turn into a
  failure. Those names are documented by scikit-learn, so that one warning is dropped.
"""

from __future__ import annotations

import logging
import re
from typing import Any

try:
    import griffe

    _Extension = griffe.Extension
except ImportError:  # pytest's doctest collection imports every docs/*.py; only mkdocs needs griffe
    _Extension = object

_EXAMPLE_HEADING = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class _DropSplittersWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "ember.model_selection.__all__: SPLITTERS" not in record.getMessage()


for _name in ("griffe", "mkdocs.plugins.griffe", "mkdocs.plugins.mkdocstrings"):
    logging.getLogger(_name).addFilter(_DropSplittersWarning())


class EmberDocstrings(_Extension):
    """Reads an ``Example:`` heading as the ``Examples:`` section."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE_HEADING.sub(r"\1Examples:", obj.docstring.value)
