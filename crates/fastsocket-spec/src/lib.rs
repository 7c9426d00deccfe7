//! Loads AsyncAPI 2.0–2.6 and 3.0 documents — YAML or JSON, `$ref`s across files — into the
//! [fastsocket IR](fastsocket_ir), with diagnostics that name file, line, column and JSON pointer.
//!
//! ```no_run
//! use fastsocket_spec::{load, Input, LoadOptions};
//! let loaded = load(&Input::Path("asyncapi.yaml".into()), &LoadOptions::default())?;
//! println!("{} channels", loaded.api.channels.len());
//! # Ok::<(), fastsocket_spec::LoadError>(())
//! ```
#![deny(missing_docs)]

pub mod check;
pub mod diag;
mod examples;
mod load;
mod lower;
pub mod node;
pub mod pointer;
pub mod sources;
pub mod syntax;

pub use diag::{Code, Diagnostic, Severity};
pub use load::{LoadError, Loaded, Report, load};
pub use sources::{Input, LoadOptions};
