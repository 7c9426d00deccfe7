// The clients of `cargo xtask chaos`: CHAOS_CLIENTS generated chat clients (the checked-in Vue client's
// `client.ts`, bundled for Node by the xtask), through the xtask's cutting proxy, each in one of the rooms, each
// sending numbered messages one after the other (the next once the previous is answered) for CHAOS_SECONDS. Every
// client records the `message` events it receives. At the end one JSON line on stdout tells what was sent and what
// arrived; the xtask judges it.
//
//   CHAOS_CLIENT    the bundled client module (an absolute path)
//   CHAOS_URL       http://127.0.0.1:PORT of the proxy
//   CHAOS_CLIENTS   how many clients
//   CHAOS_ROOMS     how many rooms they are spread over
//   CHAOS_SECONDS   how long they send
//   CHAOS_DRAIN     seconds allowed afterwards for every client to reconnect and be answered
//   CHAOS_DELIVERY  `on` (the generated client's default) or `off` (a plain Socket.IO client)

import { pathToFileURL } from "node:url";

const env = (name) => {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set`);
  }
  return value;
};
const { createClient } = await import(pathToFileURL(env("CHAOS_CLIENT")).href);
const url = env("CHAOS_URL");
const clients = Number(env("CHAOS_CLIENTS"));
const rooms = Number(env("CHAOS_ROOMS"));
const seconds = Number(env("CHAOS_SECONDS"));
const drain = Number(env("CHAOS_DRAIN"));
const delivery = env("CHAOS_DELIVERY") === "on";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Requests outlive any cut the proxy makes; a lost one (feature off) fails after this.
const ACK_TIMEOUT_MS = 15_000;
// Pause between a client's answer and its next message.
const PAUSE_MS = 250;

/** One client: its name, room, handle and what it saw. */
const members = [];
for (let i = 0; i < clients; i += 1) {
  const name = `chaos${i}`;
  const room = `chaos-room-${i % rooms}`;
  const client = createClient(url, {
    delivery: delivery ? {} : false,
    ackTimeoutMs: ACK_TIMEOUT_MS,
    socket: {
      forceNew: true,
      transports: ["websocket"],
      query: { username: name },
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
    },
  });
  const handle = client.room({ roomId: room });
  const member = { name, room, client, handle, sent: 0, acked: 0, failed: 0, received: new Map(), gaps: 0 };
  handle.listen.chatMessageEvent((message) => {
    const [sender, seq] = message.text.split(":");
    let seen = member.received.get(sender);
    if (seen === undefined) {
      seen = [];
      member.received.set(sender, seen);
    }
    seen.push([Number(seq), message.id]);
  });
  handle.delivery?.watch((status) => {
    if (status === "gap") {
      member.gaps += 1;
    }
  });
  members.push(member);
}

// Everyone in before anyone sends: a member that joins late would miss what was sent before, by design.
const connectedBy = Date.now() + 30_000;
while (members.some((m) => !m.handle.connected) && Date.now() < connectedBy) {
  await sleep(100);
}
// The server announces members on connect (its `on_connect` hook): give the last ones a moment.
await sleep(500);

const stopAt = Date.now() + seconds * 1000;
await Promise.all(
  members.map(async (member) => {
    // Spread the first sends over the pause so the clients do not beat in step.
    await sleep(Math.random() * PAUSE_MS);
    while (Date.now() < stopAt) {
      member.sent += 1;
      try {
        await member.handle.send.sendMessage({ text: `${member.name}:${member.sent}` });
        member.acked += 1;
      } catch {
        member.failed += 1;
      }
      await sleep(PAUSE_MS);
    }
  }),
);

// The proxy has stopped cutting: wait until every client is back and has nothing waiting, then a moment for
// the last broadcasts and replays.
const drainBy = Date.now() + drain * 1000;
while (
  members.some((m) => !m.handle.connected || (m.handle.delivery?.queued ?? 0) > 0) &&
  Date.now() < drainBy
) {
  await sleep(100);
}
await sleep(2000);

// What the server handled: a message acknowledged, or seen by anyone (its answer may have been lost).
const handled = new Map(); // "sender:seq" -> Set of message ids (more than one: the handler ran twice)
for (const member of members) {
  for (const [sender, seen] of member.received) {
    for (const [seq, id] of seen) {
      const key = `${sender}:${seq}`;
      if (!handled.has(key)) {
        handled.set(key, new Set());
      }
      handled.get(key).add(id);
    }
  }
}
let toServerSent = 0;
let toServerDelivered = 0;
let handlerDuplicates = 0;
for (const member of members) {
  toServerSent += member.sent;
  for (let seq = 1; seq <= member.sent; seq += 1) {
    const ids = handled.get(`${member.name}:${seq}`);
    if (ids !== undefined) {
      toServerDelivered += 1;
      handlerDuplicates += ids.size - 1;
    }
  }
}
let toClientExpected = 0;
let toClientDelivered = 0;
let feedDuplicates = 0;
let outOfOrder = 0;
for (const member of members) {
  const roommates = members.filter((m) => m.room === member.room);
  for (const sender of roommates) {
    for (let seq = 1; seq <= sender.sent; seq += 1) {
      if (handled.has(`${sender.name}:${seq}`)) {
        toClientExpected += 1;
      }
    }
    const seen = member.received.get(sender.name) ?? [];
    const distinct = new Set(seen.map(([seq]) => seq));
    toClientDelivered += distinct.size;
    feedDuplicates += seen.length - distinct.size;
    for (let i = 1; i < seen.length; i += 1) {
      if (seen[i][0] <= seen[i - 1][0]) {
        outOfOrder += 1;
      }
    }
  }
}
const summary = {
  delivery: delivery ? "on" : "off",
  clients,
  rooms,
  toServer: {
    sent: toServerSent,
    delivered: toServerDelivered,
    acked: members.reduce((n, m) => n + m.acked, 0),
    failed: members.reduce((n, m) => n + m.failed, 0),
  },
  toClient: { expected: toClientExpected, delivered: toClientDelivered },
  handlerDuplicates,
  feedDuplicates,
  outOfOrder,
  gaps: members.reduce((n, m) => n + m.gaps, 0),
  connectedAtEnd: members.filter((m) => m.handle.connected).length,
};
console.log(JSON.stringify(summary));
for (const member of members) {
  member.client.close();
}
process.exit(0);
