"""``keras.metrics``: ember's metrics, with ``Metric`` taking Keras 3's way of declaring
state, so a custom metric written for Keras runs as is::

    self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")
    ...
    self.true_positives.assign_add(values)

``add_variable`` / ``add_weight`` return an ``em.Variable`` (``assign``, ``assign_add``,
``numpy()``); ``reset_state`` puts every such variable back to its initial value, as Keras
does. ember's own ``add_variable(name, shape)`` form still works.

Example:
    >>> import numpy as np
    >>> from ember import keras
    >>> class CountPositives(keras.metrics.Metric):
    ...     def __init__(self, name="positives", **kwargs):
    ...         super().__init__(name=name, **kwargs)
    ...         self.count = self.add_variable(shape=(), initializer="zeros", name="count")
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self.count.assign_add(float((np.asarray(y_pred) > 0.5).sum()))
    ...     def result(self):
    ...         return self.count
    >>> m = CountPositives()
    >>> m.update_state(None, [0.2, 0.7, 0.9])
    >>> float(m.result())
    2.0
    >>> m.reset_state(); float(m.result())
    0.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember.metrics as _metrics


class Metric(_metrics.Metric):
    """``keras.metrics.Metric``: ember's ``Metric`` with Keras 3's ``add_variable`` /
    ``add_weight`` (shape, initializer, dtype, aggregation, name)."""

    def add_variable(self, name: Any = None, shape: Any = (), initializer: Any = None,
                     dtype: Any = None, aggregation: str = "sum", **kwargs: Any) -> Any:
        keras_style = initializer is not None or not isinstance(name, str) or kwargs
        if not keras_style:  # ember's add_variable(name, shape)
            return super().add_variable(name, shape)
        if not isinstance(name, str):  # Keras' positional order: (shape, initializer, ...)
            name, shape = kwargs.pop("name", None), name if name is not None else shape
        from ember import initializers
        from ember.variable import Variable

        shape = tuple(int(s) for s in (shape if isinstance(shape, (list, tuple)) else
                                       (() if shape is None else (shape,))))
        init = initializers.get(initializer or "zeros")
        value = np.asarray(init(shape, dtype=dtype or "float32") if callable(init) else init)
        variable = Variable(value.astype(dtype or "float32"), trainable=False,
                            name=name or f"variable_{len(self._keras_state())}")
        self._keras_state().append((variable, value.copy()))
        return variable

    def add_weight(self, name: Any = None, shape: Any = (), initializer: Any = None,
                   dtype: Any = None, **kwargs: Any) -> Any:
        """Keras 3's ``Metric.add_weight``: the same as ``add_variable``."""
        return self.add_variable(name=name, shape=shape, initializer=initializer or "zeros",
                                 dtype=dtype, **kwargs)

    def _keras_state(self) -> list:
        return self.__dict__.setdefault("_keras_variables", [])

    @property
    def variables(self) -> list:
        return super().variables + [v for v, _ in self._keras_state()]

    def reset_state(self) -> None:
        super().reset_state()
        for variable, initial in self._keras_state():
            variable.assign(initial)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(_metrics, name)


def __dir__() -> list[str]:
    return sorted(set(dir(_metrics)) | {"Metric"})
