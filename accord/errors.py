"""Accord's error hierarchy: every error has a stable code and a message fit for a person."""

from __future__ import annotations


class AccordError(Exception):
    """Base of all Accord errors. ``code`` is stable and may be shown to users and logged."""

    code = "accord_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(AccordError):
    """A setting or argument cannot be used."""

    code = "config"


class StoreUnavailable(AccordError):
    """The vector store cannot be reached or opened."""

    code = "store_unavailable"


class EmptyIndex(AccordError):
    """There is nothing indexed to answer from."""

    code = "empty_index"


class BadQuestion(AccordError):
    """A question that cannot be answered as asked (empty, too long, no words)."""

    code = "bad_question"


class DocumentError(AccordError):
    """One input file could not be indexed; the sync reports it and goes on."""

    code = "bad_document"

    def __init__(self, path: str, reason: str, code: str | None = None) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        if code:
            self.code = code


class LLMUnavailable(AccordError):
    """The configured LLM failed, timed out or returned nothing usable."""

    code = "llm_unavailable"


class IndexNeedsResync(AccordError):
    """The index was marked by other marking rules than the ones in force: until a sync re-marks
    it, a document may sit below its marking, so nothing is answered from it."""

    code = "index_needs_resync"


class PolicyError(AccordError):
    """The audience policy file cannot be used; the message names the file, line and reason."""

    code = "audience_policy"


class BulkRemoval(AccordError):
    """A sync or removal would take out much of what an admin indexed (more than a fifth of a
    source root, or more than 50 documents): nothing is changed until it is confirmed."""

    code = "bulk_removal"
