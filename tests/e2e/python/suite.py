"""The end-to-end suite, driven with python-socketio's client (pinned in requirements.txt).

Run by `cargo xtask e2e`, which generates, builds and starts the arena server and sets:

- E2E_URL        http://127.0.0.1:PORT
- E2E_TOKEN      a bearer token the server accepts
- E2E_KEY        an operator key the server accepts
- E2E_MAX_BYTES  the server's FASTSOCKET_MAX_MESSAGE_BYTES
- E2E_SPEC_JSON  the generated src/generated/asyncapi.json (what GET /asyncapi.json must return)

Prints one line per case (`ok NAME` or `FAIL NAME: detail`) and a closing `N passed, N failed`.
Exit status: 0 when every case passed, 1 otherwise.
"""

import json
import re
from datetime import datetime, timezone

import requests

from harness import (
    WAIT,
    connected,
    envelope,
    eq,
    paths,
    refused,
    required,
    run_cases,
    serve_at,
    test,
)

# RFC 3339 `date-time`, as JSON Schema's `format: date-time` means it.
DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


URL = required("E2E_URL")
serve_at(URL)
TOKEN = required("E2E_TOKEN")
KEY = required("E2E_KEY")
MAX_BYTES = int(required("E2E_MAX_BYTES"))
SPEC_JSON = required("E2E_SPEC_JSON")


def seated(namespace, transport, others=()):
    """Connects to a table and waits until the socket is in the table's room.

    The server joins it in `on_connect`, which runs after the client is told it is connected, so a broadcast made
    by another socket right after the connect could miss it. The socket's own `say` comes back only once it has
    joined; clients already seated (`others`) see that line too, and it is consumed here.
    """
    client = connected(namespace, transport)
    text = f"seated {client.sid}"
    client.emit("say", {"text": text})
    for seen in (client, *others):
        while seen.next("said")["text"] != text:
            pass
    return client



# ---------------------------------------------------------------------------------------------------------
# Cases.


def http_healthz():
    response = requests.get(f"{URL}/healthz", timeout=WAIT)
    eq(response.status_code, 200)
    eq(response.json(), {"status": "ok"})


def http_asyncapi():
    response = requests.get(f"{URL}/asyncapi.json", timeout=WAIT)
    eq(response.status_code, 200)
    assert response.headers["content-type"].startswith("application/json")
    with open(SPEC_JSON, encoding="utf-8") as spec:
        eq(response.json(), json.load(spec))


test("http: GET /healthz", http_healthz)
test("http: GET /asyncapi.json is the spec", http_asyncapi)


def cases(t):
    def connect_public():
        c = connected("/", t)
        assert c.sio.connected
        eq(c.sio.transport(), t)

    def ping_ack():
        answer = connected("/", t).call("ping", {"seq": 1})
        eq(sorted(answer), ["at", "pong"])
        eq(answer["pong"], 1)
        assert DATE_TIME.match(answer["at"]), answer["at"]
        # Python 3.11 reads at most 6 fractional digits.
        text = re.sub(r"(\.\d{6})\d+", r"\1", answer["at"]).replace("Z", "+00:00")
        at = datetime.fromisoformat(text)
        assert abs((at - datetime.now(timezone.utc)).total_seconds()) < 60, answer["at"]

    def ping_negative():
        error = envelope(connected("/", t).call("ping", {"seq": -1}), "validation_failed")
        eq(error["details"], [{"path": "/seq", "message": "must be >= 0, found -1"}])
        eq(error["message"], "invalid payload for `ping`: /seq: must be >= 0, found -1")

    def ping_extra():
        eq(paths(connected("/", t).call("ping", {"seq": 1, "extra": True})), ["/extra"])

    def ping_wrong_type():
        error = envelope(connected("/", t).call("ping", {"seq": "1"}), "validation_failed")
        eq(error["details"], [{"path": "/seq", "message": "must be an integer, found string"}])

    def ping_string():
        error = envelope(connected("/", t).call("ping", "x"), "validation_failed")
        eq(error["details"], [{"path": "", "message": "must be an object, found string"}])

    def ping_nothing():
        error = envelope(connected("/", t).call("ping"), "validation_failed")
        eq(error["details"], [{"path": "", "message": "must be an object, found null"}])

    def ping_empty():
        error = envelope(connected("/", t).call("ping", {}), "validation_failed")
        eq(error["details"], [{"path": "/seq", "message": "is required"}])

    def move_nested():
        answer = connected("/tables/t42", t).call(
            "move",
            {"piece": "emperor", "to": {"x": 9, "y": 1, "z": 0}, "annotations": ["!", "?", "!!", "x"]},
        )
        eq(paths(answer), ["/annotations", "/annotations/3", "/piece", "/to/x", "/to/z"])
        by_path = {d["path"]: d["message"] for d in answer["error"]["details"]}
        eq(by_path["/to/x"], "must be <= 7, found 9")
        eq(by_path["/annotations"], "must have at most 3 items")
        assert answer["error"]["message"].endswith("(and 4 more)"), answer

    def move_missing():
        error = envelope(connected("/tables/t42", t).call("move", {"to": {"x": 1}}), "validation_failed")
        eq(
            sorted((d["path"], d["message"]) for d in error["details"]),
            [("/piece", "is required"), ("/to/y", "is required")],
        )

    def shout_exception():
        c = connected("/", t)
        c.emit("shout", {"text": ""})
        error = envelope(c.next("exception"), "validation_failed")
        eq(error["details"], [{"path": "/text", "message": "must be at least 1 character long, found 0"}])

    def unknown_with_ack():
        error = envelope(connected("/", t).call("teleport", {"to": "mars"}), "unknown_event")
        eq(error["message"], "unknown event `teleport`")
        eq(error["details"], [])

    def unknown_without_ack():
        c = connected("/", t)
        c.emit("teleport", {"to": "mars"})
        envelope(c.next("exception"), "unknown_event")

    def announcement():
        a = connected("/", t)
        b = connected("/", t)
        eq(a.call("shout", {"text": "hello lobby"}), None)
        expected = {"text": "hello lobby", "from": a.sid}
        eq(b.next("announcement"), expected)
        eq(a.next("announcement"), expected)

    def panic():
        c = connected("/", t)
        c.emit("shout", {"text": "panic!"})
        error = envelope(c.next("exception"), "internal")
        eq(error["message"], "internal error")
        envelope(c.call("shout", {"text": "panic!"}), "internal")
        eq(c.call("ping", {"seq": 7})["pong"], 7)

    def oversize():
        big = connected("/", t)
        other = connected("/", t)
        pad = "x" * (MAX_BYTES + 100)
        error = envelope(big.call("ping", {"seq": 1, "pad": pad}), "payload_too_large")
        assert error["message"].endswith(f"more than the limit of {MAX_BYTES}"), error
        big.emit("ping", {"seq": 1, "pad": pad})
        envelope(big.next("exception"), "payload_too_large")
        eq(other.call("ping", {"seq": 2})["pong"], 2)
        eq(big.call("ping", {"seq": 3})["pong"], 3)

    def tables():
        c = connected("/tables/t42", t)
        assert c.sio.connected
        eq(
            refused("/tables/nope", t),
            "invalid namespace `/tables/nope`: /tableId: must match the pattern `^t[0-9]{1,4}$`",
        )

    def say():
        a = seated("/tables/t42", t)
        b = seated("/tables/t42", t, [a])
        elsewhere = seated("/tables/t43", t)
        a.emit("say", {"text": "good game"})
        expected = {"text": "good game", "by": a.sid}
        eq(b.next("said"), expected)
        eq(a.next("said"), expected)
        # Anything sent to t43 by mistake was queued before t43's own line.
        elsewhere.emit("say", {"text": "other table"})
        eq(elsewhere.next("said"), {"text": "other table", "by": elsewhere.sid})
        eq(elsewhere.pending("said"), [])

    def move_round_trip():
        a = seated("/tables/t42", t)
        b = seated("/tables/t42", t, [a])
        move = {"piece": "knight", "to": {"x": 5, "y": 2}, "annotations": ["!"]}
        eq(a.call("move", move), {"accepted": True, "reason": None})
        expected = {**move, "by": a.sid}
        eq(b.next("moved"), expected)
        eq(a.next("moved"), expected)
        eq(
            a.call("move", {"piece": "rook", "to": {"x": 7, "y": 7}}),
            {"accepted": False, "reason": "h8 is taken"},
        )

    def move_refused():
        answer = connected("/tables/t42", t).call("move", {"piece": "king", "to": {"x": 0, "y": 0}})
        error = envelope(answer, "validation_failed")
        eq(error["details"], [{"path": "/to", "message": "the king may not go to a1"}])

    def admin_none():
        message = refused("/admin", t)
        assert message.startswith("unauthorized: missing "), message
        for where in ["admin_key", "Authorization", "x-operator-key"]:
            assert where in message, f"{message} should mention {where}"

    def admin_query():
        c = connected("/admin", t, query={"admin_key": KEY})
        envelope(c.call("kick", {"socketId": "abc"}), "not_implemented")

    def admin_auth():
        assert connected("/admin", t, auth={"token": TOKEN}).sio.connected

    def admin_bearer():
        assert connected("/admin", t, headers={"Authorization": f"Bearer {TOKEN}"}).sio.connected

    def admin_operator():
        assert connected("/admin", t, headers={"x-operator-key": KEY}).sio.connected

    def admin_wrong():
        eq(refused("/admin", t, auth={"token": "wrong"}), "unauthorized: invalid token")
        eq(
            refused("/admin", t, headers={"Authorization": "Bearer wrong"}),
            "unauthorized: invalid token",
        )
        eq(refused("/admin", t, query={"admin_key": "wrong"}), "unauthorized: invalid token")

    def kick():
        c = connected("/admin", t, auth={"token": TOKEN})
        error = envelope(c.call("kick", {"socketId": "abc"}), "not_implemented")
        eq(error["message"], "`kick` is not implemented")
        envelope(c.call("ping", {"seq": 1}), "unknown_event")

    return [
        ("connect to / without credentials", connect_public),
        ("ping -> ack {pong, at}", ping_ack),
        ("ping {seq: -1} -> validation_failed at /seq", ping_negative),
        ("ping with an undeclared property -> /extra", ping_extra),
        ("ping with a wrong type -> /seq", ping_wrong_type),
        ('ping with a string payload -> the root pointer ""', ping_string),
        ("ping without arguments -> checked as null", ping_nothing),
        ("ping {} -> /seq is required", ping_empty),
        ("move with bad nested values -> every violation", move_nested),
        ("move with missing nested values -> /piece, /to/y", move_missing),
        ("shout without ack, invalid -> exception event", shout_exception),
        ("unknown event with ack -> unknown_event", unknown_with_ack),
        ("unknown event without ack -> exception unknown_event", unknown_without_ack),
        ("shout reaches every lobby client as announcement", announcement),
        ("a panicking handler -> internal, the socket lives on", panic),
        ("oversize message -> payload_too_large, others unaffected", oversize),
        ("/tables/t42 accepted, /tables/nope refused with the parameter", tables),
        ("say at a table reaches the table only", say),
        ("move ack round trip and moved broadcast", move_round_trip),
        ("move refused by the handler -> validation_failed at /to", move_refused),
        ("/admin without credentials -> connect_error", admin_none),
        ("/admin with ?admin_key= -> accepted", admin_query),
        ("/admin with auth.token -> accepted", admin_auth),
        ("/admin with Authorization: Bearer -> accepted", admin_bearer),
        ("/admin with x-operator-key header -> accepted", admin_operator),
        ("/admin with a wrong token -> refused", admin_wrong),
        ("kick -> not_implemented, ping on /admin -> unknown_event", kick),
    ]


run_cases(cases)
