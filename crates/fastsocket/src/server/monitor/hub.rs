//! The fan-out of activity messages to monitor clients, through bounded buffers only.
//!
//! A handler's task hands each message to a [`tokio::sync::broadcast`] ring (never waits: the oldest messages
//! are overwritten when a reader lags). One task per monitor client reads the ring and emits to its socket,
//! whose own buffer is bounded by socketioxide (`max_buffer_size`). Messages a reader skipped in the ring and
//! emits refused by a full socket buffer are counted as dropped; a client that never reads costs the server a
//! full ring and a full socket buffer, nothing more.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::server::cluster::SocketRef;
use socketioxide::{SendError, SocketError};
use tokio::sync::{Notify, broadcast};

use super::protocol::{ACTIVITY_EVENT, ActivityMessage};

/// Activity messages held for readers: a reader further behind skips (and counts) the oldest.
pub(crate) const RING_CAPACITY: usize = 1024;

/// Where activity messages go.
pub(crate) struct Hub {
    ring: broadcast::Sender<Arc<ActivityMessage>>,
    dropped: AtomicU64,
}

impl Hub {
    pub(crate) fn new() -> Self {
        Hub {
            ring: broadcast::channel(RING_CAPACITY).0,
            dropped: AtomicU64::new(0),
        }
    }

    /// Whether a monitor client is listening (messages are only built then).
    pub(crate) fn has_readers(&self) -> bool {
        self.ring.receiver_count() > 0
    }

    /// Hands a message to every reader; never waits.
    pub(crate) fn publish(&self, message: ActivityMessage) {
        // An error only means the last reader just left.
        let _ = self.ring.send(Arc::new(message));
    }

    /// Messages not delivered to a monitor client since start.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Counts `n` more dropped messages.
    pub(crate) fn count_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Streams activity to `socket` until it disconnects (`left` is notified).
    pub(crate) fn subscribe(self: &Arc<Self>, socket: SocketRef, left: Arc<Notify>) {
        let mut ring = self.ring.subscribe();
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                let message = tokio::select! {
                    () = left.notified() => return,
                    message = ring.recv() => message,
                };
                match message {
                    Ok(message) => match socket.emit(ACTIVITY_EVENT, &*message) {
                        Ok(()) => {}
                        Err(SendError::Socket(SocketError::Closed)) => return,
                        // A full buffer (the client does not read) or a message that cannot be encoded.
                        Err(_) => hub.count_dropped(1),
                    },
                    Err(broadcast::error::RecvError::Lagged(skipped)) => hub.count_dropped(skipped),
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }
}
