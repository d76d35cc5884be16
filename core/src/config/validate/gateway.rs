//! The `gateway` section (this gateway's own settings), with defaults.

use super::Cx;
use crate::config::decode::DurationText;
use crate::config::diag::{Code, Spanned, child};
use crate::config::enums::StateBackend;
use crate::config::model::{DEFAULT_BODY_LIMIT, Gateway, HostStates, StateTarget, Timeouts};
use crate::config::raw::{RawConfig, RawSize, RawStateTarget};
use crate::config::values::parse_size;

/// Checks `gateway` and applies defaults; `overrides.upstream_connect_timeout` sets the
/// connect timeout when `gateway.timeouts.connect` does not.
pub(crate) fn gateway(raw: &RawConfig, cx: &mut Cx<'_>) -> Gateway {
    super::telemetry::state_storage(raw, cx);
    let mut out = Gateway {
        body_limit: DEFAULT_BODY_LIMIT,
        timeouts: Timeouts::default(),
        state: HostStates::default(),
    };
    let plano_connect = raw
        .overrides
        .as_ref()
        .and_then(|o| o.value.upstream_connect_timeout.as_ref());
    if let Some(t) = plano_connect
        && let Ok(d) = crate::config::values::parse_duration(&t.value.0)
        && !d.is_zero()
    {
        out.timeouts.connect = d;
    }
    let Some(g) = &raw.gateway else {
        return out;
    };
    let g = &g.value;
    if let Some(size) = &g.body_limit {
        let bytes = match &size.value {
            RawSize::Bytes(b) => Ok(*b),
            RawSize::Text(t) => parse_size(t),
        };
        match bytes {
            Ok(0) => cx.error(
                Code::InvalidValue,
                "gateway.body_limit",
                size.pos,
                "body_limit must be greater than zero",
            ),
            Ok(b) => out.body_limit = b,
            Err(e) => cx.error(Code::InvalidValue, "gateway.body_limit", size.pos, e),
        }
    }
    if let Some(t) = &g.timeouts {
        let path = "gateway.timeouts";
        let mut set =
            |field: &Option<Spanned<DurationText>>, key: &str, slot: &mut std::time::Duration| {
                if let Some(f) = field
                    && let Some(d) = cx.duration(f, &child(path, key))
                {
                    *slot = d;
                }
            };
        set(&t.value.connect, "connect", &mut out.timeouts.connect);
        set(&t.value.request, "request", &mut out.timeouts.request);
        set(&t.value.idle, "idle", &mut out.timeouts.idle);
        if let (Some(ours), Some(plano)) = (&t.value.connect, plano_connect) {
            cx.warn(
                Code::Conflict,
                "overrides.upstream_connect_timeout",
                plano.pos,
                format!(
                    "gateway.timeouts.connect (line {}) takes precedence",
                    ours.pos.line
                ),
            );
        }
    }
    if let Some(s) = &g.state {
        let s = &s.value;
        let hosts: [HostSlot<'_>; 5] = [
            (
                "native",
                &s.native,
                &mut out.state.native,
                &[StateBackend::Memory, StateBackend::File],
            ),
            (
                "workers",
                &s.workers,
                &mut out.state.workers,
                &[
                    StateBackend::Memory,
                    StateBackend::WorkersKv,
                    StateBackend::DurableObject,
                ],
            ),
            (
                "spin",
                &s.spin,
                &mut out.state.spin,
                &[StateBackend::Memory, StateBackend::SpinKv],
            ),
            (
                "lambda",
                &s.lambda,
                &mut out.state.lambda,
                &[StateBackend::Memory, StateBackend::Dynamodb],
            ),
            (
                "envoy",
                &s.envoy,
                &mut out.state.envoy,
                &[StateBackend::Memory, StateBackend::SharedData],
            ),
        ];
        for (host, field, slot, allowed) in hosts {
            if let Some(t) = field
                && let Some(target) =
                    state_target(&t.value, &child("gateway.state", host), host, allowed, cx)
            {
                *slot = target;
            }
        }
    }
    out
}

/// A host's name, its raw setting, where the result goes, and the backends it can use.
type HostSlot<'a> = (
    &'static str,
    &'a Option<Spanned<RawStateTarget>>,
    &'a mut StateTarget,
    &'static [StateBackend],
);

fn state_target(
    t: &RawStateTarget,
    path: &str,
    host: &str,
    allowed: &[StateBackend],
    cx: &mut Cx<'_>,
) -> Option<StateTarget> {
    let backend = t.backend.as_ref()?;
    if !allowed.contains(&backend.value) {
        let names: Vec<&str> = allowed.iter().map(|b| b.as_str()).collect();
        cx.error(
            Code::InvalidValue,
            &child(path, "backend"),
            backend.pos,
            format!(
                "backend `{}` is not available on {host}; expected one of: {}",
                backend.value,
                names.join(", ")
            ),
        );
        return None;
    }
    let (wanted, default): (Option<&str>, Option<&str>) = match backend.value {
        StateBackend::File => (Some("path"), None),
        StateBackend::WorkersKv => (Some("binding"), Some("PLANO_STATE")),
        StateBackend::DurableObject => (Some("binding"), Some("PLANO_COUNTERS")),
        StateBackend::SpinKv => (Some("store"), Some("default")),
        StateBackend::Dynamodb => (Some("table"), Some("plano-state")),
        _ => (None, None),
    };
    let mut name = None;
    for (key, field) in [
        ("path", &t.path),
        ("binding", &t.binding),
        ("store", &t.store),
        ("table", &t.table),
    ] {
        let Some(f) = field else { continue };
        if Some(key) == wanted {
            if f.value.trim().is_empty() {
                cx.error(
                    Code::InvalidValue,
                    &child(path, key),
                    f.pos,
                    format!("{key} must not be empty"),
                );
            }
            name = Some(f.value.clone());
        } else {
            cx.error(
                Code::Conflict,
                &child(path, key),
                f.pos,
                format!("`{key}` does not apply to backend `{}`", backend.value),
            );
        }
    }
    let name = match (name, default, wanted) {
        (Some(n), _, _) => n,
        (None, Some(d), _) => d.to_owned(),
        (None, None, Some(key)) => {
            cx.error(
                Code::MissingKey,
                path,
                t.at,
                format!("backend `{}` needs `{key}`", backend.value),
            );
            return None;
        }
        (None, None, None) => String::new(),
    };
    Some(match backend.value {
        StateBackend::File => StateTarget::File { path: name },
        StateBackend::WorkersKv => StateTarget::WorkersKv { binding: name },
        StateBackend::DurableObject => StateTarget::DurableObject { binding: name },
        StateBackend::SpinKv => StateTarget::SpinKv { store: name },
        StateBackend::Dynamodb => StateTarget::Dynamodb { table: name },
        StateBackend::SharedData => StateTarget::SharedData,
        _ => StateTarget::Memory,
    })
}
