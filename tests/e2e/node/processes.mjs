// The processes of the scale-out scripts (`cluster.mjs` for `cargo xtask cluster`, `bench-cluster.mjs` for
// `cargo xtask bench-cluster`): redis-server and servers of the arena crate, started on free loopback ports
// with their logs in E2E_WORK, and all killed when the script exits, whatever happened.
//
// Set by the xtask:
//   E2E_BINARY        the built arena server
//   E2E_CRATE_DIR     its crate folder (the servers' working directory)
//   E2E_REDIS_SERVER  the redis-server program
//   E2E_WORK          a scratch folder (Redis's folder, the logs)

import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { WAIT_MS, required } from "./harness.mjs";

const BINARY = required("E2E_BINARY");
const CRATE_DIR = required("E2E_CRATE_DIR");
const REDIS_SERVER = required("E2E_REDIS_SERVER");
const WORK = required("E2E_WORK");
/** How long a node may take to notice Redis is gone or back (it pings every 2 s; reconnects back off to 5 s). */
export const RECOVERY_MS = 20_000;

const children = new Set();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(2));
}

/** A free loopback port (released before it is used: a small race, as in the other xtasks). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts `program`; its output is appended to `E2E_WORK/NAME.log`; `child.exited` resolves `{code, signal}`. */
function start(name, program, args, env = {}) {
  const log = openSync(join(WORK, `${name}.log`), "a");
  const child = spawn(program, args, {
    cwd: CRATE_DIR,
    env: { ...process.env, ...env },
    stdio: ["ignore", log, log],
  });
  children.add(child);
  child.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.exited.then(() => children.delete(child));
  return child;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true, every 100 ms, at most `ms`. */
export async function until(what, probe, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

/** `GET path` → `{status, body}` (through `agent` when given: a kept-alive connection). */
export function get(port, path, agent) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path, agent }, (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode, body: JSON.parse(body || "null") }));
    });
    request.on("error", reject);
    request.setTimeout(WAIT_MS, () => request.destroy(new Error("timed out")));
  });
}

/** One redis-server on a free loopback port, with its own folder; `start()` (again after `child.kill`). */
export async function redisServer() {
  const dir = join(WORK, "redis");
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const redis = {
    port,
    url: `redis://127.0.0.1:${port}/`,
    child: null,
    async start() {
      redis.child = start("redis", REDIS_SERVER, [
        "--port", String(port),
        "--bind", "127.0.0.1",
        "--dir", dir,
        "--save", "",
        "--appendonly", "no",
      ]);
      await until("redis-server answers PING", () => ping(port));
    },
  };
  await redis.start();
  return redis;
}

function ping(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, "127.0.0.1");
    c.once("error", () => resolve(false));
    c.once("connect", () => c.write("PING\r\n"));
    c.once("data", (data) => {
      c.destroy();
      resolve(data.toString().startsWith("+PONG"));
    });
  });
}

/**
 * Starts the arena server `name` on a free port with `env` (e.g. `FASTSOCKET_REDIS_URL`) and waits until its
 * `/readyz` answers 200. Returns `{name, port, url, child}`. No per-socket rate limit: one client sends bursts
 * of broadcasts here, which the default limits (16 events in flight) would answer with `rate_limited`.
 */
export async function arenaNode(name, env = {}) {
  const port = await freePort();
  const child = start(name, BINARY, ["serve", "--host", "127.0.0.1", "--port", String(port)], {
    FASTSOCKET_AUTH_TOKENS: "cluster-token",
    FASTSOCKET_EVENTS_PER_SECOND: "0",
    FASTSOCKET_MAX_IN_FLIGHT: "0",
    RUST_LOG: "info",
    ...env,
  });
  await until(`node ${name} ready`, async () => (await get(port, "/readyz")).status === 200, RECOVERY_MS);
  return { name, port, child, url: `http://127.0.0.1:${port}` };
}
