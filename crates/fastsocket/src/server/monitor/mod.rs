//! Live monitoring: what the monitoring namespace (`/_monitor` by default) streams to operators, and the tools
//! that read it.
//!
//! The wire format is [`protocol`]: one [`protocol::ActivityMessage`] per connect, refusal, disconnect and
//! event, and a [`protocol::StatsSnapshot`] every second.

#[cfg(feature = "monitor-cli")]
pub mod cli;
pub mod protocol;
