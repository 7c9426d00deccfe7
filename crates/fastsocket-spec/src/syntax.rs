//! Text → [`Node`] tree, for YAML 1.2 and JSON (JSON is read by the same YAML parser: it is a subset, and one
//! parser means one set of positions and one set of error messages).
//!
//! The tree is built iteratively from parser events, with a nesting limit, so no input can overflow the stack —
//! neither here nor in the recursive passes that walk the tree later.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::Number;

use crate::node::{Key, Kind, Node, Pos};

/// How deep mappings and sequences may nest. Real AsyncAPI documents stay far below this.
pub const MAX_DEPTH: usize = 256;

/// How many nodes one document may expand to (aliases included): a guard against "billion laughs" inputs.
pub const MAX_NODES: usize = 20_000_000;

/// How many values aliases may copy in one document, in all. Real documents alias a few small blocks; an alias
/// bomb multiplies them. The budget is charged with an anchor's size before its copy is made, so a bomb is
/// refused after at most this many copied values (a fraction of a second), not after [`MAX_NODES`].
pub const MAX_ALIAS_COPIES: usize = 1_000_000;

/// A problem found while reading the text.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxIssue {
    /// Where it is.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
    /// What would fix it.
    pub help: Option<String>,
    /// Whether the document can still be used.
    pub fatal: bool,
}

/// The format a text was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The text starts with `{` or `[`.
    Json,
    /// Anything else.
    Yaml,
}

/// Recognises JSON by its first significant character: file extensions lie (a `.json` file of YAML is common).
pub fn detect_format(text: &str) -> Format {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('{') | Some('[') => Format::Json,
        _ => Format::Yaml,
    }
}

/// Parses a YAML or JSON text. The tree is `None` only when a fatal issue stopped the parse.
pub fn parse(text: &str) -> (Option<Node>, Vec<SyntaxIssue>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = TreeBuilder::default();
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0usize;
    while let Some(event) = parser.next_event() {
        match event {
            Ok((Event::DocumentStart(_), span)) => {
                documents += 1;
                if documents > 1 {
                    builder.issues.push(SyntaxIssue {
                        pos: pos_of(span),
                        message:
                            "the file holds more than one YAML document; only the first is read"
                                .to_string(),
                        help: Some("move the other documents into their own files".to_string()),
                        fatal: false,
                    });
                    break;
                }
            }
            Ok((event, span)) => {
                if let Err(issue) = builder.on_event(event, span) {
                    builder.issues.push(issue);
                    return (None, builder.issues);
                }
            }
            Err(err) => {
                let m = err.marker();
                builder.issues.push(SyntaxIssue {
                    pos: Pos {
                        line: m.line() as u32,
                        column: m.col() as u32 + 1,
                    },
                    message: format!("not valid YAML or JSON: {}", err.info()),
                    help: None,
                    fatal: true,
                });
                return (None, builder.issues);
            }
        }
    }
    let root = builder.root.take();
    if root.is_none() && !builder.issues.iter().any(|i| i.fatal) {
        builder.issues.push(SyntaxIssue {
            pos: Pos { line: 1, column: 1 },
            message: "the file is empty".to_string(),
            help: Some("an AsyncAPI document starts with `asyncapi: 3.0.0`".to_string()),
            fatal: true,
        });
    }
    (root, builder.issues)
}

fn pos_of(span: Span) -> Pos {
    Pos {
        line: span.start.line() as u32,
        column: span.start.col() as u32 + 1,
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        key: Option<(Key, bool)>,
        merged: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
}

#[derive(Default)]
struct TreeBuilder {
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    /// Values copied by aliases so far (see [`MAX_ALIAS_COPIES`]).
    alias_copies: usize,
    issues: Vec<SyntaxIssue>,
}

impl TreeBuilder {
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), SyntaxIssue> {
        let pos = pos_of(span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = self.stack.last_mut()
                {
                    // Keys stay text as written: `200:` is the key "200", not a number.
                    let merge = style == ScalarStyle::Plain && text == "<<";
                    *key = Some((
                        Key {
                            text: text.into_owned(),
                            pos,
                        },
                        merge,
                    ));
                    return Ok(());
                }
                let node = Node::new(resolve_scalar(text, style, tag.as_deref()), pos);
                self.count(1, pos)?;
                if anchor != 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.attach(node);
            }
            Event::SequenceStart(anchor, _) => {
                self.push(
                    Frame::Seq {
                        items: Vec::new(),
                        pos,
                        anchor,
                    },
                    pos,
                )?;
            }
            Event::MappingStart(anchor, _) => {
                self.push(
                    Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        merged: Vec::new(),
                        pos,
                        anchor,
                    },
                    pos,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (node, anchor) = match frame {
                    Frame::Seq { items, pos, anchor } => (Node::new(Kind::Seq(items), pos), anchor),
                    Frame::Map {
                        mut entries,
                        merged,
                        pos,
                        anchor,
                        ..
                    } => {
                        for source in merged {
                            merge_into(&mut entries, source, &mut self.issues);
                        }
                        (Node::new(Kind::Map(entries), pos), anchor)
                    }
                };
                if anchor != 0 {
                    let size = count_nodes(&node);
                    self.anchors.insert(anchor, (node.clone(), size));
                }
                self.attach(node);
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id).cloned() else {
                    return Err(SyntaxIssue {
                        pos,
                        message: "alias to an unknown anchor".to_string(),
                        help: None,
                        fatal: true,
                    });
                };
                self.charge_alias(size, pos)?;
                self.count(size, pos)?;
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = self.stack.last_mut()
                {
                    let text = node.as_str().map(str::to_string).unwrap_or_default();
                    *key = Some((Key { text, pos }, false));
                    return Ok(());
                }
                self.attach(Node { pos, ..node });
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
        Ok(())
    }

    fn charge_alias(&mut self, size: usize, pos: Pos) -> Result<(), SyntaxIssue> {
        self.alias_copies = self.alias_copies.saturating_add(size);
        if self.alias_copies > MAX_ALIAS_COPIES {
            return Err(SyntaxIssue {
                pos,
                message: format!(
                    "aliases copy more than {MAX_ALIAS_COPIES} values (this alias copies {size})"
                ),
                help: Some(
                    "this looks like an alias bomb; write the values out or use $ref".to_string(),
                ),
                fatal: true,
            });
        }
        Ok(())
    }

    fn count(&mut self, n: usize, pos: Pos) -> Result<(), SyntaxIssue> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(SyntaxIssue {
                pos,
                message: format!(
                    "the document expands to more than {MAX_NODES} values (aliases included)"
                ),
                help: Some(
                    "this looks like an alias bomb; write the values out or use $ref".to_string(),
                ),
                fatal: true,
            });
        }
        Ok(())
    }

    fn push(&mut self, frame: Frame, pos: Pos) -> Result<(), SyntaxIssue> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SyntaxIssue {
                pos,
                message: format!("values nest deeper than {MAX_DEPTH} levels"),
                help: Some("flatten the structure with $ref to named components".to_string()),
                fatal: true,
            });
        }
        self.count(1, pos)?;
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            self.issues.push(SyntaxIssue {
                pos,
                message: "a mapping or sequence used as a key".to_string(),
                help: Some("keys must be plain text".to_string()),
                fatal: true,
            });
            return Err(self.issues.pop().expect("just pushed"));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn attach(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                merged,
                ..
            }) => {
                let Some((key, merge)) = key.take() else {
                    return;
                };
                if merge {
                    merged.push(node);
                    return;
                }
                if let Some((first, _)) = entries.iter().find(|(k, _)| k.text == key.text) {
                    self.issues.push(SyntaxIssue {
                        pos: key.pos,
                        message: format!(
                            "duplicate key `{}` (first defined at line {})",
                            key.text, first.pos.line
                        ),
                        help: Some("remove or rename one of them".to_string()),
                        fatal: false,
                    });
                    return;
                }
                entries.push((key, node));
            }
        }
    }
}

/// Applies a YAML merge key (`<<: *base`): keys already present win, as the merge-key spec says.
fn merge_into(entries: &mut Vec<(Key, Node)>, source: Node, issues: &mut Vec<SyntaxIssue>) {
    let sources: Vec<Node> = match source.kind {
        Kind::Map(_) => vec![source],
        Kind::Seq(items) => items,
        _ => {
            issues.push(SyntaxIssue {
                pos: source.pos,
                message: "a merge key (`<<`) needs a mapping or a list of mappings".to_string(),
                help: None,
                fatal: false,
            });
            return;
        }
    };
    for source in sources {
        if let Kind::Map(more) = source.kind {
            for (k, v) in more {
                if !entries.iter().any(|(e, _)| e.text == k.text) {
                    entries.push((k, v));
                }
            }
        }
    }
}

fn count_nodes(node: &Node) -> usize {
    let mut total = 0;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        total += 1;
        match &n.kind {
            Kind::Seq(items) => stack.extend(items.iter()),
            Kind::Map(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    total
}

/// Resolves a scalar by the YAML 1.2 core schema (what JSON-minded tools expect: `on` stays a string).
fn resolve_scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Kind {
    if let Some(tag) = tag.filter(|t| t.handle == "tag:yaml.org,2002:" || t.handle == "!!") {
        return match tag.suffix.as_str() {
            "str" => Kind::Str(text.into_owned()),
            "null" => Kind::Null,
            "bool" => parse_bool(&text).map_or_else(|| Kind::Str(text.into_owned()), Kind::Bool),
            "int" | "float" => {
                parse_number(&text).map_or_else(|| Kind::Str(text.into_owned()), Kind::Number)
            }
            _ => Kind::Str(text.into_owned()),
        };
    }
    if style != ScalarStyle::Plain {
        return Kind::Str(text.into_owned());
    }
    match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        _ => {}
    }
    if let Some(b) = parse_bool(&text) {
        return Kind::Bool(b);
    }
    if let Some(n) = parse_number(&text) {
        return Kind::Number(n);
    }
    Kind::Str(text.into_owned())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn parse_number(text: &str) -> Option<Number> {
    let first = text.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(Number::from);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return u64::from_str_radix(oct, 8).ok().map(Number::from);
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Number::from(i));
        }
        if let Ok(u) = text.trim_start_matches('+').parse::<u64>() {
            return Some(Number::from(u));
        }
    }
    if !is_core_float(unsigned) {
        return None;
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// `[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?` or `\.[0-9]+(...)?`: Rust's float parser also takes `inf` and `1.`-less
/// forms that YAML reads as strings.
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i > int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits |= i > frac_start;
    }
    if !digits {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Node {
        let (node, issues) = parse(text);
        assert!(issues.iter().all(|i| !i.fatal), "{issues:?}");
        node.expect("a tree")
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let n = parse_ok(
            "a: 1\nb: 1.5\nc: true\nd: ~\ne: on\nf: '1'\ng: 2.6.0\nh: -3\ni: 1e3\n200: x\n",
        );
        assert_eq!(n.get("a").unwrap().to_json(), serde_json::json!(1));
        assert_eq!(n.get("b").unwrap().to_json(), serde_json::json!(1.5));
        assert_eq!(n.get("c").unwrap().as_bool(), Some(true));
        assert!(n.get("d").unwrap().is_null());
        assert_eq!(n.get_str("e"), Some("on"));
        assert_eq!(n.get_str("f"), Some("1"));
        assert_eq!(n.get_str("g"), Some("2.6.0"));
        assert_eq!(n.get("h").unwrap().to_json(), serde_json::json!(-3));
        assert_eq!(n.get("i").unwrap().to_json(), serde_json::json!(1000.0));
        assert_eq!(n.get_str("200"), Some("x"));
    }

    #[test]
    fn positions_are_one_based() {
        let n = parse_ok("a:\n  b: [1, 2]\n");
        let b = n.get("a").unwrap().get("b").unwrap();
        assert_eq!(b.pos, Pos { line: 2, column: 6 });
        let (key, _) = n.get("a").unwrap().entry("b").unwrap();
        assert_eq!(key.pos, Pos { line: 2, column: 3 });
    }

    #[test]
    fn json_is_read_with_positions() {
        assert_eq!(detect_format("  {\"a\": 1}"), Format::Json);
        let n = parse_ok("{\n  \"a\": {\"b\": \"c\\/d\"}\n}");
        assert_eq!(n.get("a").unwrap().get_str("b"), Some("c/d"));
        assert_eq!(n.get("a").unwrap().pos.line, 2);
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let n = parse_ok("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\ncopy: *b\n");
        assert_eq!(
            n.get("use").unwrap().to_json(),
            serde_json::json!({"y": 3, "x": 1})
        );
        assert_eq!(
            n.get("copy").unwrap().to_json(),
            serde_json::json!({"x": 1, "y": 2})
        );
    }

    #[test]
    fn duplicate_keys_are_reported() {
        let (_, issues) = parse("a: 1\na: 2\n");
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.contains("duplicate key `a`"));
        assert_eq!(issues[0].pos.line, 2);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "[".repeat(100_000);
        let (node, issues) = parse(&text);
        assert!(node.is_none());
        assert!(issues[0].fatal, "{issues:?}");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                p = i - 1
            ));
        }
        let (node, issues) = parse(&text);
        assert!(node.is_none());
        assert!(
            issues
                .iter()
                .any(|i| i.message.contains("aliases copy more than")),
            "{issues:?}"
        );
    }

    #[test]
    fn alias_bombs_are_refused_before_their_copies_are_made() {
        // One alias of a 2M-value anchor: refused when it is met, so the parse builds the anchor only once.
        let mut text = String::from("big: &big [");
        text.push_str(&"0,".repeat(MAX_ALIAS_COPIES + 1));
        text.push_str("0]\ncopy: *big\n");
        let (node, issues) = parse(&text);
        assert!(node.is_none());
        let issue = issues.iter().find(|i| i.fatal).expect("a fatal issue");
        assert!(
            issue.message.contains("aliases copy more than"),
            "{issue:?}"
        );
        assert_eq!(issue.pos.line, 2, "located at the alias: {issue:?}");
    }

    #[test]
    fn documents_that_alias_within_the_budget_load() {
        let text =
            "base: &base {type: object, properties: {a: {type: string}}}\nx: *base\ny: *base\n";
        let (node, issues) = parse(text);
        assert!(issues.iter().all(|i| !i.fatal), "{issues:?}");
        assert!(node.is_some());
    }

    #[test]
    fn syntax_errors_are_located() {
        let (node, issues) = parse("a: [1, 2\nb: 3\n");
        assert!(node.is_none());
        assert!(issues[0].fatal);
        assert!(issues[0].pos.line >= 1);
    }

    #[test]
    fn empty_input_is_an_error() {
        let (node, issues) = parse("   \n");
        assert!(node.is_none());
        assert!(issues[0].message.contains("empty"));
    }
}
