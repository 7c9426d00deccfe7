//! One [`Settings`] value holds everything a Rust generation depends on. The `[rust]` table of `fastsocket.toml`
//! is its serde form, the `rust` command's flags and the [`crate::Builder`]'s setters write its fields, and
//! [`crate::generate::generate`] reads it: each option is defined, defaulted and documented here, once. The
//! README's option table is [`options_table`] (a test fails when they differ).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fastsocket_codegen_rust::{
    Layout, Mapping, RuntimeDependency, RustOptions, TypeAttribute, TypeOverride,
};
use fastsocket_spec::LoadOptions;
use serde::{Deserialize, Serialize};

use crate::config::{ConfigFile, MappingConfig};

/// The options of a Rust generation. Defaults: [`Settings::default`]; overlays, later wins: the config file
/// ([`Settings::from_config`]), then the command line's flags or the builder's setters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The AsyncAPI document (`-`: standard input). In the config file it is the top-level `spec`.
    #[serde(skip)]
    pub spec: Option<PathBuf>,
    /// How `$ref`s are read. In the config file it is the `[load]` table.
    #[serde(skip)]
    pub load: LoadOptions,
    /// The `fastsocket.toml` these settings came from, if any (the builder reruns when it changes).
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Files of a crate (the CLI) or one file of inline modules for `include!` (the builder).
    #[serde(skip)]
    pub layout: Layout,
    /// The output folder, created if missing: `fastsocket-gen rust` writes the crate there; the build.rs builder
    /// writes `<name>/generated.rs` there [builder default: `OUT_DIR`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out: Option<PathBuf>,
    /// The package name of the generated crate [default: from the document's title, e.g. `chat-service-api`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crate_name: Option<String>,
    /// How channels become Socket.IO namespaces and events: `namespace` (each channel is a namespace) or `event`
    /// (one namespace `/`, channel addresses are event names) [default: chosen from the document].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<MappingConfig>,
    /// Generate the Socket.IO server (handler traits, emitters, `main`), not only the models and validators
    /// [default: true].
    pub server: bool,
    /// Examples that do not match their schema are errors, not warnings [default: false].
    pub strict: bool,
    /// Outer attributes added to model types, by Rust name (`*`: every model struct and enum), as prost-build's
    /// `type_attribute`, e.g. `{ "User" = ["#[derive(Eq, Hash)]"] }`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub type_attributes: BTreeMap<String, Vec<String>>,
    /// The Rust type of a string `format` (`date-time`, `date`, `uuid`) in place of the default, e.g.
    /// `{ "date-time" = "::std::string::String" }` (still validated on the JSON).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub type_overrides: BTreeMap<String, String>,
    /// Where the generated crate's `Cargo.toml` finds the `fastsocket` runtime: `{ path = "…" }` (relative to
    /// `out`), `{ git = "…", rev = "…" }` or `{ version = "…" }` [default: the `crates/fastsocket` of the checkout
    /// the generator was installed from, while it exists; else the generator's own version from crates.io].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            spec: None,
            load: LoadOptions::default(),
            config: None,
            layout: Layout::Crate,
            out: None,
            crate_name: None,
            mapping: None,
            server: true,
            strict: false,
            type_attributes: BTreeMap::new(),
            type_overrides: BTreeMap::new(),
            runtime: None,
        }
    }
}

/// `runtime = { … }`: one of `path`, `git` (with an optional `rev`) or `version`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    /// A folder holding the runtime crate, relative to the generated crate (or absolute).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A git repository holding the runtime crate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<String>,
    /// With `git`: the commit, tag or branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rev: Option<String>,
    /// A version requirement on crates.io.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Runtime {
    /// The dependency it states, or what is wrong with it.
    pub fn dependency(&self) -> Result<RuntimeDependency, String> {
        match (&self.path, &self.git, &self.rev, &self.version) {
            (Some(path), None, None, None) => Ok(RuntimeDependency::Path(path.clone())),
            (None, Some(url), rev, None) => Ok(RuntimeDependency::Git {
                url: url.clone(),
                rev: rev.clone(),
            }),
            (None, None, None, Some(version)) => Ok(RuntimeDependency::Version(version.clone())),
            (None, None, Some(_), None) => Err("runtime: `rev` needs `git`".to_string()),
            _ => Err(
                "runtime: give exactly one of `path`, `git` (with an optional `rev`) or `version`"
                    .to_string(),
            ),
        }
    }
}

impl Settings {
    /// The defaults, for a document.
    pub fn new(spec: impl Into<PathBuf>) -> Settings {
        Settings {
            spec: Some(spec.into()),
            ..Settings::default()
        }
    }

    /// The settings a `fastsocket.toml` states: its `spec`, `[load]` and `[rust]`, with paths made relative to the
    /// current folder.
    pub fn from_config(file: &ConfigFile) -> Settings {
        let mut settings = file.config.rust.clone();
        settings.spec = file.spec();
        settings.load = file.load_options();
        settings.out = settings.out.as_deref().map(|out| file.resolve(out));
        settings.config = Some(file.path.clone());
        settings
    }

    /// What the loader is asked for: the `$ref` options and `strict`.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            strict: self.strict,
            ..self.load.clone()
        }
    }

    /// The emitter's options for a document titled `title`. `runtime` is the dependency to write when none is set
    /// (see [`default_runtime`]).
    pub fn rust_options(&self, title: &str, runtime: RuntimeDependency) -> RustOptions {
        RustOptions {
            crate_name: self
                .crate_name
                .clone()
                .unwrap_or_else(|| default_crate_name(title)),
            runtime,
            server: self.server,
            mapping: self.mapping.map(Mapping::from),
            layout: self.layout,
            type_attributes: self
                .type_attributes
                .iter()
                .flat_map(|(name, attributes)| {
                    attributes.iter().map(|attribute| TypeAttribute {
                        name: name.clone(),
                        attribute: attribute.clone(),
                    })
                })
                .collect(),
            type_overrides: self
                .type_overrides
                .iter()
                .map(|(format, rust_type)| TypeOverride {
                    format: format.clone(),
                    rust_type: rust_type.clone(),
                })
                .collect(),
        }
    }
}

/// `Chat Service API` → `chat-service-api`.
pub fn default_crate_name(title: &str) -> String {
    let name = heck::ToKebabCase::to_kebab_case(
        title
            .chars()
            .filter(char::is_ascii)
            .collect::<String>()
            .as_str(),
    );
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("api-{name}").trim_end_matches('-').to_string()
    } else {
        name
    }
}

/// The runtime crate of the checkout this generator was built from (`cargo install --path crates/fastsocket-gen`
/// or `cargo run` in a clone), if it is still there now: the generator looks when it runs, so a moved or deleted
/// clone is noticed instead of written into a manifest that cannot build.
fn checkout_runtime() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fastsocket");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    manifest
        .lines()
        .any(|line| line.trim() == "name = \"fastsocket\"")
        .then(|| dir.canonicalize().ok())
        .flatten()
}

/// The runtime dependency of a crate written to `out` when none is set, and a warning when it is a guess: the
/// checkout's `crates/fastsocket` as a path relative to `out` (absolute when there is none), else the version of
/// this generator on crates.io.
pub fn default_runtime(out: &Path) -> (RuntimeDependency, Option<String>) {
    let Some(runtime) = checkout_runtime() else {
        let version = env!("CARGO_PKG_VERSION");
        return (
            RuntimeDependency::Version(version.to_string()),
            Some(format!(
                "the runtime crate `fastsocket` is not where this generator was built from; the manifest asks crates.io for version {version}: set `[rust] runtime` (or --runtime-path / --runtime-git / --runtime-version) to point at it"
            )),
        );
    };
    let shown = match std::fs::create_dir_all(out).and_then(|()| out.canonicalize()) {
        Ok(out) => fastsocket_spec::sources::relative_to(&runtime, &out),
        Err(_) => runtime.display().to_string(),
    };
    (RuntimeDependency::Path(shown), None)
}

/// One option as the README's table shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionRow {
    /// The key in the `[rust]` table (or at the top level, for `spec`), if the file can set it.
    pub key: Option<&'static str>,
    /// The `rust` command's flag(s), if any.
    pub flag: Option<&'static str>,
    /// The builder's setter, if any.
    pub setter: Option<&'static str>,
}

/// Every option of [`Settings`] with where it can be set; the descriptions are the fields' doc comments (read
/// through the JSON Schema of `fastsocket.toml`), so they are written once.
pub const OPTIONS: &[(&str, OptionRow)] = &[
    (
        "spec",
        OptionRow {
            key: Some("spec"),
            flag: Some("SPEC"),
            setter: Some("new"),
        },
    ),
    (
        "load",
        OptionRow {
            key: Some("[load]"),
            flag: Some("--ref-root, --map-url"),
            setter: Some("load_options"),
        },
    ),
    (
        "out",
        OptionRow {
            key: Some("out"),
            flag: Some("--out"),
            setter: Some("out_dir"),
        },
    ),
    (
        "crate_name",
        OptionRow {
            key: Some("crate_name"),
            flag: Some("--crate-name"),
            setter: None,
        },
    ),
    (
        "mapping",
        OptionRow {
            key: Some("mapping"),
            flag: Some("--mapping"),
            setter: Some("mapping"),
        },
    ),
    (
        "server",
        OptionRow {
            key: Some("server"),
            flag: Some("--models-only"),
            setter: Some("server"),
        },
    ),
    (
        "strict",
        OptionRow {
            key: Some("strict"),
            flag: Some("--strict"),
            setter: Some("strict"),
        },
    ),
    (
        "type_attributes",
        OptionRow {
            key: Some("type_attributes"),
            flag: None,
            setter: Some("type_attribute"),
        },
    ),
    (
        "type_overrides",
        OptionRow {
            key: Some("type_overrides"),
            flag: None,
            setter: Some("type_override"),
        },
    ),
    (
        "runtime",
        OptionRow {
            key: Some("runtime"),
            flag: Some("--runtime-path, --runtime-git [--runtime-rev], --runtime-version"),
            setter: None,
        },
    ),
];

/// The doc comment of a field of [`Settings`], from the JSON Schema (the `[rust]` table's properties), or of the
/// fields the file holds elsewhere (`spec`, `[load]`).
pub(crate) fn description(schema: &serde_json::Value, field: &str) -> String {
    let rust = &schema["$defs"]["Settings"]["properties"][field]["description"];
    let top = &schema["properties"][field]["description"];
    rust.as_str()
        .or_else(|| top.as_str())
        .unwrap_or_default()
        .replace('\n', " ")
}

/// The README's table of options, one row per [`OPTIONS`] entry.
pub fn options_table() -> String {
    let schema = crate::config::json_schema();
    let cell = |text: Option<&str>| text.map_or("—".to_string(), |t| format!("`{t}`"));
    let mut table = String::from(
        "| option | `fastsocket.toml` | `fastsocket-gen rust` | `Builder` | what it does |\n| --- | --- | --- | --- | --- |\n",
    );
    for (field, row) in OPTIONS {
        table.push_str(&format!(
            "| {field} | {} | {} | {} | {} |\n",
            cell(row.key),
            cell(row.flag),
            cell(row.setter),
            description(&schema, field).replace('|', "\\|")
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_come_from_titles() {
        assert_eq!(default_crate_name("Chat Service API"), "chat-service-api");
        assert_eq!(default_crate_name("2FA gateway"), "api-2fa-gateway");
        assert_eq!(default_crate_name("Ünïcode"), "ncode");
        assert_eq!(default_crate_name(""), "api");
    }

    #[test]
    fn a_runtime_is_one_of_path_git_or_version() {
        let runtime =
            |path: Option<&str>, git: Option<&str>, rev: Option<&str>, version: Option<&str>| {
                Runtime {
                    path: path.map(Into::into),
                    git: git.map(Into::into),
                    rev: rev.map(Into::into),
                    version: version.map(Into::into),
                }
                .dependency()
            };
        assert_eq!(
            runtime(Some("../rt"), None, None, None),
            Ok(RuntimeDependency::Path("../rt".into()))
        );
        assert_eq!(
            runtime(None, Some("https://x.test/r.git"), Some("v1"), None),
            Ok(RuntimeDependency::Git {
                url: "https://x.test/r.git".into(),
                rev: Some("v1".into())
            })
        );
        assert_eq!(
            runtime(None, None, None, Some("0.1")),
            Ok(RuntimeDependency::Version("0.1".into()))
        );
        assert!(
            runtime(None, None, Some("v1"), None)
                .unwrap_err()
                .contains("needs `git`")
        );
        assert!(runtime(Some("a"), None, None, Some("1")).is_err());
        assert!(runtime(None, None, None, None).is_err());
    }

    #[test]
    fn the_default_runtime_is_this_checkout_relative_to_the_output() {
        let out = std::env::temp_dir().join(format!("fastsocket-runtime-{}", std::process::id()));
        let (dependency, warning) = default_runtime(&out);
        // The tests run from the checkout, so its runtime exists.
        assert_eq!(warning, None);
        let RuntimeDependency::Path(path) = dependency else {
            panic!("{dependency:?}");
        };
        assert!(
            out.join(&path).join("Cargo.toml").is_file(),
            "{path} from {}",
            out.display()
        );
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn every_field_is_a_row_of_the_table_and_every_row_is_documented() {
        let schema = crate::config::json_schema();
        let keys: Vec<&str> = schema["$defs"]["Settings"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for key in &keys {
            assert!(
                OPTIONS.iter().any(|(field, _)| field == key),
                "`[rust] {key}` has no row in settings::OPTIONS"
            );
        }
        for (field, _) in OPTIONS {
            assert!(
                !description(&schema, field).is_empty(),
                "{field} has no doc comment"
            );
        }
    }

    #[test]
    fn the_readme_table_is_the_settings_table() {
        let readme =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
                .unwrap();
        let start =
            "<!-- options-table: generated from crates/fastsocket-gen/src/settings.rs -->\n";
        let end = "<!-- /options-table -->";
        let shown = readme
            .split_once(start)
            .and_then(|(_, rest)| rest.split_once(end))
            .map(|(table, _)| table)
            .unwrap_or_default();
        assert!(
            shown == options_table(),
            "the README's option table differs from settings::options_table(); replace it with:\n{}",
            options_table()
        );
    }
}
