//! AsyncAPI 2.x (2.0 to 2.6, all with the 2.6 field set): the object tables and the rules of the official parser
//! that need no `$ref` resolution (channel parameters against the channel name, channel servers, unique operation
//! ids, security requirements against the declared schemes).

use crate::node::{Key, Node};

use super::common::{self, Template};
use super::engine::{Cx, ObjSpec, Ref, Val, opt, req, suggest};
use super::schema::Format;
use super::{Severity, Shape, push_pointer};

/// The table of `shape`, if it is an object with fixed fields in 2.x.
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
        Shape::Message => &MESSAGE,
        Shape::MessageTrait => &MESSAGE_TRAIT,
        Shape::MessageExample => &common::MESSAGE_EXAMPLE,
        Shape::Parameter => &PARAMETER,
        Shape::CorrelationId => &common::CORRELATION_ID,
        Shape::Components => &COMPONENTS,
        Shape::OAuthFlows => &common::OAUTH_FLOWS,
        Shape::OAuthFlow => &common::OAUTH_FLOW_V2,
        _ => return None,
    })
}

const TAGS: Val = Val::Tags(Ref::No);
const EXTERNAL_DOCS: Val = Val::One(Shape::ExternalDocs, Ref::No);
const BINDINGS: Val = Val::One(Shape::Bindings, Ref::Yes);
const SECURITY: Val = Val::List(Shape::SecurityRequirement, Ref::No);
const SCHEMA: Val = Val::One(Shape::Schema, Ref::Yes);

static DOCUMENT: ObjSpec = ObjSpec {
    shape: Shape::Document,
    fields: &[
        req("asyncapi", Val::Str),
        opt("id", Val::Str),
        req("info", Val::One(Shape::Info, Ref::No)),
        opt("servers", Val::Map(Shape::Server, Ref::Yes)),
        opt("defaultContentType", Val::Str),
        req("channels", Val::Map(Shape::Channel, Ref::No)),
        opt("components", Val::One(Shape::Components, Ref::No)),
        opt("tags", TAGS),
        opt("externalDocs", EXTERNAL_DOCS),
    ],
    rule: Some(document_rules),
    hints: &[(
        "operations",
        "`operations` is AsyncAPI 3; in AsyncAPI 2 operations are the `publish` and `subscribe` fields of each channel",
    )],
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
    ],
    rule: None,
    hints: &[
        (
            "tags",
            "in AsyncAPI 2, `tags` belongs to the root object, not to `info`",
        ),
        (
            "externalDocs",
            "in AsyncAPI 2, `externalDocs` belongs to the root object, not to `info`",
        ),
    ],
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
        req("url", Val::Str),
        opt("description", Val::Str),
        req("protocol", Val::Str),
        opt("protocolVersion", Val::Str),
        opt("variables", Val::Map(Shape::ServerVariable, Ref::Yes)),
        opt("security", SECURITY),
        opt("bindings", BINDINGS),
        opt("tags", TAGS),
    ],
    rule: Some(server_rules),
    hints: &[
        ("host", "`host` is AsyncAPI 3; AsyncAPI 2 uses `url`"),
        (
            "pathname",
            "`pathname` is AsyncAPI 3; AsyncAPI 2 puts the path in `url`",
        ),
    ],
};

fn server_rules(cx: &mut Cx, node: &Node, ptr: &str) {
    let Some(url) = node.get_str("url") else {
        return;
    };
    let template = Template {
        text: url,
        place: "server URL",
        kind: "variable",
        field: "variables",
        undeclared: Severity::Error,
        // The official parser rejects unused variables, but published documents (the ZBOS API in the corpus)
        // declare a `port` their URL does not use; it does no harm.
        unused: Severity::Warning,
    };
    common::check_template(cx, &template, node, ptr);
}

static CHANNEL: ObjSpec = ObjSpec {
    shape: Shape::Channel,
    fields: &[
        opt("$ref", Val::SelfRef(Shape::Channel)),
        opt("parameters", Val::Map(Shape::Parameter, Ref::Yes)),
        opt("description", Val::Str),
        opt("servers", Val::Strings { unique: true }),
        opt("publish", Val::One(Shape::Operation, Ref::No)),
        opt("subscribe", Val::One(Shape::Operation, Ref::No)),
        opt("deprecated", Val::Bool),
        opt("bindings", BINDINGS),
    ],
    rule: None,
    hints: &[
        (
            "address",
            "`address` is AsyncAPI 3; in AsyncAPI 2 the channel's key under `channels` is its address",
        ),
        (
            "messages",
            "`messages` is AsyncAPI 3; in AsyncAPI 2 messages go under `publish.message`/`subscribe.message`",
        ),
        ("title", "`title` is AsyncAPI 3; use `description`"),
        ("summary", "`summary` is AsyncAPI 3; use `description`"),
    ],
};

static OPERATION: ObjSpec = ObjSpec {
    shape: Shape::Operation,
    fields: &[
        opt("traits", Val::List(Shape::OperationTrait, Ref::Yes)),
        opt("summary", Val::Str),
        opt("description", Val::Str),
        opt("security", SECURITY),
        opt("tags", TAGS),
        opt("externalDocs", EXTERNAL_DOCS),
        opt("operationId", Val::Str),
        opt("bindings", BINDINGS),
        opt("message", Val::One(Shape::Message, Ref::Yes)),
    ],
    rule: None,
    hints: &[
        (
            "messages",
            "AsyncAPI 2 operations have one `message` (use `message: {oneOf: [...]}` for several)",
        ),
        (
            "action",
            "`action` is AsyncAPI 3; in AsyncAPI 2 the field name (`publish`/`subscribe`) is the action",
        ),
        (
            "channel",
            "`channel` is AsyncAPI 3; in AsyncAPI 2 operations sit inside their channel",
        ),
    ],
};

static OPERATION_TRAIT: ObjSpec = ObjSpec {
    shape: Shape::OperationTrait,
    fields: &[
        opt("summary", Val::Str),
        opt("description", Val::Str),
        opt("tags", TAGS),
        opt("externalDocs", EXTERNAL_DOCS),
        opt("operationId", Val::Str),
        opt("security", SECURITY),
        opt("bindings", BINDINGS),
    ],
    rule: None,
    hints: &[("message", "an operation trait cannot set `message`")],
};

static MESSAGE: ObjSpec = ObjSpec {
    shape: Shape::Message,
    fields: &[
        opt("schemaFormat", Val::Str),
        opt("contentType", Val::Str),
        opt("headers", SCHEMA),
        opt("messageId", Val::Str),
        opt("payload", Val::ByRule),
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
        opt("traits", Val::List(Shape::MessageTrait, Ref::Yes)),
    ],
    rule: Some(message_rules),
    hints: &[],
};

static MESSAGE_TRAIT: ObjSpec = ObjSpec {
    shape: Shape::MessageTrait,
    fields: &[
        opt("schemaFormat", Val::Str),
        opt("contentType", Val::Str),
        opt("headers", SCHEMA),
        opt("messageId", Val::Str),
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
    ],
};

/// The payload is read according to `schemaFormat`: JSON Schema by default, OpenAPI's schema for OpenAPI formats,
/// and not at all for other formats (an Avro record is not a broken JSON Schema).
fn message_rules(cx: &mut Cx, node: &Node, ptr: &str) {
    common::headers_are_object(cx, node, ptr);
    let Some(payload) = node.get("payload") else {
        return;
    };
    let format = node
        .get_str("schemaFormat")
        .or_else(|| trait_schema_format(node))
        .map_or(Format::Json, Format::of);
    cx.item(
        format.shape(),
        Ref::Yes,
        payload,
        &push_pointer(ptr, "payload"),
    );
}

/// A `schemaFormat` set by an inline trait applies to the message too (traits are merged into the message).
fn trait_schema_format(node: &Node) -> Option<&str> {
    node.get("traits")?
        .as_seq()?
        .iter()
        .rev()
        .find_map(|t| t.get_str("schemaFormat"))
}

/// The 2.x `message: {oneOf: [...]}` form: a list of messages and nothing else.
pub(crate) fn message_one_of(cx: &mut Cx, node: &Node, ptr: &str) {
    let Some(entries) = node.as_map() else { return };
    for (key, value) in entries {
        let child = push_pointer(ptr, &key.text);
        if key.text == "oneOf" {
            cx.value("oneOf", Val::List(Shape::Message, Ref::Yes), value, &child);
        } else {
            cx.error(
                &child,
                key.pos,
                format!("unknown field `{}` beside `oneOf` in the Message Object", key.text),
                Some("a message with `oneOf` may hold nothing else; move the field into each message".to_string()),
            );
        }
    }
}

static PARAMETER: ObjSpec = ObjSpec {
    shape: Shape::Parameter,
    fields: &[
        opt("description", Val::Str),
        opt("schema", SCHEMA),
        opt("location", Val::Runtime),
    ],
    rule: None,
    hints: &[
        (
            "name",
            "a parameter's name is its key under `parameters`; remove `name`",
        ),
        (
            "enum",
            "in AsyncAPI 2, put `enum` in the parameter's `schema`",
        ),
        (
            "default",
            "in AsyncAPI 2, put `default` in the parameter's `schema`",
        ),
        (
            "examples",
            "in AsyncAPI 2, put `examples` in the parameter's `schema`",
        ),
    ],
};

static COMPONENTS: ObjSpec = ObjSpec {
    shape: Shape::Components,
    fields: &[
        opt("schemas", Val::Map(Shape::Schema, Ref::Yes)),
        opt("servers", Val::Map(Shape::Server, Ref::Yes)),
        opt("channels", Val::Map(Shape::Channel, Ref::No)),
        opt("serverVariables", Val::Map(Shape::ServerVariable, Ref::Yes)),
        opt("messages", Val::Map(Shape::Message, Ref::Yes)),
        opt("securitySchemes", Val::Map(Shape::SecurityScheme, Ref::Yes)),
        opt("parameters", Val::Map(Shape::Parameter, Ref::Yes)),
        opt("correlationIds", Val::Map(Shape::CorrelationId, Ref::Yes)),
        opt("operationTraits", Val::Map(Shape::OperationTrait, Ref::Yes)),
        opt("messageTraits", Val::Map(Shape::MessageTrait, Ref::Yes)),
        opt("serverBindings", Val::Map(Shape::Bindings, Ref::Yes)),
        opt("channelBindings", Val::Map(Shape::Bindings, Ref::Yes)),
        opt("operationBindings", Val::Map(Shape::Bindings, Ref::Yes)),
        opt("messageBindings", Val::Map(Shape::Bindings, Ref::Yes)),
    ],
    rule: None,
    hints: &[
        ("operations", "`components/operations` is AsyncAPI 3"),
        ("replies", "`components/replies` is AsyncAPI 3"),
        (
            "replyAddresses",
            "`components/replyAddresses` is AsyncAPI 3",
        ),
        ("tags", "`components/tags` is AsyncAPI 3"),
        ("externalDocs", "`components/externalDocs` is AsyncAPI 3"),
    ],
};

/// Rules over the whole document: each needs two places at once (a channel and the root `servers`, a requirement
/// and `components/securitySchemes`), so they cannot live in a single object's table.
fn document_rules(cx: &mut Cx, node: &Node, ptr: &str) {
    let Some(channels) = node.get("channels").and_then(Node::as_map) else {
        return;
    };
    let server_names: Vec<&str> = node
        .get("servers")
        .and_then(Node::as_map)
        .map_or(Vec::new(), |s| {
            s.iter().map(|(k, _)| k.text.as_str()).collect()
        });
    let schemes = node
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .and_then(Node::as_map);
    let mut operation_ids: Vec<(&str, String)> = Vec::new();
    for (key, channel) in channels {
        let channel_ptr = push_pointer(&push_pointer(ptr, "channels"), &key.text);
        common::address_without_query(cx, &key.text, &channel_ptr, channel);
        if channel.as_map().is_none() {
            continue;
        }
        channel_parameters(cx, &key.text, channel, &channel_ptr);
        if let Some(servers) = channel.get("servers").and_then(Node::as_seq) {
            for (i, server) in servers.iter().enumerate() {
                let Some(name) = server.as_str() else {
                    continue;
                };
                if !server_names.contains(&name) {
                    cx.error(
                        &push_pointer(&push_pointer(&channel_ptr, "servers"), &i.to_string()),
                        server.pos,
                        format!("channel server `{name}` is not defined under the root `servers`"),
                        suggest(name, server_names.iter().copied())
                            .map(|s| format!("did you mean `{s}`?")),
                    );
                }
            }
        }
        for op in ["publish", "subscribe"] {
            let Some(operation) = channel.get(op) else {
                continue;
            };
            let op_ptr = push_pointer(&channel_ptr, op);
            if let Some(id_node) = operation.get("operationId")
                && let Some(id) = id_node.as_str()
            {
                match operation_ids.iter().find(|(seen, _)| *seen == id) {
                    Some((_, first)) => cx.error(
                        &push_pointer(&op_ptr, "operationId"),
                        id_node.pos,
                        format!("operationId `{id}` is already used by the operation at `{first}`"),
                        Some("operation ids must be unique across the document".to_string()),
                    ),
                    None => operation_ids.push((id, op_ptr.clone())),
                }
            }
            requirements(cx, operation, &op_ptr, schemes, "operation");
        }
    }
    if let Some(servers) = node.get("servers").and_then(Node::as_map) {
        for (key, server) in servers {
            requirements(
                cx,
                server,
                &push_pointer(&push_pointer(ptr, "servers"), &key.text),
                schemes,
                "server",
            );
        }
    }
}

/// 2.x channel names are their addresses, so the `{name}`s in the key must be the declared parameters.
fn channel_parameters(cx: &mut Cx, address: &str, channel: &Node, ptr: &str) {
    if channel.get("parameters").is_some() && address.trim().is_empty() {
        cx.error(
            ptr,
            channel.pos,
            "a channel with `parameters` needs a non-empty channel name".to_string(),
            None,
        );
        return;
    }
    // A channel that is only a `$ref` is checked where it is defined; its name is still this key, but its
    // parameters are not visible here.
    if channel.get("$ref").is_some() && channel.get("parameters").is_none() {
        return;
    }
    let template = Template {
        text: address,
        place: "channel name",
        kind: "parameter",
        field: "parameters",
        // AsyncAPI 2 only says parameters SHOULD be declared.
        undeclared: Severity::Warning,
        // The official parser rejects unused parameters, but the parser's own test documents keep some.
        unused: Severity::Warning,
    };
    common::check_template(cx, &template, channel, ptr);
}

/// Security requirements should name schemes of `components/securitySchemes`, and OAuth2 scopes should be offered
/// by one of the scheme's flows. The official parser calls a miss an error, but published examples (the 2.0.0
/// `correlation-id` example among them) name schemes they never define, so a miss is a warning: the document still
/// describes its messages, only its security cannot be generated.
fn requirements(
    cx: &mut Cx,
    owner: &Node,
    owner_ptr: &str,
    schemes: Option<&[(Key, Node)]>,
    what: &str,
) {
    let Some(list) = owner.get("security").and_then(Node::as_seq) else {
        return;
    };
    let security_ptr = push_pointer(owner_ptr, "security");
    for (i, requirement) in list.iter().enumerate() {
        let Some(entries) = requirement.as_map() else {
            continue;
        };
        let req_ptr = push_pointer(&security_ptr, &i.to_string());
        for (name, scopes) in entries {
            let scheme = schemes
                .and_then(|s| s.iter().find(|(k, _)| k.text == name.text))
                .map(|(_, v)| v);
            let Some(scheme) = scheme else {
                let help = schemes
                    .and_then(|s| suggest(&name.text, s.iter().map(|(k, _)| k.text.as_str())))
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| {
                        Some(format!(
                            "define `{}` under `components/securitySchemes`",
                            name.text
                        ))
                    });
                cx.warn(
                    &push_pointer(&req_ptr, &name.text),
                    name.pos,
                    format!(
                        "the {what} requires security scheme `{}`, which is not defined",
                        name.text
                    ),
                    help,
                );
                continue;
            };
            if scheme.get_str("type") != Some("oauth2") {
                continue;
            }
            let Some(flows) = scheme.get("flows").and_then(Node::as_map) else {
                continue;
            };
            let available: Vec<&str> = flows
                .iter()
                .filter_map(|(_, flow)| flow.get("scopes").and_then(Node::as_map))
                .flat_map(|scopes| scopes.iter().map(|(k, _)| k.text.as_str()))
                .collect();
            let Some(scopes) = scopes.as_seq() else {
                continue;
            };
            for (j, scope) in scopes.iter().enumerate() {
                let Some(text) = scope.as_str() else { continue };
                if !available.contains(&text) {
                    cx.warn(
                        &push_pointer(&push_pointer(&req_ptr, &name.text), &j.to_string()),
                        scope.pos,
                        format!(
                            "scope `{text}` is not offered by any flow of the security scheme `{}`",
                            name.text
                        ),
                        Some(if available.is_empty() {
                            "the scheme's flows offer no scopes".to_string()
                        } else {
                            format!("available scopes: {}", available.join(", "))
                        }),
                    );
                }
            }
        }
    }
}
