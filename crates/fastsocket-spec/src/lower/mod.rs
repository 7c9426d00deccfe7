//! Lowering: a checked document (all files read, structure valid) → the IR.
//!
//! Both AsyncAPI lines end up in one model: 2.x `publish`/`subscribe` become operations, traits are applied,
//! every `$ref` is followed, every schema gets one [`TypeId`](fastsocket_ir::TypeId).

mod common;
mod located;
mod messages;
mod schema;
mod v2;
mod v3;

use std::collections::{BTreeMap, HashMap};

use fastsocket_ir::naming::NameScope;
use fastsocket_ir::{
    Api, Channel, ChannelId, Location, Message, MessageId, Operation, SecurityScheme, SpecFamily,
};
use typed_arena::Arena;

use crate::check::SpecVersion;
use crate::diag::{Code, Diagnostic, Severity};
use crate::node::{Node, Pos};
use crate::sources::{FileId, RefError, Sources};

pub(crate) use located::At;
use schema::TypeBuilder;

/// Builds the IR of the document in `sources`. Diagnostics found on the way (unresolvable references, rules
/// that need resolution, schema formats kept opaque) are returned beside it.
pub fn lower(sources: &Sources, version: SpecVersion) -> (Api, Vec<Diagnostic>) {
    let arena = Arena::new();
    let mut cx = Lowerer::new(sources, version, &arena);
    let api = cx.run();
    (api, cx.diagnostics)
}

/// State shared by the lowering passes.
pub(crate) struct Lowerer<'a> {
    pub sources: &'a Sources,
    pub version: SpecVersion,
    /// Owns nodes made by merging traits into messages and operations.
    pub arena: &'a Arena<Node>,
    pub diagnostics: Vec<Diagnostic>,
    pub types: TypeBuilder<'a>,
    pub messages: Vec<Message>,
    pub message_ids: HashMap<(FileId, String), MessageId>,
    pub message_keys: NameScope,
    pub message_names: NameScope,
    pub channels: Vec<Channel>,
    pub channel_ids: HashMap<(FileId, String), ChannelId>,
    pub channel_names: NameScope,
    pub operations: Vec<Operation>,
    pub operation_names: NameScope,
    pub security_schemes: Vec<SecurityScheme>,
    pub security_ids: HashMap<(FileId, String), String>,
    pub security_names: NameScope,
    pub message_acks: BTreeMap<String, fastsocket_ir::TypeId>,
    pub default_content_type: Option<String>,
}

impl<'a> Lowerer<'a> {
    fn new(sources: &'a Sources, version: SpecVersion, arena: &'a Arena<Node>) -> Self {
        Lowerer {
            sources,
            version,
            arena,
            diagnostics: Vec::new(),
            types: TypeBuilder::new(sources),
            messages: Vec::new(),
            message_ids: HashMap::new(),
            message_keys: NameScope::new(),
            message_names: NameScope::new(),
            channels: Vec::new(),
            channel_ids: HashMap::new(),
            channel_names: NameScope::new(),
            operations: Vec::new(),
            operation_names: NameScope::new(),
            security_schemes: Vec::new(),
            security_ids: HashMap::new(),
            security_names: NameScope::new(),
            message_acks: BTreeMap::new(),
            default_content_type: None,
        }
    }

    fn run(&mut self) -> Api {
        let entry = self.sources.entry();
        let root_node = self
            .sources
            .file(entry)
            .and_then(|f| f.root.as_ref())
            .expect("lowering runs only on a parsed entry document");
        let root = At::root(entry, root_node);
        self.default_content_type = root.str_field("defaultContentType");
        self.types.reserve_component_names(root.clone());
        self.security_schemes_from_components(root.clone());
        self.message_acks_from_components(root.clone());
        let family = match self.version {
            SpecVersion::V2 { .. } => {
                self.lower_v2(root.clone());
                SpecFamily::V2
            }
            SpecVersion::V3 { .. } => {
                self.lower_v3(root.clone());
                SpecFamily::V3
            }
        };
        // Schemas and messages nobody referenced still belong to the API (emitters publish them).
        self.messages_from_components(root.clone());
        self.types.schemas_from_components(root.clone());
        let types = self.types.finish(&mut self.diagnostics);
        let info = self.info(root.clone());
        let servers = self.servers(root.clone());
        let (tags, external_docs) = match family {
            SpecFamily::V2 => (
                self.tags(root.get("tags")),
                self.external_docs(root.get("externalDocs")),
            ),
            SpecFamily::V3 => {
                let info_at = root.get("info");
                (
                    self.tags(info_at.as_ref().and_then(|i| i.get("tags"))),
                    self.external_docs(info_at.and_then(|i| i.get("externalDocs"))),
                )
            }
        };
        Api {
            asyncapi: root.str_field("asyncapi").unwrap_or_default(),
            family,
            id: root.str_field("id"),
            default_content_type: self.default_content_type.clone(),
            info,
            servers,
            channels: std::mem::take(&mut self.channels),
            operations: std::mem::take(&mut self.operations),
            messages: std::mem::take(&mut self.messages),
            security_schemes: std::mem::take(&mut self.security_schemes),
            message_acks: std::mem::take(&mut self.message_acks),
            types,
            tags,
            external_docs,
            extensions: self.extensions(root.clone()),
            document: root.node.to_json(),
        }
    }

    /// The IR location of a node.
    pub fn location(&self, at: At<'_>) -> Location {
        location_of(self.sources, at.file, at.node.pos, &at.pointer)
    }

    /// Records a diagnostic at a node.
    pub fn report(
        &mut self,
        severity: Severity,
        code: Code,
        at: At<'_>,
        message: String,
        help: Option<String>,
    ) {
        let d = self
            .sources
            .diagnostic(severity, code, message, at.file, at.node.pos, &at.pointer)
            .with_help(help);
        self.diagnostics.push(d);
    }

    /// Records an unresolvable reference at the node holding it.
    pub fn report_ref(&mut self, at: At<'_>, err: RefError) {
        let pos = at.node.get("$ref").map_or(at.node.pos, |r| r.pos);
        let d = self
            .sources
            .diagnostic(
                Severity::Error,
                err.code,
                err.message,
                at.file,
                pos,
                &at.pointer,
            )
            .with_help(err.help);
        self.diagnostics.push(d);
    }

    /// Follows `$ref`s from `at`; on failure reports and returns `None`.
    pub fn deref(&mut self, at: At<'a>) -> Option<At<'a>> {
        match self.sources.follow(at.file, &at.pointer, at.node) {
            Ok(resolved) => Some(At {
                file: resolved.target.file,
                pointer: resolved.pointer,
                node: resolved.target.node,
            }),
            Err(err) => {
                self.report_ref(at, err);
                None
            }
        }
    }
}

/// The IR location of a position in a file.
pub(crate) fn location_of(sources: &Sources, file: FileId, pos: Pos, pointer: &str) -> Location {
    Location {
        file: sources.display(file).to_string(),
        line: pos.line,
        column: pos.column,
        pointer: pointer.to_string(),
    }
}
