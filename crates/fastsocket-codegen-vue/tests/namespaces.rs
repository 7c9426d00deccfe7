//! The typed client of namespaces our specs do not exercise: a path parameter limited to an enum, an event whose
//! name Socket.IO reserves (left out, with a warning), and an event without a payload.

use fastsocket_codegen_vue::{VueOptions, generate};
use fastsocket_spec::{Input, LoadOptions, load};

const DOCUMENT: &str = r#"
asyncapi: 3.0.0
info: {title: Lobby, version: '1'}
channels:
  lobby:
    address: '/lobby/{tier}'
    parameters:
      tier:
        enum: [gold, silver]
        description: The lobby's tier.
    messages:
      disconnect:
        name: disconnect
        payload: {type: string}
      ping:
        name: ping
      join:
        name: join
        payload:
          type: object
          required: [nick]
          properties:
            nick: {type: string}
operations:
  onDisconnect:
    action: receive
    channel: {$ref: '#/channels/lobby'}
    messages: [{$ref: '#/channels/lobby/messages/disconnect'}]
  onPing:
    action: receive
    channel: {$ref: '#/channels/lobby'}
    messages: [{$ref: '#/channels/lobby/messages/ping'}]
  onJoin:
    action: receive
    channel: {$ref: '#/channels/lobby'}
    messages: [{$ref: '#/channels/lobby/messages/join'}]
"#;

fn output() -> fastsocket_ir::output::Output {
    let input = Input::Text {
        name: "lobby.yaml".into(),
        text: DOCUMENT.into(),
    };
    let api = load(&input, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("the document loads: {e:?}"))
        .api;
    let options = VueOptions {
        package_name: "lobby-client".into(),
        mapping: None,
    };
    generate(&api, &options).expect("generation succeeds")
}

/// All `.ts` and `.vue` files, joined.
fn sources(output: &fastsocket_ir::output::Output) -> String {
    output
        .files
        .iter()
        .filter(|f| f.path.ends_with(".ts") || f.path.ends_with(".vue"))
        .map(|f| format!("// {}\n{}\n", f.path, f.contents))
        .collect()
}

#[test]
fn a_reserved_event_is_left_out_with_a_warning() {
    let output = output();
    assert!(
        output.warnings.iter().any(|w| w
            == "event `disconnect` of namespace `/lobby/{tier}` is reserved by Socket.IO and is left out of the typed client"),
        "{:?}",
        output.warnings
    );
    let code = sources(&output);
    // The other events are in the client; the reserved one is not emitted as a typed event of its own.
    assert!(code.contains("validators.validateLobbyJoin"), "{code}");
    assert!(code.contains("validators.validateLobbyPing"), "{code}");
    assert!(!code.contains("validateLobbyDisconnect"), "{code}");
    assert!(
        !code.contains(r#"request<null>(this.raw, "disconnect""#),
        "{code}"
    );
}

#[test]
fn an_enum_parameter_is_a_union_of_its_values() {
    let code = sources(&output());
    assert!(code.contains(r#""gold" | "silver""#), "{code}");
}
