"""ember.data: DataFrame / CSV encoding, the (memory-mapped) Dataset, augmentation helpers."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em

pd = pytest.importorskip("pandas")


@pytest.fixture
def frame():
    return pd.DataFrame({
        "size": [1.5, 2.0, 3.5, 4.0, 0.5, 2.5],
        "color": ["red", "blue", "red", "green", "blue", "red"],
        "rooms": [1, 2, 3, 2, 1, 4],
        "new": [True, False, True, True, False, False],
        "label": ["cat", "dog", "cat", "bird", "dog", "cat"],
    })


# ---------------------------------------------------------------------- from_dataframe
def test_from_dataframe_one_hot_and_string_target(frame):
    data = em.data.from_dataframe(frame, target="label")
    assert data.feature_names == ["size", "color=blue", "color=green", "color=red", "rooms",
                                  "new"]
    assert data.x.dtype == np.float32 and data.x.shape == (6, 6)
    np.testing.assert_array_equal(data.x[0], [1.5, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(data.x[3], [4.0, 0, 1, 0, 2, 1])
    assert data.categories == {"color": ["blue", "green", "red"]}
    assert data.target_names == data.classes == ["bird", "cat", "dog"]
    np.testing.assert_array_equal(data.y, [1, 2, 1, 0, 2, 1])
    assert data.y.dtype == np.int64
    np.testing.assert_array_equal(data.decode(data.y), frame["label"].to_numpy())
    probs = np.eye(3)[[2, 0]]
    assert list(data.decode(probs)) == ["dog", "bird"]


def test_transform_encodes_new_data_identically(frame):
    data = em.data.from_dataframe(frame, target="label")
    test = frame.iloc[[3, 0]].drop(columns="label")
    again = data.transform(test)
    np.testing.assert_array_equal(again.x, data.x[[3, 0]])
    assert again.y is None and again.feature_names == data.feature_names
    with_target = data.transform(frame.iloc[[1]])
    np.testing.assert_array_equal(with_target.y, [2])


def test_unseen_categories_error_or_all_zero_row(frame):
    data = em.data.from_dataframe(frame, target="label")
    new = pd.DataFrame({"size": [1.0], "color": ["purple"], "rooms": [1], "new": [True]})
    with pytest.raises(ValueError, match="'color'.*'purple'"):
        data.transform(new)
    row = data.transform(new, handle_unknown="ignore").x[0]
    np.testing.assert_array_equal(row, [1.0, 0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="target 'label'.*'fish'"):
        data.transform(new.assign(color="red", label="fish"))
    with pytest.raises(ValueError, match="lacks the feature column"):
        data.transform(new.drop(columns="rooms"))


def test_codes_instead_of_one_hot_and_forced_categorical(frame):
    data = em.data.from_dataframe(frame, target="size", categorical=["rooms"], one_hot=False)
    assert data.feature_names == ["color", "rooms", "new", "label"]
    assert data.categories["rooms"] == [1, 2, 3, 4]
    np.testing.assert_array_equal(data.x[:, 1], [0, 1, 2, 1, 0, 3])
    assert data.target_names is None and data.y.dtype == np.float32
    np.testing.assert_array_equal(data.y, frame["size"].to_numpy(dtype="float32"))


def test_pandas_category_order_is_kept_and_no_target():
    df = pd.DataFrame({"grade": pd.Categorical(["low", "high", "mid"],
                                               categories=["low", "mid", "high"])})
    data = em.data.from_dataframe(df)
    assert data.feature_names == ["grade=low", "grade=mid", "grade=high"]
    assert data.y is None
    np.testing.assert_array_equal(data.x, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


def test_missing_values_are_reported_with_columns_and_counts(frame):
    bad = frame.copy()
    bad.loc[[0, 2], "size"] = np.nan
    bad.loc[4, "color"] = None
    with pytest.raises(ValueError) as info:
        em.data.from_dataframe(bad, target="label")
    msg = str(info.value)
    assert "'size' (2 missing)" in msg and "'color' (1 missing)" in msg
    assert "dropna" in msg and "fillna" in msg
    with pytest.warns(UserWarning, match="dropped 3 of 6 rows"):
        data = em.data.from_dataframe(bad, target="label", missing="drop")
    assert data.x.shape[0] == 3 and np.isfinite(data.x).all()


def test_bad_arguments(frame):
    with pytest.raises(ValueError, match="target column"):
        em.data.from_dataframe(frame, target="price")
    with pytest.raises(ValueError, match="categorical names"):
        em.data.from_dataframe(frame, categorical=["nope"])
    with pytest.raises(TypeError, match="DataFrame"):
        em.data.from_dataframe(frame.to_numpy())
    with pytest.raises(ValueError, match="missing must be"):
        em.data.from_dataframe(frame, missing="fill")
    dates = pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    with pytest.raises(ValueError, match="convert it to numbers"):
        em.data.from_dataframe(dates)


def test_csv_round_trip(tmp_path, frame):
    path = tmp_path / "pets.csv"
    frame.to_csv(path, index=False)
    data = em.data.read_csv(path, target="label")
    direct = em.data.from_dataframe(frame, target="label")
    np.testing.assert_array_equal(data.x, direct.x)
    np.testing.assert_array_equal(data.y, direct.y)
    assert data.feature_names == direct.feature_names
    assert data.target_names == ["bird", "cat", "dog"]
    subset = em.data.read_csv(path, target="label", usecols=["color", "label"])
    assert subset.feature_names == ["color=blue", "color=green", "color=red"]


# ---------------------------------------------------------------------- Dataset
@pytest.fixture
def npy_files(tmp_path):
    x = np.arange(103 * 3, dtype="float64").reshape(103, 3)
    y = np.arange(103, dtype="int64")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    return tmp_path / "x.npy", tmp_path / "y.npy"


def test_npy_dataset_is_memory_mapped_and_covers_every_sample_once(npy_files):
    ds = em.data.Dataset.from_npy(*npy_files, batch_size=10, shuffle=True, seed=0)
    assert isinstance(ds.x, np.memmap) and isinstance(ds.y, np.memmap)
    assert len(ds) == 11 and ds.num_samples == 103
    for _ in range(2):
        seen = []
        for xb, yb in ds:
            assert xb.dtype == np.float32 and yb.dtype == np.int64
            assert not isinstance(xb, np.memmap) and xb.flags.writeable
            np.testing.assert_array_equal(xb[:, 0], yb * 3)  # rows stay paired with labels
            seen.extend(yb.tolist())
        assert sorted(seen) == list(range(103))
        assert seen != list(range(103))


def test_shuffle_reproducible_with_seed_and_new_order_each_epoch(npy_files):
    def epochs(ds, n=2):
        return [np.concatenate([yb for _, yb in ds]) for _ in range(n)]

    a = epochs(em.data.Dataset.from_npy(*npy_files, batch_size=16, shuffle=True, seed=7))
    b = epochs(em.data.Dataset.from_npy(*npy_files, batch_size=16, shuffle=True, seed=7))
    c = epochs(em.data.Dataset.from_npy(*npy_files, batch_size=16, shuffle=True, seed=8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], c[0])


def test_unshuffled_batches_in_order_and_drop_remainder():
    x = np.arange(10.0).reshape(5, 2)
    ds = em.data.Dataset.from_arrays(x, batch_size=2)
    batches = list(ds)
    assert len(ds) == 3 and [b.shape[0] for b in batches] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate(batches), x)
    dropped = em.data.Dataset.from_arrays(x, np.arange(5), batch_size=2, drop_remainder=True)
    assert len(dropped) == 2 and len(list(dropped)) == 2


def test_map_several_inputs_and_sample_weight():
    x1, x2 = np.ones((6, 2)), np.zeros((6, 3))
    ds = em.data.Dataset.from_arrays((x1, x2), np.arange(6), batch_size=4,
                                     sample_weight=np.full(6, 2.0))
    (a, b), y, w = next(iter(ds))
    assert a.shape == (4, 2) and b.shape == (4, 3) and w.dtype == np.float32
    doubled = ds.map(lambda x, y, w: ((x[0] * 2, x[1]), y, w))
    assert next(iter(doubled))[0][0].max() == 2.0
    assert next(iter(ds))[0][0].max() == 1.0  # the original is unchanged
    with pytest.raises(ValueError, match="same number of samples"):
        em.data.Dataset.from_arrays(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        em.data.Dataset.from_arrays(np.zeros((5, 2)), batch_size=0)


def test_from_npy_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        em.data.Dataset.from_npy(tmp_path / "missing.npy")
    np.savez(tmp_path / "arch.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match=r"\.npy"):
        em.data.Dataset.from_npy(tmp_path / "arch.npz")


def _classification_files(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    return tmp_path / "x.npy", tmp_path / "y.npy"


def _train(ds, build):
    model = em.Sequential([em.layers.Dense(16, activation="relu"),
                           em.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    if build:
        model.build((None, 4))
    return model.fit(ds, epochs=8, verbose=0).history["loss"]


def test_dataset_trains_a_prebuilt_model(tmp_path):
    ds = em.data.Dataset.from_npy(*_classification_files(tmp_path), batch_size=32,
                                  shuffle=True, seed=0)
    losses = _train(ds, build=True)
    assert len(losses) == 8 and losses[-1] < losses[0] - 0.05


def test_dataset_trains_an_unbuilt_model(tmp_path):
    ds = em.data.Dataset.from_npy(*_classification_files(tmp_path), batch_size=32,
                                  shuffle=True, seed=0)
    losses = _train(ds, build=False)
    assert losses[-1] < losses[0] - 0.05


# ---------------------------------------------------------------------- augment helpers
def test_augment_helpers_on_arrays(rng):
    images = rng.random((3, 5, 5, 1)).astype("float32")
    np.testing.assert_allclose(em.data.augment.rotate(images, 90.0), np.rot90(images, 1, (1, 2)),
                               atol=1e-5)
    np.testing.assert_array_equal(em.data.augment.flip(images, "horizontal"),
                                  images[:, :, ::-1])
    shifted = em.data.augment.translate(images, dx=1, dy=0, fill_mode="constant")
    np.testing.assert_array_equal(shifted[:, :, 1:], images[:, :, :-1])
    assert (shifted[:, :, 0] == 0).all()
    zoomed = em.data.augment.zoom(images, 1.0)
    np.testing.assert_allclose(zoomed, images)
    aug = em.data.augment.random_augment(images, flip="horizontal", rotation=0.1, seed=0)
    assert aug.shape == images.shape and isinstance(aug, np.ndarray)
