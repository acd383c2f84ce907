"""Glue: command line, spaCy pipeline, NLU generation, web page, servers and benchmarks."""
