//! `cargo xtask deploy-check`: the deployment files generated with every server crate (`Dockerfile`,
//! `docker-compose.yml`, `deploy/k8s/`, `deploy/prometheus/prometheus.yml`, `.github/workflows/ci.yml`), checked
//! on the checked-in chat server and on a crate freshly generated from another document.
//!
//! No container engine or cluster runs here, so the files are checked every other way: against their schemas
//! with validators from PyPI that bundle them (`tests/deploy/requirements.txt`: kubernetes-validate, the Compose
//! and GitHub workflow schemas of check-jsonschema, hadolint), Prometheus' own `promtool check config`; every
//! `FASTSOCKET_*` name they set against the variables the server reads (`serve --help`); ports and paths
//! against each other. Then the chat server runs with the image's and the manifests' environment and arguments,
//! its probes and the image's `HEALTHCHECK` command are run against it, and the workflow's steps are run in the
//! crate, all but the two that need what is not here (installing fastsocket-gen from its repository, building
//! the image). Broken copies of each file must be refused, so that a validator that checks nothing fails too.

use std::collections::BTreeSet;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use serde_json::Value;

use crate::e2e::{self, Server, Tally};
use crate::examples::{CHAT_SERVER, CHAT_SPEC};

/// The chat server's package and binary name.
const CHAT_BINARY: &str = "fastsocket-chat";

/// The document of the freshly generated crate: one with security schemes, whose variables the Secret lists.
const FRESH_SPEC: &str = "specs/desk-security.yaml";

/// How long the server may take to answer `/healthz`.
const WAIT: Duration = Duration::from_secs(30);

/// Workflow steps that cannot run here, by how their command starts, with the reason.
const NOT_RUN_HERE: &[(&str, &str)] = &[
    (
        "cargo install --locked --git",
        "installs fastsocket-gen from its repository (no network to it here): the fastsocket-gen of this \
         checkout stands in",
    ),
    ("docker build", "no container engine on this machine"),
];

/// Runs every check; `Ok(true)` when all passed. Prints one line per check and `N passed, N failed`.
pub fn run() -> anyhow::Result<bool> {
    let started = Instant::now();
    let repo = e2e::repo()?;
    let target = e2e::target_dir(&repo);
    let work = target.join("deploy-check");
    fs::create_dir_all(&work)?;

    println!("== validators (tests/deploy/requirements.txt)");
    let python = e2e::prepare_venv(
        &repo.join("tests/deploy/requirements.txt"),
        &venv_dir(&work),
    )?;
    let tools = Tools {
        bin: python.parent().context("venv")?.to_path_buf(),
        python,
        to_json: repo.join("tests/deploy/to_json.py"),
    };
    crate::metrics::install_prometheus()?;

    println!("== generate {FRESH_SPEC} and build {}", CHAT_SERVER.dir);
    let fresh = work.join("fresh");
    let _ = fs::remove_dir_all(&fresh);
    let generator = build_generator(&repo, &target)?;
    let status = Command::new(&generator)
        .args(["rust", FRESH_SPEC, "-o"])
        .arg(&fresh)
        .current_dir(&repo)
        .stdout(Stdio::null())
        .status()
        .context("running fastsocket-gen")?;
    ensure!(
        status.success(),
        "fastsocket-gen {FRESH_SPEC} failed: {status}"
    );
    let chat = repo.join(CHAT_SERVER.dir);
    let binary = e2e::build(&chat, &target, CHAT_BINARY)?;
    let variables = server_variables(&binary)?;

    let mut tally = Tally::default();
    for (label, dir) in [("chat", &chat), ("fresh", &fresh)] {
        println!("== {label}: {}", dir.display());
        validate(&tools, label, dir, &variables, &mut tally);
    }

    println!("== the validators refuse broken copies");
    refuse_broken(&tools, &chat, &work.join("broken"), &mut tally)?;

    println!("== the chat server with the image's and the manifests' settings");
    run_as_deployed(&tools, &chat, &binary, &work, &mut tally);

    println!("== the workflow's steps in {}", CHAT_SERVER.dir);
    workflow_steps(&tools, &repo, &chat, &target, &generator, &mut tally);

    println!("deploy-check took {:.0?}", started.elapsed());
    println!("{} passed, {} failed", tally.passed, tally.failed);
    Ok(tally.failed == 0)
}

/// Where the validators' venv lives: a cache folder of the user's (`$XDG_CACHE_HOME` or `~/.cache`, then
/// `fastsocket-gen/deploy-check-venv`), so that CI's fresh clones on one machine install them once (a minute or
/// two), not on every run; the target folder when there is no home. Reinstalled when the requirements change.
fn venv_dir(work: &Path) -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
    match cache {
        Some(cache) => cache.join("fastsocket-gen/deploy-check-venv"),
        None => work.join("venv"),
    }
}

/// The validators of the venv and its interpreter.
struct Tools {
    /// The venv's `bin/`.
    bin: PathBuf,
    /// Its Python, which reads YAML for us (PyYAML).
    python: PathBuf,
    /// `tests/deploy/to_json.py`.
    to_json: PathBuf,
}

impl Tools {
    /// Runs a validator of the venv in `dir`; its output is the error when it fails.
    fn run(&self, dir: &Path, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        succeeded(
            Command::new(self.bin.join(tool))
                .args(args)
                .current_dir(dir),
            tool,
        )
    }

    /// The YAML documents of a file, as JSON.
    fn yaml(&self, path: &Path) -> anyhow::Result<Vec<Value>> {
        let output = Command::new(&self.python)
            .arg(&self.to_json)
            .arg(path)
            .output()
            .context("running to_json.py")?;
        ensure!(
            output.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let files: Vec<Vec<Value>> = serde_json::from_slice(&output.stdout)?;
        files.into_iter().next().context("no output")
    }

    /// The first YAML document of a file.
    fn document(&self, path: &Path) -> anyhow::Result<Value> {
        self.yaml(path)?
            .into_iter()
            .next()
            .with_context(|| format!("{}: no document", path.display()))
    }
}

/// Runs `command`; its output is the error when it fails.
fn succeeded(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {what}"))?;
    exited_zero(&output, what)
}

/// A finished command's exit status 0, or an error with its status and output.
fn exited_zero(output: &std::process::Output, what: &str) -> anyhow::Result<()> {
    ensure!(
        output.status.success(),
        "{what}: {}{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// `cargo build -p fastsocket-gen` (done already by the gates before this one); the binary.
fn build_generator(repo: &Path, target: &Path) -> anyhow::Result<PathBuf> {
    let status = Command::new(e2e::cargo())
        .args(["build", "--quiet", "--package", "fastsocket-gen"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(repo)
        .status()
        .context("running cargo build")?;
    ensure!(status.success(), "fastsocket-gen does not build: {status}");
    Ok(target.join("debug/fastsocket-gen"))
}

/// The variables the generated server reads: those `serve --help` names (`[env: NAME=…]`); the credential
/// variables (`FASTSOCKET_AUTH_TOKENS_<KEY>`) are the crate's own, in its `.env.example`.
fn server_variables(binary: &Path) -> anyhow::Result<BTreeSet<String>> {
    let output = Command::new(binary)
        .args(["serve", "--help"])
        .output()
        .context("running serve --help")?;
    ensure!(output.status.success(), "serve --help: {}", output.status);
    let help = String::from_utf8_lossy(&output.stdout);
    let names: BTreeSet<String> = help
        .split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(['=', ']']).next())
        .map(str::to_owned)
        .collect();
    ensure!(
        names.contains("FASTSOCKET_PORT"),
        "serve --help names no FASTSOCKET_PORT"
    );
    Ok(names)
}

/// Every `FASTSOCKET_*` name in `text`.
fn fastsocket_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("FASTSOCKET_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        // `FASTSOCKET_*` in a comment names no variable.
        if !tail[..end].ends_with('_') {
            names.insert(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    names
}

/// The deployment files of a crate.
const FILES: &[&str] = &[
    "Dockerfile",
    ".dockerignore",
    "docker-compose.yml",
    "deploy/prometheus/prometheus.yml",
    "deploy/grafana/provisioning/datasources/prometheus.yml",
    "deploy/grafana/provisioning/dashboards/dashboards.yml",
    "deploy/k8s/configmap.yaml",
    "deploy/k8s/secret.yaml",
    "deploy/k8s/deployment.yaml",
    "deploy/k8s/service.yaml",
    "deploy/k8s/hpa.yaml",
    ".github/workflows/ci.yml",
];

/// The Kubernetes manifests among [`FILES`].
fn manifests() -> Vec<&'static str> {
    FILES
        .iter()
        .copied()
        .filter(|f| f.starts_with("deploy/k8s/"))
        .collect()
}

/// The schema and lint checks of one crate's files, and their consistency with the server and each other.
fn validate(
    tools: &Tools,
    label: &str,
    dir: &Path,
    variables: &BTreeSet<String>,
    tally: &mut Tally,
) {
    let missing: Vec<_> = FILES.iter().filter(|f| !dir.join(f).is_file()).collect();
    if !missing.is_empty() {
        tally.fail(
            &format!("{label}: every deployment file is generated"),
            format!("{missing:?}"),
        );
        return;
    }
    tally.ok(&format!("{label}: every deployment file is generated"));
    tally.check(
        &format!("{label}: hadolint Dockerfile"),
        tools.run(dir, "hadolint", &["--no-color", "Dockerfile"]),
    );
    let mut args = vec!["--strict", "--quiet"];
    args.extend(manifests());
    tally.check(
        &format!(
            "{label}: kubernetes-validate --strict deploy/k8s/*.yaml (Kubernetes 1.37 schemas)"
        ),
        tools.run(dir, "kubernetes-validate", &args),
    );
    tally.check(
        &format!("{label}: docker-compose.yml against the Compose specification's schema"),
        tools.run(
            dir,
            "check-jsonschema",
            &[
                "--builtin-schema",
                "vendor.compose-spec",
                "docker-compose.yml",
            ],
        ),
    );
    tally.check(
        &format!("{label}: .github/workflows/ci.yml against GitHub's workflow schema"),
        tools.run(
            dir,
            "check-jsonschema",
            &[
                "--builtin-schema",
                "vendor.github-workflows",
                ".github/workflows/ci.yml",
            ],
        ),
    );
    tally.check(
        &format!(
            "{label}: promtool check config deploy/prometheus/prometheus.yml (with alerts.yml)"
        ),
        crate::metrics::promtool(
            &dir.join("deploy/prometheus"),
            &["check", "config", "prometheus.yml"],
        ),
    );
    tally.check(
        &format!("{label}: every FASTSOCKET_* variable the files set is one the server reads"),
        known_variables(dir, variables),
    );
    tally.check(
        &format!("{label}: ports, probes and mounted files agree"),
        consistent(tools, dir),
    );
}

/// Each `FASTSOCKET_*` name of the deployment files is read by the server (`serve --help`) or is the
/// credential variable of one of the document's security schemes (the runtime's
/// [`auth_tokens_env`](fastsocket::env_names::auth_tokens_env) of each key of the crate's
/// `src/generated/asyncapi.json`).
fn known_variables(dir: &Path, variables: &BTreeSet<String>) -> anyhow::Result<()> {
    let document: Value = serde_json::from_str(&fs::read_to_string(
        dir.join("src/generated/asyncapi.json"),
    )?)?;
    let credentials: BTreeSet<String> = document["components"]["securitySchemes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, _)| fastsocket::env_names::auth_tokens_env(key))
        .chain([fastsocket::env_names::AUTH_TOKENS_ENV.to_owned()])
        .collect();
    let mut unknown = BTreeSet::new();
    for file in FILES {
        let text = fs::read_to_string(dir.join(file))?;
        for name in fastsocket_names(&text) {
            if !variables.contains(&name) && !credentials.contains(&name) {
                unknown.insert(format!("{file}: {name}"));
            }
        }
    }
    ensure!(unknown.is_empty(), "not read by the server: {unknown:?}");
    Ok(())
}

/// The port of the ConfigMap is the container's, the Dockerfile's, Prometheus' targets' and the compose
/// services'; the probes and the scrape annotation name the server's endpoints; compose mounts files that exist.
fn consistent(tools: &Tools, dir: &Path) -> anyhow::Result<()> {
    let configmap = tools.document(&dir.join("deploy/k8s/configmap.yaml"))?;
    let port = configmap["data"]["FASTSOCKET_PORT"]
        .as_str()
        .context("ConfigMap: no FASTSOCKET_PORT")?
        .to_owned();
    let deployment = tools.document(&dir.join("deploy/k8s/deployment.yaml"))?;
    let pod = &deployment["spec"]["template"];
    let container = &pod["spec"]["containers"][0];
    ensure!(
        container["ports"][0]["containerPort"]
            .as_u64()
            .map(|p| p.to_string())
            == Some(port.clone()),
        "containerPort is not FASTSOCKET_PORT {port}"
    );
    ensure!(
        pod["metadata"]["annotations"]["prometheus.io/port"] == port.as_str(),
        "the scrape annotation's port is not {port}"
    );
    let probes = [
        (&container["livenessProbe"], "/healthz"),
        (&container["readinessProbe"], "/readyz"),
    ];
    for (probe, path) in probes {
        ensure!(
            probe["httpGet"]["path"] == path,
            "a probe is not on {path}: {probe}"
        );
    }
    let dockerfile = fs::read_to_string(dir.join("Dockerfile"))?;
    ensure!(
        dockerfile.contains(&format!("FASTSOCKET_PORT={port}"))
            && dockerfile.contains(&format!("EXPOSE {port}")),
        "the Dockerfile's FASTSOCKET_PORT or EXPOSE is not {port}"
    );
    let prometheus = tools.document(&dir.join("deploy/prometheus/prometheus.yml"))?;
    let targets = &prometheus["scrape_configs"][0]["static_configs"][0]["targets"];
    let targets = targets.as_array().context("prometheus.yml: no targets")?;
    let compose = tools.document(&dir.join("docker-compose.yml"))?;
    let services = compose["services"]
        .as_object()
        .context("docker-compose.yml: no services")?;
    for target in targets {
        let target = target.as_str().context("a target is not text")?;
        let (host, target_port) = target.split_once(':').context("a target without port")?;
        ensure!(target_port == port, "target {target}: port is not {port}");
        let service = services
            .get(host)
            .with_context(|| format!("target {target}: no such compose service"))?;
        let published = service["ports"][0].as_str().unwrap_or_default();
        ensure!(
            published.ends_with(&format!(":{port}")),
            "service {host} publishes {published}, not the server's port {port}"
        );
    }
    for (name, service) in services {
        for volume in service["volumes"].as_array().into_iter().flatten() {
            let source = volume
                .as_str()
                .and_then(|v| v.split(':').next())
                .unwrap_or_default();
            if source.starts_with("./") {
                ensure!(
                    dir.join(source).exists(),
                    "service {name} mounts {source}, which is not generated"
                );
            }
        }
    }
    Ok(())
}

/// Broken copies of the chat's files (a wrong type, an unknown key, an untagged base image) must be refused by
/// their validator: a validator that accepts anything would otherwise pass every check above.
fn refuse_broken(
    tools: &Tools,
    chat: &Path,
    broken: &Path,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let _ = fs::remove_dir_all(broken);
    fs::create_dir_all(broken)?;
    let cases: [(&str, &str, &str, &str, &[&str]); 4] = [
        (
            "deploy/k8s/deployment.yaml",
            "containerPort: 3000",
            "containerPort: three-thousand",
            "kubernetes-validate",
            &["--strict", "--quiet"],
        ),
        (
            "docker-compose.yml",
            "restart: unless-stopped",
            "restart_when: unless-stopped",
            "check-jsonschema",
            &["--builtin-schema", "vendor.compose-spec"],
        ),
        (
            ".github/workflows/ci.yml",
            "runs-on:",
            "runs_on:",
            "check-jsonschema",
            &["--builtin-schema", "vendor.github-workflows"],
        ),
        (
            "Dockerfile",
            "FROM debian:bookworm-slim",
            "FROM debian",
            "hadolint",
            &["--no-color"],
        ),
    ];
    for (file, from, to, tool, args) in cases {
        let name = format!("{tool} refuses {file} with `{to}`");
        let text = fs::read_to_string(chat.join(file))?;
        if !text.contains(from) {
            tally.fail(
                &name,
                format!("{file} no longer holds `{from}`: update this case"),
            );
            continue;
        }
        let copy = broken.join(file.replace('/', "_"));
        fs::write(&copy, text.replacen(from, to, 1))?;
        let mut all: Vec<&str> = args.to_vec();
        let path = copy.to_string_lossy().into_owned();
        all.push(&path);
        match tools.run(broken, tool, &all) {
            Ok(()) => tally.fail(&name, "accepted"),
            Err(_) => tally.ok(&name),
        }
    }
    Ok(())
}

/// The chat server started as the image and the Deployment start it (the Dockerfile's `ENV`, then the
/// ConfigMap's and the Secret's values, the container's `args`), on a free port instead of 3000 (the one
/// setting changed: this machine may have that port taken); its probes, scrape path and the image's
/// `HEALTHCHECK` command answer; SIGTERM ends it with status 0; then the health check fails.
fn run_as_deployed(tools: &Tools, chat: &Path, binary: &Path, work: &Path, tally: &mut Tally) {
    let name = "chat: serves with the Dockerfile's ENV, the ConfigMap and the Secret";
    let started = deployed_environment(tools, chat).and_then(|(mut env, args)| {
        let port = e2e::free_port()?;
        env.retain(|(k, _)| k != "FASTSOCKET_PORT");
        env.push(("FASTSOCKET_PORT".to_owned(), port.to_string()));
        let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = Server::start(binary, work, &args, &env, &work.join("server.log"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        server.wait_healthy(addr, WAIT)?;
        Ok((server, addr))
    });
    let (server, addr) = match started {
        Ok(started) => started,
        Err(error) => {
            tally.fail(
                name,
                format!("{error:#} (log: {})", work.join("server.log").display()),
            );
            return;
        }
    };
    tally.ok(name);
    tally.check(
        "chat: the probes' and the scrape annotation's paths answer 200",
        probe_paths(tools, chat).and_then(|paths| {
            paths.iter().try_for_each(|path| {
                let response = e2e::http_get(addr, path)?;
                ensure!(
                    response.starts_with("HTTP/1.1 200"),
                    "{path}: {}",
                    response.lines().next().unwrap_or_default()
                );
                Ok(())
            })
        }),
    );
    let healthcheck = healthcheck_command(chat);
    tally.check(
        "chat: the Dockerfile's HEALTHCHECK command succeeds",
        healthcheck
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .and_then(|argv| run_healthcheck(argv, addr.port())),
    );
    tally.check(
        "chat: SIGTERM (the image's STOPSIGNAL) ends it with status 0",
        server.stop_cleanly(),
    );
    tally.check(
        "chat: the HEALTHCHECK command fails once the server is gone",
        healthcheck
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .and_then(|argv| match run_healthcheck(&argv, addr.port()) {
                Ok(()) => bail!("it still succeeds"),
                Err(_) => Ok(()),
            }),
    );
}

/// Environment variables, in the order they are set (a later one wins).
type Variables = Vec<(String, String)>;

/// The environment (`ENV` of the Dockerfile's last stage, then the ConfigMap's `data` and the Secret's
/// `stringData`, as `envFrom` lists them) and the container's arguments.
fn deployed_environment(tools: &Tools, chat: &Path) -> anyhow::Result<(Variables, Vec<String>)> {
    let dockerfile = fs::read_to_string(chat.join("Dockerfile"))?;
    let mut env = dockerfile_env(&dockerfile);
    ensure!(!env.is_empty(), "the Dockerfile sets no ENV");
    let configmap = tools.document(&chat.join("deploy/k8s/configmap.yaml"))?;
    let secret = tools.document(&chat.join("deploy/k8s/secret.yaml"))?;
    for data in [&configmap["data"], &secret["stringData"]] {
        for (key, value) in data.as_object().context("no data")? {
            let value = value.as_str().context("a value is not text")?;
            env.retain(|(k, _)| k != key);
            env.push((key.clone(), value.to_owned()));
        }
    }
    let deployment = tools.document(&chat.join("deploy/k8s/deployment.yaml"))?;
    let args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .context("the container has no args")?
        .iter()
        .map(|a| a.as_str().map(str::to_owned).context("an arg is not text"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    ensure!(
        dockerfile.contains(&format!(
            "CMD {}",
            serde_json::to_string(&args)?.replace(',', ", ")
        )),
        "the Dockerfile's CMD is not the Deployment's args {args:?}"
    );
    Ok((env, args))
}

/// The `KEY=VALUE` pairs of the Dockerfile's `ENV` instructions (continued lines included).
fn dockerfile_env(dockerfile: &str) -> Vec<(String, String)> {
    let mut env = Vec::new();
    let mut in_env = false;
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        let body = if let Some(rest) = trimmed.strip_prefix("ENV ") {
            rest
        } else if in_env {
            trimmed
        } else {
            continue;
        };
        in_env = body.ends_with('\\');
        let pair = body.trim_end_matches('\\').trim();
        if let Some((key, value)) = pair.split_once('=') {
            env.push((key.to_owned(), value.trim_matches('"').to_owned()));
        }
    }
    env
}

/// The paths of the Deployment's probes and of its scrape annotation.
fn probe_paths(tools: &Tools, chat: &Path) -> anyhow::Result<Vec<String>> {
    let deployment = tools.document(&chat.join("deploy/k8s/deployment.yaml"))?;
    let pod = &deployment["spec"]["template"];
    let container = &pod["spec"]["containers"][0];
    [
        &container["livenessProbe"]["httpGet"]["path"],
        &container["readinessProbe"]["httpGet"]["path"],
        &pod["metadata"]["annotations"]["prometheus.io/path"],
    ]
    .into_iter()
    .map(|p| {
        p.as_str()
            .map(str::to_owned)
            .context("a probe without path")
    })
    .collect()
}

/// The exec form of the Dockerfile's `HEALTHCHECK … CMD [...]`.
fn healthcheck_command(chat: &Path) -> anyhow::Result<Vec<String>> {
    let dockerfile = fs::read_to_string(chat.join("Dockerfile"))?;
    let start = dockerfile
        .find("HEALTHCHECK ")
        .context("the Dockerfile has no HEALTHCHECK")?;
    let rest = &dockerfile[start..];
    let cmd = rest
        .find("CMD [")
        .context("HEALTHCHECK without an exec-form CMD")?;
    let line = rest[cmd + 4..].lines().next().unwrap_or_default();
    serde_json::from_str(line).context("the HEALTHCHECK's CMD is not a JSON array")
}

/// Runs the health check as the container would, its `FASTSOCKET_PORT` being the server's.
fn run_healthcheck(argv: &[String], port: u16) -> anyhow::Result<()> {
    let (program, args) = argv.split_first().context("an empty HEALTHCHECK")?;
    succeeded(
        Command::new(program)
            .args(args)
            .env("FASTSOCKET_PORT", port.to_string()),
        "the HEALTHCHECK command",
    )
}

/// The repository variables the workflow reads (`${{ vars.NAME }}` in its `env`): the git URL fastsocket-gen is
/// installed from, and the revision (optional).
const VARIABLES: &[&str] = &["GENERATOR_GIT", "GENERATOR_REV"];

/// A step's `if:`, as far as this check evaluates it: `env.NAME != ''` or `env.NAME == ''` (`None`: another
/// expression, which the check refuses rather than guess).
fn condition_holds(condition: &str, env: &[(String, String)]) -> Option<bool> {
    let (name, set) = if let Some(name) = condition.strip_suffix(" != ''") {
        (name, true)
    } else {
        (condition.strip_suffix(" == ''")?, false)
    };
    let name = name.trim().strip_prefix("env.")?;
    let value = env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    Some(value.is_some_and(|v| !v.is_empty()) == set)
}

/// The workflow's `env`, its `${{ vars.NAME }}` values replaced by `vars` (a name missing there is empty, as on
/// GitHub when the variable is not set). Another expression, or a variable not in [`VARIABLES`], is an error.
fn workflow_env(workflow: &Value, vars: &[(&str, &str)]) -> anyhow::Result<Vec<(String, String)>> {
    let mut env = Vec::new();
    for (k, v) in workflow["env"].as_object().into_iter().flatten() {
        let value = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let value = match value
            .strip_prefix("${{ vars.")
            .and_then(|r| r.strip_suffix(" }}"))
        {
            Some(name) => {
                ensure!(
                    VARIABLES.contains(&name),
                    "env {k}: the variable {name} is not one this check knows"
                );
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map_or("", |(_, v)| v)
                    .to_owned()
            }
            None => {
                ensure!(
                    !value.contains("${{"),
                    "env {k}: an expression this check cannot evaluate: {value}"
                );
                value
            }
        };
        env.push((k.clone(), value));
    }
    Ok(env)
}

/// Runs the steps of the workflow's jobs in the chat's folder, as GitHub's runner would (`bash -e`, the
/// workflow's `env`), but for [`NOT_RUN_HERE`]. `ASYNCAPI_SPEC` names the chat's document (in `specs/`), and
/// `fastsocket-gen` is the checkout's. Twice: with the repository variables set (`GENERATOR_GIT`: the
/// checkout stands in for fastsocket-gen's repository), every step whose `if:` holds runs; with them unset, no
/// step that needs fastsocket-gen may run, and the steps that run only then must print a `::notice`.
fn workflow_steps(
    tools: &Tools,
    repo: &Path,
    chat: &Path,
    target: &Path,
    generator: &Path,
    tally: &mut Tally,
) {
    let workflow = match tools.document(&chat.join(".github/workflows/ci.yml")) {
        Ok(workflow) => workflow,
        Err(error) => {
            tally.fail("the workflow reads", format!("{error:#}"));
            return;
        }
    };
    let checkout = repo.to_string_lossy().into_owned();
    let envs = workflow_env(&workflow, &[("GENERATOR_GIT", &checkout)])
        .and_then(|set| Ok((set, workflow_env(&workflow, &[])?)));
    let (mut set, mut unset) = match envs {
        Ok(envs) => envs,
        Err(error) => {
            tally.fail("the workflow's env", format!("{error:#}"));
            return;
        }
    };
    let spec = repo.join(CHAT_SPEC).to_string_lossy().into_owned();
    for env in [&mut set, &mut unset] {
        env.retain(|(k, _)| k != "ASYNCAPI_SPEC");
        env.push(("ASYNCAPI_SPEC".to_owned(), spec.clone()));
    }
    // The checkout's fastsocket-gen first on the PATH of the generator's steps only.
    let plain_path = std::env::var("PATH").unwrap_or_default();
    let path = format!(
        "{}:{plain_path}",
        generator.parent().unwrap_or(Path::new(".")).display()
    );
    let run = |command: &str, env: &[(String, String)]| {
        Command::new("bash")
            .args(["-e", "-c", command])
            .current_dir(chat)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env(
                "PATH",
                if command.starts_with("fastsocket-gen") {
                    &path
                } else {
                    &plain_path
                },
            )
            .env("CARGO_TARGET_DIR", target)
            .env_remove("CHAT_URL")
            .stdin(Stdio::null())
            .output()
    };
    let mut ran = 0;
    for (job_name, job) in workflow["jobs"].as_object().into_iter().flatten() {
        for step in job["steps"].as_array().into_iter().flatten() {
            let Some(command) = step["run"].as_str() else {
                continue;
            };
            let command = command.trim();
            let (when_set, when_unset) = match step["if"].as_str() {
                None => (Some(true), Some(true)),
                Some(condition) => (
                    condition_holds(condition, &set),
                    condition_holds(condition, &unset),
                ),
            };
            let (Some(when_set), Some(when_unset)) = (when_set, when_unset) else {
                tally.fail(
                    &format!("workflow {job_name}: `{command}`"),
                    format!("an `if:` this check cannot evaluate: {}", step["if"]),
                );
                continue;
            };
            let needs_generator =
                command.starts_with("fastsocket-gen") || command.contains("$GENERATOR_GIT");
            if when_unset && needs_generator {
                tally.fail(
                    &format!("workflow {job_name}: `{command}`"),
                    "runs without GENERATOR_GIT set, and needs fastsocket-gen",
                );
            }
            if when_unset && !when_set {
                // Runs only without the variables: it must say so in the run's summary.
                let outcome = run(command, &unset)
                    .context("running bash")
                    .and_then(|output| {
                        exited_zero(&output, command)?;
                        let stdout = String::from_utf8_lossy(&output.stdout);
                        ensure!(stdout.starts_with("::notice"), "no notice: {stdout}");
                        Ok(())
                    });
                tally.check(
                    &format!(
                        "workflow {job_name} without GENERATOR_GIT: `{command}` prints a notice"
                    ),
                    outcome,
                );
                continue;
            }
            if !when_set {
                println!("not run here: {job_name}: `{command}`: its `if:` is false");
                continue;
            }
            if let Some((_, why)) = NOT_RUN_HERE.iter().find(|(p, _)| command.starts_with(p)) {
                println!("not run here: {job_name}: `{command}`: {why}");
                continue;
            }
            ran += 1;
            let started = Instant::now();
            let outcome = run(command, &set)
                .with_context(|| format!("running {command}"))
                .and_then(|output| exited_zero(&output, command));
            tally.check(
                &format!(
                    "workflow {job_name}: `{command}` ({:.0?})",
                    started.elapsed()
                ),
                outcome,
            );
        }
    }
    if ran == 0 {
        tally.fail("the workflow has steps to run", "none");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_conditions_and_variables() {
        let workflow = serde_json::json!({"env": {
            "GENERATOR_GIT": "${{ vars.GENERATOR_GIT }}",
            "GENERATOR_REV": "${{ vars.GENERATOR_REV }}",
            "CARGO_TERM_COLOR": "always",
        }});
        let set = workflow_env(&workflow, &[("GENERATOR_GIT", "/repo")]).unwrap();
        let unset = workflow_env(&workflow, &[]).unwrap();
        let value = |env: &[(String, String)], name: &str| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        };
        assert_eq!(value(&set, "GENERATOR_GIT").as_deref(), Some("/repo"));
        assert_eq!(value(&set, "GENERATOR_REV").as_deref(), Some(""));
        assert_eq!(value(&unset, "GENERATOR_GIT").as_deref(), Some(""));
        assert_eq!(value(&unset, "CARGO_TERM_COLOR").as_deref(), Some("always"));

        let cond = "env.GENERATOR_GIT != ''";
        assert_eq!(condition_holds(cond, &set), Some(true));
        assert_eq!(condition_holds(cond, &unset), Some(false));
        let cond = "env.GENERATOR_GIT == ''";
        assert_eq!(condition_holds(cond, &set), Some(false));
        assert_eq!(condition_holds(cond, &unset), Some(true));
        assert_eq!(condition_holds("env.NOT_THERE == ''", &set), Some(true));
        // Anything else is refused, not guessed.
        assert_eq!(condition_holds("github.event_name == 'push'", &set), None);
        assert_eq!(condition_holds("always()", &set), None);

        for env in [
            serde_json::json!({"env": {"X": "${{ vars.SOMETHING_ELSE }}"}}),
            serde_json::json!({"env": {"X": "${{ secrets.TOKEN }}"}}),
        ] {
            assert!(workflow_env(&env, &[]).is_err(), "{env}");
        }
    }

    #[test]
    fn names_and_env_lines() {
        let names = fastsocket_names(
            "a FASTSOCKET_PORT=1 ${FASTSOCKET_HOST} FASTSOCKET_*\nFASTSOCKET_AUTH_TOKENS_X: \"\"",
        );
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            [
                "FASTSOCKET_AUTH_TOKENS_X",
                "FASTSOCKET_HOST",
                "FASTSOCKET_PORT"
            ]
        );
        let env = dockerfile_env("FROM x\nENV A=1 \\\n    B=\"two\"\nUSER 1\nENV C=3\n");
        assert_eq!(
            env,
            [("A", "1"), ("B", "two"), ("C", "3")].map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }
}
