// Known traffic for `cargo xtask metrics`, with the official socket.io-client, against the chat server at
// CHAT_URL; the xtask then reads the counts back from Prometheus. Every count below is what the xtask expects:
//   /                join_room        ok 3, validation_failed 2
//   /                (undeclared)     unknown_event 4 (made-up event names)
//   /rooms/{roomId}  send_message     ok 5; emitted: message 5, user_joined 1
//   /admin           connect refused  unauthorized 1 (no credentials)
// Prints one line per case (`ok NAME` or `FAIL NAME: detail`) and a closing `N passed, N failed`.

import assert from "node:assert/strict";
import {
  required,
  serveAt,
  socket,
  connected,
  refused,
  ack,
  nextMatching,
  envelope,
  test,
  finish,
} from "./harness.mjs";

serveAt(required("CHAT_URL"));
process.on("unhandledRejection", () => {});
const t = "websocket";
const tag = `m${process.pid}`;

await test("join_room: 3 joined, 2 invalid", async () => {
  const s = await connected("/", t, { query: { username: `${tag}user` } });
  for (const n of [1, 2, 3]) {
    assert.equal((await ack(s, "join_room", { roomId: `${tag}room${n}` })).status, "joined");
  }
  for (let n = 0; n < 2; n += 1) {
    envelope(await ack(s, "join_room", { roomId: "No!" }), "validation_failed");
  }
});

await test("4 undeclared events -> unknown_event", async () => {
  const s = await connected("/", t);
  for (let n = 0; n < 4; n += 1) {
    envelope(await ack(s, `${tag}_made_up_${n}`, {}), "unknown_event");
  }
});

await test("5 messages in a room", async () => {
  const name = `${tag}writer`;
  const s = socket(`/rooms/${tag}room1`, t, { query: { username: name } });
  const announced = nextMatching(s, "user_joined", (p) => p.user.username === name);
  await new Promise((resolve, reject) => {
    s.once("connect", resolve);
    s.once("connect_error", (error) => reject(new Error(`connect_error: ${error.message}`)));
  });
  await announced;
  for (let n = 0; n < 5; n += 1) {
    const sent = await ack(s, "send_message", { text: `hello ${n}` });
    assert.equal(typeof sent.messageId, "string", JSON.stringify(sent));
  }
});

await test("/admin without credentials is refused", async () => {
  assert.match(await refused("/admin", t), /^unauthorized/);
});

finish();
