//! Structural checks of AsyncAPI documents: required fields, value types, unknown fields, enumerations, JSON Schema
//! keyword values, and the official parser's rules that need no `$ref` resolution (unique tag names, channel
//! parameters against the address, server variables against the URL, ...).
//!
//! The checks are tables (one per object kind and version, in `v2.rs`, `v3.rs` and `common.rs`) walked by one
//! engine (`engine.rs`), plus small rule functions for what a table cannot say. They never follow a `$ref`: every
//! Reference Object met where the specification allows one becomes a [`RefSite`], and the caller, which knows how to
//! load files, resolves it and checks the target with [`check_shape`] and the site's [`Shape`]. This keeps the checks free of I/O and keeps
//! cycles (`$ref` loops) the resolver's business, where they are detected once.
//!
//! Recursion follows the node tree only (one `$ref` never leads to another check from here), and the tree is at most
//! [`crate::syntax::MAX_DEPTH`] levels deep, so no input can overflow the stack.

mod common;
mod engine;
mod schema;
mod v2;
mod v3;

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod tests;

use crate::node::{Node, Pos};

use engine::Cx;

/// Which AsyncAPI line a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecVersion {
    /// AsyncAPI 2.0 to 2.6 (all checked with the 2.6 field set).
    V2 {
        /// The minor version (`6` for 2.6.0).
        minor: u8,
    },
    /// AsyncAPI 3.0 and later 3.x (3.1 is checked as 3.0).
    V3 {
        /// The minor version (`0` for 3.0.0).
        minor: u8,
    },
}

/// What kind of AsyncAPI object (or schema) a node must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// The root AsyncAPI Object.
    Document,
    /// The Info Object.
    Info,
    /// The Contact Object.
    Contact,
    /// The License Object.
    License,
    /// The Tag Object.
    Tag,
    /// The External Documentation Object.
    ExternalDocs,
    /// The Server Object.
    Server,
    /// The Server Variable Object.
    ServerVariable,
    /// The Channel Object (the Channel Item Object in 2.x).
    Channel,
    /// The Operation Object.
    Operation,
    /// The Operation Trait Object.
    OperationTrait,
    /// The Operation Reply Object (3.x only).
    OperationReply,
    /// The Operation Reply Address Object (3.x only).
    OperationReplyAddress,
    /// The Message Object (in 2.x also the `{oneOf: [...]}` form).
    Message,
    /// The Message Trait Object.
    MessageTrait,
    /// The Message Example Object.
    MessageExample,
    /// The Parameter Object.
    Parameter,
    /// The Correlation ID Object.
    CorrelationId,
    /// The Components Object.
    Components,
    /// The Security Scheme Object.
    SecurityScheme,
    /// The OAuth Flows Object.
    OAuthFlows,
    /// The OAuth Flow Object.
    OAuthFlow,
    /// The Security Requirement Object (2.x only: a map from scheme name to scopes).
    SecurityRequirement,
    /// A Bindings Object (server, channel, operation or message): protocol-specific, so only its form is checked.
    Bindings,
    /// A Schema Object: JSON Schema draft-07 with AsyncAPI's additions.
    Schema,
    /// An OpenAPI 3.0 Schema Object (a payload whose `schemaFormat` is `application/vnd.oai.openapi...`).
    OpenApiSchema,
    /// A Schema Object or, in 3.x, a Multi Format Schema Object (told apart by a `schema` field).
    AnySchema,
    /// The Multi Format Schema Object (3.x only): `{schemaFormat, schema}`.
    MultiFormatSchema,
    /// A schema in a format that is not JSON Schema (Avro, RAML, Protobuf, ...): not checked, only its `$ref`s are
    /// reported.
    ForeignSchema,
    /// Any value (the contents of bindings): not checked, only its `$ref`s are reported.
    Any,
}

/// How serious a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The document is invalid.
    Error,
    /// The document is valid but probably not what its author meant.
    Warning,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// JSON pointer of the offending value (or of the object missing a field), RFC 6901 escaped; `""` for the root.
    pub pointer: String,
    /// Position of the offending key (for unknown fields) or value.
    pub pos: Pos,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// What would fix it.
    pub help: Option<String>,
}

/// A Reference Object met where the specification allows one. The caller resolves it and calls [`check_shape`] on
/// the target with `shape`.
#[derive(Debug, Clone, PartialEq)]
pub struct RefSite {
    /// The `$ref` string as written.
    pub reference: String,
    /// JSON pointer of the node holding `$ref`.
    pub pointer: String,
    /// Position of the `$ref` value.
    pub pos: Pos,
    /// What the target must be.
    pub shape: Shape,
}

/// Checks `node` (found at `pointer` in its file) as a `shape` of `version`, pushing problems to `findings`.
///
/// Does not descend through `$ref`: where a Reference Object is allowed it pushes a [`RefSite`] and stops there;
/// where one is not allowed, that is a [`Finding`]. A target that is itself a Reference Object (a chain) is
/// reported as a new [`RefSite`] of the same shape. Never panics.
pub fn check_shape(
    version: SpecVersion,
    shape: Shape,
    node: &Node,
    pointer: &str,
    findings: &mut Vec<Finding>,
    refs: &mut Vec<RefSite>,
) {
    let mut cx = Cx::new(version, findings, refs);
    cx.entry(shape, node, pointer);
}

/// Appends one reference token to a JSON pointer, escaping `~` as `~0` and `/` as `~1` (RFC 6901).
pub fn push_pointer(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

impl Shape {
    /// The object's name as the specification writes it, for messages ("the Info Object").
    pub fn title(self) -> &'static str {
        match self {
            Shape::Document => "AsyncAPI Object",
            Shape::Info => "Info Object",
            Shape::Contact => "Contact Object",
            Shape::License => "License Object",
            Shape::Tag => "Tag Object",
            Shape::ExternalDocs => "External Documentation Object",
            Shape::Server => "Server Object",
            Shape::ServerVariable => "Server Variable Object",
            Shape::Channel => "Channel Object",
            Shape::Operation => "Operation Object",
            Shape::OperationTrait => "Operation Trait Object",
            Shape::OperationReply => "Operation Reply Object",
            Shape::OperationReplyAddress => "Operation Reply Address Object",
            Shape::Message => "Message Object",
            Shape::MessageTrait => "Message Trait Object",
            Shape::MessageExample => "Message Example Object",
            Shape::Parameter => "Parameter Object",
            Shape::CorrelationId => "Correlation ID Object",
            Shape::Components => "Components Object",
            Shape::SecurityScheme => "Security Scheme Object",
            Shape::OAuthFlows => "OAuth Flows Object",
            Shape::OAuthFlow => "OAuth Flow Object",
            Shape::SecurityRequirement => "Security Requirement Object",
            Shape::Bindings => "Bindings Object",
            Shape::Schema | Shape::AnySchema => "Schema Object",
            Shape::OpenApiSchema => "OpenAPI Schema Object",
            Shape::MultiFormatSchema => "Multi Format Schema Object",
            Shape::ForeignSchema => "non-JSON schema",
            Shape::Any => "value",
        }
    }
}

impl SpecVersion {
    /// Whether this is the 3.x line.
    pub fn is_v3(self) -> bool {
        matches!(self, SpecVersion::V3 { .. })
    }
}
