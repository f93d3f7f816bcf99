"""Every Learn page as a Jupyter notebook (docs/notebooks.py), executed top to bottom with
nbclient in a fresh kernel of this interpreter, with ember on its path: any cell that raises
fails the test, and a cell that should show the page's error message must raise it."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LEARN = REPO / "docs" / "learn"
NO_DOCS = "the docs extra is not installed: pip install -e '.[docs]'"
PAGES = sorted(LEARN.glob("[0-9][0-9]-*.md"))


def _converter():
    spec = importlib.util.spec_from_file_location("docs_notebooks", REPO / "docs" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_page_becomes_install_setup_prose_and_code_cells(tmp_path):
    pytest.importorskip("jupytext", reason=NO_DOCS)
    notebooks = _converter()
    page = tmp_path / "99-example.md"
    page.write_text("# Title\n\nSome prose.\n\n```python\n>>> x = 1 + 1\n>>> x\n2\n"
                    ">>> for i in range(2):\n...     x += i\n\n```\n\nMore prose.\n\n"
                    "```python\n>>> int('a')\nTraceback (most recent call last):\n  ...\n"
                    "ValueError: invalid literal for int() with base 10: 'a'\n\n```\n")
    nb = notebooks.page_to_notebook(page)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds == ["code", "code", "markdown", "code", "markdown", "code"], kinds
    assert "%pip install" in nb.cells[0].source and "def figure" in nb.cells[1].source
    assert nb.cells[3].source == "x = 1 + 1\nx\nfor i in range(2):\n    x += i"
    assert nb.cells[5].source.startswith("try:\n    int('a')\nexcept Exception as error:")
    assert "the page expects ValueError" in nb.cells[5].source
    assert ">>>" not in "".join(c.source for c in nb.cells[2:])


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_notebook_runs(page, tmp_path, monkeypatch):
    pytest.importorskip("jupytext", reason=NO_DOCS)
    nbclient = pytest.importorskip("nbclient", reason=NO_DOCS)
    pytest.importorskip("ipykernel", reason=NO_DOCS)
    pytest.importorskip("matplotlib", reason="the pages draw with matplotlib (the plot extra)")
    # the kernel is this interpreter (ipykernel's own "python3" spec) with ember importable
    path = os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _converter().page_to_notebook(page)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{page.name}: a cell failed:\n{str(exc)[-3000:]}")
    # every picture the page shows was drawn by the notebook's own code
    for name in re.findall(r"\]\(figures/([^)]+)\)", page.read_text()):
        assert (tmp_path / "figures" / name).stat().st_size > 1000, name
