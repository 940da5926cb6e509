"""Fixtures shared by the integration tests of more than one module."""

from __future__ import annotations

import pytest

from tests.integration.access_common import build_marked_index


@pytest.fixture(scope="module")
def marked(tmp_path_factory, embedder):
    """An index of samples/docs and tests/data/marked (see access_common), one per module."""
    yield from build_marked_index(tmp_path_factory, embedder)
