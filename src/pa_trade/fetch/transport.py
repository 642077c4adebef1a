"""One HTTP GET with the limits every call to a remote service needs.

`get` bounds a call as a whole, from connecting to the last byte of the body, by a deadline:
socket timeouts bound each read only, so a server sending one byte a second would keep a call
alive for as long as it likes. A watchdog thread shuts the call's socket when the deadline
passes, whatever the call is doing then (connecting, waiting for the headers, reading the
body). The body is streamed and refused beyond `max_bytes` (counted after decompression, so a
small compressed answer that unpacks to gigabytes is refused too). Redirects are never
followed here: the caller decides where its headers may go.

Sessions come from `new_session`, whose connections the watchdog can reach; any other
requests session works too, with the deadline then checked between reads of the body.
Importing this module imports requests and urllib3.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3 import poolmanager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK_BYTES = 64 * 1024
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class CallTimeout(Exception):
    """The call did not end (answer complete) before its deadline."""


class AnswerTooLarge(Exception):
    """The answer is larger than the caller accepts; `declared`: what its headers said."""

    def __init__(self, limit: int, declared: int | None = None) -> None:
        super().__init__(f"answer larger than {limit} bytes")
        self.limit = limit
        self.declared = declared


@dataclass(frozen=True)
class Reply:
    """A complete answer: where it came from, its status, headers and whole body."""

    url: str
    status_code: int
    headers: Mapping[str, str]
    body: bytes
    encoding: str | None = None

    @property
    def text(self) -> str:
        """The body as text: the charset the headers name, else UTF-8 (as JSON is)."""
        try:
            return self.body.decode(self.encoding or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            return self.body.decode("utf-8", errors="replace")


def new_session(trust_env: bool = True) -> requests.Session:
    """A requests session whose connections a call's watchdog can shut.

    `trust_env=False`: no proxy, .netrc or CA bundle from the environment (for a server on
    this machine, which a proxy must not see).
    """
    session = requests.Session()
    session.trust_env = trust_env
    adapter = _WatchedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def get(
    session: requests.Session,
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    connect_timeout: float = 10.0,
) -> Reply:
    """GET `url` and read the whole answer before `deadline` (a `time.monotonic()` time).

    Raises CallTimeout when the deadline passes first, AnswerTooLarge when the body (or the
    length its headers announce) exceeds `max_bytes`, and requests' exceptions (or OSError)
    when the connection fails. Redirects come back as replies with their 3xx status.
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise CallTimeout()
    watch = _Watch()
    timer = threading.Timer(remaining, watch.expire)
    timer.daemon = True
    _calls.watch = watch
    timer.start()
    try:
        try:
            response = session.get(
                url, params=params, headers=dict(headers or {}), stream=True,
                allow_redirects=False, timeout=(min(connect_timeout, remaining), remaining),
            )
            try:
                body = _read_body(response, max_bytes, deadline, watch)
            finally:
                response.close()
        except (requests.exceptions.Timeout, CallTimeout):
            raise CallTimeout() from None
        except (requests.RequestException, OSError):
            if watch.expired:  # the watchdog cut the call: say so, not "connection reset"
                raise CallTimeout() from None
            raise
        if watch.expired:  # an answer without a length looks complete when cut: it is not
            raise CallTimeout()
        return Reply(response.url, response.status_code, response.headers, bytes(body),
                     response.encoding)
    finally:
        timer.cancel()
        timer.join()  # no thread outlives the call (pa-trade ends at once when none runs)
        _calls.watch = None


def _read_body(response: requests.Response, max_bytes: int, deadline: float,
               watch: _Watch) -> bytearray:
    declared = str(response.headers.get("Content-Length", "")).strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise AnswerTooLarge(max_bytes, int(declared))
    body = bytearray()
    for chunk in response.iter_content(CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise AnswerTooLarge(max_bytes)
        if watch.expired or time.monotonic() > deadline:
            raise CallTimeout()
    return body


# -- the watchdog ------------------------------------------------------------------------------

_calls = threading.local()  # .watch: the _Watch of the call this thread is making, or None


class _Watch:
    """The connections one call uses, shut down together when its deadline passes."""

    def __init__(self) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._connections: list[_Watched] = []

    def add(self, connection: _Watched) -> None:
        with self._lock:
            self._connections.append(connection)
            expired = self.expired
        if expired:
            connection.shut()

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            connection.shut()


def _watch(connection: _Watched) -> None:
    watch = getattr(_calls, "watch", None)
    if watch is not None:
        watch.add(connection)


class _Watched:
    """A urllib3 connection that keeps a duplicate of its socket's descriptor, so another
    thread can shut the socket down (shutdown acts on the socket, whichever descriptor is
    used) even while a TLS layer wraps it or a read blocks on it."""

    _switch: socket.socket | None = None

    def _new_conn(self):
        sock = super()._new_conn()
        previous, self._switch = self._switch, sock.dup()
        if previous is not None:
            previous.close()
        _watch(self)
        return sock

    def request(self, *args, **kwargs):
        _watch(self)  # a connection kept alive from an earlier call is watched by this one
        return super().request(*args, **kwargs)

    def shut(self) -> None:
        """End whatever the connection is doing now: blocked reads return at once."""
        switch = self._switch
        if switch is not None:
            with contextlib.suppress(OSError):
                switch.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        try:
            super().close()
        finally:
            switch, self._switch = self._switch, None
            if switch is not None:
                switch.close()


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _use_watched_pools(manager) -> None:
    # only urllib3's own pools are replaced: a SOCKS proxy manager keeps its pool classes
    if getattr(manager, "pool_classes_by_scheme", None) is poolmanager.pool_classes_by_scheme:
        manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, with connections the watchdog can reach (direct or via a proxy)."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_watched_pools(self.poolmanager)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _use_watched_pools(manager)
        return manager
