"""``get_file``: a file from a URL, cached, checked and unpacked, as ``keras.utils.get_file``,
and found on this machine first, so that nothing is downloaded where the file already is.

Where a file is looked for, in order:

1. ``fname`` itself when it is a path to an existing file or folder (ember accepts a local
   path where Keras only accepts a bare name);
2. ``$EMBER_DATA_DIR/<fname>`` (a folder of data sets the user keeps);
3. the cache, ``<cache_dir>/<cache_subdir>/<fname>`` (``cache_dir`` defaults to
   ``$EMBER_HOME`` or ``~/.ember``);
4. the network: ``origin``, written atomically into the cache, and kept only when its
   sha256 / md5 matches ``file_hash``.

Files the user placed (1, 2) are used as they are; cached and downloaded files are checked
against ``file_hash``. Without network, a missing file fails at once (a 5 s deadline per step)
with a message listing where it was looked for. Archives (``.tar``, ``.tar.gz`` / ``.tgz``,
``.tar.bz2``, ``.tar.xz``, ``.zip``, and single-file ``.gz``) are unpacked with
``extract=True`` into the cache; members that would land outside the target are refused.

Example::

    path = em.utils.get_file("cifar-10-python.tar.gz",
                             "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                             extract=True)
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import zipfile
from pathlib import Path


def ember_home() -> Path:
    home = os.environ.get("EMBER_HOME")
    return Path(home).expanduser() if home else Path.home() / ".ember"


def get_file(fname: str | os.PathLike | None = None, origin: str | None = None,
             untar: bool = False, md5_hash: str | None = None, file_hash: str | None = None,
             cache_subdir: str = "datasets", hash_algorithm: str = "auto",
             extract: bool = False, archive_format: str = "auto",
             cache_dir: str | os.PathLike | None = None, force_download: bool = False) -> str:
    """The local path of ``fname`` (the extracted folder with ``extract=True``); see the
    module docstring for where it is looked for and when it is downloaded."""
    # the fetching helpers are shared with the MNIST loader (imported here, not at module
    # level: ember.datasets itself imports this module)
    from ember.datasets._download import DownloadError, fetch

    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    extract = extract or untar
    if fname is None or os.fspath(fname) == "":
        if not origin:
            raise ValueError("get_file: give fname or origin (the URL to download)")
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"get_file: cannot tell a file name from origin {origin!r}; "
                             "pass fname")
    fname = os.fspath(fname)
    looked = []
    for candidate in _user_candidates(fname):
        if candidate.exists():
            return _finish(candidate, extract, archive_format, None, looked)
        looked.append(str(candidate))
    datadir = Path(cache_dir).expanduser() if cache_dir else ember_home()
    datadir = datadir / cache_subdir
    target = datadir / Path(fname).name
    extracted = datadir / (_stem(target.name) + "_extracted")
    if extract and extracted.is_dir() and not force_download:
        return str(extracted)
    if target.is_file() and not force_download and (
            file_hash is None or validate_file(target, file_hash, hash_algorithm)):
        return _finish(target, extract, archive_format, extracted, looked)
    looked.append(f"{target} (cache)")
    if not origin:
        raise DownloadError(_advice(fname, looked, "no origin URL to download from"))
    base, name = origin.rsplit("/", 1)

    def check(tmp: Path, url: str) -> None:
        if file_hash is not None and not validate_file(tmp, file_hash, hash_algorithm):
            got = hash_file(tmp, _algorithm(hash_algorithm, file_hash))
            raise ValueError(f"checksum mismatch: the file hashes to {got}, expected "
                             f"{file_hash}")

    try:
        fetch(name, [base], target, check)
    except DownloadError as e:
        raise DownloadError(_advice(fname, looked, str(e))) from None
    return _finish(target, extract, archive_format, extracted, looked)


def _user_candidates(fname: str) -> list[Path]:
    out = []
    given = Path(fname).expanduser()
    if given.is_absolute() or os.sep in fname or given.exists():
        out.append(given)
    env = os.environ.get("EMBER_DATA_DIR")
    if env and not given.is_absolute():
        out.append(Path(env).expanduser() / fname)
    return out


def _finish(path: Path, extract: bool, archive_format: str, extracted: Path | None,
            looked: list[str]) -> str:
    if not extract or path.is_dir():
        return str(path)
    if extracted is None:  # a user's archive: unpack into the cache, never beside it
        extracted = ember_home() / "datasets" / (_stem(path.name) + "_extracted")
    if not extracted.is_dir():
        extract_archive(path, extracted, archive_format)
    return str(extracted)


def _stem(name: str) -> str:
    return name.split(".", 1)[0] or name


def _advice(fname: str, looked: list[str], failure: str) -> str:
    return "\n".join([
        f"get_file: {fname} is not on this machine and could not be downloaded.",
        "Looked in:", *(f"  {p}" for p in looked),
        "Download failed:", *(f"  {line}" for line in failure.splitlines()),
        "Without internet, copy the file from a machine that has it and pass its path, or "
        "put it in the folder named by the environment variable EMBER_DATA_DIR.",
    ])


# ---------------------------------------------------------------------- hashes
def _algorithm(algorithm: str, file_hash: str | None = None) -> str:
    """Keras' rule: 'auto' means sha256 for a 64-digit hash, md5 otherwise."""
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None
                                 and len(file_hash) == 64):
        return "sha256"
    if algorithm in ("md5", "auto"):
        return "md5"
    raise ValueError(f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5'; got "
                     f"{algorithm!r}")


def hash_file(path: str | os.PathLike, algorithm: str = "sha256",
              chunk_size: int = 1 << 20) -> str:
    """The hex digest of a file, read in chunks."""
    hasher = hashlib.new(_algorithm(algorithm))
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(path: str | os.PathLike, file_hash: str, algorithm: str = "auto") -> bool:
    """Whether the file's digest is ``file_hash`` (sha256 for a 64-digit hash, else md5)."""
    return hash_file(path, _algorithm(algorithm, file_hash)) == str(file_hash)


# ---------------------------------------------------------------------- archives
def extract_archive(path: str | os.PathLike, dest: str | os.PathLike,
                    archive_format: str = "auto") -> str:
    """Unpack a tar / zip / gz archive into ``dest`` (written atomically: a temporary folder
    renamed into place). Returns ``dest``."""
    path, dest = Path(path), Path(dest)
    kind = _archive_kind(path, archive_format)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        if kind == "tar":
            with tarfile.open(path) as tar:
                for member in tar.getmembers():
                    _check_member(member.name, tmp, path)
                    if member.issym() or member.islnk():
                        raise ValueError(f"extract_archive: {path} holds a link "
                                         f"({member.name}); refused")
                try:
                    tar.extractall(tmp, filter="data")
                except TypeError:  # Python without extraction filters; members checked
                    tar.extractall(tmp)
        elif kind == "zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    _check_member(name, tmp, path)
                archive.extractall(tmp)
        else:  # a single gzip-compressed file
            with gzip.open(path, "rb") as src, open(tmp / path.name[:-3], "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return str(dest)


def _archive_kind(path: Path, archive_format: str) -> str:
    allowed = {"auto": ("tar", "zip", "gz"), "tar": ("tar",), "zip": ("zip",)}
    if archive_format not in allowed:
        raise ValueError(f"extract_archive: archive_format must be 'auto', 'tar' or 'zip'; "
                         f"got {archive_format!r}")
    kinds = allowed[archive_format]
    if "tar" in kinds and tarfile.is_tarfile(path):
        return "tar"
    if "zip" in kinds and zipfile.is_zipfile(path):
        return "zip"
    if "gz" in kinds and path.name.endswith(".gz"):
        with open(path, "rb") as f:
            if f.read(2) == b"\x1f\x8b":
                return "gz"
    raise ValueError(f"extract_archive: {path} is not a {' / '.join(kinds)} archive")


def _check_member(name: str, root: Path, archive: Path) -> None:
    target = (root / name).resolve()
    if root.resolve() not in (target, *target.parents):
        raise ValueError(f"extract_archive: {archive} member {name!r} would be written "
                         f"outside the target folder; refused")
