//! Small inline documents and the findings they must (or must not) produce.

use crate::node::{Key, Kind, Node, Pos};
use crate::syntax;

use super::common::template_vars;
use super::corpus::{Outcome, check_document};
use super::{Finding, RefSite, Severity, Shape, SpecVersion, check_shape, push_pointer};

fn parse(text: &str) -> Node {
    match syntax::parse(text) {
        (Some(node), _) => node,
        (None, issues) => panic!("test document does not parse: {issues:?}"),
    }
}

fn run(text: &str) -> Outcome {
    check_document(&parse(text))
}

fn show(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "  {:?} {:?}: {} (help: {:?})",
                f.severity, f.pointer, f.message, f.help
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts an error at `pointer` whose message contains `fragment`, and returns it.
fn error_at<'a>(outcome: &'a Outcome, pointer: &str, fragment: &str) -> &'a Finding {
    outcome
        .findings
        .iter()
        .find(|f| {
            f.severity == Severity::Error && f.pointer == pointer && f.message.contains(fragment)
        })
        .unwrap_or_else(|| {
            panic!(
                "no error at {pointer:?} containing {fragment:?}; found:\n{}",
                show(&outcome.findings)
            )
        })
}

fn warning_at(outcome: &Outcome, pointer: &str, fragment: &str) {
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.severity == Severity::Warning
                && f.pointer == pointer
                && f.message.contains(fragment)),
        "no warning at {pointer:?} containing {fragment:?}; found:\n{}",
        show(&outcome.findings)
    );
}

fn no_errors(outcome: &Outcome) {
    let errors: Vec<_> = outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .cloned()
        .collect();
    assert!(errors.is_empty(), "unexpected errors:\n{}", show(&errors));
}

const V2_HEAD: &str = "asyncapi: 2.6.0\ninfo:\n  title: T\n  version: '1'\n";
const V3_HEAD: &str = "asyncapi: 3.0.0\ninfo:\n  title: T\n  version: '1'\n";

fn v2(body: &str) -> Outcome {
    run(&format!("{V2_HEAD}{body}"))
}

fn v3(body: &str) -> Outcome {
    run(&format!("{V3_HEAD}{body}"))
}

/// (document, pointer, message fragment): each document must give at least this error.
const ERRORS: &[(&str, &str, &str)] = &[
    // Required fields, types, unknown fields.
    (
        "asyncapi: 2.6.0\ninfo:\n  version: '1'\nchannels: {}\n",
        "/info",
        "missing required field `title` in the Info Object",
    ),
    (
        "asyncapi: 2.6.0\ninfo:\n  title: T\n  version: '1'\n",
        "",
        "missing required field `channels`",
    ),
    (
        "asyncapi: 2.6.0\ninfo:\n  title: T\n  version: '1'\n  test: 1\nchannels: {}\n",
        "/info/test",
        "unknown field `test` in the Info Object",
    ),
    (
        "asyncapi: 2.6.0\ninfo:\n  title: T\n  version: 1.0\nchannels: {}\n",
        "/info/version",
        "`version` must be a string, found a number",
    ),
    (
        "asyncapi: 2\ninfo:\n  title: T\n  version: '1'\nchannels: {}\n",
        "/asyncapi",
        "`asyncapi` must be a string",
    ),
    (
        "asyncapi: 2.6.0\ninfo: hello\nchannels: {}\n",
        "/info",
        "expected a mapping (the Info Object), found a string",
    ),
    (
        "asyncapi: 3.0.0\ninfo:\n  title: T\n  version: '1'\ntags: []\n",
        "/tags",
        "unknown field `tags` in the AsyncAPI Object",
    ),
];

#[test]
fn table_of_errors() {
    for (doc, pointer, fragment) in ERRORS {
        error_at(&run(doc), pointer, fragment);
    }
}

#[test]
fn unknown_field_help() {
    let out = run(
        "asyncapi: 2.6.0\ninfo:\n  title: T\n  version: '1'\n  descripton: d\n  foo: 1\nchannels: {}\n",
    );
    let typo = error_at(&out, "/info/descripton", "unknown field `descripton`");
    assert_eq!(typo.help.as_deref(), Some("did you mean `description`?"));
    assert_eq!(
        typo.pos,
        Pos { line: 5, column: 3 },
        "unknown fields point at the key"
    );
    let other = error_at(&out, "/info/foo", "unknown field `foo`");
    assert_eq!(
        other.help.as_deref(),
        Some("extension fields must start with `x-`")
    );
    no_errors(&run(
        "asyncapi: 2.6.0\ninfo:\n  title: T\n  version: '1'\n  x-foo: 1\nchannels: {}\nx-bar: [1]\n",
    ));
}

#[test]
fn version_hints_for_fields_of_the_other_line() {
    let out = v3("channels:\n  c:\n    address: a\n    publish: {}\n");
    let f = error_at(
        &out,
        "/channels/c/publish",
        "unknown field `publish` in the Channel Object",
    );
    assert!(
        f.help
            .as_deref()
            .unwrap_or("")
            .contains("root `operations`")
    );
    let out = v3("servers:\n  s:\n    url: x\n    host: x\n    protocol: ws\n");
    let f = error_at(&out, "/servers/s/url", "unknown field `url`");
    assert!(f.help.as_deref().unwrap_or("").contains("`host`"));
    let out = v2("channels:\n  c:\n    parameters:\n      p:\n        enum: [a]\n");
    error_at(
        &out,
        "/channels/c/parameters/p/enum",
        "unknown field `enum` in the Parameter Object",
    );
}

#[test]
fn operation_action_enum() {
    let out = v3(
        "channels:\n  c:\n    address: c\noperations:\n  o:\n    action: publish\n    channel:\n      $ref: '#/channels/c'\n",
    );
    let f = error_at(
        &out,
        "/operations/o/action",
        "`action` must be one of `send`, `receive`, found `publish`",
    );
    assert_eq!(
        f.pos,
        Pos {
            line: 10,
            column: 13
        }
    );
    let out = v3("operations:\n  o:\n    action: sned\n    channel:\n      $ref: '#/channels/c'\n");
    let f = error_at(&out, "/operations/o/action", "found `sned`");
    assert_eq!(f.help.as_deref(), Some("did you mean `send`?"));
}

#[test]
fn v3_operation_channel_must_be_a_reference() {
    let out = v3("operations:\n  o:\n    action: send\n    channel:\n      address: x\n");
    error_at(&out, "/operations/o/channel", "expected a Reference Object");
    let out = v3("operations:\n  o:\n    action: send\n");
    error_at(&out, "/operations/o", "missing required field `channel`");
}

#[test]
fn v3_operation_messages_come_from_its_channel() {
    let doc = "channels:\n  c:\n    address: c\n    messages:\n      m:\n        payload: {type: string}\n\
               operations:\n  o:\n    action: send\n    channel:\n      $ref: '#/channels/c'\n    messages:\n\
               \x20     - $ref: '#/channels/c/messages/m'\n      - $ref: '#/components/messages/m'\n\
               components:\n  messages:\n    m:\n      payload: {type: string}\n";
    let out = v3(doc);
    error_at(
        &out,
        "/operations/o/messages/1/$ref",
        "is not a message of the operation's channel",
    );
    assert_eq!(
        out.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        1,
        "{}",
        show(&out.findings)
    );
}

#[test]
fn v3_root_operations_use_root_channels() {
    let out = v3(
        "operations:\n  o:\n    action: send\n    channel:\n      $ref: '#/components/channels/c'\ncomponents:\n  channels:\n    c:\n      address: c\n",
    );
    error_at(
        &out,
        "/operations/o/channel/$ref",
        "must use a channel of the root `channels`",
    );
}

#[test]
fn v3_channel_parameters_against_address() {
    let out = v3(
        "channels:\n  c:\n    address: 'user/{userId}/{other}'\n    parameters:\n      userId: {}\n      unused: {}\n",
    );
    error_at(
        &out,
        "/channels/c/parameters",
        "parameter `other` of the channel address `user/{userId}/{other}` is not declared",
    );
    error_at(
        &out,
        "/channels/c/parameters/unused",
        "declared but not used",
    );
    let out = v3("channels:\n  c:\n    address: null\n    parameters:\n      p: {}\n");
    error_at(&out, "/channels/c/parameters", "has no `address`");
    let out = v3("channels:\n  c:\n    address: 'user/{userId}'\n");
    error_at(
        &out,
        "/channels/c",
        "uses parameter `userId` but there is no `parameters`",
    );
    let out = v3("channels:\n  c:\n    address: 'user?x=1'\n");
    error_at(&out, "/channels/c/address", "must not contain `?`");
    no_errors(&v3(
        "channels:\n  c:\n    address: 'user/{id}'\n    parameters:\n      id:\n        $ref: '#/components/parameters/id'\ncomponents:\n  parameters:\n    id:\n      enum: [a, b]\n      location: '$message.payload#/id'\n",
    ));
}

#[test]
fn v2_channel_parameters_against_name() {
    let out = v2("channels:\n  'user/{id}/{x}':\n    parameters:\n      id: {}\n      extra: {}\n");
    error_at(
        &out,
        "/channels/user~1{id}~1{x}/parameters",
        "parameter `x` of the channel name",
    );
    warning_at(
        &out,
        "/channels/user~1{id}~1{x}/parameters/extra",
        "declared but not used",
    );
    let out = v2("channels:\n  'user/{id}':\n    subscribe: {}\n");
    warning_at(&out, "/channels/user~1{id}", "there is no `parameters`");
    no_errors(&out);
}

#[test]
fn server_variables_against_url() {
    let out = v2(
        "servers:\n  s:\n    url: 'host:{port}/{path}'\n    protocol: ws\n    variables:\n      port: {default: '80'}\nchannels: {}\n",
    );
    error_at(
        &out,
        "/servers/s/variables",
        "variable `path` of the server URL",
    );
    let out = v2("servers:\n  s:\n    url: 'host:{port}'\n    protocol: ws\nchannels: {}\n");
    error_at(
        &out,
        "/servers/s",
        "uses variable `port` but there is no `variables`",
    );
    let out = v3(
        "servers:\n  s:\n    host: 'host:{port}'\n    pathname: '/{v}'\n    protocol: ws\n    variables:\n      port: {}\n",
    );
    error_at(&out, "/servers/s/variables", "variable `v`");
    let out = v2(
        "servers:\n  s:\n    url: h\n    protocol: ws\n    variables:\n      port:\n        enum: ['1', '1']\nchannels: {}\n",
    );
    error_at(&out, "/servers/s/variables/port/enum/1", "appears twice");
}

#[test]
fn v2_document_rules() {
    let out = v2(
        "servers:\n  prod:\n    url: h\n    protocol: ws\nchannels:\n  a:\n    servers: [prod, staging]\n    publish:\n      operationId: op\n  b?x:\n    subscribe:\n      operationId: op\n",
    );
    error_at(
        &out,
        "/channels/a/servers/1",
        "channel server `staging` is not defined",
    );
    error_at(
        &out,
        "/channels/b?x/subscribe/operationId",
        "operationId `op` is already used by the operation at `/channels/a/publish`",
    );
    error_at(&out, "/channels/b?x", "must not contain `?`");
    let out = v2(
        "servers:\n  prod:\n    url: h\n    protocol: ws\n    security:\n      - oauth: [read, write]\n      - nope: []\nchannels: {}\ncomponents:\n  securitySchemes:\n    oauth:\n      type: oauth2\n      flows:\n        clientCredentials:\n          tokenUrl: https://t\n          scopes:\n            read: r\n",
    );
    warning_at(
        &out,
        "/servers/prod/security/0/oauth/1",
        "scope `write` is not offered",
    );
    warning_at(
        &out,
        "/servers/prod/security/1/nope",
        "security scheme `nope`, which is not defined",
    );
    no_errors(&out);
}

#[test]
fn duplicate_tags() {
    let out = v2("channels: {}\ntags:\n  - name: a\n  - name: b\n  - name: a\n");
    let f = error_at(&out, "/tags/2/name", "duplicate tag name `a`");
    assert_eq!(f.pos.line, 9);
    let out = v2(
        "channels:\n  c:\n    publish:\n      tags: [{name: x}, {name: x}]\n      traits:\n        - tags: [{name: y}, {name: y}]\n",
    );
    error_at(
        &out,
        "/channels/c/publish/tags/1/name",
        "duplicate tag name `x`",
    );
    error_at(
        &out,
        "/channels/c/publish/traits/0/tags/1/name",
        "duplicate tag name `y`",
    );
    let out = v3("info2: 1\n");
    error_at(&out, "/info2", "unknown field");
    let out = run(
        "asyncapi: 3.0.0\ninfo:\n  title: T\n  version: '1'\n  tags:\n    - name: a\n    - $ref: '#/components/tags/a'\n    - name: a\ncomponents:\n  tags:\n    a:\n      name: a\n",
    );
    error_at(&out, "/info/tags/2/name", "duplicate tag name `a`");
}

#[test]
fn schema_keywords() {
    let doc = "channels:\n  c:\n    publish:\n      message:\n        payload:\n          type: object\n          required: true\n          properties:\n            a: {type: strin}\n            b: {type: string, minLength: -1}\n            c: {type: array, items: 3}\n            d: {type: [string, null, string]}\n            e: {properties: [x]}\n            f: {enum: []}\n            g: {multipleOf: 0}\n            h: {exclusiveMinimum: true, minimum: 1}\n            i: {oneOf: []}\n            j: {custom-keyword: {anything: [1]}, x-ext: 1, format: email}\n            k: {pattern: 1}\n            l: null\n            m: {discriminator: {propertyName: kind}}\n";
    let out = v2(doc);
    let base = "/channels/c/publish/message/payload";
    let typo = error_at(
        &out,
        &format!("{base}/properties/a/type"),
        "`type` must be one of",
    );
    assert_eq!(typo.help.as_deref(), Some("did you mean `string`?"));
    let req = error_at(
        &out,
        &format!("{base}/required"),
        "`required` must be a sequence of property names, found a boolean",
    );
    assert!(req.help.is_some());
    error_at(
        &out,
        &format!("{base}/properties/b/minLength"),
        "must be a non-negative integer, found a number",
    );
    error_at(
        &out,
        &format!("{base}/properties/c/items"),
        "expected a schema",
    );
    error_at(
        &out,
        &format!("{base}/properties/d/type/2"),
        "`string` appears twice in `type`",
    );
    error_at(
        &out,
        &format!("{base}/properties/e/properties"),
        "must be a mapping from names to schemas",
    );
    error_at(
        &out,
        &format!("{base}/properties/f/enum"),
        "at least one value",
    );
    error_at(
        &out,
        &format!("{base}/properties/g/multipleOf"),
        "greater than 0",
    );
    error_at(
        &out,
        &format!("{base}/properties/h/exclusiveMinimum"),
        "must be a number, found a boolean",
    );
    error_at(
        &out,
        &format!("{base}/properties/i/oneOf"),
        "non-empty sequence of schemas",
    );
    error_at(
        &out,
        &format!("{base}/properties/k/pattern"),
        "`pattern` must be a string",
    );
    error_at(&out, &format!("{base}/properties/l"), "found null");
    error_at(
        &out,
        &format!("{base}/properties/m/discriminator"),
        "must be a property name",
    );
    assert!(
        !out.findings
            .iter()
            .any(|f| f.pointer.contains("/properties/j")),
        "unknown keywords are annotations: {}",
        show(&out.findings)
    );
}

#[test]
fn schema_formats() {
    // An Avro payload is not JSON Schema: `type: record` is fine, and its `$ref` is reported as a foreign schema.
    let out = v2(
        "channels:\n  c:\n    publish:\n      message:\n        schemaFormat: 'application/vnd.apache.avro;version=1.9.0'\n        payload:\n          type: record\n          fields: [{name: a, type: long}]\n",
    );
    no_errors(&out);
    let mut findings = Vec::new();
    let mut refs = Vec::new();
    let message = parse(
        "schemaFormat: application/vnd.apache.avro+json;version=1.9.0\npayload:\n  $ref: 'user.avsc'\n",
    );
    check_shape(
        SpecVersion::V2 { minor: 6 },
        Shape::Message,
        &message,
        "/m",
        &mut findings,
        &mut refs,
    );
    assert!(findings.is_empty(), "{}", show(&findings));
    assert_eq!(
        refs,
        vec![RefSite {
            reference: "user.avsc".into(),
            pointer: "/m/payload".into(),
            pos: Pos { line: 3, column: 9 },
            shape: Shape::ForeignSchema
        }]
    );

    // OpenAPI: boolean exclusive bounds and `nullable` are right, a `type` list is not.
    let out = v2(
        "channels:\n  c:\n    publish:\n      message:\n        schemaFormat: application/vnd.oai.openapi;version=3.0.0\n        payload:\n          type: object\n          nullable: true\n          discriminator: {propertyName: kind}\n          properties:\n            a: {type: integer, minimum: 1, exclusiveMinimum: true}\n            b: {type: [string, 'null']}\n",
    );
    error_at(
        &out,
        "/channels/c/publish/message/payload/properties/b/type",
        "single type name",
    );
    assert_eq!(out.findings.len(), 1, "{}", show(&out.findings));

    // 3.0 Multi Format Schema Objects.
    let out = v3(
        "components:\n  messages:\n    a:\n      payload:\n        schemaFormat: application/vnd.apache.avro;version=1.9.0\n        schema:\n          type: record\n    b:\n      payload:\n        schemaFormat: application/schema+json;version=draft-07\n        schema:\n          type: strng\n    c:\n      payload:\n        schema: {type: string}\n        other: 1\n",
    );
    error_at(
        &out,
        "/components/messages/b/payload/schema/type",
        "`type` must be one of",
    );
    error_at(
        &out,
        "/components/messages/c/payload/other",
        "unknown field `other` in the Multi Format Schema Object",
    );
    assert_eq!(out.findings.len(), 2, "{}", show(&out.findings));
}

#[test]
fn messages() {
    let out = v2(
        "channels:\n  c:\n    publish:\n      message:\n        oneOf:\n          - payload: {type: string}\n        name: x\n",
    );
    error_at(&out, "/channels/c/publish/message/name", "beside `oneOf`");
    let out = v2(
        "channels:\n  c:\n    publish:\n      message:\n        headers: {type: string}\n        examples:\n          - name: x\n          - payload: 1\n",
    );
    error_at(
        &out,
        "/channels/c/publish/message/headers/type",
        "must have `type: object`",
    );
    error_at(
        &out,
        "/channels/c/publish/message/examples/0",
        "must have `payload` or `headers`",
    );
    let out = v3(
        "components:\n  messages:\n    m:\n      schemaFormat: x\n      messageId: y\n      traits:\n        - $ref: '#/components/messageTraits/t'\n        - [{$ref: '#/components/messageTraits/t'}, {name: n}]\n        - [{$ref: '#/components/messageTraits/t'}, 3]\n  messageTraits:\n    t:\n      contentType: application/json\n",
    );
    error_at(
        &out,
        "/components/messages/m/schemaFormat",
        "unknown field `schemaFormat`",
    );
    error_at(
        &out,
        "/components/messages/m/messageId",
        "unknown field `messageId`",
    );
    error_at(
        &out,
        "/components/messages/m/traits/2/1",
        "expected a mapping",
    );
    assert_eq!(out.findings.len(), 3, "{}", show(&out.findings));
}

#[test]
fn security_schemes() {
    let doc = "channels: {}\ncomponents:\n  securitySchemes:\n    a: {type: apikey, in: user}\n    b: {type: apiKey, in: header}\n    c: {type: http, scheme: basic, bearerFormat: JWT}\n    d: {type: httpApiKey, name: k, in: query}\n    e:\n      type: oauth2\n      flows:\n        implicit:\n          authorizationUrl: https://a\n          tokenUrl: https://t\n          scopes: {}\n        password:\n          tokenUrl: https://t\n    f: {description: no type}\n    g: {type: X509, flows: {}}\n    h: {type: http, scheme: Bearer, bearerFormat: JWT}\n";
    let out = v2(doc);
    let base = "/components/securitySchemes";
    let f = error_at(&out, &format!("{base}/a/type"), "`type` must be one of");
    assert_eq!(f.help.as_deref(), Some("did you mean `apiKey`?"));
    error_at(
        &out,
        &format!("{base}/b/in"),
        "`in` must be one of `user`, `password`, found `header`",
    );
    error_at(
        &out,
        &format!("{base}/c/bearerFormat"),
        "only allowed with `scheme: bearer`",
    );
    error_at(
        &out,
        &format!("{base}/e/flows/implicit/tokenUrl"),
        "has no `tokenUrl`",
    );
    error_at(
        &out,
        &format!("{base}/e/flows/password"),
        "missing required field `scopes`",
    );
    error_at(&out, &format!("{base}/f"), "missing required field `type`");
    let g = error_at(&out, &format!("{base}/g/flows"), "unknown field `flows`");
    assert!(g.help.as_deref().unwrap_or("").contains("oauth2"));
    assert!(
        !out.findings
            .iter()
            .any(|f| f.pointer.starts_with(&format!("{base}/d")))
    );
    assert!(
        !out.findings
            .iter()
            .any(|f| f.pointer.starts_with(&format!("{base}/h")))
    );

    let out = v3(
        "components:\n  securitySchemes:\n    o:\n      type: oauth2\n      scopes: [a]\n      flows:\n        clientCredentials:\n          tokenUrl: https://t\n          scopes: {}\n",
    );
    let f = error_at(
        &out,
        "/components/securitySchemes/o/flows/clientCredentials/scopes",
        "unknown field `scopes`",
    );
    assert!(f.help.as_deref().unwrap_or("").contains("availableScopes"));
    error_at(
        &out,
        "/components/securitySchemes/o/flows/clientCredentials",
        "missing required field `availableScopes`",
    );
}

#[test]
fn runtime_expressions() {
    let out = v2(
        "channels: {}\ncomponents:\n  correlationIds:\n    a: {location: '$message.header#/id'}\n    b: {location: '$message.payload'}\n    c: {location: 'header.id'}\n",
    );
    let b = error_at(
        &out,
        "/components/correlationIds/b/location",
        "must be a runtime expression",
    );
    assert!(
        b.help
            .as_deref()
            .unwrap_or("")
            .contains("$message.payload#")
    );
    error_at(
        &out,
        "/components/correlationIds/c/location",
        "must be a runtime expression",
    );
    assert_eq!(out.findings.len(), 2, "{}", show(&out.findings));
}

#[test]
fn references() {
    let out = v2("info2: {$ref: '#/x'}\nchannels: {}\n");
    error_at(&out, "/info2", "unknown field");
    let out = run("asyncapi: 2.6.0\ninfo:\n  $ref: 'info.yaml'\nchannels: {}\n");
    error_at(
        &out,
        "/info/$ref",
        "a Reference Object is not allowed here: the Info Object must be written inline",
    );
    let out = v2("channels:\n  c:\n    parameters:\n      p: {$ref: 3}\n");
    error_at(
        &out,
        "/channels/c/parameters/p/$ref",
        "`$ref` must be a string, found a number",
    );
    let out =
        v2("channels:\n  c:\n    parameters:\n      p: {$ref: '# /components/parameters/p'}\n");
    error_at(
        &out,
        "/channels/c/parameters/p/$ref",
        "must be a URI reference",
    );
    assert!(out.external.is_empty() && out.dangling.is_empty());
    let out = v3(
        "operations:\n  o:\n    action: send\n    channel: {$ref: '#/channels/c'}\n    messages:\n      - payload: {}\n",
    );
    error_at(
        &out,
        "/operations/o/messages/0",
        "expected a Reference Object",
    );
}

fn refs_of(
    version: SpecVersion,
    shape: Shape,
    text: &str,
    pointer: &str,
) -> (Vec<Finding>, Vec<RefSite>) {
    let mut findings = Vec::new();
    let mut refs = Vec::new();
    check_shape(
        version,
        shape,
        &parse(text),
        pointer,
        &mut findings,
        &mut refs,
    );
    (findings, refs)
}

#[test]
fn ref_sites() {
    const V2: SpecVersion = SpecVersion::V2 { minor: 6 };
    const V3: SpecVersion = SpecVersion::V3 { minor: 0 };
    let (findings, refs) = refs_of(
        V3,
        Shape::Message,
        "payload:\n  $ref: '#/components/schemas/p'\nheaders:\n  type: object\n  properties:\n    h: {$ref: 'h.json'}\nbindings:\n  ws:\n    query: {$ref: '#/components/schemas/q'}\ncorrelationId: {$ref: '#/c'}\n",
        "/components/messages/m",
    );
    assert!(findings.is_empty(), "{}", show(&findings));
    let sites: Vec<_> = refs
        .iter()
        .map(|r| (r.reference.as_str(), r.pointer.as_str(), r.shape))
        .collect();
    assert_eq!(
        sites,
        vec![
            (
                "#/components/schemas/p",
                "/components/messages/m/payload",
                Shape::AnySchema
            ),
            (
                "h.json",
                "/components/messages/m/headers/properties/h",
                Shape::Schema
            ),
            (
                "#/components/schemas/q",
                "/components/messages/m/bindings/ws/query",
                Shape::Any
            ),
            (
                "#/c",
                "/components/messages/m/correlationId",
                Shape::CorrelationId
            ),
        ]
    );
    assert_eq!(refs[0].pos, Pos { line: 2, column: 9 });

    // The 2.x channel `$ref` sits beside other fields, which are still checked.
    let (findings, refs) = refs_of(
        V2,
        Shape::Channel,
        "$ref: 'other.yaml#/c'\ndescription: 3\n",
        "/channels/a~1b",
    );
    assert_eq!(refs.len(), 1);
    assert_eq!(
        (refs[0].pointer.as_str(), refs[0].shape),
        ("/channels/a~1b", Shape::Channel)
    );
    assert_eq!(findings.len(), 1, "{}", show(&findings));
    assert_eq!(findings[0].pointer, "/channels/a~1b/description");

    // A target that is itself a reference is handed back with the same shape.
    let (findings, refs) = refs_of(
        V3,
        Shape::Message,
        "$ref: '#/components/messages/other'\n",
        "/components/messages/m",
    );
    assert!(findings.is_empty());
    assert_eq!(
        (refs[0].pointer.as_str(), refs[0].shape),
        ("/components/messages/m", Shape::Message)
    );

    // 2.x payloads are JSON Schema unless `schemaFormat` says otherwise.
    let (_, refs) = refs_of(V2, Shape::Message, "payload: {$ref: 'p.json'}\n", "/m");
    assert_eq!(refs[0].shape, Shape::Schema);
    let (_, refs) = refs_of(
        V2,
        Shape::Message,
        "schemaFormat: application/vnd.oai.openapi;version=3.0.0\npayload: {$ref: 'p.json'}\n",
        "/m",
    );
    assert_eq!(refs[0].shape, Shape::OpenApiSchema);
    let (_, refs) = refs_of(
        V3,
        Shape::Operation,
        "action: send\nchannel: {$ref: '#/channels/c'}\nreply:\n  channel: {$ref: '#/channels/r'}\n  address: {$ref: '#/components/replyAddresses/a'}\n",
        "/operations/o",
    );
    let shapes: Vec<_> = refs.iter().map(|r| r.shape).collect();
    assert_eq!(
        shapes,
        vec![Shape::Channel, Shape::Channel, Shape::OperationReplyAddress],
        "document order"
    );
}

#[test]
fn pointers_are_escaped() {
    assert_eq!(push_pointer("", "a/b~c"), "/a~1b~0c");
    assert_eq!(push_pointer("/x", ""), "/x/");
    let out = v2("channels:\n  'a/b~c':\n    description: 1\n");
    error_at(&out, "/channels/a~1b~0c/description", "must be a string");
}

#[test]
fn template_variables() {
    assert_eq!(template_vars("a/{b}/{c}/{b}"), vec!["b", "c"]);
    assert_eq!(template_vars("{}"), Vec::<&str>::new());
    assert_eq!(template_vars("{}x}"), vec!["}x"]);
    assert_eq!(template_vars("a{b"), Vec::<&str>::new());
    assert_eq!(template_vars("{é}"), vec!["é"]);
}

fn node(kind: Kind) -> Node {
    Node::new(kind, Pos { line: 1, column: 1 })
}

fn map(entries: Vec<(&str, Node)>) -> Node {
    node(Kind::Map(
        entries
            .into_iter()
            .map(|(k, v)| {
                (
                    Key {
                        text: k.to_string(),
                        pos: Pos::default(),
                    },
                    v,
                )
            })
            .collect(),
    ))
}

#[test]
fn deep_trees_do_not_overflow() {
    let mut schema = map(vec![("type", node(Kind::Str("strin".into())))]);
    for i in 0..256 {
        schema = if i % 2 == 0 {
            map(vec![("not", schema)])
        } else {
            map(vec![("items", node(Kind::Seq(vec![schema])))])
        };
    }
    let (findings, _) = {
        let mut findings = Vec::new();
        let mut refs = Vec::new();
        check_shape(
            SpecVersion::V2 { minor: 6 },
            Shape::Schema,
            &schema,
            "",
            &mut findings,
            &mut refs,
        );
        (findings, refs)
    };
    assert_eq!(findings.len(), 1);

    // Objects nest through more functions per level than schemas: 2.x `oneOf` messages, 250 levels of tree.
    let mut message = map(vec![(
        "payload",
        map(vec![("type", node(Kind::Str("strin".into())))]),
    )]);
    for _ in 0..125 {
        message = map(vec![("oneOf", node(Kind::Seq(vec![message])))]);
    }
    let mut findings = Vec::new();
    let mut refs = Vec::new();
    check_shape(
        SpecVersion::V2 { minor: 6 },
        Shape::Message,
        &message,
        "",
        &mut findings,
        &mut refs,
    );
    assert_eq!(findings.len(), 1);
}

#[test]
fn every_shape_accepts_any_node_without_panicking() {
    let samples = vec![
        node(Kind::Null),
        node(Kind::Bool(true)),
        node(Kind::Number(3.into())),
        node(Kind::Str("x".into())),
        node(Kind::Seq(vec![
            node(Kind::Null),
            map(vec![("$ref", node(Kind::Null))]),
        ])),
        map(vec![]),
        map(vec![("$ref", node(Kind::Seq(vec![])))]),
        map(vec![
            ("oneOf", node(Kind::Str("x".into()))),
            ("type", node(Kind::Seq(vec![]))),
            ("schema", node(Kind::Null)),
        ]),
        parse(
            "asyncapi: 3.0.0\ninfo: []\nchannels: {a: 1, b: {address: 3, parameters: 4, servers: [1]}}\noperations: {o: {channel: 1, messages: 2}}\nservers: {s: {host: 1, variables: []}}\n",
        ),
    ];
    let shapes = [
        Shape::Document,
        Shape::Info,
        Shape::Contact,
        Shape::License,
        Shape::Tag,
        Shape::ExternalDocs,
        Shape::Server,
        Shape::ServerVariable,
        Shape::Channel,
        Shape::Operation,
        Shape::OperationTrait,
        Shape::OperationReply,
        Shape::OperationReplyAddress,
        Shape::Message,
        Shape::MessageTrait,
        Shape::MessageExample,
        Shape::Parameter,
        Shape::CorrelationId,
        Shape::Components,
        Shape::SecurityScheme,
        Shape::OAuthFlows,
        Shape::OAuthFlow,
        Shape::SecurityRequirement,
        Shape::Bindings,
        Shape::Schema,
        Shape::OpenApiSchema,
        Shape::AnySchema,
        Shape::MultiFormatSchema,
        Shape::ForeignSchema,
        Shape::Any,
    ];
    for version in [SpecVersion::V2 { minor: 0 }, SpecVersion::V3 { minor: 1 }] {
        for shape in shapes {
            for sample in &samples {
                let mut findings = Vec::new();
                let mut refs = Vec::new();
                check_shape(version, shape, sample, "/p", &mut findings, &mut refs);
            }
        }
    }
}
