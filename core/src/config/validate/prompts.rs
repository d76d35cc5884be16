//! Prompt-gateway sections: endpoints, prompt targets, guards, system prompt.
//!
//! Prompt targets, their endpoints, the system prompt and the jailbreak guard are acted on;
//! the legacy `error_target` and `mode` are checked and accepted with a warning.

use std::collections::BTreeMap;

use super::Cx;
use crate::config::decode::Scalar;
use crate::config::diag::{Code, Pos, child, index};
use crate::config::enums::{HttpMethod, Protocol};
use crate::config::model::{PromptTarget, Prompts, TargetEndpoint, TargetParameter};
use crate::config::raw::{RawConfig, RawTargetEndpoint};
use crate::config::values::{is_header_name, parse_host_port};

/// A checked `endpoints` entry.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
    pub(crate) protocol: Protocol,
    pub(crate) connect_timeout: Option<std::time::Duration>,
}

/// Checks `endpoints` and returns them by name.
pub(crate) fn endpoints(raw: &RawConfig, cx: &mut Cx<'_>) -> BTreeMap<String, Endpoint> {
    let mut out = BTreeMap::new();
    let Some(entries) = &raw.endpoints else {
        return out;
    };
    for (name, e) in &entries.value.0 {
        let path = child("endpoints", &name.value);
        if name.value.is_empty()
            || !name.value.starts_with(|c: char| c.is_ascii_alphabetic())
            || !name
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            cx.error(
                Code::InvalidValue,
                &path,
                name.pos,
                format!(
                    "invalid endpoint name `{}`; use letters, digits and `_`, starting with a letter",
                    name.value
                ),
            );
        }
        let connect_timeout = e
            .value
            .connect_timeout
            .as_ref()
            .and_then(|t| cx.duration(t, &child(&path, "connect_timeout")));
        let protocol = e
            .value
            .protocol
            .as_ref()
            .map_or(Protocol::Http, |p| p.value);
        let Some(endpoint) = &e.value.endpoint else {
            continue;
        };
        match parse_host_port(&endpoint.value) {
            Ok((host, port)) => {
                out.insert(
                    name.value.clone(),
                    Endpoint {
                        host,
                        port,
                        protocol,
                        connect_timeout,
                    },
                );
            }
            Err(msg) => cx.error(
                Code::InvalidValue,
                &child(&path, "endpoint"),
                endpoint.pos,
                format!("invalid endpoint `{}`: {msg}", endpoint.value),
            ),
        }
    }
    out
}

/// Checks prompt targets (unique names, known endpoints, headers), guards and the legacy
/// `error_target`, and returns the typed targets.
pub(crate) fn prompt_sections(
    raw: &RawConfig,
    endpoints: &BTreeMap<String, Endpoint>,
    cx: &mut Cx<'_>,
) -> Vec<PromptTarget> {
    let mut out = Vec::new();
    let mut names: BTreeMap<&str, Pos> = BTreeMap::new();
    for (i, t) in raw
        .prompt_targets
        .iter()
        .flat_map(|t| t.value.iter())
        .enumerate()
    {
        let path = index("prompt_targets", i);
        if let Some(name) = &t.name {
            if let Some(first) = names.get(name.value.as_str()) {
                cx.error(
                    Code::Duplicate,
                    &child(&path, "name"),
                    name.pos,
                    format!(
                        "prompt target `{}` is already defined at line {}",
                        name.value, first.line
                    ),
                );
            } else {
                names.insert(&name.value, name.pos);
            }
        }
        let mut params: BTreeMap<&str, Pos> = BTreeMap::new();
        for (j, p) in t.parameters.iter().flat_map(|p| p.value.iter()).enumerate() {
            if let Some(name) = &p.name {
                if let Some(first) = params.get(name.value.as_str()) {
                    cx.error(
                        Code::Duplicate,
                        &child(&index(&child(&path, "parameters"), j), "name"),
                        name.pos,
                        format!(
                            "parameter `{}` is already defined at line {}",
                            name.value, first.line
                        ),
                    );
                } else {
                    params.insert(&name.value, name.pos);
                }
            }
        }
        if let Some(e) = &t.endpoint {
            target_endpoint(&e.value, &child(&path, "endpoint"), endpoints, cx);
        }
        let (Some(name), Some(description)) = (&t.name, &t.description) else {
            continue;
        };
        let endpoint = t.endpoint.as_ref().and_then(|e| {
            let e = &e.value;
            let ep = endpoints.get(&e.name.as_ref()?.value)?;
            let scheme = match ep.protocol {
                Protocol::Https => "https",
                _ => "http",
            };
            let base_url = match ep.port {
                Some(port) => format!("{scheme}://{}:{port}", ep.host),
                None => format!("{scheme}://{}", ep.host),
            };
            let headers = e
                .http_headers
                .iter()
                .flat_map(|h| h.value.0.iter())
                .filter_map(|(n, v)| {
                    let p = child(&child(&child(&path, "endpoint"), "http_headers"), &n.value);
                    Some((n.value.to_ascii_lowercase(), cx.secret(v, &p)?))
                })
                .collect();
            Some(TargetEndpoint {
                base_url,
                path: e
                    .path
                    .as_ref()
                    .map_or_else(|| "/".to_owned(), |p| p.value.clone()),
                post: e
                    .http_method
                    .as_ref()
                    .is_some_and(|m| m.value == HttpMethod::Post),
                headers,
                connect_timeout: ep.connect_timeout,
            })
        });
        let scalar = |s: &Scalar| match s {
            Scalar::Str(v) => serde_json::Value::from(v.clone()),
            Scalar::Int(v) => serde_json::Value::from(*v),
            Scalar::Float(v) => serde_json::Value::from(*v),
            Scalar::Bool(v) => serde_json::Value::from(*v),
        };
        let parameters = t
            .parameters
            .iter()
            .flat_map(|p| p.value.iter())
            .filter_map(|p| {
                Some(TargetParameter {
                    name: p.name.as_ref()?.value.clone(),
                    description: p.description.as_ref()?.value.clone(),
                    kind: p.kind.as_ref()?.value.clone(),
                    required: p.required.as_ref().is_some_and(|r| r.value),
                    default: p.default.as_ref().map(|d| scalar(&d.value)),
                    values: p
                        .values
                        .iter()
                        .flat_map(|v| v.value.iter())
                        .map(scalar)
                        .collect(),
                    in_path: p.in_path.as_ref().is_some_and(|v| v.value),
                    format: p.format.as_ref().map(|f| f.value.clone()),
                })
            })
            .collect();
        out.push(PromptTarget {
            name: name.value.clone(),
            description: description.value.clone(),
            default: t.default.as_ref().is_some_and(|d| d.value),
            auto_llm_dispatch_on_response: t
                .auto_llm_dispatch_on_response
                .as_ref()
                .is_none_or(|a| a.value),
            parameters,
            endpoint,
            system_prompt: t.system_prompt.as_ref().map(|s| s.value.clone()),
        });
    }
    if let Some(e) = raw
        .error_target
        .as_ref()
        .and_then(|t| t.value.endpoint.as_ref())
    {
        target_endpoint(&e.value, "error_target.endpoint", endpoints, cx);
    }
    cx.not_acted_on(
        "",
        "error_target",
        &raw.error_target,
        "the legacy error target",
    );
    cx.not_acted_on("", "mode", &raw.mode, "the legacy gateway mode");
    out
}

/// The default function-calling model (Plano's Arch-Function).
pub(crate) const DEFAULT_FUNCTION_MODEL: &str = "Arch-Function";

/// The prompt gateway's settings: the targets, the global system prompt, and the
/// function-calling model (which a provider must serve, else prompt targets are off with a
/// warning).
pub(crate) fn prompts(
    raw: &RawConfig,
    targets: Vec<PromptTarget>,
    providers: &[crate::config::model::Provider],
    aliases: &[crate::config::model::Alias],
    cx: &mut Cx<'_>,
) -> Prompts {
    let named = raw
        .overrides
        .as_ref()
        .and_then(|o| o.value.function_calling_model.as_ref());
    let model = named.map_or(DEFAULT_FUNCTION_MODEL, |m| m.value.as_str());
    let served = aliases.iter().any(|a| a.name == model)
        || super::references::resolve_model(model, providers).is_some();
    if !served
        && !targets.is_empty()
        && let Some(t) = &raw.prompt_targets
    {
        cx.warn(
            Code::NotActedOn,
            "prompt_targets",
            t.pos,
            format!(
                "prompt targets are off: no provider serves the function-calling model \
                 `{model}` (add one, or name a served model in overrides.function_calling_model)"
            ),
        );
    }
    Prompts {
        targets,
        system_prompt: raw.system_prompt.as_ref().map(|s| s.value.clone()),
        function_model: served.then(|| model.to_owned()),
    }
}

fn target_endpoint(
    e: &RawTargetEndpoint,
    path: &str,
    endpoints: &BTreeMap<String, Endpoint>,
    cx: &mut Cx<'_>,
) {
    if let Some(name) = &e.name
        && !endpoints.contains_key(&name.value)
    {
        let known: Vec<&str> = endpoints.keys().map(String::as_str).collect();
        let hint = match crate::config::decode::closest(&name.value, &known) {
            Some(c) => format!("; did you mean `{c}`?"),
            None => "; add it to `endpoints`".to_owned(),
        };
        cx.error(
            Code::UnknownReference,
            &child(path, "name"),
            name.pos,
            format!("unknown endpoint `{}`{hint}", name.value),
        );
    }
    for (name, value) in e.http_headers.iter().flat_map(|h| h.value.0.iter()) {
        let p = child(&child(path, "http_headers"), &name.value);
        if !is_header_name(&name.value) {
            cx.error(
                Code::InvalidValue,
                &p,
                name.pos,
                format!("invalid header name `{}`", name.value),
            );
        }
        cx.secret_syntax(value, &p);
    }
}

/// The default guard model (Plano's Arch-Guard).
pub(crate) const DEFAULT_GUARD_MODEL: &str = "Arch-Guard";

/// `prompt_guards.input_guards.jailbreak`: typed when a provider serves its model, else a
/// warning (the guard is off).
pub(crate) fn guards(
    raw: &RawConfig,
    providers: &[crate::config::model::Provider],
    aliases: &[crate::config::model::Alias],
    cx: &mut Cx<'_>,
) -> crate::config::model::Guards {
    let mut out = crate::config::model::Guards::default();
    let Some(g) = raw.prompt_guards.as_ref() else {
        return out;
    };
    let Some(jb) = g
        .value
        .input_guards
        .as_ref()
        .and_then(|i| i.value.jailbreak.as_ref())
    else {
        return out;
    };
    let path = "prompt_guards.input_guards.jailbreak";
    let model = jb
        .value
        .model
        .as_ref()
        .map_or(DEFAULT_GUARD_MODEL, |m| m.value.as_str());
    let served = aliases.iter().any(|a| a.name == model)
        || super::references::resolve_model(model, providers).is_some();
    if !served {
        cx.warn(
            Code::NotActedOn,
            path,
            jb.pos,
            format!(
                "the jailbreak guard is off: no provider serves its model `{model}` (add one, or \
                 name a served model in `model`)"
            ),
        );
        return out;
    }
    let message = jb
        .value
        .on_exception
        .as_ref()
        .and_then(|e| e.value.message.as_ref())
        .map_or_else(
            || "I can't help with that request.".to_owned(),
            |m| m.value.clone(),
        );
    out.jailbreak = Some(crate::config::model::Guard {
        model: model.to_owned(),
        message,
    });
    out
}
