//! Token usage, normalised.

/// Token usage, normalised to one convention so rate limits and billing read the same numbers
/// whatever the API.
///
/// - `input_tokens` counts **every** prompt token, cached or not (OpenAI's `prompt_tokens`,
///   Gemini's `promptTokenCount`). Anthropic and Bedrock report cache reads and writes
///   *beside* their input count, so their decoders add them in, and their encoders subtract
///   them out again.
/// - `cache_read_input_tokens` and `cache_write_input_tokens` are parts of `input_tokens`.
/// - `output_tokens` counts every generated token including reasoning (OpenAI's
///   `completion_tokens`). Gemini reports `thoughtsTokenCount` beside `candidatesTokenCount`,
///   so its decoder adds them.
/// - `reasoning_tokens` is the part of `output_tokens` spent on reasoning.
/// - `total_tokens()` is `input_tokens + output_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// All prompt tokens, including cached ones.
    pub input_tokens: u64,
    /// All generated tokens, including reasoning.
    pub output_tokens: u64,
    /// Prompt tokens read from the cache (part of `input_tokens`).
    pub cache_read_input_tokens: u64,
    /// Prompt tokens written to the cache (part of `input_tokens`).
    pub cache_write_input_tokens: u64,
    /// Reasoning tokens (part of `output_tokens`).
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Input plus output.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }

    /// Input tokens that were neither read from nor written to the cache (Anthropic's and
    /// Bedrock's `input_tokens`).
    pub fn uncached_input_tokens(&self) -> u64 {
        self.input_tokens
            .saturating_sub(self.cache_read_input_tokens)
            .saturating_sub(self.cache_write_input_tokens)
    }

    /// Output tokens that are not reasoning (Gemini's `candidatesTokenCount`).
    pub fn visible_output_tokens(&self) -> u64 {
        self.output_tokens.saturating_sub(self.reasoning_tokens)
    }

    /// Adds another report field by field (streams report usage in parts).
    pub fn merge_max(&mut self, other: &Usage) {
        self.input_tokens = self.input_tokens.max(other.input_tokens);
        self.output_tokens = self.output_tokens.max(other.output_tokens);
        self.cache_read_input_tokens = self
            .cache_read_input_tokens
            .max(other.cache_read_input_tokens);
        self.cache_write_input_tokens = self
            .cache_write_input_tokens
            .max(other.cache_write_input_tokens);
        self.reasoning_tokens = self.reasoning_tokens.max(other.reasoning_tokens);
    }
}
