"""Turn a Learn page into a Jupyter notebook a learner opens in Jupyter or Colab.

    python docs/notebooks.py OUT_DIR [PAGE.md ...]     # every Learn page without PAGE

jupytext reads the page's Markdown into cells (prose as Markdown cells, each ```python fence as
a code cell); each code cell's doctest is then turned back into plain code: the ``>>>`` and
``...`` prompts go, the printed output goes (the notebook shows every result again), and an
example whose output is a traceback becomes a ``try`` / ``except`` that prints the error, so the
notebook runs top to bottom and still shows the message the page explains. The first cells
install ember where it is missing (``%pip install ember``) and define ``figure(name)``, which
the pages' code uses to save their pictures (into ``figures/`` beside the notebook, where the
Markdown cells look for them). tests/test_docs_notebooks.py runs every notebook.
"""

from __future__ import annotations

import doctest
import re
import sys
from pathlib import Path

LEARN = Path(__file__).resolve().parent / "learn"

INSTALL = '''import importlib.util

if importlib.util.find_spec("ember") is None:  # Colab or a fresh Jupyter: install ember first
    %pip install -q "ember[plot,sklearn,fast]"'''

SETUP = '''import os

get_ipython().ast_node_interactivity = "all"  # show every result, as the page's >>> lines do

os.makedirs("figures", exist_ok=True)


def figure(name):
    """Where the page's picture `name` is saved (the Markdown cells show figures/NAME)."""
    return os.path.join("figures", name)'''

_EXCEPTION = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Warning))\b")


def _example_code(example: doctest.Example) -> tuple[str, bool]:
    """The example's source, and whether it is expected to raise."""
    source = example.source.rstrip("\n")
    if example.exc_msg is None:
        return source, False
    name = _EXCEPTION.match(example.exc_msg)
    expected = name.group(1) if name else "an error"
    body = "\n".join("    " + line for line in source.splitlines())
    return (f"try:\n{body}\nexcept Exception as error:  # the mistake this page explains\n"
            f'    print(f"{{type(error).__name__}}: {{error}}")\n'
            f'else:\n    raise AssertionError("the page expects {expected} here")'), True


def doctest_to_cells(source: str) -> list[str]:
    """A doctest block as notebook code cells: raising examples each get their own cell."""
    cells: list[list[str]] = [[]]
    for example in doctest.DocTestParser().get_examples(source):
        code, raises = _example_code(example)
        if raises:
            cells += [[code], []]
        else:
            cells[-1].append(code)
    return ["\n".join(c) for c in cells if c]


def page_to_notebook(page: Path):
    """The notebook (an ``nbformat`` node) made from one Learn page."""
    import jupytext
    import nbformat

    text = page.read_text(encoding="utf-8")
    read = jupytext.reads(text, fmt="md")
    cells = [nbformat.v4.new_code_cell(INSTALL), nbformat.v4.new_code_cell(SETUP)]
    for cell in read.cells:
        if cell.cell_type == "code" and ">>>" in cell.source:
            cells += [nbformat.v4.new_code_cell(code) for code in doctest_to_cells(cell.source)]
        elif cell.cell_type == "code":  # a fence that is not a doctest stays as text
            cells.append(nbformat.v4.new_markdown_cell(f"```python\n{cell.source}\n```"))
        elif cell.source.strip():
            cells.append(nbformat.v4.new_markdown_cell(cell.source))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def pages() -> list[Path]:
    """The Learn pages, in the course's order."""
    return sorted(LEARN.glob("[0-9][0-9]-*.md"))


def write(out_dir: Path, chosen: list[Path] | None = None) -> list[Path]:
    """Write ``NN-slug.ipynb`` for each page into ``out_dir``; returns the paths."""
    import jupytext

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for page in chosen or pages():
        path = out_dir / f"{page.stem}.ipynb"
        jupytext.write(page_to_notebook(page), str(path), fmt="ipynb")
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for path in write(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]] or None):
        print(path)
