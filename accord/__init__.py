"""Accord: answers officers' questions about cooperation documents, with verifiable citations."""

__version__ = "0.1.0"
