//! Hand-written JSON for the stream hot paths: a strict reader for the few event shapes that
//! make up nearly every stream (text deltas), and writers byte-identical to serde_json's
//! compact output.
//!
//! The reader is an accelerator, never an authority: it accepts only input it fully
//! understands and answers [`Slow`] for anything else (escaped keys, duplicate fields, deep
//! nesting, unusual numbers), and the caller then decodes the same text with serde, whose
//! result or error stands. For every input the reader accepts, it yields what serde would.

mod read;
mod write;

pub(crate) use read::{Reader, Seen, Slow, whole_raw};
pub(crate) use write::{Object, write_f64, write_str, write_str_contents, write_u64};
