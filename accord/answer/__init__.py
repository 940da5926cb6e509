"""The answer wing: questions and their kinds, the reader and the answerability decision, the
extractive answerer with its leads and citations, the timeline, and the LLM answerer with its
citation check. The top wing: nothing below it imports it."""
