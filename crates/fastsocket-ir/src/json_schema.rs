//! The type arena back to JSON Schema: one self-contained draft-07 document per root type.
//!
//! [`to_json_schema`] is the reference meaning of a [`TypeId`]: the loader checks message examples against it,
//! and emitters can test their generated validators against it (differential tests). It is therefore faithful to
//! the IR rather than pretty:
//!
//! - The root type's keywords are written at the top level, next to `$schema` and `definitions`. Every other
//!   reachable schema object is written once under `definitions` as `T{id}` (the root too, when something refers
//!   back to it), and every subschema is `{"$ref": "#/definitions/T{id}"}`, so recursive types are finite.
//! - Boolean types are written inline as `true`/`false`, and so are opaque ones (Avro, RAML, …) as `true`: they
//!   cannot be checked.
//! - Every [`Schema`] field becomes its keyword. Positional items become draft-07's array form of `items`, and the
//!   schema of the remaining items `additionalItems`; `exclusiveMinimum`/`exclusiveMaximum` are numbers.
//! - OpenAPI's `nullable: true` adds `"null"` to `type` when `type` is stated (as OpenAPI 3.0.3 defines it: other
//!   keywords keep their meaning, so an `enum` without `null` still refuses `null`). Without `type`, the schema
//!   becomes `{"anyOf": [schema, {"type": "null"}]}`.
//! - Left out: `examples`, `discriminator` (validation is by the `oneOf`/`anyOf` it sits beside), `externalDocs`,
//!   and `x-*`/unknown keywords, except draft-07's `dependencies`, which the IR keeps as written: its
//!   property-list entries, and schema entries holding no `$ref` (a `$ref` inside would point into the source
//!   document, which this output does not contain), are written back.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::{JsonType, Schema, TypeBody, TypeId, TypeSpace};

/// The `$schema` of the output.
pub const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// The JSON Schema (draft-07) of `root`, with every type it reaches under `definitions`; see the
/// [module documentation](self) for how each IR field is written.
///
/// # Panics
/// When `root` or a type it reaches is not in `types` (a bug in whoever built the space, never caused by input).
pub fn to_json_schema(types: &TypeSpace, root: TypeId) -> Value {
    let Some(root_schema) = types.schema(root) else {
        return inline_body(types, root).unwrap_or(Value::Bool(true));
    };
    let reachable = reachable_schemas(types, root);
    let mut out = Map::new();
    out.insert("$schema".to_string(), Value::from(DRAFT_07));
    let mut body = schema_json(types, root_schema);
    if let Value::Object(keywords) = &mut body {
        out.append(keywords);
    }
    let referenced_root = reachable.contains(&root);
    let mut definitions = Map::new();
    for id in reachable {
        if let Some(schema) = types.schema(id) {
            definitions.insert(def_name(id), schema_json(types, schema));
        }
    }
    debug_assert!(!referenced_root || definitions.contains_key(&def_name(root)));
    if !definitions.is_empty() {
        out.insert("definitions".to_string(), Value::Object(definitions));
    }
    Value::Object(out)
}

/// The name of a type under `definitions`.
pub fn def_name(id: TypeId) -> String {
    format!("T{}", id.0)
}

/// The schema-object types reachable from `root` through subschemas (not `root` itself unless it is reached
/// again), in id order.
fn reachable_schemas(types: &TypeSpace, root: TypeId) -> BTreeSet<TypeId> {
    let mut seen = BTreeSet::new();
    let mut stack = types.children(root);
    while let Some(id) = stack.pop() {
        if types.schema(id).is_some() && seen.insert(id) {
            stack.extend(types.children(id));
        }
    }
    seen
}

/// A boolean or opaque type as its inline schema; `None` for schema objects.
fn inline_body(types: &TypeSpace, id: TypeId) -> Option<Value> {
    match &types.get(id).body {
        TypeBody::Bool { value } => Some(Value::Bool(*value)),
        TypeBody::Opaque { .. } => Some(Value::Bool(true)),
        TypeBody::Schema(_) => None,
    }
}

/// How a subschema is referred to.
fn sub(types: &TypeSpace, id: TypeId) -> Value {
    inline_body(types, id)
        .unwrap_or_else(|| json!({ "$ref": format!("#/definitions/{}", def_name(id)) }))
}

fn subs(types: &TypeSpace, ids: &[TypeId]) -> Value {
    Value::Array(ids.iter().map(|id| sub(types, *id)).collect())
}

/// One schema object; subschemas are references.
fn schema_json(types: &TypeSpace, s: &Schema) -> Value {
    let mut m = Map::new();
    let mut put = |key: &str, value: Value| {
        m.insert(key.to_string(), value);
    };
    let mut type_names: Vec<JsonType> = s.types.clone();
    if s.nullable && !type_names.is_empty() && !type_names.contains(&JsonType::Null) {
        type_names.push(JsonType::Null);
    }
    match type_names.as_slice() {
        [] => {}
        [one] => put("type", Value::from(one.as_str())),
        many => put(
            "type",
            Value::Array(many.iter().map(|t| Value::from(t.as_str())).collect()),
        ),
    }
    if let Some(v) = &s.title {
        put("title", Value::from(v.as_str()));
    }
    if let Some(v) = &s.description {
        put("description", Value::from(v.as_str()));
    }
    if let Some(v) = &s.default {
        put("default", v.clone());
    }
    if let Some(v) = &s.const_value {
        put("const", v.clone());
    }
    if let Some(v) = &s.enum_values {
        put("enum", Value::Array(v.clone()));
    }
    if s.read_only {
        put("readOnly", Value::Bool(true));
    }
    if s.write_only {
        put("writeOnly", Value::Bool(true));
    }
    if s.deprecated {
        put("deprecated", Value::Bool(true));
    }

    if !s.properties.is_empty() {
        let props: Map<String, Value> = s
            .properties
            .iter()
            .map(|p| (p.name.clone(), sub(types, p.ty)))
            .collect();
        put("properties", Value::Object(props));
    }
    if !s.required.is_empty() {
        put(
            "required",
            Value::Array(s.required.iter().map(|r| Value::from(r.as_str())).collect()),
        );
    }
    if let Some(id) = s.additional_properties {
        put("additionalProperties", sub(types, id));
    }
    if !s.pattern_properties.is_empty() {
        let props: Map<String, Value> = s
            .pattern_properties
            .iter()
            .map(|p| (p.pattern.clone(), sub(types, p.ty)))
            .collect();
        put("patternProperties", Value::Object(props));
    }
    if let Some(id) = s.property_names {
        put("propertyNames", sub(types, id));
    }
    if let Some(n) = s.min_properties {
        put("minProperties", Value::from(n));
    }
    if let Some(n) = s.max_properties {
        put("maxProperties", Value::from(n));
    }
    if let Some(dependencies) = s.extensions.get("dependencies").and_then(dependencies) {
        put("dependencies", dependencies);
    }

    if s.prefix_items.is_empty() {
        if let Some(id) = s.items {
            put("items", sub(types, id));
        }
    } else {
        put("items", subs(types, &s.prefix_items));
        if let Some(id) = s.items {
            put("additionalItems", sub(types, id));
        }
    }
    if let Some(id) = s.contains {
        put("contains", sub(types, id));
    }
    if let Some(n) = s.min_items {
        put("minItems", Value::from(n));
    }
    if let Some(n) = s.max_items {
        put("maxItems", Value::from(n));
    }
    if s.unique_items {
        put("uniqueItems", Value::Bool(true));
    }

    if let Some(n) = s.min_length {
        put("minLength", Value::from(n));
    }
    if let Some(n) = s.max_length {
        put("maxLength", Value::from(n));
    }
    if let Some(v) = &s.pattern {
        put("pattern", Value::from(v.as_str()));
    }
    if let Some(v) = &s.format {
        put("format", Value::from(v.as_str()));
    }
    if let Some(v) = &s.content_encoding {
        put("contentEncoding", Value::from(v.as_str()));
    }
    if let Some(v) = &s.content_media_type {
        put("contentMediaType", Value::from(v.as_str()));
    }

    for (key, number) in [
        ("minimum", &s.minimum),
        ("maximum", &s.maximum),
        ("exclusiveMinimum", &s.exclusive_minimum),
        ("exclusiveMaximum", &s.exclusive_maximum),
        ("multipleOf", &s.multiple_of),
    ] {
        if let Some(n) = number {
            put(key, Value::Number(n.clone()));
        }
    }

    for (key, list) in [
        ("allOf", &s.all_of),
        ("anyOf", &s.any_of),
        ("oneOf", &s.one_of),
    ] {
        if !list.is_empty() {
            put(key, subs(types, list));
        }
    }
    for (key, one) in [
        ("not", s.not),
        ("if", s.if_schema),
        ("then", s.then_schema),
        ("else", s.else_schema),
    ] {
        if let Some(id) = one {
            put(key, sub(types, id));
        }
    }

    if s.nullable && s.types.is_empty() {
        json!({ "anyOf": [Value::Object(m), { "type": "null" }] })
    } else {
        Value::Object(m)
    }
}

/// The entries of a draft-07 `dependencies` (kept as written in the IR's extensions) that can be written back.
fn dependencies(raw: &Value) -> Option<Value> {
    let kept: Map<String, Value> = raw
        .as_object()?
        .iter()
        .filter(|(_, v)| match v {
            Value::Array(names) => names.iter().all(Value::is_string),
            Value::Bool(_) => true,
            Value::Object(_) => !mentions_ref(v),
            _ => false,
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!kept.is_empty()).then_some(Value::Object(kept))
}

fn mentions_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("$ref") || m.values().any(mentions_ref),
        Value::Array(items) => items.iter().any(mentions_ref),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Location, PatternProperty, Property, TypeDef};

    /// A space built from bodies in id order.
    fn space(bodies: Vec<TypeBody>) -> TypeSpace {
        TypeSpace {
            types: bodies
                .into_iter()
                .enumerate()
                .map(|(i, body)| TypeDef {
                    id: TypeId(i as u32),
                    name: format!("T{i}"),
                    component: None,
                    origin: Location::default(),
                    body,
                })
                .collect(),
        }
    }

    fn schema(s: Schema) -> TypeBody {
        TypeBody::Schema(Box::new(s))
    }

    fn prop(name: &str, required: bool, ty: u32) -> Property {
        Property {
            name: name.to_string(),
            rust_name: name.to_string(),
            required,
            ty: TypeId(ty),
        }
    }

    fn typed(t: JsonType) -> Schema {
        Schema {
            types: vec![t],
            ..Schema::default()
        }
    }

    #[test]
    fn object_with_properties_and_closed_additional_properties() {
        let types = space(vec![
            schema(Schema {
                types: vec![JsonType::Object],
                title: Some("Order".into()),
                properties: vec![prop("id", true, 1), prop("qty", false, 2)],
                required: vec!["id".into()],
                additional_properties: Some(TypeId(3)),
                pattern_properties: vec![PatternProperty {
                    pattern: "^x-".into(),
                    ty: TypeId(1),
                }],
                examples: vec![json!({"id": "a"})],
                ..Schema::default()
            }),
            schema(Schema {
                min_length: Some(1),
                format: Some("uuid".into()),
                ..typed(JsonType::String)
            }),
            schema(Schema {
                minimum: Some(1.into()),
                exclusive_maximum: Some(100.into()),
                multiple_of: Some(serde_json::Number::from_f64(0.5).unwrap()),
                ..typed(JsonType::Integer)
            }),
            TypeBody::Bool { value: false },
        ]);
        assert_eq!(
            to_json_schema(&types, TypeId(0)),
            json!({
                "$schema": DRAFT_07,
                "type": "object",
                "title": "Order",
                "properties": {
                    "id": {"$ref": "#/definitions/T1"},
                    "qty": {"$ref": "#/definitions/T2"},
                },
                "required": ["id"],
                "additionalProperties": false,
                "patternProperties": {"^x-": {"$ref": "#/definitions/T1"}},
                "definitions": {
                    "T1": {"type": "string", "minLength": 1, "format": "uuid"},
                    "T2": {"type": "integer", "minimum": 1, "exclusiveMaximum": 100, "multipleOf": 0.5},
                },
            })
        );
    }

    #[test]
    fn recursive_root_is_also_a_definition() {
        // Tree = {value: integer, children: [Tree]}
        let types = space(vec![
            schema(Schema {
                types: vec![JsonType::Object],
                properties: vec![prop("value", true, 1), prop("children", false, 2)],
                required: vec!["value".into()],
                ..Schema::default()
            }),
            schema(typed(JsonType::Integer)),
            schema(Schema {
                items: Some(TypeId(0)),
                ..typed(JsonType::Array)
            }),
        ]);
        let out = to_json_schema(&types, TypeId(0));
        let defs = out["definitions"].as_object().unwrap();
        assert_eq!(defs.keys().collect::<Vec<_>>(), ["T0", "T1", "T2"]);
        assert_eq!(
            defs["T2"],
            json!({"type": "array", "items": {"$ref": "#/definitions/T0"}})
        );
        assert_eq!(out["properties"], defs["T0"]["properties"]);
    }

    #[test]
    fn mutual_recursion_without_the_root() {
        // Root → A ⇄ B; the root is not referenced back, so it is not a definition.
        let types = space(vec![
            schema(Schema {
                all_of: vec![TypeId(1)],
                ..Schema::default()
            }),
            schema(Schema {
                properties: vec![prop("b", false, 2)],
                ..typed(JsonType::Object)
            }),
            schema(Schema {
                properties: vec![prop("a", false, 1)],
                ..typed(JsonType::Object)
            }),
            schema(typed(JsonType::Null)),
        ]);
        let out = to_json_schema(&types, TypeId(0));
        assert_eq!(out["allOf"], json!([{"$ref": "#/definitions/T1"}]));
        let defs = out["definitions"].as_object().unwrap();
        assert_eq!(defs.keys().collect::<Vec<_>>(), ["T1", "T2"]);
    }

    #[test]
    fn tuples_use_the_draft_07_form() {
        let types = space(vec![
            schema(Schema {
                prefix_items: vec![TypeId(1), TypeId(2)],
                items: Some(TypeId(3)),
                min_items: Some(2),
                unique_items: true,
                ..typed(JsonType::Array)
            }),
            schema(typed(JsonType::String)),
            schema(typed(JsonType::Number)),
            TypeBody::Bool { value: false },
        ]);
        let out = to_json_schema(&types, TypeId(0));
        assert_eq!(
            out["items"],
            json!([{"$ref": "#/definitions/T1"}, {"$ref": "#/definitions/T2"}])
        );
        assert_eq!(out["additionalItems"], json!(false));
        assert_eq!(out["minItems"], json!(2));
        assert_eq!(out["uniqueItems"], json!(true));
    }

    #[test]
    fn nullable_adds_null_to_type_or_wraps() {
        let types = space(vec![
            schema(Schema {
                nullable: true,
                max_length: Some(3),
                ..typed(JsonType::String)
            }),
            schema(Schema {
                nullable: true,
                enum_values: Some(vec![json!("a")]),
                ..Schema::default()
            }),
        ]);
        let with_type = to_json_schema(&types, TypeId(0));
        assert_eq!(with_type["type"], json!(["string", "null"]));
        let without_type = to_json_schema(&types, TypeId(1));
        assert_eq!(
            without_type,
            json!({"$schema": DRAFT_07, "anyOf": [{"enum": ["a"]}, {"type": "null"}]})
        );
    }

    #[test]
    fn booleans_opaque_and_compositions() {
        let types = space(vec![
            schema(Schema {
                one_of: vec![TypeId(1), TypeId(2)],
                not: Some(TypeId(3)),
                if_schema: Some(TypeId(1)),
                then_schema: Some(TypeId(4)),
                else_schema: Some(TypeId(4)),
                discriminator: Some(crate::Discriminator {
                    property_name: "kind".into(),
                    mapping: Default::default(),
                }),
                ..Schema::default()
            }),
            schema(Schema {
                const_value: Some(json!("a")),
                ..Schema::default()
            }),
            TypeBody::Opaque {
                schema_format: "application/vnd.apache.avro;version=1.9.0".into(),
                raw: json!({"type": "record"}),
            },
            TypeBody::Bool { value: false },
            TypeBody::Bool { value: true },
        ]);
        let out = to_json_schema(&types, TypeId(0));
        assert_eq!(out["oneOf"], json!([{"$ref": "#/definitions/T1"}, true]));
        assert_eq!(out["not"], json!(false));
        assert_eq!(out["then"], json!(true));
        assert!(out.get("discriminator").is_none());
        assert_eq!(to_json_schema(&types, TypeId(2)), json!(true));
        assert_eq!(to_json_schema(&types, TypeId(3)), json!(false));
    }

    #[test]
    fn dependencies_without_refs_are_kept() {
        let mut s = typed(JsonType::Object);
        s.extensions.insert(
            "dependencies".into(),
            json!({
                "card": ["billing"],
                "vip": {"required": ["level"]},
                "other": {"$ref": "#/components/schemas/X"},
            }),
        );
        s.extensions.insert("x-internal".into(), json!(true));
        let types = space(vec![schema(s)]);
        let out = to_json_schema(&types, TypeId(0));
        assert_eq!(
            out,
            json!({
                "$schema": DRAFT_07,
                "type": "object",
                "dependencies": {"card": ["billing"], "vip": {"required": ["level"]}},
            })
        );
    }
}
