//! Ordering a route's models: cheapest or fastest first by the configured static metrics,
//! models without a figure after those with one (in config order), config order otherwise.

use crate::config::{Prefer, RoutePreference, Routing};

/// The route's models in the order to try them.
pub fn rank(routing: &Routing, route: &RoutePreference) -> Vec<String> {
    let table = match route.prefer {
        Prefer::Cheapest => &routing.costs,
        Prefer::Fastest => &routing.latencies,
        Prefer::None => return route.models.clone(),
    };
    let figure = |m: &str| {
        table
            .iter()
            .find(|(name, _)| same_model(name, m))
            .map(|(_, v)| *v)
    };
    let mut scored: Vec<(usize, Option<f64>, &String)> = route
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| (i, figure(m), m))
        .collect();
    // Stable: equal figures keep config order; unknown figures go last.
    scored.sort_by(|a, b| match (a.1, b.1) {
        (Some(x), Some(y)) => x.total_cmp(&y).then(a.0.cmp(&b.0)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.0.cmp(&b.0),
    });
    scored.into_iter().map(|(_, _, m)| m.clone()).collect()
}

/// Whether two model names mean the same model: equal, or equal once the provider prefix of
/// one is dropped (`claude` and `anthropic/claude`).
fn same_model(a: &str, b: &str) -> bool {
    let id = |x: &str| x.rsplit_once('/').map_or(x, |(_, i)| i).to_owned();
    a == b || (!a.contains('/') && id(b) == a) || (!b.contains('/') && id(a) == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(prefer: Prefer) -> RoutePreference {
        let mut r = RoutePreference::new(
            "code",
            "writing code",
            vec![
                "openai/gpt-4o".into(),
                "anthropic/claude".into(),
                "mystery".into(),
                "openai/gpt-4o-mini".into(),
            ],
        );
        r.prefer = prefer;
        r
    }

    fn routing() -> Routing {
        Routing {
            costs: vec![
                ("openai/gpt-4o".into(), 10.0),
                ("claude".into(), 15.0),
                ("openai/gpt-4o-mini".into(), 0.6),
            ],
            latencies: vec![
                ("anthropic/claude".into(), 300.0),
                ("openai/gpt-4o".into(), 900.0),
            ],
            ..Routing::default()
        }
    }

    #[test]
    fn cheapest_fastest_and_config_order() {
        let r = routing();
        assert_eq!(
            rank(&r, &route(Prefer::Cheapest)),
            [
                "openai/gpt-4o-mini",
                "openai/gpt-4o",
                "anthropic/claude",
                "mystery"
            ]
        );
        assert_eq!(
            rank(&r, &route(Prefer::Fastest)),
            [
                "anthropic/claude",
                "openai/gpt-4o",
                "mystery",
                "openai/gpt-4o-mini"
            ]
        );
        assert_eq!(rank(&r, &route(Prefer::None)), route(Prefer::None).models);
    }
}
