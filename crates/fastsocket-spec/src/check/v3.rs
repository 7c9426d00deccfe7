//! AsyncAPI 3.x (3.1 is read as 3.0, of which it is a superset): the object tables and the rules of the official
//! parser that need no `$ref` resolution (channel parameters against the address, operation messages taken from the
//! operation's channel, root operations and channels pointing at root channels and servers).

use crate::node::Node;

use super::common::{self, Template};
use super::engine::{Cx, ObjSpec, Ref, Val, opt, req};
use super::schema::Format;
use super::{Severity, Shape, push_pointer};

/// The table of `shape`, if it is an object with fixed fields in 3.x.
pub(crate) fn spec(shape: Shape) -> Option<&'static ObjSpec> {
    Some(match shape {
        Shape::Document => &DOCUMENT,
        Shape::Info => &INFO,
        Shape::Contact => &common::CONTACT,
        Shape::License => &common::LICENSE,
        Shape::Tag => &TAG,
        Shape::ExternalDocs => &common::EXTERNAL_DOCS,
        Shape::Server => &SERVER,
        Shape::ServerVariable => &common::SERVER_VARIABLE,
        Shape::Channel => &CHANNEL,
        Shape::Operation => &OPERATION,
        Shape::OperationTrait => &OPERATION_TRAIT,
        Shape::OperationReply => &OPERATION_REPLY,
        Shape::OperationReplyAddress => &OPERATION_REPLY_ADDRESS,
        Shape::Message => &MESSAGE,
        Shape::MessageTrait => &MESSAGE_TRAIT,
        Shape::MessageExample => &common::MESSAGE_EXAMPLE,
        Shape::Parameter => &PARAMETER,
        Shape::CorrelationId => &common::CORRELATION_ID,
        Shape::Components => &COMPONENTS,
        Shape::OAuthFlows => &common::OAUTH_FLOWS,
        Shape::OAuthFlow => &common::OAUTH_FLOW_V3,
        Shape::MultiFormatSchema => &MULTI_FORMAT_SCHEMA,
        _ => return None,
    })
}

const TAGS: Val = Val::Tags(Ref::Yes);
const EXTERNAL_DOCS: Val = Val::One(Shape::ExternalDocs, Ref::Yes);
const BINDINGS: Val = Val::One(Shape::Bindings, Ref::Yes);
const SECURITY: Val = Val::List(Shape::SecurityScheme, Ref::Yes);
const ANY_SCHEMA: Val = Val::One(Shape::AnySchema, Ref::Yes);

static DOCUMENT: ObjSpec = ObjSpec {
    shape: Shape::Document,
    fields: &[
        req("asyncapi", Val::Str),
        opt("id", Val::Str),
        req("info", Val::One(Shape::Info, Ref::No)),
        opt("servers", Val::Map(Shape::Server, Ref::Yes)),
        opt("defaultContentType", Val::Str),
        opt("channels", Val::Map(Shape::Channel, Ref::Yes)),
        opt("operations", Val::Map(Shape::Operation, Ref::Yes)),
        opt("components", Val::One(Shape::Components, Ref::No)),
    ],
    rule: Some(document_rules),
    hints: &[
        ("tags", "AsyncAPI 3 moved the root `tags` into `info`"),
        (
            "externalDocs",
            "AsyncAPI 3 moved the root `externalDocs` into `info`",
        ),
    ],
};

static INFO: ObjSpec = ObjSpec {
    shape: Shape::Info,
    fields: &[
        req("title", Val::Str),
        req("version", Val::Str),
        opt("description", Val::Str),
        opt("termsOfService", Val::Str),
        opt("contact", Val::One(Shape::Contact, Ref::No)),
        opt("license", Val::One(Shape::License, Ref::No)),
        opt("tags", TAGS),
        opt("externalDocs", EXTERNAL_DOCS),
    ],
    rule: None,
    hints: &[],
};

static TAG: ObjSpec = ObjSpec {
    shape: Shape::Tag,
    fields: &[
        req("name", Val::Str),
        opt("description", Val::Str),
        opt("externalDocs", EXTERNAL_DOCS),
    ],
    rule: None,
    hints: &[],
};

static SERVER: ObjSpec = ObjSpec {
    shape: Shape::Server,
    fields: &[
        req("host", Val::Str),
        opt("pathname", Val::Str),
        opt("title", Val::Str),
        opt("summary", Val::Str),
        opt("description", Val::Str),
        req("protocol", Val::Str),
        opt("protocolVersion", Val::Str),
        opt("variables", Val::Map(Shape::ServerVariable, Ref::Yes)),
        opt("security", SECURITY),
        opt("tags", TAGS),
        opt("externalDocs", EXTERNAL_DOCS),
        opt("bindings", BINDINGS),
    ],
    rule: Some(server_rules),
    hints: &[(
        "url",
        "AsyncAPI 3 splits the server `url` into `host` (with the port) and `pathname`",
    )],
};

fn server_rules(cx: &mut Cx, node: &Node, ptr: &str) {
    let host = node.get_str("host").unwrap_or("");
    let pathname = node.get_str("pathname").unwrap_or("");
    if host.is_empty() && pathname.is_empty() {
        return;
    }
    let text = format!("{host}{pathname}");
    let template = Template {
        text: &text,
        place: "server host and pathname",
        kind: "variable",
        field: "variables",
        undeclared: Severity::Error,
        // The official parser does not compare 3.x server variables at all.
        unused: Severity::Warning,
    };
    common::check_template(cx, &template, node, ptr);
}

static CHANNEL: ObjSpec = ObjSpec {
    shape: Shape::Channel,
    fields: &[
        opt("address", Val::StrOrNull),
        opt("messages", Val::Map(Shape::Message, Ref::Yes)),
        opt("parameters", Val::Map(Shape::Parameter, Ref::Yes)),
        opt("title", Val::Str),
        opt("summary", Val::Str),
        opt("description", Val::Str),
        opt("servers", Val::List(Shape::Server, Ref::Only)),
        opt("tags", TAGS),
        opt("externalDocs", EXTERNAL_DOCS),
        opt("bindings", BINDINGS),
    ],
    rule: Some(channel_rules),
    hints: &[
        (
            "publish",
            "AsyncAPI 3 moved operations out of channels: declare them under the root `operations` with `action: send` or `action: receive`",
        ),
        (
            "subscribe",
            "AsyncAPI 3 moved operations out of channels: declare them under the root `operations` with `action: send` or `action: receive`",
        ),
        ("deprecated", "AsyncAPI 3 channels have no `deprecated`"),
    ],
};

/// The address's `{name}`s must be the declared parameters, and the address must not carry a query or fragment.
fn channel_rules(cx: &mut Cx, node: &Node, ptr: &str) {
    match node.get("address") {
        Some(address) if address.as_str().is_some() => {
            let text = address.as_str().unwrap_or_default();
            common::address_without_query(cx, text, &push_pointer(ptr, "address"), address);
            let template = Template {
                text,
                place: "channel address",
                kind: "parameter",
                field: "parameters",
                undeclared: Severity::Error,
                // As the official parser: a parameter the address does not use is an error in 3.x.
                unused: Severity::Error,
            };
            common::check_template(cx, &template, node, ptr);
        }
        _ => {
            let Some(params) = node
                .get("parameters")
                .and_then(Node::as_map)
                .filter(|p| !p.is_empty())
            else {
                return;
            };
            let names = params
                .iter()
                .map(|(k, _)| format!("`{}`", k.text))
                .collect::<Vec<_>>()
                .join(", ");
            cx.error(
                &push_pointer(ptr, "parameters"),
                node.pos,
                format!(
                    "the channel declares parameters {names} but has no `address` to use them in"
                ),
                Some(
                    "add an `address` with `{name}` placeholders, or remove `parameters`"
                        .to_string(),
                ),
            );
        }
    }
}

static OPERATION: ObjSpec = ObjSpec {
    shape: Shape::Operation,
    fields: &[
        req("action", Val::Enum(&["send", "receive"])),
        req("channel", Val::One(Shape::Channel, Ref::Only)),
        opt("messages", Val::List(Shape::Message, Ref::Only)),
        opt("reply", Val::One(Shape::OperationReply, Ref::Yes)),
        opt("traits", Val::List(Shape::OperationTrait, Ref::Yes)),
        opt("title", Val::Str),
        opt("summary", Val::Str),
        opt("description", Val::Str),
        opt("security", SECURITY),
        opt("tags", TAGS),
        opt("externalDocs", EXTERNAL_DOCS),
        opt("bindings", BINDINGS),
    ],
    rule: Some(operation_messages),
    hints: &[
        (
            "operationId",
            "AsyncAPI 3 has no `operationId`: the operation's key under `operations` identifies it",
        ),
        (
            "message",
            "AsyncAPI 3 uses `messages`: a list of `$ref`s to messages of the operation's channel",
        ),
    ],
};

/// An operation can only send or receive messages of its own channel; with both written as `$ref`s, that means the
/// message pointer must continue the channel pointer (`#/channels/x` → `#/channels/x/messages/m`).
fn operation_messages(cx: &mut Cx, node: &Node, ptr: &str) {
    let Some(channel) = node.get("channel").and_then(|c| c.get_str("$ref")) else {
        return;
    };
    let Some(messages) = node.get("messages").and_then(Node::as_seq) else {
        return;
    };
    let prefix = format!("{channel}/messages");
    for (i, message) in messages.iter().enumerate() {
        let Some(target) = message.get("$ref") else {
            continue;
        };
        let Some(text) = target.as_str() else {
            continue;
        };
        if !text.starts_with(&prefix) {
            cx.error(
                &push_pointer(&push_pointer(&push_pointer(ptr, "messages"), &i.to_string()), "$ref"),
                target.pos,
                format!("operation message `{text}` is not a message of the operation's channel `{channel}`"),
                Some(format!("point at the channel's copy: `{prefix}/<name>`")),
            );
        }
    }
}

static OPERATION_TRAIT: ObjSpec = ObjSpec {
    shape: Shape::OperationTrait,
    fields: &[
        opt("title", Val::Str),
        opt("summary", Val::Str),
        opt("description", Val::Str),
        opt("security", SECURITY),
        opt("tags", TAGS),
        opt("externalDocs", EXTERNAL_DOCS),
        opt("bindings", BINDINGS),
    ],
    rule: None,
    hints: &[
        ("action", "an operation trait cannot set `action`"),
        ("channel", "an operation trait cannot set `channel`"),
        ("operationId", "AsyncAPI 3 has no `operationId`"),
    ],
};

static OPERATION_REPLY: ObjSpec = ObjSpec {
    shape: Shape::OperationReply,
    fields: &[
        opt("address", Val::One(Shape::OperationReplyAddress, Ref::Yes)),
        opt("channel", Val::One(Shape::Channel, Ref::Only)),
        opt("messages", Val::List(Shape::Message, Ref::Only)),
    ],
    rule: None,
    hints: &[],
};

static OPERATION_REPLY_ADDRESS: ObjSpec = ObjSpec {
    shape: Shape::OperationReplyAddress,
    fields: &[req("location", Val::Runtime), opt("description", Val::Str)],
    rule: None,
    hints: &[],
};

const MESSAGE_HINTS: &[(&str, &str)] = &[
    (
        "schemaFormat",
        "in AsyncAPI 3, `schemaFormat` goes with the schema: `payload: {schemaFormat: ..., schema: ...}`",
    ),
    (
        "messageId",
        "AsyncAPI 3 has no `messageId`: the message's key under `messages` identifies it",
    ),
];

static MESSAGE: ObjSpec = ObjSpec {
    shape: Shape::Message,
    fields: &[
        opt("contentType", Val::Str),
        opt("headers", ANY_SCHEMA),
        opt("payload", ANY_SCHEMA),
        opt("correlationId", Val::One(Shape::CorrelationId, Ref::Yes)),
        opt("tags", TAGS),
        opt("summary", Val::Str),
        opt("name", Val::Str),
        opt("title", Val::Str),
        opt("description", Val::Str),
        opt("externalDocs", EXTERNAL_DOCS),
        opt("deprecated", Val::Bool),
        opt("examples", Val::List(Shape::MessageExample, Ref::No)),
        opt("bindings", BINDINGS),
        opt("traits", Val::Custom(message_traits)),
    ],
    rule: Some(common::headers_are_object),
    hints: MESSAGE_HINTS,
};

/// 3.x message traits: each item a trait (or `$ref`), or a pair `[trait, overrides]`.
fn message_traits(cx: &mut Cx, name: &str, node: &Node, ptr: &str) {
    let Some(items) = node.as_seq() else {
        cx.must_be(name, ptr, node, "a sequence of Message Trait Objects");
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let item_ptr = push_pointer(ptr, &i.to_string());
        let Some(pair) = item.as_seq() else {
            cx.item(Shape::MessageTrait, Ref::Yes, item, &item_ptr);
            continue;
        };
        match pair.first() {
            Some(first) => cx.item(
                Shape::MessageTrait,
                Ref::Yes,
                first,
                &push_pointer(&item_ptr, "0"),
            ),
            None => cx.error(
                &item_ptr,
                item.pos,
                "a trait pair must hold a trait and a mapping".to_string(),
                None,
            ),
        }
        if let Some(second) = pair.get(1)
            && second.as_map().is_none()
        {
            cx.expected(
                &push_pointer(&item_ptr, "1"),
                second,
                "a mapping (the trait's overrides)",
            );
        }
    }
}

static MESSAGE_TRAIT: ObjSpec = ObjSpec {
    shape: Shape::MessageTrait,
    fields: &[
        opt("contentType", Val::Str),
        opt("headers", ANY_SCHEMA),
        opt("correlationId", Val::One(Shape::CorrelationId, Ref::Yes)),
        opt("tags", TAGS),
        opt("summary", Val::Str),
        opt("name", Val::Str),
        opt("title", Val::Str),
        opt("description", Val::Str),
        opt("externalDocs", EXTERNAL_DOCS),
        opt("deprecated", Val::Bool),
        opt("examples", Val::List(Shape::MessageExample, Ref::No)),
        opt("bindings", BINDINGS),
    ],
    rule: Some(common::headers_are_object),
    hints: &[
        ("payload", "a message trait cannot set `payload`"),
        ("traits", "message traits cannot have `traits`"),
        (
            "schemaFormat",
            "in AsyncAPI 3, `schemaFormat` goes with the schema: `payload: {schemaFormat: ..., schema: ...}`",
        ),
        (
            "messageId",
            "AsyncAPI 3 has no `messageId`: the message's key under `messages` identifies it",
        ),
    ],
};

static PARAMETER: ObjSpec = ObjSpec {
    shape: Shape::Parameter,
    fields: &[
        opt("description", Val::Str),
        opt("enum", Val::Strings { unique: false }),
        opt("default", Val::Str),
        opt("examples", Val::Strings { unique: false }),
        opt("location", Val::Runtime),
    ],
    rule: None,
    hints: &[
        (
            "schema",
            "AsyncAPI 3 parameters have no `schema`: use `enum`, `default`, `examples` and `description`",
        ),
        (
            "name",
            "a parameter's name is its key under `parameters`; remove `name`",
        ),
    ],
};

static COMPONENTS: ObjSpec = ObjSpec {
    shape: Shape::Components,
    fields: &[
        opt("schemas", Val::Map(Shape::AnySchema, Ref::Yes)),
        opt("servers", Val::Map(Shape::Server, Ref::Yes)),
        opt("channels", Val::Map(Shape::Channel, Ref::Yes)),
        opt("serverVariables", Val::Map(Shape::ServerVariable, Ref::Yes)),
        opt("operations", Val::Map(Shape::Operation, Ref::Yes)),
        opt("messages", Val::Map(Shape::Message, Ref::Yes)),
        opt("securitySchemes", Val::Map(Shape::SecurityScheme, Ref::Yes)),
        opt("parameters", Val::Map(Shape::Parameter, Ref::Yes)),
        opt("correlationIds", Val::Map(Shape::CorrelationId, Ref::Yes)),
        opt("operationTraits", Val::Map(Shape::OperationTrait, Ref::Yes)),
        opt("messageTraits", Val::Map(Shape::MessageTrait, Ref::Yes)),
        opt("replies", Val::Map(Shape::OperationReply, Ref::Yes)),
        opt(
            "replyAddresses",
            Val::Map(Shape::OperationReplyAddress, Ref::Yes),
        ),
        opt("serverBindings", Val::Map(Shape::Bindings, Ref::Yes)),
        opt("channelBindings", Val::Map(Shape::Bindings, Ref::Yes)),
        opt("operationBindings", Val::Map(Shape::Bindings, Ref::Yes)),
        opt("messageBindings", Val::Map(Shape::Bindings, Ref::Yes)),
        opt("tags", Val::Map(Shape::Tag, Ref::Yes)),
        opt("externalDocs", Val::Map(Shape::ExternalDocs, Ref::Yes)),
    ],
    rule: None,
    hints: &[],
};

static MULTI_FORMAT_SCHEMA: ObjSpec = ObjSpec {
    shape: Shape::MultiFormatSchema,
    fields: &[opt("schemaFormat", Val::Str), req("schema", Val::ByRule)],
    rule: Some(multi_format_schema),
    hints: &[],
};

/// The `schema` is read in the language `schemaFormat` names; only JSON Schema and OpenAPI schemas are checked.
fn multi_format_schema(cx: &mut Cx, node: &Node, ptr: &str) {
    let Some(schema) = node.get("schema") else {
        return;
    };
    let format = node
        .get_str("schemaFormat")
        .map_or(Format::Json, Format::of);
    cx.item(
        format.shape(),
        Ref::Yes,
        schema,
        &push_pointer(ptr, "schema"),
    );
}

/// Rules over the root `channels` and `operations`: those must point into the root `servers` and `channels`, so
/// that the application's own interface is fully described at the root.
fn document_rules(cx: &mut Cx, node: &Node, ptr: &str) {
    if let Some(channels) = node.get("channels").and_then(Node::as_map) {
        for (key, channel) in channels {
            let Some(servers) = channel.get("servers").and_then(Node::as_seq) else {
                continue;
            };
            let servers_ptr = push_pointer(
                &push_pointer(&push_pointer(ptr, "channels"), &key.text),
                "servers",
            );
            for (i, server) in servers.iter().enumerate() {
                let Some(target) = server.get("$ref") else {
                    continue;
                };
                let Some(text) = target.as_str() else {
                    continue;
                };
                if !text.contains("#/servers/") {
                    cx.error(
                        &push_pointer(&push_pointer(&servers_ptr, &i.to_string()), "$ref"),
                        target.pos,
                        format!("a channel under the root `channels` must use servers of the root `servers`, found `{text}`"),
                        Some("point at `#/servers/<name>`".to_string()),
                    );
                }
            }
        }
    }
    if let Some(operations) = node.get("operations").and_then(Node::as_map) {
        for (key, operation) in operations {
            let Some(target) = operation.get("channel").and_then(|c| c.get("$ref")) else {
                continue;
            };
            let Some(text) = target.as_str() else {
                continue;
            };
            if !text.contains("#/channels/") {
                cx.error(
                    &push_pointer(&push_pointer(&push_pointer(&push_pointer(ptr, "operations"), &key.text), "channel"), "$ref"),
                    target.pos,
                    format!("an operation under the root `operations` must use a channel of the root `channels`, found `{text}`"),
                    Some("point at `#/channels/<name>`".to_string()),
                );
            }
        }
    }
}
