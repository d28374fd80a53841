"""Physical constants of the sensor and the medium."""

from __future__ import annotations

#: speed of light in vacuum, m/s (exact, SI)
SPEED_OF_LIGHT_M_S = 299_792_458.0

#: Sentinel-1 C-band radar centre frequency, Hz (ESA, Sentinel-1 SAR technical guide)
SENTINEL1_FREQUENCY_HZ = 5.405e9

#: Sentinel-1 wavelength, m: c / 5.405 GHz, 5.5465763 cm to the eight digits the study gives
SENTINEL1_WAVELENGTH_M = 0.055465763
