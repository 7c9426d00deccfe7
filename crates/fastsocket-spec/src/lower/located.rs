//! A node together with the file and JSON pointer it was found at.

use crate::node::Node;
use crate::pointer;
use crate::sources::FileId;

/// A located node.
#[derive(Debug, Clone)]
pub(crate) struct At<'a> {
    pub file: FileId,
    pub pointer: String,
    pub node: &'a Node,
}

impl<'a> At<'a> {
    /// The root of a file.
    pub fn root(file: FileId, node: &'a Node) -> Self {
        At {
            file,
            pointer: String::new(),
            node,
        }
    }

    /// The value under `key`, located.
    pub fn get(&self, key: &str) -> Option<At<'a>> {
        let node = self.node.get(key)?;
        Some(At {
            file: self.file,
            pointer: pointer::push(&self.pointer, key),
            node,
        })
    }

    /// A string field.
    pub fn str_field(&self, key: &str) -> Option<String> {
        self.node.get_str(key).map(str::to_string)
    }

    /// A boolean field (absent → false).
    pub fn flag(&self, key: &str) -> bool {
        self.node.get(key).and_then(Node::as_bool).unwrap_or(false)
    }

    /// The entries of a mapping, located (empty for any other kind).
    pub fn entries(&self) -> Vec<(&'a str, At<'a>)> {
        self.node
            .as_map()
            .map(|entries| {
                entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.text.as_str(),
                            At {
                                file: self.file,
                                pointer: pointer::push(&self.pointer, &k.text),
                                node: v,
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The items of a sequence, located (empty for any other kind).
    pub fn items(&self) -> Vec<At<'a>> {
        self.node
            .as_seq()
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| At {
                        file: self.file,
                        pointer: pointer::push_index(&self.pointer, i),
                        node: v,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The same place with another node (a merged copy of this one).
    pub fn with_node(&self, node: &'a Node) -> At<'a> {
        At {
            file: self.file,
            pointer: self.pointer.clone(),
            node,
        }
    }
}
