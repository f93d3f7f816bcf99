"""``text_dataset_from_directory``: a folder of class subfolders of ``.txt`` files as a
pipeline of ``(texts, labels)`` batches, as ``keras.utils.text_dataset_from_directory``
(the same file order, split and labels for a seed; the files are read batch by batch).

``texts`` is a NumPy object array of Python strings (UTF-8 decoded), ready for
``TextVectorization``; ``max_length`` keeps the first characters of each file (as Keras'
grain format; its TensorFlow format counts bytes).

Example::

    raw_train = em.data.text_dataset_from_directory("aclImdb/train", batch_size=32,
                                                    validation_split=0.2, subset="training",
                                                    seed=42)
    vectorize = em.layers.TextVectorization(max_tokens=10000, output_sequence_length=250)
    vectorize.adapt(raw_train.map(lambda text, label: text))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ember.data import _directory

WHERE = "text_dataset_from_directory"


def text_dataset_from_directory(
        directory: Any, labels: Any = "inferred", label_mode: str | None = "int",
        class_names: Sequence[str] | None = None, batch_size: int | None = 32,
        max_length: int | None = None, shuffle: bool = True, seed: int | None = None,
        validation_split: float | None = None, subset: str | None = None,
        follow_links: bool = False, verbose: bool = True) -> Any:
    """Batches ``(texts, labels)`` from ``directory/<class>/<file>.txt``; the arguments mean
    what they mean for ``image_dataset_from_directory``. ``subset="both"`` returns
    ``[training, validation]``; each result has ``class_names`` and ``file_paths``."""
    labels, label_mode = _directory.check_labels(WHERE, labels, label_mode)
    if max_length is not None and (isinstance(max_length, bool) or max_length < 0):
        raise ValueError(f"{WHERE}: max_length must be a non-negative int or None; got "
                         f"{max_length!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"{WHERE}: batch_size must be a positive integer or None; got "
                         f"{batch_size!r}")
    _directory.check_split(WHERE, validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1e6))
    paths, label_array, names = _directory.index_directory(
        WHERE, directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose)
    if label_array is not None:
        label_array = _directory.encode_labels(WHERE, label_array, label_mode, len(names))

    def read(batch_paths: Any) -> np.ndarray:
        texts = np.empty(len(batch_paths), dtype=object)
        for i, path in enumerate(batch_paths):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            texts[i] = text if max_length is None else text[:max_length]
        return texts

    out = []
    for part in (["training", "validation"] if subset == "both" else [subset]):
        part_paths, part_labels = _directory.split(paths, label_array, validation_split, part,
                                                   verbose)
        if not part_paths:
            raise ValueError(f"{WHERE}: no text files found in {os.fspath(directory)!r} "
                             "(allowed format: .txt)")
        ds = _directory.build(part_paths, part_labels, read, batch_size,
                              _directory.reshuffles(shuffle, subset, part), seed)
        ds.class_names, ds.file_paths = names, part_paths
        out.append(ds)
    return out if subset == "both" else out[0]
