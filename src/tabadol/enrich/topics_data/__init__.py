"""Data files of the topic classifier: the IPTC Media Topics taxonomy and the shipped head."""
