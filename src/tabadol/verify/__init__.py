"""Verification desk: signed provenance, tamper check, corroboration and fact-check matching."""
