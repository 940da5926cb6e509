"""The language wing: words, sentences, spans, the lexicon, language detection, Malay, dates.

The lowest wing: it imports nothing else of Accord but ``accord.errors``."""
