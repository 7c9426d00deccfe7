//! Document-level IR: info, servers, channels, operations, messages, security.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ExternalDocs, Location, Names, TypeId, TypeSpace};

/// Extension fields (`x-*`) and bindings, kept as JSON so emitters can read what they understand.
pub type JsonMap = BTreeMap<String, Value>;

/// The index of a channel in [`Api::channels`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct ChannelId(pub u32);

/// The index of a message in [`Api::messages`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct MessageId(pub u32);

/// The AsyncAPI line a document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SpecFamily {
    /// 2.0.0 – 2.6.0: `publish`/`subscribe` on channels.
    V2,
    /// 3.0.0 (and 3.1.0): operations with `action`.
    V3,
}

/// A whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Api {
    /// The `asyncapi` version string as written.
    pub asyncapi: String,
    /// 2.x or 3.x.
    pub family: SpecFamily,
    /// The document's `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `defaultContentType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_content_type: Option<String>,
    /// `info`.
    pub info: Info,
    /// `servers`, in document order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<Server>,
    /// Channels, in document order; `channels[i].id == ChannelId(i)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// Operations, in document order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Operation>,
    /// Messages (each once, however often it is referenced); `messages[i].id == MessageId(i)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
    /// Security schemes by key (`components.securitySchemes`, plus inline 3.0 schemes under synthetic keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_schemes: Vec<SecurityScheme>,
    /// `components.x-messageAcks`: reusable acknowledgement schemas by key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub message_acks: BTreeMap<String, TypeId>,
    /// Every schema of the document.
    pub types: TypeSpace,
    /// Root `tags` (3.0: `info.tags`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Root `externalDocs` (3.0: `info.externalDocs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<ExternalDocs>,
    /// Root `x-*` fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: JsonMap,
    /// The entry document as JSON, for emitters that embed the spec (a server's `GET /asyncapi.json`). References
    /// to other files are left as written. Not part of the IR dump: it is the input, not a reading of it.
    #[serde(skip)]
    #[schemars(skip)]
    pub document: Value,
}

/// `info`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Info {
    /// `title`.
    pub title: String,
    /// `version` (of the API, not of AsyncAPI).
    pub version: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `termsOfService`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_of_service: Option<String>,
    /// `contact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// `license`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<License>,
    /// `x-*` fields of `info`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: JsonMap,
}

/// `info.contact`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Contact {
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `info.license`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct License {
    /// `name`.
    pub name: String,
    /// `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tag {
    /// `name`.
    pub name: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `externalDocs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<ExternalDocs>,
}

/// A server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Server {
    /// The key under `servers`.
    pub key: String,
    /// Identifier spellings of the key.
    pub names: Names,
    /// The URL: 2.x `url` as written; 3.0 `protocol://host/pathname`.
    pub url: String,
    /// The host (with port), variables unexpanded.
    pub host: String,
    /// The path, if any (`/socket.io` for a Socket.IO server on the default path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pathname: Option<String>,
    /// `protocol` (`ws`, `wss`, `mqtt`, `kafka`, …).
    pub protocol: String,
    /// `protocolVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    /// `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `variables`, in document order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<ServerVariable>,
    /// `security`: alternatives, any one of which suffices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<SecurityRequirement>,
    /// `tags`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// `bindings` by protocol.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bindings: JsonMap,
    /// `x-*` fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: JsonMap,
    /// Where it is written.
    pub location: Location,
}

/// A server variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServerVariable {
    /// The variable's name.
    pub name: String,
    /// `enum`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<String>,
    /// `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `examples`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

/// A security scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SecurityScheme {
    /// The key under `components.securitySchemes` (or a synthetic one for inline 3.0 schemes).
    pub key: String,
    /// Identifier spellings of the key.
    pub names: Names,
    /// `type`: `userPassword`, `apiKey`, `httpApiKey`, `http`, `oauth2`, `openIdConnect`, `X509`, …
    #[serde(rename = "type")]
    pub scheme_type: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `name`: the header, query or cookie parameter (`httpApiKey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `in`: `user`/`password` (`apiKey`), `query`/`header`/`cookie` (`httpApiKey`).
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `scheme` (`http`): `bearer`, `basic`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// `bearerFormat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_format: Option<String>,
    /// `flows` (`oauth2`), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flows: Option<Value>,
    /// `openIdConnectUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id_connect_url: Option<String>,
    /// `scopes` (3.0 `oauth2`/`openIdConnect`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// `x-*` fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: JsonMap,
    /// Where it is written.
    pub location_in_document: Location,
}

/// One alternative of a `security` list: every scheme named must pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecurityRequirement {
    /// The schemes (keys of [`Api::security_schemes`]) with their required scopes.
    pub schemes: Vec<SecurityUse>,
}

/// A scheme used by a requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecurityUse {
    /// The key of the scheme in [`Api::security_schemes`].
    pub scheme: String,
    /// Required scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// A channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Channel {
    /// This channel's id.
    pub id: ChannelId,
    /// The key under `channels`.
    pub key: String,
    /// Identifier spellings of the key.
    pub names: Names,
    /// The address (2.x: the key; 3.0: `address`, `None` when null or absent, i.e. dynamic or unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `parameters`, in document order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// The messages that may flow on the channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageId>,
    /// Keys of the servers the channel is on (empty: all servers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<String>,
    /// `tags`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// `bindings` by protocol.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bindings: JsonMap,
    /// `x-*` fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: JsonMap,
    /// Where it is written.
    pub location: Location,
}

/// A channel parameter (`{roomId}` in an address).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Parameter {
    /// The name inside the braces.
    pub name: String,
    /// Identifier spellings of the name.
    pub names: Names,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The schema (2.x `schema`); 3.0 parameters have none and use `enum`/`default` below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<TypeId>,
    /// Allowed values (3.0 `enum`, or a 2.x string schema's `enum`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<String>,
    /// `default` (3.0, or a 2.x schema's string `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `examples`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// `location`: a runtime expression saying where the value comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Which way an operation goes, seen from the application the document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The application sends (3.0 `send`, 2.x `subscribe`): a server emits these events.
    Send,
    /// The application receives (3.0 `receive`, 2.x `publish`): a server handles these events.
    Receive,
}

/// An operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Operation {
    /// The key under `operations` (3.0), the `operationId`, or a name made from channel and verb (2.x).
    pub key: String,
    /// Identifier spellings of the key.
    pub names: Names,
    /// `operationId` as written (2.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// Send or receive.
    pub action: Action,
    /// The channel.
    pub channel: ChannelId,
    /// The messages (all of the channel's when the operation names none).
    pub messages: Vec<MessageId>,
    /// The reply (3.0 `reply`): for Socket.IO, the acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
    /// `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `security`: alternatives, any one of which suffices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<SecurityRequirement>,
    /// `tags` (traits applied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// `bindings` by protocol (traits applied).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bindings: JsonMap,
    /// `x-*` fields (traits applied).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: JsonMap,
    /// Where it is written.
    pub location: Location,
}

/// A 3.0 operation reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reply {
    /// The channel the reply goes on, if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelId>,
    /// `address.location`: a runtime expression for a dynamic reply address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_location: Option<String>,
    /// The reply messages (the reply channel's when none are listed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageId>,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    /// This message's id.
    pub id: MessageId,
    /// A unique key: the component key, `messageId`, `name`, or a name made from where it is written.
    pub key: String,
    /// Identifier spellings of the key.
    pub names: Names,
    /// The event name on the wire: `name`, else the component key / `messageId`, else the key.
    pub event: String,
    /// `name` as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `messageId` (2.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `contentType` (or the document's `defaultContentType`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `schemaFormat`, when not plain AsyncAPI/JSON Schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_format: Option<String>,
    /// The payload schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<TypeId>,
    /// The headers schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<TypeId>,
    /// `correlationId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<CorrelationId>,
    /// The acknowledgement schema: `x-ack` (`{args: schema}` or a bare schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<TypeId>,
    /// `examples`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<MessageExample>,
    /// `deprecated` (3.0 message trait field, or `x-deprecated`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// `tags` (traits applied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// `bindings` by protocol (traits applied).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bindings: JsonMap,
    /// `x-*` fields (traits applied; `x-ack` is read into [`Message::ack`] and kept here too).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: JsonMap,
    /// Where it is written.
    pub location: Location,
}

/// A message example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MessageExample {
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `payload`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    /// `headers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Value>,
    /// Whether payload and headers match their schemas (`true` when there is nothing to check, e.g. an opaque
    /// schema or no payload); emitters turn only valid examples into tests. Left out of the dump when `true`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub valid: bool,
    /// Where it is written.
    pub location: Location,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// `correlationId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CorrelationId {
    /// The runtime expression (`$message.header#/correlationId`).
    pub location: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
