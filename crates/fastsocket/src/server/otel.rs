//! OTLP export of the connect and event spans (feature `otel`), set up by [`run`](super::run) from the
//! environment:
//!
//! - `LOGFIRE_TOKEN`: to Pydantic Logfire, over OTLP (HTTP/protobuf) to its endpoint with the token in the
//!   `Authorization` header: `https://logfire-eu.pydantic.dev` for an EU token (`pylf_v1_eu_…`), else
//!   `https://logfire-us.pydantic.dev`, or `LOGFIRE_BASE_URL`. (Not the `logfire` crate: it installs a
//!   subscriber of its own, which the log writer's would fight with.)
//! - else `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`): to that collector over
//!   HTTP/protobuf (`/v1/traces` appended to the first), with `OTEL_EXPORTER_OTLP_HEADERS`.
//! - neither: nothing is exported and the spans cost next to nothing (see [`SPAN_TARGET`]).
//!
//! The service is named by `OTEL_SERVICE_NAME`, else the document's title. Spans are batched by the SDK's batch
//! processor on a thread of its own, which does the (blocking) HTTP requests: the server's tasks only queue a
//! finished span, and a full queue drops spans rather than wait. Which spans go: `RUST_LOG` (the handlers' own
//! spans, at their levels), plus the runtime's connect and event spans unless `RUST_LOG` names
//! [`SPAN_TARGET`]. Events inside a span travel as its span events. Attributes never hold payloads, handshake
//! `auth`, headers, query strings or tokens.

use std::collections::HashMap;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::Layer as _;

use super::SPAN_TARGET;
use super::logs::ExtraLayer;

/// Where spans go.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OtelSettings {
    /// The full URL spans are posted to (`…/v1/traces`); `None`: the exporter reads
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` itself.
    pub endpoint: Option<String>,
    /// Extra request headers (Logfire's `Authorization`); never logged.
    pub headers: HashMap<String, String>,
    /// `service.name`.
    pub service_name: String,
}

impl std::fmt::Debug for OtelSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values are credentials: their names only.
        let mut headers: Vec<&String> = self.headers.keys().collect();
        headers.sort();
        f.debug_struct("OtelSettings")
            .field("endpoint", &self.endpoint)
            .field("headers", &headers)
            .field("service_name", &self.service_name)
            .finish()
    }
}

impl OtelSettings {
    /// From the environment (see the [module documentation](self)); `None` when no exporter is configured.
    /// `title`: the service name when `OTEL_SERVICE_NAME` is not set.
    pub fn from_env(title: &str) -> Option<Self> {
        Self::from_vars(title, |name| {
            std::env::var(name).ok().filter(|v| !v.trim().is_empty())
        })
    }

    /// As [`from_env`](Self::from_env), reading the variables through `var` (a test's table).
    pub fn from_vars(title: &str, var: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let service_name = var("OTEL_SERVICE_NAME").unwrap_or_else(|| title.to_owned());
        if let Some(token) = var("LOGFIRE_TOKEN") {
            let base = var("LOGFIRE_BASE_URL").unwrap_or_else(|| {
                if token.starts_with("pylf_v1_eu_") {
                    "https://logfire-eu.pydantic.dev".to_owned()
                } else {
                    "https://logfire-us.pydantic.dev".to_owned()
                }
            });
            return Some(OtelSettings {
                endpoint: Some(format!("{}/v1/traces", base.trim_end_matches('/'))),
                headers: HashMap::from([("Authorization".to_owned(), token)]),
                service_name,
            });
        }
        (var("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
            || var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some())
        .then(|| OtelSettings {
            endpoint: None,
            headers: HashMap::new(),
            service_name,
        })
    }
}

/// The exporter: dropping it sends the spans still queued (waits for the batch thread, a few seconds at most).
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            eprintln!("warning: the last spans may not have been exported: {error}");
        }
    }
}

/// Starts the exporter of `settings` and the `tracing` layer that feeds it (give it to
/// [`logs::init_with`](super::logs::init_with)). The layer takes what `rust_log` lets through, plus the
/// runtime's spans unless `rust_log` names [`SPAN_TARGET`].
pub fn start(
    settings: &OtelSettings,
    rust_log: Option<&str>,
) -> Result<(Telemetry, ExtraLayer), opentelemetry_otlp::ExporterBuildError> {
    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
    if let Some(endpoint) = &settings.endpoint {
        builder = builder.with_endpoint(endpoint.clone());
    }
    if !settings.headers.is_empty() {
        builder = builder.with_headers(settings.headers.clone());
    }
    let exporter = builder.build()?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(settings.service_name.clone())
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("fastsocket");
    let mut filter = super::config::log_filter(rust_log);
    if !rust_log.is_some_and(|spec| spec.contains(SPAN_TARGET))
        && let Ok(directive) = format!("{SPAN_TARGET}=info").parse()
    {
        filter = filter.add_directive(directive);
    }
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(filter);
    Ok((Telemetry { provider }, Box::new(layer)))
}

/// [`start`] from the environment, for [`run`](super::run): `(None, None)` when no exporter is configured or
/// it cannot start (said on stderr; the server runs without it).
pub(crate) fn from_env(title: &str) -> (Option<Telemetry>, Option<ExtraLayer>) {
    let Some(settings) = OtelSettings::from_env(title) else {
        return (None, None);
    };
    match start(&settings, std::env::var("RUST_LOG").ok().as_deref()) {
        Ok((telemetry, layer)) => {
            eprintln!(
                "exporting spans over OTLP to {}",
                settings
                    .endpoint
                    .as_deref()
                    .unwrap_or("OTEL_EXPORTER_OTLP_ENDPOINT")
            );
            (Some(telemetry), Some(layer))
        }
        Err(error) => {
            eprintln!("warning: spans are not exported: {error}");
            (None, None)
        }
    }
}
