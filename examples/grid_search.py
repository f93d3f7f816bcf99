"""Grid search over an ember network with scikit-learn's GridSearchCV.

``em.sklearn.EmberClassifier`` is a scikit-learn estimator, so it goes into a ``Pipeline``
after a ``StandardScaler`` (the scaler is then fitted on each training fold only) and
``GridSearchCV`` tunes both the training settings (``learning_rate``) and the architecture
(``model__units``, routed to the build function).

Run: python examples/grid_search.py
"""

from __future__ import annotations

import ember as em


def build(units: int = 16, dropout: float = 0.0) -> em.Model:
    """The network; EmberClassifier compiles it (adam, binary cross-entropy for 1 unit)."""
    return em.Sequential([
        em.layers.Dense(units, activation="relu"),
        em.layers.Dropout(dropout),
        em.layers.Dense(1, activation="sigmoid"),
    ])


def main(small: bool = False) -> dict:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    pipe = Pipeline([
        ("scale", StandardScaler()),
        ("net", em.sklearn.EmberClassifier(build, epochs=3 if small else 30, batch_size=32,
                                           random_state=0)),
    ])
    grid = {"net__model__units": [4, 32], "net__learning_rate": [1e-3, 1e-2]}
    if not small:
        grid["net__model__dropout"] = [0.0, 0.3]
    search = GridSearchCV(pipe, grid, cv=3, scoring="accuracy")
    search.fit(x_train, y_train)

    print("mean cross-validated accuracy for each setting:")
    results = search.cv_results_
    for params, mean, std in zip(results["params"], results["mean_test_score"],
                                 results["std_test_score"]):
        shown = ", ".join(f"{k.split('__', 1)[1]}={v}" for k, v in params.items())
        print(f"  {mean:.4f} ± {std:.4f}  {shown}")
    print(f"best: {search.best_params_} (cv accuracy {search.best_score_:.4f})")
    test_accuracy = search.score(x_test, y_test)  # the best pipeline, refitted on all training data
    print(f"test accuracy of the refitted best pipeline: {test_accuracy:.4f}")
    return {"best_params": search.best_params_, "best_score": search.best_score_,
            "test_accuracy": test_accuracy}


if __name__ == "__main__":
    main()
