//! The `models` module: one Rust item per named schema, with serde attributes that reproduce the wire format.

use fastsocket_ir::{TypeBody, TypeId};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::docs::doc_attrs;
use crate::kinds::{Field, Kind, StrKind, StructDef, TypeMap, UnionDef, Variant};

/// Emits the items of every reachable named type, in id order.
pub fn models(map: &TypeMap<'_>) -> TokenStream {
    let named: Vec<TypeId> = map
        .types
        .iter()
        .filter(|t| map.is_named(t.id) && map.is_reachable(t.id))
        .map(|t| t.id)
        .collect();
    let has_unions = named
        .iter()
        .any(|id| matches!(map.kind(*id), Kind::Union(u) if u.tag.is_none()) && !map.nullable(*id));
    let fits = has_unions.then(|| {
        quote! {
            /// Whether a value satisfies a schema (used to pick the alternative of a `oneOf`/`anyOf`).
            fn fits(value: &::serde_json::Value, validator: fn(&::serde_json::Value, &mut ::fastsocket::Checker)) -> bool {
                let mut checker = ::fastsocket::Checker::new();
                validator(value, &mut checker);
                checker.is_ok()
            }
        }
    });
    let items = named.iter().map(|id| item(map, *id));
    quote! {
        //! Types for every payload, header and acknowledgement schema of the document.
        //!
        //! Each type implements [`::fastsocket::Validate`]: incoming JSON is checked against the schema before it is
        //! deserialised (see [`::fastsocket::decode`]).
        #![allow(deprecated)]
        #![allow(clippy::large_enum_variant, clippy::collapsible_if)]

        #(#items)*
        #fits
    }
}

/// The type of a schema as written in a field or variant of `holder` (`None`: at the top level).
pub fn type_expr(map: &TypeMap<'_>, id: TypeId, holder: Option<TypeId>) -> TokenStream {
    let inner = bare_type_expr(map, id, holder);
    if map.nullable(id) && !is_value(&inner) {
        quote!(::std::option::Option<#inner>)
    } else {
        inner
    }
}

fn bare_type_expr(map: &TypeMap<'_>, id: TypeId, holder: Option<TypeId>) -> TokenStream {
    if map.is_named(id) {
        let name = type_ident(map, id);
        return match holder {
            Some(h) if map.is_boxed(h, id) => quote!(::std::boxed::Box<#name>),
            _ => quote!(#name),
        };
    }
    unnamed_type_expr(map, id, holder)
}

/// The Rust type of a schema's kind, ignoring whether the schema has a name of its own.
fn unnamed_type_expr(map: &TypeMap<'_>, id: TypeId, holder: Option<TypeId>) -> TokenStream {
    match map.kind(id) {
        Kind::Alias(_) => match map.resolve_alias(id) {
            Some(target) if target != id => type_expr(map, target, holder),
            _ => quote!(::serde_json::Value),
        },
        Kind::Bool => quote!(bool),
        Kind::Int { bits32: true } => quote!(i32),
        Kind::Int { bits32: false } => quote!(i64),
        Kind::Float { bits32: true } => quote!(f32),
        Kind::Float { bits32: false } => quote!(f64),
        Kind::Str(StrKind::Plain) => quote!(::std::string::String),
        // A type the user chose for the format, else the default.
        Kind::Str(StrKind::DateTime) => map
            .custom
            .format_type("date-time")
            .unwrap_or_else(|| quote!(::chrono::DateTime<::chrono::FixedOffset>)),
        Kind::Str(StrKind::Date) => map
            .custom
            .format_type("date")
            .unwrap_or_else(|| quote!(::chrono::NaiveDate)),
        Kind::Str(StrKind::Uuid) => map
            .custom
            .format_type("uuid")
            .unwrap_or_else(|| quote!(::uuid::Uuid)),
        Kind::Array(None) => quote!(::std::vec::Vec<::serde_json::Value>),
        Kind::Array(Some(item)) => {
            let item = type_expr(map, *item, None);
            quote!(::std::vec::Vec<#item>)
        }
        Kind::Map(None) => quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>),
        Kind::Map(Some(value)) => {
            let value = type_expr(map, *value, None);
            quote!(::std::collections::BTreeMap<::std::string::String, #value>)
        }
        // Items that are not emitted as items (unreachable, or nullable wrappers) travel as JSON.
        Kind::Any | Kind::Struct(_) | Kind::StringEnum(_) | Kind::Union(_) | Kind::Tuple(_) => {
            quote!(::serde_json::Value)
        }
    }
}

fn is_value(tokens: &TokenStream) -> bool {
    tokens.to_string() == quote!(::serde_json::Value).to_string()
}

/// The Rust name of a named type.
pub fn type_ident(map: &TypeMap<'_>, id: TypeId) -> Ident {
    Ident::new(&map.types.get(id).name, Span::call_site())
}

/// The user's attributes for a model type, after the emitter's own (a derive's helper attributes such as
/// `#[serde(…)]` must follow the derive).
fn extra_attributes(map: &TypeMap<'_>, name: &Ident) -> TokenStream {
    map.custom.attributes(&name.to_string())
}

fn docs(map: &TypeMap<'_>, id: TypeId) -> TokenStream {
    let def = map.types.get(id);
    match &def.body {
        TypeBody::Schema(s) => doc_attrs([s.title.as_deref(), s.description.as_deref()]),
        TypeBody::Opaque { schema_format, .. } => {
            let note = format!(
                "A schema in `{schema_format}`, kept as JSON: fastsocket-gen does not read this format."
            );
            doc_attrs([Some(note.as_str())])
        }
        TypeBody::Bool { .. } => quote!(),
    }
}

fn deprecated(map: &TypeMap<'_>, id: TypeId) -> TokenStream {
    if map.types.schema(id).is_some_and(|s| s.deprecated) {
        quote!(#[deprecated])
    } else {
        quote!()
    }
}

fn item(map: &TypeMap<'_>, id: TypeId) -> TokenStream {
    let name = type_ident(map, id);
    let docs = docs(map, id);
    let deprecated = deprecated(map, id);
    let validator = format_ident!("{}", map.validator(id));
    let validate_impl = quote! {
        impl ::fastsocket::Validate for #name {
            fn validate_json(value: &::serde_json::Value, checker: &mut ::fastsocket::Checker) {
                super::validators::#validator(value, checker);
            }
        }
    };
    let body = match map.kind(id) {
        Kind::Struct(def) if !map.nullable(id) => struct_item(map, id, &name, def),
        Kind::StringEnum(variants) if !map.nullable(id) => string_enum_item(map, &name, variants),
        Kind::Union(def) if !map.nullable(id) => union_item(map, id, &name, def),
        Kind::Tuple(items) if !map.nullable(id) => {
            let fields = items.iter().map(|t| {
                let ty = type_expr(map, *t, Some(id));
                quote!(pub #ty)
            });
            let user_attrs = extra_attributes(map, &name);
            quote! {
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
                #user_attrs
                pub struct #name(#(#fields),*);
            }
        }
        _ => newtype_item(map, id, &name),
    };
    quote! {
        #docs
        #deprecated
        #body
        #validate_impl
    }
}

/// A named wrapper for a schema whose Rust type is a plain one (`RoomId(String)`), or for a nullable item.
fn newtype_item(map: &TypeMap<'_>, id: TypeId, name: &Ident) -> TokenStream {
    let inner = match map.kind(id) {
        Kind::Struct(_) | Kind::StringEnum(_) | Kind::Union(_) | Kind::Tuple(_) => {
            // Only reached for nullable items: the wrapper holds `Option` of a JSON value checked by the validator.
            quote!(::std::option::Option<::serde_json::Value>)
        }
        _ => {
            let bare = unnamed_type_expr(map, id, Some(id));
            if map.nullable(id) && !is_value(&bare) {
                quote!(::std::option::Option<#bare>)
            } else {
                bare
            }
        }
    };
    let user_attrs = extra_attributes(map, name);
    quote! {
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        #[serde(transparent)]
        #user_attrs
        pub struct #name(pub #inner);
    }
}

fn struct_item(map: &TypeMap<'_>, id: TypeId, name: &Ident, def: &StructDef) -> TokenStream {
    let mut default_fns = Vec::new();
    let fields = def.fields.iter().enumerate().map(|(index, field)| {
        let (field_tokens, default_fn) = struct_field(map, id, index, field, quote!(pub));
        default_fns.extend(default_fn);
        field_tokens
    });
    let fields: Vec<TokenStream> = fields.collect();
    let extra = extra_field(map, def, quote!(pub));
    let user_attrs = extra_attributes(map, name);
    quote! {
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        #user_attrs
        pub struct #name {
            #(#fields)*
            #extra
        }
        #(#default_fns)*
    }
}

/// The flattened map of a struct's undeclared properties, if it keeps them.
fn extra_field(map: &TypeMap<'_>, def: &StructDef, vis: TokenStream) -> Option<TokenStream> {
    def.extra.as_ref().map(|extra| {
        let ident = format_ident!("{}", extra.rust_name);
        let value = match extra.value {
            Some(v) => type_expr(map, v, None),
            None => quote!(::serde_json::Value),
        };
        quote! {
            /// Properties the schema does not declare, kept so that nothing sent is lost.
            #[serde(flatten)]
            #vis #ident: ::std::collections::BTreeMap<::std::string::String, #value>,
        }
    })
}

/// An internally tagged enum: each variant holds the fields of its alternative but the tag, which serde writes and
/// reads from the variant's name (see [`crate::kinds::UnionDef::tag`]). Defaults and boxes are the alternative's
/// own (its struct is still emitted for use on its own).
fn tagged_union_item(
    map: &TypeMap<'_>,
    name: &Ident,
    def: &UnionDef,
    property: &str,
    values: &[String],
) -> TokenStream {
    let variants = def
        .variants
        .iter()
        .zip(values)
        .map(|((variant, alternative), value)| {
            let ident = format_ident!("{}", variant);
            let target = map.resolve_alias(*alternative).unwrap_or(*alternative);
            let docs = map
                .types
                .schema(*alternative)
                .map(|s| doc_attrs([s.title.as_deref(), s.description.as_deref()]))
                .unwrap_or_default();
            let Kind::Struct(fields) = map.kind(target) else {
                unreachable!("tagged unions hold structs (kinds::TypeMap::union_tag)")
            };
            let own = fields
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.wire != property)
                .map(|(index, field)| struct_field(map, target, index, field, quote!()).0);
            let extra = extra_field(map, fields, quote!());
            quote! {
                #docs
                #[serde(rename = #value)]
                #ident {
                    #(#own)*
                    #extra
                },
            }
        });
    let user_attrs = extra_attributes(map, name);
    quote! {
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        #[serde(tag = #property)]
        #user_attrs
        pub enum #name {
            #(#variants)*
        }
    }
}

fn struct_field(
    map: &TypeMap<'_>,
    holder: TypeId,
    index: usize,
    field: &Field,
    vis: TokenStream,
) -> (TokenStream, Option<TokenStream>) {
    let ident = format_ident!("{}", field.rust_name);
    let rename = if field.rust_name != field.wire {
        let wire = &field.wire;
        quote!(rename = #wire,)
    } else {
        quote!()
    };
    let docs = match map.types.schema(field.ty) {
        Some(s) => doc_attrs([s.title.as_deref(), s.description.as_deref()]),
        None => quote!(),
    };
    let deprecated = if field.deprecated {
        quote!(#[deprecated])
    } else {
        quote!()
    };
    let ty = type_expr(map, field.ty, Some(holder));
    let nullable = map.nullable(field.ty);
    let any = is_value(&ty);
    let mut default_fn = None;
    let (ty, attrs) = if field.required {
        let attrs = if rename.is_empty() {
            quote!()
        } else {
            quote!(#[serde(#rename)])
        };
        (ty, attrs)
    } else if any {
        (
            quote!(::std::option::Option<::serde_json::Value>),
            quote!(#[serde(#rename default, deserialize_with = "::fastsocket::serde_helpers::keep_null", skip_serializing_if = "::std::option::Option::is_none")]),
        )
    } else if nullable {
        (
            quote!(::std::option::Option<#ty>),
            quote!(#[serde(#rename default, deserialize_with = "::fastsocket::serde_helpers::double_option", skip_serializing_if = "::std::option::Option::is_none")]),
        )
    } else if let (Some(literal), Some(fn_name)) = (
        field
            .default
            .as_ref()
            .and_then(|d| default_literal(map, field.ty, d)),
        map.default_fn(holder, index),
    ) {
        let fn_ident = format_ident!("{}", fn_name);
        default_fn = Some(quote! {
            fn #fn_ident() -> #ty {
                #literal
            }
        });
        (ty, quote!(#[serde(#rename default = #fn_name)]))
    } else {
        (
            quote!(::std::option::Option<#ty>),
            quote!(#[serde(#rename default, skip_serializing_if = "::std::option::Option::is_none")]),
        )
    };
    let tokens = quote! {
        #docs
        #deprecated
        #attrs
        #vis #ident: #ty,
    };
    (tokens, default_fn)
}

/// A Rust expression for a default value, when the field's type can hold it as written.
pub fn default_literal(map: &TypeMap<'_>, id: TypeId, value: &Value) -> Option<TokenStream> {
    if map.is_named(id) {
        return match (map.kind(id), value) {
            (Kind::StringEnum(variants), Value::String(s)) => {
                let name = type_ident(map, id);
                let variant = variants.iter().find(|v| v.wire == *s)?;
                let v = format_ident!("{}", variant.name);
                Some(quote!(#name::#v))
            }
            _ => None,
        };
    }
    match (map.kind(id), value) {
        (Kind::Str(StrKind::Plain), Value::String(s)) => {
            Some(quote!(::std::string::String::from(#s)))
        }
        (Kind::Bool, Value::Bool(b)) => Some(quote!(#b)),
        (Kind::Int { bits32 }, Value::Number(n)) => {
            let i = n.as_i64()?;
            let lit = if *bits32 {
                Literal::i32_unsuffixed(i32::try_from(i).ok()?)
            } else {
                Literal::i64_unsuffixed(i)
            };
            Some(quote!(#lit))
        }
        (Kind::Float { bits32 }, Value::Number(n)) => {
            let f = n.as_f64()?;
            let lit = if *bits32 {
                Literal::f32_unsuffixed(f as f32)
            } else {
                Literal::f64_unsuffixed(f)
            };
            Some(quote!(#lit))
        }
        _ => None,
    }
}

fn string_enum_item(map: &TypeMap<'_>, name: &Ident, variants: &[Variant]) -> TokenStream {
    let defs = variants.iter().map(|v| {
        let ident = format_ident!("{}", v.name);
        let wire = &v.wire;
        quote! {
            #[serde(rename = #wire)]
            #ident,
        }
    });
    let arms = variants.iter().map(|v| {
        let ident = format_ident!("{}", v.name);
        let wire = &v.wire;
        quote!(Self::#ident => #wire,)
    });
    let user_attrs = extra_attributes(map, name);
    quote! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        #user_attrs
        pub enum #name {
            #(#defs)*
        }

        impl #name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &'static str {
                match self {
                    #(#arms)*
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

fn union_item(map: &TypeMap<'_>, id: TypeId, name: &Ident, def: &UnionDef) -> TokenStream {
    if let Some((property, values)) = &def.tag {
        return tagged_union_item(map, name, def, property, values);
    }
    let variants = def.variants.iter().map(|(variant, alternative)| {
        let ident = format_ident!("{}", variant);
        let ty = type_expr(map, *alternative, Some(id));
        let docs = map
            .types
            .schema(*alternative)
            .map(|s| doc_attrs([s.title.as_deref(), s.description.as_deref()]))
            .unwrap_or_default();
        quote! {
            #docs
            #ident(#ty),
        }
    });
    let construct = |index: usize| {
        let (variant, ty) = &def.variants[index];
        let ident = format_ident!("{}", variant);
        if map.is_boxed(id, map.resolve_alias(*ty).unwrap_or(*ty))
            && map.is_named(map.resolve_alias(*ty).unwrap_or(*ty))
        {
            quote!(|inner| Self::#ident(::std::boxed::Box::new(inner)))
        } else {
            quote!(Self::#ident)
        }
    };
    let by_tag = def.discriminator.as_ref().filter(|(_, values)| !values.is_empty()).map(|(property, values)| {
        let arms = values.iter().map(|(value, index)| {
            let make = construct(*index);
            quote! {
                if tag == #value {
                    return ::serde_json::from_value(value).map(#make).map_err(::serde::de::Error::custom);
                }
            }
        });
        quote! {
            let tag = value.get(#property).and_then(::serde_json::Value::as_str).map(::std::string::ToString::to_string);
            if let ::std::option::Option::Some(tag) = tag {
                #(#arms)*
            }
        }
    });
    let by_shape = def.variants.iter().enumerate().map(|(index, (_, ty))| {
        let validator = format_ident!("{}", map.validator(*ty));
        let make = construct(index);
        quote! {
            if fits(&value, super::validators::#validator) {
                return ::serde_json::from_value(value).map(#make).map_err(::serde::de::Error::custom);
            }
        }
    });
    let message = format!("the value matches none of the alternatives of `{name}`");
    let user_attrs = extra_attributes(map, name);
    quote! {
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::schemars::JsonSchema)]
        #[serde(untagged)]
        #user_attrs
        pub enum #name {
            #(#variants)*
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                // The alternative is chosen by the discriminator, else by the first schema the value satisfies:
                // trying serde shapes in turn could pick a variant the value does not really match.
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                #by_tag
                #(#by_shape)*
                ::std::result::Result::Err(::serde::de::Error::custom(#message))
            }
        }
    }
}
