//! Fastsocket Chat: generated from its AsyncAPI document by fastsocket-gen.
//!
//! This file is yours: regeneration writes only `src/generated/`.

// The generator's output is formatted by prettyplease and carries a hash of its text: rustfmt must leave it.
#[rustfmt::skip]
pub mod generated;
pub mod activity;
pub mod handlers;
pub mod state;

pub use generated::models;
