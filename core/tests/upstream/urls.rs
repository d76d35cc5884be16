//! URLs: catalog paths per provider and client API, base_url prefixes, Bedrock regions and ARNs.

use hermesllm::Api;
use plano_core::config::Secret;
use plano_core::route::{Route, classify, resolve_model};
use plano_core::upstream::{
    AwsCredentials, Fault, UpstreamError, UpstreamInput, build, region_from_host,
};

use super::common::*;

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
