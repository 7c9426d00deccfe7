//! No generated module declares an item twice, whatever the schema names are: every generated Rust file of our
//! specs, of randomly generated documents (names that collide after case conversion, keywords, digits, unicode,
//! empty names) and, with `FASTSOCKET_NAMES_CORPUS=DIR`, of every document in a folder is parsed with `syn` and
//! its item names are counted per module (and fields, variants and methods per item). A few of the random documents
//! are compiled (`cargo check` with the workspace's lock file, so no version is resolved anew).
//! `FASTSOCKET_NAMES_CASES=N` sets how many random documents (default 500, a few thousand schemas);
//! `FASTSOCKET_NAMES_DEBUG=1` prints why the random documents that do not load were refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fastsocket_spec::{Input, LoadOptions, load};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::{Output, RuntimeDependency, RustOptions, generate};

fn options(server: bool) -> RustOptions {
    RustOptions {
        crate_name: "names-check".into(),
        runtime: RuntimeDependency::Path(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../fastsocket")
                .display()
                .to_string(),
        ),
        server,
        mapping: None,
        ..RustOptions::default()
    }
}

/// Every name declared twice in one scope of a generated crate, as `file: scope: name`.
fn duplicates(output: &Output) -> Vec<String> {
    let mut found = Vec::new();
    for file in output.files.iter().filter(|f| f.path.ends_with(".rs")) {
        let parsed = match syn::parse_file(&file.contents) {
            Ok(parsed) => parsed,
            Err(e) => {
                found.push(format!("{}: does not parse: {e}", file.path));
                continue;
            }
        };
        module_duplicates(&format!("{}: ", file.path), &parsed.items, &mut found);
    }
    found
}

/// Counts names in a scope; Rust keeps types and values apart (`struct S {..}` and `fn S()` may coexist).
#[derive(Default)]
struct Scope(BTreeMap<(&'static str, String), usize>);

impl Scope {
    fn add(&mut self, namespace: &'static str, name: String) {
        *self.0.entry((namespace, name)).or_default() += 1;
    }

    fn report(self, scope: &str, found: &mut Vec<String>) {
        for ((namespace, name), count) in self.0 {
            if count > 1 {
                found.push(format!(
                    "{scope}{namespace} `{name}` declared {count} times"
                ));
            }
        }
    }
}

fn module_duplicates(scope: &str, items: &[syn::Item], found: &mut Vec<String>) {
    let mut names = Scope::default();
    let mut inherent: BTreeMap<String, Scope> = BTreeMap::new();
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                names.add("type", s.ident.to_string());
                if !matches!(s.fields, syn::Fields::Named(_)) {
                    names.add("value", s.ident.to_string());
                }
                let mut fields = Scope::default();
                for field in s.fields.iter().filter_map(|f| f.ident.as_ref()) {
                    fields.add("field", field.to_string());
                }
                fields.report(&format!("{scope}struct {}: ", s.ident), found);
            }
            syn::Item::Enum(e) => {
                names.add("type", e.ident.to_string());
                let mut variants = Scope::default();
                for v in &e.variants {
                    variants.add("variant", v.ident.to_string());
                    let mut fields = Scope::default();
                    for field in v.fields.iter().filter_map(|f| f.ident.as_ref()) {
                        fields.add("field", field.to_string());
                    }
                    fields.report(&format!("{scope}{}::{}: ", e.ident, v.ident), found);
                }
                variants.report(&format!("{scope}enum {}: ", e.ident), found);
            }
            syn::Item::Union(u) => names.add("type", u.ident.to_string()),
            syn::Item::Type(t) => names.add("type", t.ident.to_string()),
            syn::Item::Trait(t) => {
                names.add("type", t.ident.to_string());
                let mut members = Scope::default();
                for member in &t.items {
                    match member {
                        syn::TraitItem::Fn(f) => members.add("value", f.sig.ident.to_string()),
                        syn::TraitItem::Const(c) => members.add("value", c.ident.to_string()),
                        syn::TraitItem::Type(t) => members.add("type", t.ident.to_string()),
                        _ => {}
                    }
                }
                members.report(&format!("{scope}trait {}: ", t.ident), found);
            }
            syn::Item::Fn(f) => names.add("value", f.sig.ident.to_string()),
            syn::Item::Const(c) => names.add("value", c.ident.to_string()),
            syn::Item::Static(s) => names.add("value", s.ident.to_string()),
            syn::Item::Mod(m) => {
                names.add("type", m.ident.to_string());
                if let Some((_, items)) = &m.content {
                    module_duplicates(&format!("{scope}mod {}: ", m.ident), items, found);
                }
            }
            syn::Item::Use(u) => {
                let mut leaves = Vec::new();
                use_leaves(&u.tree, &mut leaves);
                for leaf in leaves {
                    names.add("type", leaf.clone());
                    names.add("value", leaf);
                }
            }
            syn::Item::Impl(i) => {
                let mut members = Scope::default();
                for member in &i.items {
                    match member {
                        syn::ImplItem::Fn(f) => members.add("value", f.sig.ident.to_string()),
                        syn::ImplItem::Const(c) => members.add("value", c.ident.to_string()),
                        syn::ImplItem::Type(t) => members.add("type", t.ident.to_string()),
                        _ => {}
                    }
                }
                let self_ty = quote::ToTokens::to_token_stream(&i.self_ty).to_string();
                match &i.trait_ {
                    // Inherent impls of one type share a scope.
                    None => {
                        let all = inherent.entry(self_ty).or_default();
                        for (key, count) in members.0 {
                            *all.0.entry(key).or_default() += count;
                        }
                    }
                    Some((path, _)) => {
                        let path = quote::ToTokens::to_token_stream(path).to_string();
                        members.report(&format!("{scope}impl {path} for {self_ty}: "), found);
                    }
                }
            }
            _ => {}
        }
    }
    names.report(scope, found);
    for (self_ty, members) in inherent {
        members.report(&format!("{scope}impl {self_ty}: "), found);
    }
}

fn use_leaves(tree: &syn::UseTree, out: &mut Vec<String>) {
    match tree {
        syn::UseTree::Path(p) => use_leaves(&p.tree, out),
        syn::UseTree::Name(n) if n.ident != "self" => out.push(n.ident.to_string()),
        syn::UseTree::Name(_) | syn::UseTree::Glob(_) => {}
        syn::UseTree::Rename(r) => out.push(r.rename.to_string()),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_leaves(t, out)),
    }
}

fn load_text(text: &str) -> Option<fastsocket_ir::Api> {
    load(
        &Input::Text {
            name: "random.json".into(),
            text: text.into(),
        },
        &LoadOptions::default(),
    )
    .ok()
    .map(|loaded| loaded.api)
}

/// Names that collide after case conversion, keywords, names of items the emitter declares itself, digits,
/// separators, unicode and the empty name.
const NASTY: &[&str] = &[
    "a",
    "b",
    "a_b",
    "AB",
    "aB",
    "b_c",
    "a-b",
    "a b",
    "A.B",
    "order_id",
    "orderId",
    "OrderId",
    "order-id",
    "type",
    "Type",
    "self",
    "Self",
    "super",
    "crate",
    "fn",
    "match",
    "default",
    "Default",
    "validate",
    "Validate",
    "fits",
    "Fits",
    "value",
    "Value",
    "checker",
    "Option",
    "Result",
    "String",
    "Box",
    "Vec",
    "models",
    "validators",
    "server",
    "additional_properties",
    "additionalProperties",
    "1",
    "1a",
    "_1",
    "2nd",
    "_",
    "__",
    "",
    "🚀",
    "ünïcode",
    "Ünïcode",
    "日本",
    "x\ty",
    "Handlers",
    "Emitter",
    "Context",
    "Params",
    "kind",
];

/// Component names: AsyncAPI restricts them to `[A-Za-z0-9._-]`.
const COMPONENT: &[&str] = &[
    "a",
    "b",
    "a_b",
    "AB",
    "aB",
    "b_c",
    "a-b",
    "A.B",
    "order_id",
    "orderId",
    "OrderId",
    "order-id",
    "type",
    "Type",
    "self",
    "Self",
    "default",
    "Default",
    "Validate",
    "Fits",
    "Value",
    "Option",
    "Result",
    "String",
    "1",
    "1a",
    "_1",
    "_",
    "Handlers",
    "RootHandlers",
    "Kind",
];

fn name() -> BoxedStrategy<String> {
    prop_oneof![
        4 => prop::sample::select(NASTY).prop_map(str::to_string),
        1 => "[a-zA-Z0-9_ \\-]{0,6}",
        1 => "\\PC{0,4}",
    ]
    .boxed()
}

/// An object's properties: (name, schema, required).
type Props = Vec<(String, S, bool)>;

/// A schema with references as indexes into the component list, resolved when the document is assembled.
#[derive(Debug, Clone)]
enum S {
    Str,
    Int(Option<i64>),
    Bool(Option<bool>),
    StrDefault(String),
    Enum(Vec<String>),
    Ref(usize),
    Obj(Props, bool),
    Arr(Box<S>),
    OneOf(Vec<S>),
    Nullable(Box<S>),
    /// `oneOf` of objects that each fix `tag` to a distinct constant.
    Tagged(String, Vec<(String, Props)>, bool),
}

fn schema() -> impl Strategy<Value = S> {
    let leaf = prop_oneof![
        Just(S::Str),
        prop::option::of(-5i64..5).prop_map(S::Int),
        prop::option::of(any::<bool>()).prop_map(S::Bool),
        name().prop_map(S::StrDefault),
        prop::collection::vec(name(), 1..5).prop_map(S::Enum),
        (0usize..16).prop_map(S::Ref),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        let props = prop::collection::vec((name(), inner.clone(), any::<bool>()), 0..5);
        prop_oneof![
            3 => (props.clone(), any::<bool>()).prop_map(|(p, closed)| S::Obj(p, closed)),
            1 => inner.clone().prop_map(|s| S::Arr(Box::new(s))),
            1 => prop::collection::vec(inner.clone(), 1..4).prop_map(S::OneOf),
            1 => inner.clone().prop_map(|s| S::Nullable(Box::new(s))),
            1 => (name(), prop::collection::vec((name(), props), 1..4), any::<bool>())
                .prop_map(|(tag, branches, disc)| S::Tagged(tag, branches, disc)),
        ]
    })
}

fn object(props: &[(String, S, bool)], components: &[String]) -> Value {
    let properties: serde_json::Map<String, Value> = props
        .iter()
        .map(|(k, s, _)| (k.clone(), to_json(s, components)))
        .collect();
    let required: std::collections::BTreeSet<&String> = props
        .iter()
        .filter(|(_, _, r)| *r)
        .map(|(k, _, _)| k)
        .collect();
    json!({"type": "object", "properties": properties, "required": required})
}

fn to_json(s: &S, components: &[String]) -> Value {
    match s {
        S::Str => json!({"type": "string"}),
        S::Int(None) => json!({"type": "integer"}),
        S::Int(Some(d)) => json!({"type": "integer", "default": d}),
        S::Bool(None) => json!({"type": "boolean"}),
        S::Bool(Some(d)) => json!({"type": "boolean", "default": d}),
        S::StrDefault(d) => json!({"type": "string", "default": d}),
        S::Enum(values) => {
            let mut seen = std::collections::BTreeSet::new();
            let values: Vec<&String> = values.iter().filter(|v| seen.insert(*v)).collect();
            json!({"type": "string", "enum": values, "default": values[0]})
        }
        S::Ref(i) => {
            json!({"$ref": format!("#/components/schemas/{}", components[i % components.len()])})
        }
        S::Obj(props, closed) => {
            let mut o = object(props, components);
            if *closed {
                o["additionalProperties"] = json!(false);
            }
            o
        }
        S::Arr(item) => json!({"type": "array", "items": to_json(item, components)}),
        S::OneOf(branches) => {
            json!({"oneOf": branches.iter().map(|b| to_json(b, components)).collect::<Vec<_>>()})
        }
        S::Nullable(inner) => json!({"oneOf": [to_json(inner, components), {"type": "null"}]}),
        S::Tagged(tag, branches, discriminator) => {
            let mut seen = std::collections::BTreeSet::new();
            let branches: Vec<Value> = branches
                .iter()
                .enumerate()
                .map(|(i, (value, props))| {
                    let value = if seen.insert(value.clone()) {
                        value.clone()
                    } else {
                        format!("{value}{i}")
                    };
                    seen.insert(value.clone());
                    let props: Vec<_> =
                        props.iter().filter(|(k, _, _)| k != tag).cloned().collect();
                    let mut o = object(&props, components);
                    o["properties"][tag] = json!({"type": "string", "const": value});
                    if !props.iter().any(|(k, _, r)| k == tag && *r) {
                        o["required"].as_array_mut().unwrap().push(json!(tag));
                    }
                    o
                })
                .collect();
            let mut o = json!({"oneOf": branches});
            if *discriminator {
                o["discriminator"] = json!(tag);
            }
            o
        }
    }
}

/// A document: components with the given names, and channels whose messages carry the schemas.
fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((prop::sample::select(COMPONENT), schema()), 1..6),
        prop::collection::vec((name(), name(), schema(), any::<bool>()), 1..5),
    )
        .prop_map(|(components, channels)| {
            let names: Vec<String> = components.iter().map(|(n, _)| n.to_string()).collect();
            let schemas: serde_json::Map<String, Value> = components
                .iter()
                .map(|(n, s)| (n.to_string(), to_json(s, &names)))
                .collect();
            let mut chans = serde_json::Map::new();
            let mut ops = serde_json::Map::new();
            for (i, (address, message, payload, send)) in channels.iter().enumerate() {
                chans.insert(
                    format!("c{i}"),
                    json!({"address": format!("/{address}"), "messages": {"m": {"name": message, "payload": to_json(payload, &names)}}}),
                );
                ops.insert(
                    format!("o{i}"),
                    json!({"action": if *send { "send" } else { "receive" }, "channel": {"$ref": format!("#/channels/c{i}")}}),
                );
            }
            json!({
                "asyncapi": "3.0.0",
                "info": {"title": "Names", "version": "1"},
                "channels": chans,
                "operations": ops,
                "components": {"schemas": schemas},
            })
            .to_string()
        })
}

fn spec_paths(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            spec_paths(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

/// Generates (server and models only) for every document that loads under `dir` and reports duplicates.
fn check_folder(dir: &Path) -> (usize, Vec<String>) {
    let mut paths = Vec::new();
    spec_paths(dir, &mut paths);
    paths.sort();
    let mut checked = 0;
    let mut found = Vec::new();
    for path in paths {
        let Ok(loaded) = load(&Input::Path(path.clone()), &LoadOptions::default()) else {
            continue;
        };
        checked += 1;
        for server in [true, false] {
            let Ok(output) = generate(&loaded.api, &options(server)) else {
                found.push(format!("{}: generation failed", path.display()));
                continue;
            };
            found.extend(
                duplicates(&output)
                    .into_iter()
                    .map(|d| format!("{}: {d}", path.display())),
            );
        }
    }
    (checked, found)
}

#[test]
fn our_specs_declare_every_item_once() {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs");
    let (checked, found) = check_folder(&specs);
    assert!(checked >= 7, "only {checked} specs loaded");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// `FASTSOCKET_NAMES_CORPUS=../shared/asyncapi-corpus cargo test -p fastsocket-codegen-rust corpus_documents`.
#[test]
fn corpus_documents_declare_every_item_once() {
    let Some(dir) = std::env::var_os("FASTSOCKET_NAMES_CORPUS") else {
        eprintln!("note: FASTSOCKET_NAMES_CORPUS is not set; corpus documents not checked");
        return;
    };
    let (checked, found) = check_folder(Path::new(&dir));
    eprintln!("{checked} corpus documents checked");
    assert!(checked > 0, "no document of {dir:?} loaded");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn random_documents_declare_every_item_once() {
    let cases = std::env::var("FASTSOCKET_NAMES_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let loaded = std::cell::Cell::new(0u32);
    let result = runner.run(&document(), |text| {
        let Some(api) = load_text(&text) else {
            if std::env::var_os("FASTSOCKET_NAMES_DEBUG").is_some() {
                let e = load(
                    &Input::Text {
                        name: "r.json".into(),
                        text: text.clone(),
                    },
                    &LoadOptions::default(),
                )
                .err();
                eprintln!("{e:?}");
            }
            return Ok(());
        };
        loaded.set(loaded.get() + 1);
        let output = generate(&api, &options(true))
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let found = duplicates(&output);
        prop_assert!(found.is_empty(), "{}\n{text}", found.join("\n"));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Most random documents must load, or the test checks little.
    assert!(
        loaded.get() * 10 >= cases * 9,
        "only {} of {cases} documents loaded",
        loaded.get()
    );
}

/// A few random documents (a fixed seed) compile: their generated modules go into one crate, checked
/// with the workspace's lock file in a target folder of its own.
#[test]
fn a_sample_of_random_documents_compiles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("names-check");
    let krate = target.join("crate");
    let _ = std::fs::remove_dir_all(krate.join("src"));
    std::fs::create_dir_all(krate.join("src")).unwrap();
    let mut runner = TestRunner::deterministic();
    let mut lib = String::from("#![allow(dead_code, unused)]\n");
    let mut manifest = None;
    let mut sampled = 0;
    while sampled < 6 {
        let text = document().new_tree(&mut runner).unwrap().current();
        let Some(api) = load_text(&text) else {
            continue;
        };
        let output = generate(&api, &options(false)).unwrap();
        for file in &output.files {
            if let Some(rest) = file.path.strip_prefix("src/generated/") {
                let path = krate.join(format!("src/doc{sampled}/{rest}"));
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, &file.contents).unwrap();
            } else if file.path == "Cargo.toml" {
                manifest = Some(file.contents.clone());
            }
        }
        std::fs::write(krate.join(format!("src/doc{sampled}.json")), &text).unwrap();
        lib.push_str(&format!(
            "#[path = \"doc{sampled}/mod.rs\"]\npub mod doc{sampled};\n"
        ));
        sampled += 1;
    }
    std::fs::write(krate.join("src/lib.rs"), lib).unwrap();
    std::fs::write(krate.join("Cargo.toml"), manifest.unwrap()).unwrap();
    std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    let status = std::process::Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--tests"])
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", target.join("target"))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the sample in {} does not compile",
        krate.display()
    );
}

/// Names built by joining two names (`default_{type}_{field}`) must not meet: `A.bar_baz` and `ABar.baz`.
#[test]
fn joined_names_do_not_meet() {
    let text = json!({
        "asyncapi": "3.0.0",
        "info": {"title": "T", "version": "1"},
        "channels": {"c": {"address": "/", "messages": {
            "m": {"payload": {"$ref": "#/components/schemas/A"}},
            "n": {"payload": {"$ref": "#/components/schemas/ABar"}},
        }}},
        "operations": {"o": {"action": "receive", "channel": {"$ref": "#/channels/c"}}},
        "components": {"schemas": {
            "A": {"type": "object", "properties": {"bar_baz": {"type": "integer", "default": 1}}},
            "ABar": {"type": "object", "properties": {"baz": {"type": "integer", "default": 2}}},
        }},
    })
    .to_string();
    let output = generate(&load_text(&text).unwrap(), &options(true)).unwrap();
    let found = duplicates(&output);
    assert!(found.is_empty(), "{}", found.join("\n"));
}
