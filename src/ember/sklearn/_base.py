"""What ``EmberClassifier`` and ``EmberRegressor`` share: parameters, routing, build and fit.

Routed parameters (as in scikeras): ``model__units=64`` is passed to the build function as
``units=64``, ``optimizer__momentum=0.9`` to the optimizer's constructor and
``fit__class_weight={...}`` to ``Model.fit``. They are ordinary parameters for scikit-learn:
``get_params`` lists them and ``set_params`` / ``GridSearchCV`` change them.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

ROUTED_PREFIXES = ("model__", "optimizer__", "fit__")
# the names a build function may ask for, besides its routed ``model__`` arguments
META_NAMES = ("meta", "n_features_in_", "n_outputs_", "n_classes_", "classes_", "X_shape_")


def validate(estimator: Any, X: Any, y: Any = "no_validation", reset: bool = True,
             **kwargs: Any) -> Any:
    """scikit-learn's ``validate_data`` (1.6+), or the estimator method it replaced."""
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(X, y, reset=reset, **kwargs)
    return validate_data(estimator, X, y, reset=reset, **kwargs)


class EmberEstimator(BaseEstimator):
    """Base of the scikit-learn wrappers; see ``EmberClassifier`` for the parameters."""

    _kind = "estimator"

    def __init__(self, model: Any = None, *, epochs: int = 10, batch_size: int = 32,
                 optimizer: Any = "adam", learning_rate: float | None = None, loss: Any = None,
                 metrics: Any = None, verbose: int = 0, random_state: Any = None,
                 validation_split: float = 0.0, callbacks: Any = None, shuffle: bool = True,
                 **kwargs: Any) -> None:
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.loss = loss
        self.metrics = metrics
        self.verbose = verbose
        self.random_state = random_state
        self.validation_split = validation_split
        self.callbacks = callbacks
        self.shuffle = shuffle
        # scikit-learn's convention: __init__ only stores; fit validates (and reports keys
        # without a routing prefix)
        for key, value in kwargs.items():
            setattr(self, key, value)

    # ------------------------------------------------------------------ parameters
    def _extra_keys(self) -> list[str]:
        """The keyword parameters beyond the named ones (``model__units``, ...): public
        attributes that are neither named parameters nor fitted state (which ends in ``_``)."""
        named = set(self._get_param_names())
        return sorted(k for k in vars(self)
                      if k not in named and not k.startswith("_") and not k.endswith("_"))

    def _check_kwargs(self) -> None:
        for key in self._extra_keys():
            if not key.startswith(ROUTED_PREFIXES):
                raise TypeError(
                    f"{type(self).__name__}: unknown parameter {key!r}; arguments of the build "
                    f"function take the prefix model__ (e.g. model__{key}=...), optimizer "
                    "arguments optimizer__, fit arguments fit__")

    def _routed(self, prefix: str) -> dict:
        return {k[len(prefix):]: getattr(self, k) for k in self._extra_keys()
                if k.startswith(prefix)}

    def get_params(self, deep: bool = True) -> dict:
        params = super().get_params(deep=deep)
        params.update({k: getattr(self, k) for k in self._extra_keys()})
        return params

    def set_params(self, **params: Any) -> EmberEstimator:
        # keyword parameters are stored as given, like __init__ does; fit reports bad names
        named = set(self._get_param_names())
        for key in [k for k in params if k.split("__")[0] not in named
                    or k.startswith(ROUTED_PREFIXES)]:
            setattr(self, key, params.pop(key))
        if params:
            super().set_params(**params)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    # ------------------------------------------------------------------ to override
    def _prepare_target(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _meta(self, X: np.ndarray) -> dict:
        return {"n_features_in_": self.n_features_in_, "n_outputs_": self.n_outputs_,
                "X_shape_": X.shape}

    def _check_outputs(self, width: int) -> None:
        raise NotImplementedError

    def _default_loss(self, width: int) -> str:
        raise NotImplementedError

    def _fit_target(self, y: np.ndarray, width: int, loss: Any) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ building
    def _seed(self) -> None:
        if self.random_state is None:
            return
        from ember.utils import set_random_seed

        seed = self.random_state
        if not isinstance(seed, (int, np.integer)):  # a RandomState: draw a seed from it
            seed = check_random_state(seed).randint(np.iinfo(np.int32).max)
        set_random_seed(int(seed))

    def _build_model(self, X: np.ndarray) -> Any:
        from ember.sklearn._builder import mlp

        name = type(self).__name__
        build = mlp if self.model is None else self.model
        if hasattr(build, "fit") and not isinstance(build, type):
            raise TypeError(f"{name}: model must be a function that BUILDS the model (each fit "
                            "starts from new weights), not a model instance; wrap it: "
                            "def build(): ...; return model")
        if not callable(build):
            raise TypeError(f"{name}: model must be a function that returns a new ember model "
                            f"(or None for a default MLP); got {build!r}")
        kwargs = self._routed("model__")
        try:
            signature = inspect.signature(build)
        except (TypeError, ValueError):  # some builtins and C callables have none
            signature = inspect.Signature()
        params = signature.parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        missing = [k for k in kwargs if k not in params and not takes_any]
        if missing:
            shown = ", ".join(f"model__{k}" for k in missing)
            raise TypeError(f"{name}: {shown} given, but the build function "
                            f"{getattr(build, '__name__', build)}{signature} has "
                            f"no parameter {', '.join(map(repr, missing))}")
        meta = self._meta(X)
        for key in META_NAMES:
            if key in params and key not in kwargs:
                kwargs[key] = meta if key == "meta" else meta.get(key)
        model = build(**kwargs)
        if not (hasattr(model, "fit") and hasattr(model, "predict")):
            raise TypeError(f"{name}: the build function returned {type(model).__name__}; "
                            "it must return an ember model (em.Sequential, em.Model)")
        return model

    def _make_optimizer(self) -> Any:
        from ember import optimizers

        opt = self.optimizer
        kwargs = self._routed("optimizer__")
        if self.learning_rate is not None:
            kwargs["learning_rate"] = self.learning_rate
        if isinstance(opt, optimizers.Optimizer):
            # a fresh copy: every fit starts with empty optimizer state
            return type(opt).from_config({**opt.get_config(), **kwargs})
        if isinstance(opt, type):
            return opt(**kwargs)
        return type(optimizers.get(opt))(**kwargs)

    def _compile(self, model: Any, width: int) -> Any:
        if getattr(model, "compiled", False):
            if self.learning_rate is not None:
                model.optimizer.learning_rate = self.learning_rate
            return (getattr(model, "_compile_config", None) or {}).get("loss")
        loss = self.loss if self.loss is not None else self._default_loss(width)
        model.compile(optimizer=self._make_optimizer(), loss=loss, metrics=self.metrics)
        return loss

    # ------------------------------------------------------------------ fit / predict
    def _validate_X(self, X: Any, reset: bool) -> np.ndarray:
        return validate(self, X, reset=reset, dtype=np.float32, allow_nd=True)

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **fit_params: Any
            ) -> EmberEstimator:
        """Build a new model with the build function and train it on ``X``, ``y``.

        ``sample_weight`` weighs each sample's loss; ``fit_params`` go to ``Model.fit``
        (after the ``fit__`` parameters, which they override).
        """
        self._check_kwargs()
        for attr in ("model_", "history_"):
            self.__dict__.pop(attr, None)
        X, y = validate(self, X, y, reset=True, dtype=np.float32, allow_nd=True,
                        **self._y_validation())
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float32)
        y_enc = self._prepare_target(y)
        self._seed()
        model = self._build_model(X)
        probe = model.predict(X[:1], verbose=0)  # builds the model; gives the output width
        if isinstance(probe, list):
            raise ValueError(f"{type(self).__name__}: the model has {len(probe)} outputs; "
                             "the scikit-learn wrappers need a single output")
        width = int(np.prod(probe.shape[1:])) if probe.ndim > 1 else 1
        self._check_outputs(width)
        loss = self._compile(model, width)
        y_fit = self._fit_target(y_enc, width, loss)
        kwargs = {"epochs": self.epochs, "batch_size": self.batch_size, "verbose": self.verbose,
                  "shuffle": self.shuffle, "callbacks": self.callbacks,
                  **self._routed("fit__"), **fit_params}
        if self.validation_split:
            # Keras holds out the LAST samples: shuffle first, so sorted data still gives a
            # validation part with every class
            from ember import backend

            order = backend.rng().permutation(len(X))
            X, y_fit = X[order], y_fit[order]
            sample_weight = None if sample_weight is None else sample_weight[order]
            kwargs["validation_split"] = self.validation_split
        history = model.fit(X, y_fit, sample_weight=sample_weight, **kwargs)
        self.model_ = model
        self.history_ = dict(getattr(history, "history", {}) or {})
        return self

    def _y_validation(self) -> dict:
        return {}

    def _raw_predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        # inference in large batches: fewer Python steps, and no batch statistics to depend on
        return np.asarray(self.model_.predict(X, batch_size=1024, verbose=0))

