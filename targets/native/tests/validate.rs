//! `plano validate`: diagnostics with positions, exit status.
// Helpers outside `#[test]` functions get the same allowances as the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

mod common;

use std::process::Command;

use common::TempDir;

fn validate(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plano"));
    cmd.arg("validate").args(args).env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

const BAD: &str = "version: v0.4.0\nmodel_providers:\n  - model: openai/gpt-4o\n    acess_key: $X\n  - model: nope/x\n";
const GOOD: &str = "version: v0.4.0\nmodel_providers:\n  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\ntracing:\n  random_sampling: 50\n  trace_arch_internal: true\n";

#[test]
fn errors_have_positions_and_exit_1() {
    let dir = TempDir::new("validate");
    let bad = dir.file("bad.yaml", BAD);
    let (code, out) = validate(&[bad.to_str().unwrap()], &[]);
    assert_eq!(code, Some(1), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].ends_with("bad.yaml:4:5: error: model_providers[0].acess_key: unknown key `acess_key`; did you mean `access_key`?"),
        "{out}"
    );
    assert!(
        lines[1]
            .contains("bad.yaml:5:12: error: model_providers[1].model: unknown provider `nope`"),
        "{out}"
    );
    assert!(
        lines[2].ends_with("bad.yaml: 2 errors, 0 warnings"),
        "{out}"
    );
}

#[test]
fn warnings_alone_exit_0_and_secrets_are_not_needed() {
    let dir = TempDir::new("validate");
    let good = dir.file("good.yaml", GOOD);
    let (code, out) = validate(&[good.to_str().unwrap()], &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(
            "good.yaml:7:24: warning: tracing.trace_arch_internal: accepted but not acted on yet"
        ),
        "{out}"
    );
    assert!(out.contains("good.yaml: ok (1 warning)"), "{out}");
}

#[test]
fn env_flag_resolves_secrets() {
    let dir = TempDir::new("validate");
    let good = dir.file("good.yaml", GOOD);
    let path = good.to_str().unwrap();
    let (code, out) = validate(&["--env", path], &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("good.yaml:4:17: error: model_providers[0].access_key: environment variable or secret `OPENAI_API_KEY` is not set"),
        "{out}"
    );
    let (code, out) = validate(&["--env", path], &[("OPENAI_API_KEY", "sk-x")]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("sk-x"));
}

#[test]
fn any_bad_file_fails_the_run() {
    let dir = TempDir::new("validate");
    let good = dir.file("good.yaml", GOOD);
    let bad = dir.file("bad.yaml", BAD);
    let (code, out) = validate(&[good.to_str().unwrap(), bad.to_str().unwrap()], &[]);
    assert_eq!(code, Some(1), "{out}");
    let (code, out) = validate(&["/nonexistent/plano.yaml"], &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("cannot read"), "{out}");
}
