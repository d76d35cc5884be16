//! The request body written straight into bytes, exactly as serde_json writes the
//! [`MessagesRequest`] wire type (same members, order and omissions), without its serializer.

use super::types::{
    CacheControl, Content, ContentBlock, CustomTool, Message, MessagesRequest, Metadata,
    OutputConfig, OutputFormat, Source, ThinkingConfig, ToolChoice, ToolDef,
};
use crate::json::{Object, write_f64, write_str};

/// Writes a request body.
pub(super) fn write_request(w: &MessagesRequest<'_>, out: &mut Vec<u8>) {
    let MessagesRequest {
        model,
        max_tokens,
        system,
        messages,
        tools,
        tool_choice,
        stop_sequences,
        temperature,
        top_p,
        top_k,
        metadata,
        thinking,
        output_config,
        output_format,
        stream,
        rest,
    } = w;
    let mut o = Object::new(out);
    if !model.is_empty() {
        o.str("model", model);
    }
    if let Some(n) = max_tokens {
        o.u64("max_tokens", u64::from(*n));
    }
    if let Some(c) = system {
        o.key("system");
        content(o.out, c);
    }
    if !messages.is_empty() {
        o.key("messages");
        array(o.out, messages, message);
    }
    if !tools.is_empty() {
        o.key("tools");
        array(o.out, tools, tool);
    }
    if let Some(c) = tool_choice {
        o.key("tool_choice");
        let ToolChoice {
            kind,
            name,
            disable_parallel_tool_use,
        } = c;
        let mut inner = Object::new(o.out);
        inner.str("type", kind);
        inner.opt_str("name", name.as_deref());
        if let Some(d) = disable_parallel_tool_use {
            inner.bool("disable_parallel_tool_use", *d);
        }
        inner.end();
    }
    if !stop_sequences.is_empty() {
        o.key("stop_sequences");
        array(o.out, stop_sequences, |out, s| write_str(out, s));
    }
    if let Some(t) = temperature {
        o.key("temperature");
        write_f64(o.out, *t);
    }
    if let Some(p) = top_p {
        o.key("top_p");
        write_f64(o.out, *p);
    }
    if let Some(k) = top_k {
        o.u64("top_k", u64::from(*k));
    }
    if let Some(Metadata { user_id }) = metadata {
        o.key("metadata");
        let mut inner = Object::new(o.out);
        inner.opt_str("user_id", user_id.as_deref());
        inner.end();
    }
    if let Some(t) = thinking {
        o.key("thinking");
        let ThinkingConfig {
            kind,
            budget_tokens,
            display,
        } = t;
        let mut inner = Object::new(o.out);
        inner.str("type", kind);
        if let Some(b) = budget_tokens {
            inner.u64("budget_tokens", u64::from(*b));
        }
        inner.opt_str("display", display.as_deref());
        inner.end();
    }
    if let Some(OutputConfig { effort, format }) = output_config {
        o.key("output_config");
        let mut inner = Object::new(o.out);
        inner.opt_str("effort", effort.as_deref());
        if let Some(f) = format {
            inner.key("format");
            output_format_object(inner.out, f);
        }
        inner.end();
    }
    if let Some(f) = output_format {
        o.key("output_format");
        output_format_object(o.out, f);
    }
    if let Some(s) = stream {
        o.bool("stream", *s);
    }
    for (k, v) in rest {
        o.raw(k, v.get());
    }
    o.end();
}

fn array<T>(out: &mut Vec<u8>, items: &[T], item: impl Fn(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (k, v) in items.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        item(out, v);
    }
    out.push(b']');
}

fn message(out: &mut Vec<u8>, m: &Message<'_>) {
    let Message { role, content: c } = m;
    let mut o = Object::new(out);
    o.str("role", role);
    o.key("content");
    content(o.out, c);
    o.end();
}

/// A string, or an array of blocks.
pub(super) fn content(out: &mut Vec<u8>, c: &Content<'_>) {
    match c {
        Content::Text(t) => write_str(out, t),
        Content::Blocks(blocks) => array(out, blocks, block),
    }
}

/// A block: its `type` first, then its members (serde's internally tagged layout).
pub(super) fn block(out: &mut Vec<u8>, b: &ContentBlock<'_>) {
    if let ContentBlock::Unknown(raw) = b {
        // Untagged: the block as received.
        out.extend_from_slice(raw.get().as_bytes());
        return;
    }
    let mut o = Object::new(out);
    let cache = match b {
        ContentBlock::Text {
            text,
            citations,
            cache_control,
        } => {
            o.str("type", "text");
            o.str("text", text);
            if let Some(c) = citations {
                o.key("citations");
                o.out.extend_from_slice(c.get().as_bytes());
            }
            cache_control
        }
        ContentBlock::Image {
            source: s,
            cache_control,
        } => {
            o.str("type", "image");
            o.key("source");
            source(o.out, s);
            cache_control
        }
        ContentBlock::Document {
            source: s,
            title,
            context,
            citations,
            cache_control,
        } => {
            o.str("type", "document");
            o.key("source");
            source(o.out, s);
            o.opt_str("title", title.as_deref());
            o.opt_str("context", context.as_deref());
            if let Some(c) = citations {
                o.key("citations");
                o.out.extend_from_slice(c.get().as_bytes());
            }
            cache_control
        }
        ContentBlock::ToolUse {
            id,
            name,
            input,
            cache_control,
        } => {
            o.str("type", "tool_use");
            o.str("id", id);
            o.str("name", name);
            o.key("input");
            o.out.extend_from_slice(input.text().as_bytes());
            cache_control
        }
        ContentBlock::ToolResult {
            tool_use_id,
            content: c,
            is_error,
            cache_control,
        } => {
            o.str("type", "tool_result");
            o.str("tool_use_id", tool_use_id);
            if let Some(c) = c {
                o.key("content");
                content(o.out, c);
            }
            if let Some(e) = is_error {
                o.bool("is_error", *e);
            }
            cache_control
        }
        ContentBlock::Thinking {
            thinking,
            signature,
        } => {
            o.str("type", "thinking");
            o.str("thinking", thinking);
            o.str("signature", signature);
            &None
        }
        ContentBlock::RedactedThinking { data } => {
            o.str("type", "redacted_thinking");
            o.str("data", data);
            &None
        }
        ContentBlock::Unknown(_) => &None, // Written above.
    };
    if let Some(c) = cache {
        o.key("cache_control");
        cache_control(o.out, c);
    }
    o.end();
}

fn cache_control(out: &mut Vec<u8>, c: &CacheControl<'_>) {
    let CacheControl { kind, ttl } = c;
    let mut o = Object::new(out);
    o.str("type", kind);
    o.opt_str("ttl", ttl.as_deref());
    o.end();
}

fn source(out: &mut Vec<u8>, s: &Source<'_>) {
    let Source {
        kind,
        media_type,
        data,
        url,
        file_id,
    } = s;
    let mut o = Object::new(out);
    o.str("type", kind);
    o.opt_str("media_type", media_type.as_deref());
    o.opt_str("data", data.as_deref());
    o.opt_str("url", url.as_deref());
    o.opt_str("file_id", file_id.as_deref());
    o.end();
}

fn tool(out: &mut Vec<u8>, t: &ToolDef<'_>) {
    let CustomTool {
        kind,
        name,
        description,
        input_schema,
        strict,
        cache_control: cache,
    } = match t {
        ToolDef::Custom(c) => c,
        ToolDef::Builtin { raw, .. } => {
            out.extend_from_slice(raw.get().as_bytes());
            return;
        }
    };
    let mut o = Object::new(out);
    o.opt_str("type", kind.as_deref());
    o.str("name", name);
    o.opt_str("description", description.as_deref());
    // Written even when absent (`null`), as the derive does.
    o.key("input_schema");
    match input_schema {
        Some(s) => o.out.extend_from_slice(s.text().as_bytes()),
        None => o.out.extend_from_slice(b"null"),
    }
    if let Some(s) = strict {
        o.bool("strict", *s);
    }
    if let Some(c) = cache {
        o.key("cache_control");
        cache_control(o.out, c);
    }
    o.end();
}

fn output_format_object(out: &mut Vec<u8>, f: &OutputFormat<'_>) {
    let OutputFormat { kind, schema } = f;
    let mut o = Object::new(out);
    o.str("type", kind);
    if let Some(s) = schema {
        o.key("schema");
        o.out.extend_from_slice(s.get().as_bytes());
    }
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{from_json, to_json};

    fn assert_same(w: &MessagesRequest<'_>) {
        let mut ours = Vec::new();
        write_request(w, &mut ours);
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(to_json(w).unwrap()).unwrap()
        );
    }

    /// Every request fixture, decoded to the wire type and written by serde and by hand.
    #[test]
    fn writes_what_serde_writes() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/anthropic_messages/requests"
        );
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let body = std::fs::read(entry.unwrap().path()).unwrap();
            let Ok(w) = from_json::<MessagesRequest<'_>>(&body) else {
                continue;
            };
            assert_same(&w);
            n += 1;
        }
        assert!(n > 5, "{n} fixtures");
        let body = br#"{"model":"c\u0001","max_tokens":10,"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral","ttl":"1h"}}],"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA"}},{"type":"document","source":{"type":"url","url":"https://x"},"title":"t","context":"c","citations":{"enabled":true}},{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"r"}],"is_error":true},{"type":"server_tool_use","id":"s","name":"web_search","input":{}}]},{"role":"assistant","content":[{"type":"thinking","thinking":"th","signature":"sig"},{"type":"redacted_thinking","data":"d"},{"type":"tool_use","id":"t","name":"f","input":{"a":1},"cache_control":{"type":"ephemeral"}}]}],"tools":[{"name":"f","description":"d","input_schema":{"type":"object"},"strict":true,"cache_control":{"type":"ephemeral"}},{"type":"custom","name":"g"},{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"tool","name":"f","disable_parallel_tool_use":true},"stop_sequences":["a","b"],"temperature":0.7,"top_p":1.0,"top_k":5,"metadata":{"user_id":"u"},"thinking":{"type":"enabled","budget_tokens":2048,"display":"omitted"},"output_config":{"effort":"high","format":{"type":"json_schema","schema":{"type":"object"}}},"output_format":{"type":"json_schema"},"stream":false,"x\"y":[1,{"a":null}]}"#;
        let w: MessagesRequest<'_> = from_json(body).unwrap();
        assert_same(&w);
        let mut w = w;
        w.temperature = Some(f64::NAN);
        w.top_p = Some(1e-7);
        w.system = Some(Content::Text("plain".into()));
        w.output_config = Some(OutputConfig::default());
        assert_same(&w);
    }
}
