//! The static client served by a real server on a free loopback port, over raw HTTP/1.1.

use std::net::SocketAddr;
use std::path::Path;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;
use crate::server::{ServerConfig, ServerHandle, ServerSpec, TokenList, serve};

static SPEC: ServerSpec = ServerSpec {
    title: "static test",
    version: "1",
    asyncapi_json: r#"{"asyncapi":"3.0.0"}"#,
    events: &[],
};

const INDEX: &str = "<!doctype html><title>client</title><div id=app></div>";
const SCRIPT: &str = "console.log('hashed asset')";
const SECRET: &str = "not for the web";

/// A built client: `site/index.html`, `site/assets/index-3f2a9c.js`, files named like the API routes, and a
/// secret beside (not inside) the folder.
fn build_site(root: &Path) -> std::path::PathBuf {
    let site = root.join("site");
    std::fs::create_dir_all(site.join("assets")).unwrap();
    std::fs::write(site.join("index.html"), INDEX).unwrap();
    std::fs::write(site.join("assets/index-3f2a9c.js"), SCRIPT).unwrap();
    std::fs::write(site.join("healthz"), "shadow").unwrap();
    std::fs::write(site.join("asyncapi.json"), "shadow").unwrap();
    std::fs::write(site.join("robots.txt"), "User-agent: *").unwrap();
    std::fs::write(root.join("secret.txt"), SECRET).unwrap();
    site
}

async fn start(static_dir: Option<&Path>) -> (SocketAddr, ServerHandle) {
    let config = ServerConfig {
        port: 0,
        static_dir: static_dir.map(Path::to_path_buf),
        ..ServerConfig::default()
    };
    serve(&SPEC, config, TokenList::new(Vec::new()), |_| {})
        .await
        .unwrap()
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// One request, sent as written (no client-side path normalisation: `..` reaches the server).
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let length = body.len();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain;charset=UTF-8\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n{body}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

async fn get(addr: SocketAddr, path: &str) -> Answer {
    request(addr, "GET", path, "").await
}

#[tokio::test]
async fn index_and_client_routes_get_index_html_uncached() {
    let root = tempfile::tempdir().unwrap();
    let site = build_site(root.path());
    let (addr, handle) = start(Some(&site)).await;
    for path in ["/", "/index.html", "/rooms/general", "/rooms/general/"] {
        let answer = get(addr, path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.head);
        assert_eq!(answer.body, INDEX, "{path}");
        assert_eq!(answer.header("cache-control"), Some("no-cache"), "{path}");
        assert!(
            answer
                .header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
    }
    // Files other than index.html are served as they are, revalidated too (their names carry no hash).
    let robots = get(addr, "/robots.txt").await;
    assert_eq!(
        (robots.status, robots.body.as_str()),
        (200, "User-agent: *")
    );
    assert_eq!(robots.header("cache-control"), Some("no-cache"));
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_missing_files_are_404() {
    let root = tempfile::tempdir().unwrap();
    let site = build_site(root.path());
    let (addr, handle) = start(Some(&site)).await;
    let asset = get(addr, "/assets/index-3f2a9c.js").await;
    assert_eq!(asset.status, 200, "{}", asset.head);
    assert_eq!(asset.body, SCRIPT);
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(asset.header("content-type").unwrap().contains("javascript"));
    // A missing asset or file name must not be answered with the page: a script that gets HTML fails oddly.
    for path in ["/assets/index-000000.js", "/assets/gone", "/favicon.ico"] {
        let answer = get(addr, path).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.head);
        assert_eq!(answer.header("cache-control"), None, "{path}");
    }
    let post = request(addr, "POST", "/rooms/general", "").await;
    assert_eq!(post.status, 405, "{}", post.head);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn api_routes_and_socket_io_are_not_shadowed() {
    let root = tempfile::tempdir().unwrap();
    let site = build_site(root.path());
    let (addr, handle) = start(Some(&site)).await;
    let health = get(addr, "/healthz").await;
    assert_eq!(health.status, 200);
    assert!(health.body.contains(r#""status":"ok""#), "{}", health.body);
    let spec = get(addr, "/asyncapi.json").await;
    assert_eq!(spec.body, SPEC.asyncapi_json);
    // The Engine.IO handshake: an open packet (`0{"sid":…}`), not the page.
    let handshake = get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(handshake.status, 200, "{}", handshake.head);
    assert!(
        handshake.body.starts_with("0{") && handshake.body.contains("\"sid\""),
        "{}",
        handshake.body
    );
    // The session lives on for the next long-polling request, whatever its method (each method of a route
    // used to get its own copy of the Socket.IO layer, and with it its own sessions).
    let sid = handshake
        .body
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let open = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    // `40`: the Socket.IO CONNECT packet for `/` (no such namespace here: the answer comes on the next GET).
    let post = request(addr, "POST", &open, "40").await;
    assert_eq!(post.status, 200, "{} {}", post.head, post.body);
    assert_eq!(post.body, "ok");
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn paths_outside_the_folder_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let site = build_site(root.path());
    let (addr, handle) = start(Some(&site)).await;
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/..%5csecret.txt",
    ] {
        let answer = get(addr, path).await;
        assert!(!answer.body.contains(SECRET), "{path} leaked the file");
        assert!(
            matches!(answer.status, 400 | 404),
            "{path}: {}",
            answer.head
        );
    }
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_a_folder_nothing_is_served_at_the_root() {
    let (addr, handle) = start(None).await;
    assert_eq!(get(addr, "/").await.status, 404);
    assert_eq!(get(addr, "/healthz").await.status, 200);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_folder_without_index_html_stops_the_start() {
    let root = tempfile::tempdir().unwrap();
    let config = |dir: &Path| ServerConfig {
        port: 0,
        static_dir: Some(dir.to_path_buf()),
        ..ServerConfig::default()
    };
    let empty = serve(
        &SPEC,
        config(root.path()),
        TokenList::new(Vec::new()),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(empty.to_string().contains("no index.html"), "{empty}");
    let missing = root.path().join("dist");
    let error = serve(&SPEC, config(&missing), TokenList::new(Vec::new()), |_| {})
        .await
        .unwrap_err();
    assert!(error.to_string().contains("static folder"), "{error}");
}

#[test]
fn client_routes() {
    assert!(is_client_route("/"));
    assert!(is_client_route("/rooms/general"));
    assert!(!is_client_route("/assets/chunk"));
    assert!(!is_client_route("/favicon.ico"));
    assert!(!is_client_route("/rooms/a.b"));
}

#[tokio::test]
async fn dot_files_and_dot_folders_are_404() {
    let root = tempfile::tempdir().unwrap();
    let site = build_site(root.path());
    std::fs::write(site.join(".env"), SECRET).unwrap();
    std::fs::create_dir_all(site.join(".git")).unwrap();
    std::fs::write(site.join(".git/config"), SECRET).unwrap();
    std::fs::create_dir_all(site.join("assets/.cache")).unwrap();
    std::fs::write(site.join("assets/.cache/x.js"), SECRET).unwrap();
    let (addr, handle) = start(Some(&site)).await;
    for path in [
        "/.env",
        "/%2eenv",
        "/%2Eenv",
        "/.git/config",
        "/.git/",
        "/.git",
        "/assets/.cache/x.js",
        "/assets/%2ecache/x.js",
    ] {
        let answer = get(addr, path).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.head);
        assert!(!answer.body.contains(SECRET), "{path} leaked the file");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    }
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn answers_carry_nosniff_and_a_content_security_policy() {
    let root = tempfile::tempdir().unwrap();
    let site = build_site(root.path());
    let (addr, handle) = start(Some(&site)).await;
    for path in [
        "/",
        "/rooms/general",
        "/assets/index-3f2a9c.js",
        "/favicon.ico",
    ] {
        let answer = get(addr, path).await;
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            answer.header("content-security-policy"),
            Some(CONTENT_SECURITY_POLICY),
            "{path}"
        );
    }
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_path_the_disk_cannot_look_up_is_a_404() {
    let root = tempfile::tempdir().unwrap();
    let site = build_site(root.path());
    let (addr, handle) = start(Some(&site)).await;
    // A name longer than the file system allows: an I/O error (ENAMETOOLONG), not a missing file.
    for path in [
        format!("/{}.txt", "a".repeat(300)),
        format!("/{}", "b".repeat(300)),
    ] {
        let answer = get(addr, &path).await;
        assert!(
            answer.status == 404 || (answer.status == 200 && answer.body == INDEX),
            "{}",
            answer.head
        );
    }
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_policy_can_be_replaced() {
    let root = tempfile::tempdir().unwrap();
    let site = build_site(root.path());
    let config = ServerConfig {
        port: 0,
        static_dir: Some(site),
        content_security_policy: "default-src 'none'".to_owned(),
        ..ServerConfig::default()
    };
    let (addr, handle) = serve(&SPEC, config, TokenList::new(Vec::new()), |_| {})
        .await
        .unwrap();
    let answer = get(addr, "/").await;
    assert_eq!(
        answer.header("content-security-policy"),
        Some("default-src 'none'")
    );
    handle.shutdown().await.unwrap();
    assert!(StaticSite::open(root.path().join("site").as_path(), "bad\npolicy").is_err());
}
