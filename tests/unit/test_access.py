"""The access predicate, audiences, the audience policy file and the audit record."""

from __future__ import annotations

import io
import json

import pytest

from accord.access import Audience, can_see, chunk_visible, meet, pack_caveats
from accord.audit import MASK, AuditLog, Origin, read_csv_export
from accord.errors import PolicyError
from accord.markings import load_rules
from accord.models import Answer, Citation, RetrievedSource
from bot.audience import AudienceResolver, Policy

R = load_rules()


def aud(level, *caveats):
    return Audience(level, frozenset(caveats))


@pytest.mark.parametrize("audience,marking,caveats,ok", [
    (aud("OFFICIAL"), "UNMARKED", [], True),
    (aud("OFFICIAL"), "OFFICIAL", [], True),
    (aud("OFFICIAL"), "RESTRICTED", [], False),
    (aud("TOP SECRET"), "SECRET", ["AUSTEO"], False),
    (aud("TOP SECRET", "AUSTEO"), "SECRET", ["AUSTEO"], True),
    (aud("SECRET", "AUSTEO"), "SECRET", ["AUSTEO", "NZEO"], False),
    (aud("SECRET", "REL TO SGP"), "SECRET", ["REL TO MYS/SGP"], True),
    (aud("SECRET", "REL TO IDN"), "SECRET", ["REL TO MYS/SGP"], False),
    (aud("TOP SECRET"), "SOMETHING ELSE", [], True),  # unknown ranks at the top ...
    (aud("SECRET"), "SOMETHING ELSE", [], False),  # ... so only the top clearance sees it
])
def test_can_see(audience, marking, caveats, ok):
    assert can_see(R, audience, marking, caveats) is ok


def test_a_chunk_without_access_fields_is_never_visible():
    assert not chunk_visible(R, aud("TOP SECRET"), {"marking": "UNMARKED"})
    assert chunk_visible(R, aud("OFFICIAL"), {"marking": "UNMARKED", "caveats": ""})
    assert not chunk_visible(R, aud("TOP SECRET"), {"marking": "SECRET",
                                                     "caveats": pack_caveats(["NZEO"])})


def test_meet_is_the_lower_clearance_and_the_shared_caveats():
    m = meet(R, aud("SECRET", "AUSTEO", "NZEO"), aud("RESTRICTED", "AUSTEO"))
    assert (m.clearance, m.caveats) == ("RESTRICTED", frozenset({"AUSTEO"}))


POLICY = """\
default: OFFICIAL
shared_default: UNMARKED
channels:
  C0SECRET1: {clearance: SECRET, caveats: [AUSTEO]}
  C0PUBLIC1: UNMARKED
  C0SHARED1: RESTRICTED
users:
  U0BOSS001: {clearance: TOP SECRET, caveats: [AUSTEO, NZEO]}
  U0LOW0001: OFFICIAL
usergroups:
  S0ANALYST: {clearance: CONFIDENTIAL, caveats: [Australian Eyes Only]}
"""


class FakeSlack:
    """Answers the two Web API methods the resolver uses, like slack_sdk's WebClient."""

    def __init__(self, shared=(), members=None, fail=False):
        self.shared, self.members, self.fail, self.calls = set(shared), members or {}, fail, 0

    def conversations_info(self, channel):
        self.calls += 1
        if self.fail:
            raise OSError("unreachable")
        return {"ok": True, "channel": {"id": channel, "is_ext_shared": channel in self.shared}}

    def usergroups_users_list(self, usergroup):
        if self.fail:
            raise OSError("unreachable")
        return {"ok": True, "users": self.members.get(usergroup, [])}


def resolver(tmp_path, **kw):
    p = tmp_path / "policy.yaml"
    p.write_text(POLICY)
    return AudienceResolver(Policy.load(p, R), R, FakeSlack(**kw))


def test_policy_resolution(tmp_path):
    r = resolver(tmp_path, shared={"C0SHARED1", "C0EXTERN1"}, members={"S0ANALYST": ["U0ANA0001"]})
    # a channel: its entry, never more than the asker
    a = r.for_thread("C0SECRET1", "U0BOSS001", is_dm=False)
    assert (a.clearance, a.caveats) == ("SECRET", frozenset({"AUSTEO"}))
    a = r.for_thread("C0SECRET1", "U0LOW0001", is_dm=False)
    assert (a.clearance, a.caveats) == ("OFFICIAL", frozenset())
    # a DM: the asker's own; a user group grants its clearance and caveats
    assert r.for_thread("D0DM00001", "U0BOSS001", is_dm=True).clearance == "TOP SECRET"
    a = r.for_thread("D0DM00002", "U0ANA0001", is_dm=True)
    assert (a.clearance, a.caveats) == ("CONFIDENTIAL", frozenset({"AUSTEO"}))
    # unlisted: default; Slack Connect unlisted: the lower shared default; listed shared: its entry
    assert r.for_thread("C0OTHER01", "U0BOSS001", is_dm=False).clearance == "OFFICIAL"
    assert r.for_thread("C0EXTERN1", "U0BOSS001", is_dm=False).clearance == "UNMARKED"
    assert r.for_thread("C0SHARED1", "U0BOSS001", is_dm=False).clearance == "RESTRICTED"
    assert r.private("U0BOSS001").clearance == "TOP SECRET"


def test_when_slack_cannot_say_the_channel_counts_as_shared(tmp_path):
    r = resolver(tmp_path, fail=True)
    assert r.for_thread("C0OTHER01", "U0BOSS001", is_dm=False).clearance == "UNMARKED"
    assert r.user("U0ANA0001").clearance == "OFFICIAL"  # group membership unknown: not applied


def test_a_channels_audience_is_known_when_listed_or_described_by_slack(tmp_path):
    assert resolver(tmp_path).knows("C0OTHER01")  # Slack described it
    unreachable = resolver(tmp_path, fail=True)
    assert unreachable.knows("C0SECRET1")  # listed: no need to ask
    assert not unreachable.knows("C0OTHER01") and not unreachable.knows(None)
    assert unreachable.client.calls == 1  # a failure is not cached as an answer


def test_conversations_info_is_cached(tmp_path):
    r = resolver(tmp_path)
    for _ in range(3):
        r.conversation("C0OTHER01")
    assert r.client.calls == 1


@pytest.mark.parametrize("text,line,words", [
    ("default: OFFICAL\n", 1, "unknown clearance 'OFFICAL'"),
    ("default: OFFICIAL\nchannels:\n  C0AAA: {clearance: SECRET, cavets: [X]}\n", 3,
     "unknown key 'cavets'"),
    ("default: OFFICIAL\nusers:\n  bob: SECRET\n", 3, "does not look like a Slack id"),
    ("default: RESTRICTED\nshared_default: SECRET\n", 2, "may not be above default"),
    ("channels: {}\n", 1, "'default' is required"),
    ("default: OFFICIAL\nchannel:\n  C0AAA: SECRET\n", 2, "unknown key 'channel'"),
    ("default: OFFICIAL\n  bad: [\n", 2, "invalid YAML"),
])
def test_a_bad_policy_file_names_the_line_and_the_reason(tmp_path, text, line, words):
    p = tmp_path / "policy.yaml"
    p.write_text(text)
    with pytest.raises(PolicyError) as exc:
        Policy.load(p, R)
    assert f"policy.yaml:{line}" in exc.value.message and words in exc.value.message


def _answer():
    c = Citation(1, "a.md", "A", "minutes", None, None, None, "a.md#0", "Quote.", 0, 6, "h", 0.9,
                 "RESTRICTED", ["AUSTEO"])
    return Answer("What did xoxb-1234567890-abcdefghij say?", "Quote. [1]", False, [c],
                  [RetrievedSource("a.md", 0.1, "A", "a.md#0", None, "RESTRICTED", ["AUSTEO"])],
                  latency_ms=12.34)


def test_audit_rows_round_trip_and_hold_no_secrets(tmp_path):
    log = AuditLog.in_data_dir(tmp_path, secrets=["s3cr3t-signing"])
    a = aud("SECRET", "AUSTEO")
    log.record_answer(_answer(), a, Origin("slack", "U1", "C1"))
    log.record_event("share_refused", Origin("slack", "U1", "C2"), aud("OFFICIAL"),
                     "leak s3cr3t-signing?", [{"source": "a.md", "marking": "RESTRICTED"}])
    rows = list(log.rows())
    assert [r["kind"] for r in rows] == ["answer", "share_refused"]
    assert rows[0]["cited"][0]["marking"] == "RESTRICTED" and rows[0]["caveats"] == ["AUSTEO"]
    assert "xoxb" not in rows[0]["question"] and MASK in rows[0]["question"]
    assert "s3cr3t" not in rows[1]["question"]
    out = io.StringIO()
    assert log.export(out, "jsonl") == 2
    assert [json.loads(line) for line in out.getvalue().splitlines()] == rows
    out = io.StringIO()
    log.export(out, "csv")
    assert read_csv_export(io.StringIO(out.getvalue())) == rows
    with pytest.raises(Exception, match="append-only"):
        log._db.execute("UPDATE audit SET question='x'")


def test_audit_retention_deletes_old_rows(tmp_path):
    log = AuditLog.in_data_dir(tmp_path, retention_days=30)
    log.record_answer(_answer(), aud("OFFICIAL"), Origin("cli"))
    log._db.execute("INSERT INTO audit(time, epoch, kind, front_end, clearance, caveats, cited, "
                    "listed) VALUES ('2000-01-01T00:00:00', 946684800, 'answer', 'cli', "
                    "'OFFICIAL', '[]', '[]', '[]')")
    log._db.commit()
    assert log.purge() == 1
    assert len(list(log.rows())) == 1
