//! The black-box conformance suite every plano host must pass.
//!
//! The suite talks HTTP to a running gateway (any host: native, Workers, Spin, Lambda, Envoy)
//! whose providers all point at the mock provider (`plano-mock`), and reads back what the
//! upstream received from the mock's introspection endpoint. It never links the gateway: its
//! checks parse each API's JSON, SSE and AWS eventstream bytes itself, so a bug shared by the
//! gateway's translation library and the suite cannot hide.
//!
//! # Running
//!
//! 1. Start the mock (`plano-mock --listen 127.0.0.1:0`, or `plano_mock::start`).
//! 2. Start the host with [`config`]`(mock_url)` as its config and [`ENV`] in its
//!    environment (the secrets the config names).
//! 3. `run(&Target { gateway, mock, host, lacks: vec![] }, None).await`, or the
//!    `plano-conformance` binary.
//!
//! # Scenarios
//!
//! Each scenario is data ([`Scenario`]: id, description, the capabilities it needs, an async
//! function), independent of the others and safe to run in parallel: every request it sends
//! carries its own `x-mock-tag`, which the gateway forwards upstream and the mock records, so
//! the scenario reads exactly what its own requests caused. A scenario passes, fails with the
//! expected and actual values, or is skipped, which happens only when the host declares (in
//! [`Target::lacks`]) that it cannot support what the scenario needs.

mod api;
mod family;
mod http;
pub mod markdown;
mod report;
mod scenarios;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use report::{Outcome, Report, ScenarioResult};
pub use scenarios::{Capability, Scenario};

/// The suite's config (`tests/conformance/plano.yaml`) with its placeholder unreplaced.
pub const CONFIG_TEMPLATE: &str = include_str!("../plano.yaml");

/// The placeholder in [`CONFIG_TEMPLATE`] that stands for the mock's base URL.
pub const MOCK_URL_PLACEHOLDER: &str = "${MOCK_URL}";

/// The prompt listener's config (`tests/conformance/prompt.yaml`) with its placeholders
/// unreplaced: the second gateway a host starts for the `prompt/*` scenarios.
pub const PROMPT_CONFIG_TEMPLATE: &str = include_str!("../prompt.yaml");

/// The placeholder in [`PROMPT_CONFIG_TEMPLATE`] for the mock's `host:port` (prompt-target
/// endpoints are named by address, not URL).
pub const MOCK_ADDR_PLACEHOLDER: &str = "${MOCK_ADDR}";

/// The environment a host needs to load [`config`]: the mock's keys under the names the
/// config references, a key the mock refuses, and AWS credentials for SigV4.
pub const ENV: &[(&str, &str)] = &[
    ("OPENAI_API_KEY", "sk-mock-openai"),
    ("ANTHROPIC_API_KEY", "sk-ant-mock-anthropic"),
    ("GEMINI_API_KEY", "mock-gemini-key"),
    ("BEDROCK_API_KEY", "mock-bedrock-key"),
    ("AZURE_API_KEY", "mock-azure-key"),
    ("GROQ_API_KEY", "sk-mock-groq"),
    ("WRONG_OPENAI_API_KEY", WRONG_KEY),
    ("AWS_ACCESS_KEY_ID", "AKIDMOCKPLANO"),
    ("AWS_SECRET_ACCESS_KEY", "mock-aws-secret"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
];

/// The key of the `wrong-key` provider: the mock refuses it, and no response may echo it.
pub const WRONG_KEY: &str = "sk-wrong-conformance-7f3a9c0d1e2b4a6f";

/// The suite's config for a mock listening at `mock_url` (`http://127.0.0.1:PORT`, no
/// trailing slash): [`CONFIG_TEMPLATE`] with every [`MOCK_URL_PLACEHOLDER`] replaced.
pub fn config(mock_url: &str) -> String {
    CONFIG_TEMPLATE.replace(MOCK_URL_PLACEHOLDER, mock_url.trim_end_matches('/'))
}

/// The prompt listener's config for a mock listening at `mock_url`: the gateway serving it
/// is [`Target::prompt`].
pub fn prompt_config(mock_url: &str) -> String {
    let url = mock_url.trim_end_matches('/');
    let addr = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    PROMPT_CONFIG_TEMPLATE
        .replace(MOCK_URL_PLACEHOLDER, url)
        .replace(MOCK_ADDR_PLACEHOLDER, addr)
}

/// The gateway and mock under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The gateway's base URL (`http://127.0.0.1:8080`).
    pub gateway: String,
    /// The mock provider's base URL, as substituted into the config.
    pub mock: String,
    /// The host's name, the column of the results table: native, workers, spin, lambda,
    /// envoy.
    pub host: String,
    /// What the host declares it cannot do; scenarios needing it are skipped with the reason.
    pub lacks: Vec<Capability>,
    /// The prompt listener's base URL, of a gateway started with [`prompt_config`]; the
    /// `prompt/*` scenarios run against it, and are skipped without it.
    pub prompt: Option<String>,
}

impl Target {
    /// A target that declares no missing capability.
    pub fn new(
        gateway: impl Into<String>,
        mock: impl Into<String>,
        host: impl Into<String>,
    ) -> Target {
        Target {
            gateway: gateway.into().trim_end_matches('/').to_owned(),
            mock: mock.into().trim_end_matches('/').to_owned(),
            host: host.into(),
            lacks: Vec::new(),
            prompt: None,
        }
    }
}

/// How many scenarios run at once.
const CONCURRENCY: usize = 16;

/// The longest a scenario may take before it fails as hung.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(60);

/// Every scenario id, in the suite's order.
pub fn scenario_ids() -> Vec<String> {
    scenarios::all().into_iter().map(|s| s.id).collect()
}

/// Runs every scenario whose id contains `filter` (all when `None`) against `target`, in
/// parallel, and reports each outcome in the suite's order.
pub async fn run(target: &Target, filter: Option<&str>) -> Report {
    let selected: Vec<Scenario> = scenarios::all()
        .into_iter()
        .filter(|s| filter.is_none_or(|f| s.id.contains(f)))
        .collect();
    let run_id = http::run_id();
    let client = http::client();
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = JoinSet::new();
    // Replaced by each task's result; what is left was a task that panicked.
    let mut results: Vec<ScenarioResult> = selected
        .iter()
        .map(|s| s.result(Outcome::Fail("the scenario panicked".to_owned()), 0))
        .collect();
    for (index, scenario) in selected.into_iter().enumerate() {
        let prompt_scenario = scenario.needs.contains(&Capability::PromptListener);
        let missing: Vec<Capability> = scenario
            .needs
            .iter()
            .copied()
            .filter(|c| {
                target.lacks.contains(c)
                    || (*c == Capability::PromptListener && target.prompt.is_none())
            })
            .collect();
        let mut ctx = http::Ctx::new(client.clone(), target, format!("{run_id}-{index}"));
        if prompt_scenario && let Some(prompt) = &target.prompt {
            ctx.gateway = prompt.trim_end_matches('/').to_owned();
        }
        let ctx = Arc::new(ctx);
        let permits = Arc::clone(&permits);
        let host = target.host.clone();
        tasks.spawn(async move {
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|c| c.name()).collect();
                let reason = format!("host `{host}` declares it lacks: {}", names.join(", "));
                return (index, scenario.result(Outcome::Skip(reason), 0));
            }
            let _permit = permits.acquire_owned().await;
            let started = http::Stopwatch::start();
            let outcome = match tokio::time::timeout(
                SCENARIO_TIMEOUT,
                (scenario.run)(Arc::clone(&ctx)),
            )
            .await
            {
                Ok(Ok(())) => Outcome::Pass,
                Ok(Err(reason)) => Outcome::Fail(reason),
                Err(_) => Outcome::Fail(format!(
                    "the scenario did not finish within {}s",
                    SCENARIO_TIMEOUT.as_secs()
                )),
            };
            (index, scenario.result(outcome, started.elapsed_ms()))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, result)) = joined
            && let Some(slot) = results.get_mut(index)
        {
            *slot = result;
        }
    }
    Report {
        host: target.host.clone(),
        results,
    }
}
