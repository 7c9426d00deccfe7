//! A Socket.IO client over Engine.IO long-polling (protocol 4) on plain HTTP/1.0 requests: enough to connect to
//! namespaces with an `auth` payload, send events, and read what the server sends. No dependency beyond tokio.
//! (Each test file uses a part of it.)
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A hang guard, not a speed assertion: a broken server must fail the test rather than block CI.
pub async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("the test did not finish within a minute")
}

/// One HTTP/1.0 request (the server closes the connection after the answer): status and body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write the request");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .expect("read the answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, body.to_owned())
}

/// One Engine.IO session.
pub struct Polling {
    addr: SocketAddr,
    path: String,
    /// Socket.IO packets read but not yet taken.
    pending: Vec<String>,
}

impl Polling {
    /// Opens a session; `query` is added to the handshake's query string, `headers` sent with it.
    pub async fn open(addr: SocketAddr, query: &str, headers: &[(&str, &str)]) -> Self {
        let (status, open) = http(
            addr,
            "GET",
            &format!("/socket.io/?EIO=4&transport=polling{query}"),
            headers,
            "",
        )
        .await;
        assert_eq!(status, 200, "handshake: {open}");
        let handshake: Value =
            serde_json::from_str(open.trim_start_matches('0')).expect("an Engine.IO open packet");
        let sid = handshake["sid"].as_str().expect("sid");
        Polling {
            addr,
            path: format!("/socket.io/?EIO=4&transport=polling&sid={sid}"),
            pending: Vec::new(),
        }
    }

    /// Sends Socket.IO packets (each becomes an Engine.IO message).
    pub async fn send(&self, packets: &[&str]) {
        let body = packets
            .iter()
            .map(|p| format!("4{p}"))
            .collect::<Vec<_>>()
            .join("\u{1e}");
        let (status, answer) = http(self.addr, "POST", &self.path, &[], &body).await;
        assert_eq!(status, 200, "POST: {answer}");
    }

    /// Waits for the next Socket.IO packet for which `wanted` holds, answering pings; the others read before
    /// it are kept for later calls.
    pub async fn next_where(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        loop {
            if let Some(i) = self.pending.iter().position(|p| wanted(p)) {
                return self.pending.remove(i);
            }
            let (status, body) = http(self.addr, "GET", &self.path, &[], "").await;
            assert_eq!(status, 200, "poll: {body}");
            for packet in body.split('\u{1e}') {
                match packet.as_bytes().first() {
                    // Ping: answer, or the server closes the session.
                    Some(b'2') => {
                        let (status, _) = http(self.addr, "POST", &self.path, &[], "3").await;
                        assert_eq!(status, 200);
                    }
                    Some(b'4') => self.pending.push(packet[1..].to_owned()),
                    Some(b'1') => self.pending.push("1 (closed)".to_owned()),
                    _ => {}
                }
            }
        }
    }

    /// Waits for the next packet that starts with `prefix`.
    pub async fn next_starting(&mut self, prefix: &str) -> String {
        self.next_where(|p| p.starts_with(prefix)).await
    }

    /// Connects to `namespace` with `auth` (`None`: no payload) and returns the server's answer: `0…` (connected)
    /// or `4…` (refused, with its message).
    pub async fn connect(&mut self, namespace: &str, auth: Option<&Value>) -> String {
        let prefix = if namespace == "/" {
            String::new()
        } else {
            format!("{namespace},")
        };
        let packet = match auth {
            Some(auth) => format!("0{prefix}{auth}"),
            None => format!("0{prefix}"),
        };
        self.send(&[&packet]).await;
        self.next_where(|p| {
            (p.starts_with('0') || p.starts_with('4')) && p[1..].starts_with(prefix.as_str())
        })
        .await
    }

    /// Closes the session (the server sees a transport close).
    pub async fn close(self) {
        let _ = http(self.addr, "POST", &self.path, &[], "1").await;
    }
}
