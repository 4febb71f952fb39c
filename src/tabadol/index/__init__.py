"""The index stage: decisions that need other items (near-duplicates, stories).

Enrichment components look at one item at a time; what runs here compares an item with earlier ones.
The modules are pure (no storage access): the storage layer fetches candidates and applies decisions.
"""
