//! The five client APIs as the suite speaks them: request bodies, and checks of responses,
//! streams and errors written from each API's documentation (not from the gateway's code).

mod chat;
mod converse;
mod gemini;
mod messages;
mod responses;

use serde_json::{Value, json};

use crate::http::{Resp, clip};

pub(crate) use gemini::parse_array_stream as parse_gemini_array;

/// A client API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// OpenAI Chat Completions.
    Chat,
    /// OpenAI Responses.
    Responses,
    /// Anthropic Messages.
    Messages,
    /// Gemini generateContent.
    Gemini,
    /// Bedrock Converse.
    Converse,
}

/// Every client API, in table order.
pub(crate) const APIS: [Api; 5] = [
    Api::Chat,
    Api::Responses,
    Api::Messages,
    Api::Gemini,
    Api::Converse,
];

/// Which tools a request declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tools {
    None,
    /// `get_weather`.
    One,
    /// `get_weather` and `get_time`, parallel calls allowed.
    Parallel,
}

/// What a scenario asks for, in API-neutral terms.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) model: String,
    pub(crate) stream: bool,
    pub(crate) prompt: String,
    pub(crate) tools: Tools,
    pub(crate) image: bool,
    pub(crate) thinking: bool,
}

impl Req {
    /// A plain text request.
    pub(crate) fn text(model: &str, prompt: &str) -> Req {
        Req {
            model: model.to_owned(),
            stream: false,
            prompt: prompt.to_owned(),
            tools: Tools::None,
            image: false,
            thinking: false,
        }
    }

    pub(crate) fn stream(mut self, stream: bool) -> Req {
        self.stream = stream;
        self
    }

    pub(crate) fn tools(mut self, tools: Tools) -> Req {
        self.tools = tools;
        self
    }

    pub(crate) fn image(mut self) -> Req {
        self.image = true;
        self
    }

    pub(crate) fn thinking(mut self) -> Req {
        self.thinking = true;
        self
    }

    fn max_tokens(&self) -> u64 {
        if self.thinking { 4096 } else { 512 }
    }
}

/// The system prompt every built request carries.
pub(crate) const SYSTEM: &str = "You are a terse assistant.";

/// A 1x1 transparent PNG, base64.
pub(crate) const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// A request ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub(crate) path: String,
    pub(crate) body: Value,
}

/// One tool call as the client sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolCall {
    pub(crate) name: String,
    /// The complete arguments, parsed.
    pub(crate) arguments: Value,
}

/// Token usage, normalised: input and output as the client API counts them, cached input
/// tokens when the API reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) input: u64,
    pub(crate) output: u64,
    pub(crate) cached: Option<u64>,
}

/// A response (or a whole stream) reduced to what the scenarios compare.
#[derive(Debug, Clone, Default)]
pub(crate) struct Answer {
    pub(crate) id: Option<String>,
    pub(crate) text: String,
    pub(crate) tool_calls: Vec<ToolCall>,
    /// The finish/stop reason (Responses: the status).
    pub(crate) finish: Option<String>,
    pub(crate) usage: Option<Usage>,
    /// Reasoning/thinking content (or, for OpenAI Chat, reasoning tokens) was reported.
    pub(crate) reasoning: bool,
    /// The reasoning carried a signature (Anthropic, Bedrock, Gemini thought signatures).
    pub(crate) reasoning_signature: bool,
    /// The model the response names.
    pub(crate) model: Option<String>,
}

/// How a stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// With the API's terminal event.
    Complete,
    /// With the API's error event (its message).
    Error(String),
    /// Neither: the bytes just stopped.
    Unterminated,
}

/// A parsed stream.
#[derive(Debug, Clone)]
pub(crate) struct Streamed {
    pub(crate) answer: Answer,
    pub(crate) end: End,
    /// How many events (SSE events or eventstream messages) it had.
    pub(crate) events: usize,
}

/// An error body in the client's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiErr {
    /// OpenAI `type`, Anthropic `error.type`, Gemini `status`, Bedrock `x-amzn-ErrorType`.
    pub(crate) kind: String,
    pub(crate) message: String,
}

impl Api {
    /// The name used in scenario ids.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Api::Chat => "chat",
            Api::Responses => "responses",
            Api::Messages => "messages",
            Api::Gemini => "gemini",
            Api::Converse => "converse",
        }
    }

    /// The request body and path for `req`.
    pub(crate) fn build(self, req: &Req) -> Built {
        match self {
            Api::Chat => chat::build(req),
            Api::Responses => responses::build(req),
            Api::Messages => messages::build(req),
            Api::Gemini => gemini::build(req),
            Api::Converse => converse::build(req),
        }
    }

    /// A body-carrying path for this API with `model` (for raw-body error scenarios).
    pub(crate) fn path(self, model: &str, stream: bool) -> String {
        self.build(&Req::text(model, "x").stream(stream)).path
    }

    /// Extra request headers this API's clients always send.
    pub(crate) fn client_headers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Api::Messages => &[("anthropic-version", "2023-06-01")],
            _ => &[],
        }
    }

    /// Checks a successful non-streaming response and reduces it.
    pub(crate) fn parse(self, resp: &Resp) -> Result<Answer, String> {
        resp.expect_status(200)?;
        resp.expect_complete()?;
        let ct = resp.header("content-type").unwrap_or("");
        if !ct.starts_with("application/json") {
            return Err(format!(
                "expected content-type application/json, got {ct:?}"
            ));
        }
        let v = resp.json()?;
        let answer = match self {
            Api::Chat => chat::parse(&v),
            Api::Responses => responses::parse(&v),
            Api::Messages => messages::parse(&v),
            Api::Gemini => gemini::parse(&v),
            Api::Converse => converse::parse(&v),
        };
        answer.map_err(|e| format!("{e}; body: {}", clip(&resp.body)))
    }

    /// Checks a streaming response (status 200, content type, framing, event order) and
    /// reduces it.
    pub(crate) fn parse_stream(self, resp: &Resp) -> Result<Streamed, String> {
        resp.expect_status(200)?;
        let ct = resp.header("content-type").unwrap_or("");
        let want = match self {
            Api::Converse => "application/vnd.amazon.eventstream",
            _ => "text/event-stream",
        };
        if !ct.starts_with(want) {
            return Err(format!("expected content-type {want}, got {ct:?}"));
        }
        let parsed = match self {
            Api::Chat => chat::parse_stream(&resp.body),
            Api::Responses => responses::parse_stream(&resp.body),
            Api::Messages => messages::parse_stream(&resp.body),
            Api::Gemini => gemini::parse_stream(&resp.body),
            Api::Converse => converse::parse_stream(&resp.body),
        };
        parsed.map_err(|e| {
            format!(
                "malformed {} stream: {e}; stream: {}",
                self.name(),
                clip(&resp.body)
            )
        })
    }

    /// Checks an error response: status `status` and a body in this API's error shape.
    pub(crate) fn error(self, resp: &Resp, status: u16) -> Result<ApiErr, String> {
        resp.expect_status(status)?;
        self.error_any(resp)
    }

    /// Checks that a response is an error in this API's shape, whatever its status (4xx or
    /// 5xx).
    pub(crate) fn error_any(self, resp: &Resp) -> Result<ApiErr, String> {
        if resp.status < 400 {
            return Err(format!(
                "expected an error status, got {}: {}",
                resp.status,
                clip(&resp.body)
            ));
        }
        let ct = resp.header("content-type").unwrap_or("");
        if !ct.starts_with("application/json") {
            return Err(format!(
                "expected an application/json error body, got content-type {ct:?}: {}",
                clip(&resp.body)
            ));
        }
        let v = resp.json()?;
        let parsed = match self {
            Api::Chat | Api::Responses => openai_error(&v),
            Api::Messages => messages::error(&v),
            Api::Gemini => gemini::error(&v, resp.status),
            Api::Converse => converse::error(&v, resp),
        };
        parsed.map_err(|e| {
            format!(
                "not a {} error body: {e}; status {}, body {}",
                self.name(),
                resp.status,
                clip(&resp.body)
            )
        })
    }

    /// The finish reason of a text answer.
    pub(crate) fn finish_text(self) -> &'static str {
        match self {
            Api::Chat => "stop",
            Api::Responses => "completed",
            Api::Messages | Api::Converse => "end_turn",
            Api::Gemini => "STOP",
        }
    }

    /// The finish reason of an answer that calls tools.
    pub(crate) fn finish_tools(self) -> &'static str {
        match self {
            Api::Chat => "tool_calls",
            Api::Responses => "completed",
            Api::Messages | Api::Converse => "tool_use",
            Api::Gemini => "STOP",
        }
    }

    /// The error kinds this API uses for a status (any of them is accepted).
    pub(crate) fn kinds_for(self, status: u16) -> &'static [&'static str] {
        match (self, status) {
            (Api::Chat | Api::Responses, 400 | 413) => &["invalid_request_error"],
            (Api::Chat | Api::Responses, 401 | 403) => &[
                "invalid_request_error",
                "authentication_error",
                "permission_error",
                "invalid_api_key",
            ],
            (Api::Chat | Api::Responses, 404) => &["invalid_request_error", "not_found_error"],
            (Api::Chat | Api::Responses, 429) => &["rate_limit_error", "requests", "tokens"],
            (Api::Chat | Api::Responses, _) => &[
                "server_error",
                "api_error",
                "service_unavailable",
                "timeout_error",
                "upstream_error",
                "overloaded_error",
            ],
            (Api::Messages, 400) => &["invalid_request_error"],
            (Api::Messages, 401) => &["authentication_error"],
            (Api::Messages, 403) => &["permission_error", "authentication_error"],
            (Api::Messages, 404) => &["not_found_error"],
            (Api::Messages, 413) => &["request_too_large", "invalid_request_error"],
            (Api::Messages, 429) => &["rate_limit_error"],
            (Api::Messages, 529 | 503) => &["overloaded_error", "api_error"],
            (Api::Messages, _) => &["api_error", "overloaded_error", "timeout_error"],
            (Api::Gemini, 400 | 413) => &["INVALID_ARGUMENT", "FAILED_PRECONDITION"],
            (Api::Gemini, 401) => &["UNAUTHENTICATED"],
            (Api::Gemini, 403) => &["PERMISSION_DENIED", "UNAUTHENTICATED"],
            (Api::Gemini, 404) => &["NOT_FOUND"],
            (Api::Gemini, 429) => &["RESOURCE_EXHAUSTED"],
            (Api::Gemini, 503) => &["UNAVAILABLE"],
            (Api::Gemini, 504) => &["DEADLINE_EXCEEDED"],
            (Api::Gemini, _) => &["INTERNAL", "UNAVAILABLE", "UNKNOWN", "DEADLINE_EXCEEDED"],
            (Api::Converse, 400 | 413) => &["ValidationException"],
            (Api::Converse, 401 | 403) => &[
                "UnrecognizedClientException",
                "AccessDeniedException",
                "InvalidSignatureException",
            ],
            (Api::Converse, 404) => &["ResourceNotFoundException"],
            (Api::Converse, 408 | 504) => &["ModelTimeoutException", "InternalServerException"],
            (Api::Converse, 429) => &["ThrottlingException"],
            (Api::Converse, 503) => &["ServiceUnavailableException", "InternalServerException"],
            (Api::Converse, _) => &[
                "InternalServerException",
                "ServiceUnavailableException",
                "ModelErrorException",
                "ModelNotReadyException",
            ],
        }
    }
}

/// Checks `err.kind` against the kinds `api` uses for `status`.
pub(crate) fn expect_kind(api: Api, err: &ApiErr, status: u16) -> Result<(), String> {
    let kinds = api.kinds_for(status);
    if kinds.contains(&err.kind.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "expected a {} error of kind {} for status {status}, got kind {:?} ({})",
            api.name(),
            kinds.join(" or "),
            err.kind,
            err.message
        ))
    }
}

/// OpenAI's error shape (both OpenAI APIs): `{"error":{"message","type","param","code"}}`.
fn openai_error(v: &Value) -> Result<ApiErr, String> {
    let e = v
        .get("error")
        .filter(|e| e.is_object())
        .ok_or("no `error` object")?;
    let message = str_at(e, "message").ok_or("no `error.message` string")?;
    // OpenAI sends `type`; `code` stands in when an error has only a code.
    let kind = str_at(e, "type")
        .or_else(|| str_at(e, "code"))
        .ok_or("no `error.type` string")?;
    Ok(ApiErr {
        kind: kind.to_owned(),
        message: message.to_owned(),
    })
}

/// Sets `key` of a JSON object (nothing for other values).
pub(crate) fn set(v: &mut Value, key: &str, value: Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert(key.to_owned(), value);
    }
}

/// `v[key]` as a string.
pub(crate) fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// `v[key]` as an unsigned integer.
pub(crate) fn u64_at(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

/// Parses tool arguments (a JSON string); an empty string is `{}`.
pub(crate) fn parse_args(name: &str, raw: &str) -> Result<Value, String> {
    if raw.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(raw)
        .map_err(|e| format!("tool call `{name}`: arguments are not complete JSON ({e}): {raw:?}"))
}

/// The `get_weather` tool's JSON schema.
pub(crate) fn weather_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "City and country"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
        },
        "required": ["location"]
    })
}

/// The `get_time` tool's JSON schema.
pub(crate) fn time_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"timezone": {"type": "string", "description": "IANA time zone"}},
        "required": ["timezone"]
    })
}

/// The tools a request declares: (name, description, schema).
pub(crate) fn tool_defs(tools: Tools) -> Vec<(&'static str, &'static str, Value)> {
    let weather = (
        "get_weather",
        "Current weather for a location",
        weather_schema(),
    );
    let time = ("get_time", "Current time in a time zone", time_schema());
    match tools {
        Tools::None => Vec::new(),
        Tools::One => vec![weather],
        Tools::Parallel => vec![weather, time],
    }
}
