"""``from_torch``: a PyTorch ``DataLoader`` (or any iterable of torch batches) as batches
``fit`` takes: each batch's tensors become NumPy arrays, a ``[x, y]`` list becomes the
``(x, y)`` tuple ember reads as inputs and targets, and ``len`` is the loader's.

Example::

    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True,
                                         num_workers=2)
    model.fit(em.data.from_torch(loader), epochs=3)

``fit`` also takes such a loader directly; ``from_torch`` is for code that wants the arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ember.models.data_adapter import torch_batch


class TorchBatches:
    """See ``from_torch``."""

    def __init__(self, loader: Any) -> None:
        if not hasattr(loader, "__iter__"):
            raise TypeError(f"from_torch: expected a DataLoader or an iterable of batches; "
                            f"got {type(loader).__name__}")
        self.loader = loader

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Any]:
        for batch in self.loader:
            yield torch_batch(batch)


def from_torch(loader: Any) -> TorchBatches:
    """Wrap ``loader`` (see the module docstring)."""
    return TorchBatches(loader)
