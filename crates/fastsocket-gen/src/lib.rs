//! fastsocket-gen: AsyncAPI documents in, Socket.IO servers (Rust) and clients (Vue/TypeScript) out.
//!
//! This crate is the façade: the [`cli`] behind the `fastsocket-gen` binary, and the library API that build
//! scripts call ([`Builder`], configured in code or by a [`config`] file). Loading lives in [`fastsocket_spec`],
//! the IR in [`fastsocket_ir`].
#![deny(missing_docs)]

pub mod builder;
pub mod cli;
pub mod config;
pub mod customize;
pub mod diff;
pub mod fingerprint;
pub mod flatten;
pub mod init;
pub mod watch;
pub mod write;

pub use fastsocket_ir as ir;
pub use fastsocket_spec as spec;
pub use fastsocket_spec::{Input, LoadError, LoadOptions, Loaded, load};

pub use builder::{BuildError, Builder, Generated};
pub use fastsocket_codegen_rust::Mapping;
