//! AsyncAPI 3.0: channels hold messages, operations point at channels and messages, replies are explicit.

use fastsocket_ir::naming::type_name;
use fastsocket_ir::{Action, ChannelId, MessageId, Names, Operation, Parameter, Reply};

use super::common::strings;
use super::{At, Lowerer};
use crate::diag::{Code, Severity};
use crate::pointer;

impl<'a> Lowerer<'a> {
    pub fn lower_v3(&mut self, root: At<'a>) {
        if let Some(channels) = root.get("channels") {
            for (key, at) in channels.entries() {
                self.v3_channel(at, key);
            }
        }
        let Some(operations) = root.get("operations") else {
            return;
        };
        for (key, at) in operations.entries() {
            let Some(op_at) = self.deref(at) else {
                continue;
            };
            let op_at = self.apply_traits(op_at);
            let Some(channel) = op_at.get("channel").and_then(|c| self.v3_channel_ref(c)) else {
                continue;
            };
            let pascal = self.operation_names.claim(&type_name(key));
            let action = match op_at.node.get_str("action") {
                Some("send") => Action::Send,
                _ => Action::Receive,
            };
            let listed = op_at.get("messages");
            let messages = match &listed {
                Some(list) => self.v3_listed_messages(list.clone(), channel, key, "channel"),
                None => self.channels[channel.0 as usize].messages.clone(),
            };
            let reply = op_at
                .get("reply")
                .and_then(|r| self.v3_reply(r, key, channel));
            let operation = Operation {
                key: key.to_string(),
                names: Names::of(&pascal),
                operation_id: None,
                action,
                channel,
                messages,
                reply,
                title: op_at.str_field("title"),
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

    /// A channel (possibly behind a `$ref`), lowered on first sight.
    fn v3_channel(&mut self, at: At<'a>, key: &str) -> Option<ChannelId> {
        let at = self.deref(at)?;
        if let Some(id) = self.channel_ids.get(&(at.file, at.pointer.clone())) {
            return Some(*id);
        }
        let address = at.str_field("address");
        let channel = self.new_channel(at.clone(), key, address);
        let pascal = self.channels[channel.0 as usize].names.pascal.clone();
        let mut messages = Vec::new();
        for (message_key, message_at) in at.get("messages").map(|m| m.entries()).unwrap_or_default()
        {
            if let Some(id) = self.message(message_at, message_key)
                && !messages.contains(&id)
            {
                messages.push(id);
            }
        }
        let parameters = at
            .get("parameters")
            .map(|p| p.entries())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, param)| {
                let param = self.deref(param)?;
                Some(Parameter {
                    name: name.to_string(),
                    names: Names::of(name),
                    description: param.str_field("description"),
                    schema: None,
                    enum_values: strings(param.node.get("enum")),
                    default: param.str_field("default"),
                    examples: strings(param.node.get("examples")),
                    location: param.str_field("location"),
                })
            })
            .collect();
        let servers = at
            .get("servers")
            .map(|s| s.items())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|server| {
                let server = self.deref(server)?;
                let tokens = pointer::parse_fragment(&server.pointer).ok()?;
                match tokens.as_slice() {
                    [s, k] if s == "servers" => Some(k.clone()),
                    _ => None,
                }
            })
            .collect();
        let _ = pascal;
        let ch = &mut self.channels[channel.0 as usize];
        ch.messages = messages;
        ch.parameters = parameters;
        ch.servers = servers;
        Some(channel)
    }

    /// The channel an operation or reply points at.
    fn v3_channel_ref(&mut self, at: At<'a>) -> Option<ChannelId> {
        let target = self.deref(at)?;
        if let Some(id) = self.channel_ids.get(&(target.file, target.pointer.clone())) {
            return Some(*id);
        }
        let tokens = pointer::parse_fragment(&target.pointer).unwrap_or_default();
        let key = tokens
            .last()
            .cloned()
            .unwrap_or_else(|| "channel".to_string());
        self.v3_channel(target, &key)
    }

    /// Messages listed by an operation or reply; each must be one of the channel's messages.
    fn v3_listed_messages(
        &mut self,
        list: At<'a>,
        channel: ChannelId,
        owner: &str,
        what: &str,
    ) -> Vec<MessageId> {
        let mut out = Vec::new();
        for item in list.items() {
            let Some(id) = self.message(item.clone(), &format!("{owner}Message")) else {
                continue;
            };
            let ch = &self.channels[channel.0 as usize];
            if !ch.messages.contains(&id) {
                let channel_key = ch.key.clone();
                let message_key = self
                    .messages
                    .get(id.0 as usize)
                    .map(|m| m.key.clone())
                    .unwrap_or_default();
                self.report(
                    Severity::Error,
                    Code::MessageNotInChannel,
                    item,
                    format!("message `{message_key}` of `{owner}` is not one of the messages of its {what} `{channel_key}`"),
                    Some(format!("point at `#/channels/{}/messages/…` or add the message to the channel", pointer::escape(&channel_key))),
                );
            }
            out.push(id);
        }
        out
    }

    fn v3_reply(&mut self, at: At<'a>, owner: &str, request_channel: ChannelId) -> Option<Reply> {
        let at = self.deref(at)?;
        let channel = at.get("channel").and_then(|c| self.v3_channel_ref(c));
        let address_location = at
            .get("address")
            .and_then(|a| self.deref(a))
            .and_then(|a| a.str_field("location"));
        let messages = match (at.get("messages"), channel) {
            (Some(list), Some(channel)) => {
                self.v3_listed_messages(list, channel, owner, "reply channel")
            }
            (Some(list), None) => list
                .items()
                .into_iter()
                .filter_map(|item| self.message(item, &format!("{owner}Reply")))
                .collect(),
            (None, Some(channel)) => self.channels[channel.0 as usize].messages.clone(),
            (None, None) => Vec::new(),
        };
        let _ = request_channel;
        Some(Reply {
            channel,
            address_location,
            messages,
        })
    }
}
