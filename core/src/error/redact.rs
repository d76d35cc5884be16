//! Masking credentials an upstream may echo in an error message.

use std::borrow::Cow;

/// Prefixes of API keys and access key ids the gateway may hold (OpenAI and Anthropic `sk-`,
/// Stripe-style `sk_`, Groq `gsk_`, xAI `xai-`, Google `AIza`, AWS `AKIA`/`ASIA`).
const KEY_PREFIXES: [&str; 7] = ["sk-", "sk_", "gsk_", "xai-", "AIza", "AKIA", "ASIA"];

/// A token this long made of letters and digits is treated as a secret even without a known
/// prefix (an AWS secret access key is 40 characters).
const LONG_TOKEN: usize = 40;

/// Shortest prefixed token that is masked (shorter ones are words like `sk-learn`).
const MIN_PREFIXED: usize = 12;

/// Masks key-shaped tokens: a token (a run of ASCII letters, digits, `-`, `_`, `+`, `/`,
/// `=`) that starts with a known key prefix and is at least 12 characters long, any token
/// after `Bearer `, and any token of 40 characters or more mixing letters and digits. A
/// masked token keeps its known prefix (`sk-***`) so the message still says which kind of key
/// was wrong. Returns the input unchanged (borrowed) when nothing is masked.
pub fn redact_secrets(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut last = 0;
    let mut after_bearer = false;
    for (start, token) in tokens(text) {
        let mask = secret_prefix(token, after_bearer);
        after_bearer = token.eq_ignore_ascii_case("bearer");
        let Some(prefix) = mask else { continue };
        let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
        buf.push_str(text.get(last..start).unwrap_or_default());
        buf.push_str(prefix);
        buf.push_str("***");
        last = start + token.len();
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut buf) => {
            buf.push_str(text.get(last..).unwrap_or_default());
            Cow::Owned(buf)
        }
    }
}

/// `Some(prefix to keep)` when `token` is to be masked.
fn secret_prefix(token: &str, after_bearer: bool) -> Option<&'static str> {
    if let Some(p) = KEY_PREFIXES.iter().find(|p| token.starts_with(**p)) {
        return (token.len() >= MIN_PREFIXED).then_some(*p);
    }
    let mixed =
        token.bytes().any(|b| b.is_ascii_digit()) && token.bytes().any(|b| b.is_ascii_alphabetic());
    ((after_bearer && token.len() >= 8) || (token.len() >= LONG_TOKEN && mixed)).then_some("")
}

/// The tokens of `text` with their byte offsets. The text may be JSON: a token that starts
/// right after a backslash begins with an escape (`\n`, `\u00e9`), which is left out of the
/// token so masking cannot break the escape.
fn tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let is_token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '/' | '=');
    let mut rest = text.char_indices().peekable();
    let mut prev = ' ';
    std::iter::from_fn(move || {
        loop {
            let (mut start, first) = loop {
                let (i, c) = rest.next()?;
                let escaped = prev == '\\';
                prev = if escaped { ' ' } else { c };
                if is_token(c) {
                    break (i, if escaped { Some(c) } else { None });
                }
            };
            let mut end = text.len();
            while let Some((i, c)) = rest.peek().copied() {
                if !is_token(c) {
                    end = i;
                    break;
                }
                prev = c;
                rest.next();
            }
            // Escaped: skip the escape letter, and the four hex digits of `\u`.
            if let Some(letter) = first {
                start = (start + if letter == 'u' { 5 } else { 1 }).min(end);
            }
            if start < end {
                return text.get(start..end).map(|t| (start, t));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::redact_secrets;

    #[test]
    fn masks_keys_and_keeps_words() {
        assert_eq!(
            redact_secrets("Incorrect API key provided: sk-proj-abc123DEF456ghi789."),
            "Incorrect API key provided: sk-***."
        );
        assert_eq!(
            redact_secrets("Authorization: Bearer abcdefgh12345678 rejected"),
            "Authorization: Bearer *** rejected"
        );
        assert_eq!(
            redact_secrets(
                "key AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1"
            ),
            "key AKIA*** and ***"
        );
        assert_eq!(
            redact_secrets("use sk-learn for model x"),
            "use sk-learn for model x"
        );
        assert!(matches!(
            redact_secrets("plain message"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(redact_secrets("é sk-ant-api03-xyzXYZ0123 é"), "é sk-*** é");
        // JSON escapes stay intact.
        let long = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1";
        assert_eq!(
            redact_secrets(&format!(r#""a\n{long} \u00e9{long} \\{long}""#)),
            r#""a\n*** \u00e9*** \\***""#
        );
    }
}
