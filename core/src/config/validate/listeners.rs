//! Listeners (both forms), agents and filters.

use std::collections::BTreeMap;

use super::Cx;
use crate::config::diag::{Code, Pos, Spanned, child, index};
use crate::config::enums::ListenerKind;
use crate::config::model::Listener;
use crate::config::raw::{RawConfig, RawLegacyListener, RawListener, RawListeners};
use crate::config::values::parse_base_url;

/// Agent and filter ids, with where each was defined.
pub(crate) type Ids = BTreeMap<String, Pos>;

/// Checks `agents` and `filters` (ids unique across both, URLs valid) and returns the ids.
pub(crate) fn agents_and_filters(raw: &RawConfig, cx: &mut Cx<'_>) -> Ids {
    let mut ids = Ids::new();
    let agents = raw.agents.iter().flat_map(|a| {
        a.value
            .iter()
            .enumerate()
            .map(|(i, a)| (index("agents", i), &a.id, &a.url))
    });
    let filters = raw.filters.iter().flat_map(|f| {
        f.value
            .iter()
            .enumerate()
            .map(|(i, f)| (index("filters", i), &f.id, &f.url))
    });
    for (path, id, url) in agents.chain(filters).collect::<Vec<_>>() {
        if let Some(id) = id {
            if let Some(first) = ids.get(&id.value) {
                cx.error(
                    Code::Duplicate,
                    &child(&path, "id"),
                    id.pos,
                    format!(
                        "agent or filter id `{}` is already defined at line {}",
                        id.value, first.line
                    ),
                );
            } else {
                ids.insert(id.value.clone(), id.pos);
            }
        }
        if let Some(url) = url
            && let Err(e) = parse_base_url(&url.value)
        {
            cx.error(Code::InvalidValue, &child(&path, "url"), url.pos, e);
        }
    }
    cx.not_acted_on("", "agents", &raw.agents, "agent orchestration");

    ids
}

/// The listeners, with Plano's defaults: the legacy object becomes `egress_traffic` (model,
/// port 12000) and `ingress_traffic` (prompt, port 10000); a config without a model listener
/// gets the default one.
pub(crate) fn listeners(raw: &RawConfig, ids: &Ids, cx: &mut Cx<'_>) -> Vec<Listener> {
    let mut out = Vec::new();
    let mut paths = Vec::new();
    match raw.listeners.as_ref().map(|l| &l.value) {
        None => {}
        Some(RawListeners::Legacy(legacy)) => {
            if let Some(l) = &raw.listeners {
                cx.warn(
                    Code::Deprecated,
                    "listeners",
                    l.pos,
                    "the ingress_traffic/egress_traffic object is deprecated; use a list of listeners",
                );
            }
            let mut add = |key: &str, field: &Option<Spanned<RawLegacyListener>>, kind, port| {
                let Some(l) = field else { return };
                let path = child("listeners", key);
                let timeout = l
                    .value
                    .timeout
                    .as_ref()
                    .and_then(|t| cx.duration(t, &child(&path, "timeout")));
                paths.push(path.clone());
                out.push(Listener {
                    name: key.to_owned(),
                    kind,
                    address: l
                        .value
                        .address
                        .as_ref()
                        .map_or_else(|| "0.0.0.0".into(), |a| a.value.clone()),
                    port: l.value.port.as_ref().map_or(port, |p| p.value),
                    timeout,
                    max_retries: None,
                    input_filters: Vec::new(),
                    output_filters: Vec::new(),
                    pos: l.pos,
                });
            };
            add(
                "egress_traffic",
                &legacy.egress_traffic,
                ListenerKind::Model,
                12000,
            );
            add(
                "ingress_traffic",
                &legacy.ingress_traffic,
                ListenerKind::Prompt,
                10000,
            );
        }
        Some(RawListeners::List(list)) => {
            for (i, l) in list.iter().enumerate() {
                let path = index("listeners", i);
                if let Some(listener) = listener(&l.value, &path, ids, cx) {
                    out.push(listener);
                    paths.push(path);
                }
            }
        }
    }
    if let Some(l) = &raw.listener {
        cx.warn(
            Code::Deprecated,
            "listener",
            l.pos,
            "`listener` is deprecated; use a list of listeners (this one is a prompt listener, \
             not acted on yet)",
        );
        let timeout = l
            .value
            .timeout
            .as_ref()
            .and_then(|t| cx.duration(t, "listener.timeout"));
        if let Some(t) = &l.value.connect_timeout {
            cx.duration(t, "listener.connect_timeout");
        }
        paths.push("listener".to_owned());
        out.push(Listener {
            name: "listener".into(),
            kind: ListenerKind::Prompt,
            address: l
                .value
                .address
                .as_ref()
                .map_or_else(|| "0.0.0.0".into(), |a| a.value.clone()),
            port: l.value.port.as_ref().map_or(10000, |p| p.value),
            timeout,
            max_retries: None,
            input_filters: Vec::new(),
            output_filters: Vec::new(),
            pos: l.pos,
        });
    }
    check_unique(&out, &paths, cx);
    if !out.iter().any(|l| l.kind == ListenerKind::Model) {
        out.push(Listener {
            name: "egress_traffic".into(),
            kind: ListenerKind::Model,
            address: "0.0.0.0".into(),
            port: 12000,
            timeout: None,
            max_retries: None,
            input_filters: Vec::new(),
            output_filters: Vec::new(),
            pos: Pos::default(),
        });
    }
    out
}

fn listener(l: &RawListener, path: &str, ids: &Ids, cx: &mut Cx<'_>) -> Option<Listener> {
    let timeout = l
        .timeout
        .as_ref()
        .and_then(|t| cx.duration(t, &child(path, "timeout")));
    check_ids(&l.input_filters, &child(path, "input_filters"), ids, cx);
    check_ids(&l.output_filters, &child(path, "output_filters"), ids, cx);
    if let Some(agents) = &l.agents {
        for (i, a) in agents.value.iter().enumerate() {
            let p = index(&child(path, "agents"), i);
            // Plano does not check these (agent orchestration resolves them at request time),
            // so an unknown one is a warning, not an error.
            if let Some(id) = &a.id
                && !ids.contains_key(&id.value)
            {
                cx.warn(
                    Code::UnknownReference,
                    &child(&p, "id"),
                    id.pos,
                    format!("agent `{}` is not defined in agents", id.value),
                );
            }
            check_ids(&a.input_filters, &child(&p, "input_filters"), ids, cx);
            check_ids(&a.filter_chain, &child(&p, "filter_chain"), ids, cx);
            if let Some(f) = &a.filter_chain {
                cx.warn(
                    Code::Deprecated,
                    &child(&p, "filter_chain"),
                    f.pos,
                    "filter_chain is deprecated; rename it to input_filters",
                );
            }
        }
    }
    let kind = l.kind.as_ref()?;
    match kind.value {
        ListenerKind::Model => {
            let what = "agent routing on a model listener";
            cx.not_acted_on(path, "router", &l.router, what);
            cx.not_acted_on(path, "agents", &l.agents, what);
        }
        ListenerKind::Prompt => {}
        _ => cx.warn(
            Code::NotActedOn,
            &child(path, "type"),
            kind.pos,
            "accepted but not acted on yet: agent listeners (agent orchestration)",
        ),
    }
    Some(Listener {
        name: l.name.as_ref()?.value.clone(),
        kind: kind.value,
        address: l
            .address
            .as_ref()
            .map_or_else(|| "0.0.0.0".into(), |a| a.value.clone()),
        port: l.port.as_ref().map_or(
            match kind.value {
                ListenerKind::Model => 12000,
                ListenerKind::Prompt => 10000,
                _ => 8001,
            },
            |p| p.value,
        ),
        timeout,
        max_retries: l.max_retries.as_ref().map(|m| m.value),
        input_filters: l
            .input_filters
            .iter()
            .flat_map(|f| f.value.iter())
            .map(|f| f.value.clone())
            .collect(),
        output_filters: l
            .output_filters
            .iter()
            .flat_map(|f| f.value.iter())
            .map(|f| f.value.clone())
            .collect(),
        pos: l.at,
    })
}

fn check_ids(list: &Option<Spanned<Vec<Spanned<String>>>>, path: &str, ids: &Ids, cx: &mut Cx<'_>) {
    for (i, id) in list.iter().flat_map(|l| l.value.iter()).enumerate() {
        if !ids.contains_key(&id.value) {
            unknown_id(&id.value, id.pos, &index(path, i), ids, cx);
        }
    }
}

fn unknown_id(id: &str, pos: Pos, path: &str, ids: &Ids, cx: &mut Cx<'_>) {
    let known: Vec<&str> = ids.keys().map(String::as_str).collect();
    let hint = match crate::config::decode::closest(id, &known) {
        Some(c) => format!("; did you mean `{c}`?"),
        None if known.is_empty() => "; no agents or filters are defined".to_owned(),
        None => format!("; defined ids: {}", known.join(", ")),
    };
    cx.error(
        Code::UnknownReference,
        path,
        pos,
        format!("`{id}` is not an id in agents or filters{hint}"),
    );
}

fn check_unique(listeners: &[Listener], paths: &[String], cx: &mut Cx<'_>) {
    for ((i, l), path) in listeners.iter().enumerate().zip(paths) {
        let earlier = listeners.get(..i).unwrap_or(&[]);
        if let Some(first) = earlier.iter().find(|e| e.name == l.name) {
            cx.error(
                Code::Duplicate,
                &child(path, "name"),
                l.pos,
                format!(
                    "listener name `{}` is already used at line {}",
                    l.name, first.pos.line
                ),
            );
        } else if let Some(first) = earlier
            .iter()
            .find(|e| e.port == l.port && e.address == l.address)
        {
            cx.error(
                Code::Duplicate,
                &child(path, "port"),
                l.pos,
                format!(
                    "port {} is already used by listener `{}`",
                    l.port, first.name
                ),
            );
        }
        if l.kind == ListenerKind::Model
            && let Some(first) = earlier.iter().find(|e| e.kind == ListenerKind::Model)
        {
            cx.error(
                Code::Conflict,
                &child(path, "type"),
                l.pos,
                format!(
                    "only one model listener is supported; `{}` is already one",
                    first.name
                ),
            );
        }
    }
}

/// The typed `filters`.
pub(crate) fn filters(raw: &RawConfig) -> Vec<crate::config::model::Filter> {
    raw.filters
        .iter()
        .flat_map(|f| f.value.iter())
        .filter_map(|f| {
            let id = f.id.as_ref()?.value.clone();
            Some(crate::config::model::Filter {
                url: f.url.as_ref()?.value.trim_end_matches('/').to_owned(),
                kind: f
                    .kind
                    .as_ref()
                    .map_or(crate::config::enums::FilterKind::Mcp, |k| k.value),
                tool: f
                    .tool
                    .as_ref()
                    .map_or_else(|| id.clone(), |t| t.value.clone()),
                id,
            })
        })
        .collect()
}
