//! The `Origin` check of Socket.IO requests, against cross-site WebSocket hijacking.
//!
//! A WebSocket is not bound by CORS: any page may open one to any server, and the browser sends the user's
//! cookies along. Long-polling `GET`s are "simple" requests that a page of another site can send too (it
//! cannot read the answer, but the handshake happens). So every request to the Socket.IO path that carries an
//! `Origin` must come from an allowed origin (the CORS list) or from the server's own origin, else it is
//! answered `403` before socketioxide sees it. Requests without `Origin` (non-browser clients) pass: browsers
//! always send it on WebSocket upgrades and cross-site requests.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The Socket.IO path (socketioxide's default `req_path`).
const SOCKET_IO_PATH: &str = "/socket.io";

/// Which origins may open Socket.IO connections.
#[derive(Debug, Clone)]
pub(crate) struct OriginPolicy {
    /// Lower-cased, without a trailing `/`.
    allowed: Arc<[String]>,
}

impl OriginPolicy {
    /// The CORS origins; `None` when every origin passes (`*` among them).
    pub(crate) fn new(origins: &[String]) -> Option<Self> {
        if origins.iter().any(|o| o.trim() == "*") {
            return None;
        }
        Some(OriginPolicy {
            allowed: origins.iter().map(|o| normalize(o)).collect(),
        })
    }

    /// Whether a request with these headers may pass.
    pub(crate) fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = normalize(origin);
        if self.allowed.contains(&origin) {
            return true;
        }
        // Same origin: the page was served by this server (`serve --static`).
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        match (authority(&origin), host) {
            (Some((scheme, authority)), Some(host)) => {
                without_default_port(scheme, authority) == without_default_port(scheme, &host)
            }
            _ => false,
        }
    }
}

fn normalize(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// `("https", "example.com:8443")` of `https://example.com:8443`.
fn authority(origin: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = origin.split_once("://")?;
    (!rest.is_empty() && !rest.contains('/')).then_some((scheme, rest))
}

fn without_default_port<'a>(scheme: &str, authority: &'a str) -> &'a str {
    let default = match scheme {
        "http" | "ws" => ":80",
        "https" | "wss" => ":443",
        _ => return authority,
    };
    authority.strip_suffix(default).unwrap_or(authority)
}

/// The middleware: a Socket.IO request from a foreign origin is answered `403 Forbidden`.
pub(crate) async fn check(
    State(policy): State<OriginPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let socket_io = path == SOCKET_IO_PATH || path.starts_with("/socket.io/");
    if socket_io && !policy.allows(request.headers()) {
        let origin = request.headers().get(header::ORIGIN).map(|o| {
            String::from_utf8_lossy(o.as_bytes())
                .chars()
                .take(100)
                .collect::<String>()
        });
        tracing::warn!(target: "fastsocket", origin, "Socket.IO request from a foreign origin refused");
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        if let Some(host) = host {
            h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        }
        h
    }

    #[test]
    fn listed_same_and_foreign_origins() {
        let policy = OriginPolicy::new(&["http://localhost:5173".into()]).unwrap();
        let host = Some("api.example.com:3000");
        assert!(policy.allows(&headers(None, host)));
        assert!(policy.allows(&headers(Some("http://localhost:5173"), host)));
        assert!(policy.allows(&headers(Some("HTTP://LOCALHOST:5173/"), host)));
        assert!(policy.allows(&headers(Some("http://api.example.com:3000"), host)));
        assert!(!policy.allows(&headers(Some("http://evil.example"), host)));
        assert!(!policy.allows(&headers(Some("http://localhost:5174"), host)));
        assert!(!policy.allows(&headers(Some("null"), host)));
        assert!(!policy.allows(&headers(Some("http://api.example.com:3000"), None)));
        // Default ports are the same origin with or without them.
        assert!(policy.allows(&headers(
            Some("https://app.example"),
            Some("app.example:443")
        )));
        assert!(!policy.allows(&headers(
            Some("https://app.example"),
            Some("app.example:80")
        )));
    }

    #[test]
    fn a_star_lets_every_origin_pass() {
        assert!(OriginPolicy::new(&["http://a".into(), "*".into()]).is_none());
    }
}
