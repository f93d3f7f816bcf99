"""Serving a model over HTTP: ``ember serve model.ember`` (see ``ember.serving.app``).

Example:
    >>> from ember.serving import Batcher
    >>> Batcher.__name__
    'Batcher'
"""

from ember.serving.batcher import Batcher

__all__ = ["Batcher"]
