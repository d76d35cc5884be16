//! `GET /v1/models` bodies, in OpenAI's and Anthropic's shapes.

use serde_json::{Value, json};

use crate::config::Config;

/// Which listing shape the client expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelsShape {
    /// OpenAI: `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`.
    OpenAi,
    /// Anthropic (the client sent `anthropic-version`):
    /// `{"data":[{"type":"model","id","display_name","created_at"}],"has_more","first_id","last_id"}`.
    Anthropic,
}

/// The listing body: every name a client may send as `model`, in config order: each
/// non-wildcard provider's `name`, then each alias; duplicates once. Wildcard providers list
/// nothing (their models are not known to the gateway). `created` is reported as 0 (the Unix
/// epoch): the config has no creation times.
pub fn models_body(config: &Config, shape: ModelsShape) -> Vec<u8> {
    let mut entries: Vec<(&str, &str)> = Vec::new();
    for p in config.providers.iter().filter(|p| !p.is_wildcard()) {
        if !entries.iter().any(|(id, _)| *id == p.name) {
            entries.push((p.name.as_str(), p.provider.as_str()));
        }
    }
    for a in &config.aliases {
        let owner = config
            .provider(&a.provider)
            .map_or("", |p| p.provider.as_str());
        if !entries.iter().any(|(id, _)| *id == a.name) {
            entries.push((a.name.as_str(), owner));
        }
    }
    let body = match shape {
        ModelsShape::OpenAi => {
            let data: Vec<Value> = entries
                .iter()
                .map(|(id, owner)| json!({"id": id, "object": "model", "created": 0, "owned_by": owner}))
                .collect();
            json!({"object": "list", "data": data})
        }
        ModelsShape::Anthropic => {
            let data: Vec<Value> = entries
                .iter()
                .map(|(id, _)| {
                    json!({"type": "model", "id": id, "display_name": id, "created_at": "1970-01-01T00:00:00Z"})
                })
                .collect();
            json!({
                "data": data,
                "has_more": false,
                "first_id": entries.first().map(|(id, _)| *id),
                "last_id": entries.last().map(|(id, _)| *id),
            })
        }
    };
    serde_json::to_vec(&body).unwrap_or_default()
}
