import numpy as np

from massmove.insar.goldstein import goldstein_filter


def noisy_fringes(noise_std: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:256, 0:320]
    phase = 2 * np.pi * (rows / 40.0 + cols / 25.0)
    noisy = phase + rng.normal(0, noise_std, phase.shape)
    return phase, np.exp(1j * noisy)


def phase_error(a, b):
    return np.angle(np.exp(1j * (a - b)))


def test_alpha_zero_is_identity():
    _, ifg = noisy_fringes(0.5)
    np.testing.assert_allclose(goldstein_filter(ifg, alpha=0.0), ifg.astype(np.complex64))


def test_clean_fringes_pass_unchanged():
    phase, ifg = noisy_fringes(0.0)
    filtered = goldstein_filter(ifg, alpha=1.0, fft_size=64, window=3)
    error = np.abs(phase_error(np.angle(filtered), phase))
    # off-bin fringe frequencies leak between spectral bins: a few hundredths of a radian
    assert error.mean() < 0.03
    assert error.max() < 0.1


def test_noise_is_reduced_and_fringes_kept():
    phase, ifg = noisy_fringes(0.8)
    before = np.std(phase_error(np.angle(ifg), phase))
    after = np.std(phase_error(np.angle(goldstein_filter(ifg, alpha=1.0)), phase))
    assert before > 0.75
    assert after < 0.35 * before
    # the mean phase is not biased
    assert abs(np.angle(np.mean(np.exp(1j * phase_error(np.angle(goldstein_filter(ifg)), phase))))) < 0.02


def test_no_seams_between_patches():
    phase, ifg = noisy_fringes(0.0)
    filtered = goldstein_filter(ifg * 3.0, alpha=0.5, fft_size=32)
    amplitude = np.abs(filtered)[16:-16, 16:-16]
    assert amplitude.std() / amplitude.mean() < 0.01
