// Delivery across reconnects (the server's side and the handshake are described in the generator's
// docs/delivery.md). Per namespace handle: a session the server keeps for a while when the connection drops, the
// offset of the last numbered event the listeners processed (presented at every reconnect, so the server replays
// what was missed), and the requests not answered yet (sent again with the same idempotency key after a reconnect,
// so the server's handler runs once). Nothing here depends on the document.

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

/** How delivery across reconnects behaves. */
export interface DeliveryOptions {
  /** Requests that may wait at once (default 100); beyond them a request fails at once with code `queue_full`. */
  queueLimit?: number;
}

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
  /** The connection it was last sent on (0: not sent yet). */
  sentOn: number;
  settle: (answer: unknown, error: FastsocketError | null) => void;
}

function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buffer);
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The delivery state of one namespace handle. */
export class Delivery {
  /** 128 random bits, kept for the life of the handle. */
  readonly session = randomHex(16);
  private epoch: string | null = null;
  /** The offset of the last numbered event handed to the listeners. */
  private offset: number | null = null;
  private current: DeliveryStatus = "waiting";
  private readonly watchers = new Set<(status: DeliveryStatus) => void>();
  private readonly listeners = new Map<string, Set<(payload: never) => void>>();
  private readonly pending: Pending[] = [];
  /** Counts connections, so a request is sent once per connection. */
  private connection = 0;

  constructor(
    private readonly socket: Socket,
    private readonly queueLimit: number,
    private readonly ackTimeoutMs: number,
  ) {
    socket.on(RESUME_EVENT, (told: Resume) => this.resumed(told));
    socket.on("connect", () => {
      this.connection += 1;
      // In order, before anything new: the server's events wait until it has restored the session.
      for (const request of [...this.pending]) {
        this.transmit(request);
      }
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
      const timer = setTimeout(() => {
        request.settle(
          undefined,
          new FastsocketError("timeout", `no acknowledgement for \`${event}\` within ${this.ackTimeoutMs} ms`),
        );
      }, this.ackTimeoutMs);
      const request: Pending = {
        event,
        payload,
        key: randomHex(16),
        sentOn: 0,
        settle: (answer, error) => {
          const at = this.pending.indexOf(request);
          if (at < 0) {
            return;
          }
          this.pending.splice(at, 1);
          clearTimeout(timer);
          if (error !== null) {
            reject(error);
          } else if (isErrorEnvelope(answer)) {
            reject(FastsocketError.fromEnvelope(answer));
          } else {
            resolve(answer as A);
          }
        },
      };
      this.pending.push(request);
      if (this.socket.connected) {
        this.transmit(request);
      }
    });
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
