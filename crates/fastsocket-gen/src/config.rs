//! `fastsocket.toml`: a project states its generator options once, for the CLI and for [`crate::Builder`].
//!
//! ```toml
//! #:schema ./fastsocket.schema.json
//! # Paths are relative to this file.
//! spec = "asyncapi.yaml"
//!
//! [load]
//! ref_root = "."
//! map_url = { "https://example.com/schemas/" = "./schemas" }
//!
//! [rust]
//! out = "server"          # `fastsocket-gen rust` writes the crate here (the build.rs builder uses OUT_DIR)
//! mapping = "namespace"   # or "event"; default: chosen from the document
//! server = true           # false: models only
//! strict = false          # examples that do not match their schema are errors
//! type_attributes = { "User" = ["#[derive(Eq, Hash)]"] }   # "*": every model struct and enum
//! type_overrides = { "date-time" = "::std::string::String" } # formats date-time, date, uuid
//! runtime = { git = "https://example.com/fastsocket-gen.git", rev = "v0.1.0" }  # or path / version
//! ```
//!
//! The `[rust]` table is [`crate::settings::Settings`], where every key is documented.
//!
//! Unknown keys are errors (a typo must not be silently ignored), reported with their line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fastsocket_codegen_rust::Mapping;
use fastsocket_spec::LoadOptions;
use serde::{Deserialize, Serialize};

/// The file name the CLI looks for in the current folder, and that the loader treats as a `$ref` root marker.
pub const FILE_NAME: &str = "fastsocket.toml";

/// The contents of a `fastsocket.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "fastsocket.toml",
    description = "Options of fastsocket-gen (CLI and build.rs builder). Paths are relative to this file."
)]
pub struct Config {
    /// The AsyncAPI document (YAML or JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<PathBuf>,
    /// How documents and their `$ref`s are read.
    #[serde(default)]
    pub load: LoadConfig,
    /// The Rust generator: the settings of [`crate::settings::Settings`].
    #[serde(default)]
    pub rust: crate::settings::Settings,
    /// The Vue/TypeScript generator (CLI only).
    #[serde(default)]
    pub vue: VueConfig,
}

/// `[vue]`: the Vue/TypeScript generator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VueConfig {
    /// Where `fastsocket-gen vue` writes the project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out: Option<PathBuf>,
    /// The npm package name [default: from the document's title, with `-client`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
    /// How channels become Socket.IO namespaces and events [default: chosen from the document, as for Rust].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<MappingConfig>,
}

/// `[load]`: how documents and their `$ref`s are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadConfig {
    /// Folder that `$ref`s may reach [default: nearest ancestor of the document holding `.git` or
    /// `fastsocket.toml`, else the document's folder].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ref_root: Option<PathBuf>,
    /// `$ref`s under an http(s) URL prefix are read from a local folder (the network is never used).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub map_url: BTreeMap<String, PathBuf>,
}

/// `mapping` values: of the config file and, under feature `cli`, of `--mapping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum MappingConfig {
    /// Each channel is a namespace; messages are events by name.
    Namespace,
    /// One namespace `/`; each channel address is an event name (MQTT/Kafka-style documents).
    Event,
}

impl From<Mapping> for MappingConfig {
    fn from(value: Mapping) -> Self {
        match value {
            Mapping::Namespace => MappingConfig::Namespace,
            Mapping::Event => MappingConfig::Event,
        }
    }
}

impl From<MappingConfig> for Mapping {
    fn from(value: MappingConfig) -> Self {
        match value {
            MappingConfig::Namespace => Mapping::Namespace,
            MappingConfig::Event => Mapping::Event,
        }
    }
}

/// Why a `fastsocket.toml` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid configuration (the message names line and column).
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The parser's located message.
        message: String,
    },
}

/// A configuration with the folder its relative paths are relative to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// The file read.
    pub path: PathBuf,
    /// What it says.
    pub config: Config,
}

impl ConfigFile {
    /// Reads and checks a `fastsocket.toml`.
    pub fn read(path: impl AsRef<Path>) -> Result<ConfigFile, ConfigError> {
        let path = path.as_ref().to_path_buf();
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
            path: path.clone(),
            source,
        })?;
        let config = parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.clone(),
            message,
        })?;
        Ok(ConfigFile { path, config })
    }

    /// The folder relative paths of the file are relative to.
    pub fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }

    /// A path of the file, made relative to the current folder (absolute paths stay as they are).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.dir().join(path)
    }

    /// The document, if the file names one.
    pub fn spec(&self) -> Option<PathBuf> {
        self.config.spec.as_deref().map(|p| self.resolve(p))
    }

    /// The loader options the file asks for.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            ref_root: self
                .config
                .load
                .ref_root
                .as_deref()
                .map(|p| self.resolve(p)),
            url_map: self
                .config
                .load
                .map_url
                .iter()
                .map(|(prefix, dir)| (prefix.clone(), self.resolve(dir)))
                .collect(),
            ..LoadOptions::default()
        }
    }
}

/// Parses the text of a `fastsocket.toml`; the error names line and column.
pub fn parse(text: &str) -> Result<Config, String> {
    let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
    for prefix in config.load.map_url.keys() {
        if !(prefix.starts_with("http://") || prefix.starts_with("https://")) {
            return Err(format!(
                "load.map_url: `{prefix}` is not an http(s) URL prefix (e.g. \"https://example.com/schemas/\")"
            ));
        }
    }
    if let Some(runtime) = &config.rust.runtime {
        runtime.dependency()?;
    }
    Ok(config)
}

/// The JSON Schema of `fastsocket.toml` (for editors: taplo and Even Better TOML read `#:schema`).
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default()
}

/// The `fastsocket.toml` that `fastsocket-gen init` writes next to its starter document.
pub fn starter(spec: &str) -> String {
    format!(
        r#"# Options of fastsocket-gen, read by the CLI (`fastsocket-gen rust` / `vue` in this folder) and by the build.rs
# builder (`fastsocket_gen::Builder::from_config("fastsocket.toml")`). Paths are relative to this file.
# Every key: `fastsocket-gen config --schema`.
spec = "{spec}"

[rust]
# Where `fastsocket-gen rust` writes the crate (a build script writes to OUT_DIR instead).
out = "server"
# "namespace": each channel is a Socket.IO namespace; "event": one namespace, channel addresses are events.
mapping = "namespace"
server = true
strict = false

[vue]
# Where `fastsocket-gen vue` writes the Vite + Vue client.
out = "client"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_parses_and_paths_resolve_against_its_folder() {
        let text = r##"
spec = "api/asyncapi.yaml"
[load]
ref_root = "."
map_url = { "https://example.com/s/" = "schemas" }
[rust]
out = "server"
mapping = "event"
server = false
strict = true
type_attributes = { "User" = ["#[derive(Hash)]", "#[non_exhaustive]"], "*" = ["#[derive(Eq)]"] }
"##;
        let file = ConfigFile {
            path: PathBuf::from("project/fastsocket.toml"),
            config: parse(text).unwrap(),
        };
        assert_eq!(
            file.spec(),
            Some(PathBuf::from("project/api/asyncapi.yaml"))
        );
        let load = file.load_options();
        assert_eq!(load.ref_root, Some(PathBuf::from("project/.")));
        assert_eq!(
            load.url_map,
            vec![(
                "https://example.com/s/".to_string(),
                PathBuf::from("project/schemas")
            )]
        );
        assert_eq!(file.config.rust.mapping, Some(MappingConfig::Event));
        assert!(!file.config.rust.server);
        let settings = crate::settings::Settings::from_config(&file);
        assert!(settings.strict && !settings.server);
        assert!(settings.load_options().strict, "strict reaches the loader");
        assert_eq!(settings.out, Some(PathBuf::from("project/server")));
        let attributes: Vec<(String, String)> = settings
            .rust_options(
                "T",
                fastsocket_codegen_rust::RuntimeDependency::Version("1".into()),
            )
            .type_attributes
            .into_iter()
            .map(|a| (a.name, a.attribute))
            .collect();
        assert_eq!(
            attributes,
            [
                ("*".to_string(), "#[derive(Eq)]".to_string()),
                ("User".to_string(), "#[derive(Hash)]".to_string()),
                ("User".to_string(), "#[non_exhaustive]".to_string()),
            ]
        );
    }

    #[test]
    fn typos_and_bad_values_are_located_errors() {
        let err = parse("spec = \"a.yaml\"\n[rust]\nmaping = \"event\"\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("maping"), "{err}");
        let err = parse("[rust]\nmapping = \"channels\"\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        let err = parse("[load]\nmap_url = { \"ftp://x/\" = \"y\" }\n").unwrap_err();
        assert!(err.contains("ftp://x/"), "{err}");
        let err = parse("[rust]\nruntime = { path = \"a\", version = \"1\" }\n").unwrap_err();
        assert!(err.contains("exactly one of"), "{err}");
        let err = parse("[rust]\nruntime = { pth = \"a\" }\n").unwrap_err();
        assert!(err.contains("pth"), "{err}");
    }

    #[test]
    fn the_starter_file_is_valid() {
        let config = parse(&starter("asyncapi.yaml")).unwrap();
        assert_eq!(config.spec, Some(PathBuf::from("asyncapi.yaml")));
        assert_eq!(config.rust.out, Some(PathBuf::from("server")));
    }

    #[test]
    fn the_checked_in_schema_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fastsocket.schema.json");
        let current = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == current,
            "{} is stale: run `cargo run -p fastsocket-gen -- config --schema > crates/fastsocket-gen/fastsocket.schema.json`",
            path.display()
        );
    }
}
