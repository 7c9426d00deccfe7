//! The handlers of the security end-to-end server (`cargo xtask e2e` copies this file to
//! `target/e2e/desk/src/handlers.rs` before generating `specs/desk-security.yaml` around it).
//!
//! Every event acknowledges `{event, subject}`: the event it ran for, and who the server says the client is
//! (`anonymous` without credentials). The clients of `tests/e2e/node/security.mjs` check which events each
//! credential reaches: an event whose security the client's credentials do not meet never gets here.

use fastsocket::server::HandlerError;

use crate::generated::server::root;
use crate::models::{
    AuditPayload, Done, EscalatePayload, ReadTicketPayload, StatusPayload, WriteTicketPayload,
};

/// No state.
#[derive(Debug, Clone, Default)]
pub struct Handlers {}

fn done(ctx: &root::RootContext, event: &str) -> Result<Done, HandlerError> {
    Ok(Done {
        event: event.to_owned(),
        subject: ctx
            .principal()
            .map_or_else(|| "anonymous".to_owned(), |p| p.subject.clone()),
        additional_properties: Default::default(),
    })
}

impl root::RootHandlers for Handlers {
    async fn status(&self, ctx: root::RootContext, _: StatusPayload) -> Result<Done, HandlerError> {
        done(&ctx, "desk.status")
    }

    async fn read_ticket(
        &self,
        ctx: root::RootContext,
        _: ReadTicketPayload,
    ) -> Result<Done, HandlerError> {
        done(&ctx, "ticket.read")
    }

    async fn write_ticket(
        &self,
        ctx: root::RootContext,
        _: WriteTicketPayload,
    ) -> Result<Done, HandlerError> {
        done(&ctx, "ticket.write")
    }

    async fn escalate(
        &self,
        ctx: root::RootContext,
        _: EscalatePayload,
    ) -> Result<Done, HandlerError> {
        done(&ctx, "ticket.escalate")
    }

    async fn audit(&self, ctx: root::RootContext, _: AuditPayload) -> Result<Done, HandlerError> {
        done(&ctx, "audit.log")
    }
}
