//! Located diagnostics of documents that cannot be read as AsyncAPI: what is not a version the loader follows,
//! YAML that is not one plain tree (several documents, duplicate keys, keys that are not text, bad merge keys,
//! nesting too deep), and the YAML 1.2 core schema's reading of scalars. Each message names what is wrong and
//! where (line, column, JSON pointer), with a help that says what to write instead.

use fastsocket_spec::syntax::parse;
use fastsocket_spec::{Code, Diagnostic, Input, LoadError, LoadOptions, load};

fn load_text(text: &str) -> Result<fastsocket_spec::Loaded, LoadError> {
    load(
        &Input::Text {
            name: "doc.yaml".into(),
            text: text.into(),
        },
        &LoadOptions::default(),
    )
}

/// The errors of a document that must not load.
fn errors(text: &str) -> Vec<Diagnostic> {
    match load_text(text) {
        Err(LoadError::Invalid(report)) => report.errors().cloned().collect(),
        Ok(_) => panic!("loaded:\n{text}"),
        Err(e) => panic!("{e}"),
    }
}

/// The only error of a document, which must have `code`.
fn the_error(text: &str, code: Code) -> Diagnostic {
    let errors = errors(text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = errors.into_iter().next().unwrap();
    assert_eq!(error.code, code, "{error:#?}");
    error
}

const BODY: &str = "info: {title: T, version: '1'}\nchannels: {}\n";

#[test]
fn versions_the_loader_does_not_follow_are_refused_at_the_field() {
    for (version, line) in [
        ("4.0.0", "unsupported AsyncAPI version `4.0.0`"),
        ("2.7.0", "unsupported AsyncAPI version `2.7.0`"),
        ("'3.0'", "unsupported AsyncAPI version `3.0`"),
        ("3.x.0", "unsupported AsyncAPI version `3.x.0`"),
    ] {
        let error = the_error(&format!("{BODY}asyncapi: {version}\n"), Code::Version);
        assert_eq!(error.message, line);
        assert_eq!((error.line, error.column), (3, 11), "{error:#?}");
        assert_eq!(error.pointer, "/asyncapi");
        assert!(
            error
                .help
                .as_deref()
                .unwrap()
                .contains("2.0.0 – 2.6.0 and 3.0.0"),
            "{error:#?}"
        );
    }
    // Every 2.x minor up to 2.6 and 3.0/3.1 are read.
    for version in ["2.0.0", "2.6.0", "3.1.0"] {
        let text = if version.starts_with('2') {
            format!("asyncapi: {version}\n{BODY}")
        } else {
            format!("asyncapi: {version}\ninfo: {{title: T, version: '1'}}\n")
        };
        load_text(&text).unwrap_or_else(|e| panic!("{version}: {e:?}"));
    }
}

#[test]
fn a_version_that_is_not_a_string_asks_for_quotes() {
    let error = the_error(&format!("asyncapi: 3.0\n{BODY}"), Code::Version);
    assert_eq!(
        error.message,
        "`asyncapi` must be a version string such as \"3.0.0\", found a number"
    );
    assert_eq!(
        (error.line, error.column, error.pointer.as_str()),
        (1, 11, "/asyncapi")
    );
    assert_eq!(error.help.as_deref(), Some("quote it: `asyncapi: '3.0.0'`"));
}

#[test]
fn a_document_without_a_version_or_not_a_mapping() {
    let missing = the_error(BODY, Code::Version);
    assert_eq!(missing.message, "missing required field `asyncapi`");
    assert_eq!(missing.line, 1);
    assert!(missing.help.as_deref().unwrap().contains("asyncapi: 3.0.0"));

    let list = the_error("- asyncapi: 3.0.0\n", Code::Version);
    assert_eq!(
        list.message,
        "an AsyncAPI document must be a mapping, found a sequence"
    );
    assert_eq!((list.line, list.column), (1, 1));
}

#[test]
fn several_yaml_documents_keep_only_the_first_with_a_warning() {
    let loaded =
        load_text("asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\n---\nasyncapi: 2.0.0\n")
            .expect("the first document loads");
    let warning = loaded
        .report
        .warnings()
        .find(|d| d.message.contains("more than one YAML document"))
        .unwrap_or_else(|| panic!("{:#?}", loaded.report.diagnostics));
    assert_eq!(warning.line, 3);
    assert_eq!(
        warning.help.as_deref(),
        Some("move the other documents into their own files")
    );
}

#[test]
fn duplicate_keys_name_the_first_definition() {
    let (tree, issues) = parse("a: 1\nb: 2\na: 3\n");
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(
        issues[0].message,
        "duplicate key `a` (first defined at line 1)"
    );
    assert_eq!(issues[0].pos.line, 3);
    assert!(!issues[0].fatal);
    // The first value stays.
    assert_eq!(tree.unwrap().get("a").unwrap().as_u64(), Some(1));
}

#[test]
fn keys_must_be_plain_text() {
    for text in ["? [a, b]\n: 1\n", "? {a: 1}\n: 2\n"] {
        let (tree, issues) = parse(text);
        assert!(tree.is_none(), "{text}");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].message, "a mapping or sequence used as a key");
        assert_eq!(issues[0].help.as_deref(), Some("keys must be plain text"));
        assert!(issues[0].fatal);
    }
}

#[test]
fn merge_keys_fill_in_missing_keys_only() {
    let (tree, issues) = parse(
        "base: &base {a: 1, b: 2}\nmore: &more {c: 3}\none: {<<: *base, a: 9}\nmany: {<<: [*base, *more]}\n",
    );
    assert!(issues.is_empty(), "{issues:?}");
    let tree = tree.unwrap();
    let one = tree.get("one").unwrap();
    let n = |node: &fastsocket_spec::node::Node, key: &str| node.get(key).and_then(|v| v.as_u64());
    // A key already present wins over the merged one.
    assert_eq!((n(one, "a"), n(one, "b")), (Some(9), Some(2)));
    let many = tree.get("many").unwrap();
    assert_eq!(
        (n(many, "a"), n(many, "b"), n(many, "c")),
        (Some(1), Some(2), Some(3))
    );

    let (_, issues) = parse("s: &s text\nm: {<<: *s, a: 1}\n");
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(
        issues[0].message,
        "a merge key (`<<`) needs a mapping or a list of mappings"
    );
    // At the merge.
    assert_eq!(issues[0].pos.line, 2);
}

#[test]
fn nesting_is_bounded_and_located() {
    // Block style (the YAML parser bounds flow nesting itself): a mapping in a mapping, 300 deep.
    let depth = 300;
    let mut text: String = (0..depth)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    text.push_str(&format!("{}1\n", " ".repeat(depth)));
    let (tree, issues) = parse(&text);
    assert!(tree.is_none());
    let issue = issues.iter().find(|i| i.fatal).expect("a fatal issue");
    assert!(
        issue.message.starts_with("values nest deeper than"),
        "{issue:?}"
    );
    assert_eq!(issue.message, "values nest deeper than 256 levels");
    // At the mapping that is one too deep.
    assert_eq!(issue.pos.line, 257, "{issue:?}");
    assert!(issue.help.as_deref().unwrap().contains("$ref"));
}

#[test]
fn scalars_follow_the_yaml_core_schema() {
    let (tree, issues) = parse(
        "hex: 0x1F\noct: 0o17\nfrac: .5\nexp: 1e3\nneg: -12\nbig: 18446744073709551615\n\
         inf: inf\non: on\nstr: !!str 12\nint: !!int '7'\nbadint: !!int seven\nnull: !!null ''\n\
         bool: !!bool 'true'\nfloat: !!float '2.5'\ncustom: !!binary 'AA=='\ndot: 1.\nexpless: 1e\n",
    );
    assert!(issues.is_empty(), "{issues:?}");
    let tree = tree.unwrap();
    let json = |key: &str| tree.get(key).unwrap().to_json();
    assert_eq!(json("hex"), 31);
    assert_eq!(json("oct"), 15);
    assert_eq!(json("frac"), 0.5);
    assert_eq!(json("exp"), 1000.0);
    assert_eq!(json("neg"), -12);
    assert_eq!(json("big"), u64::MAX);
    // Words other YAML versions read as numbers or booleans stay strings.
    assert_eq!(json("inf"), "inf");
    assert_eq!(json("on"), "on");
    assert_eq!(json("dot"), 1.0);
    assert_eq!(json("expless"), "1e");
    // Explicit tags win over the plain reading; a tag the value does not fit leaves it a string.
    assert_eq!(json("str"), "12");
    assert_eq!(json("int"), 7);
    assert_eq!(json("badint"), "seven");
    assert_eq!(json("null"), serde_json::Value::Null);
    assert_eq!(json("bool"), true);
    assert_eq!(json("float"), 2.5);
    assert_eq!(json("custom"), "AA==");
}

/// A document whose components hold `schemas` (YAML, indented under `schemas:`).
fn with_schemas(schemas: &str) -> String {
    format!("asyncapi: 3.0.0\ninfo: {{title: T, version: '1'}}\ncomponents:\n  schemas:\n{schemas}")
}

/// Asserts that an error with exactly `message` sits at `pointer`, with a help containing `help` (if given).
fn assert_error(errors: &[Diagnostic], pointer: &str, message: &str, help: Option<&str>) {
    let found = errors
        .iter()
        .find(|d| d.pointer == pointer && d.message == message)
        .unwrap_or_else(|| panic!("no `{message}` at {pointer} in {errors:#?}"));
    assert!(found.line > 0 && found.column > 0);
    if let Some(help) = help {
        assert!(
            found.help.as_deref().is_some_and(|h| h.contains(help)),
            "{found:#?}"
        );
    }
}

/// Every misuse of a JSON Schema keyword is reported, all at once, at the keyword's value.
#[test]
fn schema_keyword_misuse_is_reported_at_the_keyword() {
    let errors = errors(&with_schemas(
        r#"    A: {type: object, minLength: -1, required: name, enum: {a: 1}}
    B: {type: int, items: [], properties: [a], dependencies: [a]}
    C: {type: date, allOf: [], anyOf: {}, prefixItems: {}, examples: 1, xml: 2}
    D: {type: [string, nul], enum: [], dependencies: {a: {type: 3}, b: [1]}}
    E: {type: float, enum: [1, 2, 1], discriminator: {propertyName: kind}}
    F: {type: bool, items: [{type: strin}]}
    G: {externalDocs: {url: 3}, additionalProperties: {type: 1}}
"#,
    ));
    let s = "/components/schemas";
    assert_error(
        &errors,
        &format!("{s}/A/minLength"),
        "`minLength` must be a non-negative integer, found a number",
        None,
    );
    assert_error(
        &errors,
        &format!("{s}/A/required"),
        "`required` must be a sequence of property names, found a string",
        None,
    );
    assert_error(
        &errors,
        &format!("{s}/A/enum"),
        "`enum` must be a sequence, found a mapping",
        Some("enum: [a, b]"),
    );
    assert_error(
        &errors,
        &format!("{s}/B/type"),
        "`type` must be one of `array`, `boolean`, `integer`, `null`, `number`, `object`, `string`, found `int`",
        Some("use `type: integer`"),
    );
    assert_error(
        &errors,
        &format!("{s}/B/items"),
        "`items` must be a schema or a non-empty sequence of schemas, found a sequence",
        None,
    );
    assert_error(
        &errors,
        &format!("{s}/B/properties"),
        "`properties` must be a mapping from names to schemas, found a sequence",
        None,
    );
    assert_error(
        &errors,
        &format!("{s}/B/dependencies"),
        "`dependencies` must be a mapping from property names to schemas or lists of property names, found a sequence",
        None,
    );
    assert_error(
        &errors,
        &format!("{s}/C/type"),
        "`type` must be one of `array`, `boolean`, `integer`, `null`, `number`, `object`, `string`, found `date`",
        Some("use `type: string` with `format: date`"),
    );
    for (keyword, what) in [
        ("allOf", "a non-empty sequence of schemas, found a sequence"),
        ("anyOf", "a non-empty sequence of schemas, found a mapping"),
        ("prefixItems", "a sequence of schemas, found a mapping"),
        ("xml", "a mapping (the XML Object), found a number"),
    ] {
        assert_error(
            &errors,
            &format!("{s}/C/{keyword}"),
            &format!("`{keyword}` must be {what}"),
            None,
        );
    }
    assert_error(
        &errors,
        &format!("{s}/C/examples"),
        "`examples` must be a sequence, found a number",
        Some("`examples` is a list"),
    );
    assert_error(
        &errors,
        &format!("{s}/D/enum"),
        "`enum` must have at least one value",
        None,
    );
    assert!(
        errors
            .iter()
            .any(|d| d.pointer.starts_with(&format!("{s}/D/type")) && d.message.contains("`nul`")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|d| d.pointer.starts_with(&format!("{s}/D/dependencies/a/type"))),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|d| d.pointer.starts_with(&format!("{s}/D/dependencies/b"))),
        "{errors:#?}"
    );
    assert_error(
        &errors,
        &format!("{s}/E/type"),
        "`type` must be one of `array`, `boolean`, `integer`, `null`, `number`, `object`, `string`, found `float`",
        Some("use `type: number`"),
    );
    assert_error(
        &errors,
        &format!("{s}/E/enum/2"),
        "`1` appears twice in `enum`",
        Some("remove the repeated value"),
    );
    assert_error(
        &errors,
        &format!("{s}/E/discriminator"),
        "`discriminator` must be a property name (a string), found a mapping",
        Some("`discriminator: kind`"),
    );
    assert_error(
        &errors,
        &format!("{s}/F/type"),
        "`type` must be one of `array`, `boolean`, `integer`, `null`, `number`, `object`, `string`, found `bool`",
        Some("use `type: boolean`"),
    );
    assert!(
        errors
            .iter()
            .any(|d| d.pointer.starts_with(&format!("{s}/F/items/0/type"))
                && d.help.as_deref().is_some_and(|h| h.contains("`string`"))),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|d| d.pointer.starts_with(&format!("{s}/G/externalDocs"))),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|d| d
            .pointer
            .starts_with(&format!("{s}/G/additionalProperties/type"))),
        "{errors:#?}"
    );
}

/// The object form of `discriminator` belongs to OpenAPI schemas, where it is checked as OpenAPI defines it.
#[test]
fn openapi_discriminators_are_checked_as_openapi_defines_them() {
    let errors = errors(&with_schemas(
        r#"    A:
      schemaFormat: application/vnd.oai.openapi;version=3.0.0
      schema: {type: object, discriminator: kind, nullable: 1}
    B:
      schemaFormat: application/vnd.oai.openapi;version=3.0.0
      schema: {type: object, discriminator: {mapping: []}}
    C:
      schemaFormat: application/vnd.oai.openapi;version=3.0.0
      schema: {type: 'null'}
"#,
    ));
    let s = "/components/schemas";
    assert_error(
        &errors,
        &format!("{s}/A/schema/discriminator"),
        "`discriminator` must be a mapping with `propertyName` in an OpenAPI schema, found a string",
        None,
    );
    assert_error(
        &errors,
        &format!("{s}/A/schema/nullable"),
        "`nullable` must be a boolean (`true` or `false`), found a number",
        None,
    );
    assert_error(
        &errors,
        &format!("{s}/B/schema/discriminator"),
        "missing required field `propertyName` in the Discriminator Object",
        None,
    );
    assert_error(
        &errors,
        &format!("{s}/B/schema/discriminator/mapping"),
        "`mapping` must be a mapping from values to schema names, found a sequence",
        None,
    );
    assert!(
        errors
            .iter()
            .any(|d| d.pointer == format!("{s}/C/schema/type")
                && d.help.as_deref()
                    == Some("OpenAPI 3.0 has no `null` type; add `nullable: true`")),
        "{errors:#?}"
    );
}
