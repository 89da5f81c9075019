"""Following the change stream: server-sent events in, each change out once and in order. No
I/O here: both clients feed a `Following` the lines they read and reconnect when told."""

import json
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from config_client.calls import API
from config_client.errors import FeedReset, Unavailable, error_for
from config_client.models import Change
from config_client.retries import Backoff

STREAM_PATH = f"{API}/changes/stream"
RECONNECT = Backoff(attempts=0, base=0.25, cap=5.0)  # a watch never gives up; it waits at most 5 s


@dataclass(frozen=True)
class Event:
    event: str
    data: str
    id: str | None


class EventParser:
    """The text/event-stream format (WHATWG HTML, 9.2), a line at a time."""

    def __init__(self) -> None:
        self._event, self._data, self._id = "", [], None  # type: tuple[str, list[str], str | None]

    def line(self, line: str) -> Event | None:
        """The event this line completes (a blank line ends one), or None."""
        if not line:
            if not self._data and not self._event:
                return None
            event = Event(self._event or "message", "\n".join(self._data), self._id)
            self._event, self._data = "", []
            return event
        if line.startswith(":"):
            return None  # a comment: the service's keep-alive
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        return None


class Following:
    """Where a watch stands: the last seq it yielded, which it resumes after (Last-Event-ID)."""

    def __init__(self, after: int, application_id: str | None):
        self.last_seq = after
        self.application_id = application_id
        self.parser = EventParser()

    def request(self) -> dict[str, object]:
        """The options of the next connection's GET: it resumes after the last seq yielded."""
        params = {"application_id": self.application_id} if self.application_id else {}
        self.parser = EventParser()  # a new connection starts a new stream of events
        return {"params": params, "headers": {"Last-Event-ID": str(self.last_seq), "Accept": "text/event-stream"}}

    def refused(self, response: httpx.Response) -> Unavailable:
        """A connection answered with something else than the stream (its body read): a 503 is
        tried again (returned), anything else (401, 403, 422, ...) raised."""
        error = error_for(response)
        if not isinstance(error, Unavailable):
            raise error
        return error

    def line(self, line: str) -> Change | None:
        """The change this line completes, if it is one not yielded before."""
        event = self.parser.line(line)
        if event is None:
            return None
        if event.event == "reset":
            raise FeedReset(int(json.loads(event.data)["last_seq"]))
        if event.event != "change":
            return None
        try:
            change = Change.model_validate_json(event.data)
        except ValidationError:  # not one this client can read: passed over, by its id
            if event.id is not None and event.id.isdigit():
                self.last_seq = max(self.last_seq, int(event.id))
            return None
        if change.seq <= self.last_seq:
            return None  # a reconnect never repeats one, but the guarantee is kept here too
        self.last_seq = change.seq
        return change
