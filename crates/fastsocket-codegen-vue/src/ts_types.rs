//! IR types → TypeScript: a declaration per structured schema (same names as the Rust types) and type
//! expressions for everything else.
//!
//! The TypeScript types describe the data; the validators (Ajv on the same JSON Schema the server enforces)
//! decide what is valid. Where the two cannot agree exactly, the type is the looser one, never the stricter:
//! a type that rejects valid data would force casts on every user.

use std::collections::BTreeSet;

use fastsocket_ir::{Api, JsonType, Schema, TypeBody, TypeId, TypeSpace};
use serde_json::Value;

use crate::escape::{doc_comment, property_key};

/// One `export type Name = …;` of `types.ts`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Declaration {
    /// The type name (the IR's, shared with the Rust emitter).
    pub name: String,
    /// The JSDoc block (empty, or ending in a newline).
    pub doc: String,
    /// The type expression.
    pub body: String,
}

/// Every decision about the TypeScript side of a document's types.
pub struct TsTypes<'a> {
    types: &'a TypeSpace,
    /// Types declared by name; the others are written in place.
    named: Vec<bool>,
    /// Types reached from messages, parameters and components.
    reachable: Vec<bool>,
    /// Types that reach themselves without descending into the value (`oneOf` ↔ `allOf`): TypeScript cannot state
    /// such an intersection, so their compositions are left to the validators.
    in_place_cycles: BTreeSet<TypeId>,
    /// Put before declared names in references: empty inside `types.ts`, `T.` where it is imported as `T`.
    prefix: &'static str,
}

impl<'a> TsTypes<'a> {
    /// Classifies the types of `api`.
    pub fn new(api: &'a Api) -> Self {
        let types = &api.types;
        let n = types.len();
        let mut reachable = vec![false; n];
        let mut stack: Vec<TypeId> = Vec::new();
        for message in &api.messages {
            stack.extend(message.payload);
            stack.extend(message.headers);
            stack.extend(message.ack);
        }
        for channel in &api.channels {
            stack.extend(channel.parameters.iter().filter_map(|p| p.schema));
        }
        stack.extend(api.message_acks.values().copied());
        stack.extend(types.iter().filter(|t| t.component.is_some()).map(|t| t.id));
        while let Some(id) = stack.pop() {
            let Some(flag) = reachable.get_mut(id.0 as usize) else {
                continue;
            };
            if !*flag {
                *flag = true;
                stack.extend(types.children(id));
            }
        }
        let mut this = TsTypes {
            types,
            named: vec![false; n],
            reachable,
            in_place_cycles: types.in_place_cycles(),
            prefix: "",
        };
        for def in types.iter() {
            let i = def.id.0 as usize;
            this.named[i] = this.reachable[i] && !this.is_simple(def.id);
        }
        this
    }

    /// The same decisions, with references written for a module that imports `types.ts` as `prefix`
    /// (`import type * as T from "./types"` → `"T."`).
    pub fn qualified(&self, prefix: &'static str) -> Self {
        TsTypes {
            types: self.types,
            named: self.named.clone(),
            reachable: self.reachable.clone(),
            in_place_cycles: self.in_place_cycles.clone(),
            prefix,
        }
    }

    /// The declarations of `types.ts`, in id order (document order).
    pub fn declarations(&self) -> Vec<Declaration> {
        self.types
            .iter()
            .filter(|def| self.named[def.id.0 as usize])
            .map(|def| Declaration {
                name: def.name.clone(),
                doc: self.doc(def.id),
                body: self.expr(def.id),
            })
            .collect()
    }

    /// How other code names the type: its declared name, or the expression itself.
    pub fn reference(&self, id: TypeId) -> String {
        if self.named.get(id.0 as usize).copied().unwrap_or(false) {
            format!("{}{}", self.prefix, self.types.get(id).name)
        } else {
            self.expr(id)
        }
    }

    /// Whether the type is written in place: a primitive without literals, or an array or map of such.
    fn is_simple(&self, id: TypeId) -> bool {
        let schema = match &self.types.get(id).body {
            TypeBody::Bool { .. } | TypeBody::Opaque { .. } => return true,
            TypeBody::Schema(schema) => schema,
        };
        if self.types.get(id).component.is_some()
            || schema.const_value.is_some()
            || schema.enum_values.is_some()
            || !schema.all_of.is_empty()
            || !schema.any_of.is_empty()
            || !schema.one_of.is_empty()
            || !schema.properties.is_empty()
            || !schema.prefix_items.is_empty()
            || self.types.is_recursive(id)
        {
            return false;
        }
        let children_simple = schema.items.is_none_or(|item| self.is_simple(item))
            && schema
                .additional_properties
                .is_none_or(|value| self.is_simple(value));
        children_simple && schema.pattern_properties.is_empty()
    }

    fn doc(&self, id: TypeId) -> String {
        let TypeBody::Schema(schema) = &self.types.get(id).body else {
            return String::new();
        };
        let mut lines = Vec::new();
        if let Some(title) = &schema.title {
            lines.push(title.clone());
        }
        if let Some(description) = &schema.description {
            lines.push(description.clone());
        }
        if schema.deprecated {
            lines.push("@deprecated".to_string());
        }
        doc_comment(&lines.join("\n\n"), "")
    }

    /// The type expression of a type (never its name).
    fn expr(&self, id: TypeId) -> String {
        match &self.types.get(id).body {
            TypeBody::Bool { value: true } | TypeBody::Opaque { .. } => "unknown".to_string(),
            TypeBody::Bool { value: false } => "never".to_string(),
            TypeBody::Schema(schema) => self.schema_expr(id, schema),
        }
    }

    fn schema_expr(&self, id: TypeId, schema: &Schema) -> String {
        let base = if let Some(value) = &schema.const_value {
            Some(literal(value))
        } else if let Some(values) = &schema.enum_values {
            Some(union(values.iter().map(literal).collect()))
        } else {
            self.typed_expr(schema)
        };
        let mut parts: Vec<String> = Vec::new();
        if !self.in_place_cycles.contains(&id) {
            parts.extend(
                schema
                    .all_of
                    .iter()
                    .map(|part| self.reference(*part))
                    .filter(|t| t != "unknown"),
            );
            for alternatives in [&schema.one_of, &schema.any_of] {
                if !alternatives.is_empty() {
                    parts.push(format!("({})", self.alternatives(schema, alternatives)));
                }
            }
        }
        let mut all: Vec<String> = base.into_iter().filter(|b| b != "unknown").collect();
        all.extend(parts);
        let expr = match all.len() {
            0 => "unknown".to_string(),
            1 => all.remove(0),
            _ => all
                .iter()
                .map(|p| parenthesise(p))
                .collect::<Vec<_>>()
                .join(" & "),
        };
        // Literal lists state `null` themselves; elsewhere OpenAPI's `nullable` adds it.
        if schema.nullable
            && schema.enum_values.is_none()
            && schema.const_value.is_none()
            && !schema.types.contains(&JsonType::Null)
            && expr != "unknown"
        {
            format!("{} | null", parenthesise(&expr))
        } else {
            expr
        }
    }

    /// `oneOf`/`anyOf` alternatives; with a discriminator whose value a variant does not state as a literal, the
    /// value is added (`(Cat & { petType: "Cat" })`) so TypeScript can narrow on it.
    fn alternatives(&self, schema: &Schema, alternatives: &[TypeId]) -> String {
        let variants = alternatives
            .iter()
            .map(|alt| {
                let reference = self.reference(*alt);
                let Some(discriminator) = &schema.discriminator else {
                    return reference;
                };
                if self.states_literal(*alt, &discriminator.property_name) {
                    return reference;
                }
                let value = discriminator
                    .mapping
                    .iter()
                    .find(|(_, target)| *target == alt)
                    .map(|(value, _)| value.clone())
                    .or_else(|| self.types.get(*alt).component.clone());
                match value {
                    Some(value) => format!(
                        "({} & {{ {}: {} }})",
                        parenthesise(&reference),
                        property_key(&discriminator.property_name),
                        literal(&Value::String(value))
                    ),
                    None => reference,
                }
            })
            .collect();
        union(variants)
    }

    /// Whether a variant declares `property` with a `const` or `enum`.
    fn states_literal(&self, variant: TypeId, property: &str) -> bool {
        let Some(schema) = self.types.schema(variant) else {
            return false;
        };
        schema
            .properties
            .iter()
            .find(|p| p.name == property)
            .and_then(|p| self.types.schema(p.ty))
            .is_some_and(|p| p.const_value.is_some() || p.enum_values.is_some())
    }

    /// The expression from `type` (inferred from the keywords when absent); `None` when nothing constrains it.
    fn typed_expr(&self, schema: &Schema) -> Option<String> {
        let mut kinds = schema.types.clone();
        if kinds.is_empty() {
            if !schema.properties.is_empty()
                || schema.additional_properties.is_some()
                || !schema.pattern_properties.is_empty()
            {
                kinds.push(JsonType::Object);
            } else if schema.items.is_some() || !schema.prefix_items.is_empty() {
                kinds.push(JsonType::Array);
            } else {
                return None;
            }
        }
        let mut seen_number = false;
        let mut out = Vec::new();
        for kind in kinds {
            let expr = match kind {
                JsonType::Null => "null".to_string(),
                JsonType::Boolean => "boolean".to_string(),
                JsonType::Integer | JsonType::Number => {
                    if seen_number {
                        continue;
                    }
                    seen_number = true;
                    "number".to_string()
                }
                JsonType::String => "string".to_string(),
                JsonType::Array => self.array_expr(schema),
                JsonType::Object => self.object_expr(schema),
            };
            out.push(expr);
        }
        Some(union(out))
    }

    fn array_expr(&self, schema: &Schema) -> String {
        let rest = match schema.items.map(|i| &self.types.get(i).body) {
            Some(TypeBody::Bool { value: false }) => None,
            Some(_) => schema.items.map(|i| self.reference(i)),
            None => Some("unknown".to_string()),
        };
        if schema.prefix_items.is_empty() {
            return format!("Array<{}>", rest.unwrap_or_else(|| "never".to_string()));
        }
        let required = schema.min_items.unwrap_or(0) as usize;
        let mut elements: Vec<String> = schema
            .prefix_items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let t = self.reference(*item);
                if i < required {
                    t
                } else {
                    format!("{}?", parenthesise(&t))
                }
            })
            .collect();
        if let Some(rest) = rest {
            elements.push(format!("...Array<{rest}>"));
        }
        format!("[{}]", elements.join(", "))
    }

    fn object_expr(&self, schema: &Schema) -> String {
        let additional = schema
            .additional_properties
            .map(|a| (a, &self.types.get(a).body));
        if schema.properties.is_empty() {
            return match additional {
                Some((_, TypeBody::Bool { value: false })) => {
                    "{ [key: string]: never }".to_string()
                }
                // An index signature, not `Record<…>`: TypeScript defers object literal types, so a map that
                // contains itself (`JsonValue`) is allowed, where an alias through `Record` is circular.
                Some((id, _)) if schema.pattern_properties.is_empty() => {
                    format!("{{ [key: string]: {} }}", self.reference(id))
                }
                _ => "{ [key: string]: unknown }".to_string(),
            };
        }
        let mut out = String::from("{\n");
        for property in &schema.properties {
            let doc = self
                .types
                .schema(property.ty)
                .filter(|_| !self.named[property.ty.0 as usize])
                .and_then(|s| s.description.clone())
                .map(|d| doc_comment(&d, "  "))
                .unwrap_or_default();
            out.push_str(&doc);
            out.push_str(&format!(
                "  {}{}: {};\n",
                property_key(&property.name),
                if property.required { "" } else { "?" },
                indent(&self.reference(property.ty))
            ));
        }
        // Undeclared properties are allowed unless `additionalProperties: false`; their type cannot be narrower
        // than the union of the declared ones, so the signature says `unknown`.
        if matches!(additional, Some((_, body)) if !matches!(body, TypeBody::Bool { value: false }))
            || !schema.pattern_properties.is_empty()
        {
            out.push_str("  [key: string]: unknown;\n");
        }
        out.push('}');
        out
    }
}

/// A TypeScript literal type for a JSON value; objects and arrays cannot be literal types (`unknown`).
fn literal(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => "unknown".to_string(),
        other => serde_json::to_string(other).unwrap_or_else(|_| "unknown".to_string()),
    }
}

/// `A | B`, with duplicates removed (`unknown` absorbs everything).
fn union(mut members: Vec<String>) -> String {
    if members.iter().any(|m| m == "unknown") {
        return "unknown".to_string();
    }
    let mut seen = BTreeSet::new();
    members.retain(|m| seen.insert(m.clone()));
    match members.len() {
        0 => "never".to_string(),
        1 => members.remove(0),
        _ => members
            .iter()
            .map(|m| parenthesise(m))
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

/// Wraps an expression that contains a top-level `|` or `&` in parentheses, so it can be combined.
fn parenthesise(expr: &str) -> String {
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    for c in expr.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth -= 1,
            '|' | '&' if depth == 0 => return format!("({expr})"),
            _ => {}
        }
    }
    expr.to_string()
}

/// Indents the continuation lines of a multi-line expression by one level.
fn indent(expr: &str) -> String {
    expr.replace('\n', "\n  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unions_and_intersections_are_parenthesised_only_when_combined() {
        assert_eq!(parenthesise("string"), "string");
        assert_eq!(parenthesise("A | B"), "(A | B)");
        assert_eq!(parenthesise("Array<A | B>"), "Array<A | B>");
        assert_eq!(
            parenthesise("{ [key: string]: A | B }"),
            "{ [key: string]: A | B }"
        );
        assert_eq!(parenthesise("\"a|b\""), "\"a|b\"");
        assert_eq!(
            union(vec!["A".into(), "B | C".into(), "A".into()]),
            "A | (B | C)"
        );
        assert_eq!(union(vec!["A".into(), "unknown".into()]), "unknown");
    }

    #[test]
    fn literals_are_json() {
        assert_eq!(literal(&serde_json::json!("a\"b")), "\"a\\\"b\"");
        assert_eq!(literal(&serde_json::json!(-1)), "-1");
        assert_eq!(literal(&serde_json::json!(null)), "null");
        assert_eq!(literal(&serde_json::json!({"a": 1})), "unknown");
    }
}
