//! The handlers of the generated benchmark server (`cargo xtask bench-load` copies this file into the crate it
//! generates from `bench/orders.yaml`). `place-order` only acknowledges: what is measured is the server stack
//! around it (decode, validation, deserialisation, logging, the ack), the same work the other servers of
//! `bench/` do.

use fastsocket::server::HandlerError;

use crate::generated::server::orders;
use crate::models::{OrderAccepted, OrderAcceptedStatus, PlaceOrder};

/// No state: the handler only acknowledges.
#[derive(Debug, Clone, Default)]
pub struct Handlers {}

impl orders::OrdersHandlers for Handlers {
    async fn place_order(
        &self,
        _ctx: orders::OrdersContext,
        payload: PlaceOrder,
    ) -> Result<OrderAccepted, HandlerError> {
        Ok(OrderAccepted {
            client_order_id: payload.client_order_id,
            status: OrderAcceptedStatus::Accepted,
        })
    }
}
