"""Shared test helpers (fakes, faults, proxy, live servers) and the cross-cutting tests."""
