//! Schema Objects: the values of JSON Schema draft-07 keywords (as AsyncAPI uses it, with `discriminator`,
//! `deprecated` and `externalDocs`), and of OpenAPI 3.0 Schema Objects for payloads in that format.
//!
//! Unknown keywords are allowed: JSON Schema treats them as annotations, and generators put their own there. Only
//! keywords with a meaning are checked, because a wrong value there (`type: strin`, `required: true`) silently
//! changes what the schema accepts.

use crate::node::{Kind, Node};

use super::engine::{Cx, Ref, suggest};
use super::{Shape, push_pointer};

/// Which schema language the node is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// JSON Schema draft-07 plus AsyncAPI's keywords (the default Schema Object).
    Json,
    /// The OpenAPI 3.0 Schema Object (boolean `exclusiveMaximum`, single-string `type`, object `discriminator`).
    OpenApi,
}

impl Dialect {
    fn shape(self) -> Shape {
        match self {
            Dialect::Json => Shape::Schema,
            Dialect::OpenApi => Shape::OpenApiSchema,
        }
    }
}

const JSON_TYPES: &[&str] = &[
    "array", "boolean", "integer", "null", "number", "object", "string",
];
const OPENAPI_TYPES: &[&str] = &["array", "boolean", "integer", "number", "object", "string"];

/// Checks one schema and, through the keywords that hold schemas, every schema inside it.
pub(crate) fn check(cx: &mut Cx, node: &Node, ptr: &str, dialect: Dialect) {
    let entries = match &node.kind {
        Kind::Map(entries) => entries,
        // `true` and `false` are the schemas that accept everything and nothing.
        Kind::Bool(_) => return,
        _ => {
            let what = match dialect {
                Dialect::Json => "a schema (a mapping, or `true`/`false`)",
                Dialect::OpenApi => "a schema (a mapping)",
            };
            cx.expected(ptr, node, what);
            return;
        }
    };
    if node.get("$ref").is_some() {
        // In draft-07 the keywords beside `$ref` are ignored, so the target alone describes the value.
        cx.reference(node, ptr, dialect.shape());
        return;
    }
    for (key, value) in entries {
        let name = key.text.as_str();
        let p = push_pointer(ptr, name);
        keyword(cx, name, value, &p, dialect);
    }
}

fn keyword(cx: &mut Cx, name: &str, value: &Node, p: &str, dialect: Dialect) {
    match name {
        "$id" | "$schema" | "$comment" | "title" | "description" | "format" | "pattern"
        | "contentMediaType" | "contentEncoding" => cx.string(name, value, p),
        "readOnly" | "writeOnly" | "uniqueItems" | "deprecated" | "nullable"
            if value.as_bool().is_none() =>
        {
            cx.must_be(name, p, value, "a boolean (`true` or `false`)")
        }
        "multipleOf"
            if !value
                .as_number()
                .and_then(|n| n.as_f64())
                .is_some_and(|n| n > 0.0) =>
        {
            cx.must_be(name, p, value, "a number greater than 0")
        }
        "maximum" | "minimum" => number(cx, name, value, p),
        "exclusiveMaximum" | "exclusiveMinimum" => match dialect {
            Dialect::Json => {
                let help = value.as_bool().map(|_| {
                    let bound = if name == "exclusiveMaximum" { "maximum" } else { "minimum" };
                    format!("in JSON Schema draft-07 `{name}` is the bound itself: `{name}: 10` instead of `{bound}: 10, {name}: true`")
                });
                if value.as_number().is_none() {
                    cx.error(
                        p,
                        value.pos,
                        format!("`{name}` must be a number, found {}", value.kind_name()),
                        help,
                    );
                }
            }
            Dialect::OpenApi => {
                if value.as_bool().is_none() {
                    cx.must_be(name, p, value, "a boolean in an OpenAPI schema");
                }
            }
        },
        "maxLength" | "minLength" | "maxItems" | "minItems" | "maxProperties" | "minProperties"
            if value.as_u64().is_none() =>
        {
            cx.must_be(name, p, value, "a non-negative integer")
        }
        "required" => required(cx, value, p),
        "enum" => enumeration(cx, value, p),
        "type" => type_keyword(cx, value, p, dialect),
        "items" => match (&value.kind, dialect) {
            (Kind::Seq(items), Dialect::Json) => {
                if items.is_empty() {
                    cx.must_be(
                        name,
                        p,
                        value,
                        "a schema or a non-empty sequence of schemas",
                    );
                }
                schema_list(cx, items, p, dialect);
            }
            _ => check(cx, value, p, dialect),
        },
        "additionalItems"
        | "contains"
        | "propertyNames"
        | "not"
        | "if"
        | "then"
        | "else"
        | "additionalProperties" => check(cx, value, p, dialect),
        "properties" | "patternProperties" | "definitions" | "$defs" => {
            let Some(entries) = value.as_map() else {
                cx.must_be(name, p, value, "a mapping from names to schemas");
                return;
            };
            for (key, sub) in entries {
                check(cx, sub, &push_pointer(p, &key.text), dialect);
            }
        }
        "dependencies" => {
            let Some(entries) = value.as_map() else {
                cx.must_be(
                    name,
                    p,
                    value,
                    "a mapping from property names to schemas or lists of property names",
                );
                return;
            };
            for (key, sub) in entries {
                let sub_ptr = push_pointer(p, &key.text);
                if sub.as_seq().is_some() {
                    cx.strings(&key.text, sub, &sub_ptr, true);
                } else {
                    check(cx, sub, &sub_ptr, dialect);
                }
            }
        }
        "allOf" | "anyOf" | "oneOf" => {
            let Some(items) = value.as_seq().filter(|items| !items.is_empty()) else {
                cx.must_be(name, p, value, "a non-empty sequence of schemas");
                return;
            };
            schema_list(cx, items, p, dialect);
        }
        "prefixItems" => {
            let Some(items) = value.as_seq() else {
                cx.must_be(name, p, value, "a sequence of schemas");
                return;
            };
            schema_list(cx, items, p, dialect);
        }
        "examples" if dialect == Dialect::Json && value.as_seq().is_none() => {
            let help = "`examples` is a list: `examples: [value]` (or use `example` for one)";
            cx.error(
                p,
                value.pos,
                format!("`examples` must be a sequence, found {}", value.kind_name()),
                Some(help.to_string()),
            );
        }
        "discriminator" => discriminator(cx, value, p, dialect),
        "externalDocs" => {
            let r = if cx.v3() && dialect == Dialect::Json {
                Ref::Yes
            } else {
                Ref::No
            };
            cx.item(Shape::ExternalDocs, r, value, p);
        }
        "xml" if value.as_map().is_none() => {
            cx.must_be(name, p, value, "a mapping (the XML Object)")
        }
        // `default`, `const`, `example`, extensions and unknown keywords (annotations) may hold anything; the
        // guarded arms above land here when their value is right.
        _ => {}
    }
}

fn schema_list(cx: &mut Cx, items: &[Node], p: &str, dialect: Dialect) {
    for (i, item) in items.iter().enumerate() {
        check(cx, item, &push_pointer(p, &i.to_string()), dialect);
    }
}

fn number(cx: &mut Cx, name: &str, value: &Node, p: &str) {
    if value.as_number().is_none() {
        cx.must_be(name, p, value, "a number");
    }
}

fn required(cx: &mut Cx, value: &Node, p: &str) {
    if value.as_seq().is_some() {
        cx.strings("required", value, p, true);
        return;
    }
    let help = match value.kind {
        Kind::Bool(_) => Some(
            "JSON Schema lists required properties on the object: `required: [name, id]` next to `properties`"
                .to_string(),
        ),
        Kind::Str(ref s) => Some(format!("write a list: `required: [{s}]`")),
        _ => None,
    };
    cx.error(
        p,
        value.pos,
        format!(
            "`required` must be a sequence of property names, found {}",
            value.kind_name()
        ),
        help,
    );
}

fn enumeration(cx: &mut Cx, value: &Node, p: &str) {
    let Some(items) = value.as_seq() else {
        let help = Some("write a list: `enum: [a, b]`".to_string());
        cx.error(
            p,
            value.pos,
            format!("`enum` must be a sequence, found {}", value.kind_name()),
            help,
        );
        return;
    };
    if items.is_empty() {
        cx.error(
            p,
            value.pos,
            "`enum` must have at least one value".to_string(),
            None,
        );
        return;
    }
    let json: Vec<_> = items.iter().map(Node::to_json).collect();
    for (i, item) in json.iter().enumerate() {
        if json[..i].contains(item) {
            cx.error(
                &push_pointer(p, &i.to_string()),
                items[i].pos,
                format!("`{item}` appears twice in `enum`"),
                Some("remove the repeated value".to_string()),
            );
        }
    }
}

fn type_keyword(cx: &mut Cx, value: &Node, p: &str, dialect: Dialect) {
    let allowed = match dialect {
        Dialect::Json => JSON_TYPES,
        Dialect::OpenApi => OPENAPI_TYPES,
    };
    match (&value.kind, dialect) {
        (Kind::Str(_), _) => type_name(cx, value, p, allowed, dialect),
        (Kind::Seq(items), Dialect::Json) => {
            if items.is_empty() {
                cx.error(
                    p,
                    value.pos,
                    "`type` must list at least one type".to_string(),
                    None,
                );
            }
            for (i, item) in items.iter().enumerate() {
                let item_ptr = push_pointer(p, &i.to_string());
                type_name(cx, item, &item_ptr, allowed, dialect);
                if let Some(text) = item.as_str()
                    && items[..i].iter().any(|prev| prev.as_str() == Some(text))
                {
                    cx.error(
                        &item_ptr,
                        item.pos,
                        format!("`{text}` appears twice in `type`"),
                        None,
                    );
                }
            }
        }
        (Kind::Seq(_), Dialect::OpenApi) => cx.error(
            p,
            value.pos,
            "`type` must be a single type name in an OpenAPI schema, found a sequence".to_string(),
            Some("use one `type` plus `nullable: true` for null".to_string()),
        ),
        _ => cx.must_be("type", p, value, "a type name"),
    }
}

fn type_name(cx: &mut Cx, value: &Node, p: &str, allowed: &[&str], dialect: Dialect) {
    let Some(text) = value.as_str() else {
        cx.must_be("type", p, value, "a type name");
        return;
    };
    if allowed.contains(&text) {
        return;
    }
    let list = allowed
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let help = match text {
        "null" if dialect == Dialect::OpenApi => {
            Some("OpenAPI 3.0 has no `null` type; add `nullable: true`".to_string())
        }
        "int" | "long" | "int32" | "int64" => Some(format!(
            "use `type: integer` (and `format: {text}` for the width)"
        )),
        "float" | "double" | "decimal" => {
            Some(format!("use `type: number` (and `format: {text}`)"))
        }
        "bool" => Some("use `type: boolean`".to_string()),
        "date" | "date-time" | "datetime" | "uuid" | "email" | "uri" => {
            Some(format!("use `type: string` with `format: {text}`"))
        }
        _ => suggest(text, allowed.iter().copied()).map(|s| format!("did you mean `{s}`?")),
    };
    cx.error(
        p,
        value.pos,
        format!("`type` must be one of {list}, found `{text}`"),
        help,
    );
}

fn discriminator(cx: &mut Cx, value: &Node, p: &str, dialect: Dialect) {
    match dialect {
        Dialect::Json => {
            if value.as_str().is_none() {
                let help = value.get_str("propertyName").map(|name| {
                    format!("an AsyncAPI schema names the property directly: `discriminator: {name}` (the object form is OpenAPI's)")
                });
                cx.error(
                    p,
                    value.pos,
                    format!(
                        "`discriminator` must be a property name (a string), found {}",
                        value.kind_name()
                    ),
                    help,
                );
            }
        }
        Dialect::OpenApi => {
            if value.as_map().is_none() {
                cx.must_be(
                    "discriminator",
                    p,
                    value,
                    "a mapping with `propertyName` in an OpenAPI schema",
                );
                return;
            }
            match value.get("propertyName") {
                Some(name) => cx.string("propertyName", name, &push_pointer(p, "propertyName")),
                None => cx.error(
                    p,
                    value.pos,
                    "missing required field `propertyName` in the Discriminator Object".to_string(),
                    None,
                ),
            }
            if let Some(mapping) = value.get("mapping") {
                let mapping_ptr = push_pointer(p, "mapping");
                match mapping.as_map() {
                    None => cx.must_be(
                        "mapping",
                        &mapping_ptr,
                        mapping,
                        "a mapping from values to schema names",
                    ),
                    Some(entries) => {
                        for (key, target) in entries {
                            cx.string(&key.text, target, &push_pointer(&mapping_ptr, &key.text));
                        }
                    }
                }
            }
        }
    }
}

/// How a `schemaFormat` says the payload must be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// An AsyncAPI Schema Object or plain JSON Schema.
    Json,
    /// An OpenAPI 3.0 Schema Object.
    OpenApi,
    /// Anything else (Avro, RAML, Protobuf, ...): not ours to check.
    Foreign,
}

impl Format {
    /// Reads a `schemaFormat` value (media types are case-insensitive).
    pub(crate) fn of(schema_format: &str) -> Format {
        let lower = schema_format.trim().to_ascii_lowercase();
        if lower.starts_with("application/vnd.aai.asyncapi")
            || lower.starts_with("application/schema+json")
            || lower.starts_with("application/schema+yaml")
        {
            Format::Json
        } else if lower.starts_with("application/vnd.oai.openapi") {
            Format::OpenApi
        } else {
            Format::Foreign
        }
    }

    /// The shape a schema in this format is checked as.
    pub(crate) fn shape(self) -> Shape {
        match self {
            Format::Json => Shape::Schema,
            Format::OpenApi => Shape::OpenApiSchema,
            Format::Foreign => Shape::ForeignSchema,
        }
    }
}
