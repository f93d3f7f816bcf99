"""MkDocs hooks (mkdocs.yml ``hooks:``): every Learn page also ships as a Jupyter notebook.

After the build, docs/notebooks.py turns each Learn page into ``notebooks/NN-slug.ipynb``
inside the site, and each Learn page gets a link to its notebook under its title (added to the
HTML, so the link points into the built site rather than at a Markdown file).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_DOCS = Path(__file__).resolve().parent


def _converter():
    spec = importlib.util.spec_from_file_location("docs_notebooks", _DOCS / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_learn(page) -> bool:
    src = page.file.src_uri
    return src.startswith("learn/") and src.split("/")[-1][:2].isdigit()


def on_page_content(html: str, page, config, files) -> str:
    if not _is_learn(page):
        return html
    stem = Path(page.file.src_uri).stem
    depth = page.url.rstrip("/").count("/") + 1 if config.get("use_directory_urls") else 1
    href = "../" * depth + f"notebooks/{stem}.ipynb"
    link = (f'<p class="ember-notebook"><a href="{href}" download>This page as a Jupyter '
            f"notebook</a> (the code runs top to bottom; open it in Jupyter or Colab).</p>")
    head, sep, rest = html.partition("</h1>")
    return head + sep + "\n" + link + rest if sep else link + "\n" + html


def on_post_build(config) -> None:
    _converter().write(Path(config["site_dir"]) / "notebooks")
