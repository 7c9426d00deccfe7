//! `tracing` events (the server's other lines: listening, shutting down, errors of crates below) as records
//! of kind `log`, through the same non-blocking writer as the per-event records.

use std::borrow::Cow;
use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::Context;

use super::record::{Kind, Level, Record};
use super::redact;
use super::sink::Sink;

/// Sends every event it sees to a [`Sink`].
#[derive(Debug, Clone)]
pub struct SinkLayer {
    sink: Sink,
}

impl SinkLayer {
    /// A layer writing into `sink`.
    pub fn new(sink: Sink) -> Self {
        SinkLayer { sink }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SinkLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.sink.send(Record {
            target: Some(Cow::Borrowed(meta.target())),
            message: fields.message.map(Cow::Owned),
            fields: (!fields.map.is_empty()).then_some(fields.map),
            ..Record::new(Level::from_tracing(*meta.level()), Kind::Log)
        });
    }
}

#[derive(Default)]
struct Fields {
    message: Option<String>,
    map: serde_json::Map<String, serde_json::Value>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        let value = if redact::is_secret_name(field.name()) {
            redact::REDACTED.into()
        } else {
            value
        };
        self.map.insert(field.name().to_owned(), value);
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = Some(format!("{value:?}"));
        } else {
            self.put(field, format!("{value:?}").into());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.put(field, value.into());
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
}
