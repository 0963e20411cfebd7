"""nn.data: batches cover every sample once per epoch, seeds reproduce, splits and folds
partition the data, scalers match their closed forms, bad input gives clear errors."""

import numpy as np
import pytest

from nn.data import (
    DataLoader,
    KFold,
    MinMaxScaler,
    StandardScaler,
    train_test_split,
    train_val_test_split,
)

X = np.arange(23 * 2, dtype=float).reshape(23, 2)
y = np.arange(23)


@pytest.mark.parametrize("batch_size", [1, 4, 5, 23, 50])
@pytest.mark.parametrize("shuffle", [True, False])
def test_each_epoch_covers_every_sample_once(batch_size, shuffle):
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=shuffle, seed=3)
    for _ in range(3):
        seen = []
        for Xb, yb in loader:
            assert len(Xb) <= batch_size and np.array_equal(Xb[:, 0], 2 * yb)
            seen.extend(yb.tolist())
        assert sorted(seen) == list(range(23))
        assert len(seen) == 23
    assert len(loader) == -(-23 // batch_size)


def test_shuffle_changes_order_between_epochs_and_drop_last():
    loader = DataLoader(X, y, batch_size=5, seed=1, drop_last=True)
    epochs = [np.concatenate([yb for _, yb in loader]) for _ in range(2)]
    assert all(len(e) == 20 and len(set(e.tolist())) == 20 for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1])
    assert len(loader) == 4


def test_same_seed_same_batches_different_seed_different():
    def batches(seed):
        loader = DataLoader(X, y, batch_size=4, seed=seed)
        return [yb.tolist() for _ in range(2) for _, yb in loader]

    assert batches(7) == batches(7)
    assert batches(7) != batches(8)


def test_virtual_epochs_have_fixed_length_and_continue_through_the_data():
    loader = DataLoader(X, y, batch_size=4, seed=0, steps_per_epoch=3)
    first, second = ([yb for _, yb in loader] for _ in range(2))
    assert len(first) == len(second) == 3 == len(loader)
    # batches of 4, 4, 4 | 4, 4, 3: one full permutation, then a fresh one
    drawn = np.concatenate(first + second)
    assert len(drawn) == 23 and sorted(drawn.tolist()) == list(range(23))
    third = [yb for _, yb in loader]
    assert [len(b) for b in third] == [4, 4, 4]


def test_loader_state_round_trip_reproduces_the_next_batches():
    loader = DataLoader(X, y, batch_size=4, seed=0, steps_per_epoch=4)
    list(loader)
    state = loader.state_dict()
    expected = [yb.tolist() for _, yb in loader]
    other = DataLoader(X, y, batch_size=4, seed=99, steps_per_epoch=4)
    other.load_state_dict(state)
    assert [yb.tolist() for _, yb in other] == expected


@pytest.mark.parametrize("kwargs, match", [
    ({"X": X, "y": y[:5]}, "23 samples but y has shape"),
    ({"X": np.empty((0, 2)), "y": np.empty(0)}, "empty"),
    ({"X": X, "y": y, "batch_size": 0}, "batch_size"),
    ({"X": X, "y": y, "batch_size": 2.5}, "batch_size"),
    ({"X": X, "y": y, "steps_per_epoch": 0}, "steps_per_epoch"),
    ({"X": X, "y": y, "steps_per_epoch": 2.5}, "steps_per_epoch must be an integer"),
    ({"X": X, "y": y, "steps_per_epoch": "3"}, "steps_per_epoch must be an integer"),
    ({"X": X, "y": y, "batch_size": True}, "batch_size must be an integer"),
    ({"X": X, "y": y, "batch_size": 30, "drop_last": True}, "no batches"),
])
def test_loader_errors_name_the_problem(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(**kwargs)


def test_train_test_split_partitions_and_keeps_rows_paired():
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=0)
    assert len(X_te) == 6 and len(X_tr) == 17
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(23))
    assert np.array_equal(X_tr[:, 0], 2 * y_tr) and np.array_equal(X_te[:, 0], 2 * y_te)


def test_three_way_split_is_disjoint_and_stratified():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    data = np.arange(100)
    parts = train_val_test_split(data, labels, val_size=0.2, test_size=0.2, seed=1,
                                 stratify=labels)
    X_tr, X_va, X_te, y_tr, y_va, y_te = parts
    assert sorted(np.concatenate([X_tr, X_va, X_te]).tolist()) == list(range(100))
    for part in (y_va, y_te):  # 20 samples: 12/6/2 of each class exactly
        assert np.bincount(part, minlength=3).tolist() == [12, 6, 2]
    assert np.array_equal(labels[X_tr], y_tr)


def test_stratified_splits_keep_the_requested_sizes_with_many_small_classes():
    labels = np.repeat(np.arange(10), 3)  # rounding each class's share drifted: 10 / 20
    X_tr, X_te, y_tr, y_te = train_test_split(np.arange(30), labels, test_size=0.5, seed=0,
                                              stratify=labels)
    assert len(X_tr) == len(X_te) == 15 and set(np.bincount(y_te).tolist()) <= {1, 2}
    labels = np.repeat(np.arange(4), 5)  # val and test came back empty
    parts = train_val_test_split(np.arange(20), labels, val_size=0.1, test_size=0.1, seed=0,
                                 stratify=labels)
    assert [len(p) for p in parts[:3]] == [16, 2, 2]
    assert all(np.array_equal(labels[X], y) for X, y in zip(parts[:3], parts[3:]))


def test_one_hot_rows_stratify_like_their_labels():
    labels = np.array([0] * 6 + [1] * 3 + [2] * 3)
    one_hot = np.eye(3)[labels]
    _, X_te, _, y_te = train_test_split(np.arange(12), one_hot, test_size=1 / 3, seed=0,
                                        stratify=one_hot)
    assert np.array_equal(one_hot[X_te], y_te) and y_te.sum(axis=0).tolist() == [2, 1, 1]


@pytest.mark.parametrize("size", [0.0, 1.0, 1.5])
def test_split_rejects_bad_fractions(size):
    with pytest.raises(ValueError, match="fraction"):
        train_test_split(X, y, test_size=size)


def test_kfold_each_sample_validated_exactly_once():
    folds = list(KFold(4, seed=0).split(X))
    assert len(folds) == 4
    val = np.concatenate([v for _, v in folds])
    assert sorted(val.tolist()) == list(range(23))
    for train, v in folds:
        assert not set(train) & set(v) and len(train) + len(v) == 23
    with pytest.raises(ValueError, match="k must be"):
        KFold(1)
    with pytest.raises(ValueError, match="cannot make"):
        list(KFold(30).split(X))


def test_scalers_fit_on_train_and_apply_the_same_map_elsewhere():
    rng = np.random.default_rng(0)
    train, test = rng.normal(5, 3, (50, 3)), rng.normal(5, 3, (10, 3))
    train[:, 2] = 4.0  # a constant feature must not divide by zero
    s = StandardScaler().fit(train)
    z = s.transform(test)
    mu, sd = train.mean(0), train.std(0)
    for j in range(2):  # closed form, column by column
        assert np.allclose(z[:, j], (test[:, j] - mu[j]) / sd[j])
    assert np.allclose(z[:, 2], test[:, 2] - 4.0)
    assert np.allclose(s.inverse_transform(z), test)
    ages = np.array([[18.0], [30.0], [68.0]])
    m = MinMaxScaler().fit(ages)
    assert np.allclose(m.transform([[18.0], [43.0], [68.0]]).ravel(), [0.0, 0.5, 1.0])
    assert np.allclose(MinMaxScaler((-1, 1)).fit_transform(ages).ravel(), [-1.0, -0.52, 1.0])


def test_scaler_errors():
    with pytest.raises(RuntimeError, match="fit"):
        StandardScaler().transform(X)
    with pytest.raises(ValueError, match="features of shape"):
        StandardScaler().fit(X).transform(np.ones((3, 5)))
    with pytest.raises(ValueError, match="feature_range"):
        MinMaxScaler((1, 0))
