// The chat interop suite with the official socket.io-client, against the checked-in chat server
// (`examples/chat/server`). Run by `cargo xtask chat-interop`, which builds and starts the server and sets:
//   CHAT_URL    http://127.0.0.1:PORT
//   CHAT_TOKEN  an operator bearer token the server accepts
//   CHAT_KEY    an operator API key the server accepts
//
// Prints one line per case (`ok NAME` or `FAIL NAME: detail`) and a closing `N passed, N failed`.

import assert from "node:assert/strict";
import {
  TRANSPORTS,
  required,
  serveAt,
  socket,
  connected,
  refused,
  ack,
  next,
  nextMatching,
  envelope,
  paths,
  test,
  finish,
} from "./harness.mjs";

serveAt(required("CHAT_URL"));
// A wait left behind by a case that already failed (its socket closed) must not end the whole suite.
process.on("unhandledRejection", () => {});
const TOKEN = required("CHAT_TOKEN");
const KEY = required("CHAT_KEY");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let counter = 0;
/** A name no other case uses: valid as a user name and as a room id. */
function unique(prefix) {
  counter += 1;
  return `${prefix}${process.pid}n${counter}`;
}

/** Connects to a room as `name` and waits for its own `user_joined` (the server's on_connect has run). */
async function member(room, name, t) {
  const s = socket(`/rooms/${room}`, t, { query: { username: name } });
  const announced = nextMatching(s, "user_joined", (p) => p.user.username === name);
  const connect = new Promise((resolve, reject) => {
    s.once("connect", resolve);
    s.once("connect_error", (error) => reject(new Error(`connect_error: ${error.message}`)));
  });
  await Promise.all([connect, announced]);
  return s;
}

for (const t of TRANSPORTS) {
  await test(`[${t}] join_room acks the namespace, then already_member`, async () => {
    const room = unique("lobby");
    const s = await connected("/", t, { query: { username: unique("ada") } });
    const first = await ack(s, "join_room", { roomId: room });
    assert.deepEqual(first, { status: "joined", namespace: `/rooms/${room}`, members: [], error: null });
    assert.equal((await ack(s, "join_room", { roomId: room })).status, "already_member");
  });

  await test(`[${t}] join_room with a bad room id -> validation_failed at /roomId`, async () => {
    const s = await connected("/", t);
    assert.deepEqual(paths(await ack(s, "join_room", { roomId: "No!" })), ["/roomId"]);
    assert.deepEqual(paths(await ack(s, "join_room", { roomId: "general", password: "x" })), ["/password"]);
  });

  await test(`[${t}] leave_room of a room not joined -> exception event`, async () => {
    const s = await connected("/", t);
    const exception = next(s, "exception");
    s.emit("leave_room", { roomId: unique("never") });
    assert.deepEqual(paths(await exception), ["/roomId"]);
  });

  await test(`[${t}] a message reaches both members of its room and not another room`, async () => {
    const [roomA, roomB, ada] = [unique("ra"), unique("rb"), unique("ada")];
    const a1 = await member(roomA, ada, t);
    const a2 = await member(roomA, unique("grace"), t);
    const b1 = await member(roomB, unique("bob"), t);
    const seenByA1 = next(a1, "message");
    const seenByA2 = next(a2, "message");
    const seenByB1 = next(b1, "message");
    const sent = await ack(a1, "send_message", { text: "hello a", kind: "emote" });
    assert.match(sent.messageId, UUID);
    for (const message of [await seenByA1, await seenByA2]) {
      assert.equal(message.id, sent.messageId);
      assert.equal(message.sentAt, sent.sentAt);
      assert.equal(message.roomId, roomA);
      assert.equal(message.kind, "emote");
      assert.equal(message.author.username, ada);
    }
    // Room a's message went out before its ack: had b1 been sent it, it would be b1's first message.
    await ack(b1, "send_message", { text: "hello b" });
    assert.equal((await seenByB1).text, "hello b");
  });

  await test(`[${t}] typing -> typing_indicator to the others`, async () => {
    const [room, ada] = [unique("typ"), unique("ada")];
    const a1 = await member(room, ada, t);
    const a2 = await member(room, unique("grace"), t);
    const indicator = next(a2, "typing_indicator");
    a1.emit("typing", { isTyping: true });
    assert.deepEqual(await indicator, { users: [ada] });
    const stopped = next(a2, "typing_indicator");
    a1.emit("typing", { isTyping: false });
    assert.deepEqual(await stopped, { users: [] });
  });

  await test(`[${t}] history acks a page, oldest first`, async () => {
    const s = await member(unique("hist"), unique("ada"), t);
    for (const text of ["one", "two", "three"]) await ack(s, "send_message", { text });
    const page = await ack(s, "history", { limit: 2 });
    assert.deepEqual(page.messages.map((m) => m.text), ["two", "three"]);
    assert.equal(page.hasMore, true);
    const older = await ack(s, "history", { limit: 5, before: page.messages[0].sentAt });
    assert.deepEqual(older.messages.map((m) => m.text), ["one"]);
    assert.equal(older.hasMore, false);
  });

  await test(`[${t}] invalid send_message / history -> validation_failed, the socket lives on`, async () => {
    const s = await member(unique("val"), unique("ada"), t);
    assert.deepEqual(paths(await ack(s, "send_message", { text: "" })), ["/text"]);
    assert.deepEqual(paths(await ack(s, "send_message", {})), ["/text"]);
    assert.deepEqual(paths(await ack(s, "send_message", { text: "x", kind: "shout", mentions: ["me"] })), [
      "/kind",
      "/mentions/0",
    ]);
    assert.deepEqual(paths(await ack(s, "send_message", { text: "   " })), ["/text"]);
    assert.deepEqual(paths(await ack(s, "history", { limit: 201 })), ["/limit"]);
    envelope(await ack(s, "shout", { text: "x" }), "unknown_event");
    assert.match((await ack(s, "send_message", { text: "still here" })).messageId, UUID);
  });

  await test(`[${t}] a room id outside the RoomId schema is disconnected`, async () => {
    const s = socket("/rooms/NOT_A_ROOM", t);
    const reason = await new Promise((resolve, reject) => {
      s.once("disconnect", resolve);
      s.once("connect_error", (error) => reject(new Error(`connect_error: ${error.message}`)));
    });
    assert.equal(reason, "io server disconnect");
  });

  await test(`[${t}] /admin refuses a client without credentials or with a wrong token`, async () => {
    const message = await refused("/admin", t);
    assert.match(message, /^unauthorized/);
    assert.match(await refused("/admin", t, { auth: { token: "wrong" } }), /^unauthorized/);
  });

  await test(`[${t}] /admin accepts the bearer token and the API key; stats on connect`, async () => {
    const byToken = socket("/admin", t, { auth: { token: TOKEN } });
    const stats = next(byToken, "server_stats");
    const sample = await stats;
    assert.equal(typeof sample.connectedSockets, "number");
    assert.equal(typeof sample.rooms, "number");
    await connected("/admin", t, { query: { api_key: KEY } });
  });

  await test(`[${t}] kick_user disconnects the user and bans them from join_room`, async () => {
    const [room, name] = [unique("kick"), unique("spam")];
    const admin = await connected("/admin", t, { auth: { token: TOKEN } });
    const watcher = await member(room, unique("mod"), t);
    const joined = nextMatching(watcher, "user_joined", (p) => p.user.username === name);
    const victim = await member(room, name, t);
    const userId = (await joined).user.id;
    const gone = new Promise((resolve) => victim.once("disconnect", resolve));
    assert.deepEqual(await ack(admin, "kick_user", { userId, banMinutes: 1 }), { kicked: true, sockets: 1 });
    assert.equal(await gone, "io server disconnect");
    const lobby = await connected("/", t, { query: { username: name } });
    const denied = await ack(lobby, "join_room", { roomId: room });
    assert.equal(denied.status, "denied");
    assert.match(denied.error, /banned/);
    // The room itself lets the banned user in for a moment only.
    const back = socket(`/rooms/${room}`, t, { query: { username: name } });
    assert.equal(await new Promise((resolve) => back.once("disconnect", resolve)), "io server disconnect");
    assert.deepEqual(paths(await ack(admin, "kick_user", { userId: "nope" })), ["/userId"]);
  });
}

await test("[default] polling upgraded to websocket: lobby and room on one connection", async () => {
  const [room, name] = [unique("multi"), unique("ada")];
  const lobby = socket("/", "default", { query: { username: name }, transports: undefined });
  const joined = await new Promise((resolve, reject) => {
    lobby.once("connect", () => resolve(ack(lobby, "join_room", { roomId: room })));
    lobby.once("connect_error", reject);
  });
  const roomSocket = lobby.io.socket(joined.namespace);
  const announced = nextMatching(roomSocket, "user_joined", (p) => p.user.username === name);
  roomSocket.connect();
  await announced;
  assert.equal((await ack(roomSocket, "send_message", { text: "multiplexed" })).messageId.length, 36);
  roomSocket.disconnect();
});

// Delivery across reconnects (docs/delivery.md): what a session's socket is told and replayed.
const hex = (digits) => Array.from({ length: digits }, () => Math.floor(Math.random() * 16).toString(16)).join("");

/** A socket of a delivery session on a room: the `fastsocket:resume` it is told, and every numbered event. */
function sessionSocket(room, name, fastsocket) {
  const s = socket(`/rooms/${room}`, "websocket", { query: { username: name }, auth: { fastsocket } });
  const seen = { messages: [], last: null };
  for (const event of ["message", "user_joined"]) {
    s.on(event, (payload, offset) => {
      if (typeof offset === "number") {
        seen.last = offset;
      }
      if (event === "message") {
        seen.messages.push([payload.text, offset]);
      }
    });
  }
  return { s, told: next(s, "fastsocket:resume"), seen };
}

await test("[websocket] delivery: a resumed session is replayed what it missed; plain clients get no offset", async () => {
  const room = unique("resume");
  const plain = await member(room, unique("plain"), "websocket");
  const session = hex(32);
  const first = sessionSocket(room, unique("away"), { session });
  const fresh = await first.told;
  assert.equal(fresh.status, "fresh");
  assert.match(fresh.epoch, /^[0-9a-f]{16}$/);
  // Its own `user_joined` is numbered: the last offset it processed.
  const joinedBy = Date.now() + 5000;
  while (first.seen.last === null && Date.now() < joinedBy) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(typeof first.seen.last, "number");
  first.s.disconnect();
  const plainArgs = new Promise((resolve) => plain.once("message", (...args) => resolve(args)));
  await ack(plain, "send_message", { text: "while you were away" });
  assert.equal((await plainArgs).length, 1, "a plain client gets the payload only");
  const back = sessionSocket(room, unique("back"), { session, epoch: fresh.epoch, offset: first.seen.last });
  const resumed = await back.told;
  assert.equal(resumed.status, "resumed");
  assert.ok(resumed.replayed >= 1, `replayed ${resumed.replayed}`);
  const replayedBy = Date.now() + 5000;
  while (back.seen.messages.length === 0 && Date.now() < replayedBy) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(back.seen.messages.length, 1);
  const [text, offset] = back.seen.messages[0];
  assert.equal(text, "while you were away");
  assert.ok(offset > first.seen.last, `offset ${offset} after ${first.seen.last}`);
  back.s.disconnect();
  plain.disconnect();
});

await test("[websocket] delivery: an offset of another epoch is answered `gap`", async () => {
  const resumed = sessionSocket(unique("gap"), unique("gap"), {
    session: hex(32),
    epoch: "0000000000000001",
    offset: 5,
  });
  assert.equal((await resumed.told).status, "gap");
  resumed.s.disconnect();
});

await test("[websocket] delivery: a malformed session is refused at connect", async () => {
  const message = await refused(`/rooms/${unique("bad")}`, "websocket", {
    query: { username: unique("bad") },
    auth: { fastsocket: { session: "not-hex" } },
  });
  assert.match(message, /fastsocket\.session/);
});

await test("[websocket] delivery: a retried key runs the handler once and gets the first answer", async () => {
  const session = sessionSocket(unique("retry"), unique("retry"), { session: hex(32) });
  await session.told;
  const key = { fastsocket: { key: hex(16) } };
  const first = await ack(session.s, "send_message", { text: "once" }, key);
  const again = await ack(session.s, "send_message", { text: "once" }, key);
  assert.equal(again.messageId, first.messageId);
  const other = await ack(session.s, "send_message", { text: "once" }, { fastsocket: { key: hex(16) } });
  assert.notEqual(other.messageId, first.messageId);
  session.s.disconnect();
});

finish();
