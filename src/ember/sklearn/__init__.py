"""scikit-learn estimators around ember models: ``EmberClassifier`` and ``EmberRegressor``.

Needs scikit-learn (``pip install 'ember[sklearn]'``). See ``ember.sklearn.estimators`` for
the conventions (routed ``model__`` parameters, fresh model per fit).

Example::

    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    import ember as em

    pipe = make_pipeline(StandardScaler(), em.sklearn.EmberClassifier(epochs=20))
    grid = GridSearchCV(pipe, {"emberclassifier__model__hidden_layer_sizes": [(16,), (64,)],
                               "emberclassifier__learning_rate": [1e-3, 1e-2]}, cv=3)
    grid.fit(X, y).best_params_
"""

from ember.model_selection._deps import require

require("sklearn.base", "ember.sklearn")

from ember.sklearn._builder import mlp  # noqa: E402
from ember.sklearn.estimators import (  # noqa: E402
    EXPECTED_FAILED_CHECKS,
    EmberClassifier,
    EmberRegressor,
    expected_failed_checks,
)

__all__ = ["EmberClassifier", "EmberRegressor", "mlp", "EXPECTED_FAILED_CHECKS",
           "expected_failed_checks"]
