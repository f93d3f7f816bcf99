"""``keras.backend``'s few names the tutorials use: ``floatx``, ``set_floatx``,
``backend()``, ``clear_session``, ``epsilon``."""

from __future__ import annotations

from ember.backend import floatx, set_floatx

__all__ = ["floatx", "set_floatx", "backend", "clear_session", "epsilon", "random_normal",
           "random_uniform"]


def backend() -> str:
    """The backend's name, as ``keras.backend.backend()`` (here always "ember")."""
    return "ember"


def clear_session() -> None:
    """Keras frees its global state and restarts layer names; ember keeps no graph state, so
    this restarts the names ("dense" again), as ``em.backend.clear_session``."""
    from ember import backend as _backend

    _backend.clear_session()


def epsilon() -> float:
    """The fuzz factor Keras adds to avoid division by zero (1e-7)."""
    return 1e-7


def random_normal(shape, mean: float = 0.0, stddev: float = 1.0, dtype=None, seed=None):
    """tf.keras' ``backend.random_normal``: ``keras.random.normal``."""
    from ember.keras.random import normal

    return normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def random_uniform(shape, minval: float = 0.0, maxval: float = 1.0, dtype=None, seed=None):
    """tf.keras' ``backend.random_uniform``: ``keras.random.uniform``."""
    from ember.keras.random import uniform

    return uniform(shape, minval=minval, maxval=maxval, dtype=dtype, seed=seed)
