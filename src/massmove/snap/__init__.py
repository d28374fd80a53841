"""The SNAP engine: burst selection from SAFE annotations (graphs and gpt runs: issue 6)."""
