//! The developer endpoint call: `in_path` parameters substituted into the path (percent-
//! encoded), the rest in the query (`GET`) or a JSON body (`POST`), the endpoint's headers.

use serde_json::{Map, Value};

use crate::config::PromptTarget;
use crate::upstream::{Header, UpstreamRequest};

/// Largest API answer passed on to the LLM or the client, in bytes.
pub const MAX_API_RESULT: usize = 64 * 1024;

/// The request to `target`'s endpoint with `arguments`. `Err` when the target has no
/// endpoint.
pub fn endpoint_request(
    target: &PromptTarget,
    arguments: &Map<String, Value>,
) -> Result<UpstreamRequest, String> {
    let e = target
        .endpoint
        .as_ref()
        .ok_or_else(|| format!("prompt target `{}` has no endpoint", target.name))?;
    let mut path = e.path.clone();
    let mut rest = Map::new();
    for (name, value) in arguments {
        let in_path = target
            .parameters
            .iter()
            .any(|p| &p.name == name && p.in_path)
            || path.contains(&format!("{{{name}}}"));
        if in_path {
            path = path.replace(&format!("{{{name}}}"), &encode(&text(value)));
        } else {
            rest.insert(name.clone(), value.clone());
        }
    }
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    let mut headers = vec![Header::new("accept", "application/json", false)];
    let (method, body) = if e.post {
        headers.push(Header::new("content-type", "application/json", false));
        (
            "POST",
            serde_json::to_vec(&Value::Object(rest)).unwrap_or_default(),
        )
    } else {
        let query: Vec<String> = rest
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(&text(v))))
            .collect();
        if !query.is_empty() {
            path.push(if path.contains('?') { '&' } else { '?' });
            path.push_str(&query.join("&"));
        }
        ("GET", Vec::new())
    };
    for (name, value) in &e.headers {
        headers.push(Header::new(name, value.expose(), true));
    }
    Ok(UpstreamRequest {
        api: hermesllm::Api::OpenAiChat,
        passthrough: true,
        method,
        url: format!("{}{path}", e.base_url),
        headers,
        body,
        losses: hermesllm::Losses::default(),
    })
}

/// A value as text: strings as they are, arrays comma-joined, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(post: bool) -> PromptTarget {
        let yaml = format!(
            "version: v0.4.0\nlisteners:\n  - type: model\n    name: m\n    port: 12000\nmodel_providers:\n  - model: openai/gpt-4o\n    access_key: k\n    default: true\nendpoints:\n  api:\n    endpoint: 127.0.0.1:8080\nprompt_targets:\n  - name: t\n    description: d\n    parameters:\n      - name: city\n        description: c\n        type: str\n        in_path: true\n      - name: days\n        description: n\n        type: int\n    endpoint:\n      name: api\n      path: /weather/{{city}}\n      http_method: {}\n      http_headers:\n        x-api-key: secret-value\n",
            if post { "POST" } else { "GET" }
        );
        let cfg = crate::config::Config::load(
            &yaml,
            &std::collections::BTreeMap::<String, String>::new(),
        )
        .unwrap();
        cfg.prompts.targets[0].clone()
    }

    #[test]
    fn get_puts_the_rest_in_the_query_and_post_in_a_body() {
        let args = json!({"city": "San José / CR", "days": 3})
            .as_object()
            .unwrap()
            .clone();
        let r = endpoint_request(&target(false), &args).unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(
            r.url,
            "http://127.0.0.1:8080/weather/San%20Jos%C3%A9%20%2F%20CR?days=3"
        );
        assert_eq!(r.header("x-api-key"), Some("secret-value"));
        let r = endpoint_request(&target(true), &args).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.url,
            "http://127.0.0.1:8080/weather/San%20Jos%C3%A9%20%2F%20CR"
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).unwrap(),
            json!({"days": 3})
        );
    }
}
