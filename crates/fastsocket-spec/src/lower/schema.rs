//! Schemas → the type arena.
//!
//! Ids are handed out when a schema is first reached (so recursion simply finds its own id) and bodies are filled
//! from a queue, not by recursion: a chain of thousands of `$ref`ed schemas cannot overflow the stack.

use std::collections::{HashMap, VecDeque};

use fastsocket_ir::naming::{NameScope, pascal_words, rust_field_name, type_name};
use fastsocket_ir::{
    Discriminator, ExternalDocs, JsonType, PatternProperty, Property, Schema, TypeBody, TypeDef,
    TypeId, TypeSpace,
};

use super::{At, location_of};
use crate::diag::{Diagnostic, Severity};
use crate::node::{Kind, Node};
use crate::pointer;
use crate::sources::{FileId, Sources};

/// Keywords that carry no meaning for generated code and are not kept as extensions.
const IGNORED_KEYWORDS: &[&str] = &[
    "$ref",
    "$schema",
    "$id",
    "id",
    "$comment",
    "definitions",
    "$defs",
];

/// Titles longer than this many words read as sentences, not names.
const MAX_TITLE_WORDS: usize = 5;

/// How to name a schema from its position, computed only when the schema turns out to need a new name
/// (naming is the costliest step of lowering a large document, and most positions are reached by `$ref`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hint<'h> {
    parent: &'h str,
    part: &'h str,
    index: Option<usize>,
}

impl<'h> Hint<'h> {
    /// `parent` (already a type name) followed by `part` (any text) in PascalCase.
    pub fn new(parent: &'h str, part: &'h str) -> Self {
        Hint {
            parent,
            part,
            index: None,
        }
    }

    /// Like [`Hint::new`], with a position number appended.
    pub fn indexed(parent: &'h str, part: &'h str, index: usize) -> Self {
        Hint {
            parent,
            part,
            index: Some(index),
        }
    }

    fn name(&self) -> String {
        // `parent` is already a valid type name, so only the new part needs converting.
        let mut name = if self.parent.is_empty() {
            type_name(self.part)
        } else {
            format!("{}{}", self.parent, pascal_words(self.part))
        };
        if let Some(i) = self.index {
            name.push_str(&i.to_string());
        }
        name
    }
}

pub(crate) struct TypeBuilder<'a> {
    sources: &'a Sources,
    defs: Vec<TypeDef>,
    by_origin: HashMap<(FileId, String), TypeId>,
    reserved: HashMap<(FileId, String), String>,
    names: NameScope,
    queue: VecDeque<(TypeId, At<'a>)>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> TypeBuilder<'a> {
    pub fn new(sources: &'a Sources) -> Self {
        TypeBuilder {
            sources,
            defs: Vec::new(),
            by_origin: HashMap::new(),
            reserved: HashMap::new(),
            names: NameScope::new(),
            queue: VecDeque::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Component schemas keep their keys as names, whatever is reached first.
    pub fn reserve_component_names(&mut self, root: At<'a>) {
        let Some(schemas) = root.get("components").and_then(|c| c.get("schemas")) else {
            return;
        };
        for (key, at) in schemas.entries() {
            // A component that only aliases another file's schema (`User: {$ref: user.json#/User}`) gives its
            // name to the target, which is what the type really is.
            let target = match self.sources.follow(at.file, &at.pointer, at.node) {
                Ok(resolved) => (resolved.target.file, resolved.pointer),
                Err(_) => (at.file, at.pointer),
            };
            if !self.reserved.contains_key(&target) {
                let name = self.names.claim(&type_name(key));
                self.reserved.insert(target, name);
            }
        }
    }

    /// Gives every component schema an id, in document order.
    pub fn schemas_from_components(&mut self, root: At<'a>) {
        let Some(schemas) = root.get("components").and_then(|c| c.get("schemas")) else {
            return;
        };
        for (key, at) in schemas.entries() {
            self.id_for(at, Hint::new("", key));
        }
    }

    /// The id of the schema at `at` (following `$ref`s), allocated on first sight. `hint` names it when nothing
    /// better is known.
    pub fn id_for(&mut self, at: At<'a>, hint: Hint<'_>) -> TypeId {
        let target = match self.sources.follow(at.file, &at.pointer, at.node) {
            Ok(resolved) => At {
                file: resolved.target.file,
                pointer: resolved.pointer,
                node: resolved.target.node,
            },
            Err(err) => {
                let pos = at.node.get("$ref").map_or(at.node.pos, |r| r.pos);
                self.diagnostics.push(
                    self.sources
                        .diagnostic(
                            Severity::Error,
                            err.code,
                            err.message,
                            at.file,
                            pos,
                            &at.pointer,
                        )
                        .with_help(err.help),
                );
                return self.push(
                    at.clone(),
                    hint.name(),
                    TypeBody::Bool { value: true },
                    None,
                );
            }
        };
        let key = (target.file, target.pointer.clone());
        if let Some(id) = self.by_origin.get(&key) {
            return *id;
        }
        let (name, component) = self.name_for(&target, hint);
        let id = self.push(
            target.clone(),
            name,
            TypeBody::Bool { value: true },
            component,
        );
        self.by_origin.insert(key, id);
        self.queue.push_back((id, target));
        id
    }

    /// A schema in a format this loader does not read (Avro, RAML, …), kept as written.
    pub fn opaque(&mut self, at: At<'a>, schema_format: &str, hint: Hint<'_>) -> TypeId {
        let target = match self.sources.follow(at.file, &at.pointer, at.node) {
            Ok(r) => At {
                file: r.target.file,
                pointer: r.pointer,
                node: r.target.node,
            },
            Err(_) => at,
        };
        let key = (target.file, target.pointer.clone());
        if let Some(id) = self.by_origin.get(&key) {
            return *id;
        }
        let name = self.names.claim(&hint.name());
        let body = TypeBody::Opaque {
            schema_format: schema_format.to_string(),
            raw: target.node.to_json(),
        };
        let id = self.push(target, name, body, None);
        self.by_origin.insert(key, id);
        id
    }

    fn push(
        &mut self,
        at: At<'a>,
        name: String,
        body: TypeBody,
        component: Option<String>,
    ) -> TypeId {
        let id = TypeId(self.defs.len() as u32);
        self.defs.push(TypeDef {
            id,
            name,
            component,
            origin: location_of(self.sources, at.file, at.node.pos, &at.pointer),
            body,
        });
        id
    }

    fn name_for(&mut self, at: &At<'a>, hint: Hint<'_>) -> (String, Option<String>) {
        let key = (at.file, at.pointer.clone());
        let tokens = pointer::parse_fragment(&at.pointer).unwrap_or_default();
        let component = match tokens.as_slice() {
            [.., c, s, k] if c == "components" && s == "schemas" => Some(k.clone()),
            _ => None,
        };
        if let Some(name) = self.reserved.get(&key) {
            return (name.clone(), component);
        }
        let from_position = match tokens.as_slice() {
            [.., s, k] if s == "schemas" || s == "definitions" || s == "$defs" => {
                Some(type_name(k))
            }
            [] if at.file != self.sources.entry() => self
                .sources
                .file(at.file)
                .and_then(|f| f.path.as_ref())
                .and_then(|p| p.file_stem())
                .map(|stem| type_name(&stem.to_string_lossy())),
            _ => None,
        };
        let from_title = at
            .node
            .get_str("title")
            .filter(|t| !t.trim().is_empty() && t.split_whitespace().count() <= MAX_TITLE_WORDS)
            .map(type_name);
        let base = from_position.or(from_title).unwrap_or_else(|| hint.name());
        (self.names.claim(&base), component)
    }

    /// Fills every queued body and returns the arena.
    pub fn finish(&mut self, diagnostics: &mut Vec<Diagnostic>) -> TypeSpace {
        while let Some((id, at)) = self.queue.pop_front() {
            let body = self.body(id, &at);
            self.defs[id.0 as usize].body = body;
        }
        diagnostics.append(&mut self.diagnostics);
        TypeSpace {
            types: std::mem::take(&mut self.defs),
        }
    }

    fn body(&mut self, id: TypeId, at: &At<'a>) -> TypeBody {
        match &at.node.kind {
            Kind::Bool(value) => TypeBody::Bool { value: *value },
            Kind::Map(_) => TypeBody::Schema(Box::new(self.schema(id, at))),
            // The structural check has reported anything else; a permissive type keeps the IR whole.
            _ => TypeBody::Bool { value: true },
        }
    }

    fn child(&mut self, at: Option<At<'a>>, parent: &str, suffix: &str) -> Option<TypeId> {
        at.map(|at| self.id_for(at, Hint::new(parent, suffix)))
    }

    fn children(&mut self, at: Option<At<'a>>, parent: &str, suffix: &str) -> Vec<TypeId> {
        let Some(at) = at else { return Vec::new() };
        at.items()
            .into_iter()
            .enumerate()
            .map(|(i, item)| self.id_for(item, Hint::indexed(parent, suffix, i)))
            .collect()
    }

    fn schema(&mut self, id: TypeId, at: &At<'a>) -> Schema {
        let parent = self.defs[id.0 as usize].name.clone();
        let mut s = Schema::default();
        let mut exclusive_min_flag = false;
        let mut exclusive_max_flag = false;
        let mut additional_items = None;
        let mut tuple_items = false;
        for (key, value) in at.entries() {
            let node = value.node;
            match key {
                "type" => {
                    s.types = match &node.kind {
                        Kind::Str(t) => JsonType::parse(t).into_iter().collect(),
                        Kind::Seq(items) => items
                            .iter()
                            .filter_map(|t| t.as_str().and_then(JsonType::parse))
                            .collect(),
                        _ => Vec::new(),
                    }
                }
                "nullable" => s.nullable = node.as_bool().unwrap_or(false),
                "format" => s.format = node.as_str().map(str::to_string),
                "title" => s.title = node.as_str().map(str::to_string),
                "description" => s.description = node.as_str().map(str::to_string),
                "pattern" => s.pattern = node.as_str().map(str::to_string),
                "contentEncoding" => s.content_encoding = node.as_str().map(str::to_string),
                "contentMediaType" => s.content_media_type = node.as_str().map(str::to_string),
                "default" => s.default = Some(node.to_json()),
                "examples" => match &node.kind {
                    Kind::Seq(items) => s.examples.extend(items.iter().map(Node::to_json)),
                    _ => s.examples.push(node.to_json()),
                },
                "example" => s.examples.push(node.to_json()),
                "const" => s.const_value = Some(node.to_json()),
                "enum" => {
                    s.enum_values = node
                        .as_seq()
                        .map(|items| items.iter().map(Node::to_json).collect())
                }
                "deprecated" => s.deprecated = node.as_bool().unwrap_or(false),
                "readOnly" => s.read_only = node.as_bool().unwrap_or(false),
                "writeOnly" => s.write_only = node.as_bool().unwrap_or(false),
                "uniqueItems" => s.unique_items = node.as_bool().unwrap_or(false),
                "properties" => {
                    for (name, prop) in value.entries() {
                        let ty = self.id_for(prop, Hint::new(&parent, name));
                        s.properties.push(Property {
                            name: name.to_string(),
                            rust_name: String::new(),
                            required: false,
                            ty,
                        });
                    }
                }
                "required" => {
                    s.required = node
                        .as_seq()
                        .map(|items| {
                            items
                                .iter()
                                .filter_map(|r| r.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default()
                }
                "additionalProperties" => {
                    s.additional_properties = self.child(Some(value), &parent, "Value")
                }
                "patternProperties" => {
                    for (i, (pattern, sub)) in value.entries().into_iter().enumerate() {
                        let ty = self.id_for(sub, Hint::indexed(&parent, "Pattern", i));
                        s.pattern_properties.push(PatternProperty {
                            pattern: pattern.to_string(),
                            ty,
                        });
                    }
                }
                "propertyNames" => s.property_names = self.child(Some(value), &parent, "Key"),
                "minProperties" => s.min_properties = node.as_u64(),
                "maxProperties" => s.max_properties = node.as_u64(),
                "items" => {
                    if node.as_seq().is_some() {
                        tuple_items = true;
                        s.prefix_items = self.children(Some(value), &parent, "Item");
                    } else {
                        s.items = self.child(Some(value), &parent, "Item");
                    }
                }
                "prefixItems" => s.prefix_items = self.children(Some(value), &parent, "Item"),
                "additionalItems" => additional_items = Some(value),
                "contains" => s.contains = self.child(Some(value), &parent, "Contains"),
                "minItems" => s.min_items = node.as_u64(),
                "maxItems" => s.max_items = node.as_u64(),
                "minLength" => s.min_length = node.as_u64(),
                "maxLength" => s.max_length = node.as_u64(),
                "minimum" => s.minimum = node.as_number().cloned(),
                "maximum" => s.maximum = node.as_number().cloned(),
                "exclusiveMinimum" => match &node.kind {
                    Kind::Bool(b) => exclusive_min_flag = *b,
                    _ => s.exclusive_minimum = node.as_number().cloned(),
                },
                "exclusiveMaximum" => match &node.kind {
                    Kind::Bool(b) => exclusive_max_flag = *b,
                    _ => s.exclusive_maximum = node.as_number().cloned(),
                },
                "multipleOf" => s.multiple_of = node.as_number().cloned(),
                "allOf" => s.all_of = self.children(Some(value), &parent, "Part"),
                "anyOf" => s.any_of = self.children(Some(value), &parent, "Variant"),
                "oneOf" => s.one_of = self.children(Some(value), &parent, "Variant"),
                "not" => s.not = self.child(Some(value), &parent, "Not"),
                "if" => s.if_schema = self.child(Some(value), &parent, "If"),
                "then" => s.then_schema = self.child(Some(value), &parent, "Then"),
                "else" => s.else_schema = self.child(Some(value), &parent, "Else"),
                "discriminator" => s.discriminator = self.discriminator(value, &parent),
                "externalDocs" => {
                    s.external_docs = node.get_str("url").map(|url| ExternalDocs {
                        url: url.to_string(),
                        description: node.get_str("description").map(str::to_string),
                    })
                }
                k if IGNORED_KEYWORDS.contains(&k) => {}
                other => {
                    s.extensions.insert(other.to_string(), node.to_json());
                }
            }
        }
        if exclusive_min_flag {
            s.exclusive_minimum = s.minimum.take();
        }
        if exclusive_max_flag {
            s.exclusive_maximum = s.maximum.take();
        }
        if tuple_items {
            s.items = self.child(additional_items, &parent, "Rest");
        }
        let mut fields = NameScope::new();
        for property in &mut s.properties {
            property.required = s.required.contains(&property.name);
            property.rust_name = fields.claim(&rust_field_name(&property.name));
        }
        s
    }

    fn discriminator(&mut self, at: At<'a>, parent: &str) -> Option<Discriminator> {
        if let Some(name) = at.node.as_str() {
            return Some(Discriminator {
                property_name: name.to_string(),
                mapping: Default::default(),
            });
        }
        let property_name = at.node.get_str("propertyName")?.to_string();
        let mut mapping = std::collections::BTreeMap::new();
        for (value, target) in at.get("mapping").map(|m| m.entries()).unwrap_or_default() {
            let Some(reference) = target.node.as_str() else {
                continue;
            };
            // OpenAPI allows a bare schema name as well as a reference.
            let reference = if reference.contains(['#', '/'])
                || reference.ends_with(".json")
                || reference.ends_with(".yaml")
            {
                reference.to_string()
            } else {
                format!("#/components/schemas/{reference}")
            };
            match self.sources.resolve(at.file, &reference) {
                Ok(resolved) => {
                    let sub = At {
                        file: resolved.target.file,
                        pointer: resolved.pointer,
                        node: resolved.target.node,
                    };
                    let id = self.id_for(sub, Hint::new(parent, value));
                    mapping.insert(value.to_string(), id);
                }
                Err(err) => self.diagnostics.push(
                    self.sources
                        .diagnostic(
                            Severity::Error,
                            err.code,
                            err.message,
                            at.file,
                            target.node.pos,
                            &target.pointer,
                        )
                        .with_help(err.help),
                ),
            }
        }
        Some(Discriminator {
            property_name,
            mapping,
        })
    }
}

/// Whether a `schemaFormat` is JSON Schema in one of its spellings (AsyncAPI, JSON Schema, OpenAPI 3.0).
pub(crate) fn is_json_schema_format(format: &str) -> bool {
    let media = format
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        media.as_str(),
        "application/vnd.aai.asyncapi"
            | "application/vnd.aai.asyncapi+json"
            | "application/vnd.aai.asyncapi+yaml"
            | "application/schema+json"
            | "application/schema+yaml"
            | "application/vnd.oai.openapi"
            | "application/vnd.oai.openapi+json"
            | "application/vnd.oai.openapi+yaml"
    )
}
