"""Simulated typists and their exact limits, for demos, tests and pretraining."""
