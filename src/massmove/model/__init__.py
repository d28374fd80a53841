"""The segmentation ensemble: input channels, patch datasets, training, checkpoints, inference."""
