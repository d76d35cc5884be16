//! Token counting: how many tokens a text, or a whole request, costs before the provider
//! says so.
//!
//! Rate limits reserve an estimate when a request arrives and settle with the provider's
//! reported usage when it completes (see [`crate::ratelimit`]), so the estimate only has to
//! be cheap, deterministic and roughly right; it never decides what a client is billed.
//!
//! - [`TokenCounter`] is the seam: anything that can count the tokens of a text. This crate
//!   ships [`CharEstimator`] (no tables, a few instructions per byte); an exact
//!   tiktoken-based counter belongs to a host crate (the native server), where its BPE
//!   tables do not weigh on wasm size and serverless cold starts.
//! - [`estimate_request`] walks an [`hermesllm::ir::Request`] and adds up what the provider
//!   will count as input: system prompt, every text block, tool calls and results, tool
//!   definitions, flat costs for media, and a per-message overhead ([`RequestCosts`]).

mod request;

pub use request::{RequestCosts, estimate_request};

/// Counts the tokens of a text.
///
/// Implementations must be deterministic (the same text always gives the same count) and
/// must not panic on any input. They may be approximate; document how.
///
/// One counter counts one tokenizer's tokens: a host with exact counters (tiktoken's
/// `o200k_base` for GPT-4o and later, `cl100k_base` before) picks the counter per resolved
/// provider and passes it as `&dyn TokenCounter` where needed; this crate never chooses.
pub trait TokenCounter {
    /// The number of tokens `text` encodes to (0 for the empty string).
    fn count(&self, text: &str) -> u64;
}

impl<T: TokenCounter + ?Sized> TokenCounter for &T {
    fn count(&self, text: &str) -> u64 {
        (**self).count(text)
    }
}

/// A table-free estimator: ASCII text costs one token per `ascii_bytes_per_token` bytes
/// (rounded up per text), every non-ASCII character costs one token.
///
/// Why these numbers: OpenAI's and Anthropic's tokenizers average about four characters of
/// English prose per token (OpenAI documents "1 token ~= 4 chars in English"); code and JSON
/// run denser, nearer three. Scripts outside ASCII (CJK, Cyrillic, emoji) take about one or
/// more tokens per character, so counting each as one errs on the high side for accented
/// Latin text and on the low side for emoji. The result is an estimate within tens of percent
/// for typical prompts, which is what a reservation needs: the real usage replaces it when
/// the response completes.
///
/// Cost: one pass over the bytes, no allocation, no tables (nothing added to wasm size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharEstimator {
    /// ASCII bytes per token; values below 1 are treated as 1.
    pub ascii_bytes_per_token: u32,
}

impl CharEstimator {
    /// Four ASCII bytes per token (English prose).
    pub const PROSE: CharEstimator = CharEstimator {
        ascii_bytes_per_token: 4,
    };
    /// Three ASCII bytes per token: denser, for code- and JSON-heavy traffic (estimates
    /// about a third higher than [`CharEstimator::PROSE`]).
    pub const DENSE: CharEstimator = CharEstimator {
        ascii_bytes_per_token: 3,
    };
}

impl Default for CharEstimator {
    /// [`CharEstimator::PROSE`].
    fn default() -> Self {
        CharEstimator::PROSE
    }
}

impl TokenCounter for CharEstimator {
    fn count(&self, text: &str) -> u64 {
        let ascii = text.bytes().filter(u8::is_ascii).count() as u64;
        // A non-ASCII char is one leading byte (not 10xxxxxx) followed by continuation bytes.
        let non_ascii_chars = text
            .bytes()
            .filter(|b| !b.is_ascii() && (b & 0xC0) != 0x80)
            .count() as u64;
        let per = u64::from(self.ascii_bytes_per_token.max(1));
        ascii.div_ceil(per).saturating_add(non_ascii_chars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_estimator_counts() {
        let e = CharEstimator::default();
        assert_eq!(e.count(""), 0);
        assert_eq!(e.count("a"), 1);
        assert_eq!(e.count("abcd"), 1);
        assert_eq!(e.count("abcde"), 2);
        assert_eq!(e.count("Hello, world!"), 4); // 13 bytes
        assert_eq!(e.count("日本語"), 3);
        assert_eq!(e.count("héllo"), 2); // 4 ASCII bytes -> 1, é -> 1
        assert_eq!(e.count("🦀"), 1);
        assert_eq!(CharEstimator::DENSE.count("abcdef"), 2);
        let zero = CharEstimator {
            ascii_bytes_per_token: 0,
        };
        assert_eq!(zero.count("abc"), 3, "0 is treated as 1");
    }
}
