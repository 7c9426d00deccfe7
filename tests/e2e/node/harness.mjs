// The helpers of the Node suites (`suite.mjs` for `cargo xtask e2e`, `chat.mjs` for `cargo xtask chat-interop`):
// sockets that are closed when their case ends, bounded waits, the error envelope's shape, one line per case.

import assert from "node:assert/strict";
import { io } from "socket.io-client";

/** Every case gets this long, connections and answers included. */
export const CASE_TIMEOUT_MS = 10_000;
/** One answer (acknowledgement, event, connection) gets this long. */
export const WAIT_MS = 5_000;
export const TRANSPORTS = ["websocket", "polling"];

/** An environment variable the xtask sets; exits with status 2 when it is missing. */
export function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`error: ${name} is not set (run the suite through its \`cargo xtask\` command)`);
    process.exit(2);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers: sockets opened by a case are closed when it ends, whatever happened.

export const opened = [];
let base = "";

/** The server every socket of the suite connects to (`http://127.0.0.1:PORT`). */
export function serveAt(url) {
  base = url;
}

/** Options shared by every client: one connection per socket, no reconnection, the case's transport. */
export function options(transport, extra = {}) {
  return {
    forceNew: true,
    reconnection: false,
    timeout: WAIT_MS,
    transports: transport === "polling" ? ["polling"] : ["websocket"],
    ...extra,
  };
}

/** A socket on `namespace`, not yet awaited. */
export function socket(namespace, transport, extra = {}) {
  const s = io(base + namespace, options(transport, extra));
  opened.push(s);
  return s;
}

/** Resolves with the socket once connected; rejects with the `connect_error`. */
export function connected(namespace, transport, extra = {}) {
  const s = socket(namespace, transport, extra);
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", (error) => reject(new Error(`connect_error: ${error.message}`)));
  });
}

/** Resolves with the `connect_error` message; rejects when the client is admitted. */
export function refused(namespace, transport, extra = {}) {
  const s = socket(namespace, transport, extra);
  return new Promise((resolve, reject) => {
    s.once("connect", () => reject(new Error(`connected to ${namespace}, a refusal was expected`)));
    s.once("connect_error", (error) => resolve(error.message));
  });
}

/** The acknowledgement of `event` (one argument). */
export function ack(s, event, ...args) {
  return s.timeout(WAIT_MS).emitWithAck(event, ...args);
}

/** The next `event` the socket receives (register before causing it). */
export function next(s, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no \`${event}\` within ${WAIT_MS} ms`)), WAIT_MS);
    s.once(event, (payload) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

/** The first `event` whose payload satisfies `wanted`, within the wait. */
export function nextMatching(s, event, wanted) {
  return new Promise((resolve, reject) => {
    const listener = (payload) => {
      if (!wanted(payload)) return;
      clearTimeout(timer);
      s.off(event, listener);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      s.off(event, listener);
      reject(new Error(`no matching \`${event}\` within ${WAIT_MS} ms`));
    }, WAIT_MS);
    s.on(event, listener);
  });
}

/** The error envelope, checked for its shape; returns its body. */
export function envelope(answer, code) {
  assert.equal(typeof answer, "object", `an error envelope expected, got ${JSON.stringify(answer)}`);
  assert.ok(answer && answer.error, `an error envelope expected, got ${JSON.stringify(answer)}`);
  const { error } = answer;
  assert.deepEqual(Object.keys(error).sort(), ["code", "details", "message"], JSON.stringify(answer));
  assert.equal(error.code, code, JSON.stringify(answer));
  assert.equal(typeof error.message, "string");
  assert.ok(Array.isArray(error.details));
  for (const detail of error.details) {
    assert.deepEqual(Object.keys(detail).sort(), ["message", "path"], JSON.stringify(detail));
    assert.equal(typeof detail.path, "string");
    assert.equal(typeof detail.message, "string");
  }
  return error;
}

/** The pointers of a `validation_failed` answer, sorted. */
export function paths(answer) {
  return envelope(answer, "validation_failed")
    .details.map((d) => d.path)
    .sort();
}

let passed = 0;
let failed = 0;

/** Runs one case, bounded by `timeoutMs` (the default bound, unless a case needs more: thousands of connects). */
export async function test(name, body, timeoutMs = CASE_TIMEOUT_MS) {
  let timer;
  try {
    await Promise.race([
      body(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    passed += 1;
    console.log(`ok ${name}`);
  } catch (error) {
    failed += 1;
    const detail = String(error && error.message ? error.message : error).replace(/\s+/g, " ");
    console.log(`FAIL ${name}: ${detail}`);
  } finally {
    clearTimeout(timer);
    for (const s of opened) s.disconnect();
    opened.length = 0;
  }
}

/** Prints `N passed, N failed` and exits: 0 when every case passed, 1 otherwise. */
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
