"""pandas DataFrames and CSV files as model input: ``from_dataframe`` and ``read_csv``.

A DataFrame becomes a float32 feature matrix ``x`` and a target ``y``. Categorical columns
(strings, pandas ``category``, or any column you name) are one-hot encoded into columns named
``"color=red"``; a categorical target becomes integer class codes whose labels are kept in
``target_names``. The encoding is remembered, so ``data.transform(test_df)`` encodes new data
with exactly the same columns. Missing values are reported, never dropped silently.

Example (needs pandas, ``pip install 'ember[pandas]'``)::

    import pandas as pd
    import ember as em

    df = pd.DataFrame({"size": [1.0, 2.0, 3.0], "color": ["red", "blue", "red"],
                       "label": ["cat", "dog", "cat"]})
    data = em.data.from_dataframe(df, target="label")
    data.feature_names      # ['size', 'color=blue', 'color=red']
    data.y, data.target_names   # array([0, 1, 0]), ['cat', 'dog']
    x_test = data.transform(df.drop(columns="label")).x
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_EXTRA_HINT = "pip install 'ember[pandas]' (or pip install pandas)"


def _pandas(who: str) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(f"{who} needs pandas, which is not installed: {_EXTRA_HINT}") from None
    return pd


@dataclass
class TabularData:
    """Encoded features and target, plus what is needed to encode new data the same way.

    Attributes:
        x: (samples, features) array, ``dtype`` (float32 by default).
        y: the target: integer codes for a categorical target, float32 for a float target,
            int64 for an integer one; (samples,) for one target column; None without a target.
        feature_names: one name per column of ``x``; one-hot columns are ``"column=value"``.
        categories: categorical feature column -> its categories, in code order.
        target_names: the class labels of a categorical target (code ``i`` is
            ``target_names[i]``), None otherwise.
        columns: the input feature columns, in order.
        target: the target column name(s), or None.

    Pass ``data.x`` and ``data.y`` to ``fit`` (the object itself is deliberately not
    iterable, so that it is never mistaken for a stream of batches).
    """

    x: np.ndarray
    y: np.ndarray | None
    feature_names: list[str]
    categories: dict[str, list]
    target_names: list | None = None
    columns: list[str] = field(default_factory=list)
    target: str | list[str] | None = None
    one_hot: bool = True
    dtype: str = "float32"
    handle_unknown: str = "error"

    @property
    def classes(self) -> list | None:
        """Alias of ``target_names`` (scikit-learn's ``classes_``)."""
        return self.target_names

    @property
    def num_classes(self) -> int | None:
        return None if self.target_names is None else len(self.target_names)

    def transform(self, df: Any, missing: str = "error",
                  handle_unknown: str | None = None) -> TabularData:
        """Encode ``df`` exactly as the data this object was made from.

        ``df`` needs the same feature columns (extra columns are ignored); the target column
        is encoded when present (``y`` is None otherwise). Categories not seen before raise a
        ValueError naming them, or, with ``handle_unknown="ignore"``, give an all-zero one-hot
        row (code -1 when ``one_hot=False``); a target label not seen before always raises.
        """
        pd = _pandas("TabularData.transform")
        who = "TabularData.transform"
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"{who}: expected a pandas DataFrame; got {type(df).__name__}")
        df = df.rename(columns=str)
        absent = [c for c in self.columns if c not in df.columns]
        if absent:
            raise ValueError(f"{who}: the DataFrame lacks the feature column(s) {absent} that "
                             f"the encoding was made with (expected {self.columns})")
        targets = _as_list(self.target)
        has_target = bool(targets) and all(t in df.columns for t in targets)
        df = _check_missing(df, self.columns + (targets if has_target else []), missing, who)
        unknown = _check_choice(handle_unknown or self.handle_unknown, "handle_unknown",
                                ("error", "ignore"), who)
        x = _encode_features(pd, df, self.columns, self.categories, self.one_hot, self.dtype,
                             unknown, who)
        y = None
        if has_target:
            y, _ = _encode_target(pd, df, targets, self.target_names, self.dtype, who)
        return TabularData(x, y, list(self.feature_names), self.categories, self.target_names,
                           list(self.columns), self.target, self.one_hot, self.dtype,
                           self.handle_unknown)

    def decode(self, y: Any) -> np.ndarray:
        """Class codes (or rows of class probabilities) -> the original target labels."""
        if self.target_names is None:
            raise ValueError("TabularData.decode: the target is not categorical, so there are "
                             "no labels to decode to")
        arr = np.asarray(y.numpy() if hasattr(y, "numpy") and not isinstance(y, np.ndarray)
                         else y)
        if arr.ndim >= 2 and arr.shape[-1] == len(self.target_names) and arr.shape[-1] > 1:
            arr = arr.argmax(axis=-1)
        elif arr.ndim >= 2 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        labels = np.asarray(self.target_names, dtype=object)
        return labels[np.asarray(np.rint(arr), dtype=np.int64)]


def from_dataframe(df: Any, target: str | list[str] | None = None,
                   categorical: str | list[str] = "auto", one_hot: bool = True,
                   dtype: str = "float32", missing: str = "error",
                   handle_unknown: str = "error") -> TabularData:
    """Encode a pandas DataFrame as arrays for ``Model.fit``.

    Args:
        df: the DataFrame; every column but ``target`` is a feature.
        target: the target column (or a list of numeric columns), None for features only.
        categorical: ``"auto"`` treats string, ``category`` and object columns as categorical;
            a list names further columns to treat so (e.g. integer-coded ones, or an integer
            target that holds class labels). Boolean columns become one 0/1 feature.
        one_hot: one-hot encode categorical features (``"color=red"`` columns); False gives
            one column of integer codes per categorical feature.
        dtype: the type of ``x`` (and of a float target).
        missing: ``"error"`` (default) raises a ValueError listing the columns with missing
            values and their counts; ``"drop"`` drops those rows and warns how many it dropped.
        handle_unknown: what ``transform`` does with unseen categories: ``"error"`` or
            ``"ignore"`` (an all-zero one-hot row).

    Returns:
        A ``TabularData`` (``x``, ``y``, ``feature_names``, ``categories``, ``target_names``,
        ``transform(new_df)``, ``decode(codes)``).
    """
    pd = _pandas("from_dataframe")
    who = "from_dataframe"
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{who}: expected a pandas DataFrame; got {type(df).__name__} (use "
                        "em.data.read_csv for a file)")
    targets = _as_list(target)
    absent = [t for t in targets if t not in df.columns]
    if absent:
        raise ValueError(f"{who}: target column(s) {absent} not in the DataFrame (columns: "
                         f"{list(df.columns)})")
    if categorical == "auto" or categorical is None:
        extra: list = []
    elif isinstance(categorical, str):
        extra = [categorical]
    else:
        extra = list(categorical)
    unknown_cols = [c for c in extra if c not in df.columns]
    if unknown_cols:
        raise ValueError(f"{who}: categorical names column(s) {unknown_cols} that are not in "
                         f"the DataFrame (columns: {list(df.columns)})")
    _check_choice(handle_unknown, "handle_unknown", ("error", "ignore"), who)
    # Column names become strings (feature names are strings; transform looks them up).
    all_names = [str(c) for c in df.columns]
    if len(set(all_names)) != len(all_names):
        raise ValueError(f"{who}: the DataFrame has duplicate column names {all_names}")
    df = df.rename(columns=str)
    targets, extra = [str(t) for t in targets], [str(c) for c in extra]
    columns = [c for c in df.columns if c not in targets]
    if not columns:
        raise ValueError(f"{who}: no feature columns left after removing the target {targets}")
    df = _check_missing(df, columns + targets, missing, who)

    categories: dict[str, list] = {}
    for col in columns:
        if _column_kind(pd, df[col], col in extra, who, col) == "categorical":
            categories[col] = _categories_of(pd, df[col])
    names: list[str] = []
    for col in columns:
        if col in categories and one_hot:
            names.extend(f"{col}={v}" for v in categories[col])
        else:
            names.append(col)
    x = _encode_features(pd, df, columns, categories, one_hot, dtype, "error", who)

    y, target_names = None, None
    if targets:
        if len(targets) == 1:
            tcol = df[targets[0]]
            if _column_kind(pd, tcol, targets[0] in extra, who, targets[0],
                            target=True) == "categorical" or tcol.dtype == bool:
                target_names = _categories_of(pd, tcol)
        y, _ = _encode_target(pd, df, targets, target_names, dtype, who)
    return TabularData(x, y, names, categories, target_names, columns,
                       None if target is None else (targets[0] if isinstance(target, str)
                                                    else targets),
                       bool(one_hot), np.dtype(dtype).name, handle_unknown)


def read_csv(path: Any, target: str | list[str] | None = None,
             categorical: str | list[str] = "auto", one_hot: bool = True,
             dtype: str = "float32", missing: str = "error", handle_unknown: str = "error",
             **kwargs: Any) -> TabularData:
    """``pandas.read_csv(path, **kwargs)`` followed by ``from_dataframe``.

    Example (needs pandas)::

        data = em.data.read_csv("houses.csv", target="price")
        model.fit(data.x, data.y, epochs=20)
    """
    pd = _pandas("read_csv")
    df = pd.read_csv(path, **kwargs)
    return from_dataframe(df, target=target, categorical=categorical, one_hot=one_hot,
                          dtype=dtype, missing=missing, handle_unknown=handle_unknown)


# ---------------------------------------------------------------------- helpers
def _as_list(target: Any) -> list:
    if target is None:
        return []
    if isinstance(target, (list, tuple)):
        return list(target)
    return [target]


def _check_choice(value: Any, name: str, choices: tuple, who: str) -> str:
    if value not in choices:
        raise ValueError(f"{who}: {name} must be one of {choices}; got {value!r}")
    return value


def _check_missing(df: Any, columns: list, missing: str, who: str) -> Any:
    """Raise on missing values (listing them), or drop their rows with a warning."""
    _check_choice(missing, "missing", ("error", "drop"), who)
    counts = df[columns].isna().sum()
    bad = {c: int(n) for c, n in counts.items() if n > 0}
    if not bad:
        return df
    listing = ", ".join(f"'{c}' ({n} missing)" for c, n in bad.items())
    if missing == "drop":
        keep = ~df[columns].isna().any(axis=1)
        dropped = int((~keep).sum())
        warnings.warn(f"{who}: dropped {dropped} of {len(df)} rows with missing values in "
                      f"{listing}", UserWarning, stacklevel=3)
        return df[keep]
    raise ValueError(
        f"{who}: the data has missing values (NaN/None) in {len(bad)} column(s) of "
        f"{len(df)} rows: {listing}. ember does not drop or fill them silently: drop those "
        "rows with df.dropna(), fill them with df.fillna(...) (e.g. the column median), or "
        "pass missing='drop'"
    )


def _column_kind(pd: Any, s: Any, forced: bool, who: str, col: Any,
                 target: bool = False) -> str:
    """'categorical' or 'numeric'; unsupported types get an error that says what to do."""
    api = pd.api.types
    if forced or isinstance(s.dtype, pd.CategoricalDtype) or api.is_object_dtype(s.dtype) \
            or api.is_string_dtype(s.dtype):
        return "categorical"
    if api.is_bool_dtype(s.dtype) or api.is_numeric_dtype(s.dtype) and \
            not api.is_complex_dtype(s.dtype):
        return "numeric"
    what = "target" if target else "column"
    raise ValueError(f"{who}: {what} {col!r} has type {s.dtype}, which ember cannot encode; "
                     "convert it to numbers first (e.g. a date to its year or to days since "
                     "a reference date)")


def _categories_of(pd: Any, s: Any) -> list:
    """The categories in code order: a pandas category's own order, else sorted values."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        values = list(s.cat.categories)
    else:
        values = list(pd.unique(s.dropna()))
        try:
            values = sorted(values)
        except TypeError:  # mixed types: order by text, deterministic
            values = sorted(values, key=lambda v: (type(v).__name__, str(v)))
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _codes(pd: Any, s: Any, cats: list) -> np.ndarray:
    """Integer codes of ``s`` against ``cats`` (-1 where a value is not among them)."""
    return np.asarray(pd.Index(cats).get_indexer(s), dtype=np.int64)


def _unknown_error(pd: Any, s: Any, codes: np.ndarray, col: Any, cats: list, who: str,
                   what: str = "column") -> ValueError:
    unseen = list(pd.unique(s[codes < 0]))[:5]
    shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in unseen)
    return ValueError(f"{who}: {what} {col!r} has value(s) not seen when the encoding was "
                      f"made: {shown} (known: {cats[:10]}{' ...' if len(cats) > 10 else ''})")


def _encode_features(pd: Any, df: Any, columns: list, categories: dict, one_hot: bool,
                     dtype: str, unknown: str, who: str) -> np.ndarray:
    blocks = []
    for col in columns:
        s = df[col]
        cats = categories.get(col)
        if cats is None:
            if not (pd.api.types.is_numeric_dtype(s.dtype) or
                    pd.api.types.is_bool_dtype(s.dtype)):
                raise ValueError(f"{who}: column {col!r} was numeric when the encoding was "
                                 f"made; now it has type {s.dtype}")
            blocks.append(s.to_numpy(dtype=np.float64).reshape(-1, 1))
            continue
        codes = _codes(pd, s, cats)
        if unknown == "error" and (codes < 0).any():
            raise _unknown_error(pd, s, codes, col, cats, who)
        if one_hot:
            block = np.zeros((len(s), len(cats)), dtype=np.float64)
            rows = np.flatnonzero(codes >= 0)
            block[rows, codes[rows]] = 1.0  # unseen categories (ignore) stay all-zero
        else:
            block = codes.astype(np.float64).reshape(-1, 1)
        blocks.append(block)
    x = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(df), 0))
    return np.ascontiguousarray(x, dtype=dtype)


def _encode_target(pd: Any, df: Any, targets: list, target_names: list | None, dtype: str,
                   who: str) -> tuple[np.ndarray, list | None]:
    if target_names is not None:
        s = df[targets[0]]
        codes = _codes(pd, s, target_names)
        if (codes < 0).any():
            raise _unknown_error(pd, s, codes, targets[0], target_names, who, "target")
        return codes, target_names
    cols = []
    for t in targets:
        s = df[t]
        kind = _column_kind(pd, s, False, who, t, target=True)
        if kind == "categorical":
            raise ValueError(f"{who}: target {t!r} is categorical; only a single target column "
                             "can be categorical (pass target='name')")
        arr = s.to_numpy()
        if arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
        else:
            arr = arr.astype(dtype)
        cols.append(arr)
    y = cols[0] if len(cols) == 1 else np.stack(cols, axis=1)
    return np.ascontiguousarray(y), None
