//! The prompt gateway's function calling: prompt targets (developer APIs) offered to a
//! function-calling model as tools, its answer read into a [`Match`], the developer endpoint
//! called with the extracted parameters, and the API's answer handed to the LLM.
//!
//! Pure pieces; [`crate::exchange`] drives them as side calls on requests that arrive on the
//! prompt listener ([`ExchangeOptions::prompt_listener`](crate::exchange::ExchangeOptions)).
//!
//! # Reading the function-calling model's answer
//!
//! - a call to a known target with every required parameter (defaults filled in, enum values
//!   checked) is a [`Match::Call`];
//! - a call missing a required parameter (or with a value outside its `enum`) is a
//!   [`Match::Clarify`]: the model's own question when it wrote one, else one the gateway
//!   words from the parameters' descriptions;
//! - no call, with text that asks a question (ends with `?`), is the model asking for what
//!   it needs: [`Match::Clarify`] with that text;
//! - anything else is [`Match::None`]: the default target if one exists, else the LLM with
//!   the global system prompt.
//!
//! Multi-turn parameter gathering needs no gateway state: the clarifying question goes back
//! to the client as the assistant's turn, the client sends the whole conversation next time,
//! and the function-calling model sees it all.

pub mod call;
pub mod dispatch;
pub mod tools;

pub use call::endpoint_request;
pub use dispatch::with_api_result;
pub use tools::{Match, function_request, read_answer};
