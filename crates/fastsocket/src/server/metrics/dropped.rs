//! Records the server could not keep (a full log queue, a slow monitor client): counted by their owners,
//! read at each scrape.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;

type Read = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Every source, by sink name. Process-wide: the log is process-wide, and a sink registered by one server is
/// shown by all of them (a process normally runs one).
static SOURCES: Mutex<BTreeMap<&'static str, Read>> = Mutex::new(BTreeMap::new());

/// Adds a count of dropped records to `GET /metrics` as `fastsocket_dropped_records_total{sink="<sink>"}`:
/// `read` is called at every scrape and must return a total that only grows (an atomic the sink increments).
/// Registering the same `sink` again replaces its source. `sink` is a label value: a fixed name (`log`,
/// `monitor`), never something a client chose.
pub fn register_dropped(sink: &'static str, read: impl Fn() -> u64 + Send + Sync + 'static) {
    SOURCES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(sink, Arc::new(read));
}

/// The collector of every registered source.
#[derive(Debug)]
pub(super) struct Dropped;

impl Collector for Dropped {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        // Read outside the lock: a source may take a lock of its own.
        let sources: Vec<(&'static str, Read)> = SOURCES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(sink, read)| (*sink, read.clone()))
            .collect();
        // The family is described even with no source yet, so dashboards and alerts always find it.
        let mut family = encoder.encode_descriptor(
            "fastsocket_dropped_records",
            "Log and monitor records dropped because their queue was full",
            None,
            MetricType::Counter,
        )?;
        for (sink, read) in sources {
            ConstCounter::new(read()).encode(family.encode_family(&[("sink", sink)])?)?;
        }
        Ok(())
    }
}
