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

/// Test inputs for the fast readers: every byte deletion of `seed`, and every insertion and
/// replacement of one of `inserts` at every position, that is still UTF-8. A reader must
/// either agree with serde on each or hand it to serde.
#[cfg(test)]
pub(crate) fn mutants<'a>(
    seed: &'a str,
    inserts: &'a [&'a str],
) -> impl Iterator<Item = String> + 'a {
    let seed = seed.as_bytes();
    (0..=seed.len()).flat_map(move |i| {
        let mut variants = Vec::new();
        if i < seed.len() {
            let mut s = seed.to_vec();
            s.remove(i);
            variants.push(s);
        }
        for ins in inserts {
            let mut s = seed.to_vec();
            s.splice(i..i, ins.bytes());
            variants.push(s.clone());
            if i < seed.len() {
                s.remove(i + ins.len());
                variants.push(s);
            }
        }
        variants
            .into_iter()
            .filter_map(|v| String::from_utf8(v).ok())
    })
}
