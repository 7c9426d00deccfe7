//! A built web client (a Vite `dist/` folder) served beside the API: `serve --static DIR`.
//!
//! The folder is the router's fallback, so `/socket.io/` (the Socket.IO layer, outside the router) and the
//! HTTP routes (`/healthz`, `/asyncapi.json`) always win over a file of the same name.
//!
//! What is never served: a path with a segment starting with `.` (`/.env`, `/.git/config`, also
//! percent-encoded), which answers 404 like a missing file; a file that cannot be read is a 404 too, without a
//! log line per request (a client must not fill the log). Every answer carries `X-Content-Type-Options: nosniff`
//! and a Content-Security-Policy ([`CONTENT_SECURITY_POLICY`]).

use std::io;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::services::{ServeDir, ServeFile};

/// Where Vite puts its content-hashed build output; a file there never changes under its name.
const ASSETS_PREFIX: &str = "/assets/";
/// For content-hashed files: a year, and never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For `index.html` and other unhashed files: cached, but revalidated on every use, so a deploy shows at once.
const NO_CACHE: &str = "no-cache";
/// The default policy sent with the static client (`FASTSOCKET_STATIC_CSP` replaces it): its own scripts,
/// styles and images only, connections to its own origin (Socket.IO, same-origin WebSocket included), no
/// plugins, no framing by other sites. Two allowances the generated Vue client needs: `'unsafe-eval'` for
/// scripts (Ajv compiles the payload validators with `new Function`) and `'unsafe-inline'` for styles (Vue
/// sets `style` attributes).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// A checked static folder: it exists and holds `index.html`.
#[derive(Debug, Clone)]
pub(crate) struct StaticSite {
    dir: PathBuf,
    index: PathBuf,
    policy: HeaderValue,
}

impl StaticSite {
    /// Checks `dir` once at start-up, so that a typo fails the start rather than every page view.
    pub(crate) fn open(dir: &Path, policy: &str) -> io::Result<StaticSite> {
        let policy = HeaderValue::from_str(policy).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid Content-Security-Policy `{policy}`"),
            )
        })?;
        let dir = dir.canonicalize().map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("static folder `{}`: {error}", dir.display()),
            )
        })?;
        if !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("static folder `{}` is not a folder", dir.display()),
            ));
        }
        let index = dir.join("index.html");
        if !index.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "static folder `{}` has no index.html (is it a built client, e.g. `dist/`?)",
                    dir.display()
                ),
            ));
        }
        Ok(StaticSite { dir, index, policy })
    }

    /// The folder served.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Answers one request the API routes did not take: the file, else `index.html` for a client-side route,
    /// else 404.
    pub(crate) async fn respond(&self, request: Request) -> Response {
        let (parts, _body) = request.into_parts();
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        let path = parts.uri.path().to_owned();
        if is_hidden(&path) {
            return self.hardened(StatusCode::NOT_FOUND.into_response());
        }
        // `ServeDir` refuses `..`, absolute and prefixed components (also percent-encoded) itself: such a path
        // never reaches the disk and comes back as a 404, handled like any missing file below.
        let served = ServeDir::new(&self.dir)
            .try_call(rebuild(&parts))
            .await
            .map(|response| response.map(Body::new));
        let response = match served {
            Ok(response) if response.status() != StatusCode::NOT_FOUND => {
                with_cache_control(response, &path)
            }
            Ok(not_found) if !is_client_route(&path) => not_found,
            Ok(_) => match ServeFile::new(&self.index).try_call(rebuild(&parts)).await {
                Ok(index) => with_cache_control(index.map(Body::new), "/index.html"),
                Err(_) => not_found(),
            },
            Err(_) => not_found(),
        };
        self.hardened(response)
    }
}

/// A body-less copy of a GET/HEAD request (the file services read only the method, URI and headers such as
/// `Range` and `If-Modified-Since`).
fn rebuild(parts: &axum::http::request::Parts) -> Request {
    let mut request = Request::new(Body::empty());
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.headers_mut() = parts.headers.clone();
    request
}

/// Whether a missing path is one the single-page app routes itself (`/rooms/general`): not a build asset and
/// not a file name. A missing `/assets/app-1234.js` or `/favicon.ico` stays a 404: answering HTML for a script
/// breaks the page in a confusing way.
fn is_client_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    !path.starts_with(ASSETS_PREFIX) && !last.contains('.')
}

fn with_cache_control(mut response: Response, path: &str) -> Response {
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let value = if path.starts_with(ASSETS_PREFIX) {
            IMMUTABLE
        } else {
            NO_CACHE
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

/// An unreadable file (permissions, a folder swapped during a deploy) answers as a missing one: the client
/// learns nothing of the disk, and no request can write to the log.
fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// Whether a segment of `path`, percent-decoded, starts with `.` (`/.env`, `/.git/config`, `/%2eenv`): such
/// files hold secrets and tooling, never the client.
fn is_hidden(path: &str) -> bool {
    path.split('/').any(|segment| {
        percent_encoding::percent_decode_str(segment)
            .decode_utf8_lossy()
            .split(['/', '\\'])
            .any(|part| part.starts_with('.'))
    })
}

impl StaticSite {
    /// `nosniff` and the content security policy, on every static answer.
    fn hardened(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::CONTENT_SECURITY_POLICY, self.policy.clone());
        response
    }
}

#[cfg(test)]
mod tests;
