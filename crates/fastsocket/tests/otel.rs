//! OTLP export (feature `otel`) against a receiver in this test (no network): a server whose client connects
//! and sends events; the receiver decodes what the exporter posts (HTTP/protobuf) and finds the connect and
//! event spans with their attributes, the handler's own span inside its event span, and no payload or
//! credential anywhere.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::post;
use fastsocket::server::otel::{OtelSettings, start};
use fastsocket::server::{
    App, Context, Emitter, HandlerError, ServerConfig, ServerSpec, TokenList,
};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message as _;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

static SPEC: ServerSpec = ServerSpec {
    title: "otel test",
    version: "1",
    asyncapi_json: "{}",
    events: &[],
};

const SECRET: &str = "hunter2-secret";

/// One exported span: its name, parent, ids and string-valued attributes.
#[derive(Debug, Clone)]
struct Exported {
    name: String,
    span_id: Vec<u8>,
    parent: Vec<u8>,
    attributes: HashMap<String, String>,
}

/// Accepts `POST /v1/traces` and hands every span to the test.
async fn receiver() -> (String, mpsc::UnboundedReceiver<(String, Exported)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let tx = tx.clone();
            async move {
                let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                for resource in request.resource_spans {
                    let service = resource
                        .resource
                        .iter()
                        .flat_map(|r| &r.attributes)
                        .find(|a| a.key == "service.name")
                        .and_then(|a| a.value.as_ref()?.value.as_ref())
                        .map(text)
                        .unwrap_or_default();
                    for scope in resource.scope_spans {
                        for span in scope.spans {
                            let attributes = span
                                .attributes
                                .iter()
                                .filter_map(|a| {
                                    Some((a.key.clone(), text(a.value.as_ref()?.value.as_ref()?)))
                                })
                                .collect();
                            let _ = tx.send((
                                service.clone(),
                                Exported {
                                    name: span.name,
                                    span_id: span.span_id,
                                    parent: span.parent_span_id,
                                    attributes,
                                },
                            ));
                        }
                    }
                }
                // An empty ExportTraceServiceResponse.
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/v1/traces"), rx)
}

fn text(value: &AnyValue) -> String {
    match value {
        AnyValue::StringValue(s) => s.clone(),
        AnyValue::IntValue(i) => i.to_string(),
        AnyValue::BoolValue(b) => b.to_string(),
        AnyValue::DoubleValue(d) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn install(app: &App) {
    app.namespace::<()>("/", &[])
        .on_with_ack(
            "echo",
            |_ctx: Context<Emitter, ()>, payload: Value| async move {
                // The handler's own span: a child of the event's.
                let _work = tracing::info_span!("handler_work", step = "echo").entered();
                Ok::<_, HandlerError>(json!({"echoed": payload["text"]}))
            },
        )
        .register();
}

/// A Socket.IO client over Engine.IO long-polling (protocol 4/5), enough for one connect and acked events.
struct Polling {
    http: reqwest::blocking::Client,
    url: String,
}

impl Polling {
    fn connect(base: &str) -> Self {
        let http = reqwest::blocking::Client::new();
        let open = http
            .get(format!("{base}/socket.io/?EIO=4&transport=polling"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let handshake: Value = serde_json::from_str(open.trim_start_matches('0')).unwrap();
        let sid = handshake["sid"].as_str().unwrap();
        let client = Polling {
            http,
            url: format!("{base}/socket.io/?EIO=4&transport=polling&sid={sid}"),
        };
        client.post("40");
        let mut seen = Vec::new();
        for _ in 0..10 {
            let packets = client.poll();
            if packets.split('\u{1e}').any(|p| p.starts_with("40")) {
                return client;
            }
            seen.push(packets);
        }
        panic!("not connected to /: {seen:?}");
    }

    fn post(&self, packet: &str) {
        let answer = self
            .http
            .post(&self.url)
            .body(packet.to_owned())
            .send()
            .unwrap();
        assert!(answer.status().is_success());
    }

    fn poll(&self) -> String {
        self.http.get(&self.url).send().unwrap().text().unwrap()
    }

    /// Sends `event` with `payload`, asking for an acknowledgement, and returns it.
    fn ack(&self, id: u32, event: &str, payload: Value) -> String {
        self.post(&format!("42{id}{}", json!([event, payload])));
        loop {
            let packets = self.poll();
            if let Some(ack) = packets
                .split('\u{1e}')
                .find(|p| p.starts_with(&format!("43{id}")))
            {
                return ack.to_owned();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_and_their_attributes_reach_the_collector() {
    let (endpoint, mut spans) = receiver().await;
    let settings = OtelSettings {
        endpoint: Some(endpoint),
        headers: HashMap::new(),
        service_name: "otel-test".to_owned(),
    };
    let (telemetry, layer) = start(&settings, Some("info")).expect("the exporter starts");
    tracing_subscriber::registry().with(layer).init();

    let config = ServerConfig {
        port: 0,
        ..ServerConfig::default()
    };
    let (addr, handle) = fastsocket::server::serve(&SPEC, config, TokenList::new(vec![]), install)
        .await
        .expect("the server starts");
    let base = format!("http://{addr}");
    let answers = tokio::task::spawn_blocking(move || {
        let client = Polling::connect(&base);
        let ok = client.ack(1, "echo", json!({"text": "hi", "password": SECRET}));
        let unknown = client.ack(2, "nope", json!({"token": SECRET}));
        (ok, unknown)
    })
    .await
    .unwrap();
    assert!(answers.0.contains("\"echoed\":\"hi\""), "{answers:?}");
    assert!(answers.1.contains("unknown_event"), "{answers:?}");
    handle.shutdown().await.unwrap();
    // Dropping the exporter sends what is queued (a blocking wait: off the runtime's threads).
    tokio::task::spawn_blocking(move || drop(telemetry))
        .await
        .unwrap();

    let mut seen: Vec<Exported> = Vec::new();
    while let Ok(Some((service, span))) =
        tokio::time::timeout(Duration::from_secs(5), spans.recv()).await
    {
        assert_eq!(service, "otel-test");
        seen.push(span);
        let names: Vec<&str> = seen.iter().map(|s| s.name.as_str()).collect();
        if ["/ connect", "/ echo", "/ (undeclared)", "handler_work"]
            .iter()
            .all(|n| names.contains(n))
        {
            break;
        }
    }
    let find = |name: &str| {
        seen.iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span `{name}` among {seen:#?}"))
    };
    let connect = find("/ connect");
    assert_eq!(connect.attributes["namespace"], "/");
    assert_eq!(connect.attributes["outcome"], "ok");
    assert!(connect.attributes.contains_key("socket"));
    assert!(connect.attributes.contains_key("latency_us"));

    let echo = find("/ echo");
    assert_eq!(echo.attributes["event"], "echo");
    assert_eq!(echo.attributes["namespace.pattern"], "/");
    assert_eq!(echo.attributes["outcome"], "ok");
    assert_eq!(echo.attributes["socket"], connect.attributes["socket"]);
    assert!(echo.attributes["latency_us"].parse::<u64>().is_ok());

    let unknown = find("/ (undeclared)");
    assert_eq!(unknown.attributes["outcome"], "unknown_event");

    let work = find("handler_work");
    assert_eq!(
        work.parent, echo.span_id,
        "the handler's span is inside the event's"
    );

    for span in &seen {
        for (key, value) in &span.attributes {
            assert!(
                !value.contains(SECRET),
                "{key} of {} holds a secret",
                span.name
            );
            assert!(
                !value.contains("hi\""),
                "{key} of {} holds a payload",
                span.name
            );
        }
    }
}

fn settings(vars: &[(&str, &str)]) -> Option<OtelSettings> {
    OtelSettings::from_vars("Chat", |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    })
}

#[test]
fn nothing_is_exported_without_configuration() {
    assert_eq!(settings(&[("OTEL_SERVICE_NAME", "x")]), None);
}

#[test]
fn the_collector_comes_from_the_environment() {
    let s = settings(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).unwrap();
    assert_eq!(s.endpoint, None, "the exporter reads the variable itself");
    assert_eq!(s.service_name, "Chat");
    let s = settings(&[
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://c:4318/v1/traces",
        ),
        ("OTEL_SERVICE_NAME", "chat-eu-1"),
    ])
    .unwrap();
    assert_eq!(s.service_name, "chat-eu-1");
}

#[test]
fn logfire_takes_the_token_as_a_header_and_hides_it() {
    let s = settings(&[
        ("LOGFIRE_TOKEN", "pylf_v1_eu_secret"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:4318"),
    ])
    .unwrap();
    assert_eq!(
        s.endpoint.as_deref(),
        Some("https://logfire-eu.pydantic.dev/v1/traces")
    );
    assert_eq!(s.headers["Authorization"], "pylf_v1_eu_secret");
    assert!(!format!("{s:?}").contains("secret"), "{s:?}");
    let s = settings(&[
        ("LOGFIRE_TOKEN", "t"),
        ("LOGFIRE_BASE_URL", "http://127.0.0.1:9/"),
    ])
    .unwrap();
    assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:9/v1/traces"));
    let s = settings(&[("LOGFIRE_TOKEN", "pylf_v1_us_x")]).unwrap();
    assert_eq!(
        s.endpoint.as_deref(),
        Some("https://logfire-us.pydantic.dev/v1/traces")
    );
}
