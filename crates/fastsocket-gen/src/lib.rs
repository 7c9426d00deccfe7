//! fastsocket-gen: AsyncAPI documents in, Socket.IO servers (Rust) and clients (Vue/TypeScript) out.
//!
//! This crate is the façade: the `cli` module behind the `fastsocket-gen` binary (feature `cli`, on by default),
//! and the library API that build scripts call ([`Builder`], configured in code or by a [`config`] file; a
//! `[build-dependencies]` entry with `default-features = false` leaves the command line's dependencies out).
//! Both hold one [`Settings`] value (defaults, the config file, then flags or setters) and call the one
//! [`generate()`] function; they differ only in where the files go. Loading lives in [`fastsocket_spec`], the IR in
//! [`fastsocket_ir`], the Rust emitter (and its options: layout, type attributes and overrides, runtime
//! dependency) in `fastsocket_codegen_rust`.
#![deny(missing_docs)]

mod atomic;
pub mod builder;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
#[cfg(feature = "cli")]
pub mod diff;
pub mod fingerprint;
pub mod generate;
pub mod init;
pub mod settings;
#[cfg(feature = "cli")]
pub mod watch;
pub mod write;

pub use fastsocket_ir as ir;
pub use fastsocket_spec as spec;
pub use fastsocket_spec::{Input, LoadError, LoadOptions, Loaded, load};

pub use builder::{BuildError, Builder, Generated};
pub use fastsocket_codegen_rust::Mapping;
pub use generate::{GenerateError, Generation, generate};
pub use settings::Settings;
