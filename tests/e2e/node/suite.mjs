// The end-to-end suite, driven with the official socket.io-client (pinned in package-lock.json).
//
// Run by `cargo xtask e2e`, which generates, builds and starts the arena server and sets:
//   E2E_URL        http://127.0.0.1:PORT
//   E2E_TOKEN      a bearer token the server accepts
//   E2E_KEY        an operator key the server accepts
//   E2E_MAX_BYTES  the server's FASTSOCKET_MAX_MESSAGE_BYTES
//   E2E_SPEC_JSON  the generated src/generated/asyncapi.json (what GET /asyncapi.json must return)
//
// Prints one line per case (`ok NAME` or `FAIL NAME: detail`) and a closing `N passed, N failed`.
// Exit status: 0 when every case passed, 1 otherwise.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { io } from "socket.io-client";
import {
  WAIT_MS,
  TRANSPORTS,
  required,
  serveAt,
  opened,
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

const URL = required("E2E_URL");
serveAt(URL);
const TOKEN = required("E2E_TOKEN");
const KEY = required("E2E_KEY");
const MAX_BYTES = Number(required("E2E_MAX_BYTES"));
const SPEC_JSON = required("E2E_SPEC_JSON");
const MAX_DYNAMIC_NAMESPACES = Number(required("E2E_MAX_DYNAMIC_NAMESPACES"));
/** The server's process id, to read its memory (Linux); empty when unknown. */
const SERVER_PID = process.env.E2E_SERVER_PID ?? "";
/** RFC 3339 `date-time`, as JSON Schema's `format: date-time` means it. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

// ---------------------------------------------------------------------------------------------------------
// Helpers of this suite (the shared ones are in harness.mjs).

/**
 * Connects to a table and waits until the socket is in the table's room. The server joins it in `on_connect`,
 * which runs after the client is told it is connected, so a broadcast made by another socket right after the
 * connect could miss it. The socket's own `say` comes back only once it has joined; clients already seated
 * (`others`) see that line too, and it is consumed here so later waits see only what the test sends.
 */
async function seated(path, t, others = []) {
  const s = await connected(path, t);
  const text = `seated ${s.id}`;
  const seen = [s, ...others].map((x) => nextMatching(x, "said", (p) => p.text === text));
  s.emit("say", { text });
  await Promise.all(seen);
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Cases.

await test("http: GET /healthz", async () => {
  const response = await fetch(`${URL}/healthz`, { signal: AbortSignal.timeout(WAIT_MS) });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ok" });
});

await test("http: GET /asyncapi.json is the spec", async () => {
  const response = await fetch(`${URL}/asyncapi.json`, { signal: AbortSignal.timeout(WAIT_MS) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  const served = await response.json();
  assert.deepEqual(served, JSON.parse(readFileSync(SPEC_JSON, "utf8")));
  assert.equal(served.info.title, "Arena");
});

for (const t of TRANSPORTS) {
  await test(`[${t}] connect to / without credentials`, async () => {
    const s = await connected("/", t);
    assert.equal(s.connected, true);
    assert.equal(s.io.engine.transport.name, t);
  });

  await test(`[${t}] ping -> ack {pong, at}`, async () => {
    const s = await connected("/", t);
    const answer = await ack(s, "ping", { seq: 1 });
    assert.deepEqual(Object.keys(answer).sort(), ["at", "pong"], JSON.stringify(answer));
    assert.equal(answer.pong, 1);
    assert.match(answer.at, DATE_TIME);
    assert.ok(Math.abs(Date.parse(answer.at) - Date.now()) < 60_000, `at: ${answer.at}`);
  });

  await test(`[${t}] ping {seq: -1} -> validation_failed at /seq`, async () => {
    const s = await connected("/", t);
    const error = envelope(await ack(s, "ping", { seq: -1 }), "validation_failed");
    assert.deepEqual(error.details, [{ path: "/seq", message: "must be >= 0, found -1" }]);
    assert.equal(error.message, "invalid payload for `ping`: /seq: must be >= 0, found -1");
  });

  await test(`[${t}] ping with an undeclared property -> /extra`, async () => {
    const s = await connected("/", t);
    assert.deepEqual(paths(await ack(s, "ping", { seq: 1, extra: true })), ["/extra"]);
  });

  await test(`[${t}] ping with a wrong type -> /seq`, async () => {
    const s = await connected("/", t);
    const error = envelope(await ack(s, "ping", { seq: "1" }), "validation_failed");
    assert.deepEqual(error.details, [{ path: "/seq", message: "must be an integer, found string" }]);
  });

  await test(`[${t}] ping with a string payload -> the root pointer ""`, async () => {
    const s = await connected("/", t);
    const error = envelope(await ack(s, "ping", "x"), "validation_failed");
    assert.deepEqual(error.details, [{ path: "", message: "must be an object, found string" }]);
  });

  await test(`[${t}] ping without arguments -> checked as null`, async () => {
    const s = await connected("/", t);
    const error = envelope(await ack(s, "ping"), "validation_failed");
    assert.deepEqual(error.details, [{ path: "", message: "must be an object, found null" }]);
  });

  await test(`[${t}] ping {} -> /seq is required`, async () => {
    const s = await connected("/", t);
    const error = envelope(await ack(s, "ping", {}), "validation_failed");
    assert.deepEqual(error.details, [{ path: "/seq", message: "is required" }]);
  });

  await test(`[${t}] move with bad nested values -> every violation`, async () => {
    const s = await connected("/tables/t42", t);
    const answer = await ack(s, "move", {
      piece: "emperor",
      to: { x: 9, y: 1, z: 0 },
      annotations: ["!", "?", "!!", "x"],
    });
    assert.deepEqual(paths(answer), ["/annotations", "/annotations/3", "/piece", "/to/x", "/to/z"]);
    const byPath = Object.fromEntries(answer.error.details.map((d) => [d.path, d.message]));
    assert.equal(byPath["/to/x"], "must be <= 7, found 9");
    assert.equal(byPath["/annotations"], "must have at most 3 items");
    assert.match(answer.error.message, /^invalid payload for `move`: .* \(and 4 more\)$/);
  });

  await test(`[${t}] move with missing nested values -> /piece, /to/y`, async () => {
    const s = await connected("/tables/t42", t);
    const error = envelope(await ack(s, "move", { to: { x: 1 } }), "validation_failed");
    assert.deepEqual(
      error.details.map((d) => [d.path, d.message]).sort(),
      [
        ["/piece", "is required"],
        ["/to/y", "is required"],
      ],
    );
  });

  await test(`[${t}] shout without ack, invalid -> exception event`, async () => {
    const s = await connected("/", t);
    const exception = next(s, "exception");
    s.emit("shout", { text: "" });
    const error = envelope(await exception, "validation_failed");
    assert.deepEqual(error.details, [{ path: "/text", message: "must be at least 1 character long, found 0" }]);
  });

  await test(`[${t}] unknown event with ack -> unknown_event`, async () => {
    const s = await connected("/", t);
    const error = envelope(await ack(s, "teleport", { to: "mars" }), "unknown_event");
    assert.equal(error.message, "unknown event `teleport`");
    assert.deepEqual(error.details, []);
  });

  await test(`[${t}] unknown event without ack -> exception unknown_event`, async () => {
    const s = await connected("/", t);
    const exception = next(s, "exception");
    s.emit("teleport", { to: "mars" });
    envelope(await exception, "unknown_event");
  });

  await test(`[${t}] shout reaches every lobby client as announcement`, async () => {
    const a = await connected("/", t);
    const b = await connected("/", t);
    const toA = next(a, "announcement");
    const toB = next(b, "announcement");
    // A shout without ack answers nothing; with one it answers null.
    assert.equal(await ack(a, "shout", { text: "hello lobby" }), null);
    const expected = { text: "hello lobby", from: a.id };
    assert.deepEqual(await toA, expected);
    assert.deepEqual(await toB, expected);
  });

  await test(`[${t}] a panicking handler -> internal, the socket lives on`, async () => {
    const s = await connected("/", t);
    const exception = next(s, "exception");
    s.emit("shout", { text: "panic!" });
    const error = envelope(await exception, "internal");
    assert.equal(error.message, "internal error");
    envelope(await ack(s, "shout", { text: "panic!" }), "internal");
    assert.equal((await ack(s, "ping", { seq: 7 })).pong, 7);
  });

  await test(`[${t}] oversize message -> payload_too_large, others unaffected`, async () => {
    const big = await connected("/", t);
    const other = await connected("/", t);
    const pad = "x".repeat(MAX_BYTES + 100);
    const error = envelope(await ack(big, "ping", { seq: 1, pad }), "payload_too_large");
    assert.match(error.message, new RegExp(`more than the limit of ${MAX_BYTES}$`));
    // Without ack: an exception event.
    const exception = next(big, "exception");
    big.emit("ping", { seq: 1, pad });
    envelope(await exception, "payload_too_large");
    assert.equal((await ack(other, "ping", { seq: 2 })).pong, 2);
    assert.equal((await ack(big, "ping", { seq: 3 })).pong, 3);
  });

  await test(`[${t}] /tables/t42 accepted, /tables/nope refused with the parameter`, async () => {
    const s = await connected("/tables/t42", t);
    assert.equal(s.connected, true);
    const message = await refused("/tables/nope", t);
    assert.equal(message, "invalid namespace `/tables/nope`: /tableId: must match the pattern `^t[0-9]{1,4}$`");
  });

  await test(`[${t}] say at a table reaches the table only`, async () => {
    const a = await seated("/tables/t42", t);
    const b = await seated("/tables/t42", t, [a]);
    const elsewhere = await seated("/tables/t43", t);
    let leaked = null;
    elsewhere.on("said", (payload) => {
      if (payload.text === "good game") leaked = payload;
    });
    const toA = next(a, "said");
    const toB = next(b, "said");
    a.emit("say", { text: "good game" });
    const expected = { text: "good game", by: a.id };
    assert.deepEqual(await toB, expected);
    assert.deepEqual(await toA, expected);
    // Anything sent to t43 by mistake was queued before t43's own line.
    const own = next(elsewhere, "said");
    elsewhere.emit("say", { text: "other table" });
    assert.deepEqual(await own, { text: "other table", by: elsewhere.id });
    assert.equal(leaked, null, `t43 received ${JSON.stringify(leaked)}`);
  });

  await test(`[${t}] who lists the table's clients (ctx.sockets()), and no longer one that left`, async () => {
    // A table of its own per transport: the sockets of earlier cases may still be closing.
    const table = t === "websocket" ? "/tables/t46" : "/tables/t47";
    const a = await seated(table, t);
    const b = await seated(table, t, [a]);
    await seated("/tables/t48", t);
    assert.deepEqual(await ack(a, "who", {}), { players: [a.id, b.id].sort(), here: 2 });
    b.disconnect();
    const deadline = Date.now() + WAIT_MS;
    let answer;
    for (;;) {
      answer = await ack(a, "who", {});
      if (answer.players.length === 1 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(answer, { players: [a.id], here: 1 });
  });

  await test(`[${t}] move ack round trip and moved broadcast`, async () => {
    const a = await seated("/tables/t42", t);
    const b = await seated("/tables/t42", t, [a]);
    const toA = next(a, "moved");
    const toB = next(b, "moved");
    const move = { piece: "knight", to: { x: 5, y: 2 }, annotations: ["!"] };
    assert.deepEqual(await ack(a, "move", move), { accepted: true, reason: null });
    const expected = { ...move, by: a.id };
    assert.deepEqual(await toB, expected);
    assert.deepEqual(await toA, expected);
    assert.deepEqual(await ack(a, "move", { piece: "rook", to: { x: 7, y: 7 } }), {
      accepted: false,
      reason: "h8 is taken",
    });
  });

  await test(`[${t}] move refused by the handler -> validation_failed at /to`, async () => {
    const s = await connected("/tables/t42", t);
    const error = envelope(await ack(s, "move", { piece: "king", to: { x: 0, y: 0 } }), "validation_failed");
    assert.deepEqual(error.details, [{ path: "/to", message: "the king may not go to a1" }]);
  });

  await test(`[${t}] /admin without credentials -> connect_error`, async () => {
    const message = await refused("/admin", t);
    assert.match(message, /^unauthorized: missing /);
    for (const where of ["admin_key", "Authorization", "x-operator-key"]) {
      assert.ok(message.includes(where), `${message} should mention ${where}`);
    }
  });

  await test(`[${t}] /admin with ?admin_key= -> accepted`, async () => {
    const s = await connected("/admin", t, { query: { admin_key: KEY } });
    envelope(await ack(s, "kick", { socketId: "abc" }), "not_implemented");
  });

  await test(`[${t}] /admin with auth.token -> accepted`, async () => {
    const s = await connected("/admin", t, { auth: { token: TOKEN } });
    assert.equal(s.connected, true);
  });

  await test(`[${t}] /admin with Authorization: Bearer -> accepted`, async () => {
    const s = await connected("/admin", t, { extraHeaders: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(s.connected, true);
  });

  await test(`[${t}] /admin with x-operator-key header -> accepted`, async () => {
    const s = await connected("/admin", t, { extraHeaders: { "x-operator-key": KEY } });
    assert.equal(s.connected, true);
  });

  await test(`[${t}] /admin with a wrong token -> refused`, async () => {
    assert.equal(await refused("/admin", t, { auth: { token: "wrong" } }), "unauthorized: invalid token");
    assert.equal(
      await refused("/admin", t, { extraHeaders: { Authorization: "Bearer wrong" } }),
      "unauthorized: invalid token",
    );
    assert.equal(await refused("/admin", t, { query: { admin_key: "wrong" } }), "unauthorized: invalid token");
  });

  await test(`[${t}] kick -> not_implemented, ping on /admin -> unknown_event`, async () => {
    const s = await connected("/admin", t, { auth: { token: TOKEN } });
    const error = envelope(await ack(s, "kick", { socketId: "abc" }), "not_implemented");
    assert.equal(error.message, "`kick` is not implemented");
    envelope(await ack(s, "ping", { seq: 1 }), "unknown_event");
  });
}

await test("[default] polling upgraded to websocket, one manager for two namespaces", async () => {
  // socket.io-client's defaults: long-polling first, then the upgrade; namespaces multiplexed on one connection.
  const lobby = io(URL + "/", { reconnection: false, forceNew: true, timeout: WAIT_MS });
  opened.push(lobby);
  await new Promise((resolve, reject) => {
    lobby.once("connect", resolve);
    lobby.once("connect_error", reject);
  });
  const table = lobby.io.socket("/tables/t7");
  opened.push(table);
  table.connect();
  await new Promise((resolve, reject) => {
    table.once("connect", resolve);
    table.once("connect_error", reject);
  });
  if (lobby.io.engine.transport.name !== "websocket") {
    await new Promise((resolve) => lobby.io.engine.once("upgrade", resolve));
  }
  assert.equal(lobby.io.engine.transport.name, "websocket");
  assert.equal((await ack(lobby, "ping", { seq: 11 })).pong, 11);
  assert.deepEqual(await ack(table, "move", { piece: "pawn", to: { x: 1, y: 2 } }), { accepted: true, reason: null });
});

await test("[websocket] a message over the transport limit closes that connection only", async () => {
  // The transport limit is twice the message limit, at least 64 KiB.
  const limit = Math.max(2 * MAX_BYTES, 64 * 1024);
  const big = await connected("/", "websocket");
  const other = await connected("/", "websocket");
  const gone = new Promise((resolve) => big.once("disconnect", resolve));
  big.emit("ping", { seq: 1, pad: "x".repeat(limit + 1024) });
  const reason = await gone;
  assert.equal(reason, "transport close");
  assert.equal((await ack(other, "ping", { seq: 4 })).pong, 4);
});

// ---------------------------------------------------------------------------------------------------------
// The server's defences (issue 12).

/** The server's resident memory in KiB (Linux `/proc`), or `null` where it cannot be read. */
function serverRssKib() {
  if (!SERVER_PID) return null;
  try {
    const status = readFileSync(`/proc/${SERVER_PID}/status`, "utf8");
    const line = status.split("\n").find((l) => l.startsWith("VmRSS:"));
    return line ? Number(line.split(/\s+/)[1]) : null;
  } catch {
    return null;
  }
}

for (const t of TRANSPORTS) {
  await test(`[${t}] a foreign Origin is refused before the handshake, the server's own origin admitted`, async () => {
    const s = socket("/", t, { extraHeaders: { Origin: "http://evil.example" } });
    const error = await new Promise((resolve, reject) => {
      s.once("connect", () => reject(new Error("a foreign origin was admitted")));
      s.once("connect_error", resolve);
    });
    // A transport error (the handshake answered 403), not a namespace's refusal.
    assert.notEqual(error.message, "");
    assert.equal(error.data, undefined, JSON.stringify(error.data));
    const same = await connected("/", t, { extraHeaders: { Origin: URL } });
    assert.equal((await ack(same, "ping", { seq: 21 })).pong, 21);
    const vite = await connected("/", t, { extraHeaders: { Origin: "http://localhost:5173" } });
    assert.equal((await ack(vite, "ping", { seq: 22 })).pong, 22);
  });

  await test(`[${t}] a Buffer over the message limit -> payload_too_large`, async () => {
    const s = await connected("/", t);
    envelope(await ack(s, "ping", Buffer.alloc(MAX_BYTES + 1)), "payload_too_large");
    // Several attachments count together.
    const half = Buffer.alloc(Math.ceil(MAX_BYTES / 2) + 1);
    envelope(await ack(s, "ping", half, half), "payload_too_large");
    assert.equal((await ack(s, "ping", { seq: 23 })).pong, 23);
  });
}

await test("[websocket] binary attachments over the transport limit in all close that connection only", async () => {
  // Each attachment is its own frame, under the transport limit; together they are over it.
  const limit = Math.max(2 * MAX_BYTES, 64 * 1024);
  const big = await connected("/", "websocket");
  const other = await connected("/", "websocket");
  const gone = new Promise((resolve) => big.once("disconnect", resolve));
  const part = Buffer.alloc(Math.ceil(limit / 2) + 1024);
  big.emit("ping", part, part);
  assert.equal(await gone, "transport close");
  assert.equal((await ack(other, "ping", { seq: 24 })).pong, 24);
});

await test("[websocket] 1,000s of wrong array items -> 100 details and a count of the rest", async () => {
  const s = await connected("/tables/t5", "websocket");
  // As many wrong items as the message limit holds: each one a violation.
  const count = Math.floor((MAX_BYTES - 200) / 2);
  const annotations = Array(count).fill(1);
  const error = envelope(await ack(s, "move", { piece: "pawn", to: { x: 1, y: 1 }, annotations }), "validation_failed");
  assert.equal(error.details.length, 101, `${error.details.length} details`);
  const last = error.details[100];
  assert.equal(last.path, "");
  // At least one violation per item plus `maxItems`; 100 listed, the rest counted.
  const rest = Number(/^(\d+) more violations not listed \(at most 100 are\)$/.exec(last.message)?.[1]);
  assert.ok(rest >= count + 1 - 100, last.message);
});

/** A manager (one connection) multiplexing namespaces, as a browser tab does. */
function manager() {
  return io(URL + "/", { reconnection: false, forceNew: true, timeout: WAIT_MS, transports: ["websocket"] }).io;
}

/** Connects `path` on `m`; resolves with `null` when admitted, with the `connect_error` message otherwise. */
function join(m, path) {
  const s = m.socket(path);
  opened.push(s);
  return new Promise((resolve) => {
    s.once("connect", () => resolve(null));
    s.once("connect_error", (error) => resolve(error.message));
    s.connect();
  }).finally(() => s.disconnect());
}

/** Thousands of connects, in batches of `size`, on one manager. */
async function joinMany(m, count, size, path, check) {
  for (let start = 0; start < count; start += size) {
    const batch = Array.from({ length: Math.min(size, count - start) }, (_, i) => join(m, path(start + i)));
    for (const outcome of await Promise.all(batch)) check(outcome);
    opened.length = 0;
  }
}

// Were refused or emptied namespaces kept, the server's cap of dynamic namespaces (E2E_MAX_DYNAMIC_NAMESPACES)
// would be reached after a few dozen and connects refused with "too many namespaces".
const MANY_CONNECTS_MS = 60_000;

await test(
  "[default] 5,000 refused connects to random dynamic namespaces leave nothing behind",
  async () => {
    const m = manager();
    const before = serverRssKib();
    const random = () => Math.random().toString(36).slice(2);
    // 100 at a time: the answers of a batch fit the server's send buffer of one connection (256 packets).
    await joinMany(m, 5000, 100, (i) => `/tables/nope-${i}-${random()}`, (message) =>
      assert.match(message ?? "admitted", /^invalid namespace `\/tables\/nope-/),
    );
    const after = serverRssKib();
    assert.ok(5000 > MAX_DYNAMIC_NAMESPACES);
    assert.equal(await join(m, "/tables/t9"), null);
    if (before !== null && after !== null) {
      console.log(`# server RSS ${before} KiB before, ${after} KiB after 5,000 refused connects`);
    }
    m.engine.close();
  },
  MANY_CONNECTS_MS,
);

await test(
  "[default] 1,000 tables joined and left are removed with their last client",
  async () => {
    const m = manager();
    // 20 at a time: well under the cap even while the last batch's namespaces are being removed.
    await joinMany(m, 1000, 20, (i) => `/tables/t${1000 + i}`, (message) => assert.equal(message, null));
    assert.ok(1000 > MAX_DYNAMIC_NAMESPACES);
    m.engine.close();
  },
  MANY_CONNECTS_MS,
);

await test("[websocket] a flooding socket is rate-limited while another keeps being answered", async () => {
  const flooder = await connected("/", "websocket");
  const other = await connected("/", "websocket");
  // Twice the default burst (100) at once; fewer than the 256 answers a connection's send buffer holds.
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => ack(flooder, "ping", { seq: i })));
  const limited = answers.filter((a) => a && a.error);
  for (const answer of limited) {
    assert.equal(envelope(answer, "rate_limited").message, "too many events: slow down");
  }
  assert.ok(limited.length >= 50, `${limited.length} of 200 refused`);
  assert.ok(answers.length - limited.length >= 100, `${answers.length - limited.length} of 200 answered`);
  for (let i = 0; i < 5; i += 1) {
    assert.equal((await ack(other, "ping", { seq: 100 + i })).pong, 100 + i);
  }
});

finish();
