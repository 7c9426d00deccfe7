//! The floor of `cargo xtask bench-load`: the `bench/orders.yaml` contract written by hand, the way a careful
//! person would without a generator. serde structs, hand validation, the error envelope of the generated
//! servers, no logging. `bench-floor PORT` serves on 127.0.0.1:PORT; `GET /healthz` answers 200.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, SocketRef, TryData};

/// `place-order`'s payload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PlaceOrder {
    client_order_id: String,
    symbol: String,
    /// Checked by serde (an unknown side fails to deserialise); the handler has no use for it.
    #[expect(
        dead_code,
        reason = "validated, never read: the handler only acknowledges"
    )]
    side: Side,
    quantity: i64,
    price: f64,
}

/// The side of an order.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Side {
    Buy,
    Sell,
}

/// `place-order`'s acknowledgement.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderAccepted {
    client_order_id: String,
    status: &'static str,
}

/// The schema's constraints that serde does not check: every violation as (JSON pointer, message).
fn violations(order: &PlaceOrder) -> Vec<(&'static str, &'static str)> {
    let mut found = Vec::new();
    let id_len = order.client_order_id.chars().count();
    if !(1..=64).contains(&id_len) {
        found.push(("/clientOrderId", "length must be between 1 and 64"));
    }
    let symbol = order.symbol.as_bytes();
    if !(3..=6).contains(&symbol.len()) || !symbol.iter().all(u8::is_ascii_uppercase) {
        found.push(("/symbol", "must match ^[A-Z]{3,6}$"));
    }
    if !(1..=1_000_000).contains(&order.quantity) {
        found.push(("/quantity", "must be between 1 and 1000000"));
    }
    if !(order.price > 0.0 && order.price <= 1e9) {
        found.push(("/price", "must be > 0 and <= 1000000000"));
    }
    found
}

/// The error envelope the generated servers answer.
fn invalid(details: Vec<Value>, message: String) -> Value {
    json!({"error": {"code": "validation_failed", "message": message, "details": details}})
}

fn place_order<E: std::fmt::Display>(payload: Result<PlaceOrder, E>) -> Value {
    match payload {
        Err(error) => invalid(
            vec![json!({"path": "", "message": error.to_string()})],
            format!("invalid payload for `place-order`: {error}"),
        ),
        Ok(order) => {
            let found = violations(&order);
            if found.is_empty() {
                serde_json::to_value(OrderAccepted {
                    client_order_id: order.client_order_id,
                    status: "accepted",
                })
                .unwrap_or(Value::Null)
            } else {
                let message = format!(
                    "invalid payload for `place-order`: {}: {}",
                    found[0].0, found[0].1
                );
                let details = found
                    .into_iter()
                    .map(|(path, message)| json!({"path": path, "message": message}))
                    .collect();
                invalid(details, message)
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args()
        .nth(1)
        .ok_or("usage: bench-floor PORT")?
        .parse()?;
    let (layer, io) = SocketIo::new_layer();
    io.ns("/orders", async |socket: SocketRef| {
        socket.on(
            "place-order",
            async |TryData(payload): TryData<PlaceOrder>, ack: AckSender| {
                ack.send(&place_order(payload)).ok();
            },
        );
    });
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(async || "ok"))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
