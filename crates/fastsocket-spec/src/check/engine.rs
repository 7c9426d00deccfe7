//! The table walker: one [`ObjSpec`] per object kind says which fields exist, what each holds and which are
//! required; [`Cx::object`] applies it, and the spec's rule adds what a table cannot express.

use crate::node::{Kind, Node, Pos};

use super::{Finding, RefSite, Severity, Shape, SpecVersion, common, push_pointer, schema, v2, v3};

/// Whether a position accepts a Reference Object instead of the object itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ref {
    /// The object must be written inline.
    No,
    /// Inline or `$ref`.
    Yes,
    /// Only a `$ref` (3.x `channel`, `messages`, `servers` lists): the spec wants one definition and pointers to it.
    Only,
}

/// What a field holds.
#[derive(Clone, Copy)]
pub(crate) enum Val {
    /// A string.
    Str,
    /// A boolean.
    Bool,
    /// Anything (examples, defaults, extension values).
    Any,
    /// A string or `null` (3.x channel `address`).
    StrOrNull,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A runtime expression such as `$message.header#/replyTo`.
    Runtime,
    /// A sequence of strings; `unique` forbids repeats.
    Strings { unique: bool },
    /// A mapping from names to strings (OAuth scopes).
    StrMap,
    /// Any mapping (example headers).
    Mapping,
    /// One object of the shape.
    One(Shape, Ref),
    /// A sequence of objects of the shape.
    List(Shape, Ref),
    /// A mapping from names to objects of the shape.
    Map(Shape, Ref),
    /// A `tags` list: Tag Objects whose names must differ.
    Tags(Ref),
    /// The 2.x Channel Item's own `$ref` field, which sits beside the other fields.
    SelfRef(Shape),
    /// Checked by a function of its own.
    Custom(fn(&mut Cx, &str, &Node, &str)),
    /// Checked by the object's rule, because it depends on sibling fields.
    ByRule,
}

/// One field of an object.
#[derive(Clone, Copy)]
pub(crate) struct Field {
    /// The field name.
    pub name: &'static str,
    /// What it holds.
    pub val: Val,
    /// Whether the object must have it.
    pub required: bool,
}

/// An optional field.
pub(crate) const fn opt(name: &'static str, val: Val) -> Field {
    Field {
        name,
        val,
        required: false,
    }
}

/// A required field.
pub(crate) const fn req(name: &'static str, val: Val) -> Field {
    Field {
        name,
        val,
        required: true,
    }
}

/// A check that needs the whole object (several fields at once).
pub(crate) type Rule = fn(&mut Cx, &Node, &str);

/// Everything the walker needs to check one kind of object.
pub(crate) struct ObjSpec {
    /// The kind of object, for messages.
    pub shape: Shape,
    /// Its fixed fields. Fields starting with `x-` are always allowed.
    pub fields: &'static [Field],
    /// Extra checks run after the fields.
    pub rule: Option<Rule>,
    /// Unknown fields that are known mistakes, each with a help text (fields of the other major version).
    pub hints: &'static [(&'static str, &'static str)],
}

impl ObjSpec {
    fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// The checking context: the version and where findings and references go.
pub(crate) struct Cx<'a> {
    /// The version the document follows.
    pub version: SpecVersion,
    findings: &'a mut Vec<Finding>,
    refs: &'a mut Vec<RefSite>,
}

impl<'a> Cx<'a> {
    /// A context pushing to these lists.
    pub fn new(
        version: SpecVersion,
        findings: &'a mut Vec<Finding>,
        refs: &'a mut Vec<RefSite>,
    ) -> Self {
        Cx {
            version,
            findings,
            refs,
        }
    }

    /// Whether the document is 3.x.
    pub fn v3(&self) -> bool {
        self.version.is_v3()
    }

    /// Records an error.
    pub fn error(&mut self, pointer: &str, pos: Pos, message: String, help: Option<String>) {
        self.report(Severity::Error, pointer, pos, message, help);
    }

    /// Records a warning.
    pub fn warn(&mut self, pointer: &str, pos: Pos, message: String, help: Option<String>) {
        self.report(Severity::Warning, pointer, pos, message, help);
    }

    /// Records a finding of the given severity.
    pub fn report(
        &mut self,
        severity: Severity,
        pointer: &str,
        pos: Pos,
        message: String,
        help: Option<String>,
    ) {
        self.findings.push(Finding {
            pointer: pointer.to_string(),
            pos,
            severity,
            message,
            help,
        });
    }

    /// The entry point: a target reached through a `$ref` may itself be a Reference Object (a chain), which is
    /// handed back to the caller rather than reported as misplaced.
    pub fn entry(&mut self, shape: Shape, node: &Node, ptr: &str) {
        if shape != Shape::Document
            && !has_self_ref(self.version, shape)
            && node.get("$ref").is_some()
        {
            self.reference(node, ptr, shape);
            return;
        }
        self.shape(shape, node, ptr);
    }

    /// Checks a node that must be `shape` and is not a Reference Object.
    pub fn shape(&mut self, shape: Shape, node: &Node, ptr: &str) {
        match shape {
            Shape::Schema => schema::check(self, node, ptr, schema::Dialect::Json),
            Shape::OpenApiSchema => schema::check(self, node, ptr, schema::Dialect::OpenApi),
            Shape::AnySchema => {
                if self.v3() && node.get("schema").is_some() {
                    self.shape(Shape::MultiFormatSchema, node, ptr);
                } else {
                    schema::check(self, node, ptr, schema::Dialect::Json);
                }
            }
            Shape::ForeignSchema | Shape::Any => self.opaque(shape, node, ptr),
            Shape::Bindings => self.bindings(node, ptr),
            Shape::SecurityScheme => common::security_scheme(self, node, ptr),
            Shape::SecurityRequirement => common::security_requirement(self, node, ptr),
            _ => {
                if shape == Shape::Message && !self.v3() && node.get("oneOf").is_some() {
                    v2::message_one_of(self, node, ptr);
                    return;
                }
                match spec_for(self.version, shape) {
                    Some(spec) => self.object(spec, node, ptr),
                    None => {
                        let line = if self.v3() { "3.x" } else { "2.x" };
                        self.error(
                            ptr,
                            node.pos,
                            format!("AsyncAPI {line} has no {}", shape.title()),
                            None,
                        );
                    }
                }
            }
        }
    }

    /// Checks a mapping against a table.
    pub fn object(&mut self, spec: &ObjSpec, node: &Node, ptr: &str) {
        let Some(entries) = node.as_map() else {
            self.expected(
                ptr,
                node,
                &format!("a mapping (the {})", spec.shape.title()),
            );
            return;
        };
        if let Some((key, _)) = node.entry("$ref").filter(|_| spec.field("$ref").is_none()) {
            self.error(
                &push_pointer(ptr, "$ref"),
                key.pos,
                format!(
                    "a Reference Object is not allowed here: the {} must be written inline",
                    spec.shape.title()
                ),
                Some("replace the `$ref` with the object it points to".to_string()),
            );
            return;
        }
        for (key, value) in entries {
            let child = push_pointer(ptr, &key.text);
            if let Some(field) = spec.field(&key.text) {
                match field.val {
                    Val::SelfRef(shape) => self.ref_value(value, ptr, shape),
                    Val::ByRule => {}
                    val => self.value(&key.text, val, value, &child),
                }
            } else if !key.text.starts_with("x-") {
                let help = spec
                    .hints
                    .iter()
                    .find(|(name, _)| *name == key.text)
                    .map(|(_, hint)| hint.to_string())
                    .or_else(|| {
                        suggest(&key.text, spec.fields.iter().map(|f| f.name))
                            .map(|s| format!("did you mean `{s}`?"))
                    })
                    .unwrap_or_else(|| "extension fields must start with `x-`".to_string());
                self.error(
                    &child,
                    key.pos,
                    format!("unknown field `{}` in the {}", key.text, spec.shape.title()),
                    Some(help),
                );
            }
        }
        for field in spec.fields.iter().filter(|f| f.required) {
            if node.get(field.name).is_none() {
                self.error(
                    ptr,
                    node.pos,
                    format!(
                        "missing required field `{}` in the {}",
                        field.name,
                        spec.shape.title()
                    ),
                    None,
                );
            }
        }
        if let Some(rule) = spec.rule {
            rule(self, node, ptr);
        }
    }

    /// Checks the value of field `name` (at `ptr`) against `val`.
    pub fn value(&mut self, name: &str, val: Val, node: &Node, ptr: &str) {
        match val {
            Val::Str => self.string(name, node, ptr),
            Val::Bool => {
                if node.as_bool().is_none() {
                    self.must_be(name, ptr, node, "a boolean (`true` or `false`)");
                }
            }
            Val::Any | Val::ByRule | Val::SelfRef(_) => {}
            Val::StrOrNull => {
                if !node.is_null() && node.as_str().is_none() {
                    self.must_be(name, ptr, node, "a string or null");
                }
            }
            Val::Enum(allowed) => self.one_of(name, allowed, node, ptr),
            Val::Runtime => {
                if node.as_str().is_none() {
                    self.must_be(name, ptr, node, "a string");
                } else {
                    common::runtime_expression(self, name, node, ptr);
                }
            }
            Val::Strings { unique } => self.strings(name, node, ptr, unique),
            Val::StrMap => {
                let Some(entries) = node.as_map() else {
                    self.must_be(name, ptr, node, "a mapping from names to strings");
                    return;
                };
                for (key, value) in entries {
                    if value.as_str().is_none() {
                        self.must_be(&key.text, &push_pointer(ptr, &key.text), value, "a string");
                    }
                }
            }
            Val::Mapping => {
                if node.as_map().is_none() {
                    self.must_be(name, ptr, node, "a mapping");
                }
            }
            Val::One(shape, r) => self.item(shape, r, node, ptr),
            Val::List(shape, r) => {
                let Some(items) = node.as_seq() else {
                    self.must_be(
                        name,
                        ptr,
                        node,
                        &format!("a sequence of {}s", shape.title()),
                    );
                    return;
                };
                for (i, item) in items.iter().enumerate() {
                    self.item(shape, r, item, &push_pointer(ptr, &i.to_string()));
                }
            }
            Val::Map(shape, r) => {
                let Some(entries) = node.as_map() else {
                    self.must_be(
                        name,
                        ptr,
                        node,
                        &format!("a mapping from names to {}s", shape.title()),
                    );
                    return;
                };
                for (key, value) in entries {
                    self.item(shape, r, value, &push_pointer(ptr, &key.text));
                }
            }
            Val::Tags(r) => common::tags(self, r, node, ptr),
            Val::Custom(check) => check(self, name, node, ptr),
        }
    }

    /// Checks one object at a position with the given Reference Object policy.
    pub fn item(&mut self, shape: Shape, r: Ref, node: &Node, ptr: &str) {
        match r {
            Ref::Yes if node.get("$ref").is_some() && !has_self_ref(self.version, shape) => {
                self.reference(node, ptr, shape);
            }
            Ref::Only => {
                if node.get("$ref").is_some() {
                    self.reference(node, ptr, shape);
                } else {
                    self.error(
                        ptr,
                        node.pos,
                        format!(
                            "expected a Reference Object (`$ref`) to a {}, found {}",
                            shape.title(),
                            node.kind_name()
                        ),
                        Some(format!(
                            "AsyncAPI 3 wants a `$ref` here, e.g. `$ref: '{}'`",
                            match shape {
                                Shape::Channel => "#/channels/myChannel",
                                Shape::Server => "#/servers/production",
                                _ => "#/channels/myChannel/messages/myMessage",
                            }
                        )),
                    );
                }
            }
            _ => self.shape(shape, node, ptr),
        }
    }

    /// Reports the Reference Object `node` (which holds a `$ref` key) as a [`RefSite`].
    pub fn reference(&mut self, node: &Node, ptr: &str, shape: Shape) {
        if let Some(value) = node.get("$ref") {
            self.ref_value(value, ptr, shape);
        }
    }

    /// Reports the `$ref` value `value` of the node at `holder` as a [`RefSite`].
    pub fn ref_value(&mut self, value: &Node, holder: &str, shape: Shape) {
        let ptr = push_pointer(holder, "$ref");
        let Some(reference) = value.as_str() else {
            self.error(
                &ptr,
                value.pos,
                format!("`$ref` must be a string, found {}", value.kind_name()),
                None,
            );
            return;
        };
        if let Some(bad) = reference
            .chars()
            .find(|c| c.is_whitespace() || c.is_control())
        {
            // A folded YAML scalar turns a line break inside a quoted `$ref` into a space; such a string would be
            // resolved as a file name and fail far from here, so it is stopped at its source.
            let what = if bad == ' ' {
                "a space".to_string()
            } else {
                format!("{bad:?}")
            };
            self.error(
                &ptr,
                value.pos,
                format!("`$ref` must be a URI reference, but `{reference}` contains {what}"),
                Some(
                    "write the reference on one line; percent-encode spaces in file names as `%20`"
                        .to_string(),
                ),
            );
            return;
        }
        self.refs.push(RefSite {
            reference: reference.to_string(),
            pointer: holder.to_string(),
            pos: value.pos,
            shape,
        });
    }

    /// Reports "expected X, found Y" for an object position.
    pub fn expected(&mut self, ptr: &str, node: &Node, what: &str) {
        self.error(
            ptr,
            node.pos,
            format!("expected {what}, found {}", node.kind_name()),
            None,
        );
    }

    /// Reports "`name` must be X, found Y", with a hint for numbers written where strings are expected.
    pub fn must_be(&mut self, name: &str, ptr: &str, node: &Node, what: &str) {
        let help = match (&node.kind, what) {
            (Kind::Number(n), "a string") => Some(format!(
                "quote it: `'{n}'` (YAML reads unquoted `{n}` as a number)"
            )),
            (Kind::Bool(b), "a string") => Some(format!("quote it: `'{b}'`")),
            (Kind::Null, _) => {
                Some("the value is empty; give it a value or remove the field".to_string())
            }
            _ => None,
        };
        self.error(
            ptr,
            node.pos,
            format!("`{name}` must be {what}, found {}", node.kind_name()),
            help,
        );
    }

    /// Checks that field `name` is a string.
    pub fn string(&mut self, name: &str, node: &Node, ptr: &str) {
        if node.as_str().is_none() {
            self.must_be(name, ptr, node, "a string");
        }
    }

    /// Checks that field `name` is one of `allowed`.
    pub fn one_of(&mut self, name: &str, allowed: &[&str], node: &Node, ptr: &str) {
        let Some(text) = node.as_str() else {
            self.must_be(name, ptr, node, "a string");
            return;
        };
        if !allowed.contains(&text) {
            let list = allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let help =
                suggest(text, allowed.iter().copied()).map(|s| format!("did you mean `{s}`?"));
            self.error(
                ptr,
                node.pos,
                format!("`{name}` must be one of {list}, found `{text}`"),
                help,
            );
        }
    }

    /// Checks a sequence of strings.
    pub fn strings(&mut self, name: &str, node: &Node, ptr: &str, unique: bool) {
        let Some(items) = node.as_seq() else {
            self.must_be(name, ptr, node, "a sequence of strings");
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let item_ptr = push_pointer(ptr, &i.to_string());
            match item.as_str() {
                None => self.error(
                    &item_ptr,
                    item.pos,
                    format!(
                        "each item of `{name}` must be a string, found {}",
                        item.kind_name()
                    ),
                    None,
                ),
                Some(text)
                    if unique && items[..i].iter().any(|prev| prev.as_str() == Some(text)) =>
                {
                    self.error(
                        &item_ptr,
                        item.pos,
                        format!("`{text}` appears twice in `{name}`"),
                        Some("remove the repeated item".to_string()),
                    )
                }
                Some(_) => {}
            }
        }
    }

    /// Bindings are protocol-specific and versioned separately from AsyncAPI, so only their form is checked; the
    /// `$ref`s inside are still reported so the resolver can load what they point to.
    fn bindings(&mut self, node: &Node, ptr: &str) {
        let Some(entries) = node.as_map() else {
            self.expected(
                ptr,
                node,
                "a mapping from protocol names to bindings (the Bindings Object)",
            );
            return;
        };
        for (key, value) in entries {
            self.opaque(Shape::Any, value, &push_pointer(ptr, &key.text));
        }
    }

    /// Walks a value that is not checked, reporting each Reference Object in it as a site of `shape`.
    fn opaque(&mut self, shape: Shape, node: &Node, ptr: &str) {
        match &node.kind {
            Kind::Map(entries) => {
                if let Some(reference) = node.get("$ref").filter(|r| r.as_str().is_some()) {
                    self.ref_value(reference, ptr, shape);
                    return;
                }
                for (key, value) in entries {
                    self.opaque(shape, value, &push_pointer(ptr, &key.text));
                }
            }
            Kind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.opaque(shape, item, &push_pointer(ptr, &i.to_string()));
                }
            }
            _ => {}
        }
    }
}

/// The table for `shape` in `version`, if the shape is table-driven.
fn spec_for(version: SpecVersion, shape: Shape) -> Option<&'static ObjSpec> {
    match version {
        SpecVersion::V2 { .. } => v2::spec(shape),
        SpecVersion::V3 { .. } => v3::spec(shape),
    }
}

/// Whether `$ref` is an ordinary field of the shape (the 2.x Channel Item), checked beside its other fields.
fn has_self_ref(version: SpecVersion, shape: Shape) -> bool {
    spec_for(version, shape).is_some_and(|spec| spec.field("$ref").is_some())
}

/// The candidate closest to `word`, if one is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let cand_lower = candidate.to_lowercase();
        if cand_lower == lower {
            return Some(candidate);
        }
        let distance = strsim::damerau_levenshtein(&lower, &cand_lower);
        let similarity = strsim::jaro_winkler(&lower, &cand_lower);
        let close = distance <= (word.chars().count() / 3).max(1) || similarity >= 0.88;
        if close && best.is_none_or(|(s, _)| similarity > s) {
            best = Some((similarity, candidate));
        }
    }
    best.map(|(_, c)| c)
}
