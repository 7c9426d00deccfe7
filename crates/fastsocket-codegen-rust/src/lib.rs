//! IR → Rust. Reads only [`fastsocket_ir::Api`] and returns the files of a Cargo crate: validated models for every
//! payload, header and acknowledgement schema, a validator per schema, and round-trip tests of the spec's examples.
//!
//! Rust is built with `quote!` and formatted with `prettyplease`: no string-built code, no rustfmt needed. Output is
//! deterministic (ids and names come from the IR in document order).
#![deny(missing_docs)]

mod docs;
mod examples;
mod kinds;
mod models;
mod validators;

use fastsocket_ir::Api;
use proc_macro2::TokenStream;
use quote::quote;

/// Where generated crates find the `fastsocket` runtime crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeDependency {
    /// A path dependency (the runtime is not published yet).
    Path(String),
    /// A version requirement on crates.io.
    Version(String),
}

/// Options of the Rust emitter.
#[derive(Debug, Clone)]
pub struct RustOptions {
    /// The package name of the generated crate.
    pub crate_name: String,
    /// How the generated crate depends on the runtime crate.
    pub runtime: RuntimeDependency,
}

/// Who owns a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Rewritten on every generation: never edit by hand.
    Generator,
    /// Written once, then the user's: never overwritten.
    User,
}

/// One file of the generated crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// The path inside the crate, `/`-separated.
    pub path: String,
    /// The contents (without the ownership header, which the writer adds).
    pub contents: String,
    /// Who owns it.
    pub owner: Owner,
}

/// Everything one generation produces.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The files, in a fixed order.
    pub files: Vec<OutputFile>,
    /// What could not be expressed exactly (the validators still enforce it) and similar notes.
    pub warnings: Vec<String>,
}

/// Why generation failed: a bug in the emitter, never the document's fault (which the loader reports).
#[derive(Debug, thiserror::Error)]
#[error(
    "internal error: generated {file} is not valid Rust ({reason}); please report this with the spec"
)]
pub struct EmitError {
    /// The file.
    pub file: String,
    /// The parser's complaint.
    pub reason: String,
}

/// Generates the crate for a document.
pub fn generate(api: &Api, options: &RustOptions) -> Result<Output, EmitError> {
    let map = kinds::TypeMap::new(api);
    let mut output = Output::default();
    let (validators, warnings) = validators::validators(&map);
    output.warnings.extend(warnings);
    let examples = examples::example_tests(api, &map);
    let mod_rs = {
        let examples_mod = examples.as_ref().map(|_| {
            quote!(
                #[cfg(test)]
                mod examples;
            )
        });
        quote! {
            //! Code generated from the AsyncAPI document by `fastsocket-gen rust`. Regeneration rewrites this folder:
            //! put your code elsewhere in the crate.

            pub mod models;
            pub mod validators;
            #examples_mod
        }
    };
    output.files.push(rust_file(
        "Cargo.toml",
        cargo_toml(api, options),
        Owner::User,
    ));
    output
        .files
        .push(rust_file("src/lib.rs", lib_rs(api), Owner::User));
    output
        .files
        .push(format_file("src/generated/mod.rs", mod_rs)?);
    output.files.push(format_file(
        "src/generated/models.rs",
        models::models(&map),
    )?);
    output
        .files
        .push(format_file("src/generated/validators.rs", validators)?);
    if let Some(examples) = examples {
        output
            .files
            .push(format_file("src/generated/examples.rs", examples)?);
    }
    Ok(output)
}

fn rust_file(path: &str, contents: String, owner: Owner) -> OutputFile {
    OutputFile {
        path: path.to_string(),
        contents,
        owner,
    }
}

fn format_file(path: &str, tokens: TokenStream) -> Result<OutputFile, EmitError> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| EmitError {
        file: path.to_string(),
        reason: e.to_string(),
    })?;
    Ok(rust_file(
        path,
        prettyplease::unparse(&file),
        Owner::Generator,
    ))
}

fn cargo_toml(api: &Api, options: &RustOptions) -> String {
    let runtime = match &options.runtime {
        RuntimeDependency::Path(path) => format!("{{ path = {} }}", toml_string(path)),
        RuntimeDependency::Version(version) => toml_string(version),
    };
    let description = toml_string(&format!(
        "{} {} (generated from AsyncAPI by fastsocket-gen)",
        api.info.title, api.info.version
    ));
    format!(
        r#"[package]
name = {name}
version = "0.1.0"
edition = "2024"
description = {description}
publish = false

# A crate of its own, even inside another project's folder. Remove this table to make it a member of an
# enclosing workspace instead.
[workspace]

[dependencies]
fastsocket = {runtime}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
schemars = {{ version = "1", features = ["chrono04", "uuid1"] }}
chrono = {{ version = "0.4", default-features = false, features = ["std", "serde"] }}
uuid = {{ version = "1", features = ["serde"] }}
"#,
        name = toml_string(&options.crate_name),
    )
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn lib_rs(api: &Api) -> String {
    let title = docs::clean(&api.info.title.replace(['\n', '\r'], " "));
    format!(
        "//! {title}: generated from its AsyncAPI document by fastsocket-gen.\n//!\n//! This file is yours: regeneration writes only `src/generated/`.\n\npub mod generated;\n\npub use generated::models;\n"
    )
}

#[cfg(test)]
mod tests;
