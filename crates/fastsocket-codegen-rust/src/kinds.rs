//! Decides what each schema becomes in Rust: an inline type (`String`, `Vec<T>`, `BTreeMap<String, T>`) or a
//! named item (struct, enum, tuple struct, newtype), and where `Box` breaks a by-value cycle.
//!
//! The Rust types only have to carry the wire format faithfully; the exact JSON Schema rules are enforced by the
//! generated validators, which run on the JSON before it is deserialised.

use std::collections::BTreeSet;

use fastsocket_ir::naming::{NameScope, pascal_words, rust_field_name, type_name};
use fastsocket_ir::{Api, JsonType, Schema, TypeBody, TypeId, TypeSpace};
use serde_json::Value;

/// What a string is parsed into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrKind {
    /// `String`.
    Plain,
    /// `format: date-time` → `chrono::DateTime<FixedOffset>` (keeps the offset that was sent).
    DateTime,
    /// `format: date` → `chrono::NaiveDate`.
    Date,
    /// `format: uuid` → `uuid::Uuid`.
    Uuid,
}

/// The Rust shape of one schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Anything (`true`, `{}`, several types, opaque formats): `serde_json::Value`.
    Any,
    /// `boolean`.
    Bool,
    /// `integer`: `i32` for `format: int32`, else `i64`.
    Int { bits32: bool },
    /// `number`: `f32` for `format: float`, else `f64`.
    Float { bits32: bool },
    /// `string`.
    Str(StrKind),
    /// An array of one item schema (`None`: any items).
    Array(Option<TypeId>),
    /// A map from property names to one value schema (`None`: any values).
    Map(Option<TypeId>),
    /// A struct.
    Struct(StructDef),
    /// An enum of strings.
    StringEnum(Vec<Variant>),
    /// `oneOf`/`anyOf`: an enum whose variants wrap the alternatives.
    Union(UnionDef),
    /// `prefixItems` with nothing after them: a tuple struct.
    Tuple(Vec<TypeId>),
    /// The same Rust type as another schema (`oneOf: [X, {type: null}]`, `allOf: [X]` of non-objects).
    Alias(TypeId),
}

/// A struct's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    /// Declared properties (allOf parts merged in), in document order.
    pub fields: Vec<Field>,
    /// Properties not declared are kept in a flattened map unless `additionalProperties: false`.
    pub extra: Option<Extra>,
}

/// A flattened map for properties the schema does not declare.
#[derive(Debug, Clone, PartialEq)]
pub struct Extra {
    /// The Rust field name (`additional_properties` unless taken).
    pub rust_name: String,
    /// The value schema (`None`: any JSON).
    pub value: Option<TypeId>,
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The property name on the wire.
    pub wire: String,
    /// The Rust field name.
    pub rust_name: String,
    /// The property's schema.
    pub ty: TypeId,
    /// Listed in `required`.
    pub required: bool,
    /// A default that can be written as a Rust literal (applied when the property is absent).
    pub default: Option<Value>,
    /// Marked deprecated.
    pub deprecated: bool,
}

/// An enum variant for a string value.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The Rust variant name.
    pub name: String,
    /// The string on the wire.
    pub wire: String,
}

/// `oneOf`/`anyOf`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionDef {
    /// Variant names and the alternatives they wrap, in document order.
    pub variants: Vec<(String, TypeId)>,
    /// The discriminating property and, per wire value, the variant index.
    pub discriminator: Option<(String, Vec<(String, usize)>)>,
    /// When every alternative is a struct that fixes one property to its own string constant: that property and,
    /// per variant, its value. The enum is then internally tagged (`#[serde(tag = "…")]`) and its variants hold
    /// the alternatives' other fields, so a value cannot carry the wrong tag.
    pub tag: Option<(String, Vec<String>)>,
}

/// Every decision about the types of one document.
pub struct TypeMap<'a> {
    pub types: &'a TypeSpace,
    kinds: Vec<Kind>,
    nullable: Vec<bool>,
    named: Vec<bool>,
    reachable: Vec<bool>,
    validators: Vec<String>,
    /// The default-value functions of struct fields, by (struct, field index), claimed in the `models` module's
    /// scope: joined names (`default_{type}_{field}`) meet otherwise (`A.bar_baz` and `ABar.baz`).
    default_fns: std::collections::HashMap<(TypeId, usize), String>,
    /// (holder, held) pairs where `held` must be boxed inside `holder`.
    boxed: BTreeSet<(TypeId, TypeId)>,
    /// The user's attributes and format types, applied where model types are rendered.
    pub custom: crate::options::Customization,
}

impl<'a> TypeMap<'a> {
    /// Classifies every type reachable from the document's messages, parameters and components.
    pub fn new(api: &'a Api) -> Self {
        let types = &api.types;
        let n = types.len();
        let mut map = TypeMap {
            types,
            kinds: vec![Kind::Any; n],
            nullable: vec![false; n],
            named: vec![false; n],
            reachable: vec![false; n],
            validators: vec![String::new(); n],
            default_fns: std::collections::HashMap::new(),
            boxed: BTreeSet::new(),
            custom: Default::default(),
        };
        for def in types.iter() {
            let (kind, nullable) = map.classify(def.id, 0);
            map.named[def.id.0 as usize] = matches!(
                kind,
                Kind::Struct(_) | Kind::StringEnum(_) | Kind::Union(_) | Kind::Tuple(_)
            );
            map.kinds[def.id.0 as usize] = kind;
            map.nullable[def.id.0 as usize] = nullable;
        }
        // Schemas users name (components) and message roots get a Rust name even when they are a plain string:
        // handler signatures and user code read better with `RoomId` than with `String`.
        let mut roots: Vec<TypeId> = types
            .iter()
            .filter(|t| t.component.is_some())
            .map(|t| t.id)
            .collect();
        for m in &api.messages {
            roots.extend(m.payload.iter().chain(m.headers.iter()).chain(m.ack.iter()));
        }
        roots.extend(api.message_acks.values());
        for id in &roots {
            map.named[id.0 as usize] = true;
        }
        map.mark_reachable(&roots);
        for c in &api.channels {
            let params: Vec<TypeId> = c.parameters.iter().filter_map(|p| p.schema).collect();
            map.mark_reachable(&params);
        }
        // Schemas without subschemas that say the same thing (`{type: string}` written a thousand times in a
        // large document) share one validator: less code to generate, format and compile.
        let mut fn_names = NameScope::new();
        let mut by_rules: std::collections::HashMap<String, String> =
            std::collections::HashMap::new();
        for def in types.iter() {
            let rules = leaf_rules(&def.body);
            if let Some(existing) = rules.as_ref().and_then(|r| by_rules.get(r)) {
                map.validators[def.id.0 as usize] = existing.clone();
                continue;
            }
            let name = fn_names.claim(&format!("validate_{}", rust_field_name(&def.name)));
            if let Some(rules) = rules {
                by_rules.insert(rules, name.clone());
            }
            map.validators[def.id.0 as usize] = name;
        }
        map.claim_default_fns();
        map.compute_boxes();
        map.tag_unions();
        map
    }

    /// Marks the unions whose alternatives each fix one property to a distinct string constant (see
    /// [`UnionDef::tag`]); runs once every kind and box is known.
    fn tag_unions(&mut self) {
        for index in 0..self.kinds.len() {
            let id = TypeId(index as u32);
            let Kind::Union(def) = &self.kinds[index] else {
                continue;
            };
            if self.nullable(id) {
                continue;
            }
            let tag = self.union_tag(id, def);
            if let (Kind::Union(def), Some((_, values))) = (&mut self.kinds[index], &tag) {
                // Variants are named by their tag, as a person would (`Circle`, not `Variant0`).
                let mut scope = NameScope::new();
                for ((name, _), value) in def.variants.iter_mut().zip(values) {
                    *name = scope.claim(&type_name(value));
                }
                def.tag = tag;
            }
        }
    }

    /// The property every alternative fixes to its own string constant, and the constants.
    fn union_tag(&self, id: TypeId, def: &UnionDef) -> Option<(String, Vec<String>)> {
        // Each alternative must be a struct emitted as such (so its fields, defaults and boxes exist) and held by
        // value: its fields are inlined into the variant.
        let mut structs = Vec::new();
        for (_, alt) in &def.variants {
            let target = self.resolve_alias(*alt)?;
            let Kind::Struct(s) = self.kind(target) else {
                return None;
            };
            if self.nullable(*alt) || self.nullable(target) || !self.is_named(target) {
                return None;
            }
            if self.is_boxed(id, *alt) || self.is_boxed(id, target) {
                return None;
            }
            structs.push(s);
        }
        let candidates: Vec<String> = match self.schema(id).and_then(|s| s.discriminator.as_ref()) {
            Some(d) => vec![d.property_name.clone()],
            None => structs
                .first()?
                .fields
                .iter()
                .map(|f| f.wire.clone())
                .collect(),
        };
        candidates.into_iter().find_map(|property| {
            let mut values = Vec::new();
            for s in &structs {
                let field = s.fields.iter().find(|f| f.wire == property && f.required)?;
                let value = self.string_constant(field.ty)?;
                if values.contains(&value) {
                    return None;
                }
                values.push(value);
            }
            Some((property, values))
        })
    }

    /// The one string a schema allows (`const`, or an `enum` of one string), not `null`.
    fn string_constant(&self, id: TypeId) -> Option<String> {
        let schema = self.schema(id)?;
        if schema.allows_null() {
            return None;
        }
        match (&schema.const_value, &schema.enum_values) {
            (Some(Value::String(c)), _) => Some(c.clone()),
            (None, Some(values)) => match values.as_slice() {
                [Value::String(c)] => Some(c.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Names the default-value function of every field with a default, in id and field order (deterministic).
    fn claim_default_fns(&mut self) {
        let mut scope = NameScope::new();
        // Items `models` declares itself.
        scope.reserve("fits");
        for def in self.types.iter() {
            let Kind::Struct(s) = &self.kinds[def.id.0 as usize] else {
                continue;
            };
            if !self.named[def.id.0 as usize] {
                continue;
            }
            for (index, field) in s.fields.iter().enumerate() {
                if field.default.is_some() {
                    let base = format!(
                        "default_{}_{}",
                        heck::ToSnakeCase::to_snake_case(def.name.as_str()),
                        field.rust_name.trim_start_matches('_')
                    );
                    self.default_fns.insert((def.id, index), scope.claim(&base));
                }
            }
        }
    }

    /// The name of the function giving a struct field's default (`None`: the field has no default).
    pub fn default_fn(&self, holder: TypeId, field: usize) -> Option<&str> {
        self.default_fns.get(&(holder, field)).map(String::as_str)
    }

    /// The kind of a type.
    pub fn kind(&self, id: TypeId) -> &Kind {
        &self.kinds[id.0 as usize]
    }

    /// Whether `null` is allowed besides the kind (`Option<T>`).
    pub fn nullable(&self, id: TypeId) -> bool {
        self.nullable[id.0 as usize] && self.kinds[id.0 as usize] != Kind::Any
    }

    /// Whether the type is emitted as a named item.
    pub fn is_named(&self, id: TypeId) -> bool {
        self.named[id.0 as usize]
    }

    /// Whether the type is used by the document.
    pub fn is_reachable(&self, id: TypeId) -> bool {
        self.reachable[id.0 as usize]
    }

    /// The name of the type's validator function.
    pub fn validator(&self, id: TypeId) -> &str {
        &self.validators[id.0 as usize]
    }

    /// Whether `held` needs a `Box` inside `holder`.
    pub fn is_boxed(&self, holder: TypeId, held: TypeId) -> bool {
        self.boxed.contains(&(holder, held))
    }

    fn schema(&self, id: TypeId) -> Option<&'a Schema> {
        self.types.schema(id)
    }

    fn classify(&mut self, id: TypeId, depth: usize) -> (Kind, bool) {
        // `A: {allOf: [A]}` and friends: stop unfolding and accept any value (the validator still checks).
        if depth > MAX_UNFOLD {
            return (Kind::Any, false);
        }
        let def = self.types.get(id);
        let schema = match &def.body {
            TypeBody::Schema(s) => s.as_ref(),
            TypeBody::Bool { .. } | TypeBody::Opaque { .. } => return (Kind::Any, false),
        };
        let nullable = schema.allows_null();
        let non_null: Vec<JsonType> = schema
            .types
            .iter()
            .copied()
            .filter(|t| *t != JsonType::Null)
            .collect();

        if (!schema.one_of.is_empty() || !schema.any_of.is_empty()) && schema.properties.is_empty()
        {
            return self.union(id, schema, nullable, depth);
        }
        if !schema.all_of.is_empty() {
            if let Some(def) = self.merged_struct(id) {
                return (Kind::Struct(def), nullable);
            }
            // Not all parts are objects: the first part that says what the value is decides the Rust type.
            if non_null.is_empty() && schema.enum_values.is_none() {
                for part in &schema.all_of {
                    let (kind, part_nullable) = self.classify(*part, depth + 1);
                    if kind != Kind::Any {
                        return (self.adopt(kind, *part), nullable || part_nullable);
                    }
                }
            }
        }
        if let Some(values) = &schema.enum_values {
            let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            let nulls = values.iter().filter(|v| v.is_null()).count();
            if !strings.is_empty() && strings.len() + nulls == values.len() {
                return (
                    Kind::StringEnum(enum_variants(&strings)),
                    nullable || nulls > 0,
                );
            }
            return (Kind::Any, false);
        }
        let single = match non_null.as_slice() {
            [one] => Some(*one),
            [] => infer_type(schema),
            _ => None,
        };
        let kind = match single {
            None => Kind::Any,
            Some(JsonType::Null) => Kind::Any,
            Some(JsonType::Boolean) => Kind::Bool,
            Some(JsonType::Integer) => Kind::Int {
                bits32: schema.format.as_deref() == Some("int32"),
            },
            Some(JsonType::Number) => Kind::Float {
                bits32: schema.format.as_deref() == Some("float"),
            },
            Some(JsonType::String) => Kind::Str(match schema.format.as_deref() {
                Some("date-time") => StrKind::DateTime,
                Some("date") => StrKind::Date,
                Some("uuid") => StrKind::Uuid,
                _ => StrKind::Plain,
            }),
            Some(JsonType::Array) => {
                if !schema.prefix_items.is_empty() {
                    let closed = schema.items.is_some_and(|i| self.is_never(i))
                        || schema.max_items == Some(schema.prefix_items.len() as u64);
                    if closed && schema.min_items.unwrap_or(0) >= schema.prefix_items.len() as u64 {
                        Kind::Tuple(schema.prefix_items.clone())
                    } else {
                        Kind::Array(None)
                    }
                } else {
                    Kind::Array(schema.items.filter(|i| !self.is_never(*i)))
                }
            }
            Some(JsonType::Object) => {
                if !schema.properties.is_empty() {
                    Kind::Struct(self.struct_def(schema, &[schema]))
                } else if schema.pattern_properties.is_empty() {
                    Kind::Map(
                        schema
                            .additional_properties
                            .filter(|a| !self.is_trivial(*a)),
                    )
                } else {
                    Kind::Map(None)
                }
            }
        };
        (kind, nullable)
    }

    /// A part's kind as this type's own: a part that is an item of its own is referred to, not copied.
    fn adopt(&self, kind: Kind, part: TypeId) -> Kind {
        match kind {
            Kind::Struct(_)
            | Kind::StringEnum(_)
            | Kind::Union(_)
            | Kind::Tuple(_)
            | Kind::Alias(_) => Kind::Alias(part),
            _ if self.types.get(part).component.is_some() => Kind::Alias(part),
            other => other,
        }
    }

    /// Follows aliases to the type that says what the value is (`None` on an alias cycle).
    pub fn resolve_alias(&self, id: TypeId) -> Option<TypeId> {
        let mut current = id;
        for _ in 0..=MAX_UNFOLD {
            match self.kind(current) {
                Kind::Alias(next) => current = *next,
                _ => return Some(current),
            }
        }
        None
    }

    fn union(&mut self, id: TypeId, schema: &Schema, nullable: bool, depth: usize) -> (Kind, bool) {
        let alternatives = if schema.one_of.is_empty() {
            &schema.any_of
        } else {
            &schema.one_of
        };
        let mut nullable = nullable;
        let mut kept = Vec::new();
        for alt in alternatives {
            if self.is_null_only(*alt) {
                nullable = true;
            } else {
                kept.push(*alt);
            }
        }
        if kept.is_empty() {
            return (Kind::Any, false);
        }
        if kept.len() == 1 {
            // `oneOf: [X, {type: null}]` is how many documents spell "nullable X".
            let (kind, inner_nullable) = self.classify(kept[0], depth + 1);
            return (self.adopt(kind, kept[0]), nullable || inner_nullable);
        }
        let parent = self.types.get(id).name.clone();
        let mut scope = NameScope::new();
        let variants: Vec<(String, TypeId)> = kept
            .iter()
            .enumerate()
            .map(|(i, alt)| {
                let name = self.types.get(*alt).name.clone();
                let short = name
                    .strip_prefix(&parent)
                    .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()));
                let base = match short {
                    Some(rest) if !rest.starts_with("Variant") => rest.to_string(),
                    _ if name.starts_with(&parent) => format!("Variant{i}"),
                    _ => name,
                };
                (scope.claim(&base), *alt)
            })
            .collect();
        let discriminator = schema.discriminator.as_ref().map(|d| {
            let mut values = Vec::new();
            for (value, target) in &d.mapping {
                if let Some(i) = kept.iter().position(|alt| alt == target) {
                    values.push((value.clone(), i));
                }
            }
            if values.is_empty() {
                // AsyncAPI's string form: the value is the schema's name, or the const/single enum of the property.
                for (i, alt) in kept.iter().enumerate() {
                    for value in self.tag_values(*alt, &d.property_name) {
                        values.push((value, i));
                    }
                }
            }
            (d.property_name.clone(), values)
        });
        (
            Kind::Union(UnionDef {
                variants,
                discriminator,
                tag: None,
            }),
            nullable,
        )
    }

    /// The tag values a variant answers to for a discriminator property.
    fn tag_values(&self, alt: TypeId, property: &str) -> Vec<String> {
        let def = self.types.get(alt);
        let mut out = Vec::new();
        if let Some(schema) = self.schema(alt) {
            for p in schema.properties.iter().filter(|p| p.name == property) {
                if let Some(s) = self.schema(p.ty) {
                    if let Some(Value::String(c)) = &s.const_value {
                        out.push(c.clone());
                    }
                    if let Some(values) = &s.enum_values {
                        out.extend(values.iter().filter_map(|v| v.as_str().map(str::to_string)));
                    }
                }
            }
        }
        if out.is_empty() {
            out.extend(def.component.clone());
        }
        out
    }

    fn is_null_only(&self, id: TypeId) -> bool {
        self.schema(id).is_some_and(|s| s.types == [JsonType::Null])
    }

    fn is_never(&self, id: TypeId) -> bool {
        matches!(self.types.get(id).body, TypeBody::Bool { value: false })
    }

    /// `true` or `{}`: accepts anything and says nothing.
    fn is_trivial(&self, id: TypeId) -> bool {
        match &self.types.get(id).body {
            TypeBody::Bool { value } => *value,
            TypeBody::Schema(s) => **s == Schema::default(),
            TypeBody::Opaque { .. } => true,
        }
    }

    /// The struct for a schema whose `allOf` parts are all objects, `None` otherwise.
    fn merged_struct(&self, id: TypeId) -> Option<StructDef> {
        let mut parts: Vec<&Schema> = Vec::new();
        let mut stack = vec![id];
        let mut seen = BTreeSet::new();
        while let Some(next) = stack.pop() {
            if !seen.insert(next) {
                continue;
            }
            let schema = self.schema(next)?;
            let objecty = !schema.properties.is_empty()
                || schema.types.contains(&JsonType::Object)
                || schema.required.iter().len() > 0;
            if objecty {
                parts.push(schema);
            } else if schema.all_of.is_empty() && !self.is_trivial(next) && next != id {
                return None;
            }
            stack.extend(schema.all_of.iter().rev());
        }
        if parts.iter().all(|p| p.properties.is_empty()) {
            return None;
        }
        let root = self.schema(id)?;
        Some(self.struct_def(root, &parts))
    }

    fn struct_def(&self, root: &Schema, parts: &[&Schema]) -> StructDef {
        let mut fields: Vec<Field> = Vec::new();
        let mut scope = NameScope::new();
        let required: BTreeSet<&str> = parts
            .iter()
            .flat_map(|p| p.required.iter().map(String::as_str))
            .collect();
        for part in parts {
            for p in &part.properties {
                if fields.iter().any(|f| f.wire == p.name) {
                    continue;
                }
                let prop_schema = self.schema(p.ty);
                fields.push(Field {
                    wire: p.name.clone(),
                    rust_name: scope.claim(&p.rust_name),
                    ty: p.ty,
                    required: required.contains(p.name.as_str()),
                    default: prop_schema.and_then(|s| s.default.clone()),
                    deprecated: prop_schema.is_some_and(|s| s.deprecated),
                });
            }
        }
        let closed = parts
            .iter()
            .any(|p| p.additional_properties.is_some_and(|a| self.is_never(a)));
        let extra = (!closed).then(|| Extra {
            rust_name: scope.claim("additional_properties"),
            value: root
                .additional_properties
                .filter(|a| !self.is_trivial(*a) && root.pattern_properties.is_empty()),
        });
        StructDef { fields, extra }
    }

    fn mark_reachable(&mut self, roots: &[TypeId]) {
        let mut stack: Vec<TypeId> = roots.to_vec();
        while let Some(id) = stack.pop() {
            let slot = &mut self.reachable[id.0 as usize];
            if *slot {
                continue;
            }
            *slot = true;
            stack.extend(self.types.children(id));
            if let Some(d) = self.schema(id).and_then(|s| s.discriminator.as_ref()) {
                stack.extend(d.mapping.values());
            }
        }
    }

    /// The named types a named type holds by value (not behind `Vec`/`BTreeMap`).
    fn by_value(&self, id: TypeId) -> Vec<TypeId> {
        let held: Vec<TypeId> = match self.kind(id) {
            Kind::Struct(s) => s.fields.iter().map(|f| f.ty).collect(),
            Kind::Union(u) => u.variants.iter().map(|(_, t)| *t).collect(),
            Kind::Tuple(items) => items.clone(),
            Kind::Alias(target) => vec![*target],
            _ => Vec::new(),
        };
        // An inline alias holds whatever its target holds.
        let mut out = Vec::new();
        for t in held {
            if self.is_named(t) {
                out.push(t);
            } else if let Kind::Alias(_) = self.kind(t)
                && let Some(target) = self.resolve_alias(t)
                && self.is_named(target)
            {
                out.push(target);
            }
        }
        out
    }

    /// A field is boxed when its type holds, by value, the type that holds the field: the cycle needs a pointer.
    fn compute_boxes(&mut self) {
        for def in self.types.iter() {
            if !self.is_named(def.id) {
                continue;
            }
            for held in self.by_value(def.id) {
                if self.reaches(held, def.id) {
                    self.boxed.insert((def.id, held));
                }
            }
        }
    }

    fn reaches(&self, from: TypeId, target: TypeId) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(next) = stack.pop() {
            if next == target {
                return true;
            }
            if seen.insert(next) {
                stack.extend(self.by_value(next));
            }
        }
        false
    }
}

/// What a schema without subschemas checks, as a key (annotations left out); `None` when it has subschemas.
fn leaf_rules(body: &TypeBody) -> Option<String> {
    match body {
        TypeBody::Bool { value } => Some(value.to_string()),
        TypeBody::Opaque { .. } => Some("true".to_string()),
        TypeBody::Schema(s) if s.children().is_empty() && s.discriminator.is_none() => {
            let rules = Schema {
                title: None,
                description: None,
                default: None,
                examples: Vec::new(),
                deprecated: false,
                read_only: false,
                write_only: false,
                external_docs: None,
                extensions: Default::default(),
                ..(**s).clone()
            };
            serde_json::to_string(&rules).ok()
        }
        TypeBody::Schema(_) => None,
    }
}

/// How deep `allOf`/`oneOf` wrappers are unfolded when deciding a Rust type.
const MAX_UNFOLD: usize = 32;

/// Infers a type from the keywords when `type` is absent.
fn infer_type(schema: &Schema) -> Option<JsonType> {
    if !schema.properties.is_empty() || schema.additional_properties.is_some() {
        Some(JsonType::Object)
    } else if schema.items.is_some() || !schema.prefix_items.is_empty() {
        Some(JsonType::Array)
    } else {
        None
    }
}

/// Variant names for string values: `limit-order` → `LimitOrder`, `` → `Empty`, `1m` → `V1m`.
fn enum_variants(values: &[&str]) -> Vec<Variant> {
    let mut scope = NameScope::new();
    let mut out: Vec<Variant> = Vec::new();
    for value in values {
        if out.iter().any(|v| v.wire == *value) {
            continue;
        }
        let mut name = pascal_words(value);
        if name.is_empty() {
            name = "Empty".to_string();
        } else if name.starts_with(|c: char| c.is_ascii_digit()) {
            name.insert(0, 'V');
        } else if name == "Self" {
            name = "SelfValue".to_string();
        }
        out.push(Variant {
            name: scope.claim(&name),
            wire: value.to_string(),
        });
    }
    out
}
