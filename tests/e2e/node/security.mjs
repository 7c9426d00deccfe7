// The security suite: which events each credential reaches on the help desk of `specs/desk-security.yaml`
// (one namespace `/`, every channel an event, each guarded by its own operation's security).
//
// Run by `cargo xtask e2e`, which generates, builds and starts the desk server with per-scheme token lists and
// sets:
//   DESK_URL     http://127.0.0.1:PORT
//   DESK_READER  an OAuth2 token with `tickets:read`        (FASTSOCKET_AUTH_TOKENS_DESK_OAUTH)
//   DESK_WRITER  an OAuth2 token with both ticket scopes    (FASTSOCKET_AUTH_TOKENS_DESK_OAUTH)
//   DESK_KEY     the desk key                               (FASTSOCKET_AUTH_TOKENS_DESK_KEY)
//   DESK_AGENT   an agent's `user:password`                 (FASTSOCKET_AUTH_TOKENS_AGENT)
//   DESK_ADMIN   an administrator's bearer token            (FASTSOCKET_AUTH_TOKENS, the shared list)
//
// Prints one line per case (`ok NAME` or `FAIL NAME: detail`) and a closing `N passed, N failed`.

import assert from "node:assert/strict";
import { TRANSPORTS, required, serveAt, connected, ack, envelope, test, finish } from "./harness.mjs";

serveAt(required("DESK_URL"));
const READER = required("DESK_READER");
const WRITER = required("DESK_WRITER");
const KEY = required("DESK_KEY");
const [AGENT_USER, AGENT_PASSWORD] = required("DESK_AGENT").split(/:(.*)/s);
const ADMIN = required("DESK_ADMIN");

/** Each event with a payload its schema accepts. */
const EVENTS = {
  "desk.status": {},
  "ticket.read": { id: 1 },
  "ticket.write": { id: 1, text: "printer on fire" },
  "ticket.escalate": { id: 1 },
  "audit.log": {},
};

const U = "unauthorized";
const F = "forbidden";

/**
 * Who reaches what: per credential, the connect options and per event either the subject the handler
 * reports (the event ran) or the error code it is refused with.
 */
const MATRIX = [
  {
    name: "no credentials",
    extra: {},
    expect: { "desk.status": "anonymous", "ticket.read": U, "ticket.write": U, "ticket.escalate": U, "audit.log": U },
  },
  {
    name: "a wrong token",
    extra: { auth: { token: "not-a-token" } },
    expect: { "desk.status": "anonymous", "ticket.read": U, "ticket.write": U, "ticket.escalate": U, "audit.log": U },
  },
  {
    name: "reader token (tickets:read)",
    extra: { auth: { token: READER } },
    expect: {
      "desk.status": "deskOauth/token-1",
      "ticket.read": "deskOauth/token-1",
      "ticket.write": F,
      "ticket.escalate": U,
      "audit.log": U,
    },
  },
  {
    name: "writer token (tickets:read tickets:write) in Authorization",
    extra: { extraHeaders: { authorization: `Bearer ${WRITER}` } },
    expect: {
      "desk.status": "deskOauth/token-2",
      "ticket.read": "deskOauth/token-2",
      "ticket.write": "deskOauth/token-2",
      "ticket.escalate": U,
      "audit.log": U,
    },
  },
  {
    name: "desk key alone (header)",
    extra: { extraHeaders: { "x-desk-key": KEY } },
    expect: {
      "desk.status": "deskKey/token-1",
      "ticket.read": U,
      "ticket.write": U,
      "ticket.escalate": U,
      "audit.log": "deskKey/token-1",
    },
  },
  {
    name: "agent alone",
    extra: { auth: { username: AGENT_USER, password: AGENT_PASSWORD } },
    expect: { "desk.status": AGENT_USER, "ticket.read": U, "ticket.write": U, "ticket.escalate": U, "audit.log": U },
  },
  {
    name: "desk key and agent",
    extra: { auth: { "x-desk-key": KEY, username: AGENT_USER, password: AGENT_PASSWORD } },
    expect: {
      "desk.status": "deskKey/token-1",
      "ticket.read": U,
      "ticket.write": U,
      "ticket.escalate": "deskKey/token-1",
      "audit.log": "deskKey/token-1",
    },
  },
  {
    name: "admin token (shared list)",
    extra: { auth: { token: ADMIN } },
    expect: { "desk.status": "token-1", "ticket.read": U, "ticket.write": U, "ticket.escalate": U, "audit.log": "token-1" },
  },
];

for (const transport of TRANSPORTS) {
  for (const { name, extra, expect } of MATRIX) {
    await test(`[${transport}] ${name} reaches exactly its events`, async () => {
      const s = await connected("/", transport, extra);
      for (const [event, payload] of Object.entries(EVENTS)) {
        const answer = await ack(s, event, payload);
        const wanted = expect[event];
        if (wanted === U || wanted === F) {
          const error = envelope(answer, wanted);
          assert.ok(error.message.length > 0, `${event}: empty message`);
        } else {
          assert.deepEqual(answer, { event, subject: wanted }, `${event}: ${JSON.stringify(answer)}`);
        }
      }
    });
  }
}

await test("[websocket] a refused event without an ack comes back as `exception`", async () => {
  const s = await connected("/", "websocket", { auth: { token: READER } });
  const exception = new Promise((resolve) => s.once("exception", resolve));
  s.emit("ticket.write", EVENTS["ticket.write"]);
  const error = envelope(await exception, F);
  assert.match(error.message, /tickets:write/);
});

await test("[websocket] authorization comes before validation: a bad payload of a refused event is `unauthorized`", async () => {
  const s = await connected("/", "websocket");
  envelope(await ack(s, "ticket.read", { id: "not a number" }), U);
});

finish();
