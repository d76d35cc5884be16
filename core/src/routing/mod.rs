//! Preference-based LLM routing: a router model picks one of the operator's routes (plain
//! language task descriptions) for each request, and the route's models serve it.
//!
//! The pieces, each pure: [`prompt`] builds the router call from the routes and a trimmed
//! conversation, [`answer`] reads the router's reply, [`rank`] orders a route's models by
//! the configured prices or latencies, [`pin`] keeps a session's decision in the state store.
//! [`crate::exchange`] drives them: the router call is sent like an upstream attempt (the
//! host sees one more `Send`), and any router failure falls back to the model the client
//! asked for — routing never turns into an error for the client.
//!
//! # When a request is routed
//!
//! The config has routes and a router model a provider serves (or the request body brings
//! its own `routing_preferences`), the client did not name a provider with the hint header,
//! and the conversation ends with a user message (a tool result or an assistant turn reuses
//! the session's pinned decision, or goes to the requested model). A pin
//! (`x-model-affinity`, scoped by the optional tenant header) skips the router call.

pub mod answer;
pub mod pin;
pub mod prompt;
pub mod rank;

use crate::config::{Config, RoutePreference, Routing};

/// The header that names a session whose routing decision is pinned.
pub const AFFINITY_HEADER: &str = "x-model-affinity";

/// The body key a client uses to bring its own routes (removed before forwarding).
pub const BODY_PREFERENCES_KEY: &str = "routing_preferences";

/// A routing decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The chosen route; `None` when the router chose none (or failed).
    pub route: Option<String>,
    /// The models to try, best first; empty means the client's requested model.
    pub models: Vec<String>,
    /// How the decision was reached.
    pub source: Source,
    /// Router call latency, when one was made.
    pub router_ms: Option<u64>,
}

/// How a [`Decision`] was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The router model chose a route.
    Router,
    /// The router answered with no route (`other`, or a name that is not a route).
    NoRoute,
    /// The router call failed (status, timeout, unreadable answer).
    RouterFailed,
    /// The session's pin.
    Pinned,
    /// Not routed: the turn is a tool result or assistant turn with no pin.
    NotUserTurn,
}

impl Source {
    /// The telemetry name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Router => "router",
            Source::NoRoute => "no_route",
            Source::RouterFailed => "router_failed",
            Source::Pinned => "pinned",
            Source::NotUserTurn => "not_user_turn",
        }
    }
}

/// The routes a request is routed over: its own (`routing_preferences` in the body) or the
/// config's; `None` when routing does not apply.
pub fn routes_for<'a>(
    config: &'a Config,
    from_body: Option<&'a [RoutePreference]>,
) -> Option<&'a [RoutePreference]> {
    let r: &Routing = &config.routing;
    r.router_model.as_ref()?;
    match from_body {
        Some(prefs) if !prefs.is_empty() => Some(prefs),
        _ => (!r.preferences.is_empty()).then_some(r.preferences.as_slice()),
    }
}

/// The decision for a router answer naming `route` (ranked models), or the fallback when
/// the name is not one of `routes`.
pub fn decide(
    config: &Config,
    routes: &[RoutePreference],
    route: Option<&str>,
    router_ms: Option<u64>,
) -> Decision {
    match route.and_then(|name| routes.iter().find(|r| r.name == name)) {
        Some(r) => Decision {
            route: Some(r.name.clone()),
            models: rank::rank(&config.routing, r),
            source: Source::Router,
            router_ms,
        },
        None => Decision {
            route: None,
            models: Vec::new(),
            source: Source::NoRoute,
            router_ms,
        },
    }
}

/// A body's own routes and the body without them.
pub type BodyRoutes = (Vec<RoutePreference>, Vec<u8>);

/// Why a body's `routing_preferences` was refused (a 400 for the client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPreferences(pub String);

/// The routes a request body brings in `routing_preferences`, and the body without that key
/// (what is forwarded). `Ok(None)` when the body has no such key (the body is then not
/// parsed at all). Two shapes are accepted: the config's (`[{name, description, models,
/// selection_policy?}]`) and Plano's per-model form (`[{model, routing_preferences: [{name,
/// description}]}]`).
pub fn body_preferences(body: &[u8]) -> Result<Option<BodyRoutes>, BadPreferences> {
    // Cheap pre-check: most bodies never mention the key.
    if !contains(body, BODY_PREFERENCES_KEY.as_bytes()) {
        return Ok(None);
    }
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(body) else {
        return Ok(None); // the request decoder reports bad JSON in the client's shape
    };
    let Some(value) = map.remove(BODY_PREFERENCES_KEY) else {
        return Ok(None);
    };
    let bad = |m: &str| BadPreferences(format!("`routing_preferences`: {m}"));
    let items = value
        .as_array()
        .ok_or_else(|| bad("must be an array of routes"))?;
    let text = |v: &serde_json::Value, key: &str, i: usize| -> Result<String, BadPreferences> {
        v.get(key)
            .and_then(|s| s.as_str())
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
            .ok_or_else(|| bad(&format!("item {i} needs a non-empty string `{key}`")))
    };
    let mut out: Vec<RoutePreference> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(inner) = item.get("routing_preferences") {
            let model = text(item, "model", i)?;
            let inner = inner
                .as_array()
                .ok_or_else(|| bad(&format!("item {i}: `routing_preferences` must be an array")))?;
            for pref in inner {
                let name = text(pref, "name", i)?;
                match out.iter_mut().find(|r| r.name == name) {
                    Some(r) => r.models.push(model.clone()),
                    None => out.push(RoutePreference::new(
                        name,
                        text(pref, "description", i)?,
                        vec![model.clone()],
                    )),
                }
            }
            continue;
        }
        let models: Vec<String> = item
            .get("models")
            .and_then(|m| m.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if models.is_empty() {
            return Err(bad(&format!(
                "item {i} needs a non-empty `models` array of strings"
            )));
        }
        let mut r = RoutePreference::new(
            text(item, "name", i)?,
            text(item, "description", i)?,
            models,
        );
        if let Some(p) = item
            .pointer("/selection_policy/prefer")
            .and_then(|p| p.as_str())
        {
            r.prefer = match p {
                "cheapest" => crate::config::Prefer::Cheapest,
                "fastest" => crate::config::Prefer::Fastest,
                "none" => crate::config::Prefer::None,
                other => {
                    return Err(bad(&format!(
                        "item {i}: unknown `selection_policy.prefer` `{other}` (cheapest, fastest, none)"
                    )));
                }
            };
        }
        out.push(r);
    }
    let body = serde_json::to_vec(&map).map_err(|e| bad(&e.to_string()))?;
    Ok(Some((out, body)))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_routes_in_both_shapes_and_the_key_stripped() {
        let body = br#"{"model":"m","routing_preferences":[{"name":"code","description":"code","models":["a","b"],"selection_policy":{"prefer":"cheapest"}}],"messages":[]}"#;
        let (routes, stripped) = body_preferences(body).unwrap().unwrap();
        assert_eq!(routes[0].models, ["a", "b"]);
        assert_eq!(routes[0].prefer, crate::config::Prefer::Cheapest);
        assert!(!contains(&stripped, b"routing_preferences"));

        let body = br#"{"routing_preferences":[{"model":"x","routing_preferences":[{"name":"code","description":"d"}]},{"model":"y","routing_preferences":[{"name":"code","description":"d"}]}]}"#;
        let (routes, _) = body_preferences(body).unwrap().unwrap();
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].models, ["x", "y"]);

        assert_eq!(body_preferences(br#"{"model":"m"}"#), Ok(None));
        for bad in [
            &br#"{"routing_preferences":{}}"#[..],
            br#"{"routing_preferences":[{"name":"c","description":"d"}]}"#,
            br#"{"routing_preferences":[{"name":"","description":"d","models":["a"]}]}"#,
            br#"{"routing_preferences":[{"name":"c","description":"d","models":["a"],"selection_policy":{"prefer":"best"}}]}"#,
        ] {
            assert!(body_preferences(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
