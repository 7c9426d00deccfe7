//! Your handlers. This file is yours: regeneration never touches it.
//!
//! Each namespace has a trait in `crate::generated::server`; every method has a default that answers
//! `not_implemented`. `kick` is left to its default here, to show what a client then gets.
//!
//! Two inputs of `echo` exist for the tests: `"panic"` makes the handler panic (the client gets `internal`, the
//! server lives on) and `"forbidden"` breaks a business rule (`validation_failed` from the handler).

use fastsocket::Violation;
use fastsocket::server::HandlerError;

use crate::generated::server::{admin, rooms, root};
use crate::models::{
    AnnouncementPayload, EchoAck, EchoPayload, SaidPayload, SayPayload, ShoutPayload,
};

/// The server's state: add your database pools, caches and clients here (braces, not a unit struct, so that
/// `Handlers::default()` in `main.rs` stays clippy-clean).
#[derive(Debug, Clone, Default)]
pub struct Handlers {}

impl root::RootHandlers for Handlers {
    async fn echo(
        &self,
        _ctx: root::RootContext,
        payload: EchoPayload,
    ) -> Result<EchoAck, HandlerError> {
        match payload.text.as_str() {
            "panic" => panic!("echo was asked to panic"),
            "forbidden" => Err(HandlerError::invalid(vec![Violation::new(
                "/text",
                "is a forbidden word",
            )])),
            _ => Ok(EchoAck { text: payload.text }),
        }
    }

    async fn shout(
        &self,
        ctx: root::RootContext,
        payload: ShoutPayload,
    ) -> Result<(), HandlerError> {
        let text = payload.text.to_uppercase();
        // `?` turns an emit error (a payload that breaks its schema, a closed socket) into `internal`.
        ctx.namespace()
            .announcement(&AnnouncementPayload { text })
            .await?;
        Ok(())
    }
}

impl admin::AdminHandlers for Handlers {}

impl rooms::RoomsHandlers for Handlers {
    async fn on_connect(&self, ctx: rooms::RoomsContext) {
        ctx.join(ctx.params().room_id.as_str());
    }

    async fn say(&self, ctx: rooms::RoomsContext, payload: SayPayload) -> Result<(), HandlerError> {
        // One `say` at a time per socket, so that a client's messages reach the room in the order it sent them.
        let _order = ctx.lock().await;
        let said = SaidPayload {
            text: payload.text,
            from: ctx.socket_id(),
        };
        ctx.to(ctx.params().room_id.as_str()).said(&said).await?;
        Ok(())
    }
}
