"""Datasets (torchvision sources decoded once into tensors), corruptions and preprocessing."""
