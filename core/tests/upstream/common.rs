//! Configs with test secrets and the call that builds an upstream request.

use std::collections::BTreeMap;

use hermesllm::{Api, RequestMeta};
use plano_core::config::{Config, Provider, Secret};
use plano_core::route::resolve_model;
use plano_core::upstream::{AwsCredentials, UpstreamError, UpstreamInput, UpstreamRequest, build};

pub const SECRETS: &[(&str, &str)] = &[
    ("OPENAI_API_KEY", "sk-openai-SECRET1"),
    ("ANTHROPIC_API_KEY", "sk-ant-SECRET2"),
    ("GEMINI_API_KEY", "AIza-SECRET3"),
    ("AZURE_API_KEY", "azure-SECRET4"),
    ("BEDROCK_TOKEN", "bedrock-SECRET5"),
    ("GROQ_API_KEY", "gsk-SECRET6"),
    ("PROXY_TOKEN", "proxy-SECRET7"),
];

pub const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const AWS_TOKEN: &str = "session-token-example";

pub fn config(providers: &str) -> Config {
    let yaml = format!(
        "version: v0.4.0\nlisteners:\n  - type: model\n    name: llm\n    port: 12000\nmodel_providers:\n{providers}"
    );
    let secrets: BTreeMap<String, String> = SECRETS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::load(&yaml, &secrets).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

pub fn one(provider: &str) -> Config {
    config(provider)
}

pub const CHAT: &[u8] =
    br#"{"model":"x","messages":[{"role":"user","content":"Hi"}],"max_tokens":64,"x_custom":1}"#;

pub struct Call<'a> {
    pub client: Api,
    pub body: &'a [u8],
    pub headers: &'a [(&'a str, &'a str)],
    pub stream: bool,
    pub aws: Option<&'a AwsCredentials>,
    pub span: Option<[u8; 8]>,
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

pub fn try_call(
    c: &Config,
    model: &str,
    call: &Call<'_>,
) -> Result<UpstreamRequest, UpstreamError> {
    let r = resolve_model(c, Some(model), None).unwrap();
    call_provider(r.provider, r.upstream_model, call)
}

pub fn call_provider(
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

pub fn call(c: &Config, model: &str, call: &Call<'_>) -> UpstreamRequest {
    try_call(c, model, call).unwrap_or_else(|e| panic!("{model}: {e}"))
}

pub fn url(providers: &str, model: &str, client: Api, stream: bool) -> String {
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
