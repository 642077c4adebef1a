"""What every client of a statistics office's API shares: one requests session, calls
bounded by a timeout and the whole fetch by a deadline, answers capped in size, retries with
backoff and jitter after server errors, dropped connections and rate limits (waiting what
the server names), redirects followed only where a key may go, and a key redacted from every
text the server sends back. `Service` is the base of `comtrade.ComtradeClient` and
`imf.ImfClient`; each names itself (`name`) for its messages and says how it refuses.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pa_trade.errors import NetworkError, UsageError
from pa_trade.fetch.cache import AnswerCache, public_server

if TYPE_CHECKING:
    import requests

MAX_ANSWER_BYTES = 100 * 1024 * 1024  # the largest answer accepted (--max-answer)
DEFAULT_TIMEOUT = 120.0  # seconds one call may take, connecting to the last byte (--timeout)
DEFAULT_DEADLINE = 3600.0  # seconds a whole fetch may take, waits included (--deadline)
MAX_REDIRECTS = 5
_TRY_AGAIN = re.compile(r"try again in\s+(\d+(?:\.\d+)?)\s*sec", re.IGNORECASE)

Progress = Callable[[int, int, str], None]


@dataclass
class FetchStats:
    """What a fetch cost: calls answered by the server, by the cache, and waits."""

    from_server: int = 0
    from_cache: int = 0
    oldest_cached: datetime | None = None
    waits_seconds: list[float] = field(default_factory=list)


class Service:
    """A client of one statistics API: what `call` needs to ask well (see the module).

    `base_url`: the server. `api_key` (optional): sent only where `headers` put it, never
    over plain http:// except to this machine, never to another server after a redirect.
    `timeout`: the longest one call may take, from connecting to its last byte (or a pair
    (connect, whole call)). `deadline`: the longest the whole fetch may take. `max_retries`:
    extra tries after a server error, a dropped connection, a timeout or a 429. `sleep` and
    `clock` can be replaced in tests. `cache`: an AnswerCache of raw answers; `refresh` asks
    again anyway; `max_age`: cached answers older than this are asked again. `max_wait`:
    the longest a rate limit is waited out. `progress(done, total, label)` after each call.
    """

    name = "the server"  # in every message: 'UN Comtrade', 'the IMF'
    # answers that mean "no data for this question" rather than a refusal (SDMX: 404)
    no_data_statuses: tuple[int, ...] = ()

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        max_retries: int = 4,
        sleep: Callable[[float], None] | None = None,
        cache: AnswerCache | None = None,
        refresh: bool = False,
        max_age: timedelta | None = None,
        max_wait: float = 120.0,
        backoff_seconds: float = 1.0,
        progress: Progress | None = None,
        clock: Callable[[], datetime] | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise UsageError(f"--api-url {public_server(base_url)!r}: expected an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.server = public_server(self.base_url)
        self.api_key = (api_key or "").strip() or None
        self._secret = _secret_pattern(self.api_key)
        if self.api_key and base_url.startswith("http://") and not _loopback(self.base_url):
            raise UsageError(f"--api-url {self.server}: the API key would travel unencrypted; "
                             f"use an https:// address")
        self._session = session
        if isinstance(timeout, tuple):
            self.connect_timeout, self.timeout = float(timeout[0]), float(timeout[1])
        else:
            self.timeout = float(timeout)
            self.connect_timeout = min(10.0, self.timeout)
        self.deadline = deadline
        self.max_answer_bytes = max_answer_bytes
        self.max_retries = max_retries
        self.sleep = sleep if sleep is not None else time.sleep
        self.cache = cache
        self.refresh = refresh
        self.max_age = max_age
        self.max_wait = max_wait
        self.backoff_seconds = backoff_seconds
        self.progress = progress
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.stats = FetchStats()
        self._done = 0
        self._total = 0
        self._ends_at: float | None = None  # time.monotonic() when the fetch's deadline passes

    def session(self) -> requests.Session:
        """The requests session of every call (made on first use: requests loads late).

        For a server on this machine, proxies and other settings from the environment are
        ignored: a proxy would see the key in plain HTTP."""
        if self._session is None:
            from pa_trade.fetch import transport

            self._session = transport.new_session(trust_env=not _loopback(self.base_url))
        return self._session

    def call(self, url_path: str, params: dict[str, str], what: str,
             headers: dict[str, str]):
        """GET `url_path` of the server with `params` -> its transport.Reply (a 2xx answer).

        Waits out 429s (the time the answer names, else Retry-After, else backoff), retries
        5xx, connection errors and calls that time out with exponential backoff and jitter:
        `max_retries` retries in all, then NetworkError with one line saying why it gave up.
        NetworkError at once for an answer over `max_answer_bytes`, a redirect the key may
        not follow, or the fetch's deadline.
        """
        import requests

        from pa_trade.fetch import transport

        if self._ends_at is None:
            self._start_deadline()
        failures = 0
        while True:
            try:
                reply = self._get(self.base_url + url_path, params, headers, what)
            except transport.AnswerTooLarge as exc:
                size = f" ({_megabytes(exc.declared)} announced)" if exc.declared else ""
                raise NetworkError(
                    f"{self.name}'s answer for {what} is larger than {_megabytes(exc.limit)}"
                    f"{size}, the most pa-trade accepts (--max-answer); nothing of it was kept: "
                    f"ask for fewer partners at a time, or raise --max-answer"
                ) from None
            except (transport.CallTimeout, requests.RequestException, OSError) as exc:
                self._check_deadline(what)
                failures += 1
                if failures > self.max_retries:
                    why = (f"no complete answer within {self.timeout:g} s"
                           if isinstance(exc, transport.CallTimeout) else _reason(exc))
                    raise NetworkError(
                        f"cannot reach {self.name} at {self.server} ({why}) for "
                        f"{what}, {failures} tries; check the connection or --api-url"
                    ) from None
                self._wait(self._backoff(failures), what)
                continue
            status = reply.status_code
            said = self._redact(reply.text)
            if status == 429:
                failures += 1
                wait = _rate_limit_wait(said, reply.headers)
                if failures > self.max_retries or (wait or 0) > self.max_wait:
                    named = f", and asks to wait {wait:g} s" if wait else ""
                    raise NetworkError(
                        f"{self.name} refuses too many requests (HTTP 429) for {what} after "
                        f"{failures} tries{named}; try again later"
                    )
                self._wait(wait if wait is not None else self._backoff(failures), what)
                continue
            if status >= 500:
                failures += 1
                if failures > self.max_retries:
                    raise NetworkError(
                        f"{self.name} failed with HTTP {status} for {what}, {failures} tries; "
                        f"try again later"
                    )
                self._wait(self._backoff(failures), what)
                continue
            if status in self.no_data_statuses:
                return reply
            if status >= 400:
                raise NetworkError(self._refusal(status, _server_message(said), what))
            if 300 <= status < 400:
                raise NetworkError(f"{self.name} at {self.server} answered the request for "
                                   f"{what} with HTTP {status} and no address to go to")
            return reply

    def _get(self, url: str, params: dict[str, str], headers: dict[str, str], what: str):
        """One call, following redirects the key may follow -> transport.Reply."""
        from urllib.parse import urljoin

        from pa_trade.fetch import transport

        asked: dict[str, str] | None = params
        for _ in range(MAX_REDIRECTS + 1):
            reply = transport.get(self.session(), url, params=asked, headers=headers,
                                  deadline=self._call_deadline(what),
                                  connect_timeout=self.connect_timeout,
                                  max_bytes=self.max_answer_bytes)
            location = reply.headers.get("Location")
            if reply.status_code not in transport.REDIRECT_STATUSES or not location:
                return reply
            url, asked = urljoin(reply.url, location.strip()), None  # the address has the query
            self._check_redirect(url, what)
        raise NetworkError(f"{self.name} at {self.server} redirected the request for {what} "
                           f"more than {MAX_REDIRECTS} times")

    def _check_redirect(self, target: str, what: str) -> None:
        """NetworkError unless a redirect to `target` may be followed: with a key, only to the
        server configured (the key is meant for it alone); never to anything but http(s)."""
        from urllib.parse import urlsplit

        where = self._redact(_origin_text(target))
        if urlsplit(target).scheme not in ("http", "https"):
            raise NetworkError(f"{self.name} at {self.server} redirected the request for {what} "
                               f"to {where!r}, which is not an http(s) address")
        if self.api_key and _origin(target) != _origin(self.base_url):
            raise NetworkError(
                f"{self.name} at {self.server} redirected the request for {what} to another "
                f"server ({where}); not followed, so that the API key goes to no other server "
                f"(if you trust it, give it as --api-url)"
            )

    def _start_deadline(self) -> None:
        self._ends_at = None if self.deadline is None else time.monotonic() + self.deadline

    def _call_deadline(self, what: str) -> float:
        """When the next call must be over: its own timeout, or the fetch's deadline."""
        self._check_deadline(what)
        ends = time.monotonic() + self.timeout
        return ends if self._ends_at is None else min(ends, self._ends_at)

    def _check_deadline(self, what: str, wait: float = 0.0) -> None:
        if self._ends_at is not None and time.monotonic() + wait >= self._ends_at:
            waiting = f" (waiting {wait:g} s more would pass it)" if wait else ""
            raise NetworkError(
                f"the fetch reached its deadline of {self.deadline:g} s (--deadline) at "
                f"{what}{waiting}; what was received is cached: run the same command again to "
                f"go on"
            )

    def _wait(self, seconds: float, what: str = "") -> None:
        self._check_deadline(what, seconds)  # a wait past the deadline fails now, not later
        self.stats.waits_seconds.append(seconds)
        self.sleep(seconds)

    def _backoff(self, failures: int) -> float:
        """1, 2, 4, 8... times the base, up to 60 s, with jitter so clients do not march."""
        step = min(60.0, self.backoff_seconds * 2 ** (failures - 1))
        return step * (0.5 + random.random() / 2)

    def _secrets(self) -> tuple[str, ...]:
        return (self.api_key,) if self.api_key else ()

    def _redact(self, text: str) -> str:
        """`text` with the key (in any case, or URL-encoded) replaced by [redacted]."""
        return text if self._secret is None else self._secret.sub("[redacted]", text)

    def _scrub(self, value):
        """A decoded answer with the key redacted from every text in it (names and values):
        what the server echoes reaches no report, message, file nor cache."""
        if self._secret is None:
            return value
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, dict):
            return {self._scrub(k): self._scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub(v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool) \
                and self._secret.search(str(value)):
            return "[redacted]"  # a key of digits echoed as a number
        return value

    def cached(self, url_path: str, params: dict[str, str], usable=None):
        """The cached answer to a call (unless `refresh`, or older than `max_age`), counted
        in the fetch's stats; None when there is none, or `usable(answer)` says it is not one
        this client can read."""
        if self.cache is None or self.refresh:
            return None
        found = self.cache.get(self.server, url_path, params, self.max_age, now=self.clock())
        if found is None or found.answer is None or (usable and not usable(found.answer)):
            return None
        self.stats.from_cache += 1
        if self.stats.oldest_cached is None or found.retrieved < self.stats.oldest_cached:
            self.stats.oldest_cached = found.retrieved
        return found

    def _cost_note(self) -> str:
        stats = self.stats
        calls = stats.from_server + stats.from_cache
        text = f"{calls} call{'s' if calls != 1 else ''}: {stats.from_server} to {self.server}"
        if stats.from_cache:
            oldest = stats.oldest_cached.date().isoformat() if stats.oldest_cached else "?"
            text += f", {stats.from_cache} from the cache (oldest retrieved {oldest})"
        if stats.waits_seconds:
            text += f"; waited {sum(stats.waits_seconds):.0f} s for the server"
        return text

    def _refusal(self, status: int, message: str, what: str) -> str:
        """The one line for a 4xx answer (services say more of their own codes)."""
        said = f": {self._redact(message)}" if message else ""
        if status in (401, 403) and self.api_key:
            return f"{self.name} refused the API key (HTTP {status}){said}"
        if message:
            return f"{self.name}: {self._redact(message)} (HTTP {status}, {what})"
        return f"{self.name} refused the request for {what} (HTTP {status})"


def _rate_limit_wait(text: str, headers) -> float | None:
    """Seconds a 429 asks to wait: "Try again in N seconds" in the body, else Retry-After."""
    found = _TRY_AGAIN.search(text or "")
    if found:
        return float(found.group(1))
    header = (headers.get("Retry-After") or "").strip()
    if header.replace(".", "", 1).isdigit():
        return float(header)
    return None


def _server_message(text: str) -> str:
    """The server's own words about a refusal, on one line: JSON error/message, else text."""
    text = text or ""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict):
        for key in ("error", "message", "Message", "detail", "title"):
            if document.get(key):
                text = str(document[key])
                break
    text = " ".join(text.split())
    if text.lstrip().startswith("<"):
        return ""  # an HTML error page says nothing a user can act on
    return text if len(text) <= 200 else text[:197] + "..."


def _reason(exc: Exception) -> str:
    """A short reason for a connection failure, without the URL requests puts in messages."""
    import requests

    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer in time"
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host not found"),
        ("nodename nor servname", "host not found"),
        ("getaddrinfo failed", "host not found"),
        ("Temporary failure in name resolution", "host not found"),
        ("Network is unreachable", "network unreachable"),
        ("RemoteDisconnected", "the server closed the connection"),
        ("Connection reset", "connection reset"),
        ("SSLError", "TLS failure"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted"),
    ):
        if needle in text:
            return reason
    return type(exc).__name__


def _loopback(server: str) -> bool:
    """True for an address on this machine: localhost, 127.0.0.0/8, ::1."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(server).hostname or "").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, the port filled in: what a key is bound to."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme, 0)
    return scheme, (parts.hostname or "").rstrip(".").lower(), port


def _secret_pattern(key: str | None) -> re.Pattern | None:
    """What finds the key in a text the server sent: as given, in any case, URL-encoded."""
    if not key:
        return None
    from urllib.parse import quote

    forms = {key, quote(key, safe=""), quote(key)}
    return re.compile("|".join(re.escape(form) for form in sorted(forms, key=len,
                                                                  reverse=True)),
                      re.IGNORECASE)


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:,.0f} MB" if value >= 10 else f"{value:.3g} MB"


def _origin_text(url: str) -> str:
    """scheme://host:port of a URL, for messages (no path, query or credentials)."""
    origin = _origin(url)
    if origin is None:
        return url[:80]
    scheme, host, port = origin
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}"
