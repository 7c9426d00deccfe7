"""The chat interop suite with python-socketio's client, against the checked-in chat server (`examples/chat/server`).

Run by `cargo xtask chat-interop`, which builds and starts the server and sets:

- CHAT_URL    http://127.0.0.1:PORT
- CHAT_TOKEN  an operator bearer token the server accepts
- CHAT_KEY    an operator API key the server accepts

Prints one line per case (`ok NAME` or `FAIL NAME: detail`) and a closing `N passed, N failed`.
"""

import itertools
import os
import re

from harness import (
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

serve_at(required("CHAT_URL"))
TOKEN = required("CHAT_TOKEN")
KEY = required("CHAT_KEY")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
COUNTER = itertools.count(1)


def unique(prefix):
    """A name no other case uses: valid as a user name and as a room id."""
    return f"{prefix}{os.getpid()}p{next(COUNTER)}"


def member(room, name, t):
    """Connects to a room as `name` and waits for its own `user_joined` (the server's on_connect has run)."""
    client = connected(f"/rooms/{room}", t, query={"username": name})
    while client.next("user_joined")["user"]["username"] != name:
        pass
    return client


def cases(t):
    def join_room():
        room = unique("lobby")
        lobby = connected("/", t, query={"username": unique("ada")})
        eq(
            lobby.call("join_room", {"roomId": room}),
            {"status": "joined", "namespace": f"/rooms/{room}", "members": [], "error": None},
        )
        eq(lobby.call("join_room", {"roomId": room})["status"], "already_member")

    def join_room_invalid():
        lobby = connected("/", t)
        eq(paths(lobby.call("join_room", {"roomId": "No!"})), ["/roomId"])
        eq(paths(lobby.call("join_room", {})), ["/roomId"])

    def rooms():
        room_a, room_b, ada = unique("ra"), unique("rb"), unique("ada")
        a1 = member(room_a, ada, t)
        a2 = member(room_a, unique("grace"), t)
        b1 = member(room_b, unique("bob"), t)
        sent = a1.call("send_message", {"text": "hello a"})
        assert UUID.match(sent["messageId"]), sent
        for client in (a1, a2):
            message = client.next("message")
            eq(message["id"], sent["messageId"])
            eq(message["roomId"], room_a)
            eq(message["author"]["username"], ada)
        # Room a's message went out before its ack: had b1 been sent it, it would be b1's first message.
        b1.call("send_message", {"text": "hello b"})
        eq(b1.next("message")["text"], "hello b")

    def typing():
        room, ada = unique("typ"), unique("ada")
        a1 = member(room, ada, t)
        a2 = member(room, unique("grace"), t)
        a1.emit("typing", {"isTyping": True})
        eq(a2.next("typing_indicator"), {"users": [ada]})

    def history():
        client = member(unique("hist"), unique("ada"), t)
        for text in ("one", "two", "three"):
            client.call("send_message", {"text": text})
        page = client.call("history", {"limit": 2})
        eq([m["text"] for m in page["messages"]], ["two", "three"])
        eq(page["hasMore"], True)
        eq(len(client.call("history", {})["messages"]), 3)

    def invalid():
        client = member(unique("val"), unique("ada"), t)
        eq(paths(client.call("send_message", {"text": ""})), ["/text"])
        eq(paths(client.call("send_message", {"text": "x", "extra": 1, "kind": 3})), ["/kind"])
        eq(paths(client.call("history", {"limit": "ten"})), ["/limit"])
        envelope(client.call("send_message"), "validation_failed")
        envelope(client.call("nope", {}), "unknown_event")
        assert UUID.match(client.call("send_message", {"text": "still here"})["messageId"])

    def admin_refused():
        assert refused("/admin", t).startswith("unauthorized"), "refusal message"
        assert refused("/admin", t, auth={"token": "wrong"}).startswith("unauthorized")

    def admin_accepted():
        admin = connected("/admin", t, auth={"token": TOKEN})
        assert isinstance(admin.next("server_stats")["connectedSockets"], int)
        connected("/admin", t, query={"api_key": KEY})

    def kick():
        room, name = unique("kick"), unique("spam")
        admin = connected("/admin", t, auth={"token": TOKEN})
        watcher = member(room, unique("mod"), t)
        member(room, name, t)
        joined = watcher.next("user_joined")
        while joined["user"]["username"] != name:
            joined = watcher.next("user_joined")
        answer = admin.call("kick_user", {"userId": joined["user"]["id"], "banMinutes": 1})
        eq(answer, {"kicked": True, "sockets": 1})
        lobby = connected("/", t, query={"username": name})
        denied = lobby.call("join_room", {"roomId": room})
        eq(denied["status"], "denied")
        assert "banned" in denied["error"], denied

    return [
        ("join_room acks the namespace, then already_member", join_room),
        ("join_room with a bad room id -> validation_failed at /roomId", join_room_invalid),
        ("a message reaches both members of its room and not another room", rooms),
        ("typing -> typing_indicator to the others", typing),
        ("history acks a page, oldest first", history),
        ("invalid payloads -> validation_failed / unknown_event, the socket lives on", invalid),
        ("/admin refuses no or a wrong token", admin_refused),
        ("/admin accepts the bearer token and the API key; stats on connect", admin_accepted),
        ("kick_user disconnects the user and bans them", kick),
    ]


run_cases(cases)
