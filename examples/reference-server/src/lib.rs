//! Reference: a server in the exact shape fastsocket-gen emits, hand-written to prove the runtime.
//!
//! This file is yours: regeneration writes only `src/generated/`.

pub mod generated;
pub mod handlers;

pub use generated::models;
