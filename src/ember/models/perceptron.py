"""Rosenblatt's perceptron and its learning rule: the neuron before gradient descent.

A perceptron outputs step(w . x + b): 1 on one side of the hyperplane w . x + b = 0, 0 on the
other. The rule: for each sample, w += lr (y - y_hat) x and b += lr (y - y_hat), i.e. nothing
when the prediction is right, and a step towards the sample when it is wrong. If a line (a
hyperplane) separates the classes, the rule finds one in finitely many steps (the perceptron
convergence theorem); if none does (XOR), it never settles.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor


class Perceptron:
    """One neuron with a step activation, trained by the perceptron rule (not backprop).

    Args:
        learning_rate: the size of each correction (with zero initial weights any positive
            value learns the same boundary, only scaled).
        max_epochs: passes over the data at most; training stops early after a pass without
            a mistake.
        shuffle: visit the samples in a new random order each pass (``seed``).

    After ``fit``: ``weights`` (n_features,), ``bias`` (a number), ``history`` (the mistakes in
    each pass), ``converged`` (a pass without mistakes happened).

    Example:
        >>> import ember as em
        >>> x = em.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        >>> p = em.models.Perceptron().fit(x, em.tensor([0.0, 0.0, 0.0, 1.0]))   # AND
        >>> p.predict(x), p.converged
        (tensor([0., 0., 0., 1.]), True)
    """

    def __init__(self, learning_rate: float = 1.0, max_epochs: int = 100,
                 shuffle: bool = False, seed: int | None = None) -> None:
        if not learning_rate > 0:
            raise ValueError(f"Perceptron: learning_rate must be > 0; got {learning_rate!r}")
        if int(max_epochs) < 1:
            raise ValueError(f"Perceptron: max_epochs must be at least 1; got {max_epochs!r}")
        self.learning_rate = float(learning_rate)
        self.max_epochs = int(max_epochs)
        self.shuffle = shuffle
        self.seed = seed
        self.weights: Tensor | None = None
        self.bias: Tensor | None = None
        self.history: list[int] = []
        self.converged = False

    def __repr__(self) -> str:
        return (f"Perceptron(learning_rate={self.learning_rate}, max_epochs={self.max_epochs}, "
                f"shuffle={self.shuffle})")

    @staticmethod
    def _x(x: Any, who: str) -> Tensor:
        t = x if isinstance(x, Tensor) else as_tensor(np.asarray(x, dtype="float32"))
        if t.ndim != 2:
            raise ValueError(f"Perceptron.{who}: x must be 2-D (samples, features); got shape "
                             f"{tuple(t.shape)}")
        if t.data.dtype.kind != "f":
            t = as_tensor(t.data.astype("float32"))
        if not bool(np.isfinite(backend.to_numpy(t.data)).all()):
            raise ValueError(f"Perceptron.{who}: x contains NaN or infinite values")
        return t

    def fit(self, x: Any, y: Any) -> Perceptron:
        """Apply the perceptron rule, sample by sample, until a pass makes no mistake."""
        from ember.ops import matmul

        xt = self._x(x, "fit")
        labels = backend.to_numpy(y.data) if isinstance(y, Tensor) else np.asarray(y)
        labels = labels.reshape(-1)
        if labels.shape[0] != xt.shape[0]:
            raise ValueError(f"Perceptron.fit: x has {xt.shape[0]} samples but y has "
                             f"{labels.shape[0]}")
        if not np.isin(labels, (0, 1)).all():
            raise ValueError(f"Perceptron.fit: y must hold the labels 0 and 1; got "
                             f"{np.unique(labels)[:6].tolist()}")
        dt = xt.data.dtype
        xp = backend.xp_of(xt.data)
        targets = as_tensor(xp.asarray(labels.astype(dt)))
        self.weights = as_tensor(xp.zeros(xt.shape[1], dtype=dt))
        self.bias = as_tensor(xp.zeros((), dtype=dt))
        self.history, self.converged = [], False
        rng = np.random.default_rng(self.seed)
        order = np.arange(xt.shape[0])
        for _ in range(self.max_epochs):
            if self.shuffle:
                order = rng.permutation(order)
            mistakes = 0
            for i in order.tolist():  # the rule is online: each update sees the last one
                xi = xt[i]
                error = targets[i] - self._step(matmul(xi, self.weights) + self.bias)
                if error.item() != 0:
                    mistakes += 1
                    self.weights = self.weights + self.learning_rate * error * xi
                    self.bias = self.bias + self.learning_rate * error
            self.history.append(mistakes)
            if mistakes == 0:
                self.converged = True
                break
        return self

    @staticmethod
    def _step(z: Tensor) -> Tensor:
        from ember.activations import step

        return step(z)

    def decision_function(self, x: Any) -> Tensor:
        """w . x + b for each sample (its sign says the side of the boundary)."""
        from ember.ops import matmul

        if self.weights is None:
            raise RuntimeError("Perceptron: call fit(x, y) before predicting")
        xt = self._x(x, "predict")
        if xt.shape[1] != self.weights.shape[0]:
            raise ValueError(f"Perceptron.predict: x has {xt.shape[1]} features; the "
                             f"perceptron was fitted on {self.weights.shape[0]}")
        return matmul(xt, self.weights) + self.bias

    def predict(self, x: Any) -> Tensor:
        """step(w . x + b): the predicted labels, 0 or 1."""
        return self._step(self.decision_function(x))

    def score(self, x: Any, y: Any) -> float:
        """The accuracy on (x, y)."""
        labels = backend.to_numpy(y.data) if isinstance(y, Tensor) else np.asarray(y)
        return float((self.predict(x).numpy() == labels.reshape(-1)).mean())
