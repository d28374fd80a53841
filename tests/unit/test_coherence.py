import numpy as np
import pytest

from massmove.insar.coherence import coherence


def correlated_pair(gamma: float, shape=(300, 400), seed=0):
    rng = np.random.default_rng(seed)

    def cn():
        return (rng.normal(size=shape) + 1j * rng.normal(size=shape)) / np.sqrt(2)

    a = cn()
    b = gamma * a + np.sqrt(1 - gamma**2) * cn()
    return a, b


@pytest.mark.parametrize("gamma", [0.3, 0.6, 0.9])
def test_estimates_known_coherence(gamma):
    a, b = correlated_pair(gamma)
    estimate = coherence(a, b, (15, 15))
    # 225 independent looks: bias below 0.01, the median within 0.02 of the truth
    assert abs(float(np.median(estimate)) - gamma) < 0.02


def test_small_window_is_biased_upwards_at_zero_coherence():
    a, b = correlated_pair(0.0)
    estimate = coherence(a, b, (3, 10))
    # E[gamma_hat] = sqrt(pi / (4 N)) * ... about 0.16 for N = 30 independent samples
    assert 0.13 < float(estimate.mean()) < 0.19


def test_phase_model_is_removed_before_averaging():
    a, _ = correlated_pair(1.0)
    ramp = np.tile(np.linspace(0, 40 * np.pi, a.shape[1]), (a.shape[0], 1))
    b = a * np.exp(-1j * ramp)  # a * conj(b) carries +ramp
    without = coherence(a, b, (3, 10))
    with_model = coherence(a, b, (3, 10), phase_model_rad=ramp)
    assert float(with_model.min()) > 0.999
    assert float(without.mean()) < 0.8  # 20 fringes over the image decorrelate a 10-sample window
