//! The lowering to the IR and the IR's own passes: every document that loads gives an `Api` whose type ids all
//! resolve, which survives a JSON round trip unchanged (the `ir` command's dump), and which the Socket.IO mapping
//! (both mappings) and the JSON Schema export accept.
#![no_main]

use fastsocket_ir::socketio::{Mapping, namespaces};
use fastsocket_ir::{Api, json_schema};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(api) = fastsocket_fuzz::load_input(data) else {
        return;
    };
    for (index, def) in api.types.iter().enumerate() {
        assert_eq!(def.id.0 as usize, index, "types[i].id == TypeId(i)");
        for child in api.types.children(def.id) {
            assert!(api.types.try_get(child).is_some(), "dangling {child:?}");
        }
        let _ = api.types.is_recursive(def.id);
    }
    let _ = api.types.in_place_cycles();
    let dump = serde_json::to_string(&api).expect("the IR serialises");
    let back: Api = serde_json::from_str(&dump).expect("the IR dump reads back");
    // Both sides read their numbers from the same text with the same parser, so a float that serde_json reads
    // 1 ULP off (without its `float_roundtrip` feature) cannot pass for a round-trip failure.
    let read: serde_json::Value = serde_json::from_str(&dump).expect("the dump is JSON");
    assert_eq!(
        serde_json::to_value(&back).expect("serialises again"),
        read,
        "the IR dump does not round-trip"
    );
    let _ = Mapping::detect(&api);
    for mapping in [Mapping::Namespace, Mapping::Event] {
        let _ = namespaces(&api, mapping);
    }
    let _ = json_schema::to_json_schema_bundle(&api.types, api.types.iter().map(|t| t.id));
});
