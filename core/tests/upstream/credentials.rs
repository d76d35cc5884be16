//! Credentials per auth style, SigV4 against AWS's published vectors, passthrough_auth, and
//! secrets kept out of Debug output and errors.

use hermesllm::Api;
use plano_core::config::Secret;
use plano_core::route::{Route, classify, resolve_model};
use plano_core::upstream::{
    AwsCredentials, Fault, SignInput, UpstreamError, UpstreamInput, UpstreamRequest, build,
    sign_request,
};

use super::common::*;

fn names(req: &UpstreamRequest) -> Vec<&str> {
    req.headers.iter().map(|h| h.name.as_str()).collect()
}

#[test]
fn credentials_per_auth_style() {
    let c = config(concat!(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n",
        "  - model: anthropic/claude-sonnet-4-5\n    access_key: $ANTHROPIC_API_KEY\n",
        "  - model: gemini/gemini-2.5-flash\n    access_key: $GEMINI_API_KEY\n",
        "  - model: azure_openai/gpt-4o-deploy\n    access_key: $AZURE_API_KEY\n    base_url: https://r.openai.azure.com\n",
        "  - model: ollama/llama3.1\n",
        "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    access_key: $BEDROCK_TOKEN\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n",
    ));
    let get = |model: &str, name: &str| {
        call(&c, model, &Call::default())
            .header(name)
            .map(str::to_owned)
    };
    assert_eq!(
        get("gpt-4o", "authorization").as_deref(),
        Some("Bearer sk-openai-SECRET1")
    );
    assert_eq!(
        get("claude-sonnet-4-5", "x-api-key").as_deref(),
        Some("sk-ant-SECRET2")
    );
    assert_eq!(
        get("claude-sonnet-4-5", "anthropic-version").as_deref(),
        Some("2023-06-01")
    );
    assert_eq!(get("claude-sonnet-4-5", "authorization"), None);
    // Gemini: Bearer on its OpenAI-compatible endpoint, x-goog-api-key on its own API.
    assert_eq!(
        get("gemini-2.5-flash", "authorization").as_deref(),
        Some("Bearer AIza-SECRET3")
    );
    let anthropic_body =
        br#"{"model":"x","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;
    let native = call(
        &c,
        "gemini-2.5-flash",
        &Call {
            client: Api::AnthropicMessages,
            body: anthropic_body,
            ..Call::default()
        },
    );
    assert_eq!(native.header("x-goog-api-key"), Some("AIza-SECRET3"));
    assert_eq!(native.header("authorization"), None);
    assert_eq!(
        get("gpt-4o-deploy", "api-key").as_deref(),
        Some("azure-SECRET4")
    );
    assert_eq!(get("gpt-4o-deploy", "authorization"), None);
    // Bedrock with an API key (Plano's form): a bearer token, no signature.
    assert_eq!(
        get("us.amazon.nova-pro-v1:0", "authorization").as_deref(),
        Some("Bearer bedrock-SECRET5")
    );
    assert_eq!(get("us.amazon.nova-pro-v1:0", "x-amz-date"), None);
    let ollama = call(&c, "llama3.1", &Call::default());
    assert_eq!(names(&ollama), ["content-type", "accept"]);
    let openai = call(&c, "gpt-4o", &Call::default());
    assert_eq!(names(&openai), ["content-type", "accept", "authorization"]);
    assert!(
        openai
            .headers
            .iter()
            .all(|h| h.sensitive == (h.name == "authorization"))
    );
    let streaming = call(
        &c,
        "gpt-4o",
        &Call {
            stream: true,
            ..Call::default()
        },
    );
    assert_eq!(streaming.header("accept"), Some("text/event-stream"));
}

/// AWS's published SigV4 test suite (`aws-sig-v4-test-suite`, also shipped with the
/// `aws-sigv4` crate): `post-vanilla` and `get-vanilla-with-session-token`, 2015-08-30T12:36:00Z.
#[test]
fn sigv4_matches_aws_test_vectors() {
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::literal(AWS_SECRET));
    let now_ms = 1_440_938_160_000;
    let headers = sign_request(
        &creds,
        &SignInput {
            method: "POST",
            url: "https://example.amazonaws.com/",
            headers: &[("host", "example.amazonaws.com")],
            body: b"",
            region: "us-east-1",
            service: "service",
            now_ms,
        },
    )
    .unwrap();
    let get = |hs: &[plano_core::upstream::Header], n: &str| {
        hs.iter()
            .find(|h| h.name == n)
            .map(|h| h.value().to_owned())
    };
    assert_eq!(
        get(&headers, "x-amz-date").as_deref(),
        Some("20150830T123600Z")
    );
    assert_eq!(
        get(&headers, "authorization").as_deref(),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        )
    );
    let with_token = creds.clone().with_session_token(Secret::literal(
        "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
    ));
    let headers = sign_request(
        &with_token,
        &SignInput {
            method: "GET",
            url: "https://example.amazonaws.com/",
            headers: &[("host", "example.amazonaws.com")],
            body: b"",
            region: "us-east-1",
            service: "service",
            now_ms,
        },
    )
    .unwrap();
    assert_eq!(
        get(&headers, "authorization").as_deref(),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
        )
    );
    assert_eq!(
        get(&headers, "x-amz-security-token").as_deref(),
        Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267")
    );
    let dbg = format!("{headers:?} {with_token:?}");
    assert!(
        !dbg.contains("6e86291e") && !dbg.contains("Signature=") && !dbg.contains(AWS_SECRET),
        "{dbg}"
    );
}

/// A Bedrock request: the `%3A` in the path is encoded again in the canonical request
/// (`%253A`), as AWS requires for every service but S3. Expected value computed independently
/// (a 25-line Python SigV4 that reproduces the `post-vanilla` vector above).
#[test]
fn sigv4_bedrock_double_encodes_the_path() {
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::literal(AWS_SECRET))
        .with_session_token(Secret::literal(AWS_TOKEN));
    let headers = sign_request(
        &creds,
        &SignInput {
            method: "POST",
            url: "https://bedrock-runtime.us-west-2.amazonaws.com/model/us.amazon.nova-pro-v1%3A0/converse",
            headers: &[("content-type", "application/json")],
            body: br#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#,
            region: "us-west-2",
            service: "bedrock",
            now_ms: 1_736_935_200_000,
        },
    )
    .unwrap();
    let auth = headers.iter().find(|h| h.name == "authorization").unwrap();
    assert_eq!(
        auth.value(),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=b8f549b5d0c3458b8f7143a1cf2369d797ccbc0066a0d38c09deebbe7a30bc45"
    );
}

#[test]
fn bedrock_sigv4_request() {
    let c = one(
        "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n",
    );
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::literal(AWS_SECRET))
        .with_session_token(Secret::literal(AWS_TOKEN))
        .with_region("eu-west-1");
    let req = call(
        &c,
        "us.amazon.nova-pro-v1:0",
        &Call {
            aws: Some(&creds),
            stream: true,
            ..Call::default()
        },
    );
    assert_eq!(req.api, Api::BedrockConverse);
    // The base_url's region wins over the credentials' default.
    assert_eq!(
        req.url,
        "https://bedrock-runtime.us-west-2.amazonaws.com/model/us.amazon.nova-pro-v1%3A0/converse-stream"
    );
    assert_eq!(
        names(&req),
        [
            "content-type",
            "accept",
            "x-amz-date",
            "authorization",
            "x-amz-security-token"
        ]
    );
    assert_eq!(
        req.header("accept"),
        Some("application/vnd.amazon.eventstream")
    );
    assert_eq!(req.header("x-amz-date"), Some("20250115T100000Z"));
    // The signature covers exactly the URL, body and headers that are sent.
    let again = sign_request(
        &creds,
        &SignInput {
            method: "POST",
            url: &req.url,
            headers: &[("content-type", "application/json")],
            body: &req.body,
            region: "us-west-2",
            service: "bedrock",
            now_ms: 1_736_935_200_000,
        },
    )
    .unwrap();
    let auth = again.iter().find(|h| h.name == "authorization").unwrap();
    assert_eq!(req.header("authorization"), Some(auth.value()));
    assert!(auth.value().starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="));
    // The model travels in the path, not the body.
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert!(
        body.get("modelId").is_none() && body.get("model").is_none(),
        "{body}"
    );
    // With http_host, the signed host is the override.
    let c = one(
        "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n    http_host: bedrock.internal\n",
    );
    let req2 = call(
        &c,
        "us.amazon.nova-pro-v1:0",
        &Call {
            aws: Some(&creds),
            stream: true,
            ..Call::default()
        },
    );
    assert_eq!(req2.header("host"), Some("bedrock.internal"));
    assert_ne!(req2.header("authorization"), req.header("authorization"));
    // Neither an access_key nor AWS credentials.
    let e = try_call(&c, "us.amazon.nova-pro-v1:0", &Call::default()).unwrap_err();
    assert!(matches!(e, UpstreamError::NoCredentials { .. }), "{e:?}");
    assert_eq!(e.fault(), Fault::Gateway);
}

#[test]
fn passthrough_auth_uses_the_clients_key() {
    let c = config(concat!(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n    passthrough_auth: true\n",
        "  - model: anthropic/claude-sonnet-4-5\n    passthrough_auth: true\n",
        "  - model: gemini/gemini-2.5-flash\n    passthrough_auth: true\n",
    ));
    let bearer = [("Authorization", "Bearer client-KEY-1")];
    let req = call(
        &c,
        "gpt-4o",
        &Call {
            headers: &bearer,
            ..Call::default()
        },
    );
    assert_eq!(req.header("authorization"), Some("Bearer client-KEY-1"));
    assert_eq!(
        req.headers
            .iter()
            .filter(|h| h.name == "authorization")
            .count(),
        1
    );
    // A Bearer client to an x-api-key upstream: the key moves to the upstream's header.
    let req = call(
        &c,
        "claude-sonnet-4-5",
        &Call {
            headers: &bearer,
            ..Call::default()
        },
    );
    assert_eq!(req.header("x-api-key"), Some("client-KEY-1"));
    assert_eq!(req.header("authorization"), None);
    // An Anthropic client's x-api-key to an OpenAI upstream.
    let anthropic_client = [
        ("x-api-key", "client-KEY-2"),
        ("anthropic-version", "2023-06-01"),
    ];
    let body = br#"{"model":"gpt-4o","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;
    let req = call(
        &c,
        "gpt-4o",
        &Call {
            client: Api::AnthropicMessages,
            body,
            headers: &anthropic_client,
            ..Call::default()
        },
    );
    assert_eq!(req.header("authorization"), Some("Bearer client-KEY-2"));
    assert_eq!(req.header("x-api-key"), None);
    // Gemini's ?key= in the query.
    let Ok(Route::Generate(g)) = classify(
        "POST",
        "/v1beta/models/gemini-2.5-flash:generateContent?key=client-KEY-3",
        &[],
    ) else {
        panic!()
    };
    let r = resolve_model(&c, g.model.as_deref(), None).unwrap();
    let meta = g.meta();
    let gemini_body = br#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#;
    let req = build(&UpstreamInput {
        provider: r.provider,
        upstream_model: r.upstream_model,
        client_api: g.api,
        meta: &meta,
        stream: g.stream,
        client_headers: &[],
        query_key: g.query_key.as_ref(),
        body: gemini_body,
        span_id: None,
        aws: None,
        now_ms: 0,
    })
    .unwrap();
    assert_eq!(req.header("x-goog-api-key"), Some("client-KEY-3"));
    assert!(!req.url.contains("client-KEY-3"), "{}", req.url);
    assert!(req.passthrough);
    // No client credential at all: the client's fault.
    let e = try_call(&c, "gpt-4o", &Call::default()).unwrap_err();
    assert!(
        matches!(e, UpstreamError::MissingClientCredential { .. }),
        "{e:?}"
    );
    assert_eq!((e.fault(), e.to_api_error().status), (Fault::Client, 401));
}

#[test]
fn secrets_never_in_debug_or_errors() {
    let c = config(concat!(
        "  - model: openai/gpt-4o\n    access_key: $OPENAI_API_KEY\n    headers:\n      X-Proxy-Auth: $PROXY_TOKEN\n",
        "  - model: anthropic/claude-sonnet-4-5\n    passthrough_auth: true\n",
        "  - model: amazon_bedrock/us.amazon.nova-pro-v1:0\n    base_url: https://bedrock-runtime.us-west-2.amazonaws.com\n",
    ));
    let creds = AwsCredentials::new("AKIDEXAMPLE", Secret::literal(AWS_SECRET))
        .with_session_token(Secret::literal(AWS_TOKEN));
    let client = [("authorization", "Bearer client-SECRET8")];
    let reqs = [
        call(&c, "gpt-4o", &Call::default()),
        call(
            &c,
            "claude-sonnet-4-5",
            &Call {
                headers: &client,
                ..Call::default()
            },
        ),
        call(
            &c,
            "us.amazon.nova-pro-v1:0",
            &Call {
                aws: Some(&creds),
                ..Call::default()
            },
        ),
    ];
    let secrets = ["SECRET", AWS_SECRET, AWS_TOKEN, "Signature="];
    for req in &reqs {
        let dbg = format!("{req:?}");
        for s in secrets {
            assert!(!dbg.contains(s), "{s} in {dbg}");
        }
        assert!(dbg.contains("<redacted>"), "{dbg}");
        // Nothing outside the headers carries a secret.
        let body = String::from_utf8_lossy(&req.body);
        for s in secrets {
            assert!(!req.url.contains(s) && !body.contains(s), "{s}");
        }
    }
    let errors = [
        try_call(&c, "claude-sonnet-4-5", &Call::default()).unwrap_err(),
        try_call(&c, "us.amazon.nova-pro-v1:0", &Call::default()).unwrap_err(),
    ];
    for e in &errors {
        let text = format!("{e} {e:?} {:?}", e.to_api_error());
        for s in secrets {
            assert!(!text.contains(s), "{s} in {text}");
        }
    }
    assert!(!format!("{creds:?}").contains(AWS_SECRET));
}
