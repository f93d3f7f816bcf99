"""Doctest setup for the docs pages (pytest runs every ``docs/**/*.md`` as a doctest).

A page saves its pictures with ``plt.savefig(figure("NAME.png"))`` and shows them with
``![...](figures/NAME.png)``. Under the tests ``figure`` points into a temporary folder, so a
test run leaves the committed pictures alone; ``EMBER_DOCS_FIGURES=docs/learn/figures`` (what
``python docs/make_figures.py`` sets) writes them where the site reads them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # no screen: draw into files


@pytest.fixture(autouse=True)
def _docs_namespace(doctest_namespace: dict, tmp_path: Path) -> None:
    folder = Path(os.environ.get("EMBER_DOCS_FIGURES") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def figure(name: str) -> str:
        """The path a page's picture ``name`` is saved to."""
        return str(folder / name)

    doctest_namespace["figure"] = figure
