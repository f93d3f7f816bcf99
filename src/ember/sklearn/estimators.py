"""``EmberClassifier`` and ``EmberRegressor``: ember models as scikit-learn estimators.

They follow scikit-learn's conventions, so they work in ``Pipeline``, ``GridSearchCV``,
``RandomizedSearchCV`` and ``cross_val_score``: hyperparameters are constructor arguments,
``fit`` builds a NEW model each time from the build function ``model`` (so ``clone`` and
refitting start from fresh weights), fitted state ends in ``_`` (``model_``, ``classes_``,
``n_features_in_``, ``history_``).

Arguments of the build function are routed with the prefix ``model__`` (as in scikeras):
``EmberClassifier(build, model__units=64)`` calls ``build(units=64)``, and a grid over
``{"model__units": [32, 64]}`` tunes them. The build function may also ask for
``n_features_in_``, ``n_classes_``, ``classes_``, ``n_outputs_``, ``X_shape_`` or ``meta``
(all of them, as a dict) by naming them as parameters. A model it returns uncompiled is
compiled with ``optimizer``, ``learning_rate``, ``loss`` (chosen from the output layer when
None) and ``metrics``; a compiled one keeps its own settings, except ``learning_rate`` when
given.

Example:
    >>> import ember as em
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    >>> def build(units=16):
    ...     return em.Sequential([em.layers.Dense(units, activation="relu"),
    ...                           em.layers.Dense(1, activation="sigmoid")])
    >>> clf = em.sklearn.EmberClassifier(build, model__units=8, epochs=30,
    ...                                  learning_rate=0.01, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape, clf.score(X, y) > 0.85
    ((2, 2), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets

from ember.model_selection._outputs import as_probabilities, from_logits
from ember.sklearn._base import EmberEstimator

# The checks of scikit-learn's ``parametrize_with_checks`` that these estimators cannot pass,
# with the reason: mini-batch SGD is not exactly invariant to how the data is weighted.
EXPECTED_FAILED_CHECKS: dict[str, str] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "a weight of 2 and a repeated sample change the mini-batches (their number, order "
        "and size), so the SGD trajectory and the fitted weights differ"),
}


def expected_failed_checks(estimator: Any) -> dict[str, str]:
    """``{check name: reason}`` for ``parametrize_with_checks(expected_failed_checks=...)``."""
    return dict(EXPECTED_FAILED_CHECKS)


def _is_categorical_loss(loss: Any) -> bool:
    name = loss if isinstance(loss, str) else type(loss).__name__
    return name.lower().replace("_", "") in ("categoricalcrossentropy", "categoricalfocal"
                                             "crossentropy")


class EmberClassifier(ClassifierMixin, EmberEstimator):
    """A scikit-learn classifier around an ember model.

    Args:
        model: a function returning a new ember model (compiled or not); None builds an MLP
            (``model__hidden_layer_sizes=(32,)``, ``model__activation="relu"``,
            ``model__dropout=0.0``). It must end in one sigmoid unit (two classes) or one
            softmax unit per class.
        epochs, batch_size, verbose, shuffle, validation_split, callbacks: for ``Model.fit``
            (the validation part is drawn at random, not the last rows).
        optimizer, learning_rate, loss, metrics: for ``compile`` when ``model`` returns an
            uncompiled model. ``loss=None`` chooses ``binary_crossentropy`` (one output unit)
            or ``sparse_categorical_crossentropy``.
        random_state: an int seeds ember (``em.utils.set_random_seed``, which also seeds
            Python's and NumPy's global generators) before each fit, so fits are
            reproducible; None leaves the generators alone.
        **kwargs: ``model__<name>`` (build function), ``optimizer__<name>`` (optimizer
            constructor), ``fit__<name>`` (``Model.fit``).

    Labels may be any values (strings, integers): ``classes_`` holds them in sorted order and
    ``predict`` returns them.
    """

    _kind = "classifier"

    def _prepare_target(self, y: np.ndarray) -> np.ndarray:
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        self.n_outputs_ = 1
        if self.n_classes_ < 2:
            raise ValueError(f"EmberClassifier: y has only one class ({self.classes_[0]!r}); a "
                             "classifier needs samples of at least 2 classes")
        return y_enc

    def _meta(self, X: np.ndarray) -> dict:
        return {**super()._meta(X), "n_classes_": self.n_classes_, "classes_": self.classes_}

    def _check_outputs(self, width: int) -> None:
        k = self.n_classes_
        if width == k or (k == 2 and width == 1):
            return
        raise ValueError(f"EmberClassifier: the model ends in {width} output unit(s) but y has "
                         f"{k} classes; end it with Dense(1, activation='sigmoid') for two "
                         f"classes or Dense({k}, activation='softmax')")

    def _default_loss(self, width: int) -> str:
        return "binary_crossentropy" if width == 1 else "sparse_categorical_crossentropy"

    def _fit_target(self, y: np.ndarray, width: int, loss: Any) -> np.ndarray:
        if width == 1:
            return y.astype(np.float32).reshape(-1, 1)
        if _is_categorical_loss(loss):
            return np.eye(width, dtype=np.float32)[y]
        return y.astype(np.int64)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        out = self._raw_predict(X)
        proba = as_probabilities(out.reshape(len(out), -1), from_logits(self.model_),
                                 who="EmberClassifier.predict_proba")
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label of each sample."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError before fit
        return self.classes_[proba.argmax(axis=1)]


class EmberRegressor(RegressorMixin, EmberEstimator):
    """A scikit-learn regressor around an ember model.

    Takes the same arguments as ``EmberClassifier``; ``loss=None`` means ``"mse"`` and the
    default MLP ends in one linear unit per target column. ``y`` may be (n,) or
    (n, n_outputs); ``predict`` returns the same layout. ``score`` is R².

    Example::

        reg = em.sklearn.EmberRegressor(model__hidden_layer_sizes=(64, 64), epochs=50,
                                        learning_rate=1e-2, random_state=0)
        Pipeline([("scale", StandardScaler()), ("net", reg)]).fit(X, y).score(X_test, y_test)
    """

    _kind = "regressor"

    def _y_validation(self) -> dict:
        return {"multi_output": True, "y_numeric": True}

    def _prepare_target(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=np.float32)
        self._y_ndim_ = y.ndim
        self.n_outputs_ = 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))
        return y.reshape(len(y), self.n_outputs_)

    def _check_outputs(self, width: int) -> None:
        if width != self.n_outputs_:
            raise ValueError(f"EmberRegressor: the model has {width} output unit(s) but y has "
                             f"{self.n_outputs_} column(s); end it with "
                             f"Dense({self.n_outputs_})")

    def _default_loss(self, width: int) -> str:
        return "mse"

    def _fit_target(self, y: np.ndarray, width: int, loss: Any) -> np.ndarray:
        return y

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values: shape (n_samples,) when fitted on a 1-D ``y``."""
        out = self._raw_predict(X).astype(np.float64)
        out = out.reshape(len(out), -1)
        return out[:, 0] if self._y_ndim_ == 1 else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
