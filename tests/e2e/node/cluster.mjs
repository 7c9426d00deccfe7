// The scale-out test (`cargo xtask cluster`): three processes of the arena server sharing one real Redis, with
// socket.io-client sockets on each. The processes (see processes.mjs for what the xtask sets) are killed and
// restarted as the cases say, and all stopped at the end.
//
// Prints one line per case (`ok NAME` or `FAIL NAME: detail`) and a closing `N passed, N failed`.

import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { io } from "socket.io-client";
import { WAIT_MS, next, nextMatching, test, finish } from "./harness.mjs";
import { RECOVERY_MS, arenaNode, get, redisServer, until } from "./processes.mjs";

/** The ping whose handler takes 2 s (tests/e2e/arena/handlers.rs `SLOW_PING_SEQ`). */
const SLOW_PING_SEQ = 999_999;

const sockets = [];
const redis = await redisServer();
const nodes = {};
for (const name of ["a", "b", "c"]) nodes[name] = await arenaNode(name, { FASTSOCKET_REDIS_URL: redis.url });
const { a, b, c } = nodes;

/**
 * A TCP balancer in front of several nodes: each connection goes to the first node that accepts it (what a
 * load balancer does once a node is gone). WebSocket only, so no stickiness is needed.
 */
async function balancer(names) {
  const server = net.createServer((client) => {
    const candidates = names.map((n) => nodes[n].port);
    const attempt = (i) => {
      if (i >= candidates.length) return client.destroy();
      const upstream = net.connect(candidates[i], "127.0.0.1");
      upstream.once("error", () => attempt(i + 1));
      upstream.once("connect", () => {
        upstream.removeAllListeners("error");
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
        client.pipe(upstream).pipe(client);
      });
    };
    attempt(0);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/** A connected websocket client on `base + namespace`. */
async function client(base, namespace = "/", extra = {}) {
  const s = io(base + namespace, {
    forceNew: true,
    transports: ["websocket"],
    reconnection: false,
    timeout: WAIT_MS,
    ...extra,
  });
  sockets.push(s);
  await new Promise((resolve, reject) => {
    s.once("connect", resolve);
    s.once("connect_error", (e) => reject(new Error(`connect_error: ${e.message}`)));
  });
  return s;
}

/** Every `announcement` text a socket receives, in the order received. */
function collect(s, event = "announcement") {
  const seen = [];
  s.on(event, (p) => seen.push(p.text));
  return seen;
}

/**
 * Shouts `texts` from `s`, then waits until each of `receivers` has seen every one of them (in any order: the
 * server handles each event in its own task, so two shouts of one client may be broadcast out of order).
 */
async function shoutAll(s, texts, receivers) {
  const arrived = receivers.map((r) => {
    const missing = new Set(texts);
    return new Promise((resolve, reject) => {
      const listener = (p) => {
        missing.delete(p.text);
        if (missing.size === 0) done();
      };
      const timer = setTimeout(() => {
        r.off("announcement", listener);
        reject(new Error(`${missing.size} of ${texts.length} shouts missing, e.g. ${[...missing][0]}`));
      }, WAIT_MS);
      const done = () => {
        clearTimeout(timer);
        r.off("announcement", listener);
        resolve();
      };
      r.on("announcement", listener);
    });
  });
  for (const text of texts) s.emit("shout", { text });
  await Promise.all(arrived);
}

/** The same texts, each once. */
function sameSet(seen, texts) {
  assert.deepEqual([...seen].sort(), [...texts].sort());
}

// ---------------------------------------------------------------------------------------------------------
// The cases, in order: each leaves the cluster as the next one expects it.

let onA, onB, onC;
await test("three nodes on one Redis: /readyz answers 200 {status: ready}, /healthz 200", async () => {
  for (const n of [a, b, c]) {
    const ready = await get(n.port, "/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: "ready" });
    assert.equal((await get(n.port, "/healthz")).status, 200);
  }
  [onA, onB, onC] = await Promise.all([client(a.url), client(b.url), client(c.url)]);
});

await test("broadcast: 50 shouts on node a reach the lobby clients of b and c, each once", async () => {
  const texts = Array.from({ length: 50 }, (_, i) => `a-${i}`);
  const [seenB, seenC] = [collect(onB), collect(onC)];
  await shoutAll(onA, texts, [onB, onC]);
  sameSet(seenB, texts);
  sameSet(seenC, texts);
  onB.off("announcement");
  onC.off("announcement");
});

await test("room: a move on node a reaches table t7's clients on b, not table t8's", async () => {
  const [t7a, t7b, t8b] = await Promise.all([
    client(a.url, "/tables/t7"),
    client(b.url, "/tables/t7"),
    client(b.url, "/tables/t8"),
  ]);
  const elsewhere = [];
  t8b.on("moved", (p) => elsewhere.push(p));
  t8b.on("said", (p) => elsewhere.push(p));
  // A dynamic namespace created by a client's connect subscribes its Redis channels right after (the
  // documented window): `say` from a until b has heard one, then every move must arrive.
  await until("b's /tables/t7 hears a's", async () => {
    const heard = nextMatching(t7b, "said", () => true);
    t7a.emit("say", { text: "anyone?" });
    await heard;
    return true;
  }, RECOVERY_MS);
  const moves = [1, 2, 3, 4, 5].map((x) => ({ piece: "rook", to: { x, y: 1 } }));
  const seen = [];
  t7b.on("moved", (p) => seen.push(p.to.x));
  for (const m of moves) {
    const answer = await t7a.timeout(WAIT_MS).emitWithAck("move", m);
    assert.equal(answer.accepted, true, JSON.stringify(answer));
  }
  await until("every move on b", () => seen.length === moves.length);
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  // A shout on b's lobby after the moves: t8's client would have had them by now.
  await shoutAll(onB, ["after-moves"], [onB]);
  assert.deepEqual(elsewhere, []);
});

await test("query: who on node a lists table t9's clients on a and b (not t10's), then no longer b's once it left", async () => {
  const who = (s) => s.timeout(WAIT_MS).emitWithAck("who", {});
  const [x, y] = await Promise.all([client(a.url, "/tables/t9"), client(b.url, "/tables/t9")]);
  await Promise.all([client(b.url, "/tables/t10"), client(c.url, "/tables/t10")]);
  const both = [x.id, y.id].sort();
  // b's /tables/t9 answers queries once it has subscribed its Redis channels (the documented window), and a
  // client is in its table's room once `on_connect` has run: ask until a sees b's client.
  await until("a's who sees b's client", async () => (await who(x)).players.length === 2, RECOVERY_MS);
  assert.deepEqual(await who(x), { players: both, here: 1 });
  assert.deepEqual(await who(y), { players: both, here: 1 });
  y.disconnect();
  // KNOWN BUG (open): once b has closed its /tables/t9 with its last client, queries from a may wait out
  // socketioxide-redis's request timeout (5 s) for an answer b no longer sends (b still counted as subscribed to
  // the namespace's request channel; seen in one run of two), then answer without b. The answers are right.
  const whoSlow = (s) => s.timeout(10_000).emitWithAck("who", {});
  await until("b's client gone from a's who", async () => (await whoSlow(x)).players.length === 1, RECOVERY_MS);
  assert.deepEqual(await whoSlow(x), { players: [x.id], here: 1 });
}, 30_000);

await test("SIGKILL on node a: b's clients keep working, a's clients reconnect to b through the balancer", async () => {
  const lb = await balancer(["a", "b"]);
  try {
    const viaLb = await client(lb.url, "/", { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
    const firstId = viaLb.id;
    const lost = next(viaLb, "disconnect");
    a.child.kill("SIGKILL");
    await a.child.exited;
    await lost;
    await until("a's client connected again", () => viaLb.connected && viaLb.id !== firstId);
    const pong = await onB.timeout(WAIT_MS).emitWithAck("ping", { seq: 1 });
    assert.equal(pong.pong, 1);
    // The moved client is on b now: c's shout reaches it and b's own client.
    await shoutAll(onC, ["after-kill"], [viaLb, onB]);
    const again = await viaLb.timeout(WAIT_MS).emitWithAck("ping", { seq: 2 });
    assert.equal(again.pong, 2);
  } finally {
    lb.close();
  }
}, 30_000);

await test("Redis restarted: /readyz 503 while it is down (local clients still served), 200 after, delivery resumes", async () => {
  redis.child.kill("SIGTERM");
  await redis.child.exited;
  for (const n of [b, c]) {
    await until(`node ${n.name} reports Redis down`, async () => {
      const r = await get(n.port, "/readyz");
      return r.status === 503 && r.body.reason === "redis unavailable";
    }, RECOVERY_MS);
    assert.equal((await get(n.port, "/healthz")).status, 200);
  }
  // Alone, b still broadcasts to its own clients.
  const local = await client(b.url);
  await shoutAll(onB, ["while-redis-is-down"], [onB, local]);
  await redis.start();
  for (const n of [b, c]) {
    await until(`node ${n.name} ready again`, async () => (await get(n.port, "/readyz")).status === 200, RECOVERY_MS);
  }
  const seen = collect(onB);
  const texts = Array.from({ length: 20 }, (_, i) => `c-${i}`);
  await shoutAll(onC, texts, [onB, local]);
  sameSet(seen, texts);
  onB.off("announcement");
}, 60_000);

await test("Redis prefix isolation: two nodes on another FASTSOCKET_REDIS_PREFIX hear each other, not b's cluster", async () => {
  // Two more nodes on the same Redis, under a prefix of their own (another API, or another tenant's deployment).
  for (const name of ["d", "e"]) {
    nodes[name] = await arenaNode(name, { FASTSOCKET_REDIS_URL: redis.url, FASTSOCKET_REDIS_PREFIX: "cluster-other" });
  }
  const { d, e } = nodes;
  const [onD, onE] = await Promise.all([client(d.url), client(e.url)]);
  const [seenB, seenD] = [collect(onB), collect(onD)];
  // The positive control: d's shouts reach e, so a silence below is the prefix's doing, not a broken link.
  const fromD = Array.from({ length: 10 }, (_, i) => `d-${i}`);
  await shoutAll(onD, fromD, [onE, onD]);
  // b's shouts reach c (same prefix) ...
  const fromB = Array.from({ length: 10 }, (_, i) => `b-${i}`);
  await shoutAll(onB, fromB, [onC, onB]);
  // ... and after one more round trip through Redis on each side, neither cluster has heard the other.
  await shoutAll(onE, ["e-last"], [onD]);
  await shoutAll(onC, ["c-last"], [onB]);
  sameSet(seenB, [...fromB, "c-last"]);
  sameSet(seenD, [...fromD, "e-last"]);
  onB.off("announcement");
  onC.off("announcement");
  onD.off("announcement");
  for (const n of [d, e]) {
    n.child.kill("SIGTERM");
    const { code } = await n.child.exited;
    assert.equal(code, 0);
  }
}, 60_000);

await test("SIGTERM on node c drains it: server_shutdown sent, /readyz 503 draining, the slow handler's ack arrives, exit 0", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  assert.equal((await get(c.port, "/readyz", agent)).status, 200);
  const told = next(onC, "server_shutdown");
  const slow = onC.timeout(10_000).emitWithAck("ping", { seq: SLOW_PING_SEQ });
  // Answered after the slow ping was read: that one's handler is running.
  assert.equal((await onC.timeout(WAIT_MS).emitWithAck("ping", { seq: 3 })).pong, 3);
  c.child.kill("SIGTERM");
  await told;
  const draining = await get(c.port, "/readyz", agent);
  assert.equal(draining.status, 503);
  assert.deepEqual(draining.body, { status: "unavailable", reason: "draining" });
  assert.equal((await slow).pong, SLOW_PING_SEQ);
  const { code, signal } = await c.child.exited;
  assert.equal(signal, null);
  assert.equal(code, 0);
  agent.destroy();
  // b is unaffected.
  assert.equal((await onB.timeout(WAIT_MS).emitWithAck("ping", { seq: 4 })).pong, 4);
}, 30_000);

for (const s of sockets) s.disconnect();
finish();
