"""Suite-specific computations that are not a training cell: the finite-sample expressivity
construction (Zhang et al. Theorem 1) and minimum-norm kernel interpolation."""
