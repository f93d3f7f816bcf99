"""``keras.backend``'s few names the tutorials use: ``floatx``, ``set_floatx``,
``backend()``, ``clear_session``, ``epsilon``."""

from __future__ import annotations

from ember.backend import floatx, set_floatx

__all__ = ["floatx", "set_floatx", "backend", "clear_session", "epsilon"]


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
