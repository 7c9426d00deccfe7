//! The handlers of the end-to-end test server (`cargo xtask e2e` copies this file to
//! `target/e2e/arena/src/handlers.rs` before generating: the generator keeps it, as it keeps every user file).
//!
//! What the clients of `tests/e2e/node` and `tests/e2e/python` rely on:
//!
//! - `/`: `ping` acknowledges `{pong: seq, at: now}` (after [`SLOW_PING`] when `seq` is [`SLOW_PING_SEQ`]: the
//!   cluster test's in-flight handler during a graceful shutdown); `shout` sends `announcement {text, from: socket id}` to
//!   the whole lobby, and panics when the text is `panic!` (the client gets `internal`, the server lives on).
//! - `/tables/{tableId}`: each client joins the room named after its table on connect. `move` acknowledges
//!   `{accepted: true, reason: null}` and sends `moved` to the table; a king sent to (0,0) is refused with
//!   `validation_failed` at `/to`; any piece sent to (7,7) is acknowledged `{accepted: false, reason}`.
//!   `say` sends `said {text, by: socket id}` to the table. `who` acknowledges `{players, here}`: the sorted socket
//!   ids of the table's clients on every node (`ctx.sockets()`, across nodes with Redis), and how many of them are
//!   on the answering node.
//! - `/admin`: `kick` is left to its default (`not_implemented`).

use fastsocket::Violation;
use fastsocket::server::HandlerError;

use crate::generated::server::{admin, root, tables};
use crate::models::{
    AnnouncementPayload, Move, MoveAck, MovedPayload, Piece, PingPayload, Pong, SaidPayload,
    SayPayload, ShoutPayload, WhoAck, WhoPayload,
};

/// The `seq` of a ping whose handler takes [`SLOW_PING`] (`cargo xtask cluster` sends it just before SIGTERM).
pub const SLOW_PING_SEQ: i64 = 999_999;
/// How long that handler takes.
pub const SLOW_PING: std::time::Duration = std::time::Duration::from_secs(2);

/// No state: everything the tests need lives in the sockets and their rooms.
#[derive(Debug, Clone, Default)]
pub struct Handlers {}

impl root::RootHandlers for Handlers {
    async fn ping(
        &self,
        _ctx: root::RootContext,
        payload: PingPayload,
    ) -> Result<Pong, HandlerError> {
        if payload.seq == SLOW_PING_SEQ {
            // tokio's `time` feature comes with the runtime (fastsocket enables it).
            tokio::time::sleep(SLOW_PING).await;
        }
        // `chrono` comes without its clock feature: the time is read from the standard library.
        let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
        Ok(Pong {
            pong: payload.seq,
            at: now.fixed_offset(),
            additional_properties: Default::default(),
        })
    }

    async fn shout(
        &self,
        ctx: root::RootContext,
        payload: ShoutPayload,
    ) -> Result<(), HandlerError> {
        if payload.text == "panic!" {
            panic!("shout was asked to panic");
        }
        let announcement = AnnouncementPayload {
            text: payload.text,
            from: ctx.socket_id(),
            additional_properties: Default::default(),
        };
        ctx.namespace().announcement(&announcement).await?;
        Ok(())
    }
}

impl tables::TablesHandlers for Handlers {
    async fn on_connect(&self, ctx: tables::TablesContext) {
        ctx.join(ctx.params().table_id.as_str());
    }

    async fn move_(
        &self,
        ctx: tables::TablesContext,
        payload: Move,
    ) -> Result<MoveAck, HandlerError> {
        let corner = (payload.to.x, payload.to.y);
        if payload.piece == Piece::King && corner == (0, 0) {
            return Err(HandlerError::invalid(vec![Violation::new(
                "/to",
                "the king may not go to a1",
            )]));
        }
        if corner == (7, 7) {
            return Ok(MoveAck {
                accepted: false,
                reason: Some(Some("h8 is taken".to_owned())),
                additional_properties: Default::default(),
            });
        }
        let moved = MovedPayload {
            piece: payload.piece,
            to: payload.to,
            annotations: payload.annotations,
            by: ctx.socket_id(),
            additional_properties: Default::default(),
        };
        ctx.to(ctx.params().table_id.as_str()).moved(&moved).await?;
        Ok(MoveAck {
            accepted: true,
            reason: Some(None),
            additional_properties: Default::default(),
        })
    }

    async fn say(
        &self,
        ctx: tables::TablesContext,
        payload: SayPayload,
    ) -> Result<(), HandlerError> {
        let said = SaidPayload {
            text: payload.text,
            by: ctx.socket_id(),
            additional_properties: Default::default(),
        };
        ctx.to(ctx.params().table_id.as_str()).said(&said).await?;
        Ok(())
    }

    async fn who(
        &self,
        ctx: tables::TablesContext,
        _payload: WhoPayload,
    ) -> Result<WhoAck, HandlerError> {
        let seated = ctx
            .sockets()
            .in_room(ctx.params().table_id.as_str())
            .fetch()
            .await?;
        let here = seated.iter().filter(|s| s.local).count();
        Ok(WhoAck {
            players: seated.into_iter().map(|s| s.id).collect(),
            here: i64::try_from(here).unwrap_or(i64::MAX),
            additional_properties: Default::default(),
        })
    }
}

/// `kick` keeps its default: the clients check the `not_implemented` answer.
impl admin::AdminHandlers for Handlers {}
