"""Detections: polygons from the likelihood raster, and their merge across pairs."""
