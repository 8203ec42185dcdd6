"""gengap: rerunnable experiments of deep-learning generalization theory.

The library behind the Snakemake pipeline: datasets and corruptions (``gengap.data``), models
(``gengap.models``), the training loop (``gengap.train``), measures and bounds
(``gengap.measures``), and summaries and figures (``gengap.report``). Each concept has one
registry, so adding a model, a corruption or a measure is one decorated function.
"""

__version__ = "0.1.0"
