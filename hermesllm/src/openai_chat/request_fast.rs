//! The request decoder's fast path: the Chat Completions body read into its wire type without
//! serde's machinery for the members nearly every request has (messages with string content
//! and tool calls, function tools, sampling numbers, flags).
//!
//! Rarer members (content parts, legacy functions, `stop`, `response_format`, floats, ...)
//! are handed to serde as sub-values of their exact field type; anything the [`Reader`]
//! leaves to serde (duplicate or escaped keys, odd numbers, deep nesting) sends the whole
//! body to serde ([`ChatRequest`]). For every body read here, the wire value is what serde
//! would have produced.

use super::types::{
    ChatMessage, ChatRequest, FunctionCallWire, FunctionDef, ToolCallWire, ToolDef,
};
use crate::Str;
use crate::json::{Reader, Seen, Slow};
use crate::wire::StrOr;

/// Reads a request body, or answers [`Slow`] when serde must.
pub(super) fn request(text: &str) -> Result<ChatRequest<'_>, Slow> {
    let mut r = Reader::new(text);
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut w = ChatRequest::default();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"model" => {
                seen.once(0)?;
                w.model = r.string()?;
            }
            b"messages" => {
                seen.once(1)?;
                w.messages = array(&mut r, 8, message)?;
            }
            b"tools" => {
                seen.once(2)?;
                w.tools = if r.null() {
                    None
                } else {
                    Some(array(&mut r, 4, tool)?)
                };
            }
            b"tool_choice" => {
                seen.once(3)?;
                w.tool_choice = if r.peek() == Some(b'"') {
                    Some(StrOr::Str(r.string()?))
                } else {
                    r.serde()?
                };
            }
            b"parallel_tool_calls" => {
                seen.once(4)?;
                w.parallel_tool_calls = opt_bool(&mut r)?;
            }
            b"functions" => {
                seen.once(5)?;
                w.functions = r.serde()?;
            }
            b"function_call" => {
                seen.once(6)?;
                w.function_call = r.serde()?;
            }
            b"temperature" => {
                seen.once(7)?;
                w.temperature = r.serde()?;
            }
            b"top_p" => {
                seen.once(8)?;
                w.top_p = r.serde()?;
            }
            b"frequency_penalty" => {
                seen.once(9)?;
                w.frequency_penalty = r.serde()?;
            }
            b"presence_penalty" => {
                seen.once(10)?;
                w.presence_penalty = r.serde()?;
            }
            b"seed" => {
                seen.once(11)?;
                w.seed = r.serde()?;
            }
            b"n" => {
                seen.once(12)?;
                w.n = opt_u32(&mut r)?;
            }
            b"max_completion_tokens" => {
                seen.once(13)?;
                w.max_completion_tokens = opt_u32(&mut r)?;
            }
            b"max_tokens" => {
                seen.once(14)?;
                w.max_tokens = opt_u32(&mut r)?;
            }
            b"stop" => {
                seen.once(15)?;
                w.stop = r.serde()?;
            }
            b"response_format" => {
                seen.once(16)?;
                w.response_format = r.serde()?;
            }
            b"reasoning_effort" => {
                seen.once(17)?;
                w.reasoning_effort = r.opt_string()?;
            }
            b"logprobs" => {
                seen.once(18)?;
                w.logprobs = opt_bool(&mut r)?;
            }
            b"top_logprobs" => {
                seen.once(19)?;
                w.top_logprobs = opt_u32(&mut r)?;
            }
            b"user" => {
                seen.once(20)?;
                w.user = r.opt_string()?;
            }
            b"metadata" => {
                seen.once(21)?;
                w.metadata = r.opt_raw()?;
            }
            b"store" => {
                seen.once(22)?;
                w.store = opt_bool(&mut r)?;
            }
            b"stream" => {
                seen.once(23)?;
                w.stream = opt_bool(&mut r)?;
            }
            b"stream_options" => {
                seen.once(24)?;
                w.stream_options = r.serde()?;
            }
            _ => {
                let key = r.unknown_key(key)?;
                let value = r.raw()?;
                w.rest.push((Str::borrowed(key), value));
            }
        }
    }
    r.end()?;
    Ok(w)
}

/// A message; unknown members are ignored, as serde's derive ignores them.
fn message<'a>(r: &mut Reader<'a>) -> Result<ChatMessage<'a>, Slow> {
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut m = ChatMessage::default();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"role" => {
                seen.once(0)?;
                m.role = r.string()?;
            }
            b"content" => {
                seen.once(1)?;
                m.content = match r.peek() {
                    Some(b'"') => Some(StrOr::Str(r.string()?)),
                    _ => r.serde()?,
                };
            }
            b"name" => {
                seen.once(2)?;
                m.name = r.opt_string()?;
            }
            b"refusal" => {
                seen.once(3)?;
                m.refusal = r.opt_string()?;
            }
            b"reasoning_content" => {
                seen.once(4)?;
                m.reasoning_content = r.opt_string()?;
            }
            b"reasoning" => {
                seen.once(5)?;
                m.reasoning = r.opt_string()?;
            }
            b"tool_calls" => {
                seen.once(6)?;
                m.tool_calls = if r.null() {
                    None
                } else {
                    Some(array(r, 1, tool_call)?)
                };
            }
            b"tool_call_id" => {
                seen.once(7)?;
                m.tool_call_id = r.opt_string()?;
            }
            b"function_call" => {
                seen.once(8)?;
                m.function_call = r.serde()?;
            }
            _ => r.skip_unknown(key)?,
        }
    }
    Ok(m)
}

fn tool_call<'a>(r: &mut Reader<'a>) -> Result<ToolCallWire<'a>, Slow> {
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut c = ToolCallWire::default();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"index" => {
                seen.once(0)?;
                c.index = opt_u32(r)?;
            }
            b"id" => {
                seen.once(1)?;
                c.id = r.opt_string()?;
            }
            b"type" => {
                seen.once(2)?;
                c.kind = r.opt_string()?;
            }
            b"function" => {
                seen.once(3)?;
                c.function = if r.null() {
                    None
                } else {
                    Some(function_call(r)?)
                };
            }
            b"custom" => {
                seen.once(4)?;
                c.custom = r.serde()?;
            }
            _ => r.skip_unknown(key)?,
        }
    }
    Ok(c)
}

fn function_call<'a>(r: &mut Reader<'a>) -> Result<FunctionCallWire<'a>, Slow> {
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut f = FunctionCallWire::default();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"name" => {
                seen.once(0)?;
                f.name = r.opt_string()?;
            }
            b"arguments" => {
                seen.once(1)?;
                f.arguments = r.opt_string()?;
            }
            _ => r.skip_unknown(key)?,
        }
    }
    Ok(f)
}

fn tool<'a>(r: &mut Reader<'a>) -> Result<ToolDef<'a>, Slow> {
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut t = ToolDef::default();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"type" => {
                seen.once(0)?;
                t.kind = r.string()?;
            }
            b"function" => {
                seen.once(1)?;
                t.function = if r.null() {
                    None
                } else {
                    Some(function_def(r)?)
                };
            }
            b"custom" => {
                seen.once(2)?;
                t.custom = r.serde()?;
            }
            _ => r.skip_unknown(key)?,
        }
    }
    Ok(t)
}

fn function_def<'a>(r: &mut Reader<'a>) -> Result<FunctionDef<'a>, Slow> {
    let mut members = r.object()?;
    let mut seen = Seen::default();
    let mut f = FunctionDef::default();
    while let Some(key) = r.key(&mut members)? {
        match key {
            b"name" => {
                seen.once(0)?;
                f.name = r.string()?;
            }
            b"description" => {
                seen.once(1)?;
                f.description = r.opt_string()?;
            }
            b"parameters" => {
                seen.once(2)?;
                f.parameters = r.opt_raw()?;
            }
            b"strict" => {
                seen.once(3)?;
                f.strict = opt_bool(r)?;
            }
            _ => r.skip_unknown(key)?,
        }
    }
    Ok(f)
}

/// An array whose items `item` reads (`capacity`: the usual length).
fn array<'a, T>(
    r: &mut Reader<'a>,
    capacity: usize,
    item: fn(&mut Reader<'a>) -> Result<T, Slow>,
) -> Result<Vec<T>, Slow> {
    r.eat(b'[')?;
    let mut out = Vec::with_capacity(capacity);
    if r.peek() == Some(b']') {
        r.eat(b']')?;
        return Ok(out);
    }
    loop {
        out.push(item(r)?);
        match r.peek() {
            Some(b',') => r.eat(b',')?,
            Some(b']') => {
                r.eat(b']')?;
                return Ok(out);
            }
            _ => return Err(Slow),
        }
    }
}

fn opt_bool(r: &mut Reader<'_>) -> Result<Option<bool>, Slow> {
    if r.null() {
        return Ok(None);
    }
    r.boolean().map(Some)
}

fn opt_u32(r: &mut Reader<'_>) -> Result<Option<u32>, Slow> {
    if r.null() {
        return Ok(None);
    }
    r.u32().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests as clients send them, and some odder ones.
    const SEEDS: &[&str] = &[
        r#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"{\"t\": 21}"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather.","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}}],"tool_choice":"auto","temperature":0.2,"top_p":0.9,"max_tokens":512,"stream":false}"#,
        r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a\n\u00e9"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"low"}}],"name":"u1","x":[1]},{"role":"assistant","content":"","refusal":null,"reasoning_content":"r","reasoning":null,"function_call":{"name":"f","arguments":"{}"}}],"tool_choice":{"type":"function","function":{"name":"f"}},"functions":[{"name":"f","parameters":{}}],"function_call":"auto","stop":["a","b"],"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object"}}},"seed":-3,"n":1,"max_completion_tokens":100,"frequency_penalty":-1.5e-1,"presence_penalty":0,"reasoning_effort":"low","logprobs":true,"top_logprobs":2,"user":"u","metadata":{"k":"v"},"store":true,"stream_options":{"include_usage":true},"parallel_tool_calls":false,"extra_body":{"a":[true,false,null]}}"#,
        " { \"model\" : \"m\" ,\n\"messages\" : [ { \"role\" : \"user\" , \"content\" : \"x\" } ] , \"tools\" : [ { \"type\" : \"custom\" , \"custom\" : { \"name\" : \"c\" } } , { \"type\" : \"function\" , \"function\" : { \"name\" : \"f\" , \"parameters\" : null , \"description\" : null } } ] , \"stop\" : \"END\" , \"metadata\" : null , \"tools2\" : [ ] } ",
        r#"{"messages":[{"role":"assistant","tool_calls":[{"index":0,"id":null,"type":null,"function":null},{"custom":{"name":"c","input":"x"}},{"function":{"name":null,"arguments":null,"other":1}}]}],"tools":null,"temperature":null,"n":null,"stream":null}"#,
    ];

    /// Every body the fast path accepts decodes to the same wire value with serde.
    fn assert_agrees(text: &str) -> bool {
        let Ok(fast) = request(text) else {
            return false;
        };
        let serde: ChatRequest<'_> = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("fast path accepted what serde refuses ({e}): {text}"));
        assert_eq!(fast, serde, "{text}");
        true
    }

    #[test]
    fn seeds_and_fixtures_take_the_fast_path_and_agree_with_serde() {
        for seed in SEEDS {
            assert!(assert_agrees(seed), "not on the fast path: {seed}");
        }
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/openai_chat/requests"
        );
        let mut fast = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            fast += usize::from(assert_agrees(&text));
        }
        assert!(fast > 5, "only {fast} fixtures took the fast path");
    }

    #[test]
    fn mutated_requests_agree_with_serde_or_fall_back() {
        let inserts = [
            "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "0", "-", "e", "n", "t", "\u{1}",
        ];
        let mut fast = 0;
        for seed in SEEDS {
            for text in crate::json::mutants(seed, &inserts) {
                fast += usize::from(assert_agrees(&text));
            }
        }
        assert!(fast > 1000, "only {fast} mutants took the fast path");
    }

    #[test]
    fn unusual_bodies_fall_back() {
        for text in [
            r#"{"model":"a","model":"b","messages":[]}"#,
            r#"{"\u006dodel":"a","messages":[]}"#,
            r#"{"messages":[{"role":"user","role":"user"}]}"#,
            r#"{"messages":[["user","hi"]]}"#,
            r#"{"messages":null}"#,
            r#"{"max_tokens":1.0}"#,
            r#"{"max_tokens":4294967296}"#,
            r#"{"stream":"yes"}"#,
            r#"{"messages":[{"role":"user","content":"\ud800"}]}"#,
        ] {
            assert!(request(text).is_err(), "{text}");
        }
    }
}
