"""The docs site: ``mkdocs build --strict`` (a missing page, a broken link or a docstring griffe
cannot read fails), then every built page opened in headless Chromium, served over loopback:
no console errors, no broken links or images, and every picture of a Learn page loaded.

The pages' code itself runs as doctests (pytest's --doctest-glob on docs/); the notebooks made
from the pages run in tests/test_docs_notebooks.py.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LEARN = REPO / "docs" / "learn"
NO_DOCS = "the docs extra is not installed: pip install -e '.[docs]'"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("mkdocs", reason=NO_DOCS)
    pytest.importorskip("material", reason="mkdocs-material is not installed (the docs extra)")
    pytest.importorskip("mkdocstrings", reason="mkdocstrings is not installed (the docs extra)")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                          "-f", str(REPO / "mkdocs.yml"), "-d", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
    return out


def test_site_builds_strict_with_every_learn_page_and_the_api_reference(site):
    pages = sorted(p.stem for p in LEARN.glob("[0-9][0-9]-*.md"))
    assert len(pages) >= 20, pages
    for stem in pages:
        assert (site / "learn" / stem / "index.html").exists(), stem
    layers = (site / "reference" / "layers" / "index.html").read_text()
    assert 'id="ember.layers.Dense"' in layers  # generated from the docstrings
    # the course's order: the nav lists the Learn pages by their numbers
    index = (site / "learn" / pages[0] / "index.html").read_text()
    positions = [index.find(f'href="../{stem}/"') for stem in pages[1:]]
    assert all(p > 0 for p in positions) and positions == sorted(positions), positions


# A probe injected at the top of every page the test server sends: it records script errors,
# console.error calls and failed loads (images, scripts, styles), then, after `load`, every
# image's state, into a <pre> that --dump-dom prints.
_PROBE = """<script>
window.__probe = [];
addEventListener('error', function (e) {
  var t = e.target;
  if (t && t !== window && (t.src || t.href)) {
    __probe.push('failed to load ' + (t.src || t.href));
  } else { __probe.push('script error: ' + e.message); }
}, true);
addEventListener('unhandledrejection', function (e) {
  __probe.push('unhandled rejection: ' + e.reason); });
(function () { var err = console.error; console.error = function () {
  __probe.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
  err.apply(console, arguments); }; })();
addEventListener('load', function () { setTimeout(function () {
  var images = Array.prototype.map.call(document.images, function (i) {
    return {src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0}; });
  var pre = document.createElement('pre'); pre.id = '__probe';
  pre.textContent = JSON.stringify({errors: __probe, images: images});
  document.body.appendChild(pre); }, 300); });
</script>"""


class _ProbingHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # quiet: failures are asserted, not logged
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix != ".html" or not path.exists() or self.path.endswith("?raw"):
            return super().send_head()
        body = path.read_bytes().replace(b"<head>", b"<head>" + _PROBE.encode(), 1)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io

        return io.BytesIO(body)


@pytest.fixture(scope="module")
def served(site):
    handler = functools.partial(_ProbingHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", site
    server.shutdown()
    server.server_close()


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")


# The one thing the site loads from outside: MathJax, from its CDN (offline the formulas stay
# TeX). The browser is kept off the network so every run sees the same (offline) page.
EXTERNAL_OK = ("https://unpkg.com/mathjax@3/",)


def _external(line: str) -> bool:
    return any(host in line for host in EXTERNAL_OK)


def _open(browser: str, url: str, profile: Path) -> tuple[dict, list[str]]:
    """The probe's report of one page, and the console lines Chromium logged."""
    run = subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox",
                          "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}",
                          "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                          "--virtual-time-budget=5000", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"{url}: {run.stderr[-2000:]}"
    found = re.search(r'<pre id="__probe">(.*?)</pre>', run.stdout, re.S)
    assert found, f"{url}: the page never finished loading\n{run.stderr[-2000:]}"
    console = [line for line in run.stderr.splitlines()
               if "CONSOLE" in line and not _external(line)]
    report = json.loads(html.unescape(found.group(1)))
    report["errors"] = [e for e in report["errors"] if not _external(e)]
    return report, console


def _links(page_html: str) -> list[str]:
    return re.findall(r'<(?:a|link)\b[^>]*\bhref="([^"]+)"', page_html) + \
        re.findall(r'<(?:img|script)\b[^>]*\bsrc="([^"]+)"', page_html)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url + ("&" if "?" in url else "?") + "raw", timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_every_page_in_headless_chromium(served, tmp_path):
    base, site = served
    browser = _chromium()
    pages = sorted(p.relative_to(site).parent.as_posix() for p in site.rglob("index.html"))
    pages = [p for p in pages if p != "."] + [""]  # the home page too
    urls = [f"{base}/{p}/" if p else f"{base}/" for p in pages]
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda a: _open(browser, a[1], tmp_path / f"profile{a[0]}"),
                                enumerate(urls)))
    problems = []
    for url, (report, console) in zip(urls, reports):
        problems += [f"{url}: {e}" for e in report["errors"]]
        problems += [f"{url}: console: {line}" for line in console]
        problems += [f"{url}: image not shown: {i['src']}" for i in report["images"]
                     if not i["loaded"]]
    assert problems == [], "\n".join(problems)

    # every Learn page shows the pictures its Markdown names, each loaded in the browser
    by_url = dict(zip(urls, reports))
    for md in sorted(LEARN.glob("[0-9][0-9]-*.md")):
        wanted = re.findall(r"!\[[^\]]*\]\((figures/[^)]+)\)", md.read_text())
        shown = [i["src"] for i in by_url[f"{base}/learn/{md.stem}/"][0]["images"]]
        for name in wanted:
            assert any(s.endswith(name) for s in shown), f"{md.name}: {name} not on the page"

    # links and sources inside the site resolve (anchors included); outside ones are left alone
    checked: dict[str, int] = {}
    broken = []
    for page, url in zip(pages, urls):
        text = (site / page / "index.html").read_text()
        for link in _links(text):
            target = urllib.parse.urljoin(url, html.unescape(link))
            if not target.startswith(base):
                continue
            address, _, anchor = target.partition("#")
            if address not in checked:
                checked[address] = _status(address)
            if checked[address] != 200:
                broken.append(f"{url}: {link} -> {checked[address]}")
            elif anchor and address.endswith("/"):
                rel = address[len(base):].strip("/")
                doc = (site / rel / "index.html").read_text() if rel else ""
                if rel and f'id="{anchor}"' not in doc:
                    broken.append(f"{url}: {link}: no id {anchor!r} on the page")
    assert broken == [], "\n".join(broken)
    assert len(checked) > len(pages)  # the check did look at the links
