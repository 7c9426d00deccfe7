//! The type arena back to JSON Schema: one self-contained draft-07 document per root type.
//!
//! [`to_json_schema`] is the reference meaning of a [`TypeId`]: the loader checks message examples against it,
//! and emitters can test their generated validators against it (differential tests). It is therefore faithful to
//! the IR rather than pretty:
//!
//! - The root type's keywords are written at the top level, next to `$schema` and `definitions`. Every other
//!   reachable schema object is written once under `definitions` as `T{id}` (the root too, when something refers
//!   back to it), and every subschema is `{"$ref": "#/definitions/T{id}"}`, so recursive types are finite.
//!   [`to_json_schema_inlined`] writes the same schema with single-use subschemas in place instead, which
//!   validators compile two to three times faster.
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

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value, json};

use crate::{JsonType, Schema, TypeBody, TypeId, TypeSpace};

/// The `$schema` of the output.
pub const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// How deep [`to_json_schema_inlined`] nests subschemas before it writes one under `definitions` anyway, so
/// neither this writer nor a validator compiling the output recurses without bound on a long chain of types.
const MAX_INLINE_DEPTH: usize = 32;

/// The JSON Schema (draft-07) of `root`, with every schema object it reaches under `definitions` and referred to
/// by `$ref`; see the [module documentation](self) for how each IR field is written.
///
/// # Panics
/// When `root` or a type it reaches is not in `types` (a bug in whoever built the space, never caused by input).
pub fn to_json_schema(types: &TypeSpace, root: TypeId) -> Value {
    Writer::new(types, root, false).finish()
}

/// The same schema as [`to_json_schema`] for validation, with every subschema used once written in place:
/// only types referred to from several places, the root when something refers back to it, and types nested
/// deeper than a fixed limit go under `definitions`. Validators such as the `jsonschema` crate compile this form
/// two to three times faster, since they resolve fewer references.
///
/// # Panics
/// When `root` or a type it reaches is not in `types`.
pub fn to_json_schema_inlined(types: &TypeSpace, root: TypeId) -> Value {
    Writer::new(types, root, true).finish()
}

/// One JSON Schema document (draft-07) holding every type reachable from `roots` under `definitions` as `T{id}`,
/// with no root keywords: a client addresses a type as `#/definitions/T{id}` (every root is written there). Each
/// definition is written as by [`to_json_schema`], so a type means the same here as there; shared types are written
/// once, which keeps a bundle for hundreds of messages small.
///
/// # Panics
/// When a root or a type it reaches is not in `types`.
pub fn to_json_schema_bundle(types: &TypeSpace, roots: impl IntoIterator<Item = TypeId>) -> Value {
    let mut definitions: BTreeMap<TypeId, Value> = BTreeMap::new();
    for root in roots {
        if definitions.contains_key(&root) {
            continue;
        }
        let Value::Object(mut document) = to_json_schema(types, root) else {
            definitions.insert(root, inline_body(types, root).unwrap_or(Value::Bool(true)));
            continue;
        };
        if let Some(Value::Object(shared)) = document.remove("definitions") {
            for (name, body) in shared {
                if let Some(id) = name.strip_prefix('T').and_then(|n| n.parse().ok()) {
                    definitions.entry(TypeId(id)).or_insert(body);
                }
            }
        }
        document.remove("$schema");
        definitions.insert(root, Value::Object(document));
    }
    let map: Map<String, Value> = definitions
        .into_iter()
        .map(|(id, body)| (def_name(id), body))
        .collect();
    json!({ "$schema": DRAFT_07, "definitions": map })
}

/// The name of a type under `definitions`.
pub fn def_name(id: TypeId) -> String {
    format!("T{}", id.0)
}

/// Writes one root and the definitions it needs.
struct Writer<'a> {
    types: &'a TypeSpace,
    root: TypeId,
    /// Types written under `definitions` (decided up front, or when nesting gets too deep).
    shared: HashSet<TypeId>,
    /// Definitions to write.
    pending: Vec<TypeId>,
}

impl<'a> Writer<'a> {
    fn new(types: &'a TypeSpace, root: TypeId, inline: bool) -> Self {
        // How often each schema object reachable from the root is referred to (the root's own body counts).
        let mut uses: HashMap<TypeId, u32> = HashMap::new();
        let mut stack = types.children(root);
        while let Some(id) = stack.pop() {
            if types.schema(id).is_none() {
                continue;
            }
            let count = uses.entry(id).or_insert(0);
            *count += 1;
            if *count == 1 {
                stack.extend(types.children(id));
            }
        }
        let shared: HashSet<TypeId> = uses
            .into_iter()
            .filter(|(id, count)| !inline || *count > 1 || *id == root)
            .map(|(id, _)| id)
            .collect();
        let mut pending: Vec<TypeId> = shared.iter().copied().collect();
        pending.sort_unstable_by(|a, b| b.cmp(a));
        Writer {
            types,
            root,
            shared,
            pending,
        }
    }

    fn finish(mut self) -> Value {
        let Some(root_schema) = self.types.schema(self.root) else {
            return inline_body(self.types, self.root).unwrap_or(Value::Bool(true));
        };
        let mut out = Map::new();
        out.insert("$schema".to_string(), Value::from(DRAFT_07));
        if let Value::Object(mut keywords) = self.schema(root_schema, 0) {
            out.append(&mut keywords);
        }
        let mut definitions: BTreeMap<TypeId, Value> = BTreeMap::new();
        while let Some(id) = self.pending.pop() {
            if definitions.contains_key(&id) {
                continue;
            }
            if let Some(schema) = self.types.schema(id) {
                let body = self.schema(schema, 0);
                definitions.insert(id, body);
            }
        }
        if !definitions.is_empty() {
            let map: Map<String, Value> = definitions
                .into_iter()
                .map(|(id, body)| (def_name(id), body))
                .collect();
            out.insert("definitions".to_string(), Value::Object(map));
        }
        Value::Object(out)
    }

    /// A subschema: inline when boolean, opaque or used once (and not too deep), else a reference.
    fn sub(&mut self, id: TypeId, depth: usize) -> Value {
        if let Some(body) = inline_body(self.types, id) {
            return body;
        }
        let by_reference = if self.shared.contains(&id) {
            true
        } else if depth >= MAX_INLINE_DEPTH {
            self.shared.insert(id);
            self.pending.push(id);
            true
        } else {
            false
        };
        if by_reference {
            return json!({ "$ref": format!("#/definitions/{}", def_name(id)) });
        }
        let schema = self.types.schema(id).expect("checked by inline_body");
        self.schema(schema, depth + 1)
    }

    fn subs(&mut self, ids: &[TypeId], depth: usize) -> Value {
        Value::Array(ids.iter().map(|id| self.sub(*id, depth)).collect())
    }

    /// One schema object.
    fn schema(&mut self, s: &Schema, depth: usize) -> Value {
        let mut m = Map::new();
        let mut type_names: Vec<JsonType> = s.types.clone();
        if s.nullable && !type_names.is_empty() && !type_names.contains(&JsonType::Null) {
            type_names.push(JsonType::Null);
        }
        match type_names.as_slice() {
            [] => {}
            [one] => put(&mut m, "type", Value::from(one.as_str())),
            many => put(
                &mut m,
                "type",
                Value::Array(many.iter().map(|t| Value::from(t.as_str())).collect()),
            ),
        }
        for (key, text) in [("title", &s.title), ("description", &s.description)] {
            if let Some(v) = text {
                put(&mut m, key, Value::from(v.as_str()));
            }
        }
        if let Some(v) = &s.default {
            put(&mut m, "default", v.clone());
        }
        if let Some(v) = &s.const_value {
            put(&mut m, "const", v.clone());
        }
        if let Some(v) = &s.enum_values {
            put(&mut m, "enum", Value::Array(v.clone()));
        }
        for (key, flag) in [
            ("readOnly", s.read_only),
            ("writeOnly", s.write_only),
            ("deprecated", s.deprecated),
        ] {
            if flag {
                put(&mut m, key, Value::Bool(true));
            }
        }

        if !s.properties.is_empty() {
            let mut props = Map::new();
            for p in &s.properties {
                let sub = self.sub(p.ty, depth);
                props.insert(p.name.clone(), sub);
            }
            put(&mut m, "properties", Value::Object(props));
        }
        if !s.required.is_empty() {
            let names = s.required.iter().map(|r| Value::from(r.as_str())).collect();
            put(&mut m, "required", Value::Array(names));
        }
        if let Some(id) = s.additional_properties {
            let sub = self.sub(id, depth);
            put(&mut m, "additionalProperties", sub);
        }
        if !s.pattern_properties.is_empty() {
            let mut props = Map::new();
            for p in &s.pattern_properties {
                let sub = self.sub(p.ty, depth);
                props.insert(p.pattern.clone(), sub);
            }
            put(&mut m, "patternProperties", Value::Object(props));
        }
        if let Some(id) = s.property_names {
            let sub = self.sub(id, depth);
            put(&mut m, "propertyNames", sub);
        }
        if let Some(dependencies) = s.extensions.get("dependencies").and_then(dependencies) {
            put(&mut m, "dependencies", dependencies);
        }

        if s.prefix_items.is_empty() {
            if let Some(id) = s.items {
                let sub = self.sub(id, depth);
                put(&mut m, "items", sub);
            }
        } else {
            let subs = self.subs(&s.prefix_items, depth);
            put(&mut m, "items", subs);
            if let Some(id) = s.items {
                let sub = self.sub(id, depth);
                put(&mut m, "additionalItems", sub);
            }
        }
        if let Some(id) = s.contains {
            let sub = self.sub(id, depth);
            put(&mut m, "contains", sub);
        }
        if s.unique_items {
            put(&mut m, "uniqueItems", Value::Bool(true));
        }

        for (key, count) in [
            ("minProperties", s.min_properties),
            ("maxProperties", s.max_properties),
            ("minItems", s.min_items),
            ("maxItems", s.max_items),
            ("minLength", s.min_length),
            ("maxLength", s.max_length),
        ] {
            if let Some(n) = count {
                put(&mut m, key, Value::from(n));
            }
        }
        for (key, text) in [
            ("pattern", &s.pattern),
            ("format", &s.format),
            ("contentEncoding", &s.content_encoding),
            ("contentMediaType", &s.content_media_type),
        ] {
            if let Some(v) = text {
                put(&mut m, key, Value::from(v.as_str()));
            }
        }
        for (key, number) in [
            ("minimum", &s.minimum),
            ("maximum", &s.maximum),
            ("exclusiveMinimum", &s.exclusive_minimum),
            ("exclusiveMaximum", &s.exclusive_maximum),
            ("multipleOf", &s.multiple_of),
        ] {
            if let Some(n) = number {
                put(&mut m, key, Value::Number(n.clone()));
            }
        }

        for (key, list) in [
            ("allOf", &s.all_of),
            ("anyOf", &s.any_of),
            ("oneOf", &s.one_of),
        ] {
            if !list.is_empty() {
                let subs = self.subs(list, depth);
                put(&mut m, key, subs);
            }
        }
        for (key, one) in [
            ("not", s.not),
            ("if", s.if_schema),
            ("then", s.then_schema),
            ("else", s.else_schema),
        ] {
            if let Some(id) = one {
                let sub = self.sub(id, depth);
                put(&mut m, key, sub);
            }
        }

        if s.nullable && s.types.is_empty() {
            json!({ "anyOf": [Value::Object(m), { "type": "null" }] })
        } else {
            Value::Object(m)
        }
    }
}

fn put(m: &mut Map<String, Value>, key: &str, value: Value) {
    m.insert(key.to_string(), value);
}

/// A boolean or opaque type as its inline schema; `None` for schema objects.
fn inline_body(types: &TypeSpace, id: TypeId) -> Option<Value> {
    match &types.get(id).body {
        TypeBody::Bool { value } => Some(Value::Bool(*value)),
        TypeBody::Opaque { .. } => Some(Value::Bool(true)),
        TypeBody::Schema(_) => None,
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

    #[test]
    fn inlined_form_keeps_only_shared_and_recursive_types_as_definitions() {
        // Root {a: Shared, b: Shared, c: Once, t: Tree}; Tree = {kids: [Tree]}.
        let types = space(vec![
            schema(Schema {
                properties: vec![
                    prop("a", false, 1),
                    prop("b", false, 1),
                    prop("c", false, 2),
                    prop("t", false, 3),
                ],
                ..typed(JsonType::Object)
            }),
            schema(typed(JsonType::String)),
            schema(Schema {
                properties: vec![prop("n", false, 5)],
                ..typed(JsonType::Object)
            }),
            schema(Schema {
                properties: vec![prop("kids", false, 4)],
                ..typed(JsonType::Object)
            }),
            schema(Schema {
                items: Some(TypeId(3)),
                ..typed(JsonType::Array)
            }),
            schema(typed(JsonType::Number)),
        ]);
        assert_eq!(
            to_json_schema_inlined(&types, TypeId(0)),
            json!({
                "$schema": DRAFT_07,
                "type": "object",
                "properties": {
                    "a": {"$ref": "#/definitions/T1"},
                    "b": {"$ref": "#/definitions/T1"},
                    "c": {"type": "object", "properties": {"n": {"type": "number"}}},
                    "t": {"$ref": "#/definitions/T3"},
                },
                "definitions": {
                    "T1": {"type": "string"},
                    "T3": {
                        "type": "object",
                        "properties": {"kids": {"type": "array", "items": {"$ref": "#/definitions/T3"}}},
                    },
                },
            })
        );
        // The reference form of the same root names every schema object.
        let by_ref = to_json_schema(&types, TypeId(0));
        let names: Vec<&String> = by_ref["definitions"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["T1", "T2", "T3", "T4", "T5"]);
    }

    #[test]
    fn inlining_stops_at_a_fixed_depth() {
        // A chain T0 → T1 → … → T99 of single-use types.
        let n = 100;
        let types = space(
            (0..n)
                .map(|i| {
                    schema(Schema {
                        properties: if i + 1 < n {
                            vec![prop("next", false, i + 1)]
                        } else {
                            Vec::new()
                        },
                        ..typed(JsonType::Object)
                    })
                })
                .collect(),
        );
        let out = to_json_schema_inlined(&types, TypeId(0));
        let defs = out["definitions"].as_object().unwrap();
        assert!(
            !defs.is_empty() && defs.len() < 10,
            "{} definitions",
            defs.len()
        );
        // Following `next` through the inline levels and the references reaches the end of the chain.
        let mut at = &out;
        let mut hops = 0;
        while let Some(next) = at.get("properties").and_then(|p| p.get("next")) {
            at = match next.get("$ref").and_then(Value::as_str) {
                Some(r) => &defs[r.trim_start_matches("#/definitions/")],
                None => next,
            };
            hops += 1;
        }
        assert_eq!(hops, n - 1);
    }
}
