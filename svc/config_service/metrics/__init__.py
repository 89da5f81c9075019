"""Prometheus metrics: what the service counts, how it records them cheaply, how they are exposed."""
