//! The data the templates render: everything is decided here, in Rust, and arrives in the templates already
//! escaped for where it goes (`*_js` fields are JavaScript literals, `doc` fields JSDoc blocks), so templates only
//! arrange it.

use fastsocket_ir::naming::{NameScope, pascal_words, ts_identifier};
use fastsocket_ir::socketio::{Event, Namespace};
use fastsocket_ir::{Api, JsonType, TypeBody, TypeId, json_schema};
use serde::Serialize;
use serde_json::Value;

use crate::escape::{comment_text, doc_comment, js_string, js_value, property_key};
use crate::forms::Forms;
use crate::ts_types::{Declaration, TsTypes};

/// Socket.IO's own events: a client cannot emit them and listeners for them mean something else.
const RESERVED_EVENTS: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// How many invalid variants of examples an event's tests check (enough to cover each property of a typical
/// payload without making documents with many examples slow to test).
const MAX_MUTATIONS: usize = 12;

/// The whole document, as the templates see it.
#[derive(Debug, Serialize)]
pub struct Document {
    /// The npm package name.
    pub package_name: String,
    /// `info.title` as a JS string literal.
    pub title_js: String,
    /// `info.title` and `info.version` quoted for a comment.
    pub title_comment: String,
    /// `info.title` for Markdown and HTML (escaped by the template engine where HTML).
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.version` as a JS string literal.
    pub version_js: String,
    /// A JSDoc block with the description.
    pub doc: String,
    /// `types.ts`.
    pub declarations: Vec<Declaration>,
    /// The JSON Schema bundle as a JS expression.
    pub schema_bundle_js: String,
    /// The form table (`FORM_OBJECTS`) as a JS expression.
    pub form_objects_js: String,
    /// Credentials fields the secured namespaces read.
    pub credentials: Vec<Credential>,
    /// The namespaces.
    pub namespaces: Vec<NamespaceCtx>,
    /// Events left out of the typed client, with why.
    pub skipped: Vec<String>,
}

/// A field of the `auth` payload.
#[derive(Debug, Serialize)]
pub struct Credential {
    /// The key in a type literal.
    pub key: String,
    /// The key as a JS string literal.
    pub key_js: String,
    /// A label for the dashboard, as a JS string literal.
    pub label_js: String,
    /// Whether the input hides what is typed.
    pub secret: bool,
    /// JSDoc.
    pub doc: String,
}

/// One namespace.
#[derive(Debug, Serialize)]
pub struct NamespaceCtx {
    /// The path as written (`/rooms/{roomId}`).
    pub path: String,
    /// The path as a JS string literal.
    pub path_js: String,
    /// The path quoted for a comment.
    pub path_comment: String,
    /// A JS expression for the concrete path, reading `params`.
    pub path_expr: String,
    /// PascalCase name (`Rooms`).
    pub pascal: String,
    /// camelCase name (`rooms`).
    pub camel: String,
    /// Parameters of a dynamic namespace.
    pub params: Vec<ParamCtx>,
    /// A heading for the dashboard, as a JS string literal.
    pub title_js: String,
    /// JSDoc.
    pub doc: String,
    /// Whether connecting needs credentials.
    pub secured: bool,
    /// Events the client sends (the server receives).
    pub inbound: Vec<EventCtx>,
    /// Events the client receives.
    pub outbound: Vec<EventCtx>,
}

/// A parameter of a dynamic namespace.
#[derive(Debug, Serialize)]
pub struct ParamCtx {
    /// The key in a type literal.
    pub key: String,
    /// The name as a JS string literal.
    pub name_js: String,
    /// The TypeScript type.
    pub ts: String,
    /// JSDoc.
    pub doc: String,
}

/// One event.
#[derive(Debug, Serialize)]
pub struct EventCtx {
    /// The wire name as a key in a type literal.
    pub key: String,
    /// The wire name as a JS string literal.
    pub name_js: String,
    /// The wire name quoted for a comment.
    pub name_comment: String,
    /// camelCase method name.
    pub method: String,
    /// `{Namespace}{Event}`, for components and validators.
    pub qualified: String,
    /// The payload's TypeScript type.
    pub payload_ts: String,
    /// The acknowledgement's TypeScript type (`null` when none is declared: the server answers `null`).
    pub ack_ts: String,
    /// `T{id}` of the payload schema in the bundle; `None` when any JSON is accepted.
    pub schema_def: Option<String>,
    /// The form field as a JS expression.
    pub field_js: String,
    /// A heading, as a JS string literal.
    pub title_js: String,
    /// `{namespace} {event}` for test names, as a JS string literal.
    pub describe_js: String,
    /// A description (maybe empty), as a JS string literal.
    pub description_js: String,
    /// JSDoc, indented for an interface member.
    pub doc: String,
    /// JSDoc, indented for a member of an object inside a class.
    pub doc_nested: String,
    /// Valid examples, as JS expressions.
    pub examples: Vec<String>,
    /// Invalid payloads made from valid examples, with the violation they must produce.
    pub mutations: Vec<Mutation>,
}

/// A payload that must fail validation at a known place.
#[derive(Debug, Serialize)]
pub struct Mutation {
    /// What was changed, for the test name (a JS string literal).
    pub what_js: String,
    /// The payload, as a JS expression.
    pub value_js: String,
    /// The JSON pointer a violation must name, as a JS string literal.
    pub path_js: String,
}

/// Builds the template data.
pub fn document(api: &Api, namespaces: &[Namespace], package_name: &str) -> Document {
    let declared = TsTypes::new(api);
    // Other modules import the types as `T`.
    let ts = declared.qualified("T.");
    let mut forms = Forms::new(&api.types);
    let mut skipped = Vec::new();
    let mut roots: Vec<TypeId> = Vec::new();
    let mut credentials: Vec<Credential> = Vec::new();
    let mut qualified = QualifiedNames::default();
    let namespace_ctx = namespaces
        .iter()
        .map(|ns| {
            let camel = ts_identifier(&ns.pascal);
            let secured = !ns.security.is_empty();
            for scheme_key in ns.security.iter().flatten() {
                if let Some(scheme) = api.security_schemes.iter().find(|s| &s.key == scheme_key) {
                    for credential in credential_fields(scheme) {
                        if !credentials.iter().any(|c| c.key == credential.key) {
                            credentials.push(credential);
                        }
                    }
                }
            }
            let mut events = |list: &[Event], direction: &str| -> Vec<EventCtx> {
                list.iter()
                    .filter(|event| {
                        let reserved = RESERVED_EVENTS.contains(&event.name.as_str());
                        if reserved {
                            skipped.push(format!(
                                "event `{}` of namespace `{}` is reserved by Socket.IO and is left out of the typed client",
                                event.name, ns.path
                            ));
                        }
                        !reserved
                    })
                    .map(|event| {
                        roots.extend(event.payload);
                        event_ctx(api, &ts, &mut forms, &mut qualified, ns, event, direction)
                    })
                    .collect()
            };
            let inbound = events(&ns.inbound, "sends");
            let outbound = events(&ns.outbound, "receives");
            // The namespace is described by its first channel.
            let channel = api
                .channels
                .iter()
                .find(|c| ns.channels.first() == Some(&c.key));
            let channel_doc = channel
                .and_then(|c| c.summary.clone().or_else(|| c.description.clone()).or_else(|| c.title.clone()))
                .unwrap_or_default();
            let title = channel
                .and_then(|c| c.title.clone())
                .unwrap_or_else(|| format!("Namespace {}", ns.path));
            NamespaceCtx {
                path_js: js_string(&ns.path),
                path_comment: comment_text(&ns.path),
                path_expr: path_expression(&ns.path),
                pascal: ns.pascal.clone(),
                camel,
                params: ns
                    .params
                    .iter()
                    .map(|p| ParamCtx {
                        key: property_key(&p.name),
                        name_js: js_string(&p.name),
                        ts: if p.enum_values.is_empty() {
                            "string".to_string()
                        } else {
                            p.enum_values
                                .iter()
                                .map(|v| js_string(v))
                                .collect::<Vec<_>>()
                                .join(" | ")
                        },
                        doc: doc_comment(p.description.as_deref().unwrap_or(""), "  "),
                    })
                    .collect(),
                title_js: js_string(&title),
                doc: doc_comment(&channel_doc, ""),
                secured,
                inbound,
                outbound,
                path: ns.path.clone(),
            }
        })
        .collect();
    let bundle = json_schema::to_json_schema_bundle(&api.types, roots);
    Document {
        package_name: package_name.to_string(),
        title_js: js_string(&api.info.title),
        title_comment: comment_text(&format!("{} {}", api.info.title, api.info.version)),
        title: api.info.title.clone(),
        version: api.info.version.clone(),
        version_js: js_string(&api.info.version),
        doc: doc_comment(api.info.description.as_deref().unwrap_or(""), ""),
        declarations: declared.declarations(),
        schema_bundle_js: js_value(&bundle),
        form_objects_js: js_value(&Value::Object(forms.objects.into_iter().collect())),
        credentials,
        namespaces: namespace_ctx,
        skipped,
    }
}

/// The names of events across namespaces (`RoomSendMessage`: components, validators, form fields), claimed in
/// one scope: joined from a namespace and an event, they meet otherwise (`/a` + `b_c` and `/a_b` + `c`). An event
/// listed in both directions keeps one name.
#[derive(Default)]
struct QualifiedNames {
    scope: NameScope,
    by_event: std::collections::HashMap<(String, String), String>,
}

impl QualifiedNames {
    fn claim(&mut self, ns: &Namespace, event: &Event, method: &str) -> String {
        let scope = &mut self.scope;
        self.by_event
            .entry((ns.path.clone(), event.name.clone()))
            .or_insert_with(|| scope.claim(&format!("{}{}", ns.pascal, pascal_words(method))))
            .clone()
    }
}

fn event_ctx(
    api: &Api,
    ts: &TsTypes,
    forms: &mut Forms,
    qualified: &mut QualifiedNames,
    ns: &Namespace,
    event: &Event,
    direction: &str,
) -> EventCtx {
    let message = api.message(event.message);
    let method = ts_identifier(&event.method);
    let title = message
        .title
        .clone()
        .or_else(|| message.name.clone())
        .unwrap_or_else(|| event.name.clone());
    let description = message
        .summary
        .clone()
        .or_else(|| message.description.clone())
        .unwrap_or_default();
    let doc = format!(
        "`{}`: the client {direction} it.{}",
        event.name,
        event
            .doc
            .as_deref()
            .map(|d| format!("\n\n{d}"))
            .unwrap_or_default()
    );
    let accepts_anything = event.payload.is_none_or(|id| {
        matches!(
            api.types.get(id).body,
            TypeBody::Bool { value: true } | TypeBody::Opaque { .. }
        )
    });
    let examples: Vec<&Value> = message
        .examples
        .iter()
        .filter(|e| e.valid)
        .filter_map(|e| e.payload.as_ref())
        .collect();
    let mutations = match event.payload {
        Some(id) if !accepts_anything => examples
            .iter()
            .enumerate()
            .flat_map(|(i, example)| mutations(api, id, i + 1, example))
            .take(MAX_MUTATIONS)
            .collect(),
        _ => Vec::new(),
    };
    EventCtx {
        key: property_key(&event.name),
        name_js: js_string(&event.name),
        name_comment: comment_text(&event.name),
        qualified: qualified.claim(ns, event, &method),
        payload_ts: event
            .payload
            .map(|id| ts.reference(id))
            .unwrap_or_else(|| "unknown".to_string()),
        ack_ts: event
            .ack
            .map(|id| ts.reference(id))
            .unwrap_or_else(|| "null".to_string()),
        schema_def: event
            .payload
            .filter(|_| !accepts_anything)
            .map(json_schema::def_name),
        field_js: js_value(&match event.payload {
            Some(id) => forms.field(id),
            None => serde_json::json!({"kind": "json"}),
        }),
        title_js: js_string(&title),
        describe_js: js_string(&format!("{} {}", ns.path, event.name)),
        description_js: js_string(&description),
        doc: doc_comment(&doc, "  "),
        doc_nested: doc_comment(&doc, "    "),
        examples: examples.iter().map(|e| js_value(e)).collect(),
        mutations,
        method,
    }
}

/// Invalid variants of a valid example whose violation is certain from the schema alone: a required property
/// removed, or a property of a single primitive type given a value of another type. Only top-level properties
/// of an object schema without `oneOf`/`anyOf` are touched, where the violation's place cannot be disputed.
fn mutations(api: &Api, root: TypeId, number: usize, example: &Value) -> Vec<Mutation> {
    let (Some(schema), Value::Object(object)) = (api.types.schema(root), example) else {
        return Vec::new();
    };
    if !schema.one_of.is_empty() || !schema.any_of.is_empty() || schema.not.is_some() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for name in &schema.required {
        if object.contains_key(name) {
            let mut mutated = object.clone();
            mutated.remove(name);
            out.push(Mutation {
                what_js: js_string(&format!(
                    "refuses example {number} without required `{name}`"
                )),
                value_js: js_value(&Value::Object(mutated)),
                path_js: js_string(&pointer_token(name)),
            });
        }
    }
    for property in &schema.properties {
        let Some(value) = object.get(&property.name) else {
            continue;
        };
        let Some(property_schema) = api.types.schema(property.ty) else {
            continue;
        };
        let plain = property_schema.all_of.is_empty()
            && property_schema.any_of.is_empty()
            && property_schema.one_of.is_empty()
            && property_schema.not.is_none()
            && property_schema.if_schema.is_none();
        let wrong = match property_schema.types.as_slice() {
            [JsonType::String] => Some(Value::from(12345)),
            [JsonType::Integer] | [JsonType::Number] => Some(Value::from("not a number")),
            [JsonType::Boolean] => Some(Value::from("yes")),
            _ => None,
        };
        if let (true, Some(wrong)) = (plain, wrong)
            && value != &wrong
        {
            let mut mutated = object.clone();
            mutated.insert(property.name.clone(), wrong);
            out.push(Mutation {
                what_js: js_string(&format!(
                    "refuses example {number} with `{}` of the wrong type",
                    property.name
                )),
                value_js: js_value(&Value::Object(mutated)),
                path_js: js_string(&pointer_token(&property.name)),
            });
        }
    }
    out
}

/// `/name` with RFC 6901 escaping.
fn pointer_token(name: &str) -> String {
    format!("/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// A JS expression for a namespace path, with `{param}` segments read from `params` and URL-encoded.
fn path_expression(path: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        if open > 0 {
            parts.push(js_string(&rest[..open]));
        }
        let name = &rest[open + 1..open + close];
        parts.push(format!(
            "encodeURIComponent(String(params[{}]))",
            js_string(name)
        ));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(js_string(rest));
    }
    parts.join(" + ")
}

/// The `auth` fields a security scheme reads (see the runtime's `auth` module for the server side).
fn credential_fields(scheme: &fastsocket_ir::SecurityScheme) -> Vec<Credential> {
    let field = |key: &str, label: &str, secret: bool, doc: &str| Credential {
        key: property_key(key),
        key_js: js_string(key),
        label_js: js_string(label),
        secret,
        doc: doc_comment(doc, "  "),
    };
    let scheme_type = scheme.scheme_type.as_str();
    let http_scheme = scheme.scheme.as_deref().map(str::to_ascii_lowercase);
    match (scheme_type, http_scheme.as_deref()) {
        ("http", Some("basic")) | ("userPassword", _) => vec![
            field(
                "username",
                "User name",
                false,
                &format!("User name (`{}`).", scheme.key),
            ),
            field(
                "password",
                "Password",
                true,
                &format!("Password (`{}`).", scheme.key),
            ),
        ],
        ("httpApiKey", _) => {
            let name = scheme.name.clone().unwrap_or_else(|| "token".to_string());
            vec![field(
                &name,
                &name,
                true,
                &format!("API key (`{}`), sent as `auth.{name}`.", scheme.key),
            )]
        }
        ("http" | "oauth2" | "openIdConnect" | "apiKey", _) => vec![field(
            "token",
            "Token",
            true,
            &format!(
                "Bearer token or key (`{}`), sent as `auth.token`.",
                scheme.key
            ),
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_paths_read_their_parameters() {
        assert_eq!(path_expression("/admin"), r#""\/admin""#);
        assert_eq!(path_expression("/"), r#""\/""#);
        assert_eq!(
            path_expression("/rooms/{roomId}"),
            r#""\/rooms\/" + encodeURIComponent(String(params["roomId"]))"#
        );
        assert_eq!(
            path_expression("/a/{x}/b/{y}"),
            r#""\/a\/" + encodeURIComponent(String(params["x"])) + "\/b\/" + encodeURIComponent(String(params["y"]))"#
        );
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(pointer_token("a/b~c"), "/a~1b~0c");
    }
}
