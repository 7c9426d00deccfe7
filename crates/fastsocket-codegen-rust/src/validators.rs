//! The `validators` module: one function per schema that checks a JSON value against every keyword of the schema
//! and records each violation with the JSON pointer of the failing value.
//!
//! Validation runs on the JSON as received, so paths are in wire names and every error of a payload is collected
//! (serde stops at the first). The functions mirror JSON Schema draft-07 keyword by keyword; `fastsocket`'s
//! `Checker` holds the keyword semantics.

use std::cell::RefCell;
use std::collections::BTreeMap;

use fastsocket_ir::{JsonType, Schema, TypeBody, TypeId};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::{Number, Value};

use crate::kinds::{Kind, TypeMap};

/// Statics shared by the validators (compiled patterns, enum and const values), deduplicated by content.
#[derive(Default)]
struct Statics {
    patterns: BTreeMap<String, usize>,
    values: BTreeMap<String, usize>,
}

/// Emits the validator of every reachable schema, in id order.
pub fn validators(map: &TypeMap<'_>) -> (TokenStream, Vec<String>) {
    let statics = RefCell::new(Statics::default());
    let mut warnings = Vec::new();
    // Validators of schemas that reach themselves without descending into the value would call each other on
    // the same value for ever: they run under `Checker::cycle_guard`.
    let cyclic = map.types.in_place_cycles();
    // Identical leaf schemas share one validator: emit each name once, from the first reachable schema using it.
    let mut emitted = std::collections::HashSet::new();
    let functions: Vec<TokenStream> = map
        .types
        .iter()
        .filter(|t| map.is_reachable(t.id) && emitted.insert(map.validator(t.id).to_string()))
        .map(|t| function(map, t.id, cyclic.contains(&t.id), &statics, &mut warnings))
        .collect();
    let statics = statics.into_inner();
    let patterns = statics.patterns.iter().map(|(source, n)| {
        let ident = format_ident!("PATTERN_{}", n);
        quote!(static #ident: ::fastsocket::Pattern = ::fastsocket::Pattern::new(#source);)
    });
    let values = statics.values.iter().map(|(json, n)| {
        let ident = format_ident!("VALUE_{}", n);
        quote! {
            static #ident: ::std::sync::LazyLock<::serde_json::Value> =
                ::std::sync::LazyLock::new(|| ::serde_json::from_str(#json).unwrap_or_default());
        }
    });
    let tokens = quote! {
        //! Validators: one function per schema, checking a JSON value against every keyword of that schema.
        // Each keyword is its own statement, as in the schema; merging them into let-chains would hide that.
        #![allow(clippy::collapsible_if, clippy::too_many_lines, clippy::cognitive_complexity)]

        #(#patterns)*
        #(#values)*
        #(#functions)*
    };
    (tokens, warnings)
}

fn pattern(statics: &RefCell<Statics>, source: &str) -> TokenStream {
    let mut s = statics.borrow_mut();
    let next = s.patterns.len();
    let n = *s.patterns.entry(source.to_string()).or_insert(next);
    let ident = format_ident!("PATTERN_{}", n);
    quote!(#ident)
}

fn value(statics: &RefCell<Statics>, json: &Value) -> TokenStream {
    let text = json.to_string();
    let mut s = statics.borrow_mut();
    let next = s.values.len();
    let n = *s.values.entry(text).or_insert(next);
    let ident = format_ident!("VALUE_{}", n);
    quote!(#ident)
}

fn float(n: f64) -> Literal {
    Literal::f64_unsuffixed(n)
}

fn number(n: &Number) -> Literal {
    float(n.as_f64().unwrap_or(0.0))
}

fn json_type(t: JsonType) -> TokenStream {
    match t {
        JsonType::Null => quote!(::fastsocket::JsonType::Null),
        JsonType::Boolean => quote!(::fastsocket::JsonType::Boolean),
        JsonType::Integer => quote!(::fastsocket::JsonType::Integer),
        JsonType::Number => quote!(::fastsocket::JsonType::Number),
        JsonType::String => quote!(::fastsocket::JsonType::String),
        JsonType::Array => quote!(::fastsocket::JsonType::Array),
        JsonType::Object => quote!(::fastsocket::JsonType::Object),
    }
}

fn call(map: &TypeMap<'_>, id: TypeId, value: TokenStream, checker: TokenStream) -> TokenStream {
    let f = format_ident!("{}", map.validator(id));
    quote!(#f(#value, #checker))
}

fn function(
    map: &TypeMap<'_>,
    id: TypeId,
    cyclic: bool,
    statics: &RefCell<Statics>,
    warnings: &mut Vec<String>,
) -> TokenStream {
    let def = map.types.get(id);
    let name = format_ident!("{}", map.validator(id));
    let doc = format!(
        " Checks a value against the schema `{}` ({}).",
        def.name, def.origin
    );
    let body = match &def.body {
        TypeBody::Bool { value: true } | TypeBody::Opaque { .. } => TokenStream::new(),
        TypeBody::Bool { value: false } => quote!(checker.fail("no value is allowed here");),
        TypeBody::Schema(schema) => schema_body(map, id, schema, statics, warnings),
    };
    let body = if cyclic {
        let n = Literal::u32_unsuffixed(id.0);
        quote! {
            // This schema reaches itself without descending into the value: once per value is enough.
            checker.cycle_guard(#n, value, |checker| {
                #body
            });
        }
    } else {
        body
    };
    let uses = |name: &str| body.clone().into_iter().any(|t| mentions(&t, name));
    let value_param = if uses("value") {
        quote!(value)
    } else {
        quote!(_value)
    };
    let checker_param = if uses("checker") {
        quote!(checker)
    } else {
        quote!(_checker)
    };
    quote! {
        #[doc = #doc]
        pub fn #name(#value_param: &::serde_json::Value, #checker_param: &mut ::fastsocket::Checker) {
            #body
        }
    }
}

/// Whether a token tree mentions an identifier (so unused parameters can be named `_x`).
fn mentions(tree: &proc_macro2::TokenTree, name: &str) -> bool {
    match tree {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => g.stream().into_iter().any(|t| mentions(&t, name)),
        _ => false,
    }
}

fn schema_body(
    map: &TypeMap<'_>,
    id: TypeId,
    s: &Schema,
    statics: &RefCell<Statics>,
    warnings: &mut Vec<String>,
) -> TokenStream {
    let mut types: Vec<JsonType> = s.types.clone();
    if s.nullable && !types.is_empty() && !types.contains(&JsonType::Null) {
        types.push(JsonType::Null);
    }
    let rest = keywords(map, id, s, statics, warnings);
    if types.is_empty() {
        if s.nullable && !rest.is_empty() {
            // OpenAPI's `nullable` without `type`: `null`, or a value the other keywords accept (as
            // `fastsocket_ir::json_schema` writes it, `anyOf: [schema, {type: null}]`).
            return quote! {
                if value.is_null() {
                    return;
                }
                #rest
            };
        }
        return rest;
    }
    let list = types.iter().map(|t| json_type(*t));
    if rest.is_empty() {
        return quote!(checker.expect_types(value, &[#(#list),*]););
    }
    // A value of the wrong type makes every other keyword moot: one violation says it all.
    quote! {
        if !checker.expect_types(value, &[#(#list),*]) {
            return;
        }
        #rest
    }
}

/// Every keyword but `type`.
fn keywords(
    map: &TypeMap<'_>,
    id: TypeId,
    s: &Schema,
    statics: &RefCell<Statics>,
    warnings: &mut Vec<String>,
) -> TokenStream {
    let mut out = TokenStream::new();
    if let Some(values) = &s.enum_values {
        // OpenAPI 3.0.3: `nullable` does not add `null` to an `enum`; it must be listed to be allowed.
        let v = value(statics, &Value::Array(values.clone()));
        out.extend(quote! {
            if let ::serde_json::Value::Array(allowed) = &*#v {
                checker.enum_values(value, allowed);
            }
        });
    }
    if let Some(c) = &s.const_value {
        let v = value(statics, c);
        out.extend(quote!(checker.const_value(value, &#v);));
    }
    out.extend(string_keywords(s, statics, warnings));
    out.extend(number_keywords(s));
    out.extend(array_keywords(map, s));
    out.extend(object_keywords(map, s, statics));
    out.extend(dependencies(s, statics, warnings));
    out.extend(composition(map, id, s));
    out
}

fn string_keywords(
    s: &Schema,
    statics: &RefCell<Statics>,
    warnings: &mut Vec<String>,
) -> TokenStream {
    let mut checks = TokenStream::new();
    if let Some(n) = s.min_length {
        let n = Literal::u64_unsuffixed(n);
        checks.extend(quote!(checker.min_length(text, #n);));
    }
    if let Some(n) = s.max_length {
        let n = Literal::u64_unsuffixed(n);
        checks.extend(quote!(checker.max_length(text, #n);));
    }
    if let Some(p) = &s.pattern {
        // The generated code compiles patterns with the runtime's translator: ask it now, so the user hears of a
        // pattern it cannot take at generation time rather than from a refused message.
        if let Some(err) = fastsocket::Pattern::compile_error(p) {
            warnings.push(format!(
                "pattern `{p}` cannot be compiled ({err}); values are reported as not matching"
            ));
        }
        let ident = pattern(statics, p);
        checks.extend(quote!(checker.pattern(text, &#ident);));
    }
    if let Some(f) = &s.format {
        checks.extend(quote!(checker.format(text, #f);));
    }
    when_value_is(quote!(String(text)), checks)
}

fn number_keywords(s: &Schema) -> TokenStream {
    let mut checks = TokenStream::new();
    let bounds = [
        (&s.minimum, "minimum"),
        (&s.maximum, "maximum"),
        (&s.exclusive_minimum, "exclusive_minimum"),
        (&s.exclusive_maximum, "exclusive_maximum"),
        (&s.multiple_of, "multiple_of"),
    ];
    for (bound, keyword) in bounds {
        if let Some(n) = bound {
            // An integer bound an `f64` cannot hold is compared exactly, as `jsonschema` does.
            let exact = n
                .as_i64()
                .map(i128::from)
                .or(n.as_u64().map(i128::from))
                .filter(|b| b.unsigned_abs() > 1 << 53 && keyword != "multiple_of");
            if let Some(b) = exact {
                let method = format_ident!("{}_integer", keyword);
                let b = Literal::i128_unsuffixed(b);
                checks.extend(quote!(checker.#method(number, #b);));
                continue;
            }
            let method = format_ident!("{}", keyword);
            let b = number(n);
            checks.extend(quote!(checker.#method(number, #b);));
        }
    }
    if let Some(f) = s
        .format
        .as_deref()
        .filter(|f| matches!(*f, "int32" | "int64" | "float" | "double"))
    {
        checks.extend(quote!(checker.number_format(number, #f);));
    }
    when_value_is(quote!(Number(number)), checks)
}

fn array_keywords(map: &TypeMap<'_>, s: &Schema) -> TokenStream {
    let mut checks = TokenStream::new();
    if let Some(n) = s.min_items {
        let n = Literal::u64_unsuffixed(n);
        checks.extend(quote!(checker.min_items(items, #n);));
    }
    if let Some(n) = s.max_items {
        let n = Literal::u64_unsuffixed(n);
        checks.extend(quote!(checker.max_items(items, #n);));
    }
    if s.unique_items {
        checks.extend(quote!(checker.unique_items(items);));
    }
    let rest = s
        .items
        .map(|item| call(map, item, quote!(item), quote!(checker)));
    if !s.prefix_items.is_empty() {
        // Positions checked by the same validator share one branch (identical branches are a clippy error), and
        // positions checked like the items after them need none.
        let mut groups: Vec<(&str, TypeId, Vec<usize>)> = Vec::new();
        for (i, t) in s.prefix_items.iter().enumerate() {
            let name = map.validator(*t);
            if s.items.is_some_and(|r| map.validator(r) == name) {
                continue;
            }
            match groups.iter_mut().find(|(n, _, _)| *n == name) {
                Some((_, _, positions)) => positions.push(i),
                None => groups.push((name, *t, vec![i])),
            }
        }
        let positional = groups.iter().map(|(_, t, positions)| {
            let check = call(map, *t, quote!(item), quote!(checker));
            let positions = positions.iter().map(|i| Literal::usize_unsuffixed(*i));
            quote!(if #(index == #positions)||* { #check; })
        });
        let rest = match (groups.is_empty(), rest) {
            (true, Some(r)) => Some(quote!(#r;)),
            (false, Some(r)) => Some(quote!(else { #r; })),
            (_, None) => None,
        };
        checks.extend(quote! {
            for (index, item) in items.iter().enumerate() {
                checker.enter_index(index);
                #(#positional)else* #rest
                checker.leave();
            }
        });
    } else if let Some(rest) = rest {
        checks.extend(quote! {
            for (index, item) in items.iter().enumerate() {
                checker.enter_index(index);
                #rest;
                checker.leave();
            }
        });
    }
    if let Some(contains) = s.contains {
        let check = call(map, contains, quote!(item), quote!(branch));
        checks.extend(quote! {
            if !items.iter().any(|item| checker.branch(|branch| #check)) {
                checker.fail("must contain at least one item that matches the `contains` schema");
            }
        });
    }
    when_value_is(quote!(Array(items)), checks)
}

fn object_keywords(map: &TypeMap<'_>, s: &Schema, statics: &RefCell<Statics>) -> TokenStream {
    let mut checks = TokenStream::new();
    if !s.required.is_empty() {
        let names = s.required.iter();
        checks.extend(quote!(checker.required(object, &[#(#names),*]);));
    }
    if let Some(n) = s.min_properties {
        let n = Literal::u64_unsuffixed(n);
        checks.extend(quote!(checker.min_properties(object, #n);));
    }
    if let Some(n) = s.max_properties {
        let n = Literal::u64_unsuffixed(n);
        checks.extend(quote!(checker.max_properties(object, #n);));
    }
    for p in &s.properties {
        let name = &p.name;
        let check = call(map, p.ty, quote!(item), quote!(checker));
        checks.extend(quote! {
            if let ::std::option::Option::Some(item) = object.get(#name) {
                checker.enter(#name);
                #check;
                checker.leave();
            }
        });
    }
    let additional = s
        .additional_properties
        .filter(|a| !is_trivially_true(map, *a));
    if !s.pattern_properties.is_empty() || additional.is_some() || s.property_names.is_some() {
        let mut per_key = TokenStream::new();
        let declared: Vec<&str> = s.properties.iter().map(|p| p.name.as_str()).collect();
        let forbidden = additional
            .is_some_and(|a| matches!(map.types.get(a).body, TypeBody::Bool { value: false }));
        let has_patterns = !s.pattern_properties.is_empty();
        // `matched` is only needed when patterns and `additionalProperties` both decide about a key.
        if additional.is_some() && has_patterns {
            per_key.extend(if declared.is_empty() {
                quote!(let mut matched = false;)
            } else {
                quote!(let mut matched = matches!(key.as_str(), #(#declared)|*);)
            });
        }
        for pp in &s.pattern_properties {
            let ident = pattern(statics, &pp.pattern);
            let check = call(map, pp.ty, quote!(item), quote!(checker));
            let mark = additional.is_some().then(|| quote!(matched = true;));
            per_key.extend(quote! {
                if #ident.is_match(key) {
                    #mark
                    checker.enter(key);
                    #check;
                    checker.leave();
                }
            });
        }
        if let Some(a) = additional {
            let check = if forbidden {
                quote!(checker.fail("is not allowed: the schema does not declare this property"))
            } else {
                call(map, a, quote!(item), quote!(checker))
            };
            let condition = if has_patterns {
                quote!(!matched)
            } else if declared.is_empty() {
                quote!(true)
            } else {
                quote!(!matches!(key.as_str(), #(#declared)|*))
            };
            let body = quote! {
                checker.enter(key);
                #check;
                checker.leave();
            };
            per_key.extend(if declared.is_empty() && !has_patterns {
                body
            } else {
                quote!(if #condition { #body })
            });
        }
        if let Some(names) = s.property_names {
            let check = call(map, names, quote!(&name), quote!(checker));
            per_key.extend(quote! {
                let name = ::serde_json::Value::String(key.clone());
                checker.enter(key);
                #check;
                checker.leave();
            });
        }
        let uses_item = has_patterns || (additional.is_some() && !forbidden);
        let uses_key = has_patterns || additional.is_some() || s.property_names.is_some();
        let item_binding = if uses_item {
            quote!(item)
        } else {
            quote!(_item)
        };
        let key_binding = if uses_key { quote!(key) } else { quote!(_key) };
        checks.extend(quote! {
            for (#key_binding, #item_binding) in object {
                #per_key
            }
        });
    }
    when_value_is(quote!(Object(object)), checks)
}

/// `checks` guarded by the value's JSON type: each keyword applies to values of one type only.
fn when_value_is(variant: TokenStream, checks: TokenStream) -> TokenStream {
    if checks.is_empty() {
        return checks;
    }
    quote! {
        if let ::serde_json::Value::#variant = value {
            #checks
        }
    }
}

/// Draft-07 `dependencies` (kept as written in the schema's extensions): when the object has the property, a
/// list names properties it must have too, `false` refuses the object, and a schema must hold for the object. The
/// same entries as `fastsocket_ir::json_schema` writes back are checked (a schema holding a `$ref` is left out
/// there, and here). Schemas are checked for the keywords that need no subschema (`type`, `required`, `enum`,
/// `const`, `minProperties`, `maxProperties`); anything else in them is a generation warning.
fn dependencies(s: &Schema, statics: &RefCell<Statics>, warnings: &mut Vec<String>) -> TokenStream {
    let Some(Value::Object(entries)) = s.extensions.get("dependencies") else {
        return TokenStream::new();
    };
    let mut checks = TokenStream::new();
    for (name, entry) in entries {
        let check = match entry {
            Value::Array(names) if names.iter().all(Value::is_string) => {
                let names = names.iter().filter_map(Value::as_str);
                quote!(checker.required(object, &[#(#names),*]);)
            }
            Value::Bool(false) => {
                let message = format!("is not allowed: the schema forbids objects with `{name}`");
                quote!(checker.fail(#message);)
            }
            Value::Object(schema) if !mentions_ref(entry) => {
                dependent_schema(name, schema, statics, warnings)
            }
            _ => continue,
        };
        if check.is_empty() {
            continue;
        }
        checks.extend(quote! {
            if object.contains_key(#name) {
                #check
            }
        });
    }
    when_value_is(quote!(Object(object)), checks)
}

/// The checks of a `dependencies` schema on the object (see [`dependencies`]).
fn dependent_schema(
    name: &str,
    schema: &serde_json::Map<String, Value>,
    statics: &RefCell<Statics>,
    warnings: &mut Vec<String>,
) -> TokenStream {
    let mut checks = TokenStream::new();
    for (keyword, v) in schema {
        match (keyword.as_str(), v) {
            ("type", _) => {
                let names: Vec<&str> = match v {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                let types = names.into_iter().filter_map(JsonType::parse).map(json_type);
                checks.extend(quote!(checker.expect_types(value, &[#(#types),*]);));
            }
            ("required", Value::Array(names)) => {
                let names = names.iter().filter_map(Value::as_str);
                checks.extend(quote!(checker.required(object, &[#(#names),*]);));
            }
            ("enum", Value::Array(_)) => {
                let v = value(statics, v);
                checks.extend(quote! {
                    if let ::serde_json::Value::Array(allowed) = &*#v {
                        checker.enum_values(value, allowed);
                    }
                });
            }
            ("const", _) => {
                let v = value(statics, v);
                checks.extend(quote!(checker.const_value(value, &#v);));
            }
            ("minProperties" | "maxProperties", Value::Number(n)) if n.is_u64() => {
                let method = if keyword == "minProperties" {
                    quote!(min_properties)
                } else {
                    quote!(max_properties)
                };
                let n = Literal::u64_unsuffixed(n.as_u64().unwrap_or_default());
                checks.extend(quote!(checker.#method(object, #n);));
            }
            // Annotations, and keywords draft-07 does not define (which it ignores too).
            (
                "$id" | "$schema" | "$comment" | "title" | "description" | "default" | "examples"
                | "readOnly" | "writeOnly" | "deprecated" | "definitions" | "format",
                _,
            ) => {}
            (other, _) if !ASSERTING.contains(&other) => {}
            (other, _) => warnings.push(format!(
                "`dependencies` of `{name}`: `{other}` is not checked by the generated validator"
            )),
        }
    }
    checks
}

/// Draft-07 keywords that can make a value invalid.
const ASSERTING: &[&str] = &[
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "items",
    "additionalItems",
    "maxItems",
    "minItems",
    "uniqueItems",
    "contains",
    "maxProperties",
    "minProperties",
    "required",
    "properties",
    "patternProperties",
    "additionalProperties",
    "dependencies",
    "propertyNames",
    "if",
    "then",
    "else",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
];

fn mentions_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("$ref") || m.values().any(mentions_ref),
        Value::Array(items) => items.iter().any(mentions_ref),
        _ => false,
    }
}

fn is_trivially_true(map: &TypeMap<'_>, id: TypeId) -> bool {
    match &map.types.get(id).body {
        TypeBody::Bool { value } => *value,
        TypeBody::Schema(s) => **s == Schema::default(),
        TypeBody::Opaque { .. } => true,
    }
}

fn composition(map: &TypeMap<'_>, id: TypeId, s: &Schema) -> TokenStream {
    let mut out = TokenStream::new();
    for part in &s.all_of {
        let check = call(map, *part, quote!(value), quote!(checker));
        out.extend(quote!(#check;));
    }
    if !s.any_of.is_empty() {
        let branches = s.any_of.iter().map(|t| {
            let check = call(map, *t, quote!(value), quote!(branch));
            quote!(checker.branch(|branch| #check))
        });
        let message = format!(
            "must match at least one of the {} alternatives (anyOf)",
            s.any_of.len()
        );
        out.extend(quote! {
            if !(#(#branches)||*) {
                checker.fail(#message);
            }
        });
    }
    if !s.one_of.is_empty() {
        let n = s.one_of.len();
        let branches = s.one_of.iter().map(|t| {
            let check = call(map, *t, quote!(value), quote!(branch));
            quote!(checker.branch(|branch| #check))
        });
        // With a discriminator the sender said which alternative it meant: its own errors are the useful ones.
        let precise = tag_dispatch(map, id, s);
        out.extend(quote! {
            let matches = [#(#branches),*];
            let matched = matches.iter().filter(|m| **m).count();
            if matched != 1 {
                #precise
                checker.fail(::std::format!(
                    "must match exactly one of the {} alternatives (oneOf), matches {}",
                    #n,
                    matched
                ));
            }
        });
    }
    if let Some(not) = s.not {
        let check = call(map, not, quote!(value), quote!(branch));
        out.extend(quote! {
            if checker.branch(|branch| #check) {
                checker.fail("must not match the schema under `not`");
            }
        });
    }
    if let Some(cond) = s.if_schema {
        let test = call(map, cond, quote!(value), quote!(branch));
        let then = s
            .then_schema
            .map(|t| call(map, t, quote!(value), quote!(checker)));
        let otherwise = s
            .else_schema
            .map(|t| call(map, t, quote!(value), quote!(checker)));
        if then.is_some() || otherwise.is_some() {
            let then = then.map(|t| quote!(#t;)).unwrap_or_default();
            let otherwise = otherwise.map(|t| quote!(#t;)).unwrap_or_default();
            out.extend(quote! {
                if checker.branch(|branch| #test) {
                    #then
                } else {
                    #otherwise
                }
            });
        }
    }
    out
}

/// For a `oneOf` with a discriminator, the validator of the alternative the tag names, run for its violations.
fn tag_dispatch(map: &TypeMap<'_>, id: TypeId, s: &Schema) -> TokenStream {
    let Kind::Union(def) = map.kind(id) else {
        return TokenStream::new();
    };
    let Some((property, values)) = &def.discriminator else {
        return TokenStream::new();
    };
    if values.is_empty() || s.one_of.len() != def.variants.len() {
        return TokenStream::new();
    }
    let arms = values.iter().map(|(value, index)| {
        let check = call(map, def.variants[*index].1, quote!(value), quote!(checker));
        quote!(if tag == #value { #check; })
    });
    quote! {
        if let ::std::option::Option::Some(tag) = value.get(#property).and_then(::serde_json::Value::as_str) {
            #(#arms)*
        }
    }
}
