//! Reading the router model's reply: the text of its first choice, holding
//! `{"route": "name"}`, perhaps in a code fence, with single quotes, or with prose around it.

use hermesllm::Api;

/// The route named by a router response body (`upstream` is the API the router provider
/// speaks). `None` for no route (`other`, empty), and for anything unreadable.
pub fn route_from_body(upstream: Api, body: &[u8]) -> Option<String> {
    let response = hermesllm::translate::decode_response(upstream, body).ok()?;
    route_from_text(&response.choices.first()?.text())
}

/// The route named in the router's text. Accepts `{"route": "x"}`, `{'route': 'x'}`, the
/// same inside a ```` ```json ```` fence or prose, and a bare route name on its own line.
pub fn route_from_text(text: &str) -> Option<String> {
    let text = text.trim();
    let name = json_route(text).or_else(|| {
        // A bare name: one line, no braces.
        let line = text.trim_matches(|c: char| c == '`' || c == '"' || c == '\'');
        (!line.is_empty() && !line.contains(['{', '}', '\n'])).then(|| line.trim().to_owned())
    })?;
    let name = name.trim();
    if name.is_empty() || name.eq_ignore_ascii_case("other") || name.eq_ignore_ascii_case("none") {
        return None;
    }
    Some(name.to_owned())
}

/// The `route` value of the first `{...}` object in `text`, quotes normalised.
fn json_route(text: &str) -> Option<String> {
    let start = text.find('{')?;
    let end = start + text[start..].find('}')?;
    let object = &text[start..=end];
    let parse = |s: &str| -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(s).ok()?;
        match v.get("route")? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => Some(String::new()),
            _ => None,
        }
    };
    parse(object).or_else(|| parse(&object.replace('\'', "\"")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_routers_answer_with() {
        for (text, want) in [
            (r#"{"route": "code_generation"}"#, Some("code_generation")),
            ("{'route': 'code_generation'}", Some("code_generation")),
            (
                "```json\n{\"route\": \"summarize\"}\n```",
                Some("summarize"),
            ),
            (r#"Sure. {"route":"summarize"} is best."#, Some("summarize")),
            ("summarize", Some("summarize")),
            (r#"{"route": "other"}"#, None),
            (r#"{"route": null}"#, None),
            (r#"{"route": ""}"#, None),
            ("", None),
            ("{not json", None),
            (r#"{"route": 7}"#, None),
        ] {
            assert_eq!(route_from_text(text).as_deref(), want, "{text:?}");
        }
    }

    #[test]
    fn reads_the_first_choice_of_a_chat_completion() {
        let body = br#"{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"{\"route\": \"code\"}"},"finish_reason":"stop"}]}"#;
        assert_eq!(
            route_from_body(Api::OpenAiChat, body).as_deref(),
            Some("code")
        );
        assert_eq!(route_from_body(Api::OpenAiChat, b"<html>"), None);
    }
}
