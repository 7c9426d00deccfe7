// The soak of a generated server (`cargo xtask soak`, which builds and starts the chat server and runs this
// script twice at once: `node soak.mjs probe` and `node soak.mjs load`). Environment:
//   SOAK_URL        http://127.0.0.1:PORT
//   SOAK_SECONDS    how long to run
//   SOAK_MAX_BYTES  the server's --max-message-bytes
//   SOAK_PER_IP     the server's --max-connections-per-ip
//   SOAK_HEADER_S   the server's --header-read-timeout (seconds)
//
// `probe` (from 127.0.0.1) keeps one room socket and asks every 200 ms: a message is stored (ack with its id) and
// is the newest of the room's history; every 2 s a fresh connection joins a room from the lobby. Every answer must
// be right and arrive within 5 s.
//
// `load` runs, side by side until the time is up:
//   - Socket.IO clients (127.0.0.1, websocket and polling) sending valid, invalid, oversize and binary messages,
//     unknown events, bursts beyond the rate limit, and cutting their connection abruptly mid-request;
//   - raw WebSocket clients (127.0.0.2) speaking Engine.IO/Socket.IO with malformed packets, frames beyond the
//     transport limit, missing or too many binary attachments, then dropping the TCP connection;
//   - raw long-polling requests (127.0.0.2): garbage bodies, unknown sessions, old protocol versions;
//   - floods of TCP connections that send nothing (127.0.0.3): beyond the per-address cap they must be closed at
//     once, the rest after the header-read timeout;
//   - Engine.IO handshakes that never join a namespace (127.0.0.4): closed by the server after 10 s.
// Every acknowledgement must be the documented success shape or the error envelope
// (`{"error": {"code", "message", "details"}}` with a documented code); every acknowledged request must be
// answered unless its connection was cut on purpose (else the handler task was lost).
//
// Both print one last line `SOAK {json}` with their counts, and `sample` lists a few failures.

import net from "node:net";
import http from "node:http";
import { io } from "socket.io-client";
import WebSocket from "ws";

const URL_BASE = process.env.SOAK_URL;
const SECONDS = Number(process.env.SOAK_SECONDS ?? "60");
const MAX_BYTES = Number(process.env.SOAK_MAX_BYTES ?? "65536");
const PER_IP = Number(process.env.SOAK_PER_IP ?? "64");
const HEADER_S = Number(process.env.SOAK_HEADER_S ?? "2");
if (!URL_BASE) {
  console.error("error: SOAK_URL is not set (run through `cargo xtask soak`)");
  process.exit(2);
}
const { hostname: HOST, port: PORT } = new URL(URL_BASE);
const deadline = Date.now() + SECONDS * 1000;
const running = () => Date.now() < deadline;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ANSWER_MS = 5_000;
/** The codes of the documented envelope (README, "One error shape"). */
const CODES = new Set([
  "validation_failed",
  "not_implemented",
  "unknown_event",
  "unauthorized",
  "forbidden",
  "internal",
  "payload_too_large",
  "rate_limited",
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const counts = {};
const sample = [];
function count(name, by = 1) {
  counts[name] = (counts[name] ?? 0) + by;
}
function failure(name, detail) {
  count(`fail.${name}`);
  if (sample.length < 20) sample.push(`${name}: ${String(detail).slice(0, 300)}`);
}

/** The envelope's code when `answer` is the documented error envelope, else `null`. */
function envelopeCode(answer) {
  if (!answer || typeof answer !== "object" || !answer.error || typeof answer.error !== "object") return null;
  const { error } = answer;
  const keys = Object.keys(error).sort().join(",");
  if (keys !== "code,details,message" || typeof error.message !== "string" || !Array.isArray(error.details)) {
    return null;
  }
  if (!CODES.has(error.code)) return null;
  for (const d of error.details) {
    if (!d || Object.keys(d).sort().join(",") !== "message,path" || typeof d.path !== "string") return null;
  }
  return error.code;
}

// ---------------------------------------------------------------------------------------------------------
// Answers: a request is judged by what its success looks like; an envelope is always a documented answer.

const isSent = (a) => a && UUID.test(a.messageId) && typeof a.sentAt === "string";
const isPage = (a) => a && Array.isArray(a.messages) && typeof a.hasMore === "boolean";
const isJoined = (a) => a && (a.status === "joined" || a.status === "already_member");

/**
 * Sends an acknowledged request and judges its answer. `expect`: the envelope code wanted, or a predicate for
 * the success shape; `also` lists other codes that may come (rate limits under load).
 */
async function request(s, label, event, payload, expect, also = ["rate_limited"]) {
  count("requests");
  let answer;
  try {
    answer = await s.timeout(ANSWER_MS * 2).emitWithAck(event, payload);
  } catch {
    // No answer: fine only when the connection went away meanwhile (cut on purpose, or closed by a limit).
    if (s.connected) failure(`lost.${label}`, `no answer to ${event} on a live connection`);
    else count("requests.cut");
    return;
  }
  count("answered");
  const code = envelopeCode(answer);
  if (code !== null) count(`envelope.${code}`);
  const good =
    typeof expect === "string" ? code === expect : code === null ? expect(answer) : false;
  if (good || (code !== null && also.includes(code))) count(`ok.${label}`);
  else failure(`answer.${label}`, JSON.stringify(answer));
}

// ---------------------------------------------------------------------------------------------------------
// probe

async function probe() {
  const latencies = [];
  const timed = async (label, body) => {
    const started = Date.now();
    try {
      await Promise.race([
        body(),
        sleep(ANSWER_MS).then(() => {
          throw new Error(`no answer within ${ANSWER_MS} ms`);
        }),
      ]);
      latencies.push(Date.now() - started);
      count(`probe.ok`);
    } catch (error) {
      failure(`probe.${label}`, error.message ?? error);
    }
  };
  const room = connectRoom("soak-probe", "soak_probe", "websocket");
  await timed("connect", () => room.ready);
  let n = 0;
  let lastFresh = 0;
  while (running()) {
    n += 1;
    const text = `probe ${process.pid} ${n}`;
    await timed("send_message", async () => {
      const sent = await room.socket.timeout(ANSWER_MS).emitWithAck("send_message", { text });
      if (!isSent(sent)) throw new Error(`send_message acked ${JSON.stringify(sent)}`);
      const page = await room.socket.timeout(ANSWER_MS).emitWithAck("history", { limit: 1 });
      if (!isPage(page) || page.messages[0]?.text !== text || page.messages[0]?.id !== sent.messageId) {
        throw new Error(`history gave ${JSON.stringify(page).slice(0, 200)}, not the message just sent`);
      }
    });
    if (Date.now() - lastFresh > 2000) {
      lastFresh = Date.now();
      const transport = n % 2 === 0 ? "websocket" : "polling";
      await timed(`fresh.${transport}`, async () => {
        const s = io(`${URL_BASE}/`, clientOptions(transport, { username: "soak_fresh" }));
        try {
          await new Promise((resolve, reject) => {
            s.once("connect", resolve);
            s.once("connect_error", reject);
          });
          const joined = await s.timeout(ANSWER_MS).emitWithAck("join_room", { roomId: "soak-probe" });
          if (!isJoined(joined)) throw new Error(`join_room acked ${JSON.stringify(joined)}`);
        } finally {
          s.disconnect();
        }
      });
    }
    await sleep(200);
  }
  room.socket.disconnect();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { probes: latencies.length, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1) };
}

function clientOptions(transport, query, extra = {}) {
  return {
    forceNew: true,
    reconnection: false,
    timeout: ANSWER_MS,
    transports: [transport],
    query,
    ...extra,
  };
}

/** A socket on `/rooms/ROOM`; `ready` resolves once connected. */
function connectRoom(room, username, transport) {
  const socket = io(`${URL_BASE}/rooms/${room}`, clientOptions(transport, { username }));
  const ready = new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", (e) => reject(new Error(`connect_error: ${e.message}`)));
  });
  return { socket, ready };
}

// ---------------------------------------------------------------------------------------------------------
// load: Socket.IO clients

async function client(index) {
  const transport = index % 3 === 2 ? "polling" : "websocket";
  while (running()) {
    const { socket: s, ready } = connectRoom(`soak-r${index % 4}`, `soak_u${index}`, transport);
    s.on("exception", (payload) => {
      if (envelopeCode(payload) === null) failure("exception", JSON.stringify(payload));
      else count("exceptions");
    });
    try {
      await ready;
      count("connects");
    } catch (error) {
      failure("connect", error.message);
      s.disconnect();
      await sleep(500);
      continue;
    }
    while (running() && s.connected) {
      const roll = Math.random() * 100;
      if (roll < 40) {
        await request(s, "send_message", "send_message", { text: `hello ${index}` }, isSent);
      } else if (roll < 55) {
        await request(s, "history", "history", { limit: 5 }, isPage);
      } else if (roll < 65) {
        await request(s, "invalid", "send_message", { text: 5, mentions: "x" }, "validation_failed");
      } else if (roll < 70) {
        await request(s, "unknown_event", "no_such_event", { a: 1 }, "unknown_event");
      } else if (roll < 75) {
        await request(s, "oversize", "send_message", { text: "x".repeat(MAX_BYTES + 1000) }, "payload_too_large");
      } else if (roll < 80) {
        // Binary attachments: one small, one of half the limit (socket.io-client sends them as frames of their own).
        const blob = Buffer.alloc(roll < 77 ? 1024 : MAX_BYTES / 2, 7);
        count("binary");
        await request(s, "binary", "send_message", { text: blob }, "validation_failed");
      } else if (roll < 85) {
        s.emit("typing", { isTyping: roll < 83 });
        s.emit("typing", { isTyping: "yes" }); // answered with an `exception` event (no ack asked)
        count("fire_and_forget", 2);
      } else if (roll < 90) {
        // A burst beyond the token bucket and the in-flight cap: every request answered, some `rate_limited`.
        count("bursts");
        await Promise.all(
          Array.from({ length: 120 }, () => request(s, "burst", "history", { limit: 1 }, isPage)),
        );
      } else if (roll < 95) {
        // Requests in flight, then the TCP connection is dropped without a goodbye.
        count("abrupt");
        const pending = Array.from({ length: 5 }, (_, i) =>
          request(s, "abrupt", "send_message", { text: `cut ${i}` }, isSent),
        );
        const engine = s.io.engine;
        const raw = engine.transport?.ws?._socket;
        if (raw) raw.destroy();
        else engine.close();
        await Promise.all(pending);
        break;
      } else {
        // Beyond the transport limit (twice the message size): the server closes this connection.
        count("transport_limit.sent");
        const closed = new Promise((resolve) => s.once("disconnect", resolve));
        s.emit("send_message", { text: "y".repeat(MAX_BYTES * 3) });
        const outcome = await Promise.race([closed.then(() => "closed"), sleep(ANSWER_MS).then(() => "open")]);
        if (outcome === "closed") count("transport_limit.closed");
        else failure("transport_limit", "a message of 3x the limit did not close the connection");
        break;
      }
      await sleep(25);
    }
    s.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------------
// load: raw WebSocket (Engine.IO v4 / Socket.IO v5 packets written by hand)

const FRAMES = [
  ["truncated json", '42["join_room"'],
  ["not an array", '42{"roomId":"x"}'],
  ["no event name", "42[]"],
  ["event name not a string", "42[1,2]"],
  ["bare message type", "4"],
  ["unknown socket.io type", "49"],
  ["unknown engine.io type", "x"],
  ["empty frame", ""],
  ["leave the namespace", "41"],
  ["unknown namespace", '42/nope,["a"]'],
  ["deep nesting", `42["join_room",${"[".repeat(4000)}${"]".repeat(4000)}]`],
  ["NUL in an event", '421["join_room","\u0000"]'],
  ["wrong payload type", '421["join_room",17]'],
  ["attachment never sent", '451-["join_room",{"_placeholder":true,"num":0}]'],
  ["placeholder out of range", '451-["join_room",{"_placeholder":true,"num":9}]', Buffer.alloc(16)],
  ["too many attachments", '45999-["join_room",{"_placeholder":true,"num":0}]'],
  ["binary frame alone", null, Buffer.alloc(100, 1)],
  ["ack id overflow", '4299999999999999999999["join_room",{"roomId":"soak-raw"}]'],
  ["bad auth to /admin", '40/admin,{"token":"nope"}'],
  ["message beyond the size limit", `421["join_room",{"roomId":"${"a".repeat(MAX_BYTES + 100)}"}]`],
  ["frame beyond the transport limit", `42["join_room","${"b".repeat(MAX_BYTES * 3)}"]`],
];

function rawWebSocket(localAddress) {
  return new WebSocket(`ws://${HOST}:${PORT}/socket.io/?EIO=4&transport=websocket`, {
    localAddress,
    maxPayload: 64 * 1024 * 1024,
  });
}

/** Judges a frame the server sent after a malformed one: an ack or `exception` must be documented. */
function judgeFrame(text) {
  const m = /^4([23])(\d*)(\[.*)$/s.exec(text);
  if (!m) return;
  let args;
  try {
    args = JSON.parse(m[3]);
  } catch {
    return failure("raw.unparsable", text);
  }
  if (m[1] === "3") {
    count("raw.acks");
    if (!(isJoined(args[0]) || envelopeCode(args[0]) !== null)) failure("raw.ack", text);
  } else if (args[0] === "exception") {
    count("raw.exceptions");
    if (envelopeCode(args[1]) === null) failure("raw.exception", text);
  }
}

async function rawClient(n) {
  while (running()) {
    const [name, text, binary] = FRAMES[n % FRAMES.length];
    n += 1;
    const ws = rawWebSocket("127.0.0.2");
    let joined = false;
    let closed = false;
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const frame = data.toString();
      if (frame.startsWith("0")) ws.send("40");
      else if (frame.startsWith("40")) joined = true;
      else if (frame === "2") ws.send("3");
      else judgeFrame(frame);
    });
    ws.on("error", () => {});
    const done = new Promise((resolve) => ws.on("close", () => resolve((closed = true))));
    const start = Date.now();
    while (!joined && !closed && Date.now() - start < ANSWER_MS) await sleep(5);
    if (!joined) {
      if (!closed) failure("raw.join", `no namespace join within ${ANSWER_MS} ms`);
      else count("raw.refused");
      ws.terminate();
      await done;
      await sleep(100);
      continue;
    }
    if (text !== null) ws.send(text);
    if (binary) ws.send(binary);
    // Then a valid acknowledged request on the same connection, if it is still open.
    if (ws.readyState === WebSocket.OPEN) ws.send('421["join_room",{"roomId":"soak-raw"}]');
    count(`raw.sent.${name}`);
    await Promise.race([done, sleep(300)]);
    if (closed) count("raw.closed_by_server");
    ws.terminate(); // abrupt: no close frame, no Engine.IO goodbye
    await done;
  }
}

// ---------------------------------------------------------------------------------------------------------
// load: raw long-polling requests

function httpRequest(method, path, body) {
  return new Promise((resolve) => {
    const req = http.request(
      { host: HOST, port: PORT, method, path, localAddress: "127.0.0.2", agent: false, timeout: ANSWER_MS },
      (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode, text }));
        res.on("error", () => resolve({ status: "reset", text }));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve({ status: "reset", text: "" }));
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

async function pollingGarbage() {
  const base = "/socket.io/?EIO=4&transport=polling";
  while (running()) {
    const handshake = await httpRequest("GET", base);
    const sid = /"sid":"([^"]+)"/.exec(handshake.text)?.[1];
    const cases = [
      ["POST garbage to a session", "POST", `${base}&sid=${sid}`, "4\u001e42[[[\u001e\u0000"],
      ["POST to an unknown session", "POST", `${base}&sid=AAAAAAAAAAAAAAAAAAAA`, "40"],
      ["GET with protocol 3", "GET", "/socket.io/?EIO=3&transport=polling"],
      ["GET an unknown transport", "GET", "/socket.io/?EIO=4&transport=carrier-pigeon"],
      ["POST beyond the transport limit", "POST", `${base}&sid=${sid}`, "4".repeat(MAX_BYTES * 3)],
    ];
    for (const [name, method, path, body] of cases) {
      const { status } = await httpRequest(method, path, body);
      count(`polling.${status}`);
      if (typeof status === "number" && status >= 500) failure("polling", `${name}: HTTP ${status}`);
    }
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------------------
// load: connections that never speak

/** Opens `n` TCP connections from `localAddress` that send nothing; resolves with when each was closed (ms). */
function silentConnections(n, localAddress, giveUpMs) {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((resolve) => {
          const started = Date.now();
          const sock = net.connect({ host: HOST, port: Number(PORT), localAddress });
          const timer = setTimeout(() => {
            sock.destroy();
            resolve(null);
          }, giveUpMs);
          const closed = () => {
            clearTimeout(timer);
            resolve(Date.now() - started);
          };
          sock.on("close", closed);
          sock.on("error", () => {});
        }),
    ),
  );
}

async function connectFloods() {
  const n = PER_IP + 40;
  while (Date.now() + (HEADER_S + 3) * 1000 < deadline) {
    count("flood.rounds");
    const closedAfter = await silentConnections(n, "127.0.0.3", (HEADER_S + 3) * 1000);
    const quickly = closedAfter.filter((ms) => ms !== null && ms < 1000).length;
    const byTimeout = closedAfter.filter((ms) => ms !== null && ms >= 1000).length;
    const stayed = closedAfter.filter((ms) => ms === null).length;
    count("flood.connections", n);
    count("flood.closed_at_once", quickly);
    count("flood.closed_by_header_timeout", byTimeout);
    // The per-address cap: at least the connections beyond it are closed at once.
    if (quickly < n - PER_IP) failure("flood.cap", `${quickly} of ${n} closed at once (cap ${PER_IP})`);
    if (stayed > 0) failure("flood.timeout", `${stayed} silent connections outlived the header timeout`);
    await sleep(1000);
  }
}

async function handshakesWithoutJoin() {
  const JOIN_S = 10;
  while (Date.now() + (JOIN_S + 4) * 1000 < deadline) {
    count("nojoin.rounds");
    const outcomes = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise((resolve) => {
            const ws = rawWebSocket("127.0.0.4");
            ws.on("error", () => {});
            ws.on("message", (data) => {
              if (data.toString() === "2") ws.send("3");
            });
            const timer = setTimeout(() => {
              ws.terminate();
              resolve("open");
            }, (JOIN_S + 3) * 1000);
            ws.on("close", () => {
              clearTimeout(timer);
              resolve("closed");
            });
          }),
      ),
    );
    const stayed = outcomes.filter((o) => o === "open").length;
    count("nojoin.connections", outcomes.length);
    count("nojoin.closed", outcomes.length - stayed);
    if (stayed > 0) failure("nojoin", `${stayed} handshakes without a namespace outlived the join timeout`);
  }
}

async function load() {
  const CLIENTS = Number(process.env.SOAK_CLIENTS ?? "12");
  await Promise.all([
    ...Array.from({ length: CLIENTS }, (_, i) => client(i)),
    ...Array.from({ length: 4 }, (_, i) => rawClient(i * 5)),
    pollingGarbage(),
    connectFloods(),
    handshakesWithoutJoin(),
  ]);
  return {};
}

const mode = process.argv[2];
const extra = mode === "probe" ? await probe() : mode === "load" ? await load() : null;
if (extra === null) {
  console.error("usage: node soak.mjs probe|load");
  process.exit(2);
}
console.log(`SOAK ${JSON.stringify({ mode, ...extra, counts, sample })}`);
process.exit(0);
