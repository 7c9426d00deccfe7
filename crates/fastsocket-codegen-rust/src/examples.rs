//! The `examples` test module: every message example of the spec must validate, deserialise, and come back as the
//! same JSON (with the schema's defaults filled in, which is what deserialising does).

use fastsocket_ir::{Api, TypeId};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::kinds::{Kind, TypeMap};
use crate::models::{default_literal, type_ident};

/// One `#[test]` per example payload and example headers of every message. `None` when there is none.
pub fn example_tests(api: &Api, map: &TypeMap<'_>) -> Option<TokenStream> {
    let mut tests = Vec::new();
    let mut names = fastsocket_ir::naming::NameScope::new();
    for message in &api.messages {
        for (i, example) in message.examples.iter().enumerate() {
            if !example.valid {
                continue;
            }
            let parts = [
                ("payload", message.payload, &example.payload),
                ("headers", message.headers, &example.headers),
            ];
            for (part, ty, value) in parts {
                let (Some(ty), Some(value)) = (ty, value) else {
                    continue;
                };
                if !map.is_named(ty) {
                    continue;
                }
                let test_name = names.claim(&format!(
                    "{}_example_{i}_{part}_round_trips",
                    // `move_` (a keyword escaped) must not give `move__example`.
                    message.names.snake.trim_end_matches('_')
                ));
                tests.push(round_trip_test(
                    map,
                    &test_name,
                    ty,
                    value,
                    &example.location.to_string(),
                ));
            }
        }
    }
    if tests.is_empty() {
        return None;
    }
    Some(quote! {
        //! Round trips of the spec's message examples.
        #![allow(deprecated)]

        #(#tests)*
    })
}

fn round_trip_test(
    map: &TypeMap<'_>,
    name: &str,
    ty: TypeId,
    example: &Value,
    location: &str,
) -> TokenStream {
    let ident = format_ident!("{}", name);
    let ty_ident = type_ident(map, ty);
    let sent = serde_json::to_string_pretty(example).unwrap_or_default();
    let expected =
        serde_json::to_string_pretty(&with_defaults(map, ty, example)).unwrap_or_default();
    let doc = format!(" The example at {location}.");
    quote! {
        #[doc = #doc]
        #[test]
        fn #ident() {
            let sent: ::serde_json::Value = ::serde_json::from_str(#sent).expect("the example is JSON");
            let typed: super::models::#ty_ident = match ::fastsocket::decode(&sent) {
                ::std::result::Result::Ok(typed) => typed,
                ::std::result::Result::Err(violations) => panic!("the example is refused: {violations:?}"),
            };
            let encoded = ::serde_json::to_value(&typed).expect("the model serialises");
            let expected: ::serde_json::Value = ::serde_json::from_str(#expected).expect("expected JSON");
            assert!(
                ::fastsocket::testing::json_equivalent(&encoded, &expected),
                "re-encoded differently:\n{encoded:#}\nexpected:\n{expected:#}"
            );
            if let ::std::result::Result::Err(violations) = ::fastsocket::check(&typed) {
                panic!("the re-encoded value is refused: {violations:?}");
            }
        }
    }
}

/// The JSON a model serialises to after deserialising `value`: absent properties that have an applied default
/// appear with it.
pub fn with_defaults(map: &TypeMap<'_>, ty: TypeId, value: &Value) -> Value {
    with_defaults_at(map, ty, value, 0)
}

fn with_defaults_at(map: &TypeMap<'_>, ty: TypeId, value: &Value, depth: usize) -> Value {
    if depth > 64 {
        return value.clone();
    }
    let ty = map.resolve_alias(ty).unwrap_or(ty);
    match (map.kind(ty), value) {
        (Kind::Struct(def), Value::Object(object)) => {
            let mut out = object.clone();
            for field in &def.fields {
                match object.get(&field.wire) {
                    Some(inner) => {
                        out.insert(
                            field.wire.clone(),
                            with_defaults_at(map, field.ty, inner, depth + 1),
                        );
                    }
                    None if !field.required && !map.nullable(field.ty) => {
                        if let Some(default) = &field.default
                            && default_literal(map, field.ty, default).is_some()
                        {
                            out.insert(field.wire.clone(), default.clone());
                        }
                    }
                    None => {}
                }
            }
            Value::Object(out)
        }
        (Kind::Array(Some(item)), Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|v| with_defaults_at(map, *item, v, depth + 1))
                .collect(),
        ),
        (Kind::Map(Some(inner)), Value::Object(object)) => Value::Object(
            object
                .iter()
                .map(|(k, v)| (k.clone(), with_defaults_at(map, *inner, v, depth + 1)))
                .collect(),
        ),
        (Kind::Tuple(items), Value::Array(values)) => Value::Array(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| match items.get(i) {
                    Some(t) => with_defaults_at(map, *t, v, depth + 1),
                    None => v.clone(),
                })
                .collect(),
        ),
        _ => value.clone(),
    }
}
