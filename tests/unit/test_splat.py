import numpy as np
import pytest

from massmove.splat import accumulate, accumulate_rows, cubic_weights


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 0.9])
def test_cubic_weights_preserve_sum_and_centroid(fraction):
    weights = cubic_weights(np.array([fraction]))
    taps = np.array([-1, 0, 1, 2])
    values = np.array([w[0] for w in weights])
    assert values.sum() == pytest.approx(1.0)
    assert (values * taps).sum() == pytest.approx(fraction)


def test_rows_and_points_splat_alike():
    rng = np.random.default_rng(2)
    rows, cols = 12, 300
    row_line = np.sort(rng.uniform(5, 40, rows))
    sample = rng.uniform(2, 180, (rows, cols))
    values = rng.normal(size=(rows, cols)) + 1j * rng.normal(size=(rows, cols))
    by_point = np.zeros((100, 400), dtype=np.complex128)
    by_row = np.zeros_like(by_point)
    accumulate(by_point, np.repeat(row_line[:, None], cols, axis=1), sample, values, 2)
    accumulate_rows(by_row, row_line, sample, values, 2)
    np.testing.assert_allclose(by_row, by_point, atol=1e-10)
    assert by_row.sum() == pytest.approx(values.sum())


def test_points_outside_the_grid_are_dropped():
    target = np.zeros((10, 10), dtype=np.complex128)
    accumulate_rows(target, np.array([-3.0, 2.0]), np.array([[1.0, 2.0], [50.0, 2.0]]), np.ones((2, 2)), 1)
    assert target.sum() == pytest.approx(1.0)
