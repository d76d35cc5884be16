//! GenAI span attributes.

use hermesllm::Api;
use hermesllm::ir::{self, StopReason, Usage};
use hermesllm::stream::StreamSummary;

use super::{Attribute, Value};
use crate::error::ExchangeError;

/// `gen_ai.operation.name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `chat`: OpenAI Chat Completions and Responses, Anthropic Messages, Bedrock Converse.
    Chat,
    /// `generate_content`: Gemini `generateContent`, which the conventions name separately.
    GenerateContent,
}

impl Operation {
    /// The operation a client API performs.
    pub fn of(api: Api) -> Operation {
        match api {
            Api::Gemini => Operation::GenerateContent,
            _ => Operation::Chat,
        }
    }

    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Chat => "chat",
            Operation::GenerateContent => "generate_content",
        }
    }
}

/// How the exchange ended.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Outcome<'a> {
    /// A complete, non-streaming response.
    Response(&'a ir::Response<'a>),
    /// A streamed response, summarised; `response_model` as the stream reported it (else
    /// the summary's [`model`](StreamSummary::model)). The response id is the summary's.
    Stream {
        /// The stream summary.
        summary: &'a StreamSummary,
        /// The model named by the stream's start event, when it named one.
        response_model: Option<&'a str>,
    },
    /// An error before any response.
    Error(&'a ExchangeError),
}

/// What the span is computed from.
#[derive(Debug, Clone, Copy)]
pub struct SpanInput<'a> {
    /// The API the client speaks.
    pub client_api: Api,
    /// The provider as configured (`openai`, `amazon_bedrock`, a custom name with
    /// `provider_interface`), mapped by [`provider_name`].
    pub provider: &'a str,
    /// The decoded client request.
    pub request: &'a ir::Request<'a>,
    /// The model id sent upstream (after alias resolution); `None`: the request's model.
    pub upstream_model: Option<&'a str>,
    /// The upstream host and port (`server.address`, `server.port`).
    pub server: Option<(&'a str, u16)>,
    /// How it ended.
    pub outcome: Outcome<'a>,
}

/// The span attributes, in this fixed order, each present only when known:
///
/// 1. `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model` (the model
///    sent upstream)
/// 2. `gen_ai.request.max_tokens`, `.temperature`, `.top_p`, `.top_k`, `.seed`,
///    `.frequency_penalty`, `.presence_penalty`, `.choice.count` (only when not 1)
/// 3. `gen_ai.response.id`, `gen_ai.response.model`, `gen_ai.response.finish_reasons`
/// 4. `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens` (both when usage was
///    reported), `gen_ai.usage.cache_read.input_tokens`,
///    `gen_ai.usage.cache_creation.input_tokens` (when not zero; both are included in
///    `input_tokens`)
/// 5. `server.address`, `server.port`
/// 6. `error.type`: [`ExchangeError::code`], or for a stream that ended in error the
///    upstream's error code (else the kind, e.g. `server`)
pub fn span_attributes(input: &SpanInput<'_>) -> Vec<Attribute> {
    let SpanInput {
        client_api,
        provider,
        request,
        upstream_model,
        server,
        outcome,
    } = *input;
    let mut out: Vec<Attribute> = Vec::with_capacity(16);
    let s = |v: &str| Value::Str(v.to_owned());
    out.push((
        "gen_ai.operation.name",
        s(Operation::of(client_api).as_str()),
    ));
    out.push(("gen_ai.provider.name", s(provider_name(provider))));
    let model = upstream_model.unwrap_or(&request.model);
    if !model.is_empty() {
        out.push(("gen_ai.request.model", s(model)));
    }
    request_params(request, &mut out);

    let (id, response_model, reasons, usage, error) = match outcome {
        Outcome::Response(r) => (
            Some(r.id.as_str()),
            Some(r.model.as_str()),
            r.choices
                .iter()
                .filter_map(|c| c.stop_reason.as_ref().map(finish_reason))
                .collect(),
            r.usage,
            None,
        ),
        Outcome::Stream {
            summary,
            response_model,
        } => (
            summary.response_id.as_deref(),
            response_model.or(summary.model.as_deref()),
            summary.stop_reason.iter().map(finish_reason).collect(),
            summary.usage,
            summary.error.as_ref().map(|e| {
                e.code
                    .as_deref()
                    .map_or_else(|| kind_name(e.kind).to_owned(), str::to_owned)
            }),
        ),
        Outcome::Error(e) => (None, None, Vec::new(), None, Some(e.code().to_owned())),
    };
    if let Some(id) = id.filter(|i| !i.is_empty()) {
        out.push(("gen_ai.response.id", s(id)));
    }
    if let Some(m) = response_model.filter(|m| !m.is_empty()) {
        out.push(("gen_ai.response.model", s(m)));
    }
    if !reasons.is_empty() {
        out.push(("gen_ai.response.finish_reasons", Value::StrArray(reasons)));
    }
    if let Some(u) = usage {
        usage_attributes(&u, &mut out);
    }
    if let Some((host, port)) = server {
        out.push(("server.address", s(host)));
        out.push(("server.port", Value::Int(i64::from(port))));
    }
    if let Some(e) = error {
        out.push(("error.type", Value::Str(e)));
    }
    out
}

fn request_params(request: &ir::Request<'_>, out: &mut Vec<Attribute>) {
    let ir::Sampling {
        temperature,
        top_p,
        top_k,
        seed,
        frequency_penalty,
        presence_penalty,
    } = request.sampling;
    if let Some(v) = request.max_output_tokens {
        out.push(("gen_ai.request.max_tokens", Value::Int(i64::from(v))));
    }
    if let Some(v) = temperature {
        out.push(("gen_ai.request.temperature", Value::Double(v)));
    }
    if let Some(v) = top_p {
        out.push(("gen_ai.request.top_p", Value::Double(v)));
    }
    if let Some(v) = top_k {
        // The conventions type top_k as a double.
        out.push(("gen_ai.request.top_k", Value::Double(f64::from(v))));
    }
    if let Some(v) = seed {
        out.push(("gen_ai.request.seed", Value::Int(v)));
    }
    if let Some(v) = frequency_penalty {
        out.push(("gen_ai.request.frequency_penalty", Value::Double(v)));
    }
    if let Some(v) = presence_penalty {
        out.push(("gen_ai.request.presence_penalty", Value::Double(v)));
    }
    if let Some(n) = request.n.filter(|n| *n != 1) {
        out.push(("gen_ai.request.choice.count", Value::Int(i64::from(n))));
    }
}

fn usage_attributes(u: &Usage, out: &mut Vec<Attribute>) {
    let int = |v: u64| Value::Int(i64::try_from(v).unwrap_or(i64::MAX));
    out.push(("gen_ai.usage.input_tokens", int(u.input_tokens)));
    out.push(("gen_ai.usage.output_tokens", int(u.output_tokens)));
    if u.cache_read_input_tokens > 0 {
        out.push((
            "gen_ai.usage.cache_read.input_tokens",
            int(u.cache_read_input_tokens),
        ));
    }
    if u.cache_write_input_tokens > 0 {
        out.push((
            "gen_ai.usage.cache_creation.input_tokens",
            int(u.cache_write_input_tokens),
        ));
    }
}

/// The `gen_ai.provider.name` of a configured provider: the conventions' well-known value
/// (`openai`, `anthropic`, `gcp.gemini`, `aws.bedrock`, `azure.ai.openai`, `groq`,
/// `mistral_ai`, `deepseek`, `x_ai`), else the catalog id, else the name as configured
/// (the conventions allow a custom value when none applies).
pub fn provider_name(provider: &str) -> &str {
    let Some(spec) = hermesllm::provider::lookup(provider) else {
        return provider;
    };
    match spec.id {
        "gemini" => "gcp.gemini",
        "amazon_bedrock" => "aws.bedrock",
        "azure_openai" => "azure.ai.openai",
        "mistral" => "mistral_ai",
        "xai" => "x_ai",
        id => id,
    }
}

/// A finish reason in OpenAI's vocabulary where it has a word (`stop`, `length`,
/// `tool_calls`, `content_filter`), else a snake-case name (`stop_sequence`, `refusal`,
/// `pause_turn`, `context_window_exceeded`), or the source API's own spelling.
pub fn finish_reason(reason: &StopReason<'_>) -> String {
    match reason {
        StopReason::EndTurn => "stop",
        StopReason::MaxTokens => "length",
        StopReason::StopSequence => "stop_sequence",
        StopReason::ToolUse => "tool_calls",
        StopReason::ContentFilter => "content_filter",
        StopReason::Refusal => "refusal",
        StopReason::PauseTurn => "pause_turn",
        StopReason::ContextWindowExceeded => "context_window_exceeded",
        StopReason::Other(s) => s.as_str(),
        _ => "other",
    }
    .to_owned()
}

fn kind_name(kind: ir::ErrorKind) -> &'static str {
    use ir::ErrorKind as K;
    match kind {
        K::InvalidRequest => "invalid_request",
        K::Authentication => "authentication",
        K::PermissionDenied => "permission_denied",
        K::NotFound => "not_found",
        K::RequestTooLarge => "request_too_large",
        K::Unprocessable => "unprocessable",
        K::RateLimit => "rate_limit",
        K::Overloaded => "overloaded",
        K::Timeout => "timeout",
        _ => "server",
    }
}
