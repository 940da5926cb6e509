"""A timeline of a topic over real documents: the ANZUS treaty, 1950-51, in the DFAT records of
../shared/corpus/dfat (Volume 21). The relevant records (the 1950-51 negotiation, with a few of
1949 and 1952 so the date range has something to keep out) are indexed for real into a temp data
dir (real Chroma, real embedding model); the timeline comes from ``accord timeline --json``.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from accord.cli import app as cli
from tests.conftest import CORPUS, make_settings

VOLUME = CORPUS / "dfat" / "volume-21-the-anzus-treaty"
pytestmark = pytest.mark.skipif(not VOLUME.is_dir(), reason=f"{VOLUME} is not there")
# documents 1 and 3 are of 1949; 24-56 run from November 1950 to March 1951 (the Dulles talks and
# the first draft), 81-113 from April to August 1951 (the initialled text); 126 and 128 are of 1952
NUMBERS = [1, 3, 24, 27, 29, 31, 36, 47, 50, 56, 81, 99, 105, 109, 113, 126, 128]
SINCE, UNTIL = "1950-01-01", "1951-12-31"


@pytest.fixture(scope="module")
def anzus(tmp_path_factory, embedder):
    from accord.runtime import Runtime

    root = tmp_path_factory.mktemp("anzus")
    docs = root / "docs"
    docs.mkdir()
    for path in VOLUME.glob("*.md"):
        if int(path.name.split("-", 1)[0]) in NUMBERS:
            shutil.copy(path, docs / path.name)
    rt = Runtime(make_settings(root / "data"), embedder=embedder)
    result = rt.syncer().run(docs)
    assert not result.failed, result.failed
    yield rt
    rt.close()


def test_anzus_timeline_in_date_order_within_the_range_each_entry_cited(anzus):
    env = {"ACCORD_DATA_DIR": str(anzus.settings.data_dir)}
    r = CliRunner().invoke(
        cli,
        [
            "timeline",
            "ANZUS Pacific security treaty",
            "--json",
            "--clearance",
            "TOP SECRET",
            "--since",
            SINCE,
            "--until",
            UNTIL,
        ],
        env=env,
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    entries = json.loads(r.stdout)["entries"]
    dates = [e["date"] for e in entries]
    assert len(entries) >= 6
    assert dates == sorted(dates)  # non-decreasing
    assert all(SINCE <= d <= UNTIL for d in dates)  # nothing of 1949 or 1952
    assert [e["n"] for e in entries] == list(range(1, len(entries) + 1))
    assert len({e["source"] for e in entries}) == len(entries)  # one entry per document
    registry = anzus.qa.registry()
    for e in entries:  # the quote is the cited document's own text, and the date is its date
        doc = anzus.manifest.document(e["source"])
        assert doc.text[e["char_start"] : e["char_end"]] == e["quote"]
        signed = registry.items[e["source"]].signed if e["source"] in registry.items else None
        assert e["date"] in (doc.date, signed)
    assert not any(re.search(r"\bpp?\.\s*\d", e["quote"]) for e in entries)  # no book refs
    # the drafts of the treaty are on it, and the treaty's words are in what is quoted
    assert any("draft" in e["source"] for e in entries)
    assert (
        sum(
            any(w in e["quote"].lower() for w in ("treaty", "pact", "pacific", "security"))
            for e in entries
        )
        >= len(entries) // 2
    )
