//! Schema-directed values: a valid value synthesised from a type, and mutations of a value that probe each
//! keyword at its boundary.
//!
//! Nothing here decides validity: every value is only a *case*, judged by `jsonschema` and by the generated
//! validator. The synthesiser aims at a valid value and gives up quietly where that is hard (`not`, a `pattern`
//! outside the small subset it can invert, contradictory parts); the mutations aim at values just inside and just
//! outside each keyword, following the structure of the value they start from.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use fastsocket_ir::{JsonType, Schema, TypeBody, TypeId, TypeSpace};
use serde_json::{Map, Number, Value, json};

/// How deep the synthesiser follows required properties and items before it gives up (writes `null`).
const MAX_SYNTH_DEPTH: usize = 10;
/// How deep the "full" synthesiser also fills optional properties.
const FULL_DEPTH: usize = 3;
/// How deep mutations reach into a value.
const MAX_MUTATION_DEPTH: usize = 6;
/// How many items of an array mutations look into.
const ITEMS_MUTATED: usize = 3;
/// Mutations collected per seed before sampling (keeps documents with huge payloads bounded).
const MUTATIONS_PER_SEED: usize = 4000;
/// How many `allOf`/alternative hops are followed when gathering the schemas that apply at a node.
const MAX_PARTS_DEPTH: usize = 8;
/// The most items the synthesiser writes to satisfy `minItems`.
const MAX_SYNTH_ITEMS: u64 = 64;

/// Synthesises and mutates values for the types of one document.
pub struct Values<'a> {
    types: &'a TypeSpace,
    /// Compiled `{"pattern": p}` validators (`None`: `jsonschema` cannot compile the pattern).
    patterns: RefCell<HashMap<String, Option<jsonschema::Validator>>>,
}

impl<'a> Values<'a> {
    pub fn new(types: &'a TypeSpace) -> Self {
        Values {
            types,
            patterns: RefCell::new(HashMap::new()),
        }
    }

    fn schema(&self, id: TypeId) -> Option<&'a Schema> {
        self.types.schema(id)
    }

    /// Whether `text` matches the ECMA-262 `pattern` as `jsonschema` reads it (`None`: it cannot compile it).
    fn matches(&self, pattern: &str, text: &str) -> Option<bool> {
        let mut cache = self.patterns.borrow_mut();
        let validator = cache.entry(pattern.to_string()).or_insert_with(|| {
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .build(&json!({ "pattern": pattern }))
                .ok()
        });
        validator
            .as_ref()
            .map(|v| v.is_valid(&Value::String(text.to_string())))
    }

    /// `id` and its `allOf` parts, recursively: the schemas that all hold for a value of `id`.
    fn all_parts(&self, id: TypeId) -> Vec<&'a Schema> {
        let mut ids = Vec::new();
        self.collect_all_of(id, &mut ids, 0);
        ids.into_iter().filter_map(|i| self.schema(i)).collect()
    }

    fn collect_all_of(&self, id: TypeId, out: &mut Vec<TypeId>, depth: usize) {
        if depth > MAX_PARTS_DEPTH || out.contains(&id) {
            return;
        }
        let Some(s) = self.schema(id) else { return };
        out.push(id);
        for part in &s.all_of {
            self.collect_all_of(*part, out, depth + 1);
        }
    }

    /// The schemas that may say something about `value` at a node of types `ids`: their `allOf` parts, the
    /// `oneOf`/`anyOf` alternatives of the value's JSON type, and both branches of `if`.
    fn applicable(&self, ids: &[TypeId], value: &Value) -> Vec<&'a Schema> {
        let mut out = Vec::new();
        for id in ids {
            self.collect_applicable(*id, value, &mut out, 0);
        }
        out.into_iter().filter_map(|i| self.schema(i)).collect()
    }

    fn collect_applicable(&self, id: TypeId, value: &Value, out: &mut Vec<TypeId>, depth: usize) {
        if depth > MAX_PARTS_DEPTH || out.contains(&id) {
            return;
        }
        let Some(s) = self.schema(id) else { return };
        out.push(id);
        for part in &s.all_of {
            self.collect_applicable(*part, value, out, depth + 1);
        }
        for alternative in s.one_of.iter().chain(&s.any_of) {
            let fits = self.schema(*alternative).is_some_and(|a| {
                a.types.is_empty() || a.types.iter().any(|t| type_fits(*t, value))
            });
            if fits {
                self.collect_applicable(*alternative, value, out, depth + 1);
            }
        }
        for branch in [s.then_schema, s.else_schema].into_iter().flatten() {
            self.collect_applicable(branch, value, out, depth + 1);
        }
    }

    /// Whether checking `value` as `id` gets to one of the types in `set` (following in-place subschemas, and
    /// properties and items along the value).
    pub fn touches(&self, id: TypeId, value: &Value, set: &BTreeSet<TypeId>) -> bool {
        self.touch(vec![id], value, set, 0)
    }

    fn touch(&self, ids: Vec<TypeId>, value: &Value, set: &BTreeSet<TypeId>, depth: usize) -> bool {
        let mut seen: Vec<TypeId> = Vec::new();
        let mut stack = ids;
        while let Some(id) = stack.pop() {
            if seen.contains(&id) {
                continue;
            }
            if set.contains(&id) {
                return true;
            }
            seen.push(id);
            stack.extend(self.types.in_place_children(id));
        }
        if depth > MAX_SYNTH_DEPTH * 4 {
            return false;
        }
        let parts: Vec<&Schema> = seen.iter().filter_map(|id| self.schema(*id)).collect();
        match value {
            Value::Object(object) => object.iter().any(|(key, item)| {
                let child = self.property_types(&parts, key);
                !child.is_empty() && self.touch(child, item, set, depth + 1)
            }),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let child: Vec<TypeId> = parts
                    .iter()
                    .flat_map(|s| {
                        s.prefix_items
                            .get(i)
                            .copied()
                            .or(s.items)
                            .into_iter()
                            .chain(s.contains)
                    })
                    .collect();
                !child.is_empty() && self.touch(child, item, set, depth + 1)
            }),
            _ => false,
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Synthesis
    // ---------------------------------------------------------------------------------------------------------

    /// A value meant to be valid for `id`: required properties only (`full == false`) or also the optional
    /// ones near the root; `choice` picks the alternative of a root `oneOf`/`anyOf`.
    pub fn synthesize(&self, id: TypeId, full: bool, choice: usize) -> Value {
        self.synth(id, 0, full, 0, choice)
    }

    /// `seed` (an object of type `id`) with each declared property it lacks added in turn, synthesised, where
    /// that does not make `errors` (the number of violations) grow: a large valid value to mutate, where the
    /// synthesiser alone would trip over what it does not model (`maxProperties`, `dependencies`, `not`, …).
    pub fn grow(&self, id: TypeId, seed: &Value, errors: impl Fn(&Value) -> usize) -> Value {
        let Value::Object(object) = seed else {
            return seed.clone();
        };
        let mut best = object.clone();
        let mut best_errors = errors(seed);
        for s in self.all_parts(id) {
            for p in &s.properties {
                if best.contains_key(&p.name) {
                    continue;
                }
                let mut candidate = best.clone();
                candidate.insert(p.name.clone(), self.synth(p.ty, 1, true, 0, 0));
                let candidate_errors = errors(&Value::Object(candidate.clone()));
                if candidate_errors <= best_errors {
                    best = candidate;
                    best_errors = candidate_errors;
                }
            }
        }
        Value::Object(best)
    }

    /// The number of `oneOf`/`anyOf` alternatives at the root of `id` (for [`Values::synthesize`]'s `choice`).
    pub fn alternatives(&self, id: TypeId) -> usize {
        self.all_parts(id)
            .iter()
            .map(|s| s.one_of.len().max(s.any_of.len()))
            .max()
            .unwrap_or(0)
    }

    fn synth(&self, id: TypeId, depth: usize, full: bool, salt: u64, choice: usize) -> Value {
        if depth > MAX_SYNTH_DEPTH {
            return Value::Null;
        }
        match &self.types.get(id).body {
            TypeBody::Bool { .. } | TypeBody::Opaque { .. } => return Value::Null,
            TypeBody::Schema(_) => {}
        }
        let parts = self.all_parts(id);
        if let Some(c) = parts.iter().find_map(|s| s.const_value.as_ref()) {
            return c.clone();
        }
        if let Some(values) = parts.iter().find_map(|s| s.enum_values.as_ref())
            && !values.is_empty()
        {
            // Prefer a value the other parts' enums allow too.
            let allowed = |v: &Value| {
                parts
                    .iter()
                    .filter_map(|s| s.enum_values.as_ref())
                    .all(|e| e.contains(v))
            };
            let pick = values
                .iter()
                .cycle()
                .skip(salt as usize % values.len())
                .take(values.len())
                .find(|v| allowed(v))
                .unwrap_or(&values[0]);
            return pick.clone();
        }
        let alternative = parts
            .iter()
            .find(|s| !s.one_of.is_empty() || !s.any_of.is_empty())
            .map(|s| {
                let list = if s.one_of.is_empty() {
                    &s.any_of
                } else {
                    &s.one_of
                };
                list[choice % list.len()]
            });
        let alternative_value = alternative.map(|alt| self.synth(alt, depth + 1, full, salt, 0));
        let Some(kind) = self.kind_of(&parts) else {
            return alternative_value.unwrap_or(Value::Null);
        };
        let base = match kind {
            JsonType::Object => self.synth_object(&parts, depth, full, salt),
            JsonType::Array => self.synth_array(&parts, depth, full),
            JsonType::String => self.synth_string(&parts, salt),
            JsonType::Integer | JsonType::Number => {
                synth_number(&parts, kind == JsonType::Integer, salt)
            }
            JsonType::Boolean => Value::Bool(salt.is_multiple_of(2)),
            JsonType::Null => Value::Null,
        };
        match (base, alternative_value) {
            (Value::Object(mut own), Some(Value::Object(alt))) => {
                // The alternative is the more specific: its properties win, except where it only requires a
                // property that this schema declares (`anyOf: [{required: [a]}, {required: [b]}]`).
                for (k, v) in alt {
                    if v.is_null()
                        && let Some(ty) = declared_type(&parts, &k)
                    {
                        if !own.contains_key(&k) {
                            let value = self.synth(ty, depth + 1, full, salt, 0);
                            own.insert(k, value);
                        }
                        continue;
                    }
                    own.insert(k, v);
                }
                Value::Object(own)
            }
            (base, Some(alt)) if JsonType::of_value(&alt) == JsonType::of_value(&base) => alt,
            (base, _) => base,
        }
    }

    /// The JSON type to synthesise: the first one stated (not `null` unless it is the only one), else what the
    /// keywords suggest; `None` when nothing does.
    fn kind_of(&self, parts: &[&Schema]) -> Option<JsonType> {
        let mut stated: Option<Vec<JsonType>> = None;
        for s in parts {
            if s.types.is_empty() {
                continue;
            }
            stated = Some(match stated {
                None => s.types.clone(),
                Some(before) => {
                    let both: Vec<JsonType> = before
                        .iter()
                        .copied()
                        .filter(|t| {
                            s.types.contains(t)
                                || (*t == JsonType::Integer && s.types.contains(&JsonType::Number))
                        })
                        .collect();
                    if both.is_empty() { before } else { both }
                }
            });
        }
        if let Some(types) = stated {
            return types
                .iter()
                .copied()
                .find(|t| *t != JsonType::Null)
                .or(types.first().copied());
        }
        let any = |f: &dyn Fn(&Schema) -> bool| parts.iter().any(|s| f(s));
        if any(&|s| {
            !s.properties.is_empty()
                || !s.required.is_empty()
                || !s.pattern_properties.is_empty()
                || s.additional_properties.is_some()
                || s.min_properties.is_some()
                || s.max_properties.is_some()
        }) {
            return Some(JsonType::Object);
        }
        if any(&|s| {
            s.items.is_some()
                || !s.prefix_items.is_empty()
                || s.min_items.is_some()
                || s.max_items.is_some()
                || s.contains.is_some()
        }) {
            return Some(JsonType::Array);
        }
        if any(&|s| {
            s.min_length.is_some()
                || s.max_length.is_some()
                || s.pattern.is_some()
                || s.format
                    .as_deref()
                    .is_some_and(|f| format_sample(f).is_some())
        }) {
            return Some(JsonType::String);
        }
        if any(&|s| {
            s.minimum.is_some()
                || s.maximum.is_some()
                || s.exclusive_minimum.is_some()
                || s.exclusive_maximum.is_some()
                || s.multiple_of.is_some()
        }) {
            return Some(JsonType::Number);
        }
        None
    }

    fn synth_object(&self, parts: &[&Schema], depth: usize, full: bool, salt: u64) -> Value {
        let mut declared: Vec<(&str, TypeId)> = Vec::new();
        for s in parts {
            for p in &s.properties {
                if !declared.iter().any(|(n, _)| *n == p.name) {
                    declared.push((&p.name, p.ty));
                }
            }
        }
        let additional = parts.iter().find_map(|s| s.additional_properties);
        let max = parts.iter().filter_map(|s| s.max_properties).min();
        let mut object = Map::new();
        for s in parts {
            for name in &s.required {
                if object.contains_key(name) {
                    continue;
                }
                let ty = declared
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, t)| *t)
                    .or(additional);
                let value = ty.map_or(Value::Null, |t| self.synth(t, depth + 1, full, salt, 0));
                object.insert(name.clone(), value);
            }
        }
        let min = parts
            .iter()
            .filter_map(|s| s.min_properties)
            .max()
            .unwrap_or(0);
        for (name, ty) in &declared {
            let room = max.is_none_or(|m| (object.len() as u64) < m);
            let wanted = room && ((full && depth < FULL_DEPTH) || (object.len() as u64) < min);
            if wanted && !object.contains_key(*name) {
                let value = self.synth(*ty, depth + 1, full, salt, 0);
                object.insert((*name).to_string(), value);
            }
        }
        let mut n = 0;
        while (object.len() as u64) < min && n < MAX_SYNTH_ITEMS {
            let value = additional.map_or(Value::Null, |t| self.synth(t, depth + 1, full, n, 0));
            object.insert(format!("extra{n}"), value);
            n += 1;
        }
        Value::Object(object)
    }

    fn synth_array(&self, parts: &[&Schema], depth: usize, full: bool) -> Value {
        let min = parts.iter().filter_map(|s| s.min_items).max().unwrap_or(0);
        let max = parts.iter().filter_map(|s| s.max_items).min();
        let prefix: &[TypeId] = parts
            .iter()
            .map(|s| s.prefix_items.as_slice())
            .find(|p| !p.is_empty())
            .unwrap_or(&[]);
        let rest = parts.iter().find_map(|s| s.items);
        let closed =
            rest.is_some_and(|t| matches!(self.types.get(t).body, TypeBody::Bool { value: false }));
        let mut n = if closed {
            min.min(prefix.len() as u64)
        } else {
            min.max(prefix.len() as u64)
        };
        if full && n == 0 && depth < FULL_DEPTH && !closed {
            n = 1;
        }
        if let Some(max) = max {
            n = n.min(max);
        }
        let n = n.min(MAX_SYNTH_ITEMS);
        let items: Vec<Value> = (0..n)
            .map(|i| {
                let ty = prefix.get(i as usize).copied().or(rest);
                // A salt per item keeps items apart for `uniqueItems`.
                ty.map_or_else(|| json!(i), |t| self.synth(t, depth + 1, full, i, 0))
            })
            .collect();
        let mut items = items;
        if items.is_empty()
            && let Some(contains) = parts.iter().find_map(|s| s.contains)
        {
            items.push(self.synth(contains, depth + 1, full, 0, 0));
        }
        Value::Array(items)
    }

    fn synth_string(&self, parts: &[&Schema], salt: u64) -> Value {
        let min = parts.iter().filter_map(|s| s.min_length).max().unwrap_or(0) as usize;
        let max = parts
            .iter()
            .filter_map(|s| s.max_length)
            .min()
            .map(|m| m as usize);
        let format = parts.iter().find_map(|s| {
            s.format
                .as_deref()
                .and_then(|f| format_sample(f).map(|sample| (f, sample)))
        });
        let patterns: Vec<&str> = parts.iter().filter_map(|s| s.pattern.as_deref()).collect();
        let fits = |text: &str| {
            let len = text.chars().count();
            len >= min
                && max.is_none_or(|m| len <= m)
                && patterns
                    .iter()
                    .all(|p| self.matches(p, text).unwrap_or(false))
        };
        if !patterns.is_empty() {
            // What the document itself offers first, then strings made from the pattern.
            let mut candidates: Vec<String> = Vec::new();
            for s in parts {
                candidates.extend(
                    s.examples
                        .iter()
                        .filter_map(|v| v.as_str().map(String::from)),
                );
                candidates.extend(
                    s.default
                        .as_ref()
                        .and_then(|v| v.as_str().map(String::from)),
                );
            }
            for p in &patterns {
                candidates.extend(from_pattern(p, false));
                candidates.extend(from_pattern(p, true));
            }
            if let Some((_, sample)) = format {
                candidates.push(sample.text.to_string());
            }
            let padded: Vec<String> = candidates
                .iter()
                .map(|c| resize(c, min.max(c.chars().count()), 'a'))
                .collect();
            candidates.extend(padded);
            if let Some(found) = candidates.into_iter().find(|c| fits(c)) {
                return Value::String(found);
            }
        }
        let text = match format {
            Some((_, sample)) => {
                let mut text = sample.text.to_string();
                if salt > 0 {
                    text = sample.salted(salt);
                }
                let len = text.chars().count();
                if len < min {
                    text = sample.padded(min - len);
                }
                text
            }
            None => {
                let base = if salt == 0 {
                    "text".to_string()
                } else {
                    format!("text{salt}")
                };
                resize(&base, min.max(base.chars().count()), 'a')
            }
        };
        Value::String(match max {
            Some(m) if text.chars().count() > m => text.chars().take(m).collect(),
            _ => text,
        })
    }

    // ---------------------------------------------------------------------------------------------------------
    // Mutation
    // ---------------------------------------------------------------------------------------------------------

    /// Variants of `value` (a value of type `id`) that probe every keyword along its structure: each one
    /// differs from `value` at a single place.
    pub fn mutations(&self, id: TypeId, value: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        self.mutate(&[id], value, 0, &mut out);
        out
    }

    fn mutate(&self, ids: &[TypeId], value: &Value, depth: usize, out: &mut Vec<Value>) {
        if out.len() >= MUTATIONS_PER_SEED {
            return;
        }
        let parts = self.applicable(ids, value);
        if !value.is_null() {
            out.push(Value::Null);
        }
        out.extend(wrong_types(value));
        for s in &parts {
            self.keyword_mutations(s, value, out);
        }
        if depth >= MAX_MUTATION_DEPTH {
            return;
        }
        match value {
            Value::Object(object) => {
                for (key, item) in object {
                    let child = self.property_types(&parts, key);
                    if child.is_empty() {
                        continue;
                    }
                    let mut inner = Vec::new();
                    self.mutate(&child, item, depth + 1, &mut inner);
                    for m in inner {
                        let mut copy = object.clone();
                        copy.insert(key.clone(), m);
                        out.push(Value::Object(copy));
                    }
                    if out.len() >= MUTATIONS_PER_SEED {
                        return;
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().take(ITEMS_MUTATED) {
                    let child: Vec<TypeId> = parts
                        .iter()
                        .filter_map(|s| s.prefix_items.get(i).copied().or(s.items))
                        .collect();
                    if child.is_empty() {
                        continue;
                    }
                    let mut inner = Vec::new();
                    self.mutate(&child, item, depth + 1, &mut inner);
                    for m in inner {
                        let mut copy = items.clone();
                        copy[i] = m;
                        out.push(Value::Array(copy));
                    }
                    if out.len() >= MUTATIONS_PER_SEED {
                        return;
                    }
                }
            }
            _ => {}
        }
    }

    /// The types that apply to the property `key`: declared, matched by a pattern, else `additionalProperties`.
    fn property_types(&self, parts: &[&Schema], key: &str) -> Vec<TypeId> {
        let mut out = Vec::new();
        for s in parts {
            let mut matched = false;
            for p in &s.properties {
                if p.name == key {
                    out.push(p.ty);
                    matched = true;
                }
            }
            for p in &s.pattern_properties {
                if self.matches(&p.pattern, key).unwrap_or(false) {
                    out.push(p.ty);
                    matched = true;
                }
            }
            if !matched && let Some(a) = s.additional_properties {
                out.push(a);
            }
        }
        out
    }

    fn keyword_mutations(&self, s: &Schema, value: &Value, out: &mut Vec<Value>) {
        if let Some(values) = &s.enum_values {
            out.push(json!("not-in-the-enum"));
            out.extend(values.iter().take(8).cloned());
            if let Some(top) = values.iter().filter_map(Value::as_f64).reduce(f64::max) {
                out.push(number_value(top + 1.0));
            }
        }
        if let Some(c) = &s.const_value {
            out.push(changed(c));
        }
        match value {
            Value::String(text) => self.string_mutations(s, text, out),
            Value::Number(n) => number_mutations(s, n, out),
            Value::Array(items) => array_mutations(s, items, out),
            Value::Object(object) => object_mutations(s, object, out),
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn string_mutations(&self, s: &Schema, text: &str, out: &mut Vec<Value>) {
        let len = text.chars().count();
        if let Some(n) = s.min_length {
            let n = n as usize;
            if n > 0 {
                out.push(Value::String(resize(text, n - 1, 'a')));
            }
            out.push(Value::String(resize(text, n, 'a')));
        }
        if let Some(m) = s.max_length {
            let m = m as usize;
            if m < 10_000 {
                out.push(Value::String(resize(text, m + 1, 'z')));
                out.push(Value::String(resize(text, m, 'z')));
            }
        }
        if let Some(p) = &s.pattern {
            let candidates = [
                String::new(),
                " ".to_string(),
                "~!?".to_string(),
                "\u{1F600}".to_string(),
                format!("{text}\n"),
                format!(" {text}"),
                text.to_uppercase(),
                text.chars().rev().collect(),
            ];
            let misses = candidates
                .into_iter()
                .filter(|c| self.matches(p, c) == Some(false))
                .take(2);
            out.extend(misses.map(Value::String));
        }
        if let Some(f) = &s.format {
            out.extend(malformed(f, text).into_iter().map(Value::String));
        }
        if len > 0 {
            // A multi-byte character where an ASCII one was: lengths count characters, not bytes.
            out.push(Value::String(
                resize(text, len.saturating_sub(1), 'a') + "é",
            ));
        }
    }
}

/// The type of the property `name` as the first of `parts` that declares it has it.
fn declared_type(parts: &[&Schema], name: &str) -> Option<TypeId> {
    parts
        .iter()
        .flat_map(|s| &s.properties)
        .find(|p| p.name == name)
        .map(|p| p.ty)
}

/// Strings probing a `format`: malformed ones, and near misses of the sample.
fn malformed(format: &str, text: &str) -> Vec<String> {
    let mut out: Vec<String> = match format {
        "date-time" => vec![
            "2024-13-45T25:61:61Z",
            "2024-01-02T03:04:05",
            "2024-01-02 03:04:05Z",
            "2024-01-02t03:04:05z",
            "2024-02-30T00:00:00Z",
            "2024-01-02T23:59:60Z",
            "2024-01-02T03:04:05.123+05:30",
        ],
        "date" => vec!["2024-02-30", "2024-1-2", "2024-02-29", "2023-02-29"],
        "time" => vec!["25:00:00Z", "03:04:05", "03:04:05+01:00", "23:59:60Z"],
        "email" => vec!["not-an-email", "a@", "@example.com", "a b@example.com"],
        "hostname" => vec!["-bad-.example", "a..b", "ex_ample.com"],
        "ipv4" => vec!["256.1.1.1", "01.2.3.4", "1.2.3"],
        "ipv6" => vec!["2001:db8:::1", "1.2.3.4", "::ffff:1.2.3.4"],
        "uri" => vec!["not a uri", "/relative/path", "http://exa mple.com"],
        "uri-reference" | "iri-reference" => vec!["\\\\bad", "a b", "#frag"],
        "iri" => vec!["not an iri", "relative"],
        "uri-template" => vec!["{bad", "http://example.com/{id"],
        "uuid" => vec![
            "123e4567-e89b-12d3-a456-42661417400",
            "123e4567e89b12d3a456426614174000",
            "123e4567-e89b-12d3-a456-42661417400g",
            "123E4567-E89B-12D3-A456-426614174000",
        ],
        "regex" => vec!["[", "a(", "\\p{Letter}"],
        "json-pointer" => vec!["a/b", "/~2"],
        "relative-json-pointer" => vec!["/a", "-1", "0#"],
        _ => vec![],
    }
    .into_iter()
    .map(String::from)
    .collect();
    out.push(format!("not-a-{format}"));
    if !text.is_empty() {
        out.push(format!("{text}x"));
    }
    out
}

fn number_mutations(s: &Schema, n: &Number, out: &mut Vec<Value>) {
    let integer = s.types.contains(&JsonType::Integer);
    if let Some(v) = n.as_f64()
        && (integer || v.fract() == 0.0)
    {
        out.push(number_value(v + 0.5));
        // An integer written as a float is still an integer.
        out.push(Value::from(v));
    }
    let around = |bound: &Number, out: &mut Vec<Value>| {
        for delta in [-1, 0, 1] {
            out.push(offset(bound, delta));
        }
        if !integer {
            for delta in [-0.5, 0.5] {
                out.push(number_value(bound.as_f64().unwrap_or(0.0) + delta));
            }
        }
    };
    for bound in [
        &s.minimum,
        &s.maximum,
        &s.exclusive_minimum,
        &s.exclusive_maximum,
    ]
    .into_iter()
    .flatten()
    {
        around(bound, out);
    }
    if let Some(k) = &s.multiple_of {
        out.extend(multiples(k));
    }
    match s.format.as_deref() {
        Some("int32") => {
            out.push(json!(i32::MAX));
            out.push(json!(i64::from(i32::MAX) + 1));
            out.push(json!(i64::from(i32::MIN) - 1));
            out.push(json!(2147483648.0));
        }
        Some("int64") => {
            out.push(json!(i64::MAX));
            out.push(json!(i64::MIN));
            out.push(json!(u64::MAX));
            out.push(json!(1e19));
        }
        Some("float") => {
            out.push(json!(f64::from(f32::MAX)));
            out.push(json!(1e39));
            out.push(json!(-1e39));
        }
        Some("double") => out.push(json!(1e308)),
        _ => {}
    }
}

/// `bound + delta`, exact for integer bounds.
fn offset(bound: &Number, delta: i64) -> Value {
    if let Some(i) = bound.as_i64() {
        let v = i128::from(i) + i128::from(delta);
        return i64::try_from(v)
            .map(Value::from)
            .or_else(|_| u64::try_from(v).map(Value::from))
            .unwrap_or_else(|_| number_value(v as f64));
    }
    if let Some(u) = bound.as_u64() {
        let v = i128::from(u) + i128::from(delta);
        return u64::try_from(v)
            .map(Value::from)
            .unwrap_or_else(|_| number_value(v as f64));
    }
    number_value(bound.as_f64().unwrap_or(0.0) + delta as f64)
}

/// Multiples of `k` and numbers that are not, built from the decimal `k` is written as (so `0.01 * 3` is written
/// `0.03`, not `0.030000000000000002`).
fn multiples(k: &Number) -> Vec<Value> {
    let Some((mantissa, scale)) = decimal(k) else {
        return Vec::new();
    };
    let at = |numerator: i128, extra_scale: u32| -> Value {
        let text = decimal_text(numerator, scale + extra_scale);
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    let mut out = vec![
        at(mantissa * 3, 0),
        at(-mantissa * 2, 0),
        // 3.5 k, 0.5 k and 3 k plus a tenth of the last digit: not multiples.
        at(mantissa * 35, 1),
        at(mantissa * 5, 1),
        at(mantissa * 30 + 1, 1),
    ];
    if mantissa > 1 {
        // Not a multiple either, and an integer when `k` is.
        out.push(at(mantissa * 3 + 1, 0));
    }
    out
}

/// `k` as `mantissa / 10^scale`, from its shortest decimal spelling.
fn decimal(k: &Number) -> Option<(i128, u32)> {
    let text = k.to_string();
    if text.contains(['e', 'E']) {
        return None;
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = format!("{whole}{fraction}");
    Some((digits.parse().ok()?, fraction.len() as u32))
}

fn decimal_text(numerator: i128, scale: u32) -> String {
    if scale == 0 {
        return numerator.to_string();
    }
    let sign = if numerator < 0 { "-" } else { "" };
    let digits = format!(
        "{:0>width$}",
        numerator.unsigned_abs(),
        width = scale as usize + 1
    );
    let (whole, fraction) = digits.split_at(digits.len() - scale as usize);
    format!("{sign}{whole}.{fraction}")
}

fn array_mutations(s: &Schema, items: &[Value], out: &mut Vec<Value>) {
    let filler = items.last().cloned().unwrap_or(Value::Null);
    let sized = |n: usize| -> Value {
        let mut v: Vec<Value> = items.iter().take(n).cloned().collect();
        while v.len() < n {
            v.push(filler.clone());
        }
        Value::Array(v)
    };
    if let Some(n) = s.min_items {
        let n = n as usize;
        if n > 0 {
            out.push(sized(n - 1));
        }
        out.push(sized(n));
    }
    if let Some(m) = s.max_items
        && m < 1_000
    {
        out.push(sized(m as usize + 1));
        out.push(sized(m as usize));
    }
    if let Some(first) = items.first() {
        let mut twice = items.to_vec();
        twice.push(first.clone());
        out.push(Value::Array(twice));
    }
    if !s.prefix_items.is_empty() {
        out.push(sized(s.prefix_items.len() + 1));
    }
    out.push(Value::Array(Vec::new()));
}

fn object_mutations(s: &Schema, object: &Map<String, Value>, out: &mut Vec<Value>) {
    for name in &s.required {
        if object.contains_key(name) {
            let mut copy = object.clone();
            copy.remove(name);
            out.push(Value::Object(copy));
        }
    }
    let mut extra = object.clone();
    extra.insert("zzUnknownProperty".to_string(), json!(1));
    out.push(Value::Object(extra));
    out.push(Value::Object(Map::new()));
}

/// Values of other JSON types than `value`.
fn wrong_types(value: &Value) -> Vec<Value> {
    match value {
        Value::String(_) => vec![json!(7), json!({})],
        Value::Number(_) => vec![json!("7"), json!(true)],
        Value::Bool(_) => vec![json!("true"), json!(1)],
        Value::Null => vec![json!(0), json!("")],
        Value::Array(_) => vec![json!({}), json!("[]")],
        Value::Object(_) => vec![json!([]), json!("{}")],
    }
}

/// A value that differs from a `const`.
fn changed(c: &Value) -> Value {
    match c {
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Number(n) => number_value(n.as_f64().unwrap_or(0.0) + 1.0),
        Value::Bool(b) => Value::Bool(!b),
        Value::Null => json!(0),
        Value::Array(items) => {
            let mut more = items.clone();
            more.push(Value::Null);
            Value::Array(more)
        }
        Value::Object(object) => {
            let mut more = object.clone();
            more.insert("zzChanged".to_string(), Value::Null);
            Value::Object(more)
        }
    }
}

/// A number as JSON: an integer when it has no fractional part and fits, else a float (`null` for NaN/inf).
fn number_value(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

fn type_fits(t: JsonType, value: &Value) -> bool {
    match (t, value) {
        (JsonType::Null, Value::Null)
        | (JsonType::Boolean, Value::Bool(_))
        | (JsonType::Number, Value::Number(_))
        | (JsonType::String, Value::String(_))
        | (JsonType::Array, Value::Array(_))
        | (JsonType::Object, Value::Object(_)) => true,
        (JsonType::Integer, Value::Number(n)) => n.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

trait OfValue {
    fn of_value(value: &Value) -> JsonType;
}

impl OfValue for JsonType {
    fn of_value(value: &Value) -> JsonType {
        match value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }
}

/// `text` cut or padded with `fill` to `n` characters.
fn resize(text: &str, n: usize, fill: char) -> String {
    let mut out: String = text.chars().take(n).collect();
    let len = out.chars().count();
    out.extend(std::iter::repeat_n(fill, n.saturating_sub(len)));
    out
}

/// A valid value of a string format, and where padding can go without breaking it.
#[derive(Debug, Clone, Copy)]
struct FormatSample {
    text: &'static str,
    /// The text before the padding point (the rest follows the padding); `None` when it cannot be padded.
    pad_at: Option<usize>,
}

impl FormatSample {
    fn padded(&self, extra: usize) -> String {
        match self.pad_at {
            Some(at) => {
                let (head, tail) = self.text.split_at(at);
                format!("{head}{}{tail}", "a".repeat(extra))
            }
            None => self.text.to_string(),
        }
    }

    /// A different valid value for item `salt` (for `uniqueItems`).
    fn salted(&self, salt: u64) -> String {
        match self.pad_at {
            Some(at) => {
                let (head, tail) = self.text.split_at(at);
                format!("{head}{}{tail}", "a".repeat((salt % 50) as usize + 1))
            }
            None if self.text.len() == 36 && self.text.as_bytes()[8] == b'-' => {
                // uuid: change the last hex digits.
                format!("{}{:012x}", &self.text[..24], salt)
            }
            None => self.text.to_string(),
        }
    }
}

fn format_sample(format: &str) -> Option<FormatSample> {
    let (text, pad_at) = match format {
        "date-time" => ("2024-01-02T03:04:05Z", None),
        "date" => ("2024-01-02", None),
        "time" => ("03:04:05Z", None),
        "email" | "idn-email" => ("a@example.com", Some(1)),
        "hostname" | "idn-hostname" => ("example.com", Some(0)),
        "ipv4" => ("192.0.2.1", None),
        "ipv6" => ("2001:db8::1", None),
        "uri" | "iri" => ("https://example.com/a", Some(21)),
        "uri-reference" | "iri-reference" => ("/a", Some(2)),
        "uri-template" => ("https://example.com/{id}", Some(20)),
        "json-pointer" => ("/a", Some(2)),
        "relative-json-pointer" => ("0/a", Some(3)),
        "regex" => ("^a$", Some(2)),
        "uuid" => ("123e4567-e89b-12d3-a456-426614174000", None),
        _ => return None,
    };
    Some(FormatSample { text, pad_at })
}

// -------------------------------------------------------------------------------------------------------------
// Strings from a pattern
// -------------------------------------------------------------------------------------------------------------

/// A string matching an ECMA-262 pattern, for a small subset: literals, escapes, classes, groups (first
/// alternative), quantifiers. `more` takes one more repetition than the minimum where it can. `None` when the
/// pattern uses anything else (look-around, back-references, …); the caller checks the result anyway.
fn from_pattern(pattern: &str, more: bool) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut pos = 0;
    let out = sequence(&chars, &mut pos, more, 0)?;
    (pos == chars.len()).then_some(out)
}

/// A sequence up to `)` or the end; at `|` the first alternative is kept and the others are skipped.
fn sequence(chars: &[char], pos: &mut usize, more: bool, depth: usize) -> Option<String> {
    if depth > 20 {
        return None;
    }
    let mut out = String::new();
    while *pos < chars.len() {
        match chars[*pos] {
            ')' => return Some(out),
            '|' => {
                skip_alternatives(chars, pos)?;
                return Some(out);
            }
            '^' | '$' => {
                *pos += 1;
            }
            _ => {
                let atom = atom(chars, pos, more, depth)?;
                let (min, max) = quantifier(chars, pos)?;
                let n = if more { (min + 1).min(max) } else { min };
                for _ in 0..n {
                    out.push_str(&atom);
                }
            }
        }
    }
    Some(out)
}

/// Skips `|…` alternatives up to the closing `)` of the group (or the end).
fn skip_alternatives(chars: &[char], pos: &mut usize) -> Option<()> {
    let mut depth = 0usize;
    while *pos < chars.len() {
        match chars[*pos] {
            '\\' => *pos += 1,
            '[' => {
                while *pos < chars.len() && chars[*pos] != ']' {
                    if chars[*pos] == '\\' {
                        *pos += 1;
                    }
                    *pos += 1;
                }
            }
            '(' => depth += 1,
            ')' if depth == 0 => return Some(()),
            ')' => depth -= 1,
            _ => {}
        }
        *pos += 1;
    }
    Some(())
}

fn atom(chars: &[char], pos: &mut usize, more: bool, depth: usize) -> Option<String> {
    let c = chars[*pos];
    *pos += 1;
    Some(match c {
        '(' => {
            if chars.get(*pos) == Some(&'?') {
                match chars.get(*pos + 1) {
                    Some(':') => *pos += 2,
                    Some('<') if !matches!(chars.get(*pos + 2), Some('=' | '!')) => {
                        while *pos < chars.len() && chars[*pos] != '>' {
                            *pos += 1;
                        }
                        *pos += 1;
                    }
                    _ => return None,
                }
            }
            let inner = sequence(chars, pos, more, depth + 1)?;
            if chars.get(*pos) != Some(&')') {
                return None;
            }
            *pos += 1;
            inner
        }
        '[' => class(chars, pos)?.to_string(),
        '.' => "a".to_string(),
        '\\' => escape(chars, pos)?.to_string(),
        '*' | '+' | '?' | '{' | ')' | '|' => return None,
        other => other.to_string(),
    })
}

/// The character an escape stands for (a representative of a class escape).
fn escape(chars: &[char], pos: &mut usize) -> Option<char> {
    let c = *chars.get(*pos)?;
    *pos += 1;
    Some(match c {
        'd' => '0',
        'w' | 'D' | 'S' => 'a',
        's' => ' ',
        'W' => '-',
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'u' => {
            let hex: String = chars.get(*pos..*pos + 4)?.iter().collect();
            *pos += 4;
            char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
        }
        'x' => {
            let hex: String = chars.get(*pos..*pos + 2)?.iter().collect();
            *pos += 2;
            char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
        }
        c if c.is_ascii_digit() || c == 'b' || c == 'B' || c == 'p' || c == 'P' || c == 'k' => {
            return None;
        }
        other => other,
    })
}

/// A character of a `[...]` class: its first member, or for `[^...]` a common character outside it.
fn class(chars: &[char], pos: &mut usize) -> Option<char> {
    let negated = chars.get(*pos) == Some(&'^');
    if negated {
        *pos += 1;
    }
    let mut members: Vec<(char, char)> = Vec::new();
    let mut first = true;
    while *pos < chars.len() && (chars[*pos] != ']' || first) {
        first = false;
        let lo = if chars[*pos] == '\\' {
            *pos += 1;
            let e = chars[*pos];
            let c = escape(chars, pos)?;
            if matches!(e, 'd' | 'w' | 's' | 'D' | 'W' | 'S') {
                members.push(match e {
                    'd' => ('0', '9'),
                    'w' => ('a', 'z'),
                    's' => (' ', ' '),
                    _ => (c, c),
                });
                continue;
            }
            c
        } else {
            let c = chars[*pos];
            *pos += 1;
            c
        };
        if chars.get(*pos) == Some(&'-') && chars.get(*pos + 1).is_some_and(|c| *c != ']') {
            *pos += 1;
            let hi = if chars[*pos] == '\\' {
                *pos += 1;
                escape(chars, pos)?
            } else {
                let c = chars[*pos];
                *pos += 1;
                c
            };
            members.push((lo, hi));
        } else {
            members.push((lo, lo));
        }
    }
    if chars.get(*pos) != Some(&']') {
        return None;
    }
    *pos += 1;
    if negated {
        ['a', 'A', '0', '_', '-', ' ', 'z', '~']
            .into_iter()
            .find(|c| !members.iter().any(|(lo, hi)| (lo..=hi).contains(&c)))
    } else {
        members.first().map(|(lo, _)| *lo)
    }
}

/// The repetition range of the quantifier at `pos` (none: exactly once).
fn quantifier(chars: &[char], pos: &mut usize) -> Option<(u64, u64)> {
    let range = match chars.get(*pos) {
        Some('*') => {
            *pos += 1;
            (0, u64::MAX)
        }
        Some('+') => {
            *pos += 1;
            (1, u64::MAX)
        }
        Some('?') => {
            *pos += 1;
            (0, 1)
        }
        Some('{') => {
            let close = chars[*pos..].iter().position(|c| *c == '}')? + *pos;
            let inside: String = chars[*pos + 1..close].iter().collect();
            let (lo, hi) = match inside.split_once(',') {
                Some((lo, "")) => (lo.trim().parse().ok()?, u64::MAX),
                Some((lo, hi)) => (lo.trim().parse().ok()?, hi.trim().parse().ok()?),
                None => {
                    let n = inside.trim().parse().ok()?;
                    (n, n)
                }
            };
            *pos = close + 1;
            (lo.min(1_000), hi)
        }
        _ => return Some((1, 1)),
    };
    // A lazy quantifier matches the same strings.
    if chars.get(*pos) == Some(&'?') {
        *pos += 1;
    }
    Some(range)
}

/// A number for the bounds of `parts`: inside every `minimum`/`maximum`/exclusive bound and a multiple of
/// `multipleOf`, as far as one can be found simply.
fn synth_number(parts: &[&Schema], integer: bool, salt: u64) -> Value {
    let f = |n: &Number| n.as_f64().unwrap_or(0.0);
    let mut lo: Option<(f64, bool)> = None;
    let mut hi: Option<(f64, bool)> = None;
    let tighter_lo = |cur: Option<(f64, bool)>, v: f64, exclusive: bool| match cur {
        Some((c, _)) if c > v => cur,
        Some((c, ce)) if c == v => Some((c, ce || exclusive)),
        _ => Some((v, exclusive)),
    };
    let tighter_hi = |cur: Option<(f64, bool)>, v: f64, exclusive: bool| match cur {
        Some((c, _)) if c < v => cur,
        Some((c, ce)) if c == v => Some((c, ce || exclusive)),
        _ => Some((v, exclusive)),
    };
    let mut multiple: Option<f64> = None;
    for s in parts {
        if let Some(m) = &s.minimum {
            lo = tighter_lo(lo, f(m), false);
        }
        if let Some(m) = &s.exclusive_minimum {
            lo = tighter_lo(lo, f(m), true);
        }
        if let Some(m) = &s.maximum {
            hi = tighter_hi(hi, f(m), false);
        }
        if let Some(m) = &s.exclusive_maximum {
            hi = tighter_hi(hi, f(m), true);
        }
        if let Some(m) = &s.multiple_of {
            multiple = multiple.or(Some(f(m)));
        }
    }
    let step = match multiple {
        Some(m) if m > 0.0 => m,
        _ => 1.0,
    };
    let mut v = match (lo, hi) {
        (Some((l, exclusive)), _) => {
            let mut v = l;
            if exclusive {
                v = match hi {
                    Some((h, _)) if h - l <= step => l + (h - l) / 2.0,
                    _ => l + step,
                };
            }
            v
        }
        (None, Some((h, exclusive))) if h <= 0.0 || exclusive && h <= 1.0 => {
            if exclusive {
                h - step
            } else {
                h
            }
        }
        _ => 0.0,
    };
    v += salt as f64 * step;
    if integer {
        v = v.ceil();
    }
    if let Some(m) = multiple.filter(|m| *m > 0.0) {
        let mut k = (v / m).ceil();
        // Look for a multiple that is also an integer, when an integer is wanted.
        for _ in 0..100 {
            let candidate = k * m;
            if !integer || candidate.fract() == 0.0 {
                v = candidate;
                break;
            }
            k += 1.0;
        }
    }
    number_value(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        jsonschema::validator_for(&json!({ "pattern": pattern }))
            .expect("the pattern compiles")
            .is_valid(&json!(text))
    }

    #[test]
    fn strings_from_patterns_match_them() {
        for pattern in [
            "^[a-z0-9-]+$",
            "^O[0-9]{12}$",
            r"^\d{4}-\d{2}-\d{2}$",
            "^(EUR|USD)$",
            r"^(?:[A-Z]{3})/(?<quote>[A-Z]{3})$",
            r"^[^\s@]+@[^\s@]+\.[a-z]{2,}$",
            r"^\+?[0-9 ]{6,15}$",
            r"^x-[\w.]+",
            r"^\u00e9+$",
        ] {
            for more in [false, true] {
                let text =
                    from_pattern(pattern, more).unwrap_or_else(|| panic!("{pattern}: no string"));
                assert!(matches(pattern, &text), "{pattern} does not match {text:?}");
            }
        }
        // What the subset cannot invert, it does not try.
        assert_eq!(from_pattern(r"^(a)\1$", false), None);
        assert_eq!(from_pattern("^(?=a)a$", false), None);
    }

    #[test]
    fn multiples_are_written_as_decimals() {
        let k = |text: &str| serde_json::from_str::<Number>(text).unwrap();
        let texts = |k: Number| {
            multiples(&k)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            texts(k("0.01")),
            ["0.03", "-0.02", "0.035", "0.005", "0.031"]
        );
        assert_eq!(texts(k("5")), ["15", "-10", "17.5", "2.5", "15.1", "16"]);
        assert_eq!(decimal_text(-5, 3), "-0.005");
    }

    #[test]
    fn bounds_are_offset_exactly() {
        let n = |v: Value| match v {
            Value::Number(n) => n,
            _ => unreachable!(),
        };
        assert_eq!(
            offset(&n(json!(i64::MAX)), 1),
            json!(9223372036854775808u64)
        );
        assert_eq!(offset(&n(json!(0.5)), -1), json!(-0.5));
        assert_eq!(resize("abc", 5, 'z'), "abczz");
        assert_eq!(resize("día", 2, 'z'), "dí");
    }
}
