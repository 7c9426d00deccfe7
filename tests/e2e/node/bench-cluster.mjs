// The scale-out benchmark (`cargo xtask bench-cluster [--smoke]`), not a test: broadcast latency and throughput
// of the arena server's `shout` (one client's event broadcast to the lobby) on one node with the in-process
// adapter, on one node with the Redis adapter, and across two nodes on Redis (the sender on one, every
// receiver on the other). Prints a Markdown table. The processes are described in processes.mjs.
//
// E2E_BENCH_SMOKE=1: a few messages only (checks that the benchmark runs, measures nothing worth keeping).

import { io } from "socket.io-client";
import { WAIT_MS } from "./harness.mjs";
import { arenaNode, redisServer } from "./processes.mjs";

const SMOKE = process.env.E2E_BENCH_SMOKE === "1";
/** Lobby clients receiving every broadcast. */
const RECEIVERS = SMOKE ? 2 : 10;
/** Broadcasts sent one at a time (the next once every receiver has the last): latency without queueing. */
const PACED = SMOKE ? 20 : 500;
/** Broadcasts sent for the throughput, in windows of [`WINDOW`]. */
const BURST = SMOKE ? 50 : 5000;
/**
 * Broadcasts outstanding at most (sent, not yet received by every receiver): below the server's per-socket
 * buffer (`max_buffer_size`, 256 packets), beyond which emits to a slow receiver fail instead of queueing.
 */
const WINDOW = 100;

// No log line per event (processes.mjs lifts the rate limits).
const SERVER_ENV = { RUST_LOG: "warn" };

async function connect(url) {
  const s = io(url + "/", { forceNew: true, transports: ["websocket"], reconnection: false, timeout: WAIT_MS });
  await new Promise((resolve, reject) => {
    s.once("connect", resolve);
    s.once("connect_error", (e) => reject(new Error(`connect_error: ${e.message}`)));
  });
  return s;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Sends broadcasts from `sender` and resolves once every receiver has every one of `ids`. Each message's text
 * is `PREFIX-ID`; `sentAt` and the latencies are in milliseconds (one clock: this process's).
 */
function deliver(sender, receivers, prefix, ids, latencies) {
  const sentAt = new Map();
  const waits = receivers.map((r) => {
    const missing = new Set(ids.map((id) => `${prefix}-${id}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${missing.size} broadcasts lost`)), 60_000);
      const listener = (p) => {
        if (!missing.delete(p.text)) return;
        latencies?.push(performance.now() - sentAt.get(p.text));
        if (missing.size === 0) {
          clearTimeout(timer);
          r.off("announcement", listener);
          resolve();
        }
      };
      r.on("announcement", listener);
    });
  });
  for (const id of ids) {
    const text = `${prefix}-${id}`;
    sentAt.set(text, performance.now());
    sender.emit("shout", { text });
  }
  return Promise.all(waits);
}

async function measure(label, senderUrl, receiverUrl) {
  const sender = await connect(senderUrl);
  const receivers = await Promise.all(Array.from({ length: RECEIVERS }, () => connect(receiverUrl)));
  // Warm-up: connections and caches settled before anything is measured.
  await deliver(sender, receivers, "warm", [0, 1, 2], null);
  const latencies = [];
  for (let i = 0; i < PACED; i += 1) await deliver(sender, receivers, "p", [i], latencies);
  latencies.sort((x, y) => x - y);
  const started = performance.now();
  for (let first = 0; first < BURST; first += WINDOW) {
    const ids = Array.from({ length: Math.min(WINDOW, BURST - first) }, (_, i) => first + i);
    await deliver(sender, receivers, "b", ids, null);
  }
  const seconds = (performance.now() - started) / 1000;
  for (const s of [sender, ...receivers]) s.disconnect();
  return {
    label,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    messages: BURST / seconds,
    deliveries: (BURST * RECEIVERS) / seconds,
  };
}

const rows = [];
const local = await arenaNode("local", SERVER_ENV);
rows.push(await measure("1 node, in-process adapter", local.url, local.url));
local.child.kill("SIGTERM");
await local.child.exited;

const redis = await redisServer();
const onRedis = { ...SERVER_ENV, FASTSOCKET_REDIS_URL: redis.url };
const one = await arenaNode("one", onRedis);
rows.push(await measure("1 node, Redis adapter", one.url, one.url));
const two = await arenaNode("two", onRedis);
rows.push(await measure("2 nodes on Redis: sender on one, receivers on the other", one.url, two.url));

console.log(
  `\n${SMOKE ? "(smoke run: too few messages to mean anything)\n" : ""}` +
    `${RECEIVERS} receivers; latency over ${PACED} broadcasts sent one at a time, throughput over ${BURST} sent ${WINDOW} at a time\n`,
);
console.log("| setup | latency p50 | latency p99 | broadcasts/s | deliveries/s |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.label} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${Math.round(r.messages)} | ${Math.round(r.deliveries)} |`,
  );
}
process.exit(0);
