//! Objects and rules shared by AsyncAPI 2.x and 3.x: Contact, License, External Documentation, Server Variable,
//! Correlation ID, Message Example, Security Scheme, tag lists, runtime expressions and `{name}` templates.

use crate::node::Node;

use super::engine::{Cx, ObjSpec, Ref, Val, opt, req};
use super::{Severity, Shape, push_pointer};

/// The Contact Object.
pub(crate) static CONTACT: ObjSpec = ObjSpec {
    shape: Shape::Contact,
    fields: &[
        opt("name", Val::Str),
        opt("url", Val::Str),
        opt("email", Val::Str),
    ],
    rule: None,
    hints: &[],
};

/// The License Object.
pub(crate) static LICENSE: ObjSpec = ObjSpec {
    shape: Shape::License,
    fields: &[req("name", Val::Str), opt("url", Val::Str)],
    rule: None,
    hints: &[],
};

/// The External Documentation Object.
pub(crate) static EXTERNAL_DOCS: ObjSpec = ObjSpec {
    shape: Shape::ExternalDocs,
    fields: &[opt("description", Val::Str), req("url", Val::Str)],
    rule: None,
    hints: &[],
};

/// The Server Variable Object.
pub(crate) static SERVER_VARIABLE: ObjSpec = ObjSpec {
    shape: Shape::ServerVariable,
    fields: &[
        opt("enum", Val::Strings { unique: true }),
        opt("default", Val::Str),
        opt("description", Val::Str),
        opt("examples", Val::Strings { unique: false }),
    ],
    rule: None,
    hints: &[],
};

/// The Correlation ID Object.
pub(crate) static CORRELATION_ID: ObjSpec = ObjSpec {
    shape: Shape::CorrelationId,
    fields: &[opt("description", Val::Str), req("location", Val::Runtime)],
    rule: None,
    hints: &[],
};

/// The Message Example Object.
pub(crate) static MESSAGE_EXAMPLE: ObjSpec = ObjSpec {
    shape: Shape::MessageExample,
    fields: &[
        opt("name", Val::Str),
        opt("summary", Val::Str),
        opt("headers", Val::Mapping),
        opt("payload", Val::Any),
    ],
    rule: Some(message_example),
    hints: &[],
};

fn message_example(cx: &mut Cx, node: &Node, ptr: &str) {
    if node.get("payload").is_none() && node.get("headers").is_none() {
        cx.error(
            ptr,
            node.pos,
            "a message example must have `payload` or `headers` (or both)".to_string(),
            Some("add the example's `payload`, or remove the example".to_string()),
        );
    }
}

/// Every value of a Security Scheme's `type`.
const SECURITY_TYPES: &[&str] = &[
    "userPassword",
    "apiKey",
    "X509",
    "symmetricEncryption",
    "asymmetricEncryption",
    "httpApiKey",
    "http",
    "oauth2",
    "openIdConnect",
    "plain",
    "scramSha256",
    "scramSha512",
    "gssapi",
];

/// Fields that belong to another `type` of security scheme: said plainly, since "unknown field" alone would puzzle.
const SECURITY_HINTS: &[(&str, &str)] = &[
    (
        "in",
        "`in` belongs to `type: apiKey` (`user`, `password`) and `type: httpApiKey` (`header`, `query`, `cookie`)",
    ),
    ("name", "`name` belongs to `type: httpApiKey`"),
    ("scheme", "`scheme` belongs to `type: http`"),
    (
        "bearerFormat",
        "`bearerFormat` belongs to `type: http` with `scheme: bearer`",
    ),
    ("flows", "`flows` belongs to `type: oauth2`"),
    (
        "openIdConnectUrl",
        "`openIdConnectUrl` belongs to `type: openIdConnect`",
    ),
];

const SEC_TYPE: Val = Val::Enum(SECURITY_TYPES);

static SEC_PLAIN: ObjSpec = ObjSpec {
    shape: Shape::SecurityScheme,
    fields: &[req("type", SEC_TYPE), opt("description", Val::Str)],
    rule: None,
    hints: SECURITY_HINTS,
};

static SEC_API_KEY: ObjSpec = ObjSpec {
    shape: Shape::SecurityScheme,
    fields: &[
        req("type", SEC_TYPE),
        req("in", Val::Enum(&["user", "password"])),
        opt("description", Val::Str),
    ],
    rule: None,
    hints: SECURITY_HINTS,
};

static SEC_HTTP_API_KEY: ObjSpec = ObjSpec {
    shape: Shape::SecurityScheme,
    fields: &[
        req("type", SEC_TYPE),
        req("name", Val::Str),
        req("in", Val::Enum(&["header", "query", "cookie"])),
        opt("description", Val::Str),
    ],
    rule: None,
    hints: SECURITY_HINTS,
};

static SEC_HTTP: ObjSpec = ObjSpec {
    shape: Shape::SecurityScheme,
    fields: &[
        req("type", SEC_TYPE),
        req("scheme", Val::Str),
        opt("bearerFormat", Val::Str),
        opt("description", Val::Str),
    ],
    rule: Some(http_bearer_format),
    hints: SECURITY_HINTS,
};

fn http_bearer_format(cx: &mut Cx, node: &Node, ptr: &str) {
    let Some((key, _)) = node.entry("bearerFormat") else {
        return;
    };
    // RFC 7235 auth-scheme names are case-insensitive, so `Bearer` counts too.
    let bearer = node
        .get_str("scheme")
        .is_some_and(|s| s.eq_ignore_ascii_case("bearer"));
    if !bearer {
        cx.error(
            &push_pointer(ptr, "bearerFormat"),
            key.pos,
            "`bearerFormat` is only allowed with `scheme: bearer`".to_string(),
            Some("remove `bearerFormat`, or set `scheme: bearer`".to_string()),
        );
    }
}

static SEC_OAUTH2_V2: ObjSpec = ObjSpec {
    shape: Shape::SecurityScheme,
    fields: &[
        req("type", SEC_TYPE),
        opt("description", Val::Str),
        req("flows", Val::One(Shape::OAuthFlows, Ref::No)),
    ],
    rule: None,
    hints: SECURITY_HINTS,
};

static SEC_OAUTH2_V3: ObjSpec = ObjSpec {
    shape: Shape::SecurityScheme,
    fields: &[
        req("type", SEC_TYPE),
        opt("description", Val::Str),
        req("flows", Val::One(Shape::OAuthFlows, Ref::No)),
        opt("scopes", Val::Strings { unique: false }),
    ],
    rule: None,
    hints: SECURITY_HINTS,
};

static SEC_OPENID_V2: ObjSpec = ObjSpec {
    shape: Shape::SecurityScheme,
    fields: &[
        req("type", SEC_TYPE),
        opt("description", Val::Str),
        req("openIdConnectUrl", Val::Str),
    ],
    rule: None,
    hints: SECURITY_HINTS,
};

static SEC_OPENID_V3: ObjSpec = ObjSpec {
    shape: Shape::SecurityScheme,
    fields: &[
        req("type", SEC_TYPE),
        opt("description", Val::Str),
        req("openIdConnectUrl", Val::Str),
        opt("scopes", Val::Strings { unique: false }),
    ],
    rule: None,
    hints: SECURITY_HINTS,
};

/// The Security Scheme Object: its field set depends on `type`, so `type` is read first.
pub(crate) fn security_scheme(cx: &mut Cx, node: &Node, ptr: &str) {
    if node.as_map().is_none() {
        cx.expected(ptr, node, "a mapping (the Security Scheme Object)");
        return;
    }
    let Some(ty) = node.get("type") else {
        cx.error(
            ptr,
            node.pos,
            "missing required field `type` in the Security Scheme Object".to_string(),
            None,
        );
        return;
    };
    let Some(text) = ty.as_str().filter(|t| SECURITY_TYPES.contains(t)) else {
        cx.value("type", SEC_TYPE, ty, &push_pointer(ptr, "type"));
        return;
    };
    let v3 = cx.v3();
    let spec = match text {
        "apiKey" => &SEC_API_KEY,
        "httpApiKey" => &SEC_HTTP_API_KEY,
        "http" => &SEC_HTTP,
        "oauth2" if v3 => &SEC_OAUTH2_V3,
        "oauth2" => &SEC_OAUTH2_V2,
        "openIdConnect" if v3 => &SEC_OPENID_V3,
        "openIdConnect" => &SEC_OPENID_V2,
        _ => &SEC_PLAIN,
    };
    cx.object(spec, node, ptr);
}

/// The OAuth Flows Object.
pub(crate) static OAUTH_FLOWS: ObjSpec = ObjSpec {
    shape: Shape::OAuthFlows,
    fields: &[
        opt("implicit", Val::One(Shape::OAuthFlow, Ref::No)),
        opt("password", Val::One(Shape::OAuthFlow, Ref::No)),
        opt("clientCredentials", Val::One(Shape::OAuthFlow, Ref::No)),
        opt("authorizationCode", Val::One(Shape::OAuthFlow, Ref::No)),
    ],
    rule: Some(oauth_flows),
    hints: &[],
};

/// Each flow kind needs some URLs and forbids others (the token endpoint of the implicit flow does not exist).
fn oauth_flows(cx: &mut Cx, node: &Node, ptr: &str) {
    let scopes = if cx.v3() { "availableScopes" } else { "scopes" };
    let rules: [(&str, &[&str], &[&str]); 4] = [
        ("implicit", &["authorizationUrl", scopes], &["tokenUrl"]),
        ("password", &["tokenUrl", scopes], &["authorizationUrl"]),
        (
            "clientCredentials",
            &["tokenUrl", scopes],
            &["authorizationUrl"],
        ),
        (
            "authorizationCode",
            &["authorizationUrl", "tokenUrl", scopes],
            &[],
        ),
    ];
    for (flow, needs, forbids) in rules {
        let Some(flow_node) = node.get(flow).filter(|f| f.as_map().is_some()) else {
            continue;
        };
        let flow_ptr = push_pointer(ptr, flow);
        for need in needs {
            if flow_node.get(need).is_none() {
                cx.error(
                    &flow_ptr,
                    flow_node.pos,
                    format!("missing required field `{need}` in the `{flow}` OAuth flow"),
                    None,
                );
            }
        }
        for forbid in forbids {
            if let Some((key, _)) = flow_node.entry(forbid) {
                cx.error(
                    &push_pointer(&flow_ptr, forbid),
                    key.pos,
                    format!("the `{flow}` OAuth flow has no `{forbid}`"),
                    Some(format!("remove `{forbid}`")),
                );
            }
        }
    }
}

/// The OAuth Flow Object of 2.x.
pub(crate) static OAUTH_FLOW_V2: ObjSpec = ObjSpec {
    shape: Shape::OAuthFlow,
    fields: &[
        opt("authorizationUrl", Val::Str),
        opt("tokenUrl", Val::Str),
        opt("refreshUrl", Val::Str),
        opt("scopes", Val::StrMap),
    ],
    rule: None,
    hints: &[(
        "availableScopes",
        "`availableScopes` is AsyncAPI 3; AsyncAPI 2 calls it `scopes`",
    )],
};

/// The OAuth Flow Object of 3.x.
pub(crate) static OAUTH_FLOW_V3: ObjSpec = ObjSpec {
    shape: Shape::OAuthFlow,
    fields: &[
        opt("authorizationUrl", Val::Str),
        opt("tokenUrl", Val::Str),
        opt("refreshUrl", Val::Str),
        opt("availableScopes", Val::StrMap),
    ],
    rule: None,
    hints: &[(
        "scopes",
        "AsyncAPI 3 renamed the flow's `scopes` to `availableScopes`",
    )],
};

/// The 2.x Security Requirement Object: scheme names to the scopes needed (empty for non-OAuth schemes).
pub(crate) fn security_requirement(cx: &mut Cx, node: &Node, ptr: &str) {
    let Some(entries) = node.as_map() else {
        cx.expected(
            ptr,
            node,
            "a mapping from security scheme names to scopes (the Security Requirement Object)",
        );
        return;
    };
    for (key, value) in entries {
        cx.strings(&key.text, value, &push_pointer(ptr, &key.text), true);
    }
}

/// A `tags` list: each item a Tag Object (or a reference, where `r` allows), no two with the same name.
pub(crate) fn tags(cx: &mut Cx, r: Ref, node: &Node, ptr: &str) {
    let Some(items) = node.as_seq() else {
        cx.must_be("tags", ptr, node, "a sequence of Tag Objects");
        return;
    };
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_ptr = push_pointer(ptr, &i.to_string());
        cx.item(Shape::Tag, r, item, &item_ptr);
        let Some(name) = item.get("name").filter(|_| item.get("$ref").is_none()) else {
            continue;
        };
        let Some(text) = name.as_str() else { continue };
        match seen.iter().find(|(n, _)| *n == text) {
            Some((_, first)) => cx.error(
                &push_pointer(&item_ptr, "name"),
                name.pos,
                format!("duplicate tag name `{text}`: item {first} of this `tags` list has the same name"),
                Some("tag names must be unique within one list; merge the two tags".to_string()),
            ),
            None => seen.push((text, i)),
        }
    }
}

/// Checks a runtime expression (`location` fields): AsyncAPI allows only `$message.header#<pointer>` and
/// `$message.payload#<pointer>`.
pub(crate) fn runtime_expression(cx: &mut Cx, name: &str, node: &Node, ptr: &str) {
    let Some(text) = node.as_str() else { return };
    if text.starts_with("$message.header#") || text.starts_with("$message.payload#") {
        return;
    }
    let help = if text == "$message.header" || text == "$message.payload" {
        format!(
            "add a JSON pointer after `#`: `{text}#/...` (`{text}#` for the whole {})",
            &text[9..]
        )
    } else {
        "write `$message.header#/path` or `$message.payload#/path`".to_string()
    };
    cx.error(
        ptr,
        node.pos,
        format!("`{name}` must be a runtime expression such as `$message.header#/correlationId`, found `{text}`"),
        Some(help),
    );
}

/// The names inside `{...}` of a channel address or server URL template, in order, without repeats. Matches what
/// the official parser does (`/{(.+?)}/g`): the shortest non-empty run up to the next `}`.
pub(crate) fn template_vars(template: &str) -> Vec<&str> {
    let mut vars: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        // The name needs at least one character, so the search for `}` starts after the first one.
        let Some(first) = after.chars().next() else {
            break;
        };
        let Some(close) = after[first.len_utf8()..]
            .find('}')
            .map(|c| c + first.len_utf8())
        else {
            break;
        };
        let name = &after[..close];
        if !name.contains('\n') && !vars.contains(&name) {
            vars.push(name);
        }
        rest = &after[close + 1..];
    }
    vars
}

/// What a `{name}` template is checked against: a channel address against `parameters`, a server URL against
/// `variables`.
pub(crate) struct Template<'a> {
    /// The template text.
    pub text: &'a str,
    /// Where the template is, for messages ("channel address", "server URL").
    pub place: &'static str,
    /// What one name is ("parameter", "variable").
    pub kind: &'static str,
    /// The field of the owner that declares the names ("parameters", "variables").
    pub field: &'static str,
    /// How serious it is when names are used and the owner has no `field` at all.
    pub undeclared: Severity,
    /// How serious a declared name that the template does not use is.
    pub unused: Severity,
}

/// Compares the names used in a template with those declared in `owner[field]`. A name used but not declared is an
/// error; a name declared but not used is reported with `t.unused`. With no declarations at all, the template's
/// names are reported once, with `t.undeclared`.
pub(crate) fn check_template(cx: &mut Cx, t: &Template, owner: &Node, owner_ptr: &str) {
    let used = template_vars(t.text);
    let decl_ptr = push_pointer(owner_ptr, t.field);
    match owner.get(t.field) {
        None => {
            if !used.is_empty() {
                let names = used
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let message = format!(
                    "the {} `{}` uses {} {names} but there is no `{}`",
                    t.place, t.text, t.kind, t.field
                );
                let help = Some(format!("declare each {} under `{}`", t.kind, t.field));
                cx.report(t.undeclared, owner_ptr, owner.pos, message, help);
            }
        }
        Some(decl) => {
            let Some(entries) = decl.as_map() else { return };
            for name in &used {
                if !entries.iter().any(|(k, _)| k.text == *name) {
                    cx.error(
                        &decl_ptr,
                        decl.pos,
                        format!(
                            "{} `{name}` of the {} `{}` is not declared in `{}`",
                            t.kind, t.place, t.text, t.field
                        ),
                        Some(format!("add `{name}` to `{}`", t.field)),
                    );
                }
            }
            for (key, _) in entries {
                if !used.contains(&key.text.as_str()) {
                    cx.report(
                        t.unused,
                        &push_pointer(&decl_ptr, &key.text),
                        key.pos,
                        format!(
                            "{} `{}` is declared but not used in the {} `{}`",
                            t.kind, key.text, t.place, t.text
                        ),
                        Some(format!(
                            "remove it, or use `{{{}}}` in the {}",
                            key.text, t.place
                        )),
                    );
                }
            }
        }
    }
}

/// Channel addresses are matched against message topics and paths; a `?` or `#` would make the address part of a
/// URL query or fragment instead, which the official parser rejects.
pub(crate) fn address_without_query(cx: &mut Cx, address: &str, ptr: &str, node: &Node) {
    if let Some(c) = address.chars().find(|c| *c == '?' || *c == '#') {
        cx.error(
            ptr,
            node.pos,
            format!("the channel address `{address}` must not contain `{c}` (a query or fragment delimiter)"),
            Some("describe query values with bindings (e.g. the `ws` binding's `query`) instead".to_string()),
        );
    }
}

/// Message headers are a map of names to values, so their schema must describe an object.
pub(crate) fn headers_are_object(cx: &mut Cx, node: &Node, ptr: &str) {
    let Some(ty) = node.get("headers").and_then(|h| h.get("type")) else {
        return;
    };
    if let Some(text) = ty.as_str().filter(|t| *t != "object") {
        cx.error(
            &push_pointer(&push_pointer(ptr, "headers"), "type"),
            ty.pos,
            format!("the headers schema must have `type: object`, found `{text}`"),
            Some("describe each header as a property of an object schema".to_string()),
        );
    }
}
