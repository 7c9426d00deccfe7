//! `fastsocket-gen init`: a starter AsyncAPI document (with a `$ref` to a schema file, as real projects split
//! them) and the `fastsocket.toml` that states the project's options once.

use std::path::{Path, PathBuf};

use crate::config;

/// The files `init` writes, relative to the target folder, with their contents.
pub fn files() -> Vec<(&'static str, String)> {
    vec![
        ("asyncapi.yaml", SPEC.to_string()),
        ("schemas/greeting.yaml", SCHEMA.to_string()),
        (config::FILE_NAME, config::starter("asyncapi.yaml")),
    ]
}

/// Why `init` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// Files would be overwritten.
    #[error("{} already exist(s): {}; init never overwrites, pick an empty folder", .0.len(), .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Exists(Vec<PathBuf>),
    /// The file system said no.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Writes the starter files into `dir` (created if missing); writes nothing if any of them exists.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, InitError> {
    let files = files();
    let existing: Vec<PathBuf> = files
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|p| p.exists())
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    let mut written = Vec::new();
    for (name, contents) in files {
        let path = dir.join(name);
        let io = |source| InitError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        crate::atomic::write(dir, &path, contents.as_bytes()).map_err(io)?;
        written.push(path);
    }
    Ok(written)
}

const SPEC: &str = r#"# A starter AsyncAPI 3.0 document for a Socket.IO server. Each channel is a namespace (its address is the
# path), each message name is an event, `receive` operations are handled by the server, and a `reply` is the
# acknowledgement. Generate with `fastsocket-gen rust` (options in fastsocket.toml).
asyncapi: 3.0.0
info:
  title: Greeter
  version: 0.1.0
  description: Says hello back, and tells everyone in the namespace who was greeted.
defaultContentType: application/json

channels:
  root:
    address: /
    messages:
      hello:
        $ref: '#/components/messages/Hello'
      helloAck:
        $ref: '#/components/messages/HelloAck'
      greeted:
        $ref: '#/components/messages/Greeted'

operations:
  onHello:
    action: receive
    channel:
      $ref: '#/channels/root'
    messages:
      - $ref: '#/channels/root/messages/hello'
    reply:
      channel:
        $ref: '#/channels/root'
      messages:
        - $ref: '#/channels/root/messages/helloAck'
  sendGreeted:
    action: send
    channel:
      $ref: '#/channels/root'
    messages:
      - $ref: '#/channels/root/messages/greeted'

components:
  messages:
    Hello:
      name: hello
      payload:
        $ref: './schemas/greeting.yaml#/Greeting'
      examples:
        - payload:
            name: Ada
    HelloAck:
      name: hello_ack
      payload:
        type: object
        required: [text]
        properties:
          text:
            type: string
      examples:
        - payload:
            text: Hello, Ada!
    Greeted:
      name: greeted
      payload:
        $ref: './schemas/greeting.yaml#/Greeting'
"#;

const SCHEMA: &str = r#"# Schemas shared by several messages; asyncapi.yaml refers to them as `./schemas/greeting.yaml#/Greeting`.
Greeting:
  type: object
  required: [name]
  additionalProperties: false
  properties:
    name:
      type: string
      minLength: 1
      maxLength: 64
      description: Who to greet.
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_project_loads_cleanly_through_its_config() {
        let dir = std::env::temp_dir().join(format!("fastsocket-init-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let written = init(&dir).unwrap();
        assert_eq!(written.len(), 3);
        let config = config::ConfigFile::read(dir.join(config::FILE_NAME)).unwrap();
        let loaded = fastsocket_spec::load(
            &fastsocket_spec::Input::Path(config.spec().unwrap()),
            &config.load_options(),
        )
        .unwrap();
        assert_eq!(
            loaded.report.diagnostics,
            vec![],
            "the starter has no warnings"
        );
        assert_eq!(
            loaded.report.files.len(),
            2,
            "the document and its schema file"
        );
        // A second init refuses and leaves the files alone.
        std::fs::write(dir.join("asyncapi.yaml"), "mine").unwrap();
        assert!(matches!(init(&dir), Err(InitError::Exists(paths)) if paths.len() == 3));
        assert_eq!(
            std::fs::read_to_string(dir.join("asyncapi.yaml")).unwrap(),
            "mine"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
