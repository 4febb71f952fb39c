"""tabadol: a multilingual news-exchange hub for alliances of news agencies."""

__version__ = "0.1.0"
