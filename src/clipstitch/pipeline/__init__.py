"""The pipeline: fetch, probe, normalize and join clips under a memory budget."""
