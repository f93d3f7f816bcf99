"""Listing a folder of class subfolders the way Keras does (shared by the image and text
loaders), so the same folder and seed give the same ``class_names``, ``file_paths`` and
training / validation split as ``keras.utils.*_dataset_from_directory``.

Keras' order: class folders sorted; within each, ``os.walk`` sorted by folder then file name;
with ``shuffle`` the list is shuffled by ``numpy.random.RandomState(seed).shuffle`` (the
labels by a second generator with the same seed, so they stay paired); the validation
subset is the last ``int(validation_split * n)`` files of that list.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ember.data import pipeline


def check_labels(where: str, labels: Any, label_mode: str | None) -> tuple:
    """``labels`` and ``label_mode`` checked; (None, None) when either asks for no labels
    (as Keras: no labels, no class_names)."""
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f"{where}: labels must be 'inferred', None or a list of ints; got "
                         f"{labels!r}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f"{where}: label_mode must be 'int', 'categorical', 'binary' or "
                         f"None; got {label_mode!r}")
    if labels is None or label_mode is None:
        return None, None
    return labels, label_mode


def check_split(where: str, validation_split: float | None, subset: str | None,
                shuffle: bool, seed: int | None) -> None:
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"{where}: validation_split must be between 0 and 1; got "
                         f"{validation_split}")
    if bool(validation_split) != bool(subset):
        raise ValueError(f"{where}: validation_split and subset go together (got "
                         f"validation_split={validation_split!r}, subset={subset!r})")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f"{where}: subset must be 'training', 'validation' or 'both'; got "
                         f"{subset!r}")
    if validation_split and shuffle and seed is None:
        raise ValueError(f"{where}: with validation_split and shuffle=True, pass a seed so "
                         "that the training and validation subsets do not overlap")


def index_directory(where: str, directory: Any, labels: Any, formats: tuple[str, ...],
                    class_names: Sequence[str] | None, shuffle: bool, seed: int,
                    follow_links: bool = False, verbose: bool = True
                    ) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """(file paths, int32 labels or None, class names or None), in Keras' order."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{where}: no folder {directory!r}")
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names) <= set(subdirs):
                raise ValueError(f"{where}: class_names {list(class_names)} do not match the "
                                 f"subfolders of {directory!r}: {subdirs} (or a subset)")
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(f"{where}: class_names can only be given with "
                             f"labels='inferred'; got labels={labels!r}")
        subdirs = [""]
    names, found = list(subdirs), []
    for index, sub in enumerate(subdirs):
        root_dir = os.path.join(directory, sub)
        for path in _walk(root_dir, follow_links, formats):
            found.append((os.path.join(directory, sub, os.path.relpath(path, root_dir))
                          if sub else path, index))
    paths = [p for p, _ in found]
    if labels == "inferred":
        label_array: np.ndarray | None = np.array([i for _, i in found], dtype=np.int32)
    elif labels is None:
        label_array, names = None, None
    else:
        label_array = np.asarray(labels)
        if len(label_array) != len(paths):
            raise ValueError(f"{where}: got {len(label_array)} labels for the {len(paths)} "
                             f"files in {directory!r}; they must match")
        names = [str(v) for v in sorted(set(label_array.tolist()))]
    if verbose:
        tail = "" if names is None else f" belonging to {len(names)} classes"
        print(f"Found {len(paths)} files{tail}.")
    if shuffle:
        np.random.RandomState(seed).shuffle(paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return paths, label_array, names


def _walk(directory: str, follow_links: bool, formats: tuple[str, ...]) -> list[str]:
    out = []
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        out += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith(formats)]
    return out


def split(paths: list[str], labels: np.ndarray | None, validation_split: float | None,
          subset: str | None, verbose: bool = True) -> tuple[list[str], np.ndarray | None]:
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    if subset == "training":
        if verbose:
            print(f"Using {len(paths) - n_val} files for training.")
        keep = slice(0, len(paths) - n_val)
    else:
        if verbose:
            print(f"Using {n_val} files for validation.")
        keep = slice(len(paths) - n_val, len(paths))
    return paths[keep], None if labels is None else labels[keep]


def encode_labels(where: str, labels: np.ndarray, label_mode: str, num_classes: int
                  ) -> np.ndarray:
    if label_mode == "int":
        return labels.astype(np.int32)
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[labels]
    if label_mode == "binary":
        if num_classes != 2:
            raise ValueError(f"{where}: label_mode='binary' needs exactly 2 classes; got "
                             f"{num_classes}")
        return labels.astype(np.float32)[:, None]
    raise ValueError(f"{where}: label_mode must be 'int', 'categorical', 'binary' or None; "
                     f"got {label_mode!r}")


def reshuffles(shuffle: bool, subset: str | None, part: str | None) -> bool:
    """Whether a subset is reshuffled each pass, as Keras' default (``format="tf"``) does:
    the training part and a ``subset="validation"`` dataset are (a tf.data shuffle each
    epoch); the validation part of ``subset="both"`` is not (Keras builds it unshuffled)."""
    return shuffle and not (subset == "both" and part == "validation")


def build(paths: list[str], labels: np.ndarray | None, load_batch: Any, batch_size: int | None,
          shuffle: bool, seed: int) -> pipeline.Pipeline:
    """A pipeline of (decoded batch, labels): paths are gathered per batch (reshuffled each
    pass when ``shuffle``), decoded by ``load_batch(paths)``, and prefetched in a thread."""
    source = np.array(paths, dtype=object)
    ds = pipeline.from_tensor_slices(source if labels is None else (source, labels))
    if shuffle:
        ds = ds.shuffle(max(len(paths), 1), seed=seed)
    if batch_size is None:
        # unbatched elements: decode one file at a time
        one = (lambda p, *y: (load_batch([p])[0], *y)) if labels is not None else \
            (lambda p: load_batch([p])[0])
        return ds.map(one).prefetch(8)
    ds = ds.batch(batch_size)
    ds = ds.map((lambda p, y: (load_batch(p), y)) if labels is not None else load_batch)
    return ds.prefetch(2)
