"""``from_torch``: a PyTorch ``DataLoader`` (or any iterable of torch batches) as batches
``fit`` takes: each batch's tensors become NumPy arrays, a ``[x, y]`` list becomes the
``(x, y)`` tuple ember reads as inputs and targets, and ``len`` is the loader's.

Example::

    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True,
                                         num_workers=2)
    model.fit(em.data.from_torch(loader), epochs=3)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


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
            yield _convert(batch, top=True)


def from_torch(loader: Any) -> TorchBatches:
    """Wrap ``loader`` (see the module docstring)."""
    return TorchBatches(loader)


def _convert(value: Any, top: bool = False) -> Any:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {k: _convert(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_convert(v) for v in value]
        # torch's default collate turns the (x, y) a Dataset returns into a list [x, y]
        return tuple(items) if top and 1 <= len(items) <= 3 else type(value)(items)
    return value
