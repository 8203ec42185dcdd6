"""Summaries (Parquet) and figures (seaborn) of finished cells."""
