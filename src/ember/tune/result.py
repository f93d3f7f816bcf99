"""``SearchResult``: what ``em.tune.search`` found — best parameters, value and model, and a
table of all trials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember.model_selection._deps import require
from ember.model_selection.validation import format_table


class SearchResult:
    """The outcome of a search.

    Attributes:
        study: the Optuna ``Study`` (all of Optuna's analysis and plots work on it).
        best_params: the suggested values of the best trial.
        best_value: its objective (the best ``monitor`` value over its epochs).
        best_trial: the best ``FrozenTrial``.
        best_model: the trained model of the best trial: kept from the search, or (for a
            study resumed from storage whose best trial ran in another process) retrained
            with the best parameters on first access.
        trials: one dict per trial (number, state, value, parameters, epochs, seconds).
    """

    def __init__(self, study: Any, direction: str, monitor: str, kept: dict,
                 retrain: Callable[[Any], Any]) -> None:
        self.study = study
        self.direction = direction
        self.monitor = monitor
        self._kept = kept
        self._retrain = retrain

    @property
    def best_trial(self) -> Any:
        return self.study.best_trial

    @property
    def best_params(self) -> dict:
        return dict(self.study.best_params)

    @property
    def best_value(self) -> float:
        return float(self.study.best_value)

    @property
    def best_model(self) -> Any:
        best = self.study.best_trial
        if self._kept.get("number") != best.number:
            self._kept.update(number=best.number, model=self._retrain(best), value=best.value)
        return self._kept["model"]

    @property
    def trials(self) -> list[dict]:
        rows = []
        for t in self.study.trials:
            seconds = None
            if t.datetime_start is not None and t.datetime_complete is not None:
                seconds = (t.datetime_complete - t.datetime_start).total_seconds()
            rows.append({"number": t.number, "state": t.state.name.lower(), "value": t.value,
                         **t.params,
                         "epochs": t.user_attrs.get("epochs", len(t.intermediate_values) or None),
                         "seconds": seconds})
        return rows

    @property
    def n_pruned(self) -> int:
        return sum(1 for t in self.trials if t["state"] == "pruned")

    @property
    def n_complete(self) -> int:
        return sum(1 for t in self.trials if t["state"] == "complete")

    def to_dataframe(self) -> Any:
        """The trials as a pandas DataFrame (``pip install 'ember[pandas]'``)."""
        pd = require("pandas", "SearchResult.to_dataframe")
        return pd.DataFrame(self.trials).set_index("number")

    def __str__(self) -> str:
        rows = self.trials
        names = sorted({k for r in rows for k in r} - {"number", "state", "value", "epochs",
                                                          "seconds"})
        head = ["trial", "state", self.monitor, *names, "epochs"]

        def cell(v: Any) -> str:
            if v is None:
                return "-"
            return f"{v:.4g}" if isinstance(v, float) else str(v)

        table = [[str(r["number"]), r["state"], cell(r["value"]),
                  *[cell(r.get(n)) for n in names], cell(r["epochs"])] for r in rows]
        try:
            best = (f"best: trial {self.best_trial.number}, {self.monitor}="
                    f"{self.best_value:.4g} ({self.direction}), params {self.best_params}")
        except ValueError:
            best = "no trial completed"
        return f"{len(rows)} trials\n{format_table(head, table)}\n{best}"

    def __repr__(self) -> str:
        return f"<SearchResult: {len(self.study.trials)} trials, monitor={self.monitor!r}>"
