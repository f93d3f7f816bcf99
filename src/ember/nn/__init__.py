"""PyTorch-named building blocks over ember's ops: ``em.nn.functional`` (``F``)."""

from ember.nn import functional

__all__ = ["functional"]
