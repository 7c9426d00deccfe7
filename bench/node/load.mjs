// The load generator of `cargo xtask bench-load`: one process of socket.io-client 4.8 sockets on `/orders`.
// The xtask starts several of these when one process's CPU would be the bottleneck.
//
// Environment: LOAD_URL (server origin), LOAD_CONNS (sockets), LOAD_RATE (place-order per second, this process;
// 0 holds the sockets idle), LOAD_SECONDS, LOAD_ID (this process's index, in client order ids),
// LOAD_TIMEOUT_MS (ack timeout).
// Protocol (one JSON line each on stdout): `ready {...}` once connected; the xtask writes `go` on stdin; then
// `done {...}`, and the process exits. One payload in ten is invalid (each kind in turn) and must be answered
// with the validation_failed error envelope; every valid one with `{clientOrderId, status: "accepted"}`.
import { io } from "socket.io-client";
import { createInterface } from "node:readline";

const env = process.env;
const url = env.LOAD_URL;
const conns = Number(env.LOAD_CONNS ?? 1);
const rate = Number(env.LOAD_RATE ?? 0);
const seconds = Number(env.LOAD_SECONDS ?? 10);
const id = env.LOAD_ID ?? "0";
const timeoutMs = Number(env.LOAD_TIMEOUT_MS ?? 5000);
/// Sockets connecting at once: a burst of thousands would measure the accept queue, not the server.
const CONNECTING = 200;
const SYMBOLS = ["BTCUSD", "ETHUSD", "EURUSD", "XAU", "SPX"];
/// The invalid payloads, each violating one constraint of bench/orders.yaml.
const INVALID = [
  (n) => ({ clientOrderId: `${id}-${n}`, symbol: "BTCUSD", side: "buy", quantity: 0, price: 10 }),
  (n) => ({ clientOrderId: `${id}-${n}`, symbol: "BTCUSD", side: "hold", quantity: 5, price: 10 }),
  (n) => ({ clientOrderId: `${id}-${n}`, symbol: "btc", side: "sell", quantity: 5, price: 10 }),
  (n) => ({ clientOrderId: `${id}-${n}`, symbol: "ETHUSD", side: "sell", quantity: 5 }),
  (n) => ({ clientOrderId: `${id}-${n}`, symbol: "ETHUSD", side: "sell", quantity: 5, price: -1 }),
];

/// Resolves once the line is handed to the OS: stdout on a pipe is asynchronous, and `process.exit` would cut a
/// long line short.
function say(kind, value) {
  return new Promise((resolve) => process.stdout.write(`${kind} ${JSON.stringify(value)}\n`, resolve));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function connectOne() {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = io(`${url}/orders`, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      timeout: 30000,
    });
    socket.once("connect", () => resolve({ socket, ms: performance.now() - started }));
    socket.once("connect_error", () => {
      socket.close();
      resolve({ socket: null, ms: performance.now() - started });
    });
  });
}

async function connectAll() {
  const sockets = [];
  const times = [];
  let failed = 0;
  let next = 0;
  const started = performance.now();
  async function worker() {
    while (next < conns) {
      next += 1;
      const { socket, ms } = await connectOne();
      if (socket) {
        sockets.push(socket);
        times.push(ms);
      } else {
        failed += 1;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONNECTING, conns) }, worker));
  times.sort((a, b) => a - b);
  return {
    sockets,
    ready: {
      connected: sockets.length,
      failed,
      seconds: (performance.now() - started) / 1000,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
    },
  };
}

function waitForGo() {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.on("line", (line) => {
      if (line.trim() === "go") {
        lines.close();
        resolve();
      }
    });
  });
}

async function load(sockets) {
  const latencies = [];
  let sent = 0;
  let answered = 0;
  let timeouts = 0;
  let wrong = 0;
  let firstWrong = null;
  let outstanding = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const send = () => {
    const n = sent;
    sent += 1;
    const socket = sockets[n % sockets.length];
    const invalid = n % 10 === 9;
    const payload = invalid
      ? INVALID[Math.floor(n / 10) % INVALID.length](n)
      : {
          clientOrderId: `${id}-${n}`,
          symbol: SYMBOLS[n % SYMBOLS.length],
          side: n % 2 === 0 ? "buy" : "sell",
          quantity: 1 + (n % 1000),
          price: 100.5 + (n % 100),
        };
    const at = performance.now();
    outstanding += 1;
    socket.timeout(timeoutMs).emit("place-order", payload, (err, answer) => {
      outstanding -= 1;
      if (err) {
        timeouts += 1;
        return;
      }
      latencies.push(performance.now() - at);
      answered += 1;
      const right = invalid
        ? answer?.error?.code === "validation_failed"
        : answer?.status === "accepted" && answer?.clientOrderId === payload.clientOrderId;
      if (!right) {
        wrong += 1;
        firstWrong ??= { payload, answer };
      }
    });
  };
  if (rate > 0 && sockets.length > 0) {
    const end = started + seconds * 1000;
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const now = Math.min(performance.now(), end);
        // Catch up on the schedule when the event loop lagged: the achieved rate is reported, not assumed.
        const due = Math.floor(((now - started) / 1000) * rate);
        while (sent < due) send();
        if (now >= end) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const drainUntil = performance.now() + timeoutMs + 1000;
    while (outstanding > 0 && performance.now() < drainUntil) {
      await new Promise((r) => setTimeout(r, 20));
    }
  } else {
    await new Promise((r) => setTimeout(r, seconds * 1000));
  }
  const wall = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    sent,
    answered,
    timeouts,
    wrong,
    firstWrong,
    unanswered: outstanding,
    held: sockets.filter((s) => s.connected).length,
    wallSeconds: wall,
    cpuSeconds: (used.user + used.system) / 1e6,
    // Milliseconds, two decimals: the xtask merges the processes' samples for the percentiles.
    latencies: latencies.map((ms) => Math.round(ms * 100) / 100),
  };
}

const { sockets, ready } = await connectAll();
await say("ready", ready);
await waitForGo();
const done = await load(sockets);
await say("done", done);
for (const socket of sockets) socket.close();
process.exit(0);
