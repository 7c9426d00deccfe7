//! The server binary: `serve`, `events`, `spec` (run with `--help`).
//!
//! This file is yours: regeneration never touches it.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    reference_server::generated::server::run(reference_server::handlers::Handlers::default()).await
}
