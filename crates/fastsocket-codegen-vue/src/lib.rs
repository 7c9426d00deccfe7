//! IR → a Vite + Vue 3 + TypeScript client for the generated Socket.IO server: `types.ts` (the same type names as
//! the Rust models), validators with the server's rules (Ajv on the JSON Schema the server enforces), a typed
//! socket.io-client wrapper, composables, components (a form per event the client sends, a feed per event it
//! receives, a dashboard), and Vitest specs.
//!
//! Files are rendered with minijinja from the templates in the repository's `templates/vue/` (this crate's `templates`
//! link, so it packages them), embedded in the binary
//! at compile time so an installed `fastsocket-gen` needs no template folder. Templates run with strict undefined
//! behaviour; everything taken from the document reaches them already escaped for its destination (see
//! [`escape`]), and only `.html` templates are auto-escaped as HTML.
#![deny(missing_docs)]

mod context;
pub mod escape;
mod forms;
mod templates;
mod ts_types;

use fastsocket_ir::Api;
use fastsocket_ir::output::{Output, OutputFile, Owner};
use fastsocket_ir::socketio::{self, Mapping};

/// Options of the Vue emitter.
#[derive(Debug, Clone)]
pub struct VueOptions {
    /// The npm package name of the generated project.
    pub package_name: String,
    /// How channels become namespaces and events (`None`: chosen from the document, as the Rust emitter does).
    pub mapping: Option<Mapping>,
}

/// Why generation failed: a bug in a template or the emitter, never the document's fault.
#[derive(Debug, thiserror::Error)]
#[error("internal error: template {template} failed ({reason}); please report this with the spec")]
pub struct EmitError {
    /// The template.
    pub template: String,
    /// What went wrong.
    pub reason: String,
}

/// Generates the client project for `api`.
pub fn generate(api: &Api, options: &VueOptions) -> Result<Output, EmitError> {
    let mapping = options.mapping.unwrap_or_else(|| Mapping::detect(api).0);
    let (namespaces, notes) = socketio::namespaces(api, mapping);
    let document = context::document(api, &namespaces, &options.package_name);
    let mut output = Output {
        warnings: notes,
        ..Output::default()
    };
    output.warnings.extend(document.skipped.iter().cloned());
    let renderer = templates::Renderer::new()?;
    let value = templates::to_value(&document);
    for (path, template, owner) in templates::PROJECT_FILES {
        output.files.push(OutputFile {
            path: (*path).to_string(),
            contents: renderer.render(template, &value, None, None)?,
            owner: *owner,
        });
    }
    for ns in &document.namespaces {
        let ns_value = templates::to_value(ns);
        let mut component = |name: String, template: &str, event| -> Result<(), EmitError> {
            output.files.push(OutputFile {
                path: format!("src/generated/components/{name}.vue"),
                contents: renderer.render(template, &value, Some(&ns_value), event)?,
                owner: Owner::Generator,
            });
            Ok(())
        };
        component(
            format!("{}Panel", ns.pascal),
            "generated/components/Panel.vue.j2",
            None,
        )?;
        for event in &ns.inbound {
            component(
                format!("{}Form", event.qualified),
                "generated/components/Form.vue.j2",
                Some(event),
            )?;
        }
        for event in &ns.outbound {
            component(
                format!("{}Feed", event.qualified),
                "generated/components/Feed.vue.j2",
                Some(event),
            )?;
        }
    }
    output.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(output)
}

#[cfg(test)]
mod tests;
