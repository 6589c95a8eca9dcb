"""Accuracy and throughput of stance's models, side by side with the plain transformers pipeline.

    python -m benchmarks                     # prints the tables, writes benchmarks/results.json

See benchmarks/README.md for the latest numbers and what each column means.
"""
