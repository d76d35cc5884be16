//! The example configs under `tests/configs`: every valid one loads (with exactly the
//! warnings in its `.expected` file), every invalid one fails with exactly the diagnostics in
//! its `.expected` file (`line:column: severity: path: message`, one per line).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use plano_core::config::{
    Config, ConfigErrors, ListenerKind, SelectorValue, StateTarget, TimeUnit, Version,
};

/// Every variable is set to `value-of-NAME`, except names starting with `MISSING_`.
fn lookup(name: &str) -> Option<String> {
    (!name.starts_with("MISSING_")).then(|| format!("value-of-{name}"))
}

fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/configs")
        .join(kind)
}

fn yaml_files(kind: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn render(diagnostics: &[plano_core::config::Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

fn check_expected(file: &Path, actual: &str) -> Result<(), String> {
    let expected_path = file.with_extension("expected");
    let expected = fs::read_to_string(&expected_path)
        .map_err(|e| format!("{}: {e}; actual:\n{actual}", expected_path.display()))?;
    assert!(
        !actual.contains("value-of-"),
        "{}: a secret value leaked into a diagnostic:\n{actual}",
        file.display()
    );
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "{} does not match; actual:\n{actual}",
            expected_path.display()
        ))
    }
}

fn load(file: &Path) -> Result<Config, ConfigErrors> {
    Config::load(&fs::read_to_string(file).unwrap(), &lookup)
}

#[test]
fn valid_configs_load_with_expected_warnings() {
    let files = yaml_files("valid");
    assert!(files.len() >= 8, "at least 8 valid examples");
    let mut failures = Vec::new();
    for file in &files {
        match load(file) {
            Ok(config) => {
                let debug = format!("{config:?}");
                assert!(
                    !debug.contains("value-of-"),
                    "{}: a secret value is in Debug output",
                    file.display()
                );
                if let Err(e) = check_expected(file, &render(&config.warnings)) {
                    failures.push(e);
                }
            }
            Err(e) => failures.push(format!("{} failed to load:\n{e}", file.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn invalid_configs_report_every_expected_error() {
    let files = yaml_files("invalid");
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for file in &files {
        match load(file) {
            Ok(_) => failures.push(format!("{} loaded but must not", file.display())),
            Err(e) => {
                if let Err(e) = check_expected(file, &render(&e.diagnostics)) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn v0_1_legacy_forms_become_typed_config() {
    let c = load(&dir("valid").join("v0_1_reference.yaml")).unwrap();
    assert_eq!(c.version, Version::V0_1);
    let names: Vec<_> = c
        .listeners
        .iter()
        .map(|l| (l.name.as_str(), l.kind, l.port))
        .collect();
    assert_eq!(
        names,
        [
            ("egress_traffic", ListenerKind::Model, 12000),
            ("ingress_traffic", ListenerKind::Prompt, 10000)
        ]
    );
    assert_eq!(
        c.model_listener().unwrap().timeout,
        Some(Duration::from_secs(5))
    );
    let openai = c.default_provider().unwrap();
    assert_eq!(
        (
            openai.name.as_str(),
            openai.provider.as_str(),
            openai.model.as_deref()
        ),
        ("OpenAI", "openai", Some("gpt-4o"))
    );
    assert_eq!(
        openai.access_key.as_ref().unwrap().expose(),
        "value-of-OPENAI_API_KEY"
    );
    assert_eq!(
        format!("{:?}", openai.access_key),
        "Some(Secret($OPENAI_API_KEY))"
    );
    let local = c.provider("MistralLocal7b").unwrap();
    assert_eq!(
        local.base_url.as_ref().unwrap().to_url(),
        "http://127.0.0.1:8001"
    );
    assert_eq!(c.tracing.sampling_percent, Some(10));
}

#[test]
fn v0_4_reference_typed_values() {
    let c = load(&dir("valid").join("v0_4_reference.yaml")).unwrap();
    assert_eq!(c.version, Version::V0_4);
    assert_eq!(c.providers.len(), 8);
    let kimi = c.provider("moonshotai/kimi-for-coding").unwrap();
    assert_eq!(kimi.base_url.as_ref().unwrap().path_prefix, "/coding/v1");
    assert_eq!(kimi.spec.id, "moonshotai");
    assert_eq!(kimi.headers[0].0, "User-Agent");
    assert_eq!(kimi.headers[0].1.expose(), "KimiCLI/1.3");
    let litellm = c.provider("openai/gpt-4o-litellm").unwrap();
    assert!(litellm.passthrough_auth && litellm.access_key.is_none());
    assert_eq!(c.aliases[0].provider, "openai/gpt-4o-mini");
    let limit = &c.rate_limits[0];
    assert_eq!(
        (
            limit.header.as_str(),
            &limit.value,
            limit.tokens.get(),
            limit.unit
        ),
        ("x-user-id", &SelectorValue::Each, 100_000, TimeUnit::Hour)
    );
    assert_eq!(c.gateway.timeouts.connect, Duration::from_secs(10));
    assert_eq!(c.tracing.otlp_endpoint.as_ref().unwrap().port, 4317);
    assert_eq!(c.listeners.len(), 3);
    assert_eq!(c.model_listener().unwrap().max_retries, Some(3));
    let weather = c.prompts.targets[0].endpoint.as_ref().unwrap();
    assert_eq!(weather.base_url, "http://127.0.0.1:80");
    assert_eq!(weather.connect_timeout, Some(Duration::from_millis(5)));
}

#[test]
fn gateway_section_and_merge_keys() {
    let c = load(&dir("valid").join("v0_4_gateway_serverless.yaml")).unwrap();
    let g = &c.gateway;
    assert_eq!(g.body_limit, 8 << 20);
    assert_eq!(g.timeouts.request, Duration::from_secs(600));
    assert_eq!(
        g.state.native,
        StateTarget::File {
            path: "/var/lib/plano/state.db".into()
        }
    );
    assert_eq!(
        g.state.workers,
        StateTarget::DurableObject {
            binding: "PLANO_LIMITS".into()
        }
    );
    assert_eq!(
        g.state.spin,
        StateTarget::SpinKv {
            store: "default".into()
        }
    );
    let haiku = c.provider("anthropic/claude-haiku-4-5").unwrap();
    assert!(!haiku.default);
    assert_eq!(
        haiku.access_key.as_ref().unwrap().expose(),
        "value-of-ANTHROPIC_API_KEY"
    );
    let resolved = |m: &str| c.resolve_model(m).map(|p| p.name.as_str());
    assert_eq!(resolved("default-fast"), Some("anthropic/claude-haiku-4-5"));
    assert_eq!(
        resolved("claude-sonnet-4-5"),
        Some("anthropic/claude-sonnet-4-5")
    );
    assert_eq!(resolved("openai/gpt-5"), Some("openai/*"));
    assert_eq!(
        resolved("gemini/gemini-2.5-flash"),
        Some("gemini/gemini-2.5-flash")
    );
    assert_eq!(resolved("mistral/large"), None);
    let wildcard = c.provider("openai/*").unwrap();
    assert!(wildcard.is_wildcard());
    assert_eq!(c.aliases[1].provider, "openai/*");
}

#[test]
fn check_ignores_unset_secrets() {
    let text = fs::read_to_string(dir("invalid").join("secrets.yaml")).unwrap();
    let errors = Config::check(&text).map(|_| ()).unwrap_err();
    let secret_errors: Vec<String> = errors
        .errors()
        .filter(|d| d.code == plano_core::config::Code::Secret)
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        secret_errors,
        [
            "12:17: error: model_providers[2].access_key: malformed `${...}` reference at offset 0; \
          expected `$NAME` or `${NAME}`"
        ]
    );
}

#[test]
fn errors_display_every_diagnostic() {
    let text = "version: v0.4.0\nmodel_providers:\n  - model: openai/gpt-4o\n    default: 1\nlistners: []\n";
    let e = Config::load(text, &lookup).map(|_| ()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid config (2 errors)\n\
         4:14: error: model_providers[0].default: expected `true` or `false`, found an integer\n\
         5:1: error: listners: unknown key `listners`; did you mean `listeners`?"
    );
    assert_eq!(e.diagnostics[1].code.as_str(), "unknown_key");
    assert_eq!(e.diagnostics[1].pos, plano_core::config::Pos::new(5, 1));
}

#[test]
fn single_listener_hosts_choose_the_listener() {
    let with_prompt = "version: v0.4.0\nlisteners:\n  - type: model\n    name: m\n    port: 12000\n  - type: prompt\n    name: p\n    port: 10000\nmodel_providers:\n  - model: openai/gpt-4o\n    access_key: k\n    default: true\n";
    let model_only = "version: v0.4.0\nlisteners:\n  - type: model\n    name: m\n    port: 12000\nmodel_providers:\n  - model: openai/gpt-4o\n    access_key: k\n    default: true\n";
    let c = Config::load(with_prompt, &lookup).unwrap();
    assert_eq!(c.serves_prompt_listener(None), Ok(false));
    assert_eq!(c.serves_prompt_listener(Some("")), Ok(false));
    assert_eq!(c.serves_prompt_listener(Some("model")), Ok(false));
    assert_eq!(c.serves_prompt_listener(Some("prompt")), Ok(true));
    assert!(c.serves_prompt_listener(Some("agent")).is_err());
    let c = Config::load(model_only, &lookup).unwrap();
    assert!(c.serves_prompt_listener(Some("prompt")).is_err());
}
