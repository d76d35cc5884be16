//! Request token estimates: every part of a request is counted, flat costs apply,
//! results are deterministic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::field_reassign_with_default
)]

use hermesllm::ir::{
    Block, MediaSource, Message, Request, ResponseFormat, Role, Tool, ToolCallKind, ToolChoice,
    ToolKind,
};
use hermesllm::{Api, Raw};
use plano_core::tokens::{CharEstimator, RequestCosts, TokenCounter, estimate_request};

/// One token per byte: makes every counted string visible in the total.
struct Bytes;
impl TokenCounter for Bytes {
    fn count(&self, text: &str) -> u64 {
        text.len() as u64
    }
}

const COSTS: RequestCosts = RequestCosts {
    per_request: 3,
    per_message: 4,
    per_image: 1_000,
    per_low_detail_image: 85,
    per_document: 3_000,
    per_audio: 1_000,
    per_tool: 8,
};

#[test]
fn default_costs_are_the_documented_ones() {
    assert_eq!(RequestCosts::default(), COSTS);
}

#[test]
fn empty_request_costs_the_request_overhead() {
    assert_eq!(estimate_request(&Request::default(), &Bytes, &COSTS), 3);
}

#[test]
fn every_part_is_counted() {
    let schema = Raw::parse(r#"{"type":"object"}"#).unwrap(); // 17 bytes
    let unknown = Raw::parse(r#"{"x":1}"#).unwrap(); // 7 bytes
    let mut req = Request::default();
    req.system = vec![Block::Text { text: "sys".into() }]; // 4 + 3
    req.messages = vec![
        Message {
            role: Role::User,
            name: Some("bob".into()), // 3
            content: vec![
                Block::Text {
                    text: "hello".into(),
                }, // 5
                Block::Image {
                    source: MediaSource::Url {
                        url: "https://x/y.png".into(),
                        media_type: None,
                    },
                    detail: None,
                }, // 1000
                Block::Image {
                    source: MediaSource::Url {
                        url: "https://x/y.png".into(),
                        media_type: None,
                    },
                    detail: Some("low".into()),
                }, // 85
                Block::Document {
                    source: MediaSource::Base64 {
                        media_type: "application/pdf".into(),
                        data: "AAAA".into(),
                    },
                    name: Some("doc".into()), // 3
                    context: None,
                    citations: None,
                }, // 3000
                Block::Document {
                    source: MediaSource::Text {
                        text: "plain".into(),
                    }, // 5
                    name: None,
                    context: Some("ctx".into()), // 3
                    citations: None,
                },
                Block::Audio {
                    data: "AAAA".into(),
                    format: "wav".into(),
                }, // 1000
            ],
        }, // 4
        Message {
            role: Role::Assistant,
            name: None,
            content: vec![
                Block::Thinking {
                    text: "think".into(), // 5
                    signature: Some("signature-not-counted".into()),
                    id: None,
                    origin: Api::AnthropicMessages,
                },
                Block::RedactedThinking {
                    data: "opaque".into(),
                    origin: Api::AnthropicMessages,
                },
                Block::ToolCall {
                    id: "call_1".into(),
                    name: "get".into(),             // 3
                    arguments: r#"{"a":1}"#.into(), // 7
                    kind: ToolCallKind::Function,
                },
                Block::Unknown {
                    origin: Api::AnthropicMessages,
                    raw: unknown,
                }, // 7
            ],
        }, // 4
        Message {
            role: Role::Tool,
            name: None,
            content: vec![Block::ToolResult {
                call_id: "call_1".into(),
                name: Some("get".into()), // 3
                content: vec![Block::Text {
                    text: "result".into(), // 6
                }],
                is_error: false,
            }],
        }, // 4
    ];
    req.tools = vec![Tool {
        name: "get".into(),               // 3
        description: Some("gets".into()), // 4
        kind: ToolKind::Function {
            parameters: Some(schema), // 17
            strict: None,
        },
        cache: None,
    }]; // 8
    req.tool_choice = Some(ToolChoice::Tool { name: "get".into() }); // 3
    req.response_format = Some(ResponseFormat::JsonSchema {
        name: Some("out".into()), // 3
        description: None,
        schema, // 17
        strict: None,
    });
    let expected = 3 // request
        + 4 + 3 // system
        + 4 + 3 + 5 + 1000 + 85 + 3000 + 3 + 5 + 3 + 1000 // user
        + 4 + 5 + 3 + 7 + 7 // assistant
        + 4 + 3 + 6 // tool result
        + 8 + 3 + 4 + 17 // tool
        + 3 // tool choice
        + 3 + 17; // response format
    assert_eq!(estimate_request(&req, &Bytes, &COSTS), expected);
    // Deterministic.
    assert_eq!(estimate_request(&req, &Bytes, &COSTS), expected);

    // Costs are honoured.
    let zero_media = RequestCosts {
        per_image: 0,
        per_low_detail_image: 0,
        per_document: 0,
        per_audio: 0,
        ..COSTS
    };
    assert_eq!(
        estimate_request(&req, &Bytes, &zero_media),
        expected - 1000 - 85 - 3000 - 1000
    );
}

#[test]
fn estimator_on_a_realistic_request() {
    let mut req = Request::default();
    req.system = vec![Block::Text {
        text: "You are a helpful assistant.".into(), // 28 bytes -> 7
    }];
    req.messages = vec![Message::text(Role::User, "What is the capital of France?")]; // 30 -> 8
    assert_eq!(
        estimate_request(&req, &CharEstimator::default(), &RequestCosts::default()),
        3 + 4 + 7 + 4 + 8
    );
}

#[test]
fn sums_saturate() {
    struct Huge;
    impl TokenCounter for Huge {
        fn count(&self, _: &str) -> u64 {
            u64::MAX / 2
        }
    }
    let mut req = Request::default();
    req.messages = vec![
        Message::text(Role::User, "a"),
        Message::text(Role::User, "b"),
        Message::text(Role::User, "c"),
    ];
    assert_eq!(estimate_request(&req, &Huge, &COSTS), u64::MAX);
}

#[test]
fn same_conversation_same_estimate_whatever_the_client_api() {
    let openai = br#"{"model":"gpt-4o","messages":[
        {"role":"system","content":"Be brief."},
        {"role":"user","content":"Weather in Paris?"},
        {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
            "function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},
        {"role":"tool","tool_call_id":"c1","content":"18C, sunny"}],
        "tools":[{"type":"function","function":{"name":"weather","description":"Current weather",
            "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}"#;
    let anthropic = br#"{"model":"gpt-4o","max_tokens":100,"system":"Be brief.","messages":[
        {"role":"user","content":"Weather in Paris?"},
        {"role":"assistant","content":[{"type":"tool_use","id":"c1","name":"weather",
            "input":{"city":"Paris"}}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"c1","content":"18C, sunny"}]}],
        "tools":[{"name":"weather","description":"Current weather",
            "input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]}"#;
    let meta = hermesllm::RequestMeta::default();
    let a = hermesllm::openai_chat::decode_request(openai, &meta).unwrap();
    let b = hermesllm::anthropic_messages::decode_request(anthropic, &meta).unwrap();
    let counter: Box<dyn TokenCounter> = Box::new(CharEstimator::default());
    let costs = RequestCosts::default();
    let ea = estimate_request(&a, counter.as_ref(), &costs);
    let eb = estimate_request(&b, counter.as_ref(), &costs);
    // 3 request + 4+3 system + 4+5 user + 4+2+4 call + 4+3 result + 8+2+4+15 tool (the
    // schema is 57 bytes).
    assert_eq!(ea, 65);
    assert_eq!(eb, ea);
}
