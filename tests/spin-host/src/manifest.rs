//! The parts of a `spin.toml` (manifest version 2) the stand-in honours, as Spin does:
//! application variables (`required`, `default`, supplied by `SPIN_VARIABLE_<NAME>`), the
//! component's `source`, `allowed_outbound_hosts`, `key_value_stores` and its variables
//! (templates `{{ name }}` over the application variables). One component, one HTTP trigger.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wasmtime::error::Context;
use wasmtime::{Result, bail};

/// What the stand-in runs.
#[derive(Debug, Clone)]
pub struct App {
    /// The component's wasm file.
    pub source: PathBuf,
    /// Origins the component may call (`scheme://host[:port]`, `*` wildcards).
    pub allowed_outbound_hosts: Vec<String>,
    /// Key-value store labels the component may open.
    pub key_value_stores: Vec<String>,
    /// The component's variables, resolved.
    pub variables: BTreeMap<String, String>,
}

/// Reads `path`, resolving variables from `env` (`SPIN_VARIABLE_*`).
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<App> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let doc: toml::Table = toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
    if doc
        .get("spin_manifest_version")
        .and_then(|v| v.as_integer())
        != Some(2)
    {
        bail!("only spin_manifest_version = 2 is supported");
    }
    let mut app_vars = BTreeMap::new();
    if let Some(vars) = doc.get("variables").and_then(|v| v.as_table()) {
        for (name, decl) in vars {
            let from_env = env(&format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()));
            let default = decl
                .get("default")
                .and_then(|d| d.as_str())
                .map(str::to_owned);
            let required = decl.get("required").and_then(|r| r.as_bool()) == Some(true);
            match from_env.or(default) {
                Some(v) => {
                    app_vars.insert(name.clone(), v);
                }
                None if required => bail!("variable `{name}` is required and not supplied"),
                None => {}
            }
        }
    }
    let components = doc
        .get("component")
        .and_then(|c| c.as_table())
        .context("no [component.*]")?;
    let [(_, component)] = components.iter().collect::<Vec<_>>()[..] else {
        bail!("the stand-in runs exactly one component");
    };
    let strings = |key: &str| -> Vec<String> {
        component
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let source = component
        .get("source")
        .and_then(|s| s.as_str())
        .context("component without a `source` file")?;
    let mut variables = BTreeMap::new();
    if let Some(vars) = component.get("variables").and_then(|v| v.as_table()) {
        for (name, template) in vars {
            let template = template
                .as_str()
                .context("component variables are strings")?;
            variables.insert(name.clone(), expand(template, &app_vars)?);
        }
    }
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(App {
        source: base.join(source),
        allowed_outbound_hosts: strings("allowed_outbound_hosts"),
        key_value_stores: strings("key_value_stores"),
        variables,
    })
}

/// Expands `{{ name }}` templates.
fn expand(template: &str, vars: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").context("unclosed `{{`")? + start;
        let name = rest[start + 2..end].trim();
        out.push_str(
            vars.get(name)
                .with_context(|| format!("no variable `{name}`"))?,
        );
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether `allowed` (Spin's `allowed_outbound_hosts`) lets the component call
/// `scheme://host:port`.
pub fn outbound_allowed(allowed: &[String], scheme: &str, host: &str, port: u16) -> bool {
    allowed.iter().any(|entry| {
        let Some((s, authority)) = entry.split_once("://") else {
            return false;
        };
        if s != "*" && s != scheme {
            return false;
        }
        let (h, p) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(p)),
            _ => (authority, None),
        };
        let default_port = if scheme == "https" { 443 } else { 80 };
        let port_ok = match p {
            Some("*") => true,
            Some(p) => p.parse::<u16>().ok() == Some(port),
            None => port == default_port,
        };
        let h = h.trim_start_matches('[').trim_end_matches(']');
        let host_ok = h == "*"
            || h.eq_ignore_ascii_case(host)
            || h.strip_prefix("*.").is_some_and(|d| {
                host.len() > d.len() + 1
                    && host
                        .to_ascii_lowercase()
                        .ends_with(&format!(".{}", d.to_ascii_lowercase()))
            });
        port_ok && host_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_hosts_match_like_spin() {
        let allowed = vec![
            "https://api.openai.com".to_owned(),
            "http://127.0.0.1:9000".to_owned(),
            "https://*.amazonaws.com".to_owned(),
        ];
        assert!(outbound_allowed(&allowed, "https", "api.openai.com", 443));
        assert!(!outbound_allowed(&allowed, "http", "api.openai.com", 80));
        assert!(!outbound_allowed(&allowed, "https", "api.openai.com", 8443));
        assert!(outbound_allowed(&allowed, "http", "127.0.0.1", 9000));
        assert!(!outbound_allowed(&allowed, "http", "127.0.0.1", 9001));
        assert!(outbound_allowed(
            &allowed,
            "https",
            "bedrock.us-east-1.amazonaws.com",
            443
        ));
        assert!(!outbound_allowed(&allowed, "https", "amazonaws.com", 443));
        assert!(!outbound_allowed(&allowed, "https", "evil.example", 443));
    }

    #[test]
    fn templates_expand_and_missing_variables_fail() {
        let vars = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        assert_eq!(expand("x{{ a }}y{{a}}", &vars).unwrap(), "x1y1");
        assert!(expand("{{ b }}", &vars).is_err());
    }
}
