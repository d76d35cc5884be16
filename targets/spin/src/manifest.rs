//! `spin.toml` from a plano config: the component, its key-value store, its variables (the
//! config itself, and one secret variable per `$VAR` the config references) and
//! `allowed_outbound_hosts` derived from the configured providers and the trace collector, so
//! the component can reach exactly the upstreams it routes to. Pure, tested natively; the
//! `plano-spin-manifest` binary writes it.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use plano_core::config::values::BaseUrl;
use plano_core::config::{Config, StateTarget};

/// The Spin variable holding the config text.
pub const CONFIG_VARIABLE: &str = "plano_config";

/// The Spin variable naming the listener the app serves: `model` or `prompt`
/// ([`Config::serves_prompt_listener`]); one app per listener.
pub const LISTENER_VARIABLE: &str = "plano_listener";

/// The AWS variables read for Bedrock providers without an `access_key` (optional).
pub const AWS_VARIABLES: [&str; 5] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_region",
    "aws_default_region",
];

/// What to write.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// The application name.
    pub name: &'a str,
    /// The component's wasm file, as `spin up` resolves it (relative to spin.toml).
    pub source: &'a str,
    /// Embed the config text as the `plano_config` variable's default (else the variable is
    /// required and supplied at deploy time).
    pub embed_config: bool,
    /// The `[component.plano.build]` command, if any.
    pub build: Option<(&'a str, &'a str)>,
    /// The `plano_listener` variable's default: `model` or `prompt`.
    pub listener: &'a str,
}

/// Why a manifest cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// The config does not load (its diagnostics).
    Config(String),
    /// A `$VAR` name that has no Spin variable spelling.
    Variable(String),
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManifestError::Config(e) => write!(f, "config rejected:\n{e}"),
            ManifestError::Variable(v) => write!(
                f,
                "${v}: a Spin variable name must be letters, digits and underscores, starting \
                 with a letter"
            ),
        }
    }
}

/// The Spin variable for a config `$NAME` reference: lowercase (Spin's names are
/// `[a-z][a-z0-9_]*`; `SPIN_VARIABLE_OPENAI_API_KEY` supplies `openai_api_key`).
pub fn variable_name(reference: &str) -> Option<String> {
    let lower = reference.to_ascii_lowercase();
    let mut chars = lower.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (first_ok && rest_ok).then_some(lower)
}

/// The `scheme://host[:port]` Spin expects in `allowed_outbound_hosts`.
fn origin(url: &BaseUrl) -> String {
    let mut u = url.clone();
    u.path_prefix.clear();
    u.to_url()
}

/// The `scheme://host[:port]` of a URL written as text (filters, prompt-target endpoints).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// The origins the config's providers, filters, prompt-target endpoints and collector need.
pub fn outbound_hosts(config: &Config) -> BTreeSet<String> {
    let mut hosts = BTreeSet::new();
    for p in &config.providers {
        match (&p.base_url, p.spec.base_url) {
            (Some(url), _) => {
                hosts.insert(origin(url));
            }
            (None, Some(default)) => {
                hosts.insert(default.to_owned());
            }
            // The loader requires a base_url for providers without a default upstream.
            (None, None) => {}
        }
    }
    let side = config.filters.iter().map(|f| f.url.as_str()).chain(
        config
            .prompts
            .targets
            .iter()
            .filter_map(|t| t.endpoint.as_ref())
            .map(|e| e.base_url.as_str()),
    );
    hosts.extend(side.filter_map(origin_of));
    if let Some(url) = &config.tracing.otlp_endpoint {
        let mut u = url.clone();
        if u.port == 4317 {
            u.port = 4318;
        }
        hosts.insert(origin(&u));
    }
    hosts
}

/// Loads `yaml` without its secrets and writes the manifest.
///
/// # Errors
/// [`ManifestError`] when the config does not load or references a variable Spin cannot
/// name.
pub fn render(yaml: &str, options: &Options<'_>) -> Result<String, ManifestError> {
    let referenced = RefCell::new(BTreeSet::new());
    let lookup = |name: &str| {
        referenced.borrow_mut().insert(name.to_owned());
        Some(String::new())
    };
    let config = Config::load(yaml, &lookup).map_err(|e| ManifestError::Config(e.to_string()))?;
    config
        .serves_prompt_listener(Some(options.listener))
        .map_err(ManifestError::Config)?;
    let mut secrets = BTreeSet::new();
    for name in referenced.into_inner() {
        secrets.insert(variable_name(&name).ok_or(ManifestError::Variable(name))?);
    }
    let bedrock_env = config
        .providers
        .iter()
        .any(|p| p.spec.id == "amazon_bedrock" && p.access_key.is_none());
    let store = match &config.gateway.state.spin {
        StateTarget::SpinKv { store } => store.clone(),
        _ => "default".to_owned(),
    };

    let mut out = String::new();
    let w = &mut out;
    // `write!` into a String cannot fail.
    let _ = writeln!(
        w,
        "# Generated by plano-spin-manifest from the plano config."
    );
    let _ = writeln!(w, "spin_manifest_version = 2\n");
    let _ = writeln!(w, "[application]");
    let _ = writeln!(w, "name = {}", quote(options.name));
    let _ = writeln!(w, "version = \"0.1.0\"");
    let _ = writeln!(w, "description = \"The plano AI gateway\"\n");
    let _ = writeln!(
        w,
        "# Secrets come from SPIN_VARIABLE_<NAME> or a runtime config, never from here."
    );
    let _ = writeln!(w, "[variables]");
    if options.embed_config {
        let _ = writeln!(w, "{CONFIG_VARIABLE} = {{ default = {} }}", quote(yaml));
    } else {
        let _ = writeln!(w, "{CONFIG_VARIABLE} = {{ required = true }}");
    }
    let _ = writeln!(
        w,
        "{LISTENER_VARIABLE} = {{ default = {} }}",
        quote(options.listener)
    );
    for s in &secrets {
        let _ = writeln!(w, "{s} = {{ required = true, secret = true }}");
    }
    if bedrock_env {
        for a in AWS_VARIABLES {
            let _ = writeln!(w, "{a} = {{ default = \"\", secret = true }}");
        }
    }
    let _ = writeln!(w, "\n[[trigger.http]]");
    let _ = writeln!(w, "route = \"/...\"");
    let _ = writeln!(w, "component = \"plano\"\n");
    let _ = writeln!(w, "[component.plano]");
    let _ = writeln!(w, "source = {}", quote(options.source));
    let hosts: Vec<String> = outbound_hosts(&config).iter().map(|h| quote(h)).collect();
    let _ = writeln!(w, "allowed_outbound_hosts = [{}]", hosts.join(", "));
    let _ = writeln!(w, "key_value_stores = [{}]", quote(&store));
    if let Some((command, workdir)) = options.build {
        let _ = writeln!(w, "\n[component.plano.build]");
        let _ = writeln!(w, "command = {}", quote(command));
        let _ = writeln!(w, "workdir = {}", quote(workdir));
    }
    let _ = writeln!(w, "\n[component.plano.variables]");
    let mut names = vec![CONFIG_VARIABLE.to_owned(), LISTENER_VARIABLE.to_owned()];
    names.extend(secrets);
    if bedrock_env {
        names.extend(AWS_VARIABLES.iter().map(|a| (*a).to_owned()));
    }
    for n in names {
        let _ = writeln!(w, "{n} = \"{{{{ {n} }}}}\"");
    }
    Ok(out)
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
version: v0.3.0
listeners:
  - type: model
    name: llm
    port: 12000
model_providers:
  - model: openai/gpt-4o-mini
    access_key: $OPENAI_API_KEY
    default: true
  - model: anthropic/claude-sonnet-4
    access_key: ${ANTHROPIC_API_KEY}
  - model: mistral/ministral-3b
    base_url: http://127.0.0.1:9000/v1
    access_key: $LOCAL_KEY
  - model: amazon_bedrock/us.amazon.nova-lite-v1:0
    base_url: https://bedrock-runtime.us-east-1.amazonaws.com
";

    fn opts() -> Options<'static> {
        Options {
            name: "plano",
            source: "plano_spin.wasm",
            embed_config: true,
            build: None,
            listener: "model",
        }
    }

    #[test]
    fn outbound_hosts_come_from_the_providers() {
        let toml = render(CONFIG, &opts()).unwrap();
        let line = toml
            .lines()
            .find(|l| l.starts_with("allowed_outbound_hosts"))
            .unwrap();
        assert!(line.contains("\"https://api.openai.com\""), "{line}");
        assert!(line.contains("\"https://api.anthropic.com\""), "{line}");
        assert!(line.contains("\"http://127.0.0.1:9000\""), "{line}");
        assert!(
            line.contains("\"https://bedrock-runtime.us-east-1.amazonaws.com\""),
            "{line}"
        );
        assert!(!line.contains("/v1"), "origins only: {line}");
    }

    #[test]
    fn the_prompt_listener_app_reaches_its_filters_and_endpoints() {
        let config = format!(
            "{CONFIG}  - name: fc\n    model: openai/arch-function\n    base_url: http://127.0.0.1:9100\n    access_key: $LOCAL_KEY\n\
overrides:\n  function_calling_model: fc\n\
filters:\n  - id: pii\n    url: http://127.0.0.1:7000/filter\n    type: http\n\
endpoints:\n  api:\n    endpoint: 127.0.0.1:8080\n\
prompt_targets:\n  - name: t\n    description: d\n    endpoint:\n      name: api\n      path: /x\n"
        )
        .replace(
            "    port: 12000\n",
            "    port: 12000\n  - type: prompt\n    name: prompts\n    port: 10000\n    input_filters: [pii]\n",
        );
        let mut o = opts();
        o.listener = "prompt";
        let toml = render(&config, &o).unwrap();
        let line = toml
            .lines()
            .find(|l| l.starts_with("allowed_outbound_hosts"))
            .unwrap();
        assert!(line.contains("\"http://127.0.0.1:7000\""), "{line}");
        assert!(line.contains("\"http://127.0.0.1:8080\""), "{line}");
        assert!(
            toml.contains("plano_listener = { default = \"prompt\" }"),
            "{toml}"
        );
        assert!(
            toml.contains("plano_listener = \"{{ plano_listener }}\""),
            "{toml}"
        );
        // A model-only config cannot serve the prompt listener.
        assert!(render(CONFIG, &o).is_err());
    }

    #[test]
    fn every_referenced_secret_is_a_secret_variable() {
        let toml = render(CONFIG, &opts()).unwrap();
        for v in ["openai_api_key", "anthropic_api_key", "local_key"] {
            assert!(
                toml.contains(&format!("{v} = {{ required = true, secret = true }}")),
                "{v}:\n{toml}"
            );
            assert!(toml.contains(&format!("{v} = \"{{{{ {v} }}}}\"")), "{v}");
        }
        assert!(toml.contains("aws_access_key_id = { default = \"\", secret = true }"));
        assert!(toml.contains("key_value_stores = [\"default\"]"));
        assert!(toml.contains("plano_config = { default = \"version: v0.3.0\\nlisteners:"));
    }

    #[test]
    fn variable_names_follow_spin() {
        assert_eq!(
            variable_name("OPENAI_API_KEY").as_deref(),
            Some("openai_api_key")
        );
        assert_eq!(variable_name("1KEY"), None);
        assert_eq!(variable_name("MY-KEY"), None);
        let bad = CONFIG.replace("$LOCAL_KEY", "$_LOCAL_KEY");
        assert!(matches!(
            render(&bad, &opts()),
            Err(ManifestError::Variable(_))
        ));
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }
}
