// Delivery across reconnects (the server's side and the handshake are described in the generator's
// docs/delivery.md). Per namespace handle: a session the server keeps for a while when the connection drops, the
// offset of the last numbered event the listeners processed (presented at every reconnect, so the server replays
// what was missed), and the requests not answered yet (sent again with the same idempotency key after a reconnect,
// so the server's handler runs once; optionally kept in `sessionStorage` across a reload of the tab). Nothing here
// depends on the document.

import type { Socket } from "socket.io-client";
import { FastsocketError, isErrorEnvelope } from "./runtime";

/** The event that tells how a resume went, before anything replayed. */
export const RESUME_EVENT = "fastsocket:resume";

/** How many requests may wait for a connection (or for their answer after a drop) by default. */
export const DEFAULT_QUEUE_LIMIT = 100;

/**
 * Where delivery stands: `waiting` (no answer to the handshake yet; it stays so against a server with delivery
 * off), `fresh` (a new session), `resumed` (nothing was lost: missed events were replayed), `gap` (the server no
 * longer had everything missed: refetch what the page shows).
 */
export type DeliveryStatus = "waiting" | "fresh" | "resumed" | "gap";

/** Where waiting requests are kept across a reload: `sessionStorage`, or anything with its three methods. */
export interface DeliveryStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** How delivery across reconnects behaves. */
export interface DeliveryOptions {
  /** Requests that may wait at once (default 100); beyond them a request fails at once with code `queue_full`. */
  queueLimit?: number;
  /**
   * Keep the requests not answered yet across a reload of the tab (default off): `true` for `sessionStorage`, or
   * the storage to use. They are written when the page is hidden or unloaded, read back (at most `queueLimit`, the
   * ones whose `ackTimeoutMs` has not run out) by the next page's handle of the same namespace, and sent again with
   * their session and idempotency keys, so the server answers a request it already handled from its cache instead
   * of running the handler again. Their answers go nowhere: the page that asked is gone.
   */
  persist?: boolean | DeliveryStorage;
}

/** Where a handle keeps its waiting requests (see {@link DeliveryOptions.persist}). */
export interface DeliveryKeep {
  storage: DeliveryStorage;
  /** One entry per namespace URL; several handles of the same URL share it. */
  key: string;
}

/** The storage entry's prefix (the namespace URL follows). */
export const STORAGE_PREFIX = "fastsocket.delivery ";

/** The handshake field (`auth.fastsocket`). */
export interface DeliveryAuth {
  session: string;
  epoch?: string;
  offset?: number;
}

/** What the server says after the handshake. */
interface Resume {
  status: "fresh" | "resumed" | "gap";
  epoch: string;
  offset: number;
  replayed: number;
}

/** A request not answered yet. */
interface Pending {
  event: string;
  payload: unknown;
  key: string;
  /** When it fails with `timeout` (milliseconds since the epoch). */
  deadline: number;
  /** The connection it was last sent on (0: not sent yet). */
  sentOn: number;
  settle: (answer: unknown, error: FastsocketError | null) => void;
}

function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buffer);
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a handle keeps in storage: its session and its waiting requests, oldest first. */
interface Kept {
  session: string;
  queue: { event: string; payload: unknown; key: string; deadline: number }[];
}

const HEX32 = /^[0-9a-f]{32}$/;

/** The kept handles of a storage entry; anything unreadable counts as nothing kept. */
function readKept(keep: DeliveryKeep): Kept[] {
  let parsed: unknown;
  try {
    const text = keep.storage.getItem(keep.key);
    if (text === null) {
      return [];
    }
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof parsed !== "object" || parsed === null || (parsed as { v?: unknown }).v !== 1) {
    return [];
  }
  const handles = (parsed as { handles?: unknown }).handles;
  if (!Array.isArray(handles)) {
    return [];
  }
  const kept: Kept[] = [];
  for (const handle of handles) {
    const { session, queue } = (handle ?? {}) as { session?: unknown; queue?: unknown };
    if (typeof session !== "string" || !HEX32.test(session) || !Array.isArray(queue)) {
      continue;
    }
    const requests = queue.filter(
      (r): r is Kept["queue"][number] =>
        typeof r === "object" &&
        r !== null &&
        typeof r.event === "string" &&
        typeof r.key === "string" &&
        HEX32.test(r.key) &&
        typeof r.deadline === "number" &&
        Number.isFinite(r.deadline) &&
        "payload" in r,
    );
    kept.push({ session, queue: requests });
  }
  return kept;
}

/** Writes the kept handles (removes the entry when there are none); a full or failing storage keeps nothing. */
function writeKept(keep: DeliveryKeep, kept: Kept[]): void {
  try {
    if (kept.length === 0) {
      keep.storage.removeItem(keep.key);
    } else {
      keep.storage.setItem(keep.key, JSON.stringify({ v: 1, handles: kept }));
    }
  } catch {
    // Quota exceeded, storage disabled: the requests live in memory only, as without `persist`.
  }
}

/** The delivery state of one namespace handle. */
export class Delivery {
  /** 128 random bits, kept for the life of the handle (and taken over by the next page with `persist`). */
  readonly session: string;
  private epoch: string | null = null;
  /** The offset of the last numbered event handed to the listeners. */
  private offset: number | null = null;
  private current: DeliveryStatus = "waiting";
  private readonly watchers = new Set<(status: DeliveryStatus) => void>();
  private readonly listeners = new Map<string, Set<(payload: never) => void>>();
  private readonly pending: Pending[] = [];
  /** Counts connections, so a request is sent once per connection. */
  private connection = 0;
  /**
   * Whether the requests that waited for this connection are still being sent: one at a time, each once the one
   * before was answered, so that the server handles them in the order they were made. New requests join them.
   */
  private backlog = false;
  /** Whether the page is hidden or unloading: every change of the queue is written to the storage then. */
  private keeping = false;
  /** Requests a previous page of the tab left waiting, taken over by this handle. */
  readonly restored: number = 0;

  constructor(
    private readonly socket: Socket,
    private readonly queueLimit: number,
    private readonly ackTimeoutMs: number,
    private readonly keep: DeliveryKeep | null = null,
  ) {
    const taken = keep === null ? null : this.take(keep);
    this.session = taken?.session ?? randomHex(16);
    if (taken !== null) {
      const now = Date.now();
      for (const r of taken.queue.filter((r) => r.deadline > now).slice(0, queueLimit)) {
        this.enqueue(r.event, r.payload, r.key, r.deadline, () => undefined);
        this.restored += 1;
      }
    }
    if (keep !== null && typeof globalThis.addEventListener === "function") {
      // `pagehide` comes before a reload (or leaving the page); a hidden tab may be discarded without it.
      globalThis.addEventListener("pagehide", () => this.hide());
      globalThis.addEventListener("pageshow", () => this.show());
      globalThis.addEventListener("visibilitychange", () => {
        if (globalThis.document?.visibilityState === "hidden") {
          this.hide();
        } else {
          this.show();
        }
      });
    }
    socket.on(RESUME_EVENT, (told: Resume) => this.resumed(told));
    socket.on("connect", () => {
      this.connection += 1;
      // What waited goes first, one at a time (the server may run the handlers of requests that arrive together
      // in any order); the server's events wait until it has restored the session.
      this.backlog = true;
      this.pump();
    });
  }

  /** What to put in the handshake's `auth.fastsocket`. */
  auth(): DeliveryAuth {
    if (this.epoch === null || this.offset === null) {
      return { session: this.session };
    }
    return { session: this.session, epoch: this.epoch, offset: this.offset };
  }

  /** Where delivery stands. */
  get status(): DeliveryStatus {
    return this.current;
  }

  /** Calls `watcher` at every change of {@link status}; returns the function that stops. */
  watch(watcher: (status: DeliveryStatus) => void): () => void {
    this.watchers.add(watcher);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  /** Requests waiting for a connection or an answer. */
  get queued(): number {
    return this.pending.length;
  }

  /**
   * The page is hidden or unloading: writes the waiting requests to the storage (and again at every change until
   * {@link show}), so that a reload sends them again. A handle the client closed keeps nothing.
   */
  hide(): void {
    this.keeping = true;
    this.save();
  }

  /** The page is shown again: what {@link hide} wrote is taken back (a tab duplicated now does not inherit it). */
  show(): void {
    this.keeping = false;
    if (this.keep !== null) {
      writeKept(
        this.keep,
        readKept(this.keep).filter((k) => k.session !== this.session),
      );
    }
  }

  /** Takes the first handle a previous page left in the storage (the others stay for other handles). */
  private take(keep: DeliveryKeep): Kept | null {
    const kept = readKept(keep);
    const first = kept.shift() ?? null;
    writeKept(keep, kept);
    return first;
  }

  private save(): void {
    if (this.keep === null || !this.keeping) {
      return;
    }
    const others = readKept(this.keep).filter((k) => k.session !== this.session);
    const queue = this.socket.active
      ? this.pending.map(({ event, payload, key, deadline }) => ({ event, payload, key, deadline }))
      : [];
    writeKept(this.keep, queue.length === 0 ? others : [...others, { session: this.session, queue }]);
  }

  private resumed(told: Resume): void {
    if (told.status !== "resumed" || told.epoch !== this.epoch) {
      // Replayed events (if any) come next and are numbered after the server's head.
      this.offset = told.offset;
    }
    this.epoch = told.epoch;
    this.current = told.status;
    for (const watcher of [...this.watchers]) {
      watcher(told.status);
    }
  }

  /**
   * Listens to an event. One socket listener per event hands each numbered event to every listener once: a
   * replayed or repeated one (offset not above the last processed) is dropped.
   */
  listen(event: string, listener: (payload: never) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      const listeners = new Set<(payload: never) => void>();
      set = listeners;
      this.listeners.set(event, listeners);
      this.socket.on(event, (payload: unknown, offset?: unknown) => {
        if (typeof offset === "number") {
          if (this.offset !== null && offset <= this.offset) {
            return;
          }
          this.offset = offset;
        }
        for (const l of [...listeners]) {
          l(payload as never);
        }
      });
    }
    const listeners = set;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  /**
   * Sends with an idempotency key and resolves with the answer. Waits for a connection when there is none; sent
   * again (same key) after a reconnect until answered; fails with `timeout` after `ackTimeoutMs` in all.
   */
  request<A>(event: string, payload: unknown): Promise<A> {
    if (this.pending.length >= this.queueLimit) {
      return Promise.reject(
        new FastsocketError("queue_full", `${this.queueLimit} requests are already waiting`, [], true),
      );
    }
    return new Promise<A>((resolve, reject) => {
      this.enqueue(event, payload, randomHex(16), Date.now() + this.ackTimeoutMs, (answer, error) => {
        if (error !== null) {
          reject(error);
        } else if (isErrorEnvelope(answer)) {
          reject(FastsocketError.fromEnvelope(answer));
        } else {
          resolve(answer as A);
        }
      });
    });
  }

  /** Queues a request, sends it when connected, and calls `done` once: answered, or failed with `timeout`. */
  private enqueue(
    event: string,
    payload: unknown,
    key: string,
    deadline: number,
    done: (answer: unknown, error: FastsocketError | null) => void,
  ): void {
    const timer = setTimeout(
      () => {
        request.settle(
          undefined,
          new FastsocketError("timeout", `no acknowledgement for \`${event}\` within ${this.ackTimeoutMs} ms`),
        );
      },
      Math.max(0, deadline - Date.now()),
    );
    const request: Pending = {
      event,
      payload,
      key,
      deadline,
      sentOn: 0,
      settle: (answer, error) => {
        const at = this.pending.indexOf(request);
        if (at < 0) {
          return;
        }
        this.pending.splice(at, 1);
        clearTimeout(timer);
        this.save();
        done(answer, error);
        this.pump();
      },
    };
    this.pending.push(request);
    this.save();
    if (this.backlog) {
      this.pump();
    } else if (this.socket.connected) {
      this.transmit(request);
    }
  }

  /** Sends the next request of the backlog when none is waiting for its answer; ends the backlog when done. */
  private pump(): void {
    if (!this.backlog || !this.socket.connected) {
      return;
    }
    if (this.pending.some((r) => r.sentOn === this.connection)) {
      return;
    }
    const next = this.pending.find((r) => r.sentOn !== this.connection);
    if (next === undefined) {
      this.backlog = false;
    } else {
      this.transmit(next);
    }
  }

  private transmit(request: Pending): void {
    if (request.sentOn === this.connection) {
      return;
    }
    request.sentOn = this.connection;
    this.socket.emit(request.event, request.payload, { fastsocket: { key: request.key } }, (answer: unknown) =>
      request.settle(answer, null),
    );
  }
}
