"""Interferograms made elsewhere (``source: files``): what the user lists or a folder holds in a
known layout (LiCSAR, ASF HyP3, SNAP GeoTIFF exports), checked and turned into the interferogram
product (docs/method.md, "Interferogram product").

- :mod:`massmove.files.inventory`: one :class:`~massmove.files.interferogram.FileInterferogram` per
  pair, from ``files.interferograms`` and ``files.folder``; duplicate pairs refused.
- :mod:`massmove.files.layouts`: the folder layouts and their metadata files.
- :mod:`massmove.files.convert`: the checks (wrapped radians, CRS, coherence grid and range, AOI)
  and the resampling onto the product grid (unit phasor, never the wrapped angle).
"""
