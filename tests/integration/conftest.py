"""Fixtures shared by the integration tests of more than one module."""

from __future__ import annotations

import pytest

from tests.integration.access_common import build_marked_index
from tests.integration.chroma_server import ChromaServer


@pytest.fixture(scope="module")
def marked(tmp_path_factory, embedder):
    """An index of samples/docs and tests/data/marked (see access_common), one per module."""
    yield from build_marked_index(tmp_path_factory, embedder)


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server, one per module that asks for it."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data").start()
    yield server
    server.stop()
