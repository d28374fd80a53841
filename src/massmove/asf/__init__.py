"""Real acquisitions: ASF search, pair building, verified downloads, orbits and DEM."""
