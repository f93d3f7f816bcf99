"""Redraw the Learn pages' pictures with the pages' own code.

    python docs/make_figures.py [PAGE.md ...]       # every Learn page without PAGE

Runs the pages as doctests (as the test suite does) with ``EMBER_DOCS_FIGURES`` set to
docs/learn/figures, so each ``plt.savefig(figure("NAME.png"))`` writes the committed picture
that the page shows as ``figures/NAME.png`` (see docs/conftest.py). Run it from the repository
root with ember importable (``pip install -e .`` or ``PYTHONPATH=src``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent


def main(pages: list[str]) -> int:
    chosen = pages or sorted(str(p) for p in (DOCS / "learn").glob("[0-9][0-9]-*.md"))
    env = {**os.environ, "EMBER_DOCS_FIGURES": str(DOCS / "learn" / "figures"),
           "MPLBACKEND": "Agg"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                            "-p", "no:cacheprovider", *chosen], cwd=REPO, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
