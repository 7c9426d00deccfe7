//! The intermediate representation of an AsyncAPI document: the only seam between reading specs and writing code.
//!
//! The loader (`fastsocket-spec`) builds an [`Api`] from AsyncAPI 2.x or 3.0; emitters read nothing else. The IR
//! follows the 3.0 model: 2.x `publish`/`subscribe` become [`Operation`]s with an [`Action`] seen from the
//! application, traits are already applied, every `$ref` is resolved, and every schema lives once in the
//! [`TypeSpace`] arena under a stable [`TypeId`] and a unique name.
//!
//! Everything here serialises deterministically (`fastsocket-gen ir`), and [`Api::json_schema`] describes that
//! dump for other tools.
#![deny(missing_docs)]

pub mod json_schema;
mod model;
pub mod naming;
pub mod output;
pub mod socketio;
mod types;

pub use model::*;
pub use naming::Names;
pub use types::*;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where something is written: file (relative to the entry document's folder, `/`-separated), 1-based line and
/// column, and the JSON pointer inside that file.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct Location {
    /// The file, relative to the entry document's folder.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
    /// RFC 6901 JSON pointer (`""` for the root).
    pub pointer: String,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{} (#{})",
            self.file, self.line, self.column, self.pointer
        )
    }
}

impl Api {
    /// The JSON Schema of the IR dump.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Api)).unwrap_or_default()
    }

    /// The channel with the given id.
    pub fn channel(&self, id: ChannelId) -> &Channel {
        &self.channels[id.0 as usize]
    }

    /// The message with the given id.
    pub fn message(&self, id: MessageId) -> &Message {
        &self.messages[id.0 as usize]
    }

    /// The operations on a channel, in document order.
    pub fn operations_on(&self, channel: ChannelId) -> impl Iterator<Item = &Operation> {
        self.operations
            .iter()
            .filter(move |op| op.channel == channel)
    }
}
