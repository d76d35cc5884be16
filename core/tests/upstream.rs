//! Upstream requests: URLs per catalog provider and base_url prefix, credentials per auth
//! style (SigV4 against AWS's published vectors), header forwarding, passthrough_auth,
//! traceparent, and that secrets never show in Debug output or errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use hermesllm::{Api, RequestMeta};
use plano_core::config::{Config, Provider, Secret};
use plano_core::route::{Route, classify, resolve_model};
use plano_core::upstream::{
    AwsCredentials, Fault, SignInput, UpstreamError, UpstreamInput, UpstreamRequest, build,
    region_from_host, sign_request,
};

const SECRETS: &[(&str, &str)] = &[
    ("OPENAI_API_KEY", "sk-openai-SECRET1"),
    ("ANTHROPIC_API_KEY", "sk-ant-SECRET2"),
    ("GEMINI_API_KEY", "AIza-SECRET3"),
    ("AZURE_API_KEY", "azure-SECRET4"),
    ("BEDROCK_TOKEN", "bedrock-SECRET5"),
    ("GROQ_API_KEY", "gsk-SECRET6"),
    ("PROXY_TOKEN", "proxy-SECRET7"),
];

const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const AWS_TOKEN: &str = "session-token-example";

fn config(providers: &str) -> Config {
    let yaml = format!(
        "version: v0.4.0\nlisteners:\n  - type: model\n    name: llm\n    port: 12000\nmodel_providers:\n{providers}"
    );
    let secrets: BTreeMap<String, String> = SECRETS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::load(&yaml, &secrets).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

fn one(provider: &str) -> Config {
    config(provider)
}

const CHAT: &[u8] =
    br#"{"model":"x","messages":[{"role":"user","content":"Hi"}],"max_tokens":64,"x_custom":1}"#;

struct Call<'a> {
    client: Api,
    body: &'a [u8],
    headers: &'a [(&'a str, &'a str)],
    stream: bool,
    aws: Option<&'a AwsCredentials>,
    span: Option<[u8; 8]>,
}

impl Default for Call<'_> {
    fn default() -> Self {
        Call {
            client: Api::OpenAiChat,
            body: CHAT,
            headers: &[],
            stream: false,
            aws: None,
            span: None,
        }
    }
}

fn try_call(c: &Config, model: &str, call: &Call<'_>) -> Result<UpstreamRequest, UpstreamError> {
    let r = resolve_model(c, Some(model), None).unwrap();
    call_provider(r.provider, r.upstream_model, call)
}

fn call_provider(
    provider: &Provider,
    model: &str,
    call: &Call<'_>,
) -> Result<UpstreamRequest, UpstreamError> {
    let meta = RequestMeta::default();
    build(&UpstreamInput {
        provider,
        upstream_model: model,
        client_api: call.client,
        meta: &meta,
        stream: call.stream,
        client_headers: call.headers,
        query_key: None,
        body: call.body,
        span_id: call.span,
        aws: call.aws,
        now_ms: 1_736_935_200_000,
    })
}

fn call(c: &Config, model: &str, call: &Call<'_>) -> UpstreamRequest {
    try_call(c, model, call).unwrap_or_else(|e| panic!("{model}: {e}"))
}

fn url(providers: &str, model: &str, client: Api, stream: bool) -> String {
    let body: &[u8] = match client {
        Api::OpenAiChat => CHAT,
        Api::AnthropicMessages => {
            br#"{"model":"x","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#
        }
        _ => panic!("unused"),
    };
    let aws =
        AwsCredentials::new("AKIDEXAMPLE", Secret::literal(AWS_SECRET)).with_region("eu-west-1");
    let c = config(providers);
    call(
        &c,
        model,
        &Call {
            client,
            body,
            stream,
            aws: Some(&aws),
            ..Call::default()
        },
    )
    .url
}

#[test]
fn catalog_urls() {
    let cases: &[(&str, &str, bool, &str)] = &[
        (
            "openai/gpt-4o",
            "gpt-4o",
            false,
            "https://api.openai.com/v1/chat/completions",
        ),
        (
            "anthropic/claude-sonnet-4-5",
            "claude-sonnet-4-5",
            false,
            "https://api.anthropic.com/v1/messages",
        ),
        // Gemini speaks Chat Completions too: an OpenAI client passes through.
        (
            "gemini/gemini-2.5-flash",
            "gemini-2.5-flash",
            false,
            "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions",
        ),
        (
            "groq/llama-3.3-70b",
            "llama-3.3-70b",
            false,
            "https://api.groq.com/openai/v1/chat/completions",
        ),
        (
            "mistral/mistral-large",
            "mistral-large",
            false,
            "https://api.mistral.ai/v1/chat/completions",
        ),
        (
            "deepseek/deepseek-chat",
            "deepseek-chat",
            false,
            "https://api.deepseek.com/v1/chat/completions",
        ),
        (
            "xai/grok-4",
            "grok-4",
            false,
            "https://api.x.ai/v1/chat/completions",
        ),
        (
            "together_ai/llama",
            "llama",
            false,
            "https://api.together.xyz/v1/chat/completions",
        ),
        (
            "ollama/llama3.1",
            "llama3.1",
            false,
            "http://localhost:11434/v1/chat/completions",
        ),
        (
            "openrouter/auto",
            "auto",
            false,
            "https://openrouter.ai/api/v1/chat/completions",
        ),
        (
            "vercel/gpt",
            "gpt",
            false,
            "https://ai-gateway.vercel.sh/v1/chat/completions",
        ),
        (
            "qwen/qwen3",
            "qwen3",
            false,
            "https://dashscope-intl.aliyuncs.com/compatible-mode/v1/chat/completions",
        ),
        (
            "zhipu/glm-4.6",
            "glm-4.6",
            false,
            "https://open.bigmodel.cn/api/paas/v4/chat/completions",
        ),
        (
            "moonshotai/kimi-k2",
            "kimi-k2",
            false,
            "https://api.moonshot.ai/v1/chat/completions",
        ),
        (
            "github/gpt-4o",
            "gpt-4o",
            false,
            "https://models.github.ai/inference/chat/completions",
        ),
        (
            "digitalocean/llama",
            "llama",
            false,
            "https://inference.do-ai.run/v1/chat/completions",
        ),
    ];
    for (model, client_model, stream, expected) in cases {
        let providers = format!("  - model: \"{model}\"\n    access_key: $OPENAI_API_KEY\n");
        assert_eq!(
            url(&providers, client_model, Api::OpenAiChat, *stream),
            *expected,
            "{model}"
        );
    }
    // Other clients reach Gemini's own API; streams ask for SSE.
    let gemini = "  - model: gemini/gemini-2.5-flash\n    access_key: $GEMINI_API_KEY\n";
    assert_eq!(
        url(gemini, "gemini-2.5-flash", Api::AnthropicMessages, false),
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    );
    assert_eq!(
        url(gemini, "gemini-2.5-flash", Api::AnthropicMessages, true),
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
    // Bedrock (Plano's form: the region in base_url), both paths.
    let bedrock = "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    access_key: $BEDROCK_TOKEN\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n";
    assert_eq!(
        url(bedrock, "us.amazon.nova-pro-v1:0", Api::OpenAiChat, true),
        "https://bedrock-runtime.us-west-2.amazonaws.com/model/us.amazon.nova-pro-v1%3A0/converse-stream"
    );
    assert_eq!(
        url(
            bedrock,
            "us.amazon.nova-pro-v1:0",
            Api::AnthropicMessages,
            false
        ),
        "https://bedrock-runtime.us-west-2.amazonaws.com/model/us.amazon.nova-pro-v1%3A0/converse"
    );
}

#[test]
fn base_url_prefixes_replace_the_default_prefix() {
    let cases: &[(&str, &str, Api, &str)] = &[
        // Host only: the catalog path.
        (
            "zhipu/glm-4.6",
            "https://api.z.ai",
            Api::OpenAiChat,
            "https://api.z.ai/api/paas/v4/chat/completions",
        ),
        // Plano's documented examples.
        (
            "zhipu/glm-4.6",
            "https://api.z.ai/api/coding/paas/v4",
            Api::OpenAiChat,
            "https://api.z.ai/api/coding/paas/v4/chat/completions",
        ),
        (
            "openai/gpt-4o",
            "https://proxy.company.com/ai-gateway/openai",
            Api::OpenAiChat,
            "https://proxy.company.com/ai-gateway/openai/chat/completions",
        ),
        (
            "ollama/llama3.1",
            "http://localhost:8080",
            Api::OpenAiChat,
            "http://localhost:8080/v1/chat/completions",
        ),
        (
            "moonshotai/kimi-for-coding",
            "https://api.kimi.com/coding/v1",
            Api::AnthropicMessages,
            "https://api.kimi.com/coding/v1/chat/completions",
        ),
        // OpenAI-SDK-style base URLs, trailing slash, non-default port.
        (
            "openai/gpt-4o",
            "https://api.openai.com/v1/",
            Api::OpenAiChat,
            "https://api.openai.com/v1/chat/completions",
        ),
        (
            "openai/gpt-4o",
            "http://10.0.0.5:8000/v1",
            Api::OpenAiChat,
            "http://10.0.0.5:8000/v1/chat/completions",
        ),
        (
            "openai/gpt-4o",
            "https://api.openai.com:443",
            Api::OpenAiChat,
            "https://api.openai.com/v1/chat/completions",
        ),
        // The start of the default prefix keeps the catalog path.
        (
            "gemini/gemini-2.5-pro",
            "https://generativelanguage.googleapis.com/v1beta",
            Api::OpenAiChat,
            "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions",
        ),
        (
            "gemini/gemini-2.5-pro",
            "https://generativelanguage.googleapis.com/v1beta",
            Api::AnthropicMessages,
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent",
        ),
        (
            "groq/llama-3.3-70b",
            "https://api.groq.com/openai",
            Api::OpenAiChat,
            "https://api.groq.com/openai/v1/chat/completions",
        ),
        (
            "groq/llama-3.3-70b",
            "https://api.groq.com/op",
            Api::OpenAiChat,
            "https://api.groq.com/op/chat/completions",
        ),
        // A full endpoint URL is not doubled.
        (
            "openai/gpt-4o",
            "https://llm.internal/v1/chat/completions",
            Api::OpenAiChat,
            "https://llm.internal/v1/chat/completions",
        ),
        // Responses passthrough on OpenAI with a prefix.
        (
            "anthropic/claude-sonnet-4-5",
            "https://proxy.example/anthropic",
            Api::AnthropicMessages,
            "https://proxy.example/anthropic/messages",
        ),
        (
            "gemini/gemini-2.5-pro",
            "https://proxy.example/google/v1",
            Api::AnthropicMessages,
            "https://proxy.example/google/v1/models/gemini-2.5-pro:generateContent",
        ),
        (
            "gemini/gemini-2.5-pro",
            "https://proxy.example/google/v1beta/openai",
            Api::OpenAiChat,
            "https://proxy.example/google/v1beta/openai/chat/completions",
        ),
        // Azure: deployment in the path, api-version kept.
        (
            "azure_openai/gpt-4o",
            "https://myres.openai.azure.com",
            Api::OpenAiChat,
            "https://myres.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
        ),
        (
            "azure_openai/gpt-4o",
            "https://myres.openai.azure.com",
            Api::AnthropicMessages,
            "https://myres.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
        ),
        // Bedrock: the region is in base_url (Plano's form); a proxy prefix precedes /model.
        (
            "amazon_bedrock/us.amazon.nova-premier-v1:0",
            "https://bedrock-runtime.us-west-2.amazonaws.com",
            Api::OpenAiChat,
            "https://bedrock-runtime.us-west-2.amazonaws.com/model/us.amazon.nova-premier-v1%3A0/converse",
        ),
        (
            "amazon_bedrock/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
            "https://bedrock-runtime.us-east-1.amazonaws.com",
            Api::OpenAiChat,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-20250514-v1%3A0/converse",
        ),
        (
            "amazon_bedrock/us.amazon.nova-pro-v1:0",
            "https://gw.example/bedrock",
            Api::OpenAiChat,
            "https://gw.example/bedrock/model/us.amazon.nova-pro-v1%3A0/converse",
        ),
    ];
    for (model, base, client, expected) in cases {
        let providers = format!(
            "  - model: \"{model}\"\n    access_key: $OPENAI_API_KEY\n    base_url: {base}\n"
        );
        assert_eq!(
            url(&providers, model, *client, false),
            *expected,
            "{model} {base}"
        );
    }
    let custom = "  - model: vllm/custom-model\n    base_url: https://vllm.example.com/models/v2\n    provider_interface: openai\n";
    assert_eq!(
        url(custom, "custom-model", Api::OpenAiChat, false),
        "https://vllm.example.com/models/v2/chat/completions"
    );
    let plain = "  - model: local/llama2-7b\n    base_url: http://localhost:8000\n    provider_interface: openai\n";
    assert_eq!(
        url(plain, "llama2-7b", Api::OpenAiChat, false),
        "http://localhost:8000/v1/chat/completions"
    );
}

#[test]
fn bedrock_region() {
    assert_eq!(
        region_from_host("bedrock-runtime.us-west-2.amazonaws.com"),
        Some("us-west-2")
    );
    assert_eq!(
        region_from_host("bedrock-runtime-fips.us-east-1.amazonaws.com"),
        Some("us-east-1")
    );
    assert_eq!(
        region_from_host("bedrock-runtime.cn-north-1.amazonaws.com.cn"),
        Some("cn-north-1")
    );
    assert_eq!(
        region_from_host("vpce-0abc.bedrock-runtime.eu-central-1.vpce.amazonaws.com"),
        Some("eu-central-1")
    );
    assert_eq!(region_from_host("gw.example"), None);
    assert_eq!(region_from_host("bedrock-runtime"), None);
    // Behind a proxy, SigV4 signs for the region of the host's AWS credentials.
    let c = one(
        "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    base_url: https://gw.example/bedrock\n",
    );
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::literal(AWS_SECRET));
    let regional = creds.clone().with_region("eu-west-1");
    let req = call(
        &c,
        "us.amazon.nova-pro-v1:0",
        &Call {
            aws: Some(&regional),
            ..Call::default()
        },
    );
    assert_eq!(
        req.url,
        "https://gw.example/bedrock/model/us.amazon.nova-pro-v1%3A0/converse"
    );
    assert!(
        req.header("authorization")
            .unwrap()
            .contains("/eu-west-1/bedrock/aws4_request"),
        "{:?}",
        req.header("authorization")
    );
    // No region anywhere: the gateway is misconfigured.
    let e = try_call(
        &c,
        "us.amazon.nova-pro-v1:0",
        &Call {
            aws: Some(&creds),
            ..Call::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e, UpstreamError::NoRegion { .. }), "{e:?}");
    assert_eq!((e.fault(), e.to_api_error().status), (Fault::Gateway, 500));
    // A Bedrock API key needs no region.
    let c = one(
        "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    access_key: $BEDROCK_TOKEN\n    base_url: https://gw.example/bedrock\n",
    );
    let req = call(&c, "us.amazon.nova-pro-v1:0", &Call::default());
    assert_eq!(req.header("authorization"), Some("Bearer bedrock-SECRET5"));
}

fn names(req: &UpstreamRequest) -> Vec<&str> {
    req.headers.iter().map(|h| h.name.as_str()).collect()
}

#[test]
fn credentials_per_auth_style() {
    let c = config(concat!(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n",
        "  - model: anthropic/claude-sonnet-4-5\n    access_key: $ANTHROPIC_API_KEY\n",
        "  - model: gemini/gemini-2.5-flash\n    access_key: $GEMINI_API_KEY\n",
        "  - model: azure_openai/gpt-4o-deploy\n    access_key: $AZURE_API_KEY\n    base_url: https://r.openai.azure.com\n",
        "  - model: ollama/llama3.1\n",
        "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    access_key: $BEDROCK_TOKEN\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n",
    ));
    let get = |model: &str, name: &str| {
        call(&c, model, &Call::default())
            .header(name)
            .map(str::to_owned)
    };
    assert_eq!(
        get("gpt-4o", "authorization").as_deref(),
        Some("Bearer sk-openai-SECRET1")
    );
    assert_eq!(
        get("claude-sonnet-4-5", "x-api-key").as_deref(),
        Some("sk-ant-SECRET2")
    );
    assert_eq!(
        get("claude-sonnet-4-5", "anthropic-version").as_deref(),
        Some("2023-06-01")
    );
    assert_eq!(get("claude-sonnet-4-5", "authorization"), None);
    // Gemini: Bearer on its OpenAI-compatible endpoint, x-goog-api-key on its own API.
    assert_eq!(
        get("gemini-2.5-flash", "authorization").as_deref(),
        Some("Bearer AIza-SECRET3")
    );
    let anthropic_body =
        br#"{"model":"x","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;
    let native = call(
        &c,
        "gemini-2.5-flash",
        &Call {
            client: Api::AnthropicMessages,
            body: anthropic_body,
            ..Call::default()
        },
    );
    assert_eq!(native.header("x-goog-api-key"), Some("AIza-SECRET3"));
    assert_eq!(native.header("authorization"), None);
    assert_eq!(
        get("gpt-4o-deploy", "api-key").as_deref(),
        Some("azure-SECRET4")
    );
    assert_eq!(get("gpt-4o-deploy", "authorization"), None);
    // Bedrock with an API key (Plano's form): a bearer token, no signature.
    assert_eq!(
        get("us.amazon.nova-pro-v1:0", "authorization").as_deref(),
        Some("Bearer bedrock-SECRET5")
    );
    assert_eq!(get("us.amazon.nova-pro-v1:0", "x-amz-date"), None);
    let ollama = call(&c, "llama3.1", &Call::default());
    assert_eq!(names(&ollama), ["content-type", "accept"]);
    let openai = call(&c, "gpt-4o", &Call::default());
    assert_eq!(names(&openai), ["content-type", "accept", "authorization"]);
    assert!(
        openai
            .headers
            .iter()
            .all(|h| h.sensitive == (h.name == "authorization"))
    );
    let streaming = call(
        &c,
        "gpt-4o",
        &Call {
            stream: true,
            ..Call::default()
        },
    );
    assert_eq!(streaming.header("accept"), Some("text/event-stream"));
}

/// AWS's published SigV4 test suite (`aws-sig-v4-test-suite`, also shipped with the
/// `aws-sigv4` crate): `post-vanilla` and `get-vanilla-with-session-token`, 2015-08-30T12:36:00Z.
#[test]
fn sigv4_matches_aws_test_vectors() {
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::literal(AWS_SECRET));
    let now_ms = 1_440_938_160_000;
    let headers = sign_request(
        &creds,
        &SignInput {
            method: "POST",
            url: "https://example.amazonaws.com/",
            headers: &[("host", "example.amazonaws.com")],
            body: b"",
            region: "us-east-1",
            service: "service",
            now_ms,
        },
    )
    .unwrap();
    let get = |hs: &[plano_core::upstream::Header], n: &str| {
        hs.iter()
            .find(|h| h.name == n)
            .map(|h| h.value().to_owned())
    };
    assert_eq!(
        get(&headers, "x-amz-date").as_deref(),
        Some("20150830T123600Z")
    );
    assert_eq!(
        get(&headers, "authorization").as_deref(),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        )
    );
    let with_token = creds.clone().with_session_token(Secret::literal(
        "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
    ));
    let headers = sign_request(
        &with_token,
        &SignInput {
            method: "GET",
            url: "https://example.amazonaws.com/",
            headers: &[("host", "example.amazonaws.com")],
            body: b"",
            region: "us-east-1",
            service: "service",
            now_ms,
        },
    )
    .unwrap();
    assert_eq!(
        get(&headers, "authorization").as_deref(),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
        )
    );
    assert_eq!(
        get(&headers, "x-amz-security-token").as_deref(),
        Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267")
    );
    let dbg = format!("{headers:?} {with_token:?}");
    assert!(
        !dbg.contains("6e86291e") && !dbg.contains("Signature=") && !dbg.contains(AWS_SECRET),
        "{dbg}"
    );
}

/// A Bedrock request: the `%3A` in the path is encoded again in the canonical request
/// (`%253A`), as AWS requires for every service but S3. Expected value computed independently
/// (a 25-line Python SigV4 that reproduces the `post-vanilla` vector above).
#[test]
fn sigv4_bedrock_double_encodes_the_path() {
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::literal(AWS_SECRET))
        .with_session_token(Secret::literal(AWS_TOKEN));
    let headers = sign_request(
        &creds,
        &SignInput {
            method: "POST",
            url: "https://bedrock-runtime.us-west-2.amazonaws.com/model/us.amazon.nova-pro-v1%3A0/converse",
            headers: &[("content-type", "application/json")],
            body: br#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#,
            region: "us-west-2",
            service: "bedrock",
            now_ms: 1_736_935_200_000,
        },
    )
    .unwrap();
    let auth = headers.iter().find(|h| h.name == "authorization").unwrap();
    assert_eq!(
        auth.value(),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=b8f549b5d0c3458b8f7143a1cf2369d797ccbc0066a0d38c09deebbe7a30bc45"
    );
}

#[test]
fn bedrock_sigv4_request() {
    let c = one(
        "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n",
    );
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::literal(AWS_SECRET))
        .with_session_token(Secret::literal(AWS_TOKEN))
        .with_region("eu-west-1");
    let req = call(
        &c,
        "us.amazon.nova-pro-v1:0",
        &Call {
            aws: Some(&creds),
            stream: true,
            ..Call::default()
        },
    );
    assert_eq!(req.api, Api::BedrockConverse);
    // The base_url's region wins over the credentials' default.
    assert_eq!(
        req.url,
        "https://bedrock-runtime.us-west-2.amazonaws.com/model/us.amazon.nova-pro-v1%3A0/converse-stream"
    );
    assert_eq!(
        names(&req),
        [
            "content-type",
            "accept",
            "x-amz-date",
            "authorization",
            "x-amz-security-token"
        ]
    );
    assert_eq!(
        req.header("accept"),
        Some("application/vnd.amazon.eventstream")
    );
    assert_eq!(req.header("x-amz-date"), Some("20250115T100000Z"));
    // The signature covers exactly the URL, body and headers that are sent.
    let again = sign_request(
        &creds,
        &SignInput {
            method: "POST",
            url: &req.url,
            headers: &[("content-type", "application/json")],
            body: &req.body,
            region: "us-west-2",
            service: "bedrock",
            now_ms: 1_736_935_200_000,
        },
    )
    .unwrap();
    let auth = again.iter().find(|h| h.name == "authorization").unwrap();
    assert_eq!(req.header("authorization"), Some(auth.value()));
    assert!(auth.value().starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="));
    // The model travels in the path, not the body.
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert!(
        body.get("modelId").is_none() && body.get("model").is_none(),
        "{body}"
    );
    // With http_host, the signed host is the override.
    let c = one(
        "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n    http_host: bedrock.internal\n",
    );
    let req2 = call(
        &c,
        "us.amazon.nova-pro-v1:0",
        &Call {
            aws: Some(&creds),
            stream: true,
            ..Call::default()
        },
    );
    assert_eq!(req2.header("host"), Some("bedrock.internal"));
    assert_ne!(req2.header("authorization"), req.header("authorization"));
    // Neither an access_key nor AWS credentials.
    let e = try_call(&c, "us.amazon.nova-pro-v1:0", &Call::default()).unwrap_err();
    assert!(matches!(e, UpstreamError::NoCredentials { .. }), "{e:?}");
    assert_eq!(e.fault(), Fault::Gateway);
}

#[test]
fn passthrough_auth_uses_the_clients_key() {
    let c = config(concat!(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n    passthrough_auth: true\n",
        "  - model: anthropic/claude-sonnet-4-5\n    passthrough_auth: true\n",
        "  - model: gemini/gemini-2.5-flash\n    passthrough_auth: true\n",
    ));
    let bearer = [("Authorization", "Bearer client-KEY-1")];
    let req = call(
        &c,
        "gpt-4o",
        &Call {
            headers: &bearer,
            ..Call::default()
        },
    );
    assert_eq!(req.header("authorization"), Some("Bearer client-KEY-1"));
    assert_eq!(
        req.headers
            .iter()
            .filter(|h| h.name == "authorization")
            .count(),
        1
    );
    // A Bearer client to an x-api-key upstream: the key moves to the upstream's header.
    let req = call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            headers: &bearer,
            ..Call::default()
        },
    );
    assert_eq!(req.header("x-api-key"), Some("client-KEY-1"));
    assert_eq!(req.header("authorization"), None);
    // An Anthropic client's x-api-key to an OpenAI upstream.
    let anthropic_client = [
        ("x-api-key", "client-KEY-2"),
        ("anthropic-version", "2023-06-01"),
    ];
    let body = br#"{"model":"gpt-4o","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;
    let req = call(
        &c,
        "gpt-4o",
        &Call {
            client: Api::AnthropicMessages,
            body,
            headers: &anthropic_client,
            ..Call::default()
        },
    );
    assert_eq!(req.header("authorization"), Some("Bearer client-KEY-2"));
    assert_eq!(req.header("x-api-key"), None);
    // Gemini's ?key= in the query.
    let Ok(Route::Generate(g)) = classify(
        "POST",
        "/v1beta/models/gemini-2.5-flash:generateContent?key=client-KEY-3",
        &[],
    ) else {
        panic!()
    };
    let r = resolve_model(&c, g.model.as_deref(), None).unwrap();
    let meta = g.meta();
    let gemini_body = br#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#;
    let req = build(&UpstreamInput {
        provider: r.provider,
        upstream_model: r.upstream_model,
        client_api: g.api,
        meta: &meta,
        stream: g.stream,
        client_headers: &[],
        query_key: g.query_key.as_ref(),
        body: gemini_body,
        span_id: None,
        aws: None,
        now_ms: 0,
    })
    .unwrap();
    assert_eq!(req.header("x-goog-api-key"), Some("client-KEY-3"));
    assert!(!req.url.contains("client-KEY-3"), "{}", req.url);
    assert!(req.passthrough);
    // No client credential at all: the client's fault.
    let e = try_call(&c, "gpt-4o", &Call::default()).unwrap_err();
    assert!(
        matches!(e, UpstreamError::MissingClientCredential { .. }),
        "{e:?}"
    );
    assert_eq!((e.fault(), e.to_api_error().status), (Fault::Client, 401));
}

#[test]
fn client_headers_forwarded_with_care() {
    let c = config(concat!(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n    http_host: openai.internal\n    headers:\n      X-Proxy-Auth: Bearer $PROXY_TOKEN\n      X-Request-Source: gateway\n",
        "  - model: anthropic/claude-sonnet-4-5\n    access_key: $ANTHROPIC_API_KEY\n",
        "  - model: amazon_bedrock/us.anthropic.claude-sonnet-4-5-v1:0\n    access_key: $BEDROCK_TOKEN\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n",
    ));
    let client = [
        ("Host", "gateway.local"),
        ("Content-Length", "123"),
        ("Connection", "keep-alive, X-Hop"),
        ("X-Hop", "1"),
        ("Keep-Alive", "timeout=5"),
        ("Transfer-Encoding", "chunked"),
        ("Upgrade", "h2c"),
        ("Proxy-Authorization", "Basic cHJveHk="),
        ("Authorization", "Bearer client-KEY"),
        ("X-Api-Key", "client-KEY"),
        ("Cookie", "s=1"),
        ("Accept-Encoding", "gzip"),
        ("anthropic-beta", "prompt-caching-2024-07-31"),
        ("anthropic-version", "2023-01-01"),
        ("OpenAI-Organization", "org-1"),
        ("x-arch-llm-provider-hint", "mini"),
        ("x-amz-date", "20250101T000000Z"),
        ("X-Request-Id", "req-42"),
        ("User-Agent", "sdk/1.0"),
        ("X-Request-Source", "client"),
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("tracestate", "congo=t61rcWkgMzE"),
    ];
    let span = Some([0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]);
    let req = call(
        &c,
        "gpt-4o",
        &Call {
            headers: &client,
            span,
            ..Call::default()
        },
    );
    let pairs: Vec<(&str, &str)> = req
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("openai-organization", "org-1"),
            ("x-request-id", "req-42"),
            ("user-agent", "sdk/1.0"),
            ("authorization", "Bearer sk-openai-SECRET1"),
            ("x-proxy-auth", "Bearer proxy-SECRET7"),
            ("x-request-source", "gateway"),
            (
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"
            ),
            ("tracestate", "congo=t61rcWkgMzE"),
            ("host", "openai.internal"),
        ]
    );
    // anthropic-beta and the client's anthropic-version reach only an Anthropic upstream.
    let anthropic_body = br#"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;
    let to_anthropic = call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            client: Api::AnthropicMessages,
            body: anthropic_body,
            headers: &client,
            ..Call::default()
        },
    );
    assert_eq!(
        to_anthropic.header("anthropic-beta"),
        Some("prompt-caching-2024-07-31")
    );
    assert_eq!(to_anthropic.header("anthropic-version"), Some("2023-01-01"));
    assert_eq!(to_anthropic.header("openai-organization"), None);
    assert_eq!(to_anthropic.header("x-api-key"), Some("sk-ant-SECRET2"));
    // An OpenAI client to Anthropic: the catalog's version, never the client's.
    let from_openai = call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            headers: &client,
            ..Call::default()
        },
    );
    assert_eq!(from_openai.header("anthropic-version"), Some("2023-06-01"));
    let to_bedrock = call(
        &c,
        "us.anthropic.claude-sonnet-4-5-v1:0",
        &Call {
            client: Api::AnthropicMessages,
            body: anthropic_body,
            headers: &client,
            ..Call::default()
        },
    );
    assert_eq!(to_bedrock.header("anthropic-beta"), None);
    assert_eq!(to_bedrock.header("anthropic-version"), None);
    assert_eq!(to_bedrock.header("x-amz-date"), None);
    // No span id: the client's traceparent goes on unchanged; a malformed one is dropped.
    let tp = [(
        "traceparent",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )];
    let req = call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            headers: &tp,
            ..Call::default()
        },
    );
    assert_eq!(req.header("traceparent"), Some(tp[0].1));
    let bad = [("traceparent", "00-xyz-b7ad6b7169203331-01")];
    let req = call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            headers: &bad,
            span,
            ..Call::default()
        },
    );
    assert_eq!(req.header("traceparent"), None);
}

#[test]
fn bodies_translated_or_passed_through() {
    let c = config(concat!(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n",
        "  - model: anthropic/claude-sonnet-4-5\n    access_key: $ANTHROPIC_API_KEY\n",
        "  - model: gemini/gemini-2.5-flash\n    access_key: $GEMINI_API_KEY\n",
    ));
    let req = call(&c, "gpt-4o", &Call::default());
    assert!(req.passthrough && req.losses.0.is_empty());
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        (body["model"].as_str(), body["x_custom"].as_i64()),
        (Some("gpt-4o"), Some(1))
    );
    let req = call(&c, "claude-sonnet-4-5", &Call::default());
    assert_eq!((req.api, req.passthrough), (Api::AnthropicMessages, false));
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["model"], "claude-sonnet-4-5");
    assert_eq!(body["max_tokens"], 64);
    assert!(
        req.losses.0.iter().any(|l| l.path.contains("x_custom")),
        "{:?}",
        req.losses
    );
    let anthropic_body =
        br#"{"model":"x","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;
    let req = call(
        &c,
        "gemini-2.5-flash",
        &Call {
            client: Api::AnthropicMessages,
            body: anthropic_body,
            ..Call::default()
        },
    );
    assert_eq!(req.api, Api::Gemini);
    assert!(
        serde_json::from_slice::<serde_json::Value>(&req.body)
            .unwrap()
            .get("model")
            .is_none()
    );
    // A body the client API cannot decode: the client's fault, a 400 in its shape.
    let e = try_call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            body: b"{not json",
            ..Call::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e, UpstreamError::Translate(_)), "{e:?}");
    assert_eq!((e.fault(), e.to_api_error().status), (Fault::Client, 400));
}

#[test]
fn secrets_never_in_debug_or_errors() {
    let c = config(concat!(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n    headers:\n      X-Proxy-Auth: $PROXY_TOKEN\n",
        "  - model: anthropic/claude-sonnet-4-5\n    passthrough_auth: true\n",
        "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n",
    ));
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::literal(AWS_SECRET))
        .with_session_token(Secret::literal(AWS_TOKEN));
    let client = [("authorization", "Bearer client-SECRET8")];
    let reqs = [
        call(&c, "gpt-4o", &Call::default()),
        call(
            &c,
            "claude-sonnet-4-5",
            &Call {
                headers: &client,
                ..Call::default()
            },
        ),
        call(
            &c,
            "us.amazon.nova-pro-v1:0",
            &Call {
                aws: Some(&creds),
                ..Call::default()
            },
        ),
    ];
    let secrets = ["SECRET", AWS_SECRET, AWS_TOKEN, "Signature="];
    for req in &reqs {
        let dbg = format!("{req:?}");
        for s in secrets {
            assert!(!dbg.contains(s), "{s} in {dbg}");
        }
        assert!(dbg.contains("<redacted>"), "{dbg}");
        // Nothing outside the headers carries a secret.
        let body = String::from_utf8_lossy(&req.body);
        for s in secrets {
            assert!(!req.url.contains(s) && !body.contains(s), "{s}");
        }
    }
    let errors = [
        try_call(&c, "claude-sonnet-4-5", &Call::default()).unwrap_err(),
        try_call(&c, "us.amazon.nova-pro-v1:0", &Call::default()).unwrap_err(),
    ];
    for e in &errors {
        let text = format!("{e} {e:?} {:?}", e.to_api_error());
        for s in secrets {
            assert!(!text.contains(s), "{s} in {text}");
        }
    }
    assert!(!format!("{creds:?}").contains(AWS_SECRET));
}

/// A Bedrock client naming an inference-profile ARN: classified, resolved and sent on with
/// the same encoding it arrived with.
#[test]
fn bedrock_arn_end_to_end() {
    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0";
    let encoded = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-20250514-v1%3A0";
    let c = one(&format!(
        "  - model: \"amazon_bedrock/{arn}\"\n    access_key: $BEDROCK_TOKEN\n    base_url: https://bedrock-runtime.us-east-1.amazonaws.com\n"
    ));
    let Ok(Route::Generate(g)) =
        classify("POST", &format!("/model/{encoded}/converse-stream"), &[])
    else {
        panic!()
    };
    let r = resolve_model(&c, g.model.as_deref(), None).unwrap();
    assert_eq!(r.how, plano_core::route::Resolution::BareModel);
    let meta = g.meta();
    let body = br#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":64}}"#;
    let req = build(&UpstreamInput {
        provider: r.provider,
        upstream_model: r.upstream_model,
        client_api: g.api,
        meta: &meta,
        stream: g.stream,
        client_headers: &[],
        query_key: None,
        body,
        span_id: None,
        aws: None,
        now_ms: 0,
    })
    .unwrap();
    assert_eq!(
        req.url,
        format!("https://bedrock-runtime.us-east-1.amazonaws.com/model/{encoded}/converse-stream")
    );
    assert!(req.passthrough);
    let sent: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(sent["inferenceConfig"]["maxTokens"], 64);
}
