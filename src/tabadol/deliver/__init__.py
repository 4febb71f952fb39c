"""Delivery: turning stored items into the documents subscribers receive (renderers per format)."""
