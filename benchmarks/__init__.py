"""Side-by-side benchmarks of a recurrent training step (see README.md)."""
