//! Attributes the user adds to generated model types (prost-build's `type_attribute`): extra derives such as
//! `#[derive(Eq, Hash)]`, `#[non_exhaustive]`, lints. Applied to the emitter's output as a syntax tree, for the
//! CLI and the build.rs builder alike, so the emitter stays free of per-project options.

use std::collections::BTreeSet;

use fastsocket_codegen_rust::OutputFile;
use syn::parse::Parser as _;

/// The generated file holding the model types.
const MODELS: &str = "src/generated/models.rs";

/// Attributes for one type, or for every model struct and enum with the name `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeAttribute {
    /// The Rust name of a model type (`User`, as in `models::User`), or `*`.
    pub name: String,
    /// One or more outer attributes, e.g. `#[derive(Eq, Hash)]`.
    pub attribute: String,
}

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
    /// The emitter's models file did not parse (a bug).
    #[error(
        "internal error: the generated {MODELS} does not parse ({0}); please report this with the spec"
    )]
    Unparsable(String),
}

/// Adds the attributes to the model types in `files` (the emitter's output). Without attributes, nothing is
/// touched.
pub fn apply(files: &mut [OutputFile], attributes: &[TypeAttribute]) -> Result<(), CustomizeError> {
    if attributes.is_empty() {
        return Ok(());
    }
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
        )
        .unwrap();
        assert_eq!(
            files[0].contents,
            "/// A.\n#[derive(Debug)]\n#[derive(Eq, Hash)]\n#[non_exhaustive]\npub struct A {\n    pub x: i64,\n}\npub enum B {\n    One,\n}\npub fn helper() {}\n"
        );
        let mut files = models();
        apply(&mut files, &[rule("*", "#[derive(Hash)]")]).unwrap();
        assert_eq!(files[0].contents.matches("#[derive(Hash)]").count(), 2);
    }

    #[test]
    fn nothing_is_touched_without_attributes() {
        let mut files = models();
        files[0].contents = "pub struct  A;".to_string();
        apply(&mut files, &[]).unwrap();
        assert_eq!(files[0].contents, "pub struct  A;");
    }

    #[test]
    fn bad_attributes_and_unknown_types_are_errors_that_say_what_to_write() {
        let err = apply(&mut models(), &[rule("A", "derive(Hash)")]).unwrap_err();
        assert!(matches!(err, CustomizeError::BadAttribute { .. }), "{err}");
        assert!(err.to_string().contains("#[derive(Eq, Hash)]"), "{err}");
        let err = apply(&mut models(), &[rule("C", "#[derive(Hash)]")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "type attribute for `C`: no model type has that name; the models are: A, B"
        );
    }
}
