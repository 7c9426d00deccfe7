//! Schemas → form field descriptions (`forms.ts`), which the generated `SchemaField.vue` renders: an input fitting
//! the format per string, a number input with its bounds and step per number, a select or segmented control per
//! enum, a switch per boolean, a fieldset per object, a list with add/remove per array, a "no value / value"
//! control per nullable field, a variant picker per `oneOf`/`anyOf`, and a JSON text area for what a form cannot
//! express (tuples, untyped values, unions mixed with properties).
//!
//! Object types are described once in a table and referred to by name, so recursive schemas give finite forms
//! (nested optional objects and arrays start empty; the user opens them).

use std::collections::BTreeMap;

use fastsocket_ir::{JsonType, Schema, TypeBody, TypeId, TypeSpace};
use serde_json::{Map, Value, json};

/// How far `allOf` parts are merged into one object form; deeper compositions fall back to JSON.
const MAX_MERGE_DEPTH: usize = 8;

/// Field descriptions for the roots and the object table they refer to.
pub struct Forms<'a> {
    types: &'a TypeSpace,
    /// Object types by name.
    pub objects: BTreeMap<String, Value>,
    /// Unions being described (unions are inlined, so a union reached again through itself becomes JSON).
    unions: Vec<TypeId>,
}

impl<'a> Forms<'a> {
    /// An empty table.
    pub fn new(types: &'a TypeSpace) -> Self {
        Forms {
            types,
            objects: BTreeMap::new(),
            unions: Vec::new(),
        }
    }

    /// The field of a type (objects go into the table and are referred to by name).
    pub fn field(&mut self, id: TypeId) -> Value {
        let schema = match &self.types.get(id).body {
            TypeBody::Schema(schema) => schema,
            TypeBody::Bool { value: false } => return json!({"kind": "never"}),
            _ => return json!({"kind": "json"}),
        };
        let field = self.schema_field(id, schema);
        let nullable = schema.allows_null()
            && !schema
                .enum_values
                .as_ref()
                .is_some_and(|values| values.iter().any(Value::is_null));
        let field = if nullable && field["kind"] != "json" && field["kind"] != "null" {
            json!({"kind": "nullable", "inner": field})
        } else {
            field
        };
        with_annotations(field, schema)
    }

    fn schema_field(&mut self, id: TypeId, schema: &Schema) -> Value {
        if let Some(value) = &schema.const_value {
            return json!({"kind": "const", "value": value});
        }
        if let Some(values) = &schema.enum_values {
            let options: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
            return json!({"kind": "enum", "options": options});
        }
        if !schema.one_of.is_empty() || !schema.any_of.is_empty() {
            return self.union(id, schema);
        }
        let non_null: Vec<JsonType> = schema
            .types
            .iter()
            .copied()
            .filter(|t| *t != JsonType::Null)
            .collect();
        let kind = match non_null.as_slice() {
            [one] => Some(*one),
            [] if !schema.properties.is_empty() || !schema.all_of.is_empty() => {
                Some(JsonType::Object)
            }
            [] if schema.items.is_some() => Some(JsonType::Array),
            [] if schema.types.contains(&JsonType::Null) => Some(JsonType::Null),
            _ => None,
        };
        match kind {
            Some(JsonType::String) => {
                let mut field = Map::new();
                field.insert("kind".into(), "string".into());
                insert_some(&mut field, "format", schema.format.clone().map(Value::from));
                insert_some(&mut field, "minLength", schema.min_length.map(Value::from));
                insert_some(&mut field, "maxLength", schema.max_length.map(Value::from));
                insert_some(
                    &mut field,
                    "pattern",
                    schema.pattern.clone().map(Value::from),
                );
                Value::Object(field)
            }
            Some(kind @ (JsonType::Integer | JsonType::Number)) => {
                let mut field = Map::new();
                field.insert("kind".into(), "number".into());
                field.insert("integer".into(), (kind == JsonType::Integer).into());
                insert_some(
                    &mut field,
                    "minimum",
                    schema.minimum.clone().map(Value::Number),
                );
                insert_some(
                    &mut field,
                    "maximum",
                    schema.maximum.clone().map(Value::Number),
                );
                insert_some(
                    &mut field,
                    "exclusiveMinimum",
                    schema.exclusive_minimum.clone().map(Value::Number),
                );
                insert_some(
                    &mut field,
                    "exclusiveMaximum",
                    schema.exclusive_maximum.clone().map(Value::Number),
                );
                insert_some(
                    &mut field,
                    "multipleOf",
                    schema.multiple_of.clone().map(Value::Number),
                );
                Value::Object(field)
            }
            Some(JsonType::Boolean) => json!({"kind": "boolean"}),
            Some(JsonType::Null) => json!({"kind": "null"}),
            Some(JsonType::Array) if schema.prefix_items.is_empty() => match schema.items {
                Some(item) => json!({"kind": "array", "items": self.field(item)}),
                None => json!({"kind": "json"}),
            },
            Some(JsonType::Object) => self.object_ref(id),
            _ => json!({"kind": "json"}),
        }
    }

    /// A variant picker for a pure `oneOf`/`anyOf` (no properties, types or `allOf` beside it, which a picker
    /// could not show); JSON otherwise, and for a union reached again through one of its own variants.
    fn union(&mut self, id: TypeId, schema: &Schema) -> Value {
        let mixed = !schema.properties.is_empty()
            || !schema.all_of.is_empty()
            || (!schema.one_of.is_empty() && !schema.any_of.is_empty());
        if mixed || self.unions.contains(&id) {
            return json!({"kind": "json"});
        }
        self.unions.push(id);
        let parts = if schema.one_of.is_empty() {
            &schema.any_of
        } else {
            &schema.one_of
        };
        let variants: Vec<Value> = parts
            .iter()
            .enumerate()
            .map(|(index, part)| {
                let field = self.field(*part);
                let label = variant_label(self.types, *part, &field, index);
                json!({"label": label, "field": field})
            })
            .collect();
        self.unions.pop();
        json!({"kind": "union", "variants": variants})
    }

    /// Describes an object type in the table (once) and returns a reference to it.
    fn object_ref(&mut self, id: TypeId) -> Value {
        let name = self.types.get(id).name.clone();
        if !self.objects.contains_key(&name) {
            // Placed before the fields are described, so a recursive property finds it and stops.
            self.objects.insert(name.clone(), Value::Null);
            let mut properties = Vec::new();
            let mut required = Vec::new();
            let merged = self.collect_properties(id, 0, &mut properties, &mut required);
            let body = if merged {
                let fields: Vec<Value> = properties
                    .into_iter()
                    .map(|(property, ty)| {
                        json!({
                            "name": property,
                            "required": required.contains(&property),
                            "field": self.field(ty),
                        })
                    })
                    .collect();
                json!({"kind": "object", "fields": fields})
            } else {
                json!({"kind": "json"})
            };
            self.objects.insert(name.clone(), body);
        }
        json!({"kind": "ref", "name": name})
    }

    /// Declared properties of an object and of its `allOf` parts, in order (the first declaration of a name wins);
    /// `false` when a part is not an object schema a form can merge.
    fn collect_properties(
        &self,
        id: TypeId,
        depth: usize,
        properties: &mut Vec<(String, TypeId)>,
        required: &mut Vec<String>,
    ) -> bool {
        let Some(schema) = self.types.schema(id) else {
            return matches!(self.types.get(id).body, TypeBody::Bool { value: true });
        };
        if depth > MAX_MERGE_DEPTH || !schema.one_of.is_empty() || !schema.any_of.is_empty() {
            return false;
        }
        for property in &schema.properties {
            if !properties.iter().any(|(name, _)| *name == property.name) {
                properties.push((property.name.clone(), property.ty));
            }
        }
        required.extend(schema.required.iter().cloned());
        schema
            .all_of
            .iter()
            .all(|part| self.collect_properties(*part, depth + 1, properties, required))
    }
}

/// What a variant picker calls a variant: its title, else its kind (`text`, `number`, …, or the object type's
/// name), else its position.
fn variant_label(types: &TypeSpace, id: TypeId, field: &Value, index: usize) -> String {
    if let Some(title) = types.schema(id).and_then(|s| s.title.clone()) {
        return title;
    }
    match field["kind"].as_str() {
        Some("ref") => field["name"].as_str().unwrap_or_default().to_string(),
        Some("string") => "text".to_string(),
        Some("number") if field["integer"] == true => "integer".to_string(),
        Some(kind @ ("number" | "boolean" | "null" | "array")) => kind.to_string(),
        Some("const") => field["value"].to_string(),
        _ => format!("option {}", index + 1),
    }
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.to_string(), value);
    }
}

/// Adds what a form shows beside a field: title, description, default.
fn with_annotations(mut field: Value, schema: &Schema) -> Value {
    if let Value::Object(map) = &mut field {
        insert_some(map, "title", schema.title.clone().map(Value::from));
        insert_some(
            map,
            "description",
            schema.description.clone().map(Value::from),
        );
        insert_some(map, "default", schema.default.clone());
    }
    field
}
