"""Names the index keeps beside the vector store: its files and its state keys."""

LEXICAL_FILE = "lexical.pkl"  # the BM25 index, saved by the sync
RULES_STATE = "marking_rules"  # digest of the marking rules every indexed document was read by
