"""Fetching data-set files: the cache folder, mirrors tried in turn with short timeouts, and
atomic writes (a temporary file renamed into place), so a cache never holds half a file."""

from __future__ import annotations

import os
import socket
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from http.client import HTTPException
from pathlib import Path
from typing import Any

from ember.atomic_file import replacing

# Seconds allowed to each blocking network step (name lookup, connect, each read) per mirror:
# long enough for a slow link, short enough that a machine without internet fails at once.
TIMEOUT = 5.0
# The most one download may bring (the largest MNIST-style file is Fashion's 26 MB): checked
# against Content-Length before and byte by byte while streaming, so a mirror gone wrong cannot
# fill the disk.
MAX_DOWNLOAD_BYTES = 128 << 20


class DownloadError(OSError):
    """A data set is neither on this machine nor downloadable (the message says what to do)."""


def data_home() -> Path:
    """The folder where downloaded data sets are cached: ``$EMBER_HOME/datasets``, where
    ``EMBER_HOME`` defaults to ``~/.ember``."""
    home = os.environ.get("EMBER_HOME")
    return (Path(home).expanduser() if home else Path.home() / ".ember") / "datasets"


def fetch(filename: str, mirrors: Sequence[str], dest: Path,
          check: Callable[[Path, str], None], timeout: float = TIMEOUT) -> None:
    """Download ``filename`` from the first mirror that serves it and whose bytes pass
    ``check(temporary_path, url)`` (which raises ValueError otherwise), and move it to ``dest``.

    Raises DownloadError listing why each mirror failed.
    """
    failures = []
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DownloadError(f"cannot create the cache folder {dest.parent}: {e}") from e
    for base in mirrors:
        url = base.rstrip("/") + "/" + filename
        try:
            _download(url, dest, check, timeout)
            return
        except (OSError, HTTPException, ValueError) as e:
            failures.append(f"{url}: {str(e) or type(e).__name__}")
    raise DownloadError("\n".join(failures) or "no mirrors to download from")


def _download(url: str, dest: Path, check: Callable[[Path, str], None],
              timeout: float) -> None:
    _resolve(url, timeout)
    # a locked part-file beside dest, renamed over it only once check passes; a killed
    # download's part-file is removed by the next one (see ember.atomic_file)
    with replacing(dest, mode=0o644) as (out, part), \
            urllib.request.urlopen(url, timeout=timeout) as resp:
        print(f"Downloading {url}", file=sys.stderr)
        _copy_capped(resp, out, url)
        out.flush()
        check(Path(part), url)  # streams the file: digest while inflating, caps first


def _copy_capped(resp: Any, out: Any, url: str) -> None:
    declared = resp.headers.get("Content-Length") if hasattr(resp, "headers") else None
    if declared is not None and declared.isdigit() and int(declared) > MAX_DOWNLOAD_BYTES:
        raise ValueError(f"{url}: the server announces {int(declared)} bytes, more than the "
                         f"{MAX_DOWNLOAD_BYTES} a data-set file may have")
    got = 0
    while True:
        chunk = resp.read(1 << 20)
        if not chunk:
            return
        got += len(chunk)
        if got > MAX_DOWNLOAD_BYTES:
            raise ValueError(f"{url}: the download passed {MAX_DOWNLOAD_BYTES} bytes, more than "
                             "a data-set file may have; stopped")
        out.write(chunk)


def _resolve(url: str, timeout: float) -> None:
    """Look the host name up with a deadline: urlopen's timeout does not cover the name
    lookup, which can hang for half a minute where no DNS server answers."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname or parts.scheme in urllib.request.getproxies():
        return  # a proxy resolves names itself
    outcome: dict[str, OSError] = {}

    def lookup() -> None:
        try:
            socket.getaddrinfo(parts.hostname, parts.port, type=socket.SOCK_STREAM)
        except OSError as e:
            outcome["error"] = e

    # A daemon thread: if the lookup hangs we give up on it and it never delays exit.
    worker = threading.Thread(target=lookup, name="ember-dns-lookup", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"looking up {parts.hostname} took over {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
