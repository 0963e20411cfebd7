"""nn.datasets: shapes, dtypes, seeds, and each generator checked against its documented formula."""

import numpy as np
import pytest

from nn import datasets

CLASSIFIERS = [datasets.stairs, datasets.moons, datasets.circles, datasets.spirals]


@pytest.mark.parametrize("make", CLASSIFIERS + [datasets.loan_risk])
def test_same_seed_same_data_other_seed_other_data(make):
    X1, y1 = make(n=60, seed=3)
    X2, y2 = make(n=60, seed=3)
    X3, _ = make(n=60, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    gen_X, _ = make(n=60, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(gen_X, X1)


@pytest.mark.parametrize("make", CLASSIFIERS)
def test_classification_shapes_and_dtypes(make):
    X, y = make(n=61, seed=0)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert len(X) == len(y) == 61 and X.ndim == 2


@pytest.mark.parametrize("make", CLASSIFIERS + [datasets.loan_risk])
@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_bad_n_is_a_clear_error(make, n):
    with pytest.raises(ValueError, match="n must be an integer"):
        make(n=n)


def test_loan_risk_follows_its_documented_formula_without_noise():
    X, y = datasets.loan_risk(n=300, seed=1, multi_output=True, noise=0.0)
    age, income, shoe = X.T
    assert X.shape == (300, 3) and y.shape == (300, 3)
    assert 0 <= X.min() and X.max() <= 1
    risk = np.clip(0.9 - 0.5 * age - 0.3 * income, 0, 1)
    np.testing.assert_allclose(y[:, 0], risk)
    np.testing.assert_allclose(y[:, 1], np.clip(0.2 + 0.5 * risk + 0.2 * age, 0, 1))
    np.testing.assert_allclose(y[:, 2], np.clip(0.1 + 0.8 * income * (1 - age), 0, 1))
    # shoe size plays no part: correlation with every target is small
    for k in range(3):
        assert abs(np.corrcoef(shoe, y[:, k])[0, 1]) < 0.2


def test_loan_risk_age_scaling_and_single_output():
    X, y = datasets.loan_risk(n=500, seed=0)
    assert y.shape == (500,) and y.dtype == np.float64
    # age 20 maps to 0.0: scaled ages span 0..1 and the raw ages reconstructed span 20..80
    raw_age = 20 + 60 * X[:, 0]
    assert 20 <= raw_age.min() < 21 and 79 < raw_age.max() <= 80
    residual = y - np.clip(0.9 - 0.5 * X[:, 0] - 0.3 * X[:, 1], 0, 1)
    assert 0.02 < residual.std() < 0.04  # the documented noise 0.03 (clipping shrinks it a bit)


def _is_stairs_from_pixels(X, threshold=128):
    dark = X < threshold
    tl, tr, bl, br = dark.T
    return (bl & br & (tl ^ tr)).astype(np.int64)


@pytest.mark.parametrize("shaded", [False, True])
def test_stairs_labels_match_the_pattern_seen_in_the_pixels(shaded):
    X, y = datasets.stairs(n=500, seed=2, shaded=shaded)
    assert X.shape == (500, 4) and 0 <= X.min() and X.max() <= 255
    threshold = 155 if shaded else 128
    np.testing.assert_array_equal(y, _is_stairs_from_pixels(X, threshold))
    assert 0.4 < y.mean() < 0.6
    both_sides = X[y == 1][:, 0] < threshold
    assert 0.3 < both_sides.mean() < 0.7  # left and right stairs both appear


def test_stairs_shaded_variant_has_lower_contrast():
    X, _ = datasets.stairs(n=400, seed=0)
    Xs, _ = datasets.stairs(n=400, seed=0, shaded=True)
    assert X.min() < 60 and Xs.min() >= 90
    assert Xs.max() - Xs.min() < X.max() - X.min()


def test_stairs_needs_more_than_a_linear_model():
    # Near-miss negatives (dark bottom, top both dark or both light) make it an XOR of the top
    # pixels: least squares on the pixels cannot separate the classes.
    X, y = datasets.stairs(n=2000, seed=0)
    A = np.c_[X / 255, np.ones(len(X))]
    w, *_ = np.linalg.lstsq(A, y * 2.0 - 1, rcond=None)
    linear_accuracy = np.mean((A @ w > 0) == y)
    assert linear_accuracy < 0.9
    with pytest.raises(ValueError, match="near_miss_fraction"):
        datasets.stairs(near_miss_fraction=1.5)


def test_moons_points_lie_on_their_half_circles():
    X, y = datasets.moons(n=201, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [100, 101]
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert upper[:, 1].min() >= 0 and lower[:, 1].max() <= 0.5
    noisy, _ = datasets.moons(n=201, noise=0.1, seed=0)
    assert 0.05 < np.std(noisy - X) < 0.15


def test_circles_radii_and_errors():
    X, y = datasets.circles(n=100, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_allclose(np.hypot(*X.T), np.where(y == 1, 0.3, 1.0))
    with pytest.raises(ValueError, match="factor"):
        datasets.circles(factor=1.5)
    with pytest.raises(ValueError, match="noise"):
        datasets.circles(noise=-1)


def test_spirals_follow_the_documented_angle():
    X, y = datasets.spirals(n=90, classes=3, noise=0.0, turns=1.0, seed=0)
    assert np.bincount(y).tolist() == [30, 30, 30]
    r = np.hypot(*X.T)
    expected = 2 * np.pi * (r + y / 3)
    np.testing.assert_allclose(X[:, 0], r * np.cos(expected), atol=1e-12)
    np.testing.assert_allclose(X[:, 1], r * np.sin(expected), atol=1e-12)
    with pytest.raises(ValueError, match="classes"):
        datasets.spirals(classes=1)


def test_digits_are_the_real_scaled_images():
    pytest.importorskip("sklearn")
    X, y = datasets.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    assert np.allclose(X * 16, np.round(X * 16))  # counts 0..16 divided by 16


def test_digits_without_sklearn_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match=r"pip install netgrad\[data\]"):
        datasets.digits()


def test_load_dataset_by_name():
    X, y = datasets.load_dataset("moons", seed=5)
    np.testing.assert_array_equal(X, datasets.moons(seed=5)[0])
    with pytest.raises(ValueError, match="unknown dataset 'mnsit'.*digits"):
        datasets.load_dataset("mnsit")


def test_load_csv_classification_with_named_classes(tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_text("width,species,length\n1.5,setosa,2\n3,virginica,4.5\n2,setosa,1\n\n")
    X, y, classes = datasets.load_csv(path, "species")
    np.testing.assert_array_equal(X, [[1.5, 2], [3, 4.5], [2, 1]])
    assert classes == ["setosa", "virginica"] and y.tolist() == [0, 1, 0]


def test_load_csv_numbers_become_labels_or_targets(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,label,price\n1,3,0.5\n2,1,1.5\n3,3,2.25\n")
    X, y, classes = datasets.load_csv(path, "label")
    assert classes == ["1", "3"] and y.tolist() == [1, 0, 1] and y.dtype == np.int64
    X, y, classes = datasets.load_csv(path, "price")
    assert classes == [] and y.tolist() == [0.5, 1.5, 2.25]
    np.testing.assert_array_equal(X, [[1, 3], [2, 1], [3, 3]])
    _, y, classes = datasets.load_csv(path, "label", task="regression")
    assert classes == [] and y.dtype == np.float64


@pytest.mark.parametrize("text,target,message", [
    ("a,b\n1,2\n", "c", "no column 'c'; its columns are a, b"),
    ("a,b\n", "b", "header row and at least one data row"),
    ("a,b\n1,2\n3\n", "b", "line 3: 1 values for 2 columns"),
    ("a,b\nx,2\n", "b", "line 2: column 'a' has the non-numeric value 'x'"),
    ("b\n1\n", "b", "only the target column"),
])
def test_load_csv_errors_name_file_line_and_column(tmp_path, text, target, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        datasets.load_csv(path, target)
    assert "bad.csv" in str(info.value)
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        datasets.load_csv(tmp_path / "missing.csv", "b")


def test_load_csv_ignores_a_utf8_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffprice,a\r\n1.5,2\r\n2.5,3\r\n".encode())
    X, y, classes = datasets.load_csv(path, "price", task="regression")
    assert y.tolist() == [1.5, 2.5] and X.tolist() == [[2.0], [3.0]]


@pytest.mark.parametrize("text,message", [
    ("a,b\n1,0.5\n2,\n3,1.25\n", "line 3: target column 'b' is empty"),
    ("a,b\n1,0.5\n,0.7\n", "line 3: column 'a' is empty"),
    ("a,b\n1,0.5\nnan,0.7\n", "line 3: column 'a' has the non-finite value 'nan'"),
    ("a,b\n1,0.5\n2,inf\n", "line 3: target column 'b' has a non-finite value"),
    ("a,b\n\n\n1,0.5\nx,0.7\n", "line 5: column 'a' has the non-numeric value 'x'"),
])
def test_load_csv_rejects_missing_and_nonfinite_cells_at_their_file_line(tmp_path, text,
                                                                          message):
    path = tmp_path / "gaps.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        datasets.load_csv(path, "b")


def test_load_csv_maps_a_subset_of_classes_with_the_trained_labels(tmp_path):
    path = tmp_path / "dogs.csv"
    path.write_text("a,kind\n1,dog\n2,dog\n")
    _, y, classes = datasets.load_csv(path, "kind", classes=["cat", "dog"])
    assert y.tolist() == [1, 1] and classes == ["cat", "dog"]
    path.write_text("a,label\n1,7\n2,9.0\n")
    _, y, _ = datasets.load_csv(path, "label", classes=["3", "7", "9"])
    assert y.tolist() == [1, 2]
    path.write_text("a,kind\n1,dog\n2,bird\n")
    with pytest.raises(ValueError, match="line 3: target 'bird' is not one of the classes"):
        datasets.load_csv(path, "kind", classes=["cat", "dog"])


def test_spirals_reject_a_non_finite_number_of_turns():
    with pytest.raises(ValueError, match="turns must be a finite number"):
        datasets.spirals(30, turns=float("nan"))
