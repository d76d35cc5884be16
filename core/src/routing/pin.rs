//! Session pins: a session's routing decision kept in the state store under
//! `route-pin:{tenant}:{session}` with its expiry in the value (stores without native TTL
//! keep expired items; reads ignore them).

use serde::{Deserialize, Serialize};

use super::{Decision, Source};
use crate::kv::Kv;

/// The store key of a session's pin; `None` without a session id. Ids are length-capped
/// and the tenant scopes them, so one tenant cannot read another's pins.
pub fn key(session: Option<&str>, tenant: Option<&str>) -> Option<String> {
    let session = session.map(str::trim).filter(|s| !s.is_empty())?;
    if session.len() > 256 {
        return None;
    }
    let tenant = tenant.map(str::trim).unwrap_or("");
    Some(format!(
        "route-pin:{}:{}:{session}",
        tenant.len(),
        tenant.get(..tenant.len().min(256)).unwrap_or("")
    ))
}

#[derive(Serialize, Deserialize)]
struct Stored {
    route: Option<String>,
    models: Vec<String>,
    expires_ms: u64,
}

/// The live pin at `key`, if any (a store failure reads as no pin: routing goes on).
pub async fn load(kv: &impl Kv, key: &str, now_ms: u64) -> Option<Decision> {
    let v = kv.get(key).await.ok()??;
    let s: Stored = serde_json::from_slice(&v.value).ok()?;
    (s.expires_ms > now_ms && !s.models.is_empty()).then_some(Decision {
        route: s.route,
        models: s.models,
        source: Source::Pinned,
        router_ms: None,
    })
}

/// Pins `decision` for `ttl_secs` (best effort: a failed write only costs a router call
/// next turn). Decisions without models (no route) are not pinned.
pub async fn save(kv: &impl Kv, key: &str, decision: &Decision, ttl_secs: u64, now_ms: u64) {
    if decision.models.is_empty() {
        return;
    }
    let caps = kv.caps();
    let ttl = u32::try_from(ttl_secs.max(1))
        .unwrap_or(u32::MAX)
        .max(caps.min_ttl_secs);
    let stored = Stored {
        route: decision.route.clone(),
        models: decision.models.clone(),
        expires_ms: now_ms.saturating_add(ttl_secs.max(1).saturating_mul(1000)),
    };
    if let Ok(bytes) = serde_json::to_vec(&stored) {
        let _ = kv.put(key, &bytes, Some(ttl)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::MemoryKv;
    use crate::time::ManualClock;

    #[test]
    fn keys_are_scoped_by_tenant_and_bounded() {
        assert_eq!(key(None, Some("t")), None);
        assert_eq!(key(Some("  "), None), None);
        assert_eq!(key(Some(&"x".repeat(300)), None), None);
        assert_ne!(key(Some("s"), Some("a")), key(Some("s"), Some("b")));
        // The tenant's length is in the key: `a:b` + `c` differs from `a` + `b:c`.
        assert_ne!(key(Some("c"), Some("a:b")), key(Some("b:c"), Some("a")));
    }

    #[test]
    fn a_pin_expires() {
        // The store's own clock stays at 0: the expiry in the value is what is tested.
        let clock = ManualClock::new(0);
        let kv = MemoryKv::new(&clock);
        let d = Decision {
            route: Some("code".into()),
            models: vec!["openai/gpt-4o".into()],
            source: Source::Router,
            router_ms: Some(3),
        };
        futures_executor(async {
            save(&kv, "k", &d, 10, 1_000).await;
            let got = load(&kv, "k", 5_000).await.unwrap();
            assert_eq!(got.models, d.models);
            assert_eq!(got.source, Source::Pinned);
            assert_eq!(load(&kv, "k", 11_001).await, None);
        });
    }

    fn futures_executor(f: impl std::future::Future<Output = ()>) {
        crate::kv::now_or_never(f).expect("memory store futures are ready");
    }
}
