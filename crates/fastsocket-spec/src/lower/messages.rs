//! Messages: traits applied, payload/headers/ack schemas, examples.

use fastsocket_ir::naming::type_name;
use fastsocket_ir::{CorrelationId, Message, MessageExample, MessageId, Names};

use super::schema::{Hint, is_json_schema_format};
use super::{At, Lowerer};
use crate::diag::{Code, Severity};
use crate::node::{Kind, Node};
use crate::pointer;

impl<'a> Lowerer<'a> {
    /// The id of the message at `at` (following `$ref`s), lowered on first sight. `hint` names inline messages.
    pub fn message(&mut self, at: At<'a>, hint: &str) -> Option<MessageId> {
        let target = self.deref(at)?;
        let key = (target.file, target.pointer.clone());
        if let Some(id) = self.message_ids.get(&key) {
            return Some(*id);
        }
        let id = MessageId(self.messages.len() as u32);
        self.message_ids.insert(key, id);
        let merged = self.apply_traits(target.clone());
        let message = self.build_message(id, merged, hint);
        self.messages.push(message);
        Some(id)
    }

    /// Merges `traits` into an object the way the spec says: traits in order, the object's own fields last.
    pub fn apply_traits(&mut self, at: At<'a>) -> At<'a> {
        let Some(traits) = at.get("traits") else {
            return at;
        };
        let mut merged: Option<Node> = None;
        for item in traits.items() {
            let Some(resolved) = self.deref(item) else {
                continue;
            };
            merged = Some(match merged {
                None => resolved.node.clone(),
                Some(base) => merge_patch(&base, resolved.node),
            });
        }
        let own = without_key(at.node, "traits");
        let result = match merged {
            Some(base) => merge_patch(&base, &own),
            None => own,
        };
        at.with_node(self.arena.alloc(result))
    }

    fn build_message(&mut self, id: MessageId, at: At<'a>, hint: &str) -> Message {
        let tokens = pointer::parse_fragment(&at.pointer).unwrap_or_default();
        let component_key = match tokens.as_slice() {
            [.., c, m, k] if c == "components" && m == "messages" => Some(k.clone()),
            _ => None,
        };
        let name = at.str_field("name");
        let message_id = at.str_field("messageId");
        let raw_key = component_key
            .clone()
            .or_else(|| message_id.clone())
            .or_else(|| name.clone())
            .unwrap_or_else(|| hint.to_string());
        let event = name
            .clone()
            .or_else(|| message_id.clone())
            .unwrap_or_else(|| raw_key.clone());
        let key = self.message_keys.claim(&raw_key);
        let pascal = self.message_names.claim(&type_name(&raw_key));
        let names = Names::of(&pascal);

        let mut schema_format = at.str_field("schemaFormat");
        let payload = at.get("payload").map(|payload| {
            let (schema_at, format) = multi_format(payload, schema_format.clone());
            schema_format = format.clone();
            self.schema_or_opaque(schema_at, format.as_deref(), Hint::new(&pascal, "Payload"))
        });
        let headers = at.get("headers").map(|headers| {
            let (schema_at, format) = multi_format(headers, None);
            self.schema_or_opaque(schema_at, format.as_deref(), Hint::new(&pascal, "Headers"))
        });
        let ack = at
            .get("x-ack")
            .and_then(|ack| self.ack_schema(ack, Hint::new(&pascal, "Ack")));
        let correlation_id = at
            .get("correlationId")
            .and_then(|c| self.deref(c))
            .and_then(|c| {
                Some(CorrelationId {
                    location: c.str_field("location")?,
                    description: c.str_field("description"),
                })
            });
        let mut examples = Vec::new();
        for item in at
            .get("examples")
            .map(|list| list.items())
            .unwrap_or_default()
        {
            let Some(item) = self.deref(item) else {
                continue;
            };
            examples.push(MessageExample {
                name: item.str_field("name"),
                summary: item.str_field("summary"),
                payload: item.node.get("payload").map(Node::to_json),
                headers: item.node.get("headers").map(Node::to_json),
                // Checked against the schemas after lowering (`examples::check_examples`).
                valid: true,
                location: self.location(item),
            });
        }
        Message {
            id,
            key,
            names,
            event,
            name,
            message_id,
            title: at.str_field("title"),
            summary: at.str_field("summary"),
            description: at.str_field("description"),
            content_type: at
                .str_field("contentType")
                .or_else(|| self.default_content_type.clone()),
            schema_format: schema_format.filter(|f| !is_default_format(f)),
            payload,
            headers,
            correlation_id,
            ack,
            examples,
            deprecated: at.flag("deprecated") || at.flag("x-deprecated"),
            tags: self.tags(at.get("tags")),
            bindings: self.bindings(at.get("bindings")),
            extensions: self.extensions(at.clone()),
            location: self.location(at),
        }
    }

    fn schema_or_opaque(
        &mut self,
        at: At<'a>,
        format: Option<&str>,
        hint: Hint<'_>,
    ) -> fastsocket_ir::TypeId {
        match format {
            Some(f) if !is_json_schema_format(f) => {
                self.report(
                    Severity::Warning,
                    Code::OpaqueSchema,
                    at.clone(),
                    format!("schema format `{f}` is not JSON Schema; the payload is kept as written, without a typed model or validation"),
                    Some("use an AsyncAPI/JSON Schema payload to get generated types".to_string()),
                );
                self.types.opaque(at, f, hint)
            }
            _ => self.types.id_for(at, hint),
        }
    }

    /// `x-ack`: `{args: schema}` (Asynction) or a bare schema (SIO-AsyncAPI), possibly behind a `$ref`.
    pub fn ack_schema(&mut self, at: At<'a>, hint: Hint<'_>) -> Option<fastsocket_ir::TypeId> {
        let target = self.deref(at)?;
        let schema = target
            .get("args")
            .filter(|_| is_args_wrapper(target.node))
            .unwrap_or(target);
        Some(self.types.id_for(schema, hint))
    }

    /// Every message under `components.messages`, so unreferenced ones are in the IR too.
    pub fn messages_from_components(&mut self, root: At<'a>) {
        let Some(messages) = root.get("components").and_then(|c| c.get("messages")) else {
            return;
        };
        for (key, at) in messages.entries() {
            self.message(at, key);
        }
    }

    /// `components.x-messageAcks`.
    pub fn message_acks_from_components(&mut self, root: At<'a>) {
        let Some(acks) = root.get("components").and_then(|c| c.get("x-messageAcks")) else {
            return;
        };
        for (key, at) in acks.entries() {
            if let Some(id) = self.ack_schema(at, Hint::new("", key)) {
                self.message_acks.insert(key.to_string(), id);
            }
        }
    }
}

/// Whether an ack node is the `{args: schema}` form rather than a schema that happens to have a property `args`.
fn is_args_wrapper(node: &Node) -> bool {
    node.as_map().is_some_and(|entries| {
        entries.iter().any(|(k, _)| k.text == "args")
            && entries.iter().all(|(k, _)| {
                k.text == "args" || k.text == "description" || k.text.starts_with("x-")
            })
    })
}

/// A 3.0 Multi Format Schema Object (`{schemaFormat, schema}`) unwrapped; anything else as it is.
fn multi_format<'a>(at: At<'a>, inherited: Option<String>) -> (At<'a>, Option<String>) {
    if let (Some(format), Some(schema)) = (at.str_field("schemaFormat"), at.get("schema")) {
        return (schema, Some(format));
    }
    (at, inherited)
}

fn is_default_format(format: &str) -> bool {
    format.starts_with("application/vnd.aai.asyncapi")
}

fn without_key(node: &Node, key: &str) -> Node {
    match &node.kind {
        Kind::Map(entries) => Node::new(
            Kind::Map(
                entries
                    .iter()
                    .filter(|(k, _)| k.text != key)
                    .cloned()
                    .collect(),
            ),
            node.pos,
        ),
        _ => node.clone(),
    }
}

/// JSON Merge Patch (RFC 7396) on nodes, keeping the positions of whichever side a value came from.
pub(crate) fn merge_patch(base: &Node, patch: &Node) -> Node {
    match (&base.kind, &patch.kind) {
        (Kind::Map(base_entries), Kind::Map(patch_entries)) => {
            let mut entries = base_entries.clone();
            for (key, value) in patch_entries {
                if let Some(slot) = entries.iter_mut().find(|(k, _)| k.text == key.text) {
                    slot.1 = merge_patch(&slot.1, value);
                } else {
                    entries.push((key.clone(), value.clone()));
                }
            }
            Node::new(Kind::Map(entries), patch.pos)
        }
        _ => patch.clone(),
    }
}
