//! What the user changes in the generated model types: attributes (prost-build's `type_attribute`: extra derives
//! such as `#[derive(Eq, Hash)]`, `#[non_exhaustive]`, lints) and the Rust type of a string `format`
//! (`date-time` → `String` instead of `chrono::DateTime<FixedOffset>`). Applied to the emitter's output as a
//! syntax tree, for the CLI and the build.rs builder alike, so the emitter stays free of per-project options.

use std::collections::BTreeSet;

use fastsocket_codegen_rust::OutputFile;
use quote::ToTokens as _;
use syn::parse::Parser as _;
use syn::visit_mut::VisitMut;

/// The generated file holding the model types.
const MODELS: &str = "src/generated/models.rs";

pub use fastsocket_codegen_rust::{FORMATS, TypeAttribute, TypeOverride};

/// Why attributes could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum CustomizeError {
    /// The text is not a Rust outer attribute.
    #[error(
        "type attribute `{attribute}` for `{name}` is not a Rust outer attribute ({reason}); write it as in source, e.g. `#[derive(Eq, Hash)]`"
    )]
    BadAttribute {
        /// The type name.
        name: String,
        /// The text given.
        attribute: String,
        /// The parser's complaint.
        reason: String,
    },
    /// No model type has the name.
    #[error("type attribute for `{name}`: no model type has that name; the models are: {known}")]
    UnknownType {
        /// The name given.
        name: String,
        /// The names that exist, comma-separated.
        known: String,
    },
    /// The format has no type of its own.
    #[error("type override for format `{0}`: only {known} have a Rust type of their own", known = FORMATS.map(|(f, _)| format!("`{f}`")).join(", "))]
    UnknownFormat(String),
    /// The text is not a Rust type.
    #[error("type override for format `{format}`: `{rust_type}` is not a Rust type ({reason})")]
    BadType {
        /// The format.
        format: String,
        /// The text given.
        rust_type: String,
        /// The parser's complaint.
        reason: String,
    },
    /// The emitter's models file did not parse (a bug).
    #[error(
        "internal error: the generated {MODELS} does not parse ({0}); please report this with the spec"
    )]
    Unparsable(String),
}

/// Replaces each default type of a format by the chosen one.
struct Replace(Vec<(String, syn::Type)>);

impl VisitMut for Replace {
    fn visit_type_mut(&mut self, ty: &mut syn::Type) {
        if let syn::Type::Path(_) = ty {
            let text = ty.to_token_stream().to_string();
            if let Some((_, chosen)) = self.0.iter().find(|(default, _)| *default == text) {
                *ty = chosen.clone();
                return;
            }
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }
}

fn replacements(overrides: &[TypeOverride]) -> Result<Replace, CustomizeError> {
    let mut pairs = Vec::new();
    for o in overrides {
        let (_, default) = FORMATS
            .iter()
            .find(|(format, _)| *format == o.format)
            .ok_or_else(|| CustomizeError::UnknownFormat(o.format.clone()))?;
        let chosen: syn::Type =
            syn::parse_str(&o.rust_type).map_err(|e| CustomizeError::BadType {
                format: o.format.clone(),
                rust_type: o.rust_type.clone(),
                reason: e.to_string(),
            })?;
        // Compared as token text, the form `to_token_stream` gives the emitter's types too.
        let default: syn::Type =
            syn::parse_str(default).map_err(|e| CustomizeError::Unparsable(e.to_string()))?;
        pairs.push((default.to_token_stream().to_string(), chosen));
    }
    Ok(Replace(pairs))
}

/// Adds the attributes to the model types in `files` (the emitter's output) and puts the chosen types in place of
/// the formats' defaults. Without attributes and overrides, nothing is touched.
pub fn apply(
    files: &mut [OutputFile],
    attributes: &[TypeAttribute],
    overrides: &[TypeOverride],
) -> Result<(), CustomizeError> {
    if attributes.is_empty() && overrides.is_empty() {
        return Ok(());
    }
    let mut replace = replacements(overrides)?;
    let parsed = attributes
        .iter()
        .map(|a| {
            syn::Attribute::parse_outer
                .parse_str(&a.attribute)
                .map(|attrs| (a.name.as_str(), attrs))
                .map_err(|e| CustomizeError::BadAttribute {
                    name: a.name.clone(),
                    attribute: a.attribute.clone(),
                    reason: e.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let Some(models) = files.iter_mut().find(|f| f.path == MODELS) else {
        return Ok(());
    };
    let mut file =
        syn::parse_file(&models.contents).map_err(|e| CustomizeError::Unparsable(e.to_string()))?;
    let mut known = BTreeSet::new();
    for item in &mut file.items {
        let (ident, attrs) = match item {
            syn::Item::Struct(s) => (&s.ident, &mut s.attrs),
            syn::Item::Enum(e) => (&e.ident, &mut e.attrs),
            _ => continue,
        };
        let name = ident.to_string();
        for (wanted, extra) in &parsed {
            if *wanted == "*" || *wanted == name {
                attrs.extend(extra.iter().cloned());
            }
        }
        known.insert(name);
    }
    if let Some((name, _)) = parsed
        .iter()
        .find(|(name, _)| *name != "*" && !known.contains(*name))
    {
        return Err(CustomizeError::UnknownType {
            name: name.to_string(),
            known: known.into_iter().collect::<Vec<_>>().join(", "),
        });
    }
    if !replace.0.is_empty() {
        replace.visit_file_mut(&mut file);
    }
    models.contents = prettyplease::unparse(&file);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::tests::file;
    use fastsocket_codegen_rust::Owner;

    fn models() -> Vec<OutputFile> {
        vec![file(
            MODELS,
            "/// A.\n#[derive(Debug)]\npub struct A {\n    pub x: i64,\n}\npub enum B {\n    One,\n}\npub fn helper() {}\n",
            Owner::Generator,
        )]
    }

    fn rule(name: &str, attribute: &str) -> TypeAttribute {
        TypeAttribute {
            name: name.to_string(),
            attribute: attribute.to_string(),
        }
    }

    #[test]
    fn attributes_go_to_the_named_type_or_to_all() {
        let mut files = models();
        apply(
            &mut files,
            &[rule("A", "#[derive(Eq, Hash)] #[non_exhaustive]")],
            &[],
        )
        .unwrap();
        assert_eq!(
            files[0].contents,
            "/// A.\n#[derive(Debug)]\n#[derive(Eq, Hash)]\n#[non_exhaustive]\npub struct A {\n    pub x: i64,\n}\npub enum B {\n    One,\n}\npub fn helper() {}\n"
        );
        let mut files = models();
        apply(&mut files, &[rule("*", "#[derive(Hash)]")], &[]).unwrap();
        assert_eq!(files[0].contents.matches("#[derive(Hash)]").count(), 2);
    }

    #[test]
    fn nothing_is_touched_without_attributes() {
        let mut files = models();
        files[0].contents = "pub struct  A;".to_string();
        apply(&mut files, &[], &[]).unwrap();
        assert_eq!(files[0].contents, "pub struct  A;");
    }

    #[test]
    fn bad_attributes_and_unknown_types_are_errors_that_say_what_to_write() {
        let err = apply(&mut models(), &[rule("A", "derive(Hash)")], &[]).unwrap_err();
        assert!(matches!(err, CustomizeError::BadAttribute { .. }), "{err}");
        assert!(err.to_string().contains("#[derive(Eq, Hash)]"), "{err}");
        let err = apply(&mut models(), &[rule("C", "#[derive(Hash)]")], &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "type attribute for `C`: no model type has that name; the models are: A, B"
        );
    }

    fn chosen(format: &str, rust_type: &str) -> TypeOverride {
        TypeOverride {
            format: format.to_string(),
            rust_type: rust_type.to_string(),
        }
    }

    #[test]
    fn a_format_gets_the_chosen_type_wherever_the_default_appears() {
        let mut files = vec![file(
            MODELS,
            "pub struct A {\n    pub at: ::chrono::DateTime<::chrono::FixedOffset>,\n    pub all: ::std::vec::Vec<::std::option::Option<::chrono::DateTime<::chrono::FixedOffset>>>,\n    pub day: ::chrono::NaiveDate,\n}\n",
            Owner::Generator,
        )];
        apply(
            &mut files,
            &[],
            &[chosen("date-time", "::std::string::String")],
        )
        .unwrap();
        assert_eq!(
            files[0].contents,
            "pub struct A {\n    pub at: ::std::string::String,\n    pub all: ::std::vec::Vec<::std::option::Option<::std::string::String>>,\n    pub day: ::chrono::NaiveDate,\n}\n"
        );
    }

    #[test]
    fn unknown_formats_and_bad_types_are_errors() {
        let err = apply(&mut models(), &[], &[chosen("email", "String")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "type override for format `email`: only `date-time`, `date`, `uuid` have a Rust type of their own"
        );
        let err = apply(&mut models(), &[], &[chosen("uuid", "not a type!")]).unwrap_err();
        assert!(matches!(err, CustomizeError::BadType { .. }), "{err}");
    }
}
