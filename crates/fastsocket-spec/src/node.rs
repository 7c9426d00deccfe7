//! The document tree: YAML or JSON parsed into nodes that remember where they came from.
//!
//! serde's data model drops source positions, and every diagnostic we give names a line and a column, so documents
//! are read into this small tree instead. Conversion to [`serde_json::Value`] happens only where the IR keeps raw
//! JSON (examples, bindings, extensions).

use serde_json::{Map, Number, Value};

/// A 1-based line and column in a source file (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// Line, starting at 1.
    pub line: u32,
    /// Column, starting at 1.
    pub column: u32,
}

/// One value of a document with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the value is.
    pub kind: Kind,
    /// Where the value starts.
    pub pos: Pos,
}

/// A key of a mapping, with its own position (diagnostics about unknown fields point at the key).
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key as text (non-string YAML keys are kept as their source text).
    pub text: String,
    /// Where the key starts.
    pub pos: Pos,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `null`, `~` or an empty YAML value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any number.
    Number(Number),
    /// A string.
    Str(String),
    /// A sequence (array).
    Seq(Vec<Node>),
    /// A mapping (object) in document order.
    Map(Vec<(Key, Node)>),
}

impl Node {
    /// A node of the given kind at the given position.
    pub fn new(kind: Kind, pos: Pos) -> Self {
        Node { kind, pos }
    }

    /// The entries of a mapping, or `None` for any other kind.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items of a sequence, or `None` for any other kind.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text of a string node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a boolean node.
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value of a number node.
    pub fn as_number(&self) -> Option<&Number> {
        match &self.kind {
            Kind::Number(n) => Some(n),
            _ => None,
        }
    }

    /// A non-negative integer (as JSON Schema length and count keywords require).
    pub fn as_u64(&self) -> Option<u64> {
        match &self.kind {
            Kind::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                    .map(|f| f as u64)
            }),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value under `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(k, v)| (k, v))
    }

    /// The string under `key` in a mapping.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    /// The `$ref` of a Reference Object, if this node is one.
    pub fn ref_target(&self) -> Option<&str> {
        self.get_str("$ref")
    }

    /// A short name of the node's kind for messages ("a string", "a mapping").
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Number(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a sequence",
            Kind::Map(_) => "a mapping",
        }
    }

    /// The node as JSON.
    pub fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => Value::Number(n.clone()),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    map.insert(k.text.clone(), v.to_json());
                }
                Value::Object(map)
            }
        }
    }
}
