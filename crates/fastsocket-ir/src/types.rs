//! The type arena: every schema of a document, by stable id.
//!
//! Subschemas are referred to by [`TypeId`], never nested by value, so recursive schemas (a tree whose children are
//! itself, mutual recursion across files) are ordinary data here. Ids are assigned in document order, so the same
//! input always gives the same ids.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::Location;

/// The index of a type in [`TypeSpace::types`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct TypeId(pub u32);

/// All types of a document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TypeSpace {
    /// The types; `types[i].id == TypeId(i)`.
    pub types: Vec<TypeDef>,
}

impl TypeSpace {
    /// The type with the given id.
    ///
    /// # Panics
    /// When the id does not come from this space (a bug in the caller, never caused by input).
    pub fn get(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0 as usize]
    }

    /// The type with the given id, if it exists.
    pub fn try_get(&self, id: TypeId) -> Option<&TypeDef> {
        self.types.get(id.0 as usize)
    }

    /// The schema of a type, when it is an ordinary JSON Schema (not a boolean schema, not opaque).
    pub fn schema(&self, id: TypeId) -> Option<&Schema> {
        match &self.try_get(id)?.body {
            TypeBody::Schema(s) => Some(s),
            _ => None,
        }
    }

    /// Iterates over all types in id order.
    pub fn iter(&self) -> impl Iterator<Item = &TypeDef> {
        self.types.iter()
    }

    /// The number of types.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether there are no types.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The ids directly referenced by a type (properties, items, compositions, …) in a fixed order.
    pub fn children(&self, id: TypeId) -> Vec<TypeId> {
        self.schema(id).map(Schema::children).unwrap_or_default()
    }

    /// Whether `id` can reach itself through subschemas: such a type needs indirection (`Box`) somewhere.
    pub fn is_recursive(&self, id: TypeId) -> bool {
        let mut seen = vec![false; self.types.len()];
        let mut stack = self.children(id);
        while let Some(next) = stack.pop() {
            if next == id {
                return true;
            }
            let Some(flag) = seen.get_mut(next.0 as usize) else {
                continue;
            };
            if !*flag {
                *flag = true;
                stack.extend(self.children(next));
            }
        }
        false
    }

    /// The types that reach themselves through in-place subschemas alone ([`Schema::in_place_children`]: `allOf`,
    /// `anyOf`, `oneOf`, `not`, `if`/`then`/`else`), that is, without descending into the value. Checking a value
    /// against such a type comes back to the same type on the same value, so a validator must guard against
    /// re-entry (JSON Schema leaves these schemas undefined; the `jsonschema` crate counts the re-entry as valid).
    pub fn in_place_cycles(&self) -> BTreeSet<TypeId> {
        let mut cyclic = BTreeSet::new();
        for def in &self.types {
            let mut seen = vec![false; self.types.len()];
            let mut stack = self.in_place_children(def.id);
            while let Some(next) = stack.pop() {
                if next == def.id {
                    cyclic.insert(def.id);
                    break;
                }
                if let Some(flag) = seen.get_mut(next.0 as usize)
                    && !*flag
                {
                    *flag = true;
                    stack.extend(self.in_place_children(next));
                }
            }
        }
        cyclic
    }

    /// [`Schema::in_place_children`] of a type (none for boolean and opaque types).
    pub fn in_place_children(&self, id: TypeId) -> Vec<TypeId> {
        self.schema(id)
            .map(Schema::in_place_children)
            .unwrap_or_default()
    }
}

/// One schema of the document, with its name and where it is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TypeDef {
    /// The id of this type.
    pub id: TypeId,
    /// A unique PascalCase name, valid as a Rust and a TypeScript type name: the component key for named
    /// schemas, the title, or a name derived from the position (`OrderPlacedPayload`, `OrderItem`).
    pub name: String,
    /// The key under `components.schemas` when the schema is defined there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Where the schema is written.
    pub origin: Location,
    /// What the schema says.
    pub body: TypeBody,
}

/// The content of a type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeBody {
    /// A boolean schema: `true` accepts every value, `false` none.
    Bool {
        /// The boolean.
        value: bool,
    },
    /// A JSON Schema object.
    Schema(Box<Schema>),
    /// A schema in a format the loader does not understand (Avro, RAML, Protobuf…): kept as written.
    Opaque {
        /// The message's `schemaFormat`.
        schema_format: String,
        /// The schema as written.
        raw: Value,
    },
}

/// A JSON type name as used by `type`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    /// `null`
    Null,
    /// `boolean`
    Boolean,
    /// `integer`
    Integer,
    /// `number`
    Number,
    /// `string`
    String,
    /// `array`
    Array,
    /// `object`
    Object,
}

impl JsonType {
    /// Parses a `type` keyword value.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "string" => JsonType::String,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            _ => return None,
        })
    }

    /// The keyword spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

/// A property of an object schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Property {
    /// The name on the wire, exactly as in the document.
    pub name: String,
    /// A snake_case Rust field name, unique among the siblings, never a keyword (`type` → `type_`).
    pub rust_name: String,
    /// Whether `required` lists it.
    pub required: bool,
    /// The property's schema.
    pub ty: TypeId,
}

/// A `patternProperties` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PatternProperty {
    /// The regular expression (ECMA-262) as written.
    pub pattern: String,
    /// The schema of matching properties.
    pub ty: TypeId,
}

/// A discriminator, normalised from the string form (AsyncAPI 2.x/3.0) and the OpenAPI object form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Discriminator {
    /// The property whose value selects the variant.
    pub property_name: String,
    /// Explicit values → variant types (OpenAPI `mapping`); empty for the string form.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mapping: BTreeMap<String, TypeId>,
}

/// Links to documentation outside the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExternalDocs {
    /// The URL.
    pub url: String,
    /// What is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A JSON Schema (draft-07 as AsyncAPI uses it, with the 2020-12 and OpenAPI keywords found in the wild).
///
/// Subschemas are [`TypeId`]s. Keywords absent from the document are `None`/empty, so emitters can tell "not
/// stated" from "stated".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Schema {
    /// `type`, as a list (a single type is a list of one). Empty when not stated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<JsonType>,
    /// OpenAPI's `nullable: true`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// `format`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// `examples`, and OpenAPI's singular `example` appended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Value>,
    /// `const`.
    #[serde(default, rename = "const", skip_serializing_if = "Option::is_none")]
    pub const_value: Option<Value>,
    /// `enum`.
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<Value>>,
    /// `deprecated`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    /// `readOnly`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// `writeOnly`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub write_only: bool,

    /// `properties` in document order, with `required` folded in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
    /// `required` as written (it may name properties that `properties` does not declare).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
    /// `additionalProperties` (`false` is a boolean type; `true` is kept as a boolean type too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_properties: Option<TypeId>,
    /// `patternProperties`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pattern_properties: Vec<PatternProperty>,
    /// `propertyNames`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_names: Option<TypeId>,
    /// `minProperties`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_properties: Option<u64>,
    /// `maxProperties`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_properties: Option<u64>,

    /// Positional item schemas: 2020-12 `prefixItems`, or draft-07 `items` written as an array.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix_items: Vec<TypeId>,
    /// The schema of items (after the positional ones): `items` as a schema, or draft-07 `additionalItems`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<TypeId>,
    /// `contains`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<TypeId>,
    /// `minItems`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// `maxItems`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// `uniqueItems`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique_items: bool,

    /// `minLength` (in characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// `maxLength` (in characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// `pattern` (ECMA-262).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// `contentEncoding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// `contentMediaType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_media_type: Option<String>,

    /// `minimum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<Number>,
    /// `maximum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<Number>,
    /// `exclusiveMinimum` as a number (draft-04's boolean form is folded in from `minimum`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_minimum: Option<Number>,
    /// `exclusiveMaximum` as a number (draft-04's boolean form is folded in from `maximum`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_maximum: Option<Number>,
    /// `multipleOf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple_of: Option<Number>,

    /// `allOf`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all_of: Vec<TypeId>,
    /// `anyOf`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<TypeId>,
    /// `oneOf`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<TypeId>,
    /// `not`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<TypeId>,
    /// `if`.
    #[serde(default, rename = "if", skip_serializing_if = "Option::is_none")]
    pub if_schema: Option<TypeId>,
    /// `then`.
    #[serde(default, rename = "then", skip_serializing_if = "Option::is_none")]
    pub then_schema: Option<TypeId>,
    /// `else`.
    #[serde(default, rename = "else", skip_serializing_if = "Option::is_none")]
    pub else_schema: Option<TypeId>,
    /// `discriminator`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discriminator: Option<Discriminator>,

    /// `externalDocs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<ExternalDocs>,
    /// `x-*` keys, and keywords this model has no field for, as written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, Value>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Schema {
    /// Whether `null` is an allowed value by `type` or OpenAPI `nullable`.
    pub fn allows_null(&self) -> bool {
        self.nullable || self.types.contains(&JsonType::Null)
    }

    /// The subschema ids in a fixed order.
    pub fn children(&self) -> Vec<TypeId> {
        let mut out = Vec::new();
        out.extend(self.properties.iter().map(|p| p.ty));
        out.extend(self.additional_properties);
        out.extend(self.pattern_properties.iter().map(|p| p.ty));
        out.extend(self.property_names);
        out.extend(self.prefix_items.iter().copied());
        out.extend(self.items);
        out.extend(self.contains);
        out.extend(self.in_place_children());
        out
    }

    /// The subschemas that apply to the value itself rather than to a part of it (`allOf`, `anyOf`, `oneOf`,
    /// `not`, `if`, `then`, `else`), in a fixed order.
    pub fn in_place_children(&self) -> Vec<TypeId> {
        let mut out = Vec::new();
        out.extend(self.all_of.iter().copied());
        out.extend(self.any_of.iter().copied());
        out.extend(self.one_of.iter().copied());
        out.extend(self.not);
        out.extend(self.if_schema);
        out.extend(self.then_schema);
        out.extend(self.else_schema);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(bodies: Vec<Schema>) -> TypeSpace {
        TypeSpace {
            types: bodies
                .into_iter()
                .enumerate()
                .map(|(i, s)| TypeDef {
                    id: TypeId(i as u32),
                    name: format!("T{i}"),
                    component: None,
                    origin: Location::default(),
                    body: TypeBody::Schema(Box::new(s)),
                })
                .collect(),
        }
    }

    #[test]
    fn in_place_cycles_are_those_without_descent() {
        // T0 = {oneOf: [T1]}, T1 = {allOf: [T0]}: in place. T2 = {properties: {next: T2}}: descends, fine.
        // T3 = {not: T3}. T4 = {allOf: [T0]} reaches the cycle without being on it.
        let types = space(vec![
            Schema {
                one_of: vec![TypeId(1)],
                ..Schema::default()
            },
            Schema {
                all_of: vec![TypeId(0)],
                ..Schema::default()
            },
            Schema {
                properties: vec![Property {
                    name: "next".into(),
                    rust_name: "next".into(),
                    required: false,
                    ty: TypeId(2),
                }],
                ..Schema::default()
            },
            Schema {
                not: Some(TypeId(3)),
                ..Schema::default()
            },
            Schema {
                all_of: vec![TypeId(0)],
                ..Schema::default()
            },
        ]);
        let cyclic: Vec<TypeId> = types.in_place_cycles().into_iter().collect();
        assert_eq!(cyclic, [TypeId(0), TypeId(1), TypeId(3)]);
        assert!(types.is_recursive(TypeId(2)));
    }
}
