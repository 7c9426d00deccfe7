//! The emitter's options: what the generated crate depends on, its shape on disk, and what the user changes in the
//! model types (prost-build's `type_attribute`, typify's `with_replacement`). Applied while the tokens are built,
//! so the output is printed once, already in its final form.

use std::collections::BTreeSet;

use syn::parse::Parser as _;

pub use fastsocket_ir::socketio::Mapping;

/// Where generated crates find the `fastsocket` runtime crate (the `fastsocket = { … }` line of their manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeDependency {
    /// A path dependency, relative to the generated crate's folder (or absolute).
    Path(String),
    /// A git dependency, at a revision (a commit, tag or branch name) when one is given.
    Git {
        /// The repository URL.
        url: String,
        /// The `rev` to check out [default: the repository's default branch].
        rev: Option<String>,
    },
    /// A version requirement on crates.io.
    Version(String),
}

/// How the generated Rust is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Layout {
    /// A Cargo crate: the manifest and user-owned files, and one file per module under `src/generated/` (the CLI's
    /// `rust` command).
    #[default]
    Crate,
    /// One file, `generated.rs`, holding the modules inline, for `include!(concat!(env!("OUT_DIR"), …))` in a
    /// build script's crate; data files (the embedded document) sit next to it. No user-owned files.
    SingleFile,
}

/// Options of the Rust emitter.
#[derive(Debug, Clone)]
pub struct RustOptions {
    /// The package name of the generated crate.
    pub crate_name: String,
    /// How the generated crate depends on the runtime crate.
    pub runtime: RuntimeDependency,
    /// Generate the Socket.IO server (handler traits, emitters, `main`), not only the models.
    pub server: bool,
    /// How channels become namespaces and events (`None`: chosen from the document, see [`Mapping::detect`]).
    pub mapping: Option<Mapping>,
    /// Files of a crate, or one file of inline modules.
    pub layout: Layout,
    /// Extra outer attributes of model types, in order.
    pub type_attributes: Vec<TypeAttribute>,
    /// The Rust types of string formats, in place of the defaults.
    pub type_overrides: Vec<TypeOverride>,
}

impl Default for RustOptions {
    /// A full server crate named `api`, depending on the runtime of the generator's own version.
    fn default() -> Self {
        RustOptions {
            crate_name: "api".to_string(),
            runtime: RuntimeDependency::Version(env!("CARGO_PKG_VERSION").to_string()),
            server: true,
            mapping: None,
            layout: Layout::Crate,
            type_attributes: Vec::new(),
            type_overrides: Vec::new(),
        }
    }
}

/// Attributes for one model type, or for every model struct and enum with the name `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeAttribute {
    /// The Rust name of a model type (`User`, as in `models::User`), or `*`.
    pub name: String,
    /// One or more outer attributes, e.g. `#[derive(Eq, Hash)]`.
    pub attribute: String,
}

/// The string formats whose Rust type can be chosen, with the type the emitter uses by default.
pub const FORMATS: [(&str, &str); 3] = [
    ("date-time", "::chrono::DateTime<::chrono::FixedOffset>"),
    ("date", "::chrono::NaiveDate"),
    ("uuid", "::uuid::Uuid"),
];

/// The Rust type for string values of a `format`, in place of the emitter's. The type must implement what the
/// models derive (`Debug`, `Clone`, `PartialEq`, serde's `Serialize` and `Deserialize`, `schemars::JsonSchema`);
/// the validators still check the format on the JSON, before deserialisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeOverride {
    /// `date-time`, `date` or `uuid`.
    pub format: String,
    /// A Rust type, e.g. `::std::string::String` or `::time::OffsetDateTime`.
    pub rust_type: String,
}

/// Why the options cannot be used: the user's mistake, said with what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
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
}

/// The type attributes and overrides, checked: every attribute parses, every format is known, every type parses.
/// Kept as text (token streams cannot cross the emitter's threads) and turned into tokens where they are used.
#[derive(Debug, Clone, Default)]
pub(crate) struct Customization {
    attributes: Vec<TypeAttribute>,
    /// The chosen type of `date-time`, `date`, `uuid` (indices of [`FORMATS`]).
    formats: [Option<String>; 3],
}

impl Customization {
    /// Checks the options' attributes and overrides.
    pub(crate) fn new(options: &RustOptions) -> Result<Customization, OptionError> {
        for a in &options.type_attributes {
            syn::Attribute::parse_outer
                .parse_str(&a.attribute)
                .map_err(|e| OptionError::BadAttribute {
                    name: a.name.clone(),
                    attribute: a.attribute.clone(),
                    reason: e.to_string(),
                })?;
        }
        let mut formats: [Option<String>; 3] = Default::default();
        for o in &options.type_overrides {
            let index = FORMATS
                .iter()
                .position(|(format, _)| *format == o.format)
                .ok_or_else(|| OptionError::UnknownFormat(o.format.clone()))?;
            syn::parse_str::<syn::Type>(&o.rust_type).map_err(|e| OptionError::BadType {
                format: o.format.clone(),
                rust_type: o.rust_type.clone(),
                reason: e.to_string(),
            })?;
            formats[index] = Some(o.rust_type.clone());
        }
        Ok(Customization {
            attributes: options.type_attributes.clone(),
            formats,
        })
    }

    /// Fails when an attribute names a type that is not among the `models` (`*` matches any).
    pub(crate) fn check_names(&self, models: &BTreeSet<String>) -> Result<(), OptionError> {
        match self
            .attributes
            .iter()
            .find(|a| a.name != "*" && !models.contains(&a.name))
        {
            Some(a) => Err(OptionError::UnknownType {
                name: a.name.clone(),
                known: models.iter().cloned().collect::<Vec<_>>().join(", "),
            }),
            None => Ok(()),
        }
    }

    /// The extra attributes of the model type `name`, in the order given.
    pub(crate) fn attributes(&self, name: &str) -> proc_macro2::TokenStream {
        let mut tokens = proc_macro2::TokenStream::new();
        for a in self
            .attributes
            .iter()
            .filter(|a| a.name == "*" || a.name == name)
        {
            // Checked in `new`.
            if let Ok(attrs) = syn::Attribute::parse_outer.parse_str(&a.attribute) {
                for attr in attrs {
                    quote::ToTokens::to_tokens(&attr, &mut tokens);
                }
            }
        }
        tokens
    }

    /// The chosen type of a format of [`FORMATS`], if any.
    pub(crate) fn format_type(&self, format: &str) -> Option<proc_macro2::TokenStream> {
        let index = FORMATS.iter().position(|(f, _)| *f == format)?;
        let text = self.formats.get(index)?.as_deref()?;
        // Checked in `new`.
        syn::parse_str::<syn::Type>(text)
            .ok()
            .map(quote::ToTokens::into_token_stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(attributes: &[(&str, &str)], overrides: &[(&str, &str)]) -> RustOptions {
        RustOptions {
            type_attributes: attributes
                .iter()
                .map(|(name, attribute)| TypeAttribute {
                    name: name.to_string(),
                    attribute: attribute.to_string(),
                })
                .collect(),
            type_overrides: overrides
                .iter()
                .map(|(format, rust_type)| TypeOverride {
                    format: format.to_string(),
                    rust_type: rust_type.to_string(),
                })
                .collect(),
            ..RustOptions::default()
        }
    }

    #[test]
    fn attributes_go_to_the_named_type_or_to_all_in_order() {
        let custom = Customization::new(&options(
            &[
                ("A", "#[derive(Eq, Hash)] #[non_exhaustive]"),
                ("*", "#[derive(Hash)]"),
            ],
            &[],
        ))
        .unwrap();
        assert_eq!(
            custom.attributes("A").to_string(),
            "# [derive (Eq , Hash)] # [non_exhaustive] # [derive (Hash)]"
        );
        assert_eq!(custom.attributes("B").to_string(), "# [derive (Hash)]");
    }

    #[test]
    fn bad_attributes_and_unknown_types_are_errors_that_say_what_to_write() {
        let err = Customization::new(&options(&[("A", "derive(Hash)")], &[])).unwrap_err();
        assert!(matches!(err, OptionError::BadAttribute { .. }), "{err}");
        assert!(err.to_string().contains("#[derive(Eq, Hash)]"), "{err}");
        let custom = Customization::new(&options(&[("C", "#[derive(Hash)]")], &[])).unwrap();
        let models = BTreeSet::from(["A".to_string(), "B".to_string()]);
        assert_eq!(
            custom.check_names(&models).unwrap_err().to_string(),
            "type attribute for `C`: no model type has that name; the models are: A, B"
        );
    }

    #[test]
    fn unknown_formats_and_bad_types_are_errors() {
        let err = Customization::new(&options(&[], &[("email", "String")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "type override for format `email`: only `date-time`, `date`, `uuid` have a Rust type of their own"
        );
        let err = Customization::new(&options(&[], &[("uuid", "not a type!")])).unwrap_err();
        assert!(matches!(err, OptionError::BadType { .. }), "{err}");
    }
}
