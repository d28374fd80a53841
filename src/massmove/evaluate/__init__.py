"""Scores of detections against reference polygons."""
