import httpx
import pytest

from config_client.errors import FeedReset, Forbidden
from config_client.watching import Event, EventParser, Following

CHANGE = (
    '{"seq": %d, "application_id": "A", "configuration_id": "C", "change": "update", "version": 2,'
    ' "changed_at": "2026-01-01T00:00:00Z", "changed_by": "x"}'
)


def events(parser: EventParser, text: str) -> list[Event]:
    return [event for line in text.split("\n") if (event := parser.line(line)) is not None]


def test_events_are_parsed_as_the_format_says():
    parser = EventParser()
    text = 'id: 7\nevent: change\ndata: {\ndata:  "a": 1}\n\n: keep-alive\n\ndata: plain\n\nretry: 10\n\n'
    assert events(parser, text) == [Event("change", '{\n "a": 1}', "7"), Event("message", "plain", "7")]


def test_changes_are_yielded_once_each_in_order_and_the_resume_point_follows_them():
    following = Following(5, "A")
    assert following.request() == {
        "params": {"application_id": "A"},
        "headers": {"Last-Event-ID": "5", "Accept": "text/event-stream"},
    }
    seen = []
    for seq in (5, 6, 6, 7, 4):
        for line in (f"id: {seq}", "event: change", "data: " + CHANGE % seq, ""):
            if (change := following.line(line)) is not None:
                seen.append(change.seq)
    assert seen == [6, 7] and following.last_seq == 7
    assert following.request()["headers"]["Last-Event-ID"] == "7"


def test_a_change_this_client_cannot_read_is_passed_over_by_its_id():
    following = Following(1, None)
    for line in ("id: 2", "event: change", 'data: {"seq": "two"}', ""):
        assert following.line(line) is None
    assert following.last_seq == 2
    for line in ("id: 3", "event: change", "data: " + CHANGE % 3):
        following.line(line)
    assert following.line("").seq == 3


def test_a_reset_raises_with_the_seq_to_start_from():
    following = Following(90, None)
    assert following.request()["params"] == {}
    following.line("event: reset")
    following.line('data: {"last_seq": 12}')
    with pytest.raises(FeedReset) as reset:
        following.line("")
    assert reset.value.last_seq == 12


def test_a_refused_stream_raises_unless_it_is_worth_another_try():
    following = Following(0, None)
    following.refused(httpx.Response(503, json={"status": 503}))
    with pytest.raises(Forbidden):
        following.refused(httpx.Response(403, json={"status": 403}))
