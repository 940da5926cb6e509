"""The instruments wing: which text is in force. The registry of instruments and their
relations, the dates and terms in their texts, and the phrasings that name a relation."""
