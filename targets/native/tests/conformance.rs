//! The conformance suite (`plano-conformance`) against the built `plano` binary.
//!
//! Starts the mock provider in process, writes the suite's config with the mock's URL, spawns
//! `plano serve --config FILE --port 0` with the mock's keys as its only environment, waits
//! for its `listening` line, runs every scenario, and fails listing each failed one.
//!
//! `PLANO_CONFORMANCE_FILTER=substr` runs only the matching scenarios;
//! `PLANO_CONFORMANCE_MARKDOWN=path` also writes the native column of the results table
//! (`docs/conformance.md`, relative to the workspace root).
// The spawn helper outside `#[test]` gets the same allowances as the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use plano_conformance::{ENV, Target, markdown, run, scenario_ids};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[allow(
    clippy::disallowed_methods,
    reason = "a test harness: optional settings from the environment"
)]
fn setting(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let mock = plano_mock::start("127.0.0.1:0".parse().unwrap())
        .await
        .expect("start the mock provider");
    let mock_url = mock.url();

    let dir = std::env::temp_dir().join(format!("plano-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut gateway, url) = spawn(&dir, "plano", &plano_conformance::config(&mock_url), &[]).await;
    // The prompt listener's scenarios run against a second gateway with the prompt config.
    let (mut prompt_gateway, prompt_url) = spawn(
        &dir,
        "prompt",
        &plano_conformance::prompt_config(&mock_url),
        &["--prompt-port", "0"],
    )
    .await;
    let log_path = dir.join("plano.log");

    let mut target = Target::new(url, mock_url, "native");
    target.prompt = Some(prompt_url);
    let filter = setting("PLANO_CONFORMANCE_FILTER");
    let report = run(&target, filter.as_deref()).await;

    gateway.kill().await.ok();
    prompt_gateway.kill().await.ok();
    mock.shutdown().await;

    print!("{}", report.details());
    if let Some(path) = setting("PLANO_CONFORMANCE_MARKDOWN") {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, markdown::update(&old, &report, &scenario_ids())).unwrap();
        println!("wrote the native column of {}", path.display());
    }
    let failed: Vec<String> = report
        .failures()
        .iter()
        .map(|r| format!("{}: {}", r.id, r.reason()))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} conformance scenarios failed (gateway logs: {} and prompt.log):\n{}",
        failed.len(),
        report.results.len(),
        log_path.display(),
        failed.join("\n")
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Spawns `plano serve` with `config` (written to `{dir}/{name}.yaml`, log in
/// `{dir}/{name}.log`) on any free port, and waits for its URL: the `prompt listener` line
/// when `--prompt-port` is among `extra`, else the `listening` line.
async fn spawn(
    dir: &std::path::Path,
    name: &str,
    config: &str,
    extra: &[&str],
) -> (tokio::process::Child, String) {
    let config_path = dir.join(format!("{name}.yaml"));
    std::fs::write(&config_path, config).unwrap();
    let log_path = dir.join(format!("{name}.log"));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut gateway = Command::new(env!("CARGO_BIN_EXE_plano"))
        .arg("serve")
        .arg("--config")
        .arg(&config_path)
        .args(["--port", "0"])
        .args(extra)
        .env_clear()
        .envs(ENV.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn plano serve");
    let prefix = if extra.contains(&"--prompt-port") {
        "prompt listener "
    } else {
        "listening "
    };
    let mut lines = BufReader::new(gateway.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix(prefix) {
                return Some(url.trim().to_owned());
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .unwrap_or_else(|| {
        panic!(
            "plano serve printed no `{}` line within 30 s; its log: {}\n{}",
            prefix.trim(),
            log_path.display(),
            std::fs::read_to_string(&log_path).unwrap_or_default()
        )
    });
    // Keep draining stdout so the gateway never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (gateway, url)
}
