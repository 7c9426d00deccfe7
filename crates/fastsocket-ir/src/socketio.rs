//! AsyncAPI → Socket.IO: which namespaces exist, which events each handles and emits, with which payload and
//! acknowledgement types, and what security guards the connection.
//!
//! Two conventions are found in the wild (see `shared/docs/socketio-mapping.md`): channel = namespace (Asynction,
//! SIO-AsyncAPI, the AsyncAPI blog) and channel = event on one namespace (Glee, documents written for MQTT or Kafka).

use std::collections::BTreeMap;

use crate::naming::{NameScope, rust_field_name, type_name};
use crate::{Action, Api, Channel, MessageId, SecurityRequirement, TypeId};

/// How channels become Socket.IO namespaces and events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// Each channel is a namespace (its address); messages are events by name.
    Namespace,
    /// One namespace `/`; each channel's address is the event name.
    Event,
}

/// Protocols whose channels are topics, not Socket.IO namespaces.
const TOPIC_PROTOCOLS: &[&str] = &[
    "mqtt",
    "mqtts",
    "secure-mqtt",
    "kafka",
    "kafka-secure",
    "amqp",
    "amqps",
    "nats",
    "jms",
    "sns",
    "sqs",
    "stomp",
    "stomps",
    "redis",
    "pulsar",
    "solace",
    "ibmmq",
    "googlepubsub",
    "anypointmq",
    "mercure",
];

impl Mapping {
    /// The mapping a document was most likely written for: event mapping when a server speaks a topic protocol or a
    /// channel address is not a path; namespace mapping otherwise.
    pub fn detect(api: &Api) -> (Mapping, &'static str) {
        if api
            .servers
            .iter()
            .any(|s| TOPIC_PROTOCOLS.contains(&s.protocol.to_ascii_lowercase().as_str()))
        {
            return (
                Mapping::Event,
                "a server uses a topic protocol (MQTT, Kafka, AMQP, …)",
            );
        }
        if api.channels.iter().any(|c| !address(c).starts_with('/')) {
            return (
                Mapping::Event,
                "channel addresses are not namespace paths (they do not start with `/`)",
            );
        }
        (
            Mapping::Namespace,
            "channel addresses are paths, as Socket.IO namespaces are",
        )
    }
}

/// One Socket.IO namespace of the generated server.
#[derive(Debug, Clone)]
pub struct Namespace {
    /// The path (`/`, `/admin`, `/rooms/{roomId}`).
    pub path: String,
    /// PascalCase name for items (`Lobby`, `Rooms`).
    pub pascal: String,
    /// snake_case name for modules and functions.
    pub snake: String,
    /// Parameters of a dynamic namespace, in address order.
    pub params: Vec<Param>,
    /// Events the server handles.
    pub inbound: Vec<Event>,
    /// Events the server emits.
    pub outbound: Vec<Event>,
    /// The schemes a client may connect with: every non-empty alternative of its events' security, by scheme key
    /// (see [`Event::security`] for what each event needs, scopes included).
    pub security: Vec<Vec<String>>,
    /// The channels the namespace serves (for docs).
    pub channels: Vec<String>,
}

/// A namespace parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// The name in braces.
    pub name: String,
    /// The Rust field name.
    pub field: String,
    /// Its schema, if any.
    pub schema: Option<TypeId>,
    /// Allowed values.
    pub enum_values: Vec<String>,
    /// What it means.
    pub description: Option<String>,
}

/// One event.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event name on the wire.
    pub name: String,
    /// The Rust method name (unique in its namespace).
    pub method: String,
    /// The message.
    pub message: MessageId,
    /// The payload schema (`None`: any JSON).
    pub payload: Option<TypeId>,
    /// The acknowledgement schema (inbound events only).
    pub ack: Option<TypeId>,
    /// Summary or description for docs.
    pub doc: Option<String>,
    /// Who may send (inbound) or is meant to receive (outbound) it: its operation's `security`, else that of
    /// the servers its channel is on. Alternatives (any one suffices) of schemes with scopes that must all pass;
    /// empty: no credentials needed.
    pub security: Vec<SecurityRequirement>,
    /// Sent at most once, never replayed to a client that reconnects: `x-fastsocket-volatile: true` on the
    /// message or its operation (typing indicators, positions: what is stale by the time a client is back).
    pub volatile: bool,
}

/// The name of the extension that marks an event volatile ([`Event::volatile`]).
pub const VOLATILE_EXTENSION: &str = "x-fastsocket-volatile";

/// The namespaces of a document under a mapping, in document order, with notes on what was merged or dropped.
pub fn namespaces(api: &Api, mapping: Mapping) -> (Vec<Namespace>, Vec<String>) {
    let mut notes = Vec::new();
    let mut by_path: BTreeMap<String, usize> = BTreeMap::new();
    let mut out: Vec<Namespace> = Vec::new();
    let mut names = NameScope::new();
    for channel in &api.channels {
        let path = match mapping {
            Mapping::Namespace => namespace_path(address(channel)),
            Mapping::Event => "/".to_string(),
        };
        let index = *by_path.entry(path.clone()).or_insert_with(|| {
            // Channel keys are the names the spec's author chose (`lobby`, `room`); paths are a fallback.
            let base = match mapping {
                Mapping::Namespace => namespace_name(&channel.key),
                Mapping::Event => "Root".to_string(),
            };
            let pascal = names.claim(&base);
            out.push(Namespace {
                snake: rust_field_name(&pascal),
                pascal,
                params: Vec::new(),
                inbound: Vec::new(),
                outbound: Vec::new(),
                security: Vec::new(),
                channels: Vec::new(),
                path: path.clone(),
            });
            out.len() - 1
        });
        let ns = &mut out[index];
        ns.channels.push(channel.key.clone());
        if mapping == Mapping::Namespace {
            for p in &channel.parameters {
                if !ns.params.iter().any(|q| q.name == p.name)
                    && path.contains(&format!("{{{}}}", p.name))
                {
                    ns.params.push(Param {
                        name: p.name.clone(),
                        field: p.names.snake.clone(),
                        schema: p.schema,
                        enum_values: p.enum_values.clone(),
                        description: p.description.clone(),
                    });
                }
            }
        }
        for op in api.operations_on(channel.id) {
            let security = operation_security(api, channel, &op.security);
            let messages = if op.messages.is_empty() {
                &channel.messages
            } else {
                &op.messages
            };
            let several = messages.len() > 1;
            for id in messages {
                let message = api.message(*id);
                let name = match mapping {
                    Mapping::Namespace => message.event.clone(),
                    Mapping::Event if several => format!("{}:{}", address(channel), message.event),
                    Mapping::Event => address(channel).to_string(),
                };
                let reply_ack = op
                    .reply
                    .as_ref()
                    .and_then(|r| r.messages.first())
                    .and_then(|m| api.message(*m).payload);
                let event = Event {
                    method: String::new(),
                    name,
                    message: *id,
                    payload: message.payload,
                    ack: message.ack.or(reply_ack),
                    doc: message
                        .summary
                        .clone()
                        .or_else(|| message.description.clone())
                        .or_else(|| op.summary.clone()),
                    security: security.clone(),
                    volatile: [&message.extensions, &op.extensions]
                        .iter()
                        .any(|x| x.get(VOLATILE_EXTENSION) == Some(&serde_json::Value::Bool(true))),
                };
                let list = match op.action {
                    Action::Receive => &mut ns.inbound,
                    Action::Send => &mut ns.outbound,
                };
                if list.iter().any(|e| e.name == event.name) {
                    notes.push(format!(
                        "event `{}` of namespace `{}` is described twice; the first description is used",
                        event.name, ns.path
                    ));
                } else {
                    list.push(event);
                }
            }
            for requirement in &security {
                push_requirement(&mut ns.security, requirement);
            }
        }
    }
    for ns in &mut out {
        // A namespace without operations: the servers' security, for the connection alone.
        if ns.inbound.is_empty() && ns.outbound.is_empty() && ns.security.is_empty() {
            let channels: Vec<&Channel> = api
                .channels
                .iter()
                .filter(|c| ns.channels.contains(&c.key))
                .collect();
            for server in &api.servers {
                let serves = channels
                    .iter()
                    .any(|c| c.servers.is_empty() || c.servers.contains(&server.key));
                if serves {
                    for requirement in &server.security {
                        push_requirement(&mut ns.security, requirement);
                    }
                }
            }
        }
        let mut methods = NameScope::new();
        // The handler trait's lifecycle hooks, and the methods every generated emitter has besides its events.
        for reserved in ["on_connect", "on_disconnect", "on_start", "to", "inner"] {
            methods.reserve(reserved);
        }
        for event in ns.inbound.iter_mut().chain(ns.outbound.iter_mut()) {
            event.method = methods.claim(&api.message(event.message).names.snake);
        }
    }
    (out, notes)
}

/// A name for a namespace from its channel key: the key itself (`lobby`), or for a path (2.x keys are paths) its
/// fixed segments (`/tables/{tableId}` → `Tables`, `/` → `Root`).
fn namespace_name(key: &str) -> String {
    if !key.starts_with('/') {
        return type_name(key);
    }
    let fixed: Vec<&str> = key
        .split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .collect();
    if fixed.is_empty() {
        "Root".to_string()
    } else {
        type_name(&fixed.join(" "))
    }
}

/// An operation's security: its own requirements, else those of the servers its channel is on (a channel that
/// names none is on every server). An empty alternative (`security: [{}]`, "no credentials also do") makes the
/// whole operation open.
fn operation_security(
    api: &Api,
    channel: &Channel,
    own: &[SecurityRequirement],
) -> Vec<SecurityRequirement> {
    let stated: Vec<&SecurityRequirement> = if own.is_empty() {
        api.servers
            .iter()
            .filter(|server| channel.servers.is_empty() || channel.servers.contains(&server.key))
            .flat_map(|server| &server.security)
            .collect()
    } else {
        own.iter().collect()
    };
    if stated.iter().any(|r| r.schemes.is_empty()) {
        return Vec::new();
    }
    let mut out: Vec<SecurityRequirement> = Vec::new();
    for r in stated {
        if !out.contains(r) {
            out.push(r.clone());
        }
    }
    out
}

fn push_requirement(list: &mut Vec<Vec<String>>, requirement: &SecurityRequirement) {
    let keys: Vec<String> = requirement
        .schemes
        .iter()
        .map(|s| s.scheme.clone())
        .collect();
    if !keys.is_empty() && !list.contains(&keys) {
        list.push(keys);
    }
}

fn address(channel: &Channel) -> &str {
    channel.address.as_deref().unwrap_or(&channel.key)
}

/// A channel address as a namespace path: leading `/`, no trailing `/` (except the root).
fn namespace_path(address: &str) -> String {
    let trimmed = address.trim();
    let with_slash = if trimmed.starts_with('/') {
        trimmed.to_string()
    } else {
        format!("/{trimmed}")
    };
    if with_slash.len() > 1 {
        with_slash.trim_end_matches('/').to_string()
    } else {
        with_slash
    }
}

#[cfg(test)]
mod tests {
    use super::namespace_path;

    #[test]
    fn namespaces_are_named_from_keys_or_fixed_path_segments() {
        use super::namespace_name;
        assert_eq!(namespace_name("lobby"), "Lobby");
        assert_eq!(namespace_name("/"), "Root");
        assert_eq!(namespace_name("/tables/{tableId}"), "Tables");
        assert_eq!(namespace_name("/admin/live"), "AdminLive");
    }

    #[test]
    fn addresses_become_namespace_paths() {
        assert_eq!(namespace_path("/"), "/");
        assert_eq!(namespace_path("admin"), "/admin");
        assert_eq!(namespace_path("/rooms/{roomId}/"), "/rooms/{roomId}");
    }
}
