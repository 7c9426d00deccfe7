"""The helpers of the Python suites (`suite.py` for `cargo xtask e2e`, `chat.py` for `cargo xtask chat-interop`):
python-socketio clients closed when their case ends, bounded waits, the error envelope's shape, one line per case.
"""

import os
import queue
import sys
import threading
import traceback
import urllib.parse

import socketio

# One answer (acknowledgement, event, connection) gets this long, in seconds.
WAIT = 5
# Every case gets this long.
CASE_TIMEOUT = 10
TRANSPORTS = ["websocket", "polling"]

# The server every client connects to (`serve_at`).
URL = None


def serve_at(url):
    """Sets the server the suite's clients connect to (`http://127.0.0.1:PORT`)."""
    global URL
    URL = url


def required(name):
    value = os.environ.get(name)
    if not value:
        print(
            f"error: {name} is not set (run the suite through its `cargo xtask` command)",
            file=sys.stderr,
        )
        sys.exit(2)
    return value



class Refused(Exception):
    """The server refused the namespace: the `connect_error` message."""


class Client:
    """One python-socketio client on one namespace, with every received event queued by name."""

    def __init__(self, namespace, transport, *, query=None, auth=None, headers=None):
        self.namespace = namespace
        self.transport = transport
        self.sio = socketio.Client(reconnection=False, request_timeout=WAIT)
        self.events = {}
        self.lock = threading.Lock()
        self.connect_error = None
        self.answered = threading.Event()
        self.sio.on("connect", self.answered.set, namespace=namespace)
        self.sio.on("connect_error", self._on_connect_error, namespace=namespace)
        self.sio.on("*", self._on_any, namespace=namespace)
        url = URL
        if query:
            url += "?" + urllib.parse.urlencode(query)
        self.url = url
        self.auth = auth
        self.headers = headers or {}

    def _queue(self, event):
        with self.lock:
            return self.events.setdefault(event, queue.Queue())

    def _on_any(self, event, *args):
        self._queue(event).put(args[0] if len(args) == 1 else list(args))

    def _on_connect_error(self, data=None):
        if isinstance(data, dict):
            data = data.get("message", data)
        self.connect_error = str(data)
        self.answered.set()

    def connect(self):
        # `wait=False`, then the suite's own wait: on a refusal, python-socketio's waiting `connect` disconnects
        # and can hang there (see `close`).
        self.sio.connect(
            self.url,
            namespaces=[self.namespace],
            transports=[self.transport],
            auth=self.auth,
            headers=self.headers,
            wait=False,
        )
        if not self.answered.wait(WAIT):
            raise AssertionError(f"neither connect nor connect_error within {WAIT} s")
        if self.connect_error is not None:
            raise Refused(self.connect_error)
        return self

    @property
    def sid(self):
        return self.sio.get_sid(self.namespace)

    def call(self, event, *args):
        """The acknowledgement of `event`. No argument sends none; one sends it alone."""
        if not args:
            data = None
        elif len(args) == 1:
            data = args[0]
        else:
            data = tuple(args)
        return self.sio.call(event, data, namespace=self.namespace, timeout=WAIT)

    def emit(self, event, data):
        self.sio.emit(event, data, namespace=self.namespace)

    def next(self, event):
        """The next `event` received (queued as it arrives, so it may be taken after causing it)."""
        try:
            return self._queue(event).get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no `{event}` within {WAIT} s") from None

    def pending(self, event):
        """Every `event` already received and not taken."""
        items = []
        q = self._queue(event)
        while not q.empty():
            items.append(q.get_nowait())
        return items

    def close(self):
        """Disconnects without waiting for the end of python-engineio's threads.

        Over long-polling, python-engineio 4.15's `disconnect` can lose its CLOSE packet (the write loop, busy
        posting an earlier packet such as the PONG answering socketioxide's first ping, sees the state change and
        exits without sending it) and then waits for the pending GET until the server's next ping (25 s) or its
        connect timeout (10 s). The server is not at fault, and the suite does not wait for it.
        """

        def disconnect():
            try:
                self.sio.disconnect()
            except Exception:  # noqa: BLE001 - closing after a failure must not hide it
                pass

        threading.Thread(target=disconnect, daemon=True).start()


opened = []


def connected(namespace, transport, **options):
    client = Client(namespace, transport, **options)
    opened.append(client)
    return client.connect()


def refused(namespace, transport, **options):
    client = Client(namespace, transport, **options)
    opened.append(client)
    try:
        client.connect()
    except Refused as refusal:
        return str(refusal)
    raise AssertionError(f"connected to {namespace}, a refusal was expected")


def envelope(answer, code):
    """The error envelope, checked for its shape; returns its body."""
    assert isinstance(answer, dict) and "error" in answer, (
        f"an error envelope expected, got {answer!r}"
    )
    error = answer["error"]
    assert sorted(error) == ["code", "details", "message"], answer
    assert error["code"] == code, answer
    assert isinstance(error["message"], str)
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert sorted(detail) == ["message", "path"], detail
        assert isinstance(detail["path"], str) and isinstance(detail["message"], str)
    return error


def paths(answer):
    return sorted(d["path"] for d in envelope(answer, "validation_failed")["details"])


def eq(actual, expected):
    assert actual == expected, f"expected {expected!r}, got {actual!r}"


passed = 0
failed = 0


def test(name, body):
    """Runs one case in a thread, at most CASE_TIMEOUT seconds; closes its clients afterwards."""
    global passed, failed
    outcome = {}

    def run():
        try:
            body()
        except BaseException as error:  # noqa: BLE001 - every failure is a failed case
            outcome["error"] = error
            outcome["trace"] = traceback.format_exc()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(CASE_TIMEOUT)
    if thread.is_alive():
        outcome["error"] = TimeoutError(f"timed out after {CASE_TIMEOUT} s")
    for client in opened:
        client.close()
    opened.clear()
    error = outcome.get("error")
    if error is None:
        passed += 1
        print(f"ok {name}", flush=True)
    else:
        failed += 1
        detail = str(error) or type(error).__name__
        if isinstance(error, AssertionError) and not str(error):
            detail = outcome["trace"].strip().splitlines()[-2].strip()
        print(f"FAIL {name}: {' '.join(detail.split())}", flush=True)


def finish():
    """Prints `N passed, N failed` and leaves: 0 when every case passed, 1 otherwise."""
    print(f"{passed} passed, {failed} failed", flush=True)
    # Client threads may still be winding down: leave without waiting for them.
    os._exit(0 if failed == 0 else 1)


def run_cases(cases):
    """Runs `cases(transport)` (a list of `(name, body)`) over every transport, then `finish`."""
    for transport in TRANSPORTS:
        for name, body in cases(transport):
            test(f"[{transport}] {name}", body)
    finish()
