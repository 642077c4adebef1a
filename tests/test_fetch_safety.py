"""`fetch comtrade` against servers that misbehave, and on disks that refuse writes.

Every server here is real and listens on 127.0.0.1 (tests/test_fetch.py's FakeComtrade, with
replies that write raw bytes): one drips its answer a byte at a time, one sends a body without
end, one redirects to another port and records which headers arrive, one echoes the API key in
its records. Disks: a path through a file, a tiny or read-only tmpfs in a user namespace of
its own (where the system allows one), and writes that fail with ENOSPC in-process.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pa_trade.errors import DataError, ExitCode, NetworkError, UsageError
from pa_trade.fetch.cache import AnswerCache
from pa_trade.fetch.comtrade import KEY_HEADER, KEYED_PATH, PREVIEW_PATH, ComtradeClient
from tests.test_fetch import (
    KEY,
    Reply,
    Waits,
    all_text_under,
    client,
    colombia,
    expected_from,
    record,
    serving,
    table,
    without_fetch_settings,
)

ROOT = Path(__file__).resolve().parents[1]


def answer_bytes(records: list[dict]) -> bytes:
    return json.dumps({"elapsedTime": "0.01 secs", "count": len(records), "data": records,
                       "error": ""}).encode()


def one_line_error(result, code: int) -> str:
    """The error line of a failed run, checked: exit `code`, one error line ending stderr
    (after the load report's lines, if any), no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines(keepends=True)
    assert lines and lines[-1].startswith("pa-trade: error: "), result.stderr
    assert result.stderr.count("error:") == 1 and result.stderr.endswith("\n")
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    return lines[-1]


def home() -> Path:
    return Path(os.environ["PA_TRADE_HOME"])


def leftovers(folder: Path) -> list[str]:
    """Partial or empty files under `folder`: none may stay after a failed write."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and (p.name.endswith(".part") or p.stat().st_size == 0))


@pytest.fixture
def server(monkeypatch):
    """tests/test_fetch.py's FakeComtrade on 127.0.0.1, untouched by the environment."""
    without_fetch_settings(monkeypatch)
    with serving() as fake:
        yield fake


# -- raw replies ---------------------------------------------------------------------------


def drip(body: bytes, every: float, headers_too: bool = False):
    """A reply sent one byte every `every` seconds (its headers too, or at once)."""
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()

    def write(fake, out):
        data = body
        if headers_too:
            data = head + body
        else:
            out.write(head)
            out.flush()
        for byte in data:
            if fake.stopped.wait(every):
                return
            out.write(bytes([byte]))
            out.flush()

    return write


def endless(chunked: bool):
    """A 200 whose body never ends: chunked, or without a length until the server closes."""
    framing = "Transfer-Encoding: chunked\r\n" if chunked else "Connection: close\r\n"
    block = b'{"data": [' + b" " * (64 * 1024 - 10)

    def write(fake, out):
        out.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\n"
                  .encode())
        piece = b"%x\r\n%s\r\n" % (len(block), block) if chunked else block
        while not fake.stopped.is_set():
            out.write(piece)

    return write


def announced(length: int):
    """A 200 that announces `length` bytes and sends a few, then waits."""
    def write(fake, out):
        out.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {length}\r\n\r\n{{\"data\": [".encode())
        out.flush()
        fake.stopped.wait(3)

    return write


# A small empty answer, padded: dripped at 0.05 s a byte, it takes some 5 s to arrive
SLOW_BODY = b'{"count": 0, "data": [], "error": "", "pad": "' + b"x" * 50 + b'"}'


# -- 22. --timeout bounds a call as a whole; --deadline bounds the fetch ----------------------


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers-and-body"])
def test_a_server_that_drips_bytes_cannot_hold_a_call_past_its_timeout(server, headers_too):
    server.script(Reply(200, raw=drip(SLOW_BODY, 0.05, headers_too)))
    started = time.monotonic()
    with pytest.raises(NetworkError) as failure:
        client(server, timeout=1, max_retries=0).fetch_totals(["COL"], None, [2022])
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"one call lasted {elapsed:.1f} s with a timeout of 1 s"
    assert "no complete answer within 1 s" in str(failure.value)
    assert "1 tries" in str(failure.value)


def test_timeout_on_the_command_line_bounds_one_call(server, run, monkeypatch):
    server.script(Reply(200, raw=drip(SLOW_BODY, 0.05)))
    started = time.monotonic()
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 "--timeout", "1", "--retries", "0")
    assert time.monotonic() - started < 3
    message = one_line_error(result, ExitCode.NETWORK)
    assert "(no complete answer within 1 s) for Colombia 2022, 1 tries" in message
    assert not list(AnswerCache().folder.glob("*.json"))


def test_a_slow_call_that_is_retried_still_succeeds(server):
    server.records = colombia([2022])
    server.script(Reply(200, raw=drip(SLOW_BODY, 0.05)))  # the first try only
    waits = Waits()
    flows, _ = client(server, timeout=1, sleep=waits).fetch_totals(["COL"], None, [2022])
    assert len(waits.asked) == 1 and len(server.seen) == 2
    assert table(flows).equals(expected_from(server.records))


def test_the_whole_fetch_has_a_deadline_across_calls_and_retries(server, run, monkeypatch):
    server.script(Reply(200, raw=drip(SLOW_BODY, 0.05), times=None))
    monkeypatch.setattr(time, "sleep", Waits())  # backoff waits cost nothing here
    started = time.monotonic()
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2020-2022", "--api-url",
                 server.url, "--timeout", "1", "--retries", "20", "--deadline", "2.5")
    elapsed = time.monotonic() - started
    assert elapsed < 4.5, f"the fetch lasted {elapsed:.1f} s with a deadline of 2.5 s"
    message = one_line_error(result, ExitCode.NETWORK)
    assert "reached its deadline of 2.5 s (--deadline) at Colombia 2020" in message
    assert "run the same command again" in message
    assert 2 <= len(server.seen) <= 4  # calls of 1 s, 1 s and what was left


def test_a_wait_past_the_deadline_fails_at_once(server):
    server.script(Reply(429, '{"message": "Rate limit is exceeded. Try again in 90 seconds."}'))
    waits = Waits()
    with pytest.raises(NetworkError, match=r"deadline of 60 s .*waiting 90 s more") as failure:
        client(server, sleep=waits, deadline=60).fetch_totals(["COL"], None, [2022])
    assert waits.asked == [] and len(server.seen) == 1
    assert failure.value.exit_code == ExitCode.NETWORK


# -- 23. a cap on an answer's size ---------------------------------------------------------


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "until-close"])
def test_an_endless_answer_is_refused_at_the_cap_and_not_cached(server, chunked):
    server.script(Reply(200, raw=endless(chunked)))
    started = time.monotonic()
    with pytest.raises(NetworkError) as failure:
        client(server, max_answer_bytes=1024 * 1024).fetch_totals(["COL"], None, [2022])
    assert time.monotonic() - started < 5
    message = str(failure.value)
    assert message.startswith("UN Comtrade's answer for Colombia 2022 is larger than 1 MB")
    assert "--max-answer" in message and "\n" not in message
    assert len(server.seen) == 1  # the same answer would be as large again: no retry
    assert list(AnswerCache().folder.glob("*")) == []


def test_an_announced_length_over_the_cap_is_refused_before_reading(server):
    server.script(Reply(200, raw=announced(10 * 1024**3)))
    started = time.monotonic()
    with pytest.raises(NetworkError, match=r"larger than 1 MB \(10,?240 MB announced\)"):
        client(server, max_answer_bytes=1024 * 1024).fetch_totals(["COL"], None, [2022])
    assert time.monotonic() - started < 2


def test_a_compressed_answer_counts_at_its_unpacked_size(server):
    records = colombia([2022])
    # valid JSON that unpacks to 5 MB from a few kilobytes
    body = answer_bytes(records)[:-1] + b" " * 5_000_000 + b"}"
    packed = gzip.compress(body)
    assert len(packed) < 64 * 1024
    server.script(Reply(200, packed, headers={"Content-Encoding": "gzip"}, times=None))
    with pytest.raises(NetworkError, match="larger than 1 MB"):
        client(server, max_answer_bytes=1024 * 1024).fetch_totals(["COL"], None, [2022])
    flows, _ = client(server, max_answer_bytes=8 * 1024 * 1024).fetch_totals(
        ["COL"], None, [2022])
    assert table(flows).equals(expected_from(records))


def test_max_answer_on_the_command_line(server, run):
    server.script(Reply(200, raw=endless(True)))
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 "--max-answer", "2")
    message = one_line_error(result, ExitCode.NETWORK)
    assert "is larger than 2 MB, the most pa-trade accepts (--max-answer)" in message
    assert not list(home().rglob("*.json")) and leftovers(home()) == []
    assert not (home() / "data").exists() or not any((home() / "data").iterdir())


# -- 24. the key goes to the server configured, and never in clear elsewhere ----------------


@pytest.fixture
def elsewhere():
    """A second server, on another port of 127.0.0.1: another origin."""
    with serving() as fake:
        yield fake


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_server_does_not_take_the_key(server, elsewhere, run, status):
    elsewhere.records = colombia([2022])
    server.script(Reply(status, headers={"Location": f"{elsewhere.url}{KEYED_PATH}"
                                                     f"?reporterCode=170&period=2022&k={KEY}"},
                        times=None))
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 "--api-key", KEY)
    assert [s.headers.get(KEY_HEADER) for s in elsewhere.seen] == []  # nothing reached it
    message = one_line_error(result, ExitCode.NETWORK)
    assert f"redirected the request for Colombia 2022 to another server ({elsewhere.url})" \
        in message
    assert KEY not in result.stdout + result.stderr
    assert server.seen[0].headers[KEY_HEADER] == KEY  # the server configured got it


def test_a_redirect_on_the_same_server_keeps_the_key(server, run):
    server.records = colombia([2022])
    server.script(Reply(302, headers={"Location": f"{KEYED_PATH}?reporterCode=170&period=2022"
                                                  f"&flowCode=X,M&cmdCode=TOTAL"}))
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 "--api-key", KEY)
    assert result.exit_code == 0, result.stderr
    assert [s.headers.get(KEY_HEADER) for s in server.seen] == [KEY, KEY]


def test_without_a_key_a_redirect_to_another_server_is_followed(server, elsewhere):
    elsewhere.records = colombia([2022])
    server.script(Reply(307, headers={"Location": f"{elsewhere.url}{PREVIEW_PATH}"
                                                  f"?reporterCode=170&period=2022&flowCode=X,M"}))
    flows, _ = client(server).fetch_totals(["COL"], None, [2022])
    assert table(flows).equals(expected_from(elsewhere.records))
    assert len(elsewhere.seen) == 1 and KEY_HEADER not in elsewhere.seen[0].headers


def test_a_proxy_never_sees_the_key_sent_to_this_machine(server, elsewhere, run, monkeypatch):
    server.records = colombia([2022])
    elsewhere.records = colombia([2022])
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, elsewhere.url)  # a proxy would read plain HTTP
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 "--api-key", KEY)
    assert result.exit_code == 0, result.stderr
    assert elsewhere.seen == []
    assert [s.headers.get(KEY_HEADER) for s in server.seen] == [KEY]


def test_plain_http_with_a_key_only_to_this_machine():
    for url in ("http://127.0.0.1:8080", "http://127.0.0.2:8080", "http://[::1]:8080",
                "http://localhost:8080", "https://comtrade.example.org"):
        assert ComtradeClient(url, api_key=KEY).url_path == KEYED_PATH, url
    for url in ("http://comtrade.example.org", "http://127.0.0.1.example.org",
                "http://10.0.0.1:8080", "http://localhost.example.org"):
        with pytest.raises(UsageError, match="unencrypted") as refused:
            ComtradeClient(url, api_key=KEY)
        assert KEY not in str(refused.value)


# -- 25. what the server sends is cleared of the key ------------------------------------------


def echoing_server(server) -> None:
    """Records that quote the key: as given, in upper case, JSON-escaped, in a code."""
    server.records = colombia([2022]) + [
        record(170, 999, 2022, "X", 5.0, partnerDesc=f"echo {KEY}"),
        record(170, 484, 2022, "M", 6.0, customsCode=f"C00 {KEY.upper()}"),
        record(170, 998, 2022, "M", 7.0, partnerDesc="again KEYESCAPED"),
    ]


def escape_first_letter(body: bytes) -> bytes:
    """The key written as JSON may write it: its first letter as a \\u escape."""
    return body.replace(b"KEYESCAPED", f"\\u{ord(KEY[0]):04x}{KEY[1:]}".encode())


def without_key(text: str) -> bool:
    return KEY.lower() not in text.lower()


def test_a_key_echoed_in_records_is_redacted_everywhere(server, run):
    echoing_server(server)
    body = escape_first_letter(answer_bytes(server.records))
    server.script(Reply(200, body, headers={"Content-Type": "application/json"}))
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 "--api-key", KEY)
    assert result.exit_code == 0, result.stderr
    assert "[unknown-country]" in result.stderr and "[not-a-total]" in result.stderr
    assert result.stderr.count("[redacted]") >= 3, result.stderr
    assert without_key(result.stdout + result.stderr)
    assert list(home().rglob("*.json")) and list(home().rglob("*.csv"))
    assert without_key(all_text_under(home()))  # the answer cache and the tidy file
    # --strict names the first set-aside record, cleared too (from the cache this time)
    strict = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 "--api-key", KEY, "--strict")
    message = one_line_error(strict, ExitCode.DATA)
    assert "[redacted]" in message and without_key(message)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(400, json.dumps({"error": f"bad subscription {KEY.lower()}"})),
        Reply(401, json.dumps({"message": f"Access denied for key {KEY.upper()}"})),
        Reply(200, f"{KEY.upper()} is not JSON"),
        Reply(200, json.dumps({"count": 0, "data": [], "error": f"quota of {KEY.lower()}"})),
    ],
    ids=["400", "401", "not-json", "error-field"],
)
def test_a_key_echoed_in_an_error_is_redacted(server, run, reply):
    server.script(reply)
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 "--api-key", KEY)
    message = one_line_error(result, ExitCode.NETWORK)
    assert "[redacted]" in message and without_key(message)


# -- 15. the answer cache or the user data folder cannot be written --------------------------


def test_a_home_through_a_file_fails_before_asking(server, run, tmp_path):
    server.records = colombia([2022])
    a_file = tmp_path / "file"
    a_file.write_text("not a folder\n", encoding="utf-8")
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 env={"PA_TRADE_HOME": str(a_file / "home")})
    message = one_line_error(result, ExitCode.INPUT)
    assert message == (f"pa-trade: error: cannot write the cache of UN Comtrade answers in "
                       f"{a_file / 'home' / 'cache' / 'comtrade'} ({a_file} is a file, not a "
                       f"folder); make it writable, or set PA_TRADE_HOME to another folder\n")
    assert server.seen == []  # nothing was downloaded that could not be kept
    assert a_file.read_text(encoding="utf-8") == "not a folder\n"


def test_a_data_folder_that_cannot_be_written_fails_before_asking(server, run):
    server.records = colombia([2022])
    (home() / "data").write_text("a file where the folder goes\n", encoding="utf-8")
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url)
    message = one_line_error(result, ExitCode.INPUT)
    assert f"cannot write fetched flows in {home() / 'data'} ({home() / 'data'} is a file" \
        in message
    assert server.seen == []
    assert leftovers(home()) == []


@pytest.fixture
def disk_full(monkeypatch):
    """`disk_full(folder)`: writes to files under `folder` fail with ENOSPC from then on, as
    on a full disk (in-process: the fetch writes its files through os.write)."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd to tell which file a write goes to")
    real_write = os.write

    def make(folder: Path) -> None:
        where = str(folder.resolve())

        def write(descriptor, data):
            try:
                target = os.readlink(f"/proc/self/fd/{descriptor}")
            except OSError:
                target = ""
            if target.startswith(where):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_write(descriptor, data)

        monkeypatch.setattr(os, "write", write)

    return make


def test_a_full_disk_is_one_line_and_leaves_no_partial_file(server, run, disk_full):
    server.records = colombia([2022])
    disk_full(home())
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url)
    message = one_line_error(result, ExitCode.INPUT)
    assert message.startswith(f"pa-trade: error: {AnswerCache().folder}/")
    assert message.endswith(".json: cannot write (disk full)\n")
    assert leftovers(home()) == [] and not list(home().rglob("*.json"))


def test_a_full_disk_when_the_flows_are_written_keeps_the_file_as_it_was(server, run,
                                                                         disk_full):
    server.records = colombia([2022])
    assert run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url",
               server.url).exit_code == 0
    written = home() / "data" / "comtrade-COL.csv"
    before = written.read_bytes()
    disk_full(written.parent)  # the answer comes from the cache: only the flows are written
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url)
    assert one_line_error(result, ExitCode.INPUT) == (
        f"pa-trade: error: {written}: cannot write (disk full)\n")
    assert written.read_bytes() == before and leftovers(home()) == []


@pytest.fixture
def read_only(monkeypatch):
    """Makes a folder refuse changes: by its mode when not root; as root (whom modes do not
    stop), removing and creating files under it fail with EACCES, in-process."""
    changed: list[Path] = []

    def make(folder: Path) -> None:
        if os.geteuid() != 0:
            folder.chmod(0o555)
            changed.append(folder)
            return
        inside = str(folder.resolve())
        real_unlink, real_open = os.unlink, os.open

        def refuse(path):
            if str(Path(path).resolve()).startswith(inside):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

        def unlink(path, *args, **kwargs):
            refuse(path)
            return real_unlink(path, *args, **kwargs)

        def open_(path, flags, *args, **kwargs):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                refuse(path)
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "unlink", unlink)
        monkeypatch.setattr(os, "open", open_)

    yield make
    for folder in changed:
        folder.chmod(0o755)


def test_cache_clear_on_a_read_only_cache_says_so_in_one_line(server, run, read_only):
    server.records = colombia()
    assert run("fetch", "comtrade", "-r", "co", "-y", "2021-2022", "--api-url",
               server.url).exit_code == 0
    folder = AnswerCache().folder
    read_only(folder)
    result = run("cache", "clear")
    message = one_line_error(result, ExitCode.INPUT)
    assert message == (f"pa-trade: error: cannot remove the cached answers in {folder} "
                       f"(permission denied)\n")
    assert len(list(folder.glob("*.json"))) == 2
    again = run("fetch", "comtrade", "-r", "co", "-y", "2023", "--api-url", server.url)
    assert "cannot write the cache of UN Comtrade answers in" in one_line_error(
        again, ExitCode.INPUT)
    assert "(permission denied)" in again.stderr


def test_out_to_a_device_writes_into_it_and_a_full_one_is_one_line(server, run, tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    server.records = colombia([2022])
    out = tmp_path / "full.csv"
    out.symlink_to("/dev/full")  # were it replaced, only this link would go
    result = run("fetch", "comtrade", "-r", "colombia", "-y", "2022", "--api-url", server.url,
                 "--out", str(out))
    assert one_line_error(result, ExitCode.INPUT) == (
        f"pa-trade: error: {out}: cannot write (disk full)\n")
    assert out.is_symlink() and leftovers(tmp_path) == []


# -- the same, on real file systems: a tiny or read-only tmpfs in a namespace of its own -----


def _namespaces_work() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    try:
        done = subprocess.run(["unshare", "-rm", "sh", "-c",
                               "mount -t tmpfs -o size=4k tmpfs /mnt 2>/dev/null || "
                               "mount -t tmpfs -o size=4k tmpfs /tmp"],
                              capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


needs_namespaces = pytest.mark.skipif(
    not _namespaces_work(),
    reason="no user and mount namespaces here (unshare -rm): a tiny tmpfs cannot be mounted "
           "without root; the in-process tests above cover the same code",
)


def in_namespace(script: str, folder: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a shell `script` in a user and mount namespace of its own, where `$HOMEDIR` is
    `folder` and `$PA_TRADE` runs this checkout's pa-trade; the mounts vanish with it."""
    env = {**os.environ, "HOMEDIR": str(folder), "PA_TRADE_HOME": str(folder),
           "PA_TRADE": f"{sys.executable} -m pa_trade", "PYTHONPATH": str(ROOT / "src"),
           "NO_PROXY": "127.0.0.1,localhost", "PA_TRADE_DATA": "", "PA_TRADE_DEBUG": ""}
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], env=env, text=True,
                          capture_output=True, timeout=timeout)


def outcomes(done: subprocess.CompletedProcess, folder: Path) -> dict[str, tuple[int, str]]:
    """The exit code and stderr of each run the script logged in `folder`.runs/."""
    logs = folder.with_suffix(".runs")
    return {p.stem: (int((logs / f"{p.stem}.rc").read_text()), p.read_text())
            for p in sorted(logs.glob("*.err"))}


RUN = ('run() {{ name=$1; shift; $PA_TRADE "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err"; '
       'echo $? >"$LOGS/$name.rc"; }}; LOGS="{logs}"; mkdir -p "$LOGS"; ')


@needs_namespaces
def test_on_a_full_tmpfs_fetch_fails_in_one_line_and_keeps_what_it_had(server, tmp_path):
    server.records = colombia([2022])
    folder = tmp_path / "home"
    folder.mkdir()
    fetch = f"fetch comtrade -r colombia -y 2022 --api-url {server.url}"
    script = RUN.format(logs=folder.with_suffix(".runs")) + f"""
        set -u
        mount -t tmpfs -o size=256k tmpfs "$HOMEDIR"
        run 1-first {fetch}
        cp "$HOMEDIR/data/comtrade-COL.csv" "$LOGS/before.csv"
        head -c 1000000 /dev/zero > "$HOMEDIR/filler" 2>/dev/null
        run 2-flows {fetch}
        run 3-answer {fetch} --refresh
        find "$HOMEDIR" -type f -printf '%s %P\\n' | sort -k2 > "$LOGS/files.txt"
        cmp -s "$HOMEDIR/data/comtrade-COL.csv" "$LOGS/before.csv" && echo same > "$LOGS/kept"
    """
    done = in_namespace(script, folder)
    assert done.returncode == 0, done.stderr
    runs = outcomes(done, folder)
    data = folder / "data" / "comtrade-COL.csv"
    assert runs["1-first"][0] == 0, runs
    code, stderr = runs["2-flows"]
    assert (code, stderr.splitlines()[-1]) == (3, f"pa-trade: error: {data}: cannot write "
                                                  f"(disk full)"), runs
    code, stderr = runs["3-answer"]
    assert code == 3 and stderr.count("\n") == 1, runs
    assert stderr.startswith(f"pa-trade: error: {folder}/cache/comtrade/")
    assert stderr.endswith(".json: cannot write (disk full)\n")
    logs = folder.with_suffix(".runs")
    assert (logs / "kept").exists()  # the flows file holds what it held
    files = (logs / "files.txt").read_text().splitlines()
    assert [line for line in files if ".part" in line or line.startswith("0 ")] == [], files


@needs_namespaces
def test_on_a_read_only_file_system_fetch_and_cache_clear_fail_in_one_line(server, tmp_path):
    server.records = colombia([2022])
    folder = tmp_path / "home"
    folder.mkdir()
    fetch = f"fetch comtrade -r colombia -y 2022 --api-url {server.url}"
    script = RUN.format(logs=folder.with_suffix(".runs")) + f"""
        set -u
        mount -t tmpfs -o size=1m tmpfs "$HOMEDIR"
        run 1-first {fetch}
        mount -o remount,ro "$HOMEDIR"
        run 2-fetch {fetch} --refresh
        run 3-out {fetch} --refresh --out "$LOGS/flows.csv"
        run 4-clear cache clear
        run 5-list cache list
    """
    done = in_namespace(script, folder)
    assert done.returncode == 0, done.stderr
    runs = outcomes(done, folder)
    cache = folder / "cache" / "comtrade"
    assert runs["1-first"][0] == 0, runs
    refused = (3, f"pa-trade: error: cannot write the cache of UN Comtrade answers in {cache} "
                  f"(read-only file system); make it writable, or set PA_TRADE_HOME to another "
                  f"folder\n")
    assert runs["2-fetch"] == refused and runs["3-out"] == refused
    assert runs["4-clear"] == (3, f"pa-trade: error: cannot remove the cached answers in "
                                  f"{cache} (read-only file system)\n")
    assert runs["5-list"][0] == 0
    assert len(server.seen) == 1  # only the first run asked: the others knew they could not keep


def test_output_to_a_full_standard_output_is_one_line(server, tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    server.records = colombia([2022])
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_PROXY": "127.0.0.1,localhost",
           "PA_TRADE_DATA": ""}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "pa_trade", "fetch", "comtrade", "-r",
                               "colombia", "-y", "2022", "--api-url", server.url, "-o", "-",
                               "-q"], stdout=full, stderr=subprocess.PIPE, text=True, env=env,
                              timeout=60)
    assert (done.returncode, done.stderr) == (
        3, "pa-trade: error: standard output: cannot write (disk full)\n")


def test_an_answer_whose_count_exceeds_what_it_sent_says_so_not_the_cap(server):
    # under the cap of 500, but the server's count says it held 8: asked again by flow, and
    # a one-partner, one-flow call cannot be split further
    sent = [record(170, 484, 2022, "X", 1000.0), record(170, 484, 2022, "M", 2000.0, fob=1900.0)]
    body = json.dumps({"elapsedTime": "0.01 secs", "count": 8, "data": sent, "error": ""})
    server.script(Reply(200, body, times=None))
    with pytest.raises(DataError) as raised:
        client(server).fetch_totals(["COL"], ["MEX"], [2022])
    message = str(raised.value)
    assert "says it holds 8 records but sent 2" in message
    assert "cap" not in message
