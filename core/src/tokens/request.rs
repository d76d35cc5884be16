//! Estimating the input tokens of a whole request.

use hermesllm::ir::{Block, MediaSource, Request, ResponseFormat, ToolChoice, ToolKind};

use super::TokenCounter;

/// The flat costs [`estimate_request`] adds for what text counting cannot see.
///
/// The defaults, and why:
/// - `per_request` 3 and `per_message` 4: OpenAI's published accounting for chat formats
///   (every message is wrapped in a few role and separator tokens; every reply is primed with
///   three). Other providers' templates cost about the same. The system prompt, when not
///   empty, is one message.
/// - `per_image` 1,000 (`detail: "low"`: 85): an image's cost depends on its pixels, which
///   the gateway does not decode. Anthropic charges about width x height / 750, at most about
///   1,600 after its resizing; OpenAI charges 765 for a 1024x1024 image at high detail and 85
///   at low detail; Gemini 258 per image. 1,000 sits between them without decoding.
/// - `per_document` 3,000 for a PDF or file (one to two pages at Anthropic's 1,500 to 3,000
///   tokens per page); a document given as plain text is counted as text instead.
/// - `per_audio` 1,000: a clip of about a minute and a half at OpenAI's and Gemini's rates.
/// - `per_tool` 8: the wrapper around each tool definition (besides its name, description and
///   schema, which are counted as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestCosts {
    /// Added once per request.
    pub per_request: u64,
    /// Added per message, and once for a non-empty system prompt.
    pub per_message: u64,
    /// Per image.
    pub per_image: u64,
    /// Per image with OpenAI's `detail: "low"`.
    pub per_low_detail_image: u64,
    /// Per document that is not plain text.
    pub per_document: u64,
    /// Per audio clip.
    pub per_audio: u64,
    /// Per tool definition, besides its text.
    pub per_tool: u64,
}

impl Default for RequestCosts {
    fn default() -> Self {
        RequestCosts {
            per_request: 3,
            per_message: 4,
            per_image: 1_000,
            per_low_detail_image: 85,
            per_document: 3_000,
            per_audio: 1_000,
            per_tool: 8,
        }
    }
}

/// Estimates the input tokens of `request`: what the provider will report as
/// [`Usage::input_tokens`](hermesllm::ir::Usage::input_tokens), approximately.
///
/// Counted as text with `counter`: the system prompt; every text, refusal and thinking text
/// block of every message (earlier assistant turns are input too); the participant name; tool
/// call names and arguments; tool result content (recursively); document text, title and
/// context; tool definitions' names, descriptions and schemas (built-in tools: their JSON);
/// the forced tool name; a structured-output schema with its name and description; blocks
/// the IR does not model (their JSON). Flat costs come from `costs`. Not counted: thinking
/// signatures and redacted thinking (opaque, not re-tokenized as prompt), cache markers,
/// sampling parameters, stop sequences, metadata.
///
/// Deterministic and total: the same request always gives the same number; sums saturate.
pub fn estimate_request(
    request: &Request<'_>,
    counter: &(impl TokenCounter + ?Sized),
    costs: &RequestCosts,
) -> u64 {
    let mut total = Sum(costs.per_request);
    if !request.system.is_empty() {
        total.add(costs.per_message);
        total.add(blocks(&request.system, counter, costs));
    }
    for message in &request.messages {
        total.add(costs.per_message);
        if let Some(name) = &message.name {
            total.add(counter.count(name));
        }
        total.add(blocks(&message.content, counter, costs));
    }
    for tool in &request.tools {
        total.add(costs.per_tool);
        total.add(counter.count(&tool.name));
        if let Some(d) = &tool.description {
            total.add(counter.count(d));
        }
        total.add(match &tool.kind {
            ToolKind::Function { parameters, .. } => {
                parameters.as_ref().map_or(0, |p| counter.count(p.get()))
            }
            ToolKind::Custom { format } => format.as_ref().map_or(0, |f| counter.count(f.get())),
            ToolKind::Builtin { raw, .. } => counter.count(raw.get()),
            // A kind added to the IR later: its name and description are counted above.
            _ => 0,
        });
    }
    match &request.tool_choice {
        Some(ToolChoice::Tool { name }) => total.add(counter.count(name)),
        Some(ToolChoice::Allowed { names, .. }) => {
            for n in names {
                total.add(counter.count(n));
            }
        }
        _ => {}
    }
    if let Some(ResponseFormat::JsonSchema {
        name,
        description,
        schema,
        ..
    }) = &request.response_format
    {
        total.add(name.as_ref().map_or(0, |n| counter.count(n)));
        total.add(description.as_ref().map_or(0, |d| counter.count(d)));
        total.add(counter.count(schema.get()));
    }
    total.0
}

/// A saturating sum (a request cannot overflow the estimate into a small number).
struct Sum(u64);

impl Sum {
    fn add(&mut self, n: u64) {
        self.0 = self.0.saturating_add(n);
    }
}

fn blocks(
    content: &[Block<'_>],
    counter: &(impl TokenCounter + ?Sized),
    costs: &RequestCosts,
) -> u64 {
    let mut total = Sum(0);
    for block in content {
        total.add(block_tokens(block, counter, costs));
    }
    total.0
}

fn block_tokens(
    block: &Block<'_>,
    counter: &(impl TokenCounter + ?Sized),
    costs: &RequestCosts,
) -> u64 {
    match block {
        Block::Text { text } | Block::Refusal { text } | Block::Thinking { text, .. } => {
            counter.count(text)
        }
        Block::Image { detail, .. } => match detail.as_deref() {
            Some("low") => costs.per_low_detail_image,
            _ => costs.per_image,
        },
        Block::Audio { .. } => costs.per_audio,
        Block::Document {
            source,
            name,
            context,
            ..
        } => {
            let mut total = Sum(match source {
                MediaSource::Text { text } => counter.count(text),
                _ => costs.per_document,
            });
            total.add(name.as_ref().map_or(0, |n| counter.count(n)));
            total.add(context.as_ref().map_or(0, |c| counter.count(c)));
            total.0
        }
        Block::ToolCall {
            name, arguments, ..
        } => counter.count(name).saturating_add(counter.count(arguments)),
        Block::ToolResult { name, content, .. } => name
            .as_ref()
            .map_or(0, |n| counter.count(n))
            .saturating_add(blocks(content, counter, costs)),
        Block::Unknown { raw, .. } => counter.count(raw.get()),
        // Opaque to the model's tokenizer, or markers only.
        Block::RedactedThinking { .. } | Block::CachePoint(_) => 0,
        // A block added to the IR later: not counted until this function learns it.
        _ => 0,
    }
}
