"""scikit-learn's ``MLPClassifier`` on the dense workload: one hidden layer of 128 relu units,
Adam(1e-3), batch 32, ``max_iter`` = the number of epochs. No L2 penalty (``alpha=0``) and
Adam's epsilon at 1e-7, to match the other contenders' optimizer; no early stopping."""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks.contenders import Unavailable, train_subset


def run(spec: dict, data: tuple, timed) -> dict:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    if spec["workload"] != "dense":
        raise Unavailable("MLPClassifier takes part in the dense training workload only")
    x, y, xt, yt = data
    x, y = train_subset(spec, x.reshape(len(x), 784), y)
    clf = MLPClassifier(hidden_layer_sizes=(128,), activation="relu", solver="adam",
                        batch_size=spec["batch"], learning_rate_init=1e-3, epsilon=1e-7,
                        alpha=0.0, max_iter=spec["epochs"], shuffle=True,
                        random_state=spec["seed"], tol=0.0,
                        n_iter_no_change=spec["epochs"] + 1)
    with warnings.catch_warnings():
        # max_iter is the epoch budget on purpose: "not converged" is expected
        warnings.simplefilter("ignore", ConvergenceWarning)
        with timed():
            clf.fit(x, y)
    # predict maps back through classes_ (a tiny subset may miss some digits)
    acc = float(np.mean(clf.predict(xt.reshape(len(xt), 784)) == yt))
    return {"images": int(len(x)) * spec["epochs"], "final_loss": float(clf.loss_),
            "accuracy": acc, "dtype": str(clf.coefs_[0].dtype)}
