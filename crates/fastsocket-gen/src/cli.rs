//! The command line: `validate`, `ir`.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anstream::{eprint, eprintln};
use clap::{Args, Parser, Subcommand, ValueEnum};
use fastsocket_spec::{Diagnostic, Input, LoadError, LoadOptions, Report};

/// Exit code: the document is invalid.
pub const EXIT_INVALID: u8 = 1;
/// Exit code: wrong usage, or a file could not be read.
pub const EXIT_USAGE: u8 = 2;

/// Generate Socket.IO servers and clients from AsyncAPI documents.
#[derive(Debug, Parser)]
#[command(name = "fastsocket-gen", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an AsyncAPI document and print every problem with its location.
    ///
    /// Exit status: 0 valid (warnings may be printed), 1 invalid, 2 usage or I/O error.
    Validate {
        /// The document (YAML or JSON), or `-` for standard input.
        spec: String,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// How `$ref`s are read.
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Print the intermediate representation that the emitters read, as JSON.
    Ir {
        /// The document (YAML or JSON), or `-` for standard input.
        #[arg(required_unless_present = "schema")]
        spec: Option<String>,
        /// Print the JSON Schema of the IR dump instead.
        #[arg(long, conflicts_with = "spec")]
        schema: bool,
        /// How `$ref`s are read.
        #[command(flatten)]
        load: LoadArgs,
    },
}

/// Output formats for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Located messages with the source line, for people.
    Human,
    /// One JSON object, for tools.
    Json,
}

/// Options that control how documents and their `$ref`s are read.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Folder that `$ref`s may reach [default: nearest ancestor of the document holding `.git` or
    /// `fastsocket.toml`, else the document's folder].
    #[arg(long, value_name = "DIR")]
    pub ref_root: Option<PathBuf>,
    /// Serve `$ref`s under an http(s) URL prefix from a local folder (the network is never used).
    /// Repeatable. Example: `--map-url https://example.com/schemas/=./schemas`.
    #[arg(long, value_name = "PREFIX=DIR", value_parser = parse_mapping)]
    pub map_url: Vec<(String, PathBuf)>,
}

impl LoadArgs {
    /// The loader options these flags ask for.
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            ref_root: self.ref_root.clone(),
            url_map: self.map_url.clone(),
        }
    }
}

fn parse_mapping(raw: &str) -> Result<(String, PathBuf), String> {
    let (prefix, dir) = raw.split_once('=').ok_or_else(|| {
        "expected PREFIX=DIR, e.g. https://example.com/schemas/=./schemas".to_string()
    })?;
    if !(prefix.starts_with("http://") || prefix.starts_with("https://")) {
        return Err(format!("`{prefix}` is not an http(s) URL prefix"));
    }
    Ok((prefix.to_string(), PathBuf::from(dir)))
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate { spec, format, load } => validate(&spec, format, &load),
        Command::Ir { schema: true, .. } => {
            print_json(&fastsocket_ir::Api::json_schema())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ir { spec, load, .. } => {
            let spec = spec.unwrap_or_else(|| "-".to_string());
            match load_spec(&spec, &load)? {
                Ok(loaded) => {
                    print_diagnostics(&loaded.report.diagnostics);
                    print_json(&serde_json::to_value(&loaded.api)?)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(report) => {
                    print_diagnostics(&report.diagnostics);
                    print_summary(&report);
                    Ok(ExitCode::from(EXIT_INVALID))
                }
            }
        }
    }
}

fn validate(spec: &str, format: Format, load: &LoadArgs) -> anyhow::Result<ExitCode> {
    let (valid, report) = match load_spec(spec, load)? {
        Ok(loaded) => (true, loaded.report),
        Err(report) => (false, report),
    };
    match format {
        Format::Json => print_json(&serde_json::json!({
            "valid": valid,
            "errors": report.errors().count(),
            "warnings": report.warnings().count(),
            "diagnostics": report.diagnostics,
        }))?,
        Format::Human => {
            print_diagnostics(&report.diagnostics);
            print_summary(&report);
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID)
    })
}

/// Loads a document; `Err` of the outer result is a usage or I/O problem, of the inner an invalid document.
fn load_spec(
    spec: &str,
    load: &LoadArgs,
) -> anyhow::Result<Result<fastsocket_spec::Loaded, Report>> {
    let input = if spec == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Input::Text {
            name: "<stdin>".to_string(),
            text,
        }
    } else {
        Input::Path(PathBuf::from(spec))
    };
    match fastsocket_spec::load(&input, &load.options()) {
        Ok(loaded) => Ok(Ok(loaded)),
        Err(LoadError::Invalid(report)) => Ok(Err(report)),
        Err(err @ LoadError::Io { .. }) => Err(err.into()),
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let color = std::io::stderr().is_terminal();
    for d in diagnostics {
        eprint!("{}", d.render(color));
        eprintln!();
    }
}

fn print_summary(report: &Report) {
    let errors = report.errors().count();
    let warnings = report.warnings().count();
    if errors > 0 {
        eprintln!("invalid: {errors} error(s), {warnings} warning(s)");
    } else {
        eprintln!(
            "valid: {warnings} warning(s), {} file(s) read",
            report.files.len()
        );
    }
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn url_mappings_parse() {
        assert_eq!(
            parse_mapping("https://x.test/s/=./schemas").unwrap(),
            ("https://x.test/s/".to_string(), PathBuf::from("./schemas"))
        );
        assert!(parse_mapping("nope").is_err());
        assert!(parse_mapping("ftp://x=./y").is_err());
    }
}
