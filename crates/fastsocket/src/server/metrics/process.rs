//! The process metrics every Prometheus client exports (`process_*`, the names Grafana's dashboards expect),
//! read from `/proc` at each scrape on Linux; absent elsewhere.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

/// The collector.
#[derive(Debug)]
pub(super) struct Process;

impl Collector for Process {
    #[cfg(target_os = "linux")]
    fn encode(&self, encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        linux::encode(encoder)
    }

    #[cfg(not(target_os = "linux"))]
    fn encode(&self, _: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use procfs::process::{LimitValue, Process};
    use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _};
    use prometheus_client::metrics::MetricType;
    use prometheus_client::metrics::counter::ConstCounter;
    use prometheus_client::metrics::gauge::ConstGauge;

    fn gauge(
        encoder: &mut DescriptorEncoder<'_>,
        name: &str,
        help: &str,
        value: f64,
    ) -> Result<(), std::fmt::Error> {
        ConstGauge::new(value).encode(encoder.encode_descriptor(
            name,
            help,
            None,
            MetricType::Gauge,
        )?)
    }

    // Counts and byte sizes are exact in an f64 below 2^53.
    #[allow(clippy::cast_precision_loss)]
    pub(super) fn encode(mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        // /proc unreadable (a sandbox): no process metrics rather than a failed scrape.
        let Ok(me) = Process::myself() else {
            return Ok(());
        };
        if let Ok(stat) = me.stat() {
            let ticks = procfs::ticks_per_second() as f64;
            let cpu = (stat.utime + stat.stime) as f64 / ticks;
            ConstCounter::new(cpu).encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "User and system CPU time spent, in seconds",
                None,
                MetricType::Counter,
            )?)?;
            if let Ok(boot) = procfs::boot_time_secs() {
                // `starttime` counts clock ticks from boot.
                gauge(
                    &mut encoder,
                    "process_start_time_seconds",
                    "Start time of the process since the Unix epoch, in seconds",
                    boot as f64 + stat.starttime as f64 / ticks,
                )?;
            }
            gauge(
                &mut encoder,
                "process_virtual_memory_bytes",
                "Virtual memory size, in bytes",
                stat.vsize as f64,
            )?;
            gauge(
                &mut encoder,
                "process_resident_memory_bytes",
                "Resident memory size, in bytes",
                (stat.rss * procfs::page_size()) as f64,
            )?;
        }
        if let Ok(open) = me.fd_count() {
            gauge(
                &mut encoder,
                "process_open_fds",
                "Open file descriptors",
                open as f64,
            )?;
        }
        if let Ok(limits) = me.limits()
            && let LimitValue::Value(max) = limits.max_open_files.soft_limit
        {
            gauge(
                &mut encoder,
                "process_max_fds",
                "The most file descriptors the process may open",
                max as f64,
            )?;
        }
        Ok(())
    }
}
