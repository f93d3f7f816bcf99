"""The loader shared by MNIST and Fashion-MNIST: find the four idx files, else download them into
the cache, verify what came from the cache or the network, parse, and check the pairs agree."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ember.datasets._download import DownloadError, data_home, fetch
from ember.datasets._idx import load_idx
from ember.safe_io import FileFormatError

# (file name without ".gz", number of dimensions), in the order load_data returns them.
FILES = (
    ("train-images-idx3-ubyte", 3),
    ("train-labels-idx1-ubyte", 1),
    ("t10k-images-idx3-ubyte", 3),
    ("t10k-labels-idx1-ubyte", 1),
)

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class IdxDataset:
    """What differs between data sets published as the four MNIST-style idx files."""

    title: str                  # "MNIST", for messages
    function: str               # "em.datasets.mnist.load_data", for messages
    name: str                   # the cache subfolder
    subdirs: tuple[str, ...]    # subfolders looked in under `path` and $EMBER_DATA_DIR
    data_dir_root: bool         # whether $EMBER_DATA_DIR itself may hold the files
    algorithm: str              # hashlib name of the published digests
    hash_of_gzip: bool          # digests of the .gz bytes (else of the uncompressed idx)
    hashes: Mapping[str, str]   # file name (as in FILES) -> hex digest
    num_classes: int = 10


def load(spec: IdxDataset, path: str | os.PathLike | None,
         mirrors: Sequence[str]) -> tuple[Split, Split]:
    """((x_train, y_train), (x_test, y_test)) for ``spec``; see mnist.load_data for the search.

    Files in folders the user names (``path``, ``$EMBER_DATA_DIR``) are used as they are; files
    from the cache or the network are checked against the published digests.
    """
    looked = []
    for folder in _user_folders(spec, path):
        found = [_find(folder, name) for name, _ in FILES]
        if all(found):
            return _assemble(spec, found, verify=False)
        looked.append(_describe(folder, found))
    cache = data_home() / spec.name
    found = [_find(cache, name) for name, _ in FILES]
    for i, (name, _) in enumerate(FILES):
        if found[i] is not None:
            continue
        dest = cache / f"{name}.gz"
        try:
            fetch(dest.name, mirrors, dest,
                  check=lambda tmp, url, name=name: _verify(spec, name, url,
                                                            _read(spec, tmp, name)[1]))
        except DownloadError as e:
            looked.append(_describe(cache, found))
            raise DownloadError(_advice(spec, looked, cache, str(e))) from None
        found[i] = dest
    return _assemble(spec, found, verify=True)


def _user_folders(spec: IdxDataset, path: str | os.PathLike | None) -> list[Path]:
    folders = []
    if path is not None:
        root = Path(path).expanduser()
        if root.is_file():
            raise ValueError(f"{spec.function}: path must be a folder holding the four idx "
                             f"files ({', '.join(n + '.gz' for n, _ in FILES)}), got the file "
                             f"{root}")
        folders += [root] + [root / sub for sub in spec.subdirs]
    env = os.environ.get("EMBER_DATA_DIR")
    if env:
        root = Path(env).expanduser()
        # The data-set subfolder first: $EMBER_DATA_DIR is meant as a root for many data sets.
        folders += [root / sub for sub in spec.subdirs] + ([root] if spec.data_dir_root else [])
    return folders


def _find(folder: Path, name: str) -> Path | None:
    """The file ``name``.gz in ``folder``, or its uncompressed form ``name``."""
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
        if candidate.exists():  # a FIFO would hang a reader, a folder is not data
            raise FileFormatError(f"{candidate}: not a regular file (a "
                                  f"{'directory' if candidate.is_dir() else 'special file'}); "
                                  "expected the idx data file")
    return None


def _describe(folder: Path, found: list[Path | None]) -> str:
    if not folder.is_dir():
        return f"{folder} (no such folder)"
    missing = [f"{name}.gz" for (name, _), f in zip(FILES, found) if f is None]
    return f"{folder} (missing {', '.join(missing)})"


def _advice(spec: IdxDataset, looked: list[str], cache: Path, failures: str) -> str:
    names = ", ".join(f"{name}.gz" for name, _ in FILES)
    sub = spec.subdirs[0]
    return "\n".join([
        f"{spec.function}: {spec.title} is not on this machine and could not be downloaded.",
        "Looked in:", *(f"  {place}" for place in looked),
        "Download failed:", *(f"  {line}" for line in failures.splitlines()),
        f"Without internet, copy the four files ({names}) from a machine that has them into "
        f"a folder, then pass it as {spec.function}(path=...) or set the environment variable "
        f"EMBER_DATA_DIR to it (or to a folder holding it as {sub}/); or put them in the "
        f"cache folder {cache}.",
    ])


def _read(spec: IdxDataset, path: Path, name: str,
          verify: bool = True) -> tuple[np.ndarray, str | None]:
    """The file's array and (when verifying) its digest, computed while it is inflated."""
    ndim = dict(FILES)[name]
    return load_idx(path, ndim, spec.algorithm if verify else None, spec.hash_of_gzip)


def _verify(spec: IdxDataset, name: str, source: Path | str, got: str) -> None:
    """Raise ValueError naming ``source`` unless its digest ``got`` is the published one."""
    want = spec.hashes[name]
    if got != want:
        what = "the .gz file" if spec.hash_of_gzip else "the uncompressed content"
        raise ValueError(
            f"{source}: {spec.algorithm} checksum mismatch: {what} hashes to {got}, expected "
            f"{want} for {spec.title}'s {name}: the file is corrupt or not the {spec.title} "
            f"file (delete it to download it again)")


def _assemble(spec: IdxDataset, paths: list[Path], verify: bool) -> tuple[Split, Split]:
    arrays = []
    for (name, _), path in zip(FILES, paths):
        array, got = _read(spec, path, name, verify)
        if verify:
            _verify(spec, name, path, got)
        arrays.append(array)
    for i in (0, 2):
        _check_pair(spec, arrays[i], arrays[i + 1], paths[i], paths[i + 1])
    x_train, y_train, x_test, y_test = arrays
    return (x_train, y_train), (x_test, y_test)


def _check_pair(spec: IdxDataset, images: np.ndarray, labels: np.ndarray,
                image_path: Path, label_path: Path) -> None:
    if len(images) != len(labels):
        raise ValueError(f"{spec.function}: {image_path} holds {len(images)} images but "
                         f"{label_path} holds {len(labels)} labels; they must pair up")
    if labels.size and int(labels.max()) >= spec.num_classes:
        raise ValueError(f"{label_path}: label {int(labels.max())} is out of range: "
                         f"{spec.title} labels are 0..{spec.num_classes - 1}")
