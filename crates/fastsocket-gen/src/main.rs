//! The `fastsocket-gen` command. All logic lives in the library so build scripts and tests share it.

fn main() -> std::process::ExitCode {
    fastsocket_gen::cli::main()
}
