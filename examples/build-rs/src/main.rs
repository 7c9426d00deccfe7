//! The server binary: `serve`, `events`, `spec` (run with `--help`). Credentials for the `session` cookie (or
//! `auth.session`) come from `FASTSOCKET_AUTH_TOKENS`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    build_rs_example::api::server::run(build_rs_example::handlers::Handlers::default()).await
}
