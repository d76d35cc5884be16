//! Model providers: `provider/model` parsing, the provider catalog, URLs, credentials and
//! uniqueness of names, models and the default.

use std::collections::BTreeMap;

use hermesllm::provider::{PROVIDERS, ProviderSpec, lookup};

use super::Cx;
use super::prompts::Endpoint;
use crate::config::decode::closest;
use crate::config::diag::{Code, Pos, Spanned, child, index};
use crate::config::enums::Protocol;
use crate::config::model::Provider;
use crate::config::raw::{RawConfig, RawProvider};
use crate::config::values::{BaseUrl, is_header_name, parse_base_url, parse_host_port};

/// Where the parts of a provider were written, for duplicate reports.
struct Seen {
    /// Addressed by its own name: the v0.1 form (bare model id with provider_interface) or
    /// an explicit `name`. Several such entries may serve the same model (with different keys
    /// or routing preferences, as Plano's v0.3 reference shows).
    by_name: bool,
    /// `name` was written (not defaulted from `model`).
    explicit_name: bool,
    name_pos: Pos,
    model_pos: Pos,
    default_pos: Option<Pos>,
    path: String,
}

/// Checks `model_providers` (or legacy `llm_providers`) and returns the typed providers.
pub(crate) fn providers(
    raw: &RawConfig,
    endpoints: &BTreeMap<String, Endpoint>,
    cx: &mut Cx<'_>,
) -> Vec<Provider> {
    // With both lists (an error), both are still checked so every problem is reported.
    let lists: Vec<_> = match (&raw.model_providers, &raw.llm_providers) {
        (Some(m), Some(l)) => {
            cx.error(
                Code::Conflict,
                "llm_providers",
                l.pos,
                "use either model_providers or llm_providers (deprecated), not both",
            );
            vec![("model_providers", m), ("llm_providers", l)]
        }
        (Some(m), None) => vec![("model_providers", m)],
        (None, Some(l)) => {
            cx.warn(
                Code::Deprecated,
                "llm_providers",
                l.pos,
                "llm_providers is deprecated; rename it to model_providers",
            );
            vec![("llm_providers", l)]
        }
        (None, None) => {
            cx.error(
                Code::MissingKey,
                "",
                raw.at,
                "no model providers: add a `model_providers` list",
            );
            return Vec::new();
        }
    };
    let mut out: Vec<Provider> = Vec::new();
    let mut seen: Vec<Seen> = Vec::new();
    let entries = lists
        .into_iter()
        .flat_map(|(key, list)| list.value.iter().enumerate().map(move |(i, p)| (key, i, p)));
    for (key, i, p) in entries {
        let path = index(key, i);
        let Some(provider) = provider(p, &path, endpoints, cx) else {
            continue;
        };
        let s = Seen {
            explicit_name: p.name.is_some(),
            by_name: p.name.is_some() || p.model.as_ref().is_some_and(|m| !m.value.contains('/')),
            name_pos: p.name.as_ref().map_or(provider.pos, |n| n.pos),
            model_pos: p.model.as_ref().map_or(provider.pos, |m| m.pos),
            default_pos: p
                .default
                .as_ref()
                .filter(|d| d.value && !provider.is_wildcard())
                .map(|d| d.pos),
            path,
        };
        check_unique(&provider, &s, &out, &seen, cx);
        out.push(provider);
        seen.push(s);
    }
    out
}

fn check_unique(p: &Provider, s: &Seen, out: &[Provider], seen: &[Seen], cx: &mut Cx<'_>) {
    let earlier = out.iter().zip(seen);
    for (q, qs) in earlier {
        if q.name == p.name && !s.explicit_name {
            cx.error(
                Code::Duplicate,
                &child(&s.path, "model"),
                s.model_pos,
                format!(
                    "model `{}` is already configured at line {}; give each entry a distinct `name`",
                    p.name, qs.model_pos.line
                ),
            );
            return;
        }
        if q.name == p.name {
            cx.error(
                Code::Duplicate,
                &child(&s.path, "name"),
                s.name_pos,
                format!(
                    "provider name `{}` is already used at line {}",
                    p.name, qs.name_pos.line
                ),
            );
            return;
        }
        if p.is_wildcard() || q.is_wildcard() || s.by_name {
            continue;
        }
        if q.full_model() == p.full_model() {
            cx.error(
                Code::Duplicate,
                &child(&s.path, "model"),
                s.model_pos,
                format!(
                    "model `{}` is already configured at line {}",
                    p.full_model(),
                    qs.model_pos.line
                ),
            );
            return;
        }
        if q.model == p.model {
            cx.error(
                Code::Duplicate,
                &child(&s.path, "model"),
                s.model_pos,
                format!(
                    "model id `{}` is also served by `{}` (line {}); requests and aliases naming \
                     the bare id would be ambiguous",
                    p.model.as_deref().unwrap_or(""),
                    q.full_model(),
                    qs.model_pos.line
                ),
            );
            return;
        }
    }
    if let Some(pos) = s.default_pos
        && let Some((q, qs)) = out.iter().zip(seen).find(|(q, _)| q.default)
    {
        cx.error(
            Code::Duplicate,
            &child(&s.path, "default"),
            pos,
            format!(
                "only one provider can be the default; `{}` (line {}) already is",
                q.name,
                qs.default_pos.map_or(0, |p| p.line)
            ),
        );
    }
}

fn provider(
    p: &RawProvider,
    path: &str,
    endpoints: &BTreeMap<String, Endpoint>,
    cx: &mut Cx<'_>,
) -> Option<Provider> {
    let model = p.model.as_ref()?;
    let interface = match (&p.provider_interface, &p.provider) {
        (Some(i), Some(old)) => {
            cx.error(
                Code::Conflict,
                &child(path, "provider"),
                old.pos,
                "use provider_interface or the deprecated provider, not both",
            );
            Some(i)
        }
        (Some(i), None) => Some(i),
        (None, Some(old)) => {
            cx.warn(
                Code::Deprecated,
                &child(path, "provider"),
                old.pos,
                "`provider` is deprecated; use `provider_interface`",
            );
            Some(old)
        }
        (None, None) => None,
    };
    let model_path = child(path, "model");
    let (prefix, id) = match (model.value.split_once('/'), interface) {
        (Some((prefix, id)), _) => (prefix.trim().to_owned(), id.trim().to_owned()),
        (None, Some(i)) => (i.value.clone(), model.value.trim().to_owned()),
        (None, None) => {
            cx.error(
                Code::InvalidValue,
                &model_path,
                model.pos,
                format!(
                    "invalid model `{}`; expected `<provider>/<model-id>` (like `openai/gpt-4o`) \
                     or `<provider>/*`",
                    model.value
                ),
            );
            return None;
        }
    };
    if prefix.is_empty() || id.is_empty() {
        cx.error(
            Code::InvalidValue,
            &model_path,
            model.pos,
            format!(
                "invalid model `{}`; the provider and model id must not be empty",
                model.value
            ),
        );
        return None;
    }
    let wildcard = id == "*" || id.ends_with("/*");
    let base_url = base_url(p, path, endpoints, cx);
    let has_upstream = p.base_url.is_some() || p.endpoint.is_some();
    let spec = spec(&prefix, interface, has_upstream, model, path, cx)?;

    if base_url.is_none()
        && spec.base_url.is_none_or(|u| u.contains('{'))
        && p.base_url.is_none()
        && p.endpoint.is_none()
    {
        let message = format!(
            "provider `{}` needs `base_url` (it has no default upstream)",
            spec.id
        );
        // Configs from v0.1 and v0.2 name Plano's hosted models (Arch-Router, Arch-Function)
        // without a URL, which Plano supplied then; they load, and requests fail until set.
        if spec.id == "plano" {
            cx.warn(Code::MissingKey, path, p.at, message);
        } else {
            cx.error(Code::MissingKey, path, p.at, message);
        }
    }
    if let Some(d) = &p.default
        && d.value
        && wildcard
    {
        cx.error(
            Code::InvalidValue,
            &child(path, "default"),
            d.pos,
            format!("a wildcard model (`{}`) cannot be the default", model.value),
        );
    }
    if let Some(prefs) = &p.routing_preferences {
        if wildcard {
            cx.error(
                Code::InvalidValue,
                &child(path, "routing_preferences"),
                prefs.pos,
                "a wildcard model cannot have routing_preferences",
            );
        } else {
            cx.warn(
                Code::Deprecated,
                &child(path, "routing_preferences"),
                prefs.pos,
                "routing_preferences under a provider is deprecated (v0.3); use the top-level \
                 routing_preferences list",
            );
        }
    }
    if let Some(u) = &p.usage {
        cx.warn(
            Code::Deprecated,
            &child(path, "usage"),
            u.pos,
            "usage is deprecated (v0.1) and not acted on; use routing_preferences",
        );
    }
    let passthrough_auth = p.passthrough_auth.as_ref().is_some_and(|v| v.value);
    let access_key = p.access_key.as_ref().and_then(|k| {
        if passthrough_auth {
            cx.warn(
                Code::Conflict,
                &child(path, "access_key"),
                k.pos,
                "passthrough_auth is true, so access_key is ignored and the client's \
                 Authorization header is forwarded",
            );
        }
        cx.secret(k, &child(path, "access_key"))
    });
    let mut headers = Vec::new();
    for (name, value) in p.headers.iter().flat_map(|h| h.value.0.iter()) {
        let hp = child(&child(path, "headers"), &name.value);
        if !is_header_name(&name.value) {
            cx.error(
                Code::InvalidValue,
                &hp,
                name.pos,
                format!("invalid header name `{}`", name.value),
            );
        }
        if let Some(v) = cx.secret(value, &hp) {
            headers.push((name.value.clone(), v));
        }
    }
    let http_host = p
        .http_host
        .as_ref()
        .and_then(|h| match parse_host_port(&h.value) {
            Ok(_) => Some(h.value.clone()),
            Err(e) => {
                cx.error(
                    Code::InvalidValue,
                    &child(path, "http_host"),
                    h.pos,
                    format!("invalid http_host: {e}"),
                );
                None
            }
        });
    Some(Provider {
        name: p
            .name
            .as_ref()
            .map_or_else(|| model.value.clone(), |n| n.value.clone()),
        provider: prefix,
        model: (!wildcard).then_some(id),
        spec,
        base_url,
        http_host,
        access_key,
        passthrough_auth,
        headers,
        default: p.default.as_ref().is_some_and(|d| d.value),
        inline_routes: p
            .routing_preferences
            .iter()
            .flat_map(|r| r.value.iter())
            .filter(|_| !wildcard)
            .filter_map(|r| Some((r.name.clone()?.value, r.description.clone()?.value)))
            .collect(),
        pos: p.at,
    })
}

/// The catalog entry for a provider prefix and optional `provider_interface`.
fn spec(
    prefix: &str,
    interface: Option<&Spanned<String>>,
    has_base_url: bool,
    model: &Spanned<String>,
    path: &str,
    cx: &mut Cx<'_>,
) -> Option<&'static ProviderSpec> {
    let interface_spec = match interface {
        Some(i) => match lookup(&i.value) {
            Some(s) => Some((s, i)),
            None => {
                cx.error(
                    Code::InvalidValue,
                    &child(path, "provider_interface"),
                    i.pos,
                    format!(
                        "unknown provider_interface `{}`{}",
                        i.value,
                        suggest(&i.value)
                    ),
                );
                return None;
            }
        },
        None => None,
    };
    match (lookup(prefix), interface_spec) {
        (Some(spec), None) => Some(spec),
        (Some(spec), Some((ispec, i))) => {
            if ispec.id != spec.id {
                cx.error(
                    Code::Conflict,
                    &child(path, "provider_interface"),
                    i.pos,
                    format!(
                        "model `{}` names provider `{prefix}` but provider_interface is `{}`; \
                         drop provider_interface",
                        model.value, i.value
                    ),
                );
            }
            Some(spec)
        }
        (None, Some((ispec, _))) => {
            if !has_base_url {
                cx.error(
                    Code::MissingKey,
                    path,
                    model.pos,
                    format!("provider `{prefix}` is not in the catalog; with provider_interface it also needs `base_url`"),
                );
            }
            Some(ispec)
        }
        (None, None) => {
            cx.error(
                Code::InvalidValue,
                &child(path, "model"),
                model.pos,
                format!(
                    "unknown provider `{prefix}`{}; a provider outside the catalog needs \
                     `base_url` and `provider_interface`",
                    suggest(prefix)
                ),
            );
            None
        }
    }
}

fn suggest(name: &str) -> String {
    let names: Vec<&str> = PROVIDERS
        .iter()
        .flat_map(|p| std::iter::once(p.id).chain(p.aliases.iter().copied()))
        .collect();
    match closest(name, &names) {
        Some(c) => format!(" (did you mean `{c}`?)"),
        None => {
            let ids: Vec<&str> = PROVIDERS.iter().map(|p| p.id).collect();
            format!(" (known providers: {})", ids.join(", "))
        }
    }
}

/// `base_url`, or the deprecated v0.1 `endpoint` (an `endpoints` name or `host:port`) with
/// `protocol`.
fn base_url(
    p: &RawProvider,
    path: &str,
    endpoints: &BTreeMap<String, Endpoint>,
    cx: &mut Cx<'_>,
) -> Option<BaseUrl> {
    if let Some(u) = &p.base_url {
        if let Some(e) = &p.endpoint {
            cx.error(
                Code::Conflict,
                &child(path, "endpoint"),
                e.pos,
                "use base_url or the deprecated endpoint, not both",
            );
        }
        return match parse_base_url(&u.value) {
            Ok(url) => Some(url),
            Err(e) => {
                cx.error(Code::InvalidValue, &child(path, "base_url"), u.pos, e);
                None
            }
        };
    }
    let e = p.endpoint.as_ref()?;
    cx.warn(
        Code::Deprecated,
        &child(path, "endpoint"),
        e.pos,
        "`endpoint` is deprecated; use `base_url` (like `https://host:port`)",
    );
    if let Some(named) = endpoints.get(&e.value) {
        let protocol = named.protocol;
        return Some(BaseUrl {
            protocol,
            host: named.host.clone(),
            port: named.port.unwrap_or(default_port(protocol)),
            path_prefix: String::new(),
        });
    }
    let protocol = p.protocol.as_ref().map_or(Protocol::Http, |p| p.value);
    match parse_host_port(&e.value) {
        Ok((host, port)) => Some(BaseUrl {
            protocol,
            host,
            port: port.unwrap_or(default_port(protocol)),
            path_prefix: String::new(),
        }),
        Err(msg) => {
            cx.error(
                Code::InvalidValue,
                &child(path, "endpoint"),
                e.pos,
                format!("invalid endpoint `{}`: {msg}", e.value),
            );
            None
        }
    }
}

fn default_port(protocol: Protocol) -> u16 {
    match protocol {
        Protocol::Http => 80,
        Protocol::Https => 443,
    }
}
