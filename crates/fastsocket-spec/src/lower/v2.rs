//! AsyncAPI 2.x: channels carry `publish`/`subscribe`, which become operations of the 3.0 model.
//!
//! `publish` means clients publish to the application, so the application receives; `subscribe` means the
//! application sends.

use fastsocket_ir::naming::type_name;
use fastsocket_ir::{Action, ChannelId, Names, Operation, Parameter};

use super::common::strings;
use super::schema::Hint;
use super::{At, Lowerer};
use crate::diag::{Code, Severity};

impl<'a> Lowerer<'a> {
    pub fn lower_v2(&mut self, root: At<'a>) {
        let Some(channels) = root.get("channels") else {
            return;
        };
        let mut operation_ids: Vec<(String, At<'a>)> = Vec::new();
        for (key, at) in channels.entries() {
            let Some(channel_at) = self.deref(at) else {
                continue;
            };
            let channel = self.new_channel(channel_at.clone(), key, Some(key.to_string()));
            let parameters = self.v2_parameters(channel_at.get("parameters"), channel);
            let servers = strings(channel_at.node.get("servers"));
            {
                let ch = &mut self.channels[channel.0 as usize];
                ch.parameters = parameters;
                ch.servers = servers;
            }
            for (verb, action) in [("publish", Action::Receive), ("subscribe", Action::Send)] {
                let Some(op_at) = channel_at.get(verb) else {
                    continue;
                };
                let Some(op_at) = self.deref(op_at) else {
                    continue;
                };
                let op_at = self.apply_traits(op_at);
                let operation_id = op_at.str_field("operationId");
                if let Some(id) = &operation_id {
                    if let Some((_, first)) = operation_ids.iter().find(|(seen, _)| seen == id) {
                        let line = first.node.pos.line;
                        self.report(
                            Severity::Error,
                            Code::DuplicateOperationId,
                            op_at.get("operationId").unwrap_or(op_at.clone()),
                            format!("operationId `{id}` is already used (line {line})"),
                            Some("operationIds must be unique in a document".to_string()),
                        );
                    }
                    operation_ids.push((id.clone(), op_at.clone()));
                }
                let raw_key = operation_id
                    .clone()
                    .unwrap_or_else(|| format!("{key} {verb}"));
                let pascal = self.operation_names.claim(&type_name(&raw_key));
                let messages = self.v2_operation_messages(op_at.get("message"), &pascal);
                let ch = &mut self.channels[channel.0 as usize];
                for m in &messages {
                    if !ch.messages.contains(m) {
                        ch.messages.push(*m);
                    }
                }
                let operation = Operation {
                    key: raw_key,
                    names: Names::of(&pascal),
                    operation_id,
                    action,
                    channel,
                    messages,
                    reply: None,
                    title: None,
                    summary: op_at.str_field("summary"),
                    description: op_at.str_field("description"),
                    security: self.security(op_at.get("security"), &pascal),
                    tags: self.tags(op_at.get("tags")),
                    bindings: self.bindings(op_at.get("bindings")),
                    extensions: self.extensions(op_at.clone()),
                    location: self.location(op_at),
                };
                self.operations.push(operation);
            }
        }
    }

    /// `message`: one message, or `oneOf` a list of them.
    fn v2_operation_messages(
        &mut self,
        at: Option<At<'a>>,
        operation: &str,
    ) -> Vec<fastsocket_ir::MessageId> {
        let Some(at) = at else { return Vec::new() };
        let Some(target) = self.deref(at.clone()) else {
            return Vec::new();
        };
        match target.get("oneOf") {
            Some(list) if target.node.get("payload").is_none() => list
                .items()
                .into_iter()
                .enumerate()
                .filter_map(|(i, item)| self.message(item, &format!("{operation}Message{i}")))
                .collect(),
            _ => self
                .message(at, &format!("{operation}Message"))
                .into_iter()
                .collect(),
        }
    }

    fn v2_parameters(&mut self, at: Option<At<'a>>, channel: ChannelId) -> Vec<Parameter> {
        let Some(at) = at else { return Vec::new() };
        let channel_name = self.channels[channel.0 as usize].names.pascal.clone();
        let mut out = Vec::new();
        for (name, param) in at.entries() {
            let Some(param) = self.deref(param) else {
                continue;
            };
            let schema_at = param.get("schema");
            let schema_node = schema_at
                .as_ref()
                .and_then(|s| self.sources.follow(s.file, &s.pointer, s.node).ok());
            let (enum_values, default) = schema_node
                .map(|s| {
                    (
                        strings(s.target.node.get("enum")),
                        s.target.node.get_str("default").map(str::to_string),
                    )
                })
                .unwrap_or_default();
            let schema = schema_at.map(|s| self.types.id_for(s, Hint::new(&channel_name, name)));
            out.push(Parameter {
                name: name.to_string(),
                names: Names::of(name),
                description: param.str_field("description"),
                schema,
                enum_values,
                default,
                examples: Vec::new(),
                location: param.str_field("location"),
            });
        }
        out
    }

    /// A channel with the fields both lines share; parameters, messages and servers are filled by the caller.
    pub fn new_channel(&mut self, at: At<'a>, key: &str, address: Option<String>) -> ChannelId {
        let id = ChannelId(self.channels.len() as u32);
        self.channel_ids.insert((at.file, at.pointer.clone()), id);
        let pascal = self.channel_names.claim(&type_name(key));
        let channel = fastsocket_ir::Channel {
            id,
            key: key.to_string(),
            names: Names::of(&pascal),
            address,
            title: at.str_field("title"),
            summary: at.str_field("summary"),
            description: at.str_field("description"),
            parameters: Vec::new(),
            messages: Vec::new(),
            servers: Vec::new(),
            tags: self.tags(at.get("tags")),
            bindings: self.bindings(at.get("bindings")),
            extensions: self.extensions(at.clone()),
            location: self.location(at),
        };
        self.channels.push(channel);
        id
    }
}
