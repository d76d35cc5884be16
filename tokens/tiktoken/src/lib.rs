//! Exact OpenAI token counts for plano-core, from tiktoken's BPE tables.
//!
//! plano-core ships only the table-free [`CharEstimator`]; this crate is the exact
//! [`TokenCounter`] for hosts that can afford the tables (about 2 MB of binary and a
//! one-off table build, measured in `docs/tokens.md`): the native server. Serverless and
//! proxy-wasm hosts keep the estimator.
//!
//! - [`Encoding`] names a tokenizer; [`encoding_for_model`] maps a model id to one.
//! - [`Tiktoken`] counts with one encoding ([`Tiktoken::new`] builds it, [`Tiktoken::shared`]
//!   builds it once per process and hands out `&'static`).
//! - [`counter_for_model`] is what a host plugs into plano-core's
//!   `ExchangeOptions::token_counter`: the shared counter for the model's encoding, or the
//!   [`CharEstimator`] if the tables could not be built (never a panic).
//!
//! Counting uses tiktoken's "ordinary" encoding: special-token text such as
//! `<|endoftext|>` in a prompt is counted as the plain text it is, as the APIs do for client
//! content. On the rare text tiktoken's regex gives up on (a very long run of one character)
//! the count falls back to the estimator's, never a panic.

#![warn(missing_docs)]

use std::collections::HashSet;
use std::sync::OnceLock;

use plano_core::tokens::{CharEstimator, TokenCounter};
use tiktoken_rs::CoreBPE;

/// A tiktoken encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// `o200k_base`: GPT-4o, GPT-4.1, GPT-4.5, GPT-5, the o-series, gpt-oss (whose
    /// `o200k_harmony` adds only special tokens, which ordinary counting never produces).
    O200kBase,
    /// `cl100k_base`: GPT-4, GPT-3.5, the `text-embedding-3` models; also the approximation
    /// for every model whose tokenizer is not public (Claude, Gemini, Llama...).
    Cl100kBase,
}

impl Encoding {
    /// tiktoken's name for the encoding.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }
}

/// The encoding for a model id.
///
/// The id may carry a provider prefix (`openai/gpt-4o`, as in Plano's config: everything up
/// to the last `/` is ignored) and any case. `o200k_base` for the GPT-4o, GPT-4.1, GPT-4.5 and
/// GPT-5 families, `chatgpt-4o`, `o1`/`o3`/`o4-mini` (and their dated or suffixed versions),
/// `codex-mini` and `gpt-oss`; `cl100k_base` for everything else: GPT-4 and GPT-3.5 exactly,
/// and, as a documented approximation, models whose tokenizers are not published (Claude,
/// Gemini, Mistral...). Neither encoding is exact for those models and which is closer depends
/// on the model; the rate limiter settles every reservation with the provider's reported
/// usage, so the approximation only moves the estimate.
pub fn encoding_for_model(model: &str) -> Encoding {
    let id = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    let family = |name: &str| {
        id == name
            || id
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('-') || rest.starts_with('.'))
    };
    let o200k = [
        "gpt-4o",
        "chatgpt-4o",
        "gpt-4.1",
        "gpt-4.5",
        "gpt-5",
        "o1",
        "o3",
        "o4",
        "o4-mini",
    ]
    .iter()
    .any(|f| family(f))
        || id.starts_with("codex-mini")
        || id.starts_with("gpt-oss");
    if o200k {
        Encoding::O200kBase
    } else {
        Encoding::Cl100kBase
    }
}

/// The tables of an encoding could not be built. The gateway's fault (a broken build of this
/// crate, not the request), and retrying in the same process gives the same result: fall back
/// to an estimator.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TiktokenError {
    /// tiktoken-rs refused to build the encoding.
    #[error("gateway: cannot build the {encoding} token tables ({reason}); not retryable")]
    Tables {
        /// tiktoken's name for the encoding.
        encoding: &'static str,
        /// tiktoken-rs's message.
        reason: String,
    },
}

/// An exact [`TokenCounter`] for one tiktoken encoding.
///
/// Building one parses the embedded tables (milliseconds, see `docs/tokens.md`), so build it
/// once: [`Tiktoken::shared`] does. Counting is thread-safe (`&self`).
pub struct Tiktoken {
    encoding: Encoding,
    bpe: CoreBPE,
}

impl std::fmt::Debug for Tiktoken {
    // The tables are megabytes; only the name is useful.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tiktoken")
            .field("encoding", &self.encoding.name())
            .finish_non_exhaustive()
    }
}

static O200K: OnceLock<Result<Tiktoken, TiktokenError>> = OnceLock::new();
static CL100K: OnceLock<Result<Tiktoken, TiktokenError>> = OnceLock::new();

impl Tiktoken {
    /// Builds the counter for `encoding` from the tables embedded in the binary (no I/O).
    pub fn new(encoding: Encoding) -> Result<Tiktoken, TiktokenError> {
        let built = match encoding {
            Encoding::O200kBase => tiktoken_rs::o200k_base(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base(),
        };
        built
            .map(|bpe| Tiktoken { encoding, bpe })
            .map_err(|e| TiktokenError::Tables {
                encoding: encoding.name(),
                reason: e.to_string(),
            })
    }

    /// The process-wide counter for `encoding`, built on first use (the first caller pays the
    /// build; concurrent first callers wait for one build). A failed build is remembered and
    /// returned to every caller.
    pub fn shared(encoding: Encoding) -> Result<&'static Tiktoken, &'static TiktokenError> {
        let cell = match encoding {
            Encoding::O200kBase => &O200K,
            Encoding::Cl100kBase => &CL100K,
        };
        cell.get_or_init(|| Tiktoken::new(encoding)).as_ref()
    }

    /// The encoding this counter counts.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
}

impl TokenCounter for Tiktoken {
    /// The exact count, or [`CharEstimator::PROSE`]'s estimate of `text` when tiktoken gives
    /// up on it: its pre-tokenizing regex (fancy-regex, backtracking) returns an error on
    /// some long runs of one character (a million spaces with `o200k_base`), which
    /// tiktoken-rs 0.12's `encode_ordinary` turns into a panic. `encode` with no special tokens allowed is
    /// the same ordinary encoding with that error returned instead.
    fn count(&self, text: &str) -> u64 {
        match self.bpe.encode(text, &HashSet::new()) {
            Ok((tokens, _)) => u64::try_from(tokens.len()).unwrap_or(u64::MAX),
            Err(_) => CharEstimator::PROSE.count(text),
        }
    }
}

/// The estimator [`counter_for_model`] falls back to.
static FALLBACK: CharEstimator = CharEstimator::PROSE;

/// The counter for `model`: the shared [`Tiktoken`] for [`encoding_for_model`], or
/// [`CharEstimator::PROSE`] if its tables cannot be built. Never panics.
///
/// Its signature is plano-core's `exchange::TokenCounterFor`: a native host passes
/// `Some(plano_tiktoken::counter_for_model)` as `ExchangeOptions::token_counter`. Call
/// [`warm_up`] at start-up so the first request does not pay the table build.
pub fn counter_for_model(model: &str) -> &'static dyn TokenCounter {
    match Tiktoken::shared(encoding_for_model(model)) {
        Ok(t) => t,
        Err(_) => &FALLBACK,
    }
}

/// Builds both encodings now (at host start-up, before serving), so no request pays for it.
/// Returns the first error, if any; the counters then fall back to the estimator.
pub fn warm_up() -> Result<(), &'static TiktokenError> {
    Tiktoken::shared(Encoding::O200kBase)?;
    Tiktoken::shared(Encoding::Cl100kBase)?;
    Ok(())
}
