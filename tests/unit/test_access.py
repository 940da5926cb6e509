"""The access predicate, audiences, the audience policy file and the audit record."""

from __future__ import annotations

import io
import json

import pytest

from accord.access.audiences import Audience, can_see, chunk_visible, meet, pack_caveats
from accord.access.audit import MASK, AuditLog, Origin, read_csv_export
from accord.access.markings import load_rules
from accord.errors import PolicyError
from accord.models import Answer, Citation, RetrievedSource
from bot.audience import AudienceResolver, Policy

R = load_rules()


def aud(level, *caveats):
    return Audience(level, frozenset(caveats))


@pytest.mark.parametrize(
    "audience,marking,caveats,ok",
    [
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
    ],
)
def test_can_see(audience, marking, caveats, ok):
    assert can_see(R, audience, marking, caveats) is ok


def test_a_chunk_without_access_fields_is_never_visible():
    assert not chunk_visible(R, aud("TOP SECRET"), {"marking": "UNMARKED"})
    assert chunk_visible(R, aud("OFFICIAL"), {"marking": "UNMARKED", "caveats": ""})
    assert not chunk_visible(
        R, aud("TOP SECRET"), {"marking": "SECRET", "caveats": pack_caveats(["NZEO"])}
    )


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


BOT = "U0BOTUSER"


class FakeSlack:
    """Answers the Web API methods the resolver uses, like slack_sdk's WebClient (the
    integration tests use the real protocol: tests/integration/test_access_slack.py)."""

    def __init__(self, shared=(), groups=None, members=None, fail=False, mpims=()):
        self.shared, self.groups, self.fail = set(shared), groups or {}, fail
        self.members, self.mpims, self.calls = members or {}, set(mpims), 0

    def auth_test(self):
        return {"ok": True, "user_id": BOT}

    def conversations_info(self, channel):
        self.calls += 1
        if self.fail:
            raise OSError("unreachable")
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "is_ext_shared": channel in self.shared,
                "is_im": channel.startswith("D"),
                "is_mpim": channel in self.mpims,
            },
        }

    def conversations_members(self, channel, limit, cursor=None):
        if self.fail or channel not in self.members:
            raise OSError("channel_not_found")
        everyone, start = self.members[channel], int(cursor or 0)
        more = start + limit < len(everyone)
        return {
            "ok": True,
            "members": everyone[start : start + limit],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def usergroups_users_list(self, usergroup):
        if self.fail:
            raise OSError("unreachable")
        return {"ok": True, "users": self.groups.get(usergroup, [])}


def resolver(tmp_path, **kw):
    p = tmp_path / "policy.yaml"
    p.write_text(POLICY)
    return AudienceResolver(Policy.load(p, R), R, FakeSlack(**kw))


def level(reading):
    return reading.kind, reading.audience.clearance


def test_policy_resolution(tmp_path):
    boss, low, ana = "U0BOSS001", "U0LOW0001", "U0ANA0001"
    r = resolver(
        tmp_path,
        shared={"C0SHARED1", "C0EXTERN1"},
        groups={"S0ANALYST": [ana]},
        members={
            "C0SECRET1": [BOT, boss],
            "C0OTHER01": [BOT, boss],
            "C0EXTERN1": [BOT, boss],
            "C0SHARED1": [BOT, boss],
            "C0MIXED01": [BOT, boss, low],
            "D0BOTDM01": [BOT, boss],
        },
    )
    # a channel: its entry, never more than the asker or anyone in it
    a = r.reading(boss, "C0SECRET1").audience
    assert (a.clearance, a.caveats) == ("SECRET", frozenset({"AUSTEO"}))
    assert level(r.reading(low, "C0SECRET1")) == ("channel", "OFFICIAL")
    # a DM with the bot: the asker's own; a user group grants its clearance and caveats
    assert level(r.reading(boss, "D0DM00001", im_event=True)) == ("bot_dm", "TOP SECRET")
    assert level(r.reading(boss, "D0BOTDM01")) == ("bot_dm", "TOP SECRET")  # members say so
    a = r.reading(ana, "D0DM00002", im_event=True).audience
    assert (a.clearance, a.caveats) == ("CONFIDENTIAL", frozenset({"AUSTEO"}))
    # unlisted: default; Slack Connect: the lower shared default, a listed line capped to it
    assert level(r.reading(boss, "C0OTHER01")) == ("channel", "OFFICIAL")
    assert level(r.reading(boss, "C0EXTERN1")) == ("external", "UNMARKED")
    capped = r.reading(boss, "C0SHARED1").audience
    assert capped.clearance == "UNMARKED" and "capped at shared_default" in capped.reason
    assert level(r.reading(boss, None, private=True)) == ("private", "TOP SECRET")


def test_a_conversation_is_read_at_the_level_of_its_lowest_member(tmp_path):
    boss, low = "U0BOSS001", "U0LOW0001"
    r = resolver(
        tmp_path,
        mpims={"G0GROUP01"},
        members={
            "C0SECRET1": [BOT, boss, low],
            "D0PEOPLE1": [boss, low],
            "G0GROUP01": [BOT, boss, low],
        },
    )
    assert level(r.reading(boss, "C0SECRET1")) == ("channel", "OFFICIAL")
    lowered = r.reading(boss, "D0PEOPLE1")  # a DM between two people, not with the bot
    assert level(lowered) == ("people_dm", "OFFICIAL") and low in lowered.audience.reason
    assert level(r.reading(boss, "G0GROUP01")) == ("group_dm", "OFFICIAL")


def test_members_are_read_page_by_page(tmp_path):
    crowd = [BOT, "U0BOSS001"] + [f"U0X{i:05d}" for i in range(2500)] + ["U0LOW0001"]
    r = resolver(tmp_path, members={"C0SECRET1": crowd})
    # U0LOW0001 is on the third page: the channel drops to their level (and the caveats with it)
    a = r.reading("U0BOSS001", "C0SECRET1").audience
    assert (a.clearance, a.caveats) == ("OFFICIAL", frozenset())


def test_when_slack_cannot_say_the_audience_is_the_bottom_and_not_established(tmp_path):
    r = resolver(tmp_path, fail=True)
    for channel in ("C0OTHER01", "C0SECRET1", "D0PEOPLE1"):
        reading = r.reading("U0BOSS001", channel)
        assert (reading.kind, reading.established) == ("unknown", False)
        assert reading.audience.clearance == R.bottom
    # the bot's own DM counts as shared when Slack cannot describe it
    assert level(r.reading("U0BOSS001", "D0DM00001", im_event=True)) == ("bot_dm", "UNMARKED")
    assert r.user("U0ANA0001").clearance == "OFFICIAL"  # group membership unknown: not applied
    assert r.client.calls == 4  # a failure is not cached as an answer
    ok = resolver(tmp_path, members={})  # described, but the members cannot be listed
    assert level(ok.reading("U0BOSS001", "C0OTHER01")) == ("unknown", R.bottom)


def test_conversations_info_and_members_are_cached(tmp_path):
    r = resolver(tmp_path, members={"C0OTHER01": [BOT, "U0BOSS001"]})
    for _ in range(3):
        r.reading("U0BOSS001", "C0OTHER01")
    assert r.client.calls == 1


def test_a_listed_external_channel_above_shared_default_is_warned_with_its_line(tmp_path):
    r = resolver(tmp_path, shared={"C0SHARED1", "C0PUBLIC1"})
    [warning] = r.policy_warnings()
    assert "policy.yaml:6" in warning and "C0SHARED1" in warning and "capped" in warning


@pytest.mark.parametrize(
    "text,line,words",
    [
        ("default: OFFICAL\n", 1, "unknown clearance 'OFFICAL'"),
        (
            "default: OFFICIAL\nchannels:\n  C0AAA: {clearance: SECRET, cavets: [X]}\n",
            3,
            "unknown key 'cavets'",
        ),
        ("default: OFFICIAL\nusers:\n  bob: SECRET\n", 3, "does not look like a Slack id"),
        ("default: RESTRICTED\nshared_default: SECRET\n", 2, "may not be above default"),
        ("channels: {}\n", 1, "'default' is required"),
        ("default: OFFICIAL\nchannel:\n  C0AAA: SECRET\n", 2, "unknown key 'channel'"),
        ("default: OFFICIAL\n  bad: [\n", 2, "invalid YAML"),
    ],
)
def test_a_bad_policy_file_names_the_line_and_the_reason(tmp_path, text, line, words):
    p = tmp_path / "policy.yaml"
    p.write_text(text)
    with pytest.raises(PolicyError) as exc:
        Policy.load(p, R)
    assert f"policy.yaml:{line}" in exc.value.message and words in exc.value.message


def _answer():
    c = Citation(
        1,
        "a.md",
        "A",
        "minutes",
        None,
        None,
        None,
        "a.md#0",
        "Quote.",
        0,
        6,
        "h",
        0.9,
        "RESTRICTED",
        ["AUSTEO"],
    )
    return Answer(
        "What did xoxb-1234567890-abcdefghij say?",
        "Quote. [1]",
        False,
        [c],
        [RetrievedSource("a.md", 0.1, "A", "a.md#0", None, "RESTRICTED", ["AUSTEO"])],
        latency_ms=12.34,
    )


def test_audit_rows_round_trip_and_hold_no_secrets(tmp_path):
    log = AuditLog.in_data_dir(tmp_path, secrets=["s3cr3t-signing"])
    a = aud("SECRET", "AUSTEO")
    log.record_answer(_answer(), a, Origin("slack", "U1", "C1"))
    log.record_event(
        "share_refused",
        Origin("slack", "U1", "C2"),
        aud("OFFICIAL"),
        "leak s3cr3t-signing?",
        [{"source": "a.md", "marking": "RESTRICTED"}],
    )
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
    log._db.execute(
        "INSERT INTO audit(time, epoch, kind, front_end, clearance, caveats, cited, "
        "listed) VALUES ('2000-01-01T00:00:00', 946684800, 'answer', 'cli', "
        "'OFFICIAL', '[]', '[]', '[]')"
    )
    assert log.purge() == 1
    assert len(list(log.rows())) == 1
