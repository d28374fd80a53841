"""Physically based synthetic Sentinel-1 scenes (terrain, movements, atmosphere, SLCs, truth)."""
