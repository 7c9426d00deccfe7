//! The happy path does not allocate: a valid payload is checked without touching the heap once the thread's
//! buffers have grown and the patterns have compiled.

use fastsocket::{Checker, JsonType, Pattern, Validate};
use serde_json::{Value, json};

static NAME: Pattern = Pattern::new(r"^[A-Z][a-z]+$");
static TAG: Pattern = Pattern::new(r"^(?!x-)[a-z-]+$");

/// What a generator writes for a message with a few of every kind of keyword.
struct Message;

impl Validate for Message {
    fn validate_json(value: &Value, c: &mut Checker) {
        if !c.expect_types(value, &[JsonType::Object]) {
            return;
        }
        let Value::Object(object) = value else { return };
        c.required(object, &["name", "at", "price", "tags"]);
        c.max_properties(object, 10);
        if let Some(v) = object.get("name") {
            c.enter("name");
            if c.expect_types(v, &[JsonType::String])
                && let Value::String(s) = v
            {
                c.min_length(s, 2);
                c.max_length(s, 40);
                c.pattern(s, &NAME);
            }
            c.leave();
        }
        if let Some(v) = object.get("at") {
            c.enter("at");
            if let Value::String(s) = v {
                c.format(s, "date-time");
            }
            c.leave();
        }
        if let Some(v) = object.get("price") {
            c.enter("price");
            if c.expect_types(v, &[JsonType::Number])
                && let Value::Number(n) = v
            {
                c.minimum(n, 0.0);
                c.exclusive_maximum(n, 1e6);
                c.multiple_of(n, 0.01);
            }
            c.leave();
        }
        if let Some(v) = object.get("tags") {
            c.enter("tags");
            if let Value::Array(items) = v {
                c.min_items(items, 1);
                c.unique_items(items);
                for (i, item) in items.iter().enumerate() {
                    c.enter_index(i);
                    if let Value::String(s) = item {
                        c.pattern(s, &TAG);
                    }
                    c.leave();
                }
            }
            c.leave();
        }
        if let Some(v) = object.get("kind") {
            c.enter("kind");
            let string = c.branch(|c| {
                c.expect_types(v, &[JsonType::String]);
            });
            let integer = c.branch(|c| {
                c.expect_types(v, &[JsonType::Integer]);
            });
            if !(string || integer) {
                c.fail("matches none of the 2 alternatives");
            }
            c.leave();
        }
    }
}

#[test]
fn valid_payloads_do_not_allocate() {
    let valid = json!({
        "name": "Ada",
        "at": "2020-01-01T00:00:00.5+01:00",
        "price": 19.99,
        "tags": ["a", "b-c"],
        // Fails one `anyOf` alternative (a string): a failing branch must not allocate either.
        "kind": 3
    });
    // Warm: the buffers have grown, the patterns compiled.
    assert!(fastsocket::validate::<Message>(&valid).is_ok());

    let info = allocation_counter::measure(|| {
        for _ in 0..100 {
            assert!(fastsocket::validate::<Message>(&valid).is_ok());
        }
    });
    assert_eq!(info.count_total, 0, "allocations on the happy path");

    let invalid = json!({"name": "a", "price": -1, "tags": ["x-a", "x-a"]});
    let errors = fastsocket::validate::<Message>(&invalid).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "/at: is required",
            "/name: must be at least 2 characters long, found 1",
            "/name: must match the pattern `^[A-Z][a-z]+$`",
            "/price: must be >= 0, found -1",
            "/tags: items 0 and 1 are equal",
            "/tags/0: must match the pattern `^(?!x-)[a-z-]+$`",
            "/tags/1: must match the pattern `^(?!x-)[a-z-]+$`",
        ]
    );
}
