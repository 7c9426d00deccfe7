//! The TCP side of the server: caps on open connections (per server, per client address), the HTTP/1
//! header-read timeout (slow-loris), and graceful shutdown.
//!
//! `axum::serve` sets no timer on hyper, so hyper's header-read timeout never fires there; connections are
//! served here with hyper directly instead.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How many TCP connections may be open: in all, and per client IP address (0: no limit).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    pub(crate) total: usize,
    pub(crate) per_ip: usize,
    pub(crate) header_read_timeout: Duration,
}

/// The open connections, counted.
#[derive(Debug)]
pub(crate) struct Tally {
    limits: ConnectionLimits,
    open: Mutex<Open>,
    /// Refused so far: over the total cap, over the per-address cap (for `GET /metrics`).
    refused: [AtomicU64; 2],
}

/// What [`Tally::stats`] reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TallyStats {
    pub(crate) open: usize,
    pub(crate) refused_total: u64,
    pub(crate) refused_per_ip: u64,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was closed at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The server holds its maximum.
    Total,
    /// This address holds its maximum.
    PerIp,
}

impl Tally {
    pub(crate) fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Tally {
            limits,
            open: Mutex::new(Open::default()),
            refused: Default::default(),
        })
    }

    /// Open connections, and the refusals so far.
    pub(crate) fn stats(&self) -> TallyStats {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner()).total;
        TallyStats {
            open,
            refused_total: self.refused[0].load(Ordering::Relaxed),
            refused_per_ip: self.refused[1].load(Ordering::Relaxed),
        }
    }

    /// A slot for one more connection from `ip`, freed when dropped; or why there is none.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refused> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if self.limits.total > 0 && open.total >= self.limits.total {
            self.refused[0].fetch_add(1, Ordering::Relaxed);
            return Err(Refused::Total);
        }
        let from_ip = open.per_ip.get(&ip).copied().unwrap_or(0);
        if self.limits.per_ip > 0 && from_ip >= self.limits.per_ip {
            self.refused[1].fetch_add(1, Ordering::Relaxed);
            return Err(Refused::PerIp);
        }
        open.total += 1;
        open.per_ip.insert(ip, from_ip + 1);
        Ok(Slot {
            tally: self.clone(),
            ip,
        })
    }

    /// Open connections: in all, and from `ip`.
    #[cfg(test)]
    fn open(&self, ip: IpAddr) -> (usize, usize) {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        (open.total, open.per_ip.get(&ip).copied().unwrap_or(0))
    }
}

/// One counted connection.
#[derive(Debug)]
pub(crate) struct Slot {
    tally: Arc<Tally>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.tally.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.per_ip.remove(&self.ip);
            }
        }
    }
}

/// A TCP stream that holds its [`Slot`]: an upgraded WebSocket keeps the stream, and so stays counted until it
/// closes.
struct Counted {
    stream: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Counted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Accepts connections until `stop` resolves, then runs `drain` while the open connections are still served
/// (the caller tells the clients, waits for handlers and closes the WebSockets through socketioxide there),
/// then lets the open HTTP exchanges finish and returns once every connection task has ended.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    tally: Arc<Tally>,
    stop: impl Future<Output = ()> + Send,
    drain: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let limits = tally.limits;
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    // Every connection task holds a receiver: the sender learns they have all ended when `closed` resolves.
    let (closing, closing_rx) = watch::channel(false);
    let mut stop = pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_error(error).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let slot = match tally.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(refused) => {
                refuse(stream, peer, refused);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Counted {
            stream,
            _slot: slot,
        });
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection(io, service).with_upgrades();
        let mut closing_rx = closing_rx.clone();
        tokio::spawn(async move {
            let mut connection = pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(target: "fastsocket", %peer, %error, "connection ended with an error");
                    }
                    return;
                }
                _ = closing_rx.changed() => {}
            }
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    // No new connection from here; the open ones are served until `drain` has finished.
    drop(listener);
    drain.await;
    let _ = closing.send(true);
    drop(closing_rx);
    closing.closed().await;
    Ok(())
}

/// Closes a connection over a cap at once (the client sees a reset or an empty reply). One log line per
/// refusal would let a flood fill the disk: debug level.
fn refuse(stream: TcpStream, peer: SocketAddr, refused: Refused) {
    let reason = match refused {
        Refused::Total => "the server holds FASTSOCKET_MAX_CONNECTIONS connections",
        Refused::PerIp => "this address holds FASTSOCKET_MAX_CONNECTIONS_PER_IP connections",
    };
    tracing::debug!(target: "fastsocket", %peer, reason, "connection refused");
    drop(stream);
}

/// As axum: errors of one connection are skipped; others (out of file descriptors) wait a second before the
/// next accept, not to spin.
async fn accept_error(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(target: "fastsocket", %error, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_ip: usize) -> ConnectionLimits {
        ConnectionLimits {
            total,
            per_ip,
            header_read_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn caps_per_server_and_per_address() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let tally = Tally::new(limits(3, 2));
        let a1 = tally.admit(a).unwrap();
        let a2 = tally.admit(a).unwrap();
        assert_eq!(tally.admit(a).unwrap_err(), Refused::PerIp);
        let b1 = tally.admit(b).unwrap();
        assert_eq!(tally.admit(b).unwrap_err(), Refused::Total);
        assert_eq!(tally.open(a), (3, 2));
        drop(a1);
        assert_eq!(tally.open(a), (2, 1));
        let _a3 = tally.admit(a).unwrap();
        drop((a2, b1));
        assert_eq!(tally.open(b), (1, 0));
        let stats = tally.stats();
        assert_eq!(
            (stats.open, stats.refused_total, stats.refused_per_ip),
            (1, 1, 1)
        );
    }

    #[test]
    fn zero_means_no_limit() {
        let a: IpAddr = "::1".parse().unwrap();
        let tally = Tally::new(limits(0, 0));
        let slots: Vec<Slot> = (0..1000).map(|_| tally.admit(a).unwrap()).collect();
        assert_eq!(tally.open(a), (1000, 1000));
        drop(slots);
        assert_eq!(tally.open(a), (0, 0));
    }
}
