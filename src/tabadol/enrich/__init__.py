"""Enrichment: what the hub derives from an item's text (never changing the verbatim original)."""
