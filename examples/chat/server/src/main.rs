//! The server binary: `serve`, `events`, `spec` (run with `--help`).
//!
//! This file is yours: regeneration never touches it.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    fastsocket_chat::generated::server::run(fastsocket_chat::handlers::Handlers::default()).await
}
