//! The upstream families of the suite's config, and checks of what the upstream received.

use serde_json::Value;

use crate::api::{Api, PNG_B64, str_at};
use crate::http::MockRequest;

/// An upstream family: one provider of the config, at the mock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// `openai/gpt-4o-mini`: Chat Completions, or Responses for Responses clients.
    OpenAi,
    /// `anthropic/claude-sonnet-4-5`.
    Anthropic,
    /// `gemini/gemini-2.5-flash`.
    Gemini,
    /// `amazon_bedrock/us.anthropic.claude-sonnet-4-5-v1:0`, signed with SigV4.
    BedrockSigV4,
    /// `amazon_bedrock/amazon.nova-pro-v1:0`, with a Bedrock API key.
    BedrockKey,
}

/// Every family, in table order.
pub(crate) const FAMILIES: [Family; 5] = [
    Family::OpenAi,
    Family::Anthropic,
    Family::Gemini,
    Family::BedrockSigV4,
    Family::BedrockKey,
];

impl Family {
    /// The name used in scenario ids.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Family::OpenAi => "openai",
            Family::Anthropic => "anthropic",
            Family::Gemini => "gemini",
            Family::BedrockSigV4 => "bedrock-sigv4",
            Family::BedrockKey => "bedrock-key",
        }
    }

    /// The model a client names to reach this family (the upstream model id too).
    pub(crate) fn model(self) -> &'static str {
        match self {
            Family::OpenAi => "gpt-4o-mini",
            Family::Anthropic => "claude-sonnet-4-5",
            Family::Gemini => "gemini-2.5-flash",
            Family::BedrockSigV4 => "us.anthropic.claude-sonnet-4-5-v1:0",
            Family::BedrockKey => "amazon.nova-pro-v1:0",
        }
    }

    /// The API this family is spoken to for `client`: the client's own when the provider
    /// speaks it (Gemini has an OpenAI-compatible Chat endpoint), else its native API.
    pub(crate) fn upstream_api(self, client: Api) -> Api {
        match self {
            Family::OpenAi if client == Api::Responses => Api::Responses,
            Family::OpenAi => Api::Chat,
            Family::Anthropic => Api::Messages,
            Family::Gemini if client == Api::Chat => Api::Chat,
            Family::Gemini => Api::Gemini,
            Family::BedrockSigV4 | Family::BedrockKey => Api::Converse,
        }
    }

    /// The family whose native API is `client` (OpenAI for both OpenAI APIs).
    pub(crate) fn own(client: Api) -> Family {
        match client {
            Api::Chat | Api::Responses => Family::OpenAi,
            Api::Messages => Family::Anthropic,
            Api::Gemini => Family::Gemini,
            Api::Converse => Family::BedrockSigV4,
        }
    }

    /// Checks path, credentials, model and stream flag of a request this family received
    /// for a `client` request.
    pub(crate) fn check(self, client: Api, r: &MockRequest, stream: bool) -> Result<(), String> {
        let api = self.upstream_api(client);
        let prefix = if self == Family::Gemini && api == Api::Chat {
            // Gemini's OpenAI-compatible endpoint.
            "/v1beta/openai"
        } else {
            ""
        };
        check_route(api, prefix, self.model(), r, stream)?;
        self.check_auth(api, r)
    }

    /// Checks the credentials the upstream received for a request in `api`.
    pub(crate) fn check_auth(self, api: Api, r: &MockRequest) -> Result<(), String> {
        let auth = r.header("authorization");
        let expect = |name: &str, got: Option<&str>, want: &str| {
            if got == Some(want) {
                Ok(())
            } else {
                Err(format!(
                    "{}: expected upstream header {name}: {want}, got {got:?}",
                    self.name()
                ))
            }
        };
        match self {
            Family::OpenAi => expect("authorization", auth, "Bearer sk-mock-openai"),
            Family::Anthropic => {
                expect("x-api-key", r.header("x-api-key"), "sk-ant-mock-anthropic")?;
                if r.header("anthropic-version").is_none() {
                    return Err("anthropic: no anthropic-version header upstream".to_owned());
                }
                if auth.is_some() {
                    return Err("anthropic: an authorization header was sent upstream".to_owned());
                }
                Ok(())
            }
            Family::Gemini if api == Api::Chat => {
                expect("authorization", auth, "Bearer mock-gemini-key")
            }
            Family::Gemini => {
                let key = r.header("x-goog-api-key");
                if key == Some("mock-gemini-key") || r.path.contains("key=mock-gemini-key") {
                    Ok(())
                } else {
                    Err(format!(
                        "gemini: expected x-goog-api-key: mock-gemini-key, got {key:?}"
                    ))
                }
            }
            Family::BedrockSigV4 => {
                let a = auth.unwrap_or("");
                if !a.starts_with("AWS4-HMAC-SHA256 Credential=AKIDMOCKPLANO/")
                    || !a.contains("/us-east-1/bedrock/aws4_request")
                {
                    return Err(format!(
                        "bedrock-sigv4: expected a SigV4 authorization by AKIDMOCKPLANO for \
                         us-east-1/bedrock, got {auth:?}"
                    ));
                }
                if r.header("x-amz-date").is_none() {
                    return Err("bedrock-sigv4: no x-amz-date header".to_owned());
                }
                Ok(())
            }
            Family::BedrockKey => expect("authorization", auth, "Bearer mock-bedrock-key"),
        }
    }
}

/// Checks the path (under `prefix`), model and stream flag of a request in `api` for
/// `model`.
pub(crate) fn check_route(
    api: Api,
    prefix: &str,
    model: &str,
    r: &MockRequest,
    stream: bool,
) -> Result<(), String> {
    if r.method != "POST" {
        return Err(format!("expected an upstream POST, got {}", r.method));
    }
    let path = r.decoded_path();
    let want_path = match api {
        Api::Chat if prefix.is_empty() => "/v1/chat/completions".to_owned(),
        Api::Chat => format!("{prefix}/chat/completions"),
        Api::Responses => "/v1/responses".to_owned(),
        Api::Messages => "/v1/messages".to_owned(),
        Api::Gemini if stream => format!("/v1beta/models/{model}:streamGenerateContent?alt=sse"),
        Api::Gemini => format!("/v1beta/models/{model}:generateContent"),
        Api::Converse if stream => format!("/model/{model}/converse-stream"),
        Api::Converse => format!("/model/{model}/converse"),
    };
    if path != want_path {
        return Err(format!(
            "expected the upstream path {want_path}, got {path}"
        ));
    }
    if matches!(api, Api::Chat | Api::Responses | Api::Messages) {
        let got_model = str_at(&r.body, "model");
        if got_model != Some(model) {
            return Err(format!(
                "expected the upstream body's model {model:?}, got {got_model:?}"
            ));
        }
        let got_stream = r
            .body
            .get("stream")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if got_stream != stream {
            return Err(format!(
                "expected the upstream body's stream {stream}, got {got_stream}"
            ));
        }
    }
    Ok(())
}

/// Whether any string in `v` contains `needle`.
pub(crate) fn contains_text(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s.contains(needle),
        Value::Array(a) => a.iter().any(|x| contains_text(x, needle)),
        Value::Object(o) => o.values().any(|x| contains_text(x, needle)),
        _ => false,
    }
}

/// Every object in `v`, depth first.
fn objects<'v>(v: &'v Value, out: &mut Vec<&'v serde_json::Map<String, Value>>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| objects(x, out)),
        Value::Object(o) => {
            out.push(o);
            o.values().for_each(|x| objects(x, out));
        }
        _ => {}
    }
}

/// The tool names declared in an upstream body of `api`.
pub(crate) fn declared_tools(api: Api, body: &Value) -> Vec<String> {
    let list = |v: Option<&Value>| -> Vec<Value> {
        v.and_then(Value::as_array).cloned().unwrap_or_default()
    };
    match api {
        Api::Chat => list(body.get("tools"))
            .iter()
            .filter_map(|t| {
                t.get("function")
                    .and_then(|f| str_at(f, "name"))
                    .map(str::to_owned)
            })
            .collect(),
        Api::Responses | Api::Messages => list(body.get("tools"))
            .iter()
            .filter_map(|t| str_at(t, "name").map(str::to_owned))
            .collect(),
        Api::Gemini => list(body.get("tools"))
            .iter()
            .flat_map(|t| list(t.get("functionDeclarations")))
            .filter_map(|d| str_at(&d, "name").map(str::to_owned))
            .collect(),
        Api::Converse => list(body.get("toolConfig").and_then(|c| c.get("tools")))
            .iter()
            .filter_map(|t| {
                t.get("toolSpec")
                    .and_then(|s| str_at(s, "name"))
                    .map(str::to_owned)
            })
            .collect(),
    }
}

/// Checks that an upstream body of `api` carries the suite's PNG in that API's image shape.
pub(crate) fn check_image(api: Api, body: &Value) -> Result<(), String> {
    let mut all = Vec::new();
    objects(body, &mut all);
    let s = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k).and_then(Value::as_str).map(str::to_owned)
    };
    let found = all.iter().any(|o| match api {
        Api::Chat => {
            s(o, "type").as_deref() == Some("image_url")
                && o.get("image_url")
                    .and_then(|u| str_at(u, "url"))
                    .is_some_and(|u| u == format!("data:image/png;base64,{PNG_B64}"))
        }
        Api::Responses => {
            s(o, "type").as_deref() == Some("input_image")
                && s(o, "image_url")
                    .is_some_and(|u| u == format!("data:image/png;base64,{PNG_B64}"))
        }
        Api::Messages => {
            s(o, "type").as_deref() == Some("image")
                && o.get("source").is_some_and(|src| {
                    str_at(src, "type") == Some("base64")
                        && str_at(src, "media_type") == Some("image/png")
                        && str_at(src, "data") == Some(PNG_B64)
                })
        }
        Api::Gemini => o.get("inlineData").is_some_and(|d| {
            str_at(d, "mimeType") == Some("image/png") && str_at(d, "data") == Some(PNG_B64)
        }),
        Api::Converse => o.get("image").is_some_and(|i| {
            str_at(i, "format") == Some("png")
                && i.get("source").and_then(|src| str_at(src, "bytes")) == Some(PNG_B64)
        }),
    });
    if found {
        Ok(())
    } else {
        Err(format!(
            "the upstream {} body does not carry the PNG in its image shape: {}",
            api.name(),
            crate::http::clip(body.to_string().as_bytes())
        ))
    }
}

/// Whether an upstream body of `api` asks for reasoning/thinking.
pub(crate) fn asks_thinking(api: Api, body: &Value) -> bool {
    match api {
        Api::Chat => body.get("reasoning_effort").is_some(),
        Api::Responses => body.get("reasoning").is_some(),
        Api::Messages => body.get("thinking").and_then(|t| str_at(t, "type")) == Some("enabled"),
        Api::Gemini => body
            .get("generationConfig")
            .and_then(|g| g.get("thinkingConfig"))
            .is_some(),
        Api::Converse => contains_key(body, "thinking") || contains_key(body, "reasoningConfig"),
    }
}

fn contains_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Array(a) => a.iter().any(|x| contains_key(x, key)),
        Value::Object(o) => o.contains_key(key) || o.values().any(|x| contains_key(x, key)),
        _ => false,
    }
}
