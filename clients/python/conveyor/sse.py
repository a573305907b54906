"""The job event stream (Server-Sent Events) as an iterator that resumes after a dropped
connection: it reconnects with `Last-Event-ID`, and the server first sends what was missed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from . import _protocol as protocol
from .errors import NetworkError
from .models import Event

__all__ = ["EventStream", "AsyncEventStream", "ServerSentEvent", "SSEParser"]

#: The server sends a comment every 15 s; a connection silent for this long is taken as dropped.
READ_TIMEOUT = 45.0


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None


class SSEParser:
    """The text/event-stream grammar, a line at a time (WHATWG HTML, "Parsing an event stream")."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self.retry_ms: int | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        """The event a line completes (a blank line dispatches), else None."""
        if line == "":
            if not self._data and not self._event:
                self._id = None
                return None
            event = ServerSentEvent(self._event or "message", "\n".join(self._data), self._id)
            self._data, self._event, self._id = [], "", None
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None


def to_event(sse: ServerSentEvent) -> Event | None:
    try:
        data: Any = json.loads(sse.data) if sse.data else {}
    except ValueError:
        data = {"data": sse.data}
    if not isinstance(data, dict):
        data = {"data": data}
    if sse.event == "reset":
        return Event.from_dict(data, id=sse.id or "", event="reset")
    if not data:
        return None
    return Event.from_dict(data, id=sse.id or "", event=sse.event)


class _StreamState:
    """What the sync and async streams share: where they are and how to reconnect."""

    def __init__(
        self,
        settings: protocol.Settings,
        path: str,
        params: protocol.Params,
        last_event_id: str | None,
        reconnect: bool,
        max_reconnects: int | None,
    ) -> None:
        self.settings = settings
        self.path = path
        self.params = params
        self.last_event_id = last_event_id
        self.reconnect = reconnect
        self.max_reconnects = max_reconnects
        self.failures = 0
        self.parser = SSEParser()
        self.closed = False

    def headers(self) -> dict[str, str]:
        headers = {**self.settings.headers(), "Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        return headers

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.settings.timeout, read=READ_TIMEOUT)

    def take(self, line: str) -> Event | None:
        self.failures = 0  # the connection works: the server opens it with a comment
        sse = self.parser.feed(line)
        if sse is None:
            return None
        if sse.id is not None:
            self.last_event_id = sse.id
        return to_event(sse)

    def after_drop(self, error: Exception | None) -> float:
        """The wait before reconnecting after the connection ended; raises when it may not."""
        self.parser = SSEParser()
        if not self.reconnect or (self.max_reconnects is not None and self.failures >= self.max_reconnects):
            if error is None:
                raise _Ended()
            raise NetworkError(f"event stream dropped: {type(error).__name__}: {error}") from error
        self.failures += 1
        return protocol.backoff(self.failures - 1)

    def refusal(self, response: httpx.Response) -> float:
        """The wait before trying again after a refused connection; raises when not worth it."""
        retry = protocol.retry_after_answer(
            protocol.Call("GET", self.path, lambda _: None, idempotent=True),
            self.failures,
            self.settings.max_retries,
            response,
        )
        if retry is None:
            raise protocol.error_from("GET", response)
        self.failures += 1
        return retry


class _Ended(Exception):
    pass


class EventStream(Iterator[Event]):
    """`Client.events()`: iterate it for events; `with` opens it at once (subscribed before the
    block runs) and closes it after. It reconnects by itself after a dropped connection."""

    def __init__(self, http: httpx.Client, state: _StreamState) -> None:
        self._http = http
        self._state = state
        self._response: httpx.Response | None = None
        self._lines: Iterator[str] | None = None

    @property
    def last_event_id(self) -> str | None:
        """The id of the last event received: pass it as `last_event_id` to resume later."""
        return self._state.last_event_id

    def open(self) -> EventStream:
        """Connect now (iteration connects by itself)."""
        while self._lines is None:
            if self._state.closed:
                raise StopIteration
            try:
                request = self._http.build_request(
                    "GET",
                    self._state.path,
                    params=self._state.params,
                    headers=self._state.headers(),
                    timeout=self._state.timeout(),
                )
                response = self._http.send(request, stream=True)
            except httpx.TransportError as error:
                time.sleep(self._state.after_drop(error))
                continue
            if response.status_code >= 300:
                response.read()
                response.close()
                time.sleep(self._state.refusal(response))
                continue
            self._response = response
            self._lines = response.iter_lines()
        return self

    def __enter__(self) -> EventStream:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._state.closed = True
        self._drop()

    def _drop(self) -> None:
        if self._response is not None:
            self._response.close()
        self._response, self._lines = None, None

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> Event:
        while True:
            self.open()
            assert self._lines is not None
            error: Exception | None = None
            try:
                for line in self._lines:
                    event = self._state.take(line)
                    if event is not None:
                        return event
            except httpx.TransportError as dropped:
                error = dropped
            except Exception:
                if self._state.closed:  # closed from another thread under the read
                    raise StopIteration from None
                raise
            self._drop()
            if self._state.closed:
                raise StopIteration
            try:
                time.sleep(self._state.after_drop(error))
            except _Ended:
                self._state.closed = True
                raise StopIteration from None


class AsyncEventStream(AsyncIterator[Event]):
    """`AsyncClient.events()`: `async for` it; `async with` opens it at once and closes it after."""

    def __init__(
        self, http: httpx.AsyncClient, state: _StreamState, path: Callable[[], Awaitable[str]] | None = None
    ) -> None:
        self._http = http
        self._state = state
        #: Where the stream is, when that needs asking first (the key's customer); once.
        self._path = path
        self._response: httpx.Response | None = None
        self._lines: AsyncIterator[str] | None = None

    @property
    def last_event_id(self) -> str | None:
        return self._state.last_event_id

    async def open(self) -> AsyncEventStream:
        if self._path is not None:
            self._state.path = await self._path()
            self._path = None
        while self._lines is None:
            if self._state.closed:
                raise StopAsyncIteration
            try:
                request = self._http.build_request(
                    "GET",
                    self._state.path,
                    params=self._state.params,
                    headers=self._state.headers(),
                    timeout=self._state.timeout(),
                )
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as error:
                await asyncio.sleep(self._state.after_drop(error))
                continue
            if response.status_code >= 300:
                await response.aread()
                await response.aclose()
                await asyncio.sleep(self._state.refusal(response))
                continue
            self._response = response
            self._lines = response.aiter_lines()
        return self

    async def __aenter__(self) -> AsyncEventStream:
        return await self.open()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._state.closed = True
        await self._drop()

    async def _drop(self) -> None:
        if self._response is not None:
            await self._response.aclose()
        self._response, self._lines = None, None

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> Event:
        while True:
            await self.open()
            assert self._lines is not None
            error: Exception | None = None
            try:
                async for line in self._lines:
                    event = self._state.take(line)
                    if event is not None:
                        return event
            except httpx.TransportError as dropped:
                error = dropped
            except Exception:
                if self._state.closed:
                    raise StopAsyncIteration from None
                raise
            await self._drop()
            if self._state.closed:
                raise StopAsyncIteration
            try:
                await asyncio.sleep(self._state.after_drop(error))
            except _Ended:
                self._state.closed = True
                raise StopAsyncIteration from None
