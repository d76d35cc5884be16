//! Sections that name models: aliases, rate limits, routing preferences.

use std::collections::BTreeMap;
use std::num::NonZeroU64;

use super::Cx;
use crate::config::decode::closest;
use crate::config::diag::{Code, Pos, Spanned, child, index};
use crate::config::model::{Alias, Provider, RateLimit, RoutePreference, SelectorValue};
use crate::config::raw::RawConfig;
use crate::config::values::is_header_name;

/// Resolves a model reference the way requests will: a provider name, `provider/model`, a
/// bare model id, or `provider/anything` covered by a wildcard provider.
pub(crate) fn resolve_model<'p>(target: &str, providers: &'p [Provider]) -> Option<&'p Provider> {
    providers
        .iter()
        .find(|p| p.name == target)
        .or_else(|| {
            providers
                .iter()
                .find(|p| !p.is_wildcard() && p.full_model() == target)
        })
        .or_else(|| {
            providers
                .iter()
                .find(|p| p.model.as_deref() == Some(target))
        })
        .or_else(|| {
            let (prefix, _) = target.split_once('/')?;
            providers
                .iter()
                .find(|p| p.is_wildcard() && p.provider == prefix)
        })
}

fn unknown_model(
    target: &Spanned<String>,
    path: &str,
    what: &str,
    consequence: Option<&str>,
    providers: &[Provider],
    cx: &mut Cx<'_>,
) {
    let mut names: Vec<String> = Vec::new();
    for p in providers {
        names.push(p.name.clone());
        if let Some(m) = &p.model {
            names.push(m.clone());
        }
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let hint = match closest(&target.value, &refs) {
        Some(c) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    };
    let message = format!("{what} `{}` is not a configured model", target.value);
    // Plano accepts these (they simply never match), so they load with a warning.
    match consequence {
        Some(c) => cx.warn(
            Code::UnknownReference,
            path,
            target.pos,
            format!("{message}; {c}{hint}"),
        ),
        None => cx.error(
            Code::UnknownReference,
            path,
            target.pos,
            format!("{message}{hint}"),
        ),
    }
}

/// Checks `model_aliases`: each target resolves to a provider.
pub(crate) fn aliases(raw: &RawConfig, providers: &[Provider], cx: &mut Cx<'_>) -> Vec<Alias> {
    let mut out = Vec::new();
    for (name, alias) in raw.model_aliases.iter().flat_map(|a| a.value.0.iter()) {
        let path = child(&child("model_aliases", &name.value), "target");
        let Some(target) = &alias.value.target else {
            continue;
        };
        match resolve_model(&target.value, providers) {
            Some(p) => out.push(Alias {
                name: name.value.clone(),
                target: target.value.clone(),
                provider: p.name.clone(),
                pos: name.pos,
            }),
            None if providers.is_empty() => {}
            None => unknown_model(target, &path, "alias target", None, providers, cx),
        }
    }
    out
}

/// Checks `ratelimits`: known model, valid header, at least one token.
pub(crate) fn rate_limits(
    raw: &RawConfig,
    providers: &[Provider],
    cx: &mut Cx<'_>,
) -> Vec<RateLimit> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<(String, String, String), Pos> = BTreeMap::new();
    for (i, r) in raw
        .ratelimits
        .iter()
        .flat_map(|r| r.value.iter())
        .enumerate()
    {
        let path = index("ratelimits", i);
        let model = match (&r.model, &r.provider) {
            (Some(m), Some(old)) => {
                cx.error(
                    Code::Conflict,
                    &child(&path, "provider"),
                    old.pos,
                    "use model or the deprecated provider, not both",
                );
                Some(m)
            }
            (Some(m), None) => Some(m),
            (None, Some(old)) => {
                cx.warn(
                    Code::Deprecated,
                    &child(&path, "provider"),
                    old.pos,
                    "provider is deprecated here; rename it to model",
                );
                Some(old)
            }
            (None, None) => {
                if !r.seen.contains(&"model") && !r.seen.contains(&"provider") {
                    cx.error(
                        Code::MissingKey,
                        &path,
                        r.at,
                        "missing required key `model`",
                    );
                }
                None
            }
        };
        let provider = model.and_then(|m| {
            let p = resolve_model(&m.value, providers);
            if p.is_none() && !providers.is_empty() {
                unknown_model(
                    m,
                    &child(&path, "model"),
                    "rate-limited model",
                    Some("the limit never applies"),
                    providers,
                    cx,
                );
            }
            p
        });
        let selector = r.selector.as_ref().map(|s| &s.value);
        let header = selector.and_then(|s| s.key.as_ref()).and_then(|k| {
            if is_header_name(&k.value) {
                Some(k.value.to_ascii_lowercase())
            } else {
                cx.error(
                    Code::InvalidValue,
                    &child(&child(&path, "selector"), "key"),
                    k.pos,
                    format!("invalid header name `{}`", k.value),
                );
                None
            }
        });
        let value = selector.and_then(|s| s.value.as_ref()).map(|v| {
            if v.value == "*" {
                SelectorValue::Each
            } else {
                SelectorValue::Exactly(v.value.clone())
            }
        });
        let limit = r.limit.as_ref().map(|l| &l.value);
        let tokens = limit.and_then(|l| l.tokens.as_ref()).and_then(|t| {
            let n = NonZeroU64::new(t.value);
            if n.is_none() {
                cx.error(
                    Code::InvalidValue,
                    &child(&child(&path, "limit"), "tokens"),
                    t.pos,
                    "tokens must be at least 1 (a zero budget would reject every request)",
                );
            }
            n
        });
        let unit = limit.and_then(|l| l.unit.as_ref()).map(|u| u.value);
        let (Some(provider), Some(header), Some(value), Some(tokens), Some(unit), Some(model)) =
            (provider, header, value, tokens, unit, model)
        else {
            continue;
        };
        let key = (
            provider.name.clone(),
            header.clone(),
            match &value {
                SelectorValue::Each => "*".to_owned(),
                SelectorValue::Exactly(v) => format!("={v}"),
            },
        );
        if let Some(first) = seen.get(&key) {
            cx.error(
                Code::Duplicate,
                &path,
                r.at,
                format!(
                    "a rate limit for `{}` with the same selector is already defined at line {}",
                    model.value, first.line
                ),
            );
            continue;
        }
        seen.insert(key, r.at);
        out.push(RateLimit {
            model: model.value.clone(),
            providers: vec![provider.name.clone()],
            header,
            value,
            tokens,
            unit,
            pos: r.at,
        });
    }
    out
}

/// Checks top-level `routing_preferences` (unique names, known models) and returns them.
pub(crate) fn routing_preferences(
    raw: &RawConfig,
    providers: &[Provider],
    cx: &mut Cx<'_>,
) -> Vec<RoutePreference> {
    let mut out = Vec::new();
    let mut names: BTreeMap<&str, Pos> = BTreeMap::new();
    for (i, pref) in raw
        .routing_preferences
        .iter()
        .flat_map(|r| r.value.iter())
        .enumerate()
    {
        let path = index("routing_preferences", i);
        if let Some(name) = &pref.name {
            if let Some(first) = names.get(name.value.as_str()) {
                cx.error(
                    Code::Duplicate,
                    &child(&path, "name"),
                    name.pos,
                    format!(
                        "routing preference `{}` is already defined at line {}",
                        name.value, first.line
                    ),
                );
            } else {
                names.insert(&name.value, name.pos);
            }
        }
        if let Some(models) = &pref.models {
            if models.value.is_empty() {
                cx.error(
                    Code::InvalidValue,
                    &child(&path, "models"),
                    models.pos,
                    "list at least one model",
                );
            }
            for (j, m) in models.value.iter().enumerate() {
                if resolve_model(&m.value, providers).is_none() && !providers.is_empty() {
                    unknown_model(
                        m,
                        &index(&child(&path, "models"), j),
                        "model",
                        Some("it is never chosen"),
                        providers,
                        cx,
                    );
                }
            }
        }
        if let (Some(name), Some(description), Some(models)) =
            (&pref.name, &pref.description, &pref.models)
        {
            let mut p = RoutePreference::new(
                name.value.clone(),
                description.value.clone(),
                models.value.iter().map(|m| m.value.clone()).collect(),
            );
            if let Some(policy) = &pref.selection_policy
                && let Some(prefer) = &policy.value.prefer
            {
                p.prefer = prefer.value;
            }
            out.push(p);
        }
    }
    out
}
