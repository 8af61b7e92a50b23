"""Find MLflow calls in Python scripts and notebooks by resolving names."""
