"""A loopback TCP proxy for tests: passes bytes through, and loses some on purpose."""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class Proxy:
    """Forwards 127.0.0.1:<port> to `upstream` (an http://host:port URL).

    - `swallow_first_response`: the first connection's request reaches the server, but the client
      never gets the answer (the connection is cut as the server starts answering).
    - `drop_request_containing`: the first request whose bytes contain this never reaches the
      server: its connection is cut instead.
    - `hold()` / `release()`: new connections wait until released; `drop_all()` cuts every one.
    """

    def __init__(
        self, upstream: str, *, swallow_first_response: bool = False, drop_request_containing: bytes | None = None
    ) -> None:
        host, _, port = upstream.removeprefix("http://").partition(":")
        self.upstream = (host, int(port.rstrip("/")))
        self.swallow_first = swallow_first_response
        self.drop_marker = drop_request_containing
        self.connections = 0
        self.dropped = 0
        #: The first bytes each connection sent (a request's head).
        self.heads: list[bytes] = []
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._admit = threading.Event()
        self._admit.set()
        self._closed = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.release()
        self.drop_all()

    def hold(self) -> None:
        self._admit.clear()

    def release(self) -> None:
        self._admit.set()

    def drop_all(self) -> None:
        with self._lock:
            sockets, self._open = self._open, []
        for s in sockets:
            _cut(s)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._admit.wait()
        upstream = socket.create_connection(self.upstream)
        with self._lock:
            self.connections += 1
            swallow = self.swallow_first and self.connections == 1
            self._open += [client, upstream]
        threading.Thread(target=self._requests, args=(client, upstream), daemon=True).start()
        threading.Thread(target=self._answers, args=(upstream, client, swallow), daemon=True).start()

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        first = True
        try:
            while data := client.recv(65536):
                with self._lock:
                    if first:
                        self.heads.append(data)
                        first = False
                    drop = self.drop_marker is not None and self.drop_marker in data
                    if drop:
                        self.drop_marker = None
                        self.dropped += 1
                if drop:
                    break
                upstream.sendall(data)
        except OSError:
            pass
        _cut(client)
        _cut(upstream)

    def _answers(self, upstream: socket.socket, client: socket.socket, swallow: bool) -> None:
        try:
            while (data := upstream.recv(65536)) and not swallow:
                client.sendall(data)
        except OSError:
            pass
        _cut(client)
        _cut(upstream)


def _cut(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
