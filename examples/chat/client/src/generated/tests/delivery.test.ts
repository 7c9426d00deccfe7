// Generated: delivery across reconnects in the client, against a fake socket (no server) and a fake storage: the
// queue while disconnected, the retry with the same idempotency key, the offsets of numbered events, the `gap`
// state in the composables, and the queue kept in storage across a reload (bounded, corrupt entries ignored).
import { effectScope } from "vue";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Socket } from "socket.io-client";
import { useConnection } from "../composables";
import { Delivery, RESUME_EVENT, STORAGE_PREFIX, type DeliveryKeep, type DeliveryStorage } from "../delivery";
import { FastsocketError } from "../runtime";

/** What the client emitted: event, payload, the `fastsocket` argument and the acknowledgement callback. */
interface Emitted {
  event: string;
  payload: unknown;
  key: string;
  ack: (answer: unknown) => void;
}

/** A socket.io-client socket reduced to what delivery uses; `connect`, `drop` and `fire` play the server. */
class FakeSocket {
  connected = false;
  active = true;
  readonly emitted: Emitted[] = [];
  private readonly handlers = new Map<string, ((...args: unknown[]) => void)[]>();

  on(event: string, handler: (...args: unknown[]) => void): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }

  off(event: string, handler: (...args: unknown[]) => void): this {
    this.handlers.set(
      event,
      (this.handlers.get(event) ?? []).filter((h) => h !== handler),
    );
    return this;
  }

  emit(event: string, payload: unknown, meta: { fastsocket: { key: string } }, ack: (answer: unknown) => void): this {
    this.emitted.push({ event, payload, key: meta.fastsocket.key, ack });
    return this;
  }

  fire(event: string, ...args: unknown[]): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) {
      handler(...args);
    }
  }

  connect(): void {
    this.connected = true;
    this.fire("connect");
  }

  drop(): void {
    this.connected = false;
    this.fire("disconnect", "transport close");
  }

  disconnect(): void {
    this.connected = false;
    this.active = false;
    this.fire("disconnect", "io client disconnect");
  }

  get raw(): Socket {
    return this as unknown as Socket;
  }
}

/** `sessionStorage` in memory, with switches for a full or broken storage. */
class FakeStorage implements DeliveryStorage {
  readonly items = new Map<string, string>();
  failWrites = false;
  failReads = false;

  getItem(key: string): string | null {
    if (this.failReads) {
      throw new Error("SecurityError");
    }
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    if (this.failWrites) {
      throw new Error("QuotaExceededError");
    }
    this.items.set(key, value);
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const ACK_MS = 10_000;
const KEY = `${STORAGE_PREFIX}http://example.test/rooms/general`;

function keepIn(storage: FakeStorage): DeliveryKeep {
  return { storage, key: KEY };
}

/** What the storage holds for the test's key. */
function stored(storage: FakeStorage): { session: string; queue: { event: string; key: string; payload: unknown }[] }[] {
  const text = storage.items.get(KEY);
  return text === undefined ? [] : (JSON.parse(text) as { handles: never[] }).handles;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("requests", () => {
  it("wait while disconnected and go out in order on connect, each with its own key", async () => {
    const socket = new FakeSocket();
    const delivery = new Delivery(socket.raw, 10, ACK_MS);
    const first = delivery.request<string>("send_message", { n: 1 });
    const second = delivery.request<string>("send_message", { n: 2 });
    expect(socket.emitted).toHaveLength(0);
    expect(delivery.queued).toBe(2);
    socket.connect();
    // One at a time: the next once the one before was answered (the server handles them in this order).
    expect(socket.emitted.map((e) => e.payload)).toEqual([{ n: 1 }]);
    const third = delivery.request<string>("send_message", { n: 3 });
    socket.emitted[0].ack("one");
    expect(socket.emitted.map((e) => e.payload)).toEqual([{ n: 1 }, { n: 2 }]);
    socket.emitted[1].ack("two");
    expect(socket.emitted.map((e) => e.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    socket.emitted[2].ack("three");
    expect(socket.emitted[0].key).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(socket.emitted.map((e) => e.key)).size).toBe(3);
    await expect(first).resolves.toBe("one");
    await expect(second).resolves.toBe("two");
    await expect(third).resolves.toBe("three");
    expect(delivery.queued).toBe(0);
    // The backlog done, requests go out at once again, without waiting for each other.
    void delivery.request("send_message", { n: 4 });
    void delivery.request("send_message", { n: 5 });
    expect(socket.emitted).toHaveLength(5);
  });

  it("are sent again with the same key when the connection drops before the answer", async () => {
    const socket = new FakeSocket();
    const delivery = new Delivery(socket.raw, 10, ACK_MS);
    socket.connect();
    const answer = delivery.request<string>("send_message", { n: 1 });
    expect(socket.emitted).toHaveLength(1);
    socket.drop();
    socket.connect();
    expect(socket.emitted).toHaveLength(2);
    expect(socket.emitted[1].key).toBe(socket.emitted[0].key);
    socket.emitted[1].ack("once");
    await expect(answer).resolves.toBe("once");
  });

  it("are refused beyond the queue limit, and fail with `timeout` after the acknowledgement time", async () => {
    const socket = new FakeSocket();
    const delivery = new Delivery(socket.raw, 1, ACK_MS);
    const waiting = delivery.request("send_message", { n: 1 });
    await expect(delivery.request("send_message", { n: 2 })).rejects.toMatchObject({ code: "queue_full" });
    vi.advanceTimersByTime(ACK_MS);
    await expect(waiting).rejects.toBeInstanceOf(FastsocketError);
    await expect(waiting).rejects.toMatchObject({ code: "timeout" });
    expect(delivery.queued).toBe(0);
  });
});

describe("numbered events", () => {
  it("reach the listeners once, in order; a gap restarts the count at the server's head", () => {
    const socket = new FakeSocket();
    const delivery = new Delivery(socket.raw, 10, ACK_MS);
    const seen: unknown[] = [];
    delivery.listen("message", (payload) => seen.push(payload));
    socket.connect();
    socket.fire(RESUME_EVENT, { status: "fresh", epoch: "00000000000000aa", offset: 4, replayed: 0 });
    socket.fire("message", "a", 5);
    socket.fire("message", "a again", 5);
    socket.fire("message", "b", 6);
    expect(delivery.auth()).toEqual({ session: delivery.session, epoch: "00000000000000aa", offset: 6 });
    socket.drop();
    socket.connect();
    socket.fire(RESUME_EVENT, { status: "gap", epoch: "00000000000000aa", offset: 40, replayed: 0 });
    socket.fire("message", "old", 7);
    socket.fire("message", "c", 41);
    expect(seen).toEqual(["a", "b", "c"]);
    expect(delivery.status).toBe("gap");
  });
});

describe("useConnection", () => {
  it("exposes the delivery state, `gap` included, so the page can refetch", () => {
    const socket = new FakeSocket();
    const delivery = new Delivery(socket.raw, 10, ACK_MS);
    const handle = {
      socket: socket.raw,
      get connected() {
        return socket.connected;
      },
      disconnect: () => socket.disconnect(),
      onException: () => () => undefined,
      get deliveryStatus() {
        return delivery.status;
      },
      delivery,
    };
    const scope = effectScope();
    const connection = scope.run(() => useConnection(handle, 10))!;
    expect(connection.delivery.value).toBe("waiting");
    socket.connect();
    socket.fire(RESUME_EVENT, { status: "fresh", epoch: "00000000000000aa", offset: 0, replayed: 0 });
    expect(connection.delivery.value).toBe("fresh");
    expect(connection.state.value).toBe("connected");
    socket.drop();
    expect(connection.state.value).toBe("connecting");
    socket.connect();
    socket.fire(RESUME_EVENT, { status: "gap", epoch: "00000000000000aa", offset: 9, replayed: 0 });
    expect(connection.delivery.value).toBe("gap");
    socket.fire(RESUME_EVENT, { status: "resumed", epoch: "00000000000000aa", offset: 9, replayed: 0 });
    expect(connection.delivery.value).toBe("resumed");
    scope.stop();
    expect(socket.active).toBe(false);
  });
});

describe("the queue kept in storage (`persist`)", () => {
  it("survives a reload: the next page's handle sends the same requests, in order, with their keys and session", () => {
    const storage = new FakeStorage();
    const before = new FakeSocket();
    const page1 = new Delivery(before.raw, 10, ACK_MS, keepIn(storage));
    void page1.request("send_message", { n: 1 }).catch(() => undefined);
    void page1.request("send_message", { n: 2 }).catch(() => undefined);
    // Nothing is written while the page is shown.
    expect(storage.items.size).toBe(0);
    page1.hide();
    expect(stored(storage)).toEqual([
      {
        session: page1.session,
        queue: [
          expect.objectContaining({ event: "send_message", payload: { n: 1 } }),
          expect.objectContaining({ event: "send_message", payload: { n: 2 } }),
        ],
      },
    ]);
    const keys = stored(storage)[0].queue.map((r) => r.key);

    const after = new FakeSocket();
    const page2 = new Delivery(after.raw, 10, ACK_MS, keepIn(storage));
    expect(page2.session).toBe(page1.session);
    expect(page2.restored).toBe(2);
    expect(page2.auth()).toEqual({ session: page1.session });
    // Taken: a second reload (or another handle) does not send them again.
    expect(storage.items.has(KEY)).toBe(false);
    after.connect();
    after.emitted[0].ack("stored");
    expect(page2.queued).toBe(1);
    expect(after.emitted.map((e) => [e.payload, e.key])).toEqual([
      [{ n: 1 }, keys[0]],
      [{ n: 2 }, keys[1]],
    ]);
  });

  it("follows the queue while hidden, and takes it back when the page is shown", () => {
    const storage = new FakeStorage();
    const socket = new FakeSocket();
    const delivery = new Delivery(socket.raw, 10, ACK_MS, keepIn(storage));
    socket.connect();
    void delivery.request("send_message", { n: 1 });
    delivery.hide();
    void delivery.request("send_message", { n: 2 });
    expect(stored(storage)[0].queue.map((r) => r.payload)).toEqual([{ n: 1 }, { n: 2 }]);
    socket.emitted[0].ack("answered");
    expect(stored(storage)[0].queue.map((r) => r.payload)).toEqual([{ n: 2 }]);
    socket.emitted[1].ack("answered");
    expect(storage.items.has(KEY)).toBe(false);
    void delivery.request("send_message", { n: 3 });
    expect(storage.items.has(KEY)).toBe(true);
    delivery.show();
    expect(storage.items.has(KEY)).toBe(false);
  });

  it("is bounded: at most the queue limit is restored, and requests whose time ran out are dropped", () => {
    const storage = new FakeStorage();
    const page1 = new Delivery(new FakeSocket().raw, 10, ACK_MS, keepIn(storage));
    for (let n = 1; n <= 5; n += 1) {
      void page1.request("send_message", { n }).catch(() => undefined);
    }
    page1.hide();
    const page2 = new Delivery(new FakeSocket().raw, 3, ACK_MS, keepIn(storage));
    expect(page2.restored).toBe(3);
    expect(storage.items.has(KEY)).toBe(false);
    const late = { event: "send_message", payload: { n: 9 }, key: "ef".repeat(16), deadline: Date.now() - 1 };
    storage.items.set(KEY, JSON.stringify({ v: 1, handles: [{ session: "ab".repeat(16), queue: [late] }] }));
    const socket = new FakeSocket();
    const page3 = new Delivery(socket.raw, 10, ACK_MS, keepIn(storage));
    expect(page3.restored).toBe(0);
    socket.connect();
    expect(socket.emitted).toHaveLength(0);
  });

  it("gives each handle of the same namespace its own entry", () => {
    const storage = new FakeStorage();
    const a = new Delivery(new FakeSocket().raw, 10, ACK_MS, keepIn(storage));
    const b = new Delivery(new FakeSocket().raw, 10, ACK_MS, keepIn(storage));
    void a.request("send_message", { from: "a" }).catch(() => undefined);
    void b.request("send_message", { from: "b" }).catch(() => undefined);
    a.hide();
    b.hide();
    const sessions = [
      new Delivery(new FakeSocket().raw, 10, ACK_MS, keepIn(storage)).session,
      new Delivery(new FakeSocket().raw, 10, ACK_MS, keepIn(storage)).session,
    ];
    expect(sessions).toEqual([a.session, b.session]);
  });

  it("keeps nothing for a handle the client closed", () => {
    const storage = new FakeStorage();
    const socket = new FakeSocket();
    const delivery = new Delivery(socket.raw, 10, ACK_MS, keepIn(storage));
    void delivery.request("send_message", { n: 1 }).catch(() => undefined);
    socket.disconnect();
    delivery.hide();
    expect(storage.items.has(KEY)).toBe(false);
  });

  it.each([
    ["not JSON", "{"],
    ["another version", JSON.stringify({ v: 2, handles: [] })],
    ["no list", JSON.stringify({ v: 1, handles: "x" })],
    ["a bad session", JSON.stringify({ v: 1, handles: [{ session: "nope", queue: [] }] })],
    ["null", "null"],
  ])("ignores a corrupt entry (%s): a new session, nothing sent", (_, text) => {
    const storage = new FakeStorage();
    storage.items.set(KEY, text);
    const socket = new FakeSocket();
    const delivery = new Delivery(socket.raw, 10, ACK_MS, keepIn(storage));
    expect(delivery.restored).toBe(0);
    expect(delivery.session).toMatch(/^[0-9a-f]{32}$/);
    socket.connect();
    expect(socket.emitted).toHaveLength(0);
  });

  it("skips malformed requests of an entry and sends the others", () => {
    const storage = new FakeStorage();
    const session = "ab".repeat(16);
    const good = { event: "send_message", payload: { n: 1 }, key: "cd".repeat(16), deadline: Date.now() + 1000 };
    storage.items.set(
      KEY,
      JSON.stringify({
        v: 1,
        handles: [{ session, queue: [null, { event: 3 }, { ...good, key: "short" }, { ...good, deadline: "soon" }, good] }],
      }),
    );
    const socket = new FakeSocket();
    const delivery = new Delivery(socket.raw, 10, ACK_MS, keepIn(storage));
    expect(delivery.session).toBe(session);
    socket.connect();
    expect(socket.emitted.map((e) => e.key)).toEqual([good.key]);
  });

  it("works on without a storage that reads or writes: requests stay in memory", async () => {
    const storage = new FakeStorage();
    storage.failReads = true;
    storage.failWrites = true;
    const socket = new FakeSocket();
    const delivery = new Delivery(socket.raw, 10, ACK_MS, keepIn(storage));
    const answer = delivery.request<string>("send_message", { n: 1 });
    delivery.hide();
    delivery.show();
    socket.connect();
    socket.emitted[0].ack("fine");
    await expect(answer).resolves.toBe("fine");
  });
});
