//! The HTTP side of a running server, in process: `/asyncapi.json` when enabled (and only then), `/metrics` on
//! a listener of its own, `/readyz` and `/healthz`, beside Socket.IO on the same port.

#![cfg(feature = "server")]

mod common;

use common::polling::{Polling, http, within};
use fastsocket::server::{App, MetricsEndpoint, ServerConfig, ServerSpec, TokenList};

static SPEC: ServerSpec = ServerSpec {
    title: "serve test",
    version: "1",
    asyncapi_json: r#"{"asyncapi":"3.0.0"}"#,
    events: &[],
};

fn install(app: &App) {
    app.namespace::<()>("/", &[]).register();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_metrics_and_health_are_served() {
    within(async {
        let config = ServerConfig {
            port: 0,
            metrics: MetricsEndpoint::Listen("127.0.0.1:0".parse().unwrap()),
            ..ServerConfig::default()
        };
        let (addr, handle) =
            fastsocket::server::serve(&SPEC, config, TokenList::new(vec![]), install)
                .await
                .expect("starts");
        assert_eq!(
            http(addr, "GET", "/asyncapi.json", &[], "").await,
            (200, SPEC.asyncapi_json.to_owned())
        );
        assert_eq!(http(addr, "GET", "/healthz", &[], "").await.0, 200);
        assert_eq!(http(addr, "GET", "/readyz", &[], "").await.0, 200);
        // Metrics are on their own listener, not on the server's port.
        let metrics = handle.metrics_addr().expect("a metrics listener");
        assert_ne!(metrics, addr);
        let (status, body) = http(metrics, "GET", "/metrics", &[], "").await;
        assert_eq!(status, 200);
        assert!(body.contains("# TYPE"), "{body}");
        assert_eq!(http(addr, "GET", "/metrics", &[], "").await.0, 404);
        let mut client = Polling::open(addr, "", &[]).await;
        assert!(client.connect("/", None).await.starts_with('0'));
        client.close().await;
        handle.shutdown().await.expect("shuts down");

        let config = ServerConfig {
            port: 0,
            asyncapi_json: false,
            ..ServerConfig::default()
        };
        let (addr, handle) =
            fastsocket::server::serve(&SPEC, config, TokenList::new(vec![]), install)
                .await
                .expect("starts");
        assert_eq!(http(addr, "GET", "/asyncapi.json", &[], "").await.0, 404);
        assert_eq!(http(addr, "GET", "/metrics", &[], "").await.0, 200);
        handle.shutdown().await.expect("shuts down");
    })
    .await;
}
