"""bot.uploads without Slack: names made safe, staging never overwrites, the token stays with
Slack's hosts, and what files.info says is checked before any download."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from accord.errors import DocumentError
from bot import uploads
from bot.uploads import Fetched


@pytest.mark.parametrize(
    "raw, safe",
    [
        ("minutes.md", "minutes.md"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\brief.docx", "brief.docx"),
        (".hidden.md", "hidden.md"),
        ("note\x00\x07.txt", "note.txt"),
    ],
)
def test_safe_name_keeps_the_name_and_drops_folders_and_leading_dots(raw, safe):
    assert uploads.safe_name(raw) == safe


@pytest.mark.parametrize("raw", ["", "...", "../", "/"])
def test_safe_name_refuses_a_name_with_nothing_left(raw):
    with pytest.raises(DocumentError, match="no usable name"):
        uploads.safe_name(raw)


def test_staging_keeps_the_name_and_never_overwrites(tmp_path):
    first = uploads.stage(tmp_path, Fetched("F1", "note.md", b"one"))
    assert first.final_name == "note.md" and first.pending
    assert not (tmp_path / "note.md").exists()  # held, not filed
    assert uploads.commit(tmp_path, first.pending, first.final_name) == "note.md"
    second = uploads.stage(tmp_path, Fetched("F2", "note.md", b"two"))
    assert second.final_name == "note-2.md"
    same = uploads.stage(tmp_path, Fetched("F3", "note.md", b"one"))
    assert same.same_as == "note.md" and same.pending is None
    # a different file takes the name between the offer and the click: the next free name
    (tmp_path / "note-2.md").write_bytes(b"someone else's")
    assert uploads.commit(tmp_path, second.pending, second.final_name, "note.md") == "note-3.md"
    assert (tmp_path / "note.md").read_bytes() == b"one"
    assert (tmp_path / "note-2.md").read_bytes() == b"someone else's"
    assert (tmp_path / "note-3.md").read_bytes() == b"two"
    with pytest.raises(DocumentError, match="already added or cancelled"):
        uploads.commit(tmp_path, second.pending, second.final_name)


def test_pending_names_from_a_button_are_checked(tmp_path):
    for bad in (
        "../secrets.md",
        ".accord-upload-zz-a.md",
        "note.md",
        ".accord-upload-0123456789abcdef-../x.md",
    ):
        with pytest.raises(DocumentError):
            uploads.pending_path(tmp_path, bad)
    assert not uploads.discard(tmp_path, ".accord-upload-0123456789abcdef-gone.md")


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://files.slack.com/files-pri/T1-F1/a.pdf", True),
        ("https://slack.com/files-pri/T1-F1/a.pdf", True),
        ("http://127.0.0.1:5000/files-pri/T1-F1/a.pdf", True),  # the configured Web API host
        ("https://evil.example/files-pri/a.pdf", False),
        ("https://slack.com.evil.example/a.pdf", False),
    ],
)
def test_the_bot_token_goes_only_to_slack(url, ok):
    assert uploads._may_send_token(url, "http://127.0.0.1:5000/api/") is ok


def test_files_info_is_checked_before_downloading():
    info = {"name": "report.pdf", "size": 10, "url_private": "https://files.slack.com/x"}
    assert uploads.check_info(info, 1) == "report.pdf"
    with pytest.raises(DocumentError, match="unsupported file type '.xlsx'"):
        uploads.check_info({**info, "name": "budget.xlsx"}, 1)
    with pytest.raises(DocumentError, match="file too large: 2.0 MB exceeds the limit of 1 MB"):
        uploads.check_info({**info, "size": 2 * 1048576}, 1)
    with pytest.raises(DocumentError, match="external link"):
        uploads.check_info({**info, "mode": "external"}, 1)
    with pytest.raises(DocumentError, match="unsupported"):
        uploads.check_info({**info, "name": "report.pdf.meta.yaml"}, 1)


def test_a_refused_files_info_names_the_file_and_the_scope():
    from slack_sdk.errors import SlackApiError

    class Client:
        base_url, token = "https://slack.com/api/", "xoxb-1"

        def files_info(self, file: str) -> None:
            raise SlackApiError("refused", SimpleNamespace(get=lambda k: "missing_scope"))

    with pytest.raises(DocumentError, match="missing_scope.*files:read") as caught:
        uploads.fetch(Client(), "F123", 1)
    assert caught.value.path == "F123"
