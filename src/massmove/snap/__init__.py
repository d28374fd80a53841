"""The SNAP engine: burst selection from SAFE annotations, the processing graph, and gpt runs."""
