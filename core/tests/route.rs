//! Route classification, model resolution and `/v1/models` listings.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use hermesllm::Api;
use hermesllm::ir::ErrorKind;
use plano_core::config::Config;
use plano_core::route::{
    Generate, ModelsShape, Resolution, ResolveError, Route, RouteError, classify, models_body,
    resolve_model,
};

fn generate(method: &str, target: &str) -> Generate {
    match classify(method, target, &[]) {
        Ok(Route::Generate(g)) => g,
        other => panic!("{method} {target}: {other:?}"),
    }
}

#[test]
fn body_model_apis() {
    for (path, api) in [
        ("/v1/chat/completions", Api::OpenAiChat),
        ("/v1/responses", Api::OpenAiResponses),
        ("/v1/messages", Api::AnthropicMessages),
        ("/v1/messages?beta=true", Api::AnthropicMessages),
    ] {
        let g = generate("POST", path);
        assert_eq!((g.api, g.model, g.stream), (api, None, false), "{path}");
    }
    assert_eq!(
        classify("POST", "/v1/messages/count_tokens", &[]),
        Ok(Route::CountTokens)
    );
}

#[test]
fn gemini_paths() {
    let g = generate("POST", "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(
        (g.api, g.model.as_deref(), g.stream, g.alt_sse),
        (Api::Gemini, Some("gemini-2.5-flash"), false, false)
    );
    let g = generate(
        "POST",
        "/v1/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=AIza%2Bsecret",
    );
    assert_eq!(
        (g.model.as_deref(), g.stream, g.alt_sse),
        (Some("gemini-2.5-pro"), true, true)
    );
    assert_eq!(g.query_key.as_ref().unwrap().expose(), "AIza+secret");
    assert!(!format!("{g:?}").contains("AIza"), "{g:?}");
    // An encoded colon is the same path.
    let g = generate(
        "POST",
        "/v1beta/models/gemini-2.0-flash%3AstreamGenerateContent",
    );
    assert_eq!(
        (g.model.as_deref(), g.stream),
        (Some("gemini-2.0-flash"), true)
    );
    let meta = g.meta();
    assert_eq!(
        (meta.model.as_deref(), meta.stream),
        (Some("gemini-2.0-flash"), true)
    );
}

#[test]
fn bedrock_paths() {
    let g = generate(
        "POST",
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
    );
    assert_eq!(
        (g.api, g.model.as_deref(), g.stream),
        (
            Api::BedrockConverse,
            Some("anthropic.claude-3-5-sonnet-20240620-v1:0"),
            false
        )
    );
    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0";
    let encoded = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-20250514-v1%3A0";
    let g = generate("POST", &format!("/model/{encoded}/converse-stream"));
    assert_eq!((g.model.as_deref(), g.stream), (Some(arn), true));
    // The same ARN with its `/` and `:` unencoded.
    let g = generate("POST", &format!("/model/{arn}/converse"));
    assert_eq!((g.model.as_deref(), g.stream), (Some(arn), false));
}

#[test]
fn get_routes() {
    assert_eq!(
        classify("GET", "/v1/models", &[]),
        Ok(Route::ListModels(ModelsShape::OpenAi))
    );
    assert_eq!(
        classify("GET", "/v1/models", &[("Anthropic-Version", "2023-06-01")]),
        Ok(Route::ListModels(ModelsShape::Anthropic))
    );
    assert_eq!(
        classify("GET", "/v1/responses/resp_abc%2F1", &[]),
        Ok(Route::GetResponse {
            id: "resp_abc/1".into()
        })
    );
    assert_eq!(
        classify("DELETE", "/v1/responses/resp_1", &[]),
        Ok(Route::DeleteResponse {
            id: "resp_1".into()
        })
    );
    assert_eq!(classify("GET", "/healthz", &[]), Ok(Route::Health));
}

fn err(method: &str, target: &str, headers: &[(&str, &str)]) -> RouteError {
    classify(method, target, headers).unwrap_err()
}

#[test]
fn not_found_guesses_the_api() {
    for (target, headers, api) in [
        ("/v1/chat/completion", &[][..], Api::OpenAiChat),
        ("/v1/chat/completions/", &[], Api::OpenAiChat),
        ("/v1/messages/batches", &[], Api::AnthropicMessages),
        ("/v1/responses/r1/input_items", &[], Api::OpenAiResponses),
        (
            "/v1beta/models/gemini-2.5-flash:countTokens",
            &[],
            Api::Gemini,
        ),
        ("/v1beta/models/gemini-2.5-flash", &[], Api::Gemini),
        ("/model/x/invoke", &[], Api::BedrockConverse),
        (
            "/nothing",
            &[("anthropic-version", "2023-06-01")],
            Api::AnthropicMessages,
        ),
        ("/nothing", &[("x-goog-api-key", "k")], Api::Gemini),
        ("", &[], Api::OpenAiChat),
        ("*", &[], Api::OpenAiChat),
    ] {
        let e = err("POST", target, headers);
        assert!(matches!(e, RouteError::NotFound { .. }), "{target}: {e:?}");
        assert_eq!((e.api(), e.status()), (api, 404), "{target}");
        let api_error = e.to_api_error();
        assert_eq!(
            (api_error.kind, api_error.status),
            (ErrorKind::NotFound, 404)
        );
        assert!(!e.is_retryable());
    }
}

#[test]
fn wrong_methods() {
    for (method, target, api, allow) in [
        ("GET", "/v1/chat/completions", Api::OpenAiChat, "POST"),
        ("PUT", "/v1/messages", Api::AnthropicMessages, "POST"),
        (
            "GET",
            "/v1/messages/count_tokens",
            Api::AnthropicMessages,
            "POST",
        ),
        ("POST", "/v1/models", Api::OpenAiChat, "GET"),
        (
            "GET",
            "/v1beta/models/g:generateContent",
            Api::Gemini,
            "POST",
        ),
        ("GET", "/model/m/converse", Api::BedrockConverse, "POST"),
        (
            "POST",
            "/v1/responses/r1",
            Api::OpenAiResponses,
            "GET, DELETE",
        ),
        ("POST", "/healthz", Api::OpenAiChat, "GET"),
        ("post", "/v1/chat/completions", Api::OpenAiChat, "POST"),
    ] {
        let e = err(method, target, &[]);
        match &e {
            RouteError::MethodNotAllowed { allow: a, .. } => assert_eq!(*a, allow),
            other => panic!("{method} {target}: {other:?}"),
        }
        assert_eq!((e.api(), e.status()), (api, 405), "{method} {target}");
        assert_eq!(e.to_api_error().status, 405);
    }
}

#[test]
fn bad_encodings() {
    for (target, api) in [
        ("/model/bad%zz/converse", Api::BedrockConverse),
        ("/model/%FF%FE/converse", Api::BedrockConverse),
        ("/model//converse", Api::BedrockConverse),
        ("/v1beta/models/gem%G1:generateContent", Api::Gemini),
        ("/v1beta/models/:generateContent", Api::Gemini),
        ("/v1beta/models/g:generateContent?key=%", Api::Gemini),
        ("/v1beta/models/g:generateContent?alt=%e", Api::Gemini),
    ] {
        let e = err("POST", target, &[]);
        assert!(
            matches!(e, RouteError::BadRequest { .. }),
            "{target}: {e:?}"
        );
        assert_eq!((e.api(), e.status()), (api, 400), "{target}");
        assert_eq!(e.to_api_error().kind, ErrorKind::InvalidRequest);
    }
    let e = err("GET", "/v1/responses/%", &[]);
    assert_eq!((e.api(), e.status()), (Api::OpenAiResponses, 400));
}

const YAML: &str = r"
version: v0.4.0
listeners:
  - type: model
    name: llm
    port: 12000
model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
  - model: anthropic/claude-sonnet-4-5
    access_key: $ANTHROPIC_API_KEY
    default: true
  - model: openai/gpt-4o-mini
    name: mini
    access_key: $OPENAI_API_KEY
  - model: xai/*
    access_key: $XAI_API_KEY
model_aliases:
  fast:
    target: mini
  smart:
    target: anthropic/claude-sonnet-4-5
  grok:
    target: xai/grok-4-fast
";

fn secrets() -> BTreeMap<String, String> {
    [
        ("OPENAI_API_KEY", "sk-openai-secret"),
        ("ANTHROPIC_API_KEY", "sk-ant-secret"),
        ("XAI_API_KEY", "xai-secret"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn config(yaml: &str) -> Config {
    Config::load(yaml, &secrets()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn resolution_order() {
    let c = config(YAML);
    let r = |model: Option<&'static str>, hint: Option<&str>| {
        let r = resolve_model(&c, model, hint).unwrap();
        (r.provider.name.clone(), r.upstream_model.to_owned(), r.how)
    };
    let s = String::from;
    assert_eq!(
        r(Some("fast"), None),
        (s("mini"), s("gpt-4o-mini"), Resolution::Alias)
    );
    assert_eq!(
        r(Some("openai/gpt-4o"), None),
        (s("openai/gpt-4o"), s("gpt-4o"), Resolution::Exact)
    );
    assert_eq!(
        r(Some("mini"), None),
        (s("mini"), s("gpt-4o-mini"), Resolution::Exact)
    );
    // The full model of a provider with its own name still matches exactly.
    assert_eq!(
        r(Some("openai/gpt-4o-mini"), None),
        (s("mini"), s("gpt-4o-mini"), Resolution::Exact)
    );
    assert_eq!(
        r(Some("gpt-4o"), None),
        (s("openai/gpt-4o"), s("gpt-4o"), Resolution::BareModel)
    );
    assert_eq!(
        r(Some("xai/grok-4"), None),
        (s("xai/*"), s("grok-4"), Resolution::Wildcard)
    );
    // An alias to a model covered by a wildcard forwards that model.
    assert_eq!(
        r(Some("grok"), None),
        (s("xai/*"), s("grok-4-fast"), Resolution::Alias)
    );
    // Unknown model: the hint names a provider, then the default applies.
    assert_eq!(
        r(Some("no-such-model"), Some("mini")),
        (s("mini"), s("gpt-4o-mini"), Resolution::Hint)
    );
    assert_eq!(
        r(Some("no-such-model"), Some("default")),
        (
            s("anthropic/claude-sonnet-4-5"),
            s("claude-sonnet-4-5"),
            Resolution::Hint
        )
    );
    assert_eq!(
        r(Some("grok-4"), Some("xai/*")),
        (s("xai/*"), s("grok-4"), Resolution::Hint)
    );
    assert_eq!(
        r(Some("no-such-model"), Some("unknown-hint")),
        (
            s("anthropic/claude-sonnet-4-5"),
            s("claude-sonnet-4-5"),
            Resolution::Default
        )
    );
    assert_eq!(
        r(None, None),
        (
            s("anthropic/claude-sonnet-4-5"),
            s("claude-sonnet-4-5"),
            Resolution::Default
        )
    );
    assert_eq!(r(Some("  "), None).2, Resolution::Default);
    // The model wins over the hint.
    assert_eq!(r(Some("gpt-4o"), Some("mini")).0, "openai/gpt-4o");
}

#[test]
fn unresolved_names_the_model() {
    let c = config(&YAML.replace("    default: true\n", ""));
    let e = resolve_model(&c, Some("gpt-5-turbo"), None).unwrap_err();
    assert_eq!(
        e,
        ResolveError::UnknownModel {
            model: "gpt-5-turbo".into()
        }
    );
    let api = e.to_api_error();
    assert_eq!((api.kind, api.status), (ErrorKind::NotFound, 404));
    assert!(api.message.contains("gpt-5-turbo"), "{}", api.message);
    assert_eq!(api.param.as_deref(), Some("model"));
    assert!(!e.is_retryable());
    assert_eq!(
        resolve_model(&c, None, None).unwrap_err(),
        ResolveError::NoModel
    );
    assert_eq!(
        resolve_model(&c, None, Some("xai/*")).unwrap_err(),
        ResolveError::WildcardWithoutModel {
            provider: "xai/*".into()
        }
    );
    assert_eq!(
        resolve_model(&c, Some("nope"), Some("nope-either")).unwrap_err(),
        ResolveError::UnknownModel {
            model: "nope".into()
        }
    );
}

#[test]
fn model_listings() {
    let c = config(YAML);
    let openai: serde_json::Value =
        serde_json::from_slice(&models_body(&c, ModelsShape::OpenAi)).unwrap();
    assert_eq!(
        openai,
        serde_json::json!({"object": "list", "data": [
            {"id": "openai/gpt-4o", "object": "model", "created": 0, "owned_by": "openai"},
            {"id": "anthropic/claude-sonnet-4-5", "object": "model", "created": 0, "owned_by": "anthropic"},
            {"id": "mini", "object": "model", "created": 0, "owned_by": "openai"},
            {"id": "fast", "object": "model", "created": 0, "owned_by": "openai"},
            {"id": "smart", "object": "model", "created": 0, "owned_by": "anthropic"},
            {"id": "grok", "object": "model", "created": 0, "owned_by": "xai"},
        ]})
    );
    let anthropic: serde_json::Value =
        serde_json::from_slice(&models_body(&c, ModelsShape::Anthropic)).unwrap();
    let ids: Vec<&str> = anthropic["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "openai/gpt-4o",
            "anthropic/claude-sonnet-4-5",
            "mini",
            "fast",
            "smart",
            "grok"
        ]
    );
    assert_eq!(anthropic["data"][0]["type"], "model");
    assert_eq!(anthropic["first_id"], "openai/gpt-4o");
    assert_eq!(anthropic["last_id"], "grok");
    assert_eq!(anthropic["has_more"], false);
    // Deterministic: the same bytes every time.
    assert_eq!(
        models_body(&c, ModelsShape::OpenAi),
        models_body(&c, ModelsShape::OpenAi)
    );
}

/// Deterministic pseudo-random targets never panic and always give a route or an error.
#[test]
fn random_targets_never_panic() {
    let alphabet: Vec<char> = "/%:?&=+#abcmv1-_.~ \u{e9}0F".chars().collect();
    let pieces = [
        "/v1/",
        "/v1beta/models/",
        ":generateContent",
        ":streamGenerateContent",
        "/model/",
        "/converse",
        "/converse-stream",
        "/responses/",
        "%3A",
        "%2F",
        "%",
        "?alt=sse",
        "&key=",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let mut target = String::new();
        for _ in 0..next() % 8 {
            if next() % 2 == 0 {
                target.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            } else {
                target.push(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
        }
        let method = ["GET", "POST", "DELETE", "PATCH"][(next() % 4) as usize];
        match classify(method, &target, &[]) {
            Ok(route) => {
                let _ = route.api();
            }
            Err(e) => {
                assert!(matches!(e.status(), 400 | 404 | 405), "{target}");
                let _ = e.to_api_error();
            }
        }
    }
}
