"""Hardening tests: hostile inputs, evasion, faults, output safety and access."""
