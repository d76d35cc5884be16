//! OTLP/HTTP trace export to an in-test collector.
// Helpers outside `#[test]` functions get the same allowances as the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Accepts OTLP/HTTP posts and keeps them.
async fn collector() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                let mut s = BufReader::new(s);
                while let Some(req) = read_request(&mut s).await {
                    sink.lock().unwrap().push(req);
                    let _ = s
                        .get_mut()
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n")
                        .await;
                }
            });
        }
    });
    (url, got)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_span_per_exchange_with_attributes_and_parent() {
    let (collector_url, got) = collector().await;
    let up = Upstream::start(Duration::ZERO).await;
    let extra = format!(
        "tracing:\n  random_sampling: 100\n  opentracing_grpc_endpoint: {collector_url}\n  span_attributes:\n    header_prefixes:\n      - x-team-\n    static:\n      environment: test\n"
    );
    let gw = Gateway::with_config(&config(&up.url, &extra), &keys()).await;
    let client_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let client_span = "00f067aa0ba902b7";
    let r = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .header("traceparent", format!("00-{client_trace}-{client_span}-01"))
        .header("x-team-name", "search")
        .json(&chat("claude-sonnet-4-5", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap();
    // A second request without traceparent: a root span, and the upstream gets one.
    let r = client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&chat("gpt-4o-mini", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap();
    let (status, err) = gw.stop().await;
    assert!(status.success(), "{err}");

    let posts = got.lock().unwrap().clone();
    assert!(!posts.is_empty(), "nothing exported; logs:\n{err}");
    let mut spans = Vec::new();
    for p in &posts {
        assert_eq!(p.method, "POST");
        assert_eq!(p.path, "/v1/traces");
        assert_eq!(p.header("content-type"), Some("application/x-protobuf"));
        let req = ExportTraceServiceRequest::decode(p.body.as_slice()).unwrap();
        for rs in req.resource_spans {
            for ss in rs.scope_spans {
                spans.extend(ss.spans);
            }
        }
    }
    assert_eq!(spans.len(), 2, "{spans:?}");
    let attr = |span: &opentelemetry_proto::tonic::trace::v1::Span, key: &str| {
        span.attributes.iter().find(|a| a.key == key).and_then(|a| {
            match a.value.as_ref()?.value.as_ref()? {
                Value::StringValue(s) => Some(s.clone()),
                Value::IntValue(i) => Some(i.to_string()),
                _ => None,
            }
        })
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let upstream = up.requests();

    let child = spans
        .iter()
        .find(|s| attr(s, "gen_ai.request.model").as_deref() == Some("claude-sonnet-4-5"))
        .expect("span of the first exchange");
    assert_eq!(hex(&child.trace_id), client_trace);
    assert_eq!(hex(&child.parent_span_id), client_span);
    assert_eq!(
        attr(child, "gen_ai.provider.name").as_deref(),
        Some("anthropic")
    );
    assert_eq!(attr(child, "environment").as_deref(), Some("test"));
    assert_eq!(attr(child, "name").as_deref(), Some("search"));
    assert_eq!(
        attr(child, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(
        attr(child, "gen_ai.usage.output_tokens").as_deref(),
        Some("4")
    );
    assert!(child.end_time_unix_nano >= child.start_time_unix_nano);
    // The upstream saw our span as its parent.
    let tp = upstream[0].header("traceparent").unwrap();
    assert_eq!(
        tp,
        format!("00-{client_trace}-{}-01", hex(&child.span_id)),
        "forwarded traceparent names the exported span"
    );

    let root = spans
        .iter()
        .find(|s| attr(s, "gen_ai.request.model").as_deref() == Some("gpt-4o-mini"))
        .expect("span of the second exchange");
    assert!(root.parent_span_id.is_empty(), "a root span");
    let tp = upstream[1]
        .header("traceparent")
        .expect("injected traceparent");
    assert_eq!(
        tp,
        format!("00-{}-{}-01", hex(&root.trace_id), hex(&root.span_id))
    );
}
