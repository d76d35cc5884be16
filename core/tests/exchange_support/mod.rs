//! Shared scenario harness: a config, a fake HTTP client replaying canned upstream traffic,
//! fixed entropy, and helpers to run a request through the driver.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use plano_core::config::Config;
use plano_core::exchange::driver::{
    BodyError, ClientRequest, Driver, Entropy, HttpClient, SendError, UpstreamBody,
    UpstreamResponse,
};
use plano_core::exchange::{Deadlines, ExchangeOptions, ExchangeRecord};
use plano_core::kv::{MemoryKv, now_or_never};
use plano_core::time::ManualClock;
use plano_core::upstream::UpstreamRequest;

pub const T0: u64 = 1_700_000_000_000;

pub const SECRETS: &[(&str, &str)] = &[
    ("OPENAI_API_KEY", "sk-openai-SECRET1"),
    ("ANTHROPIC_API_KEY", "sk-ant-SECRET2"),
    ("GEMINI_API_KEY", "AIzaSECRET3"),
    ("BEDROCK_TOKEN", "bedrock-SECRET5"),
    ("BACKUP_KEY", "backup-SECRET6"),
    ("GROQ_API_KEY", "gsk-SECRET7"),
];

pub const PROVIDERS: &str = r#"model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
  - model: openai/gpt-4o-mini
    access_key: $OPENAI_API_KEY
  - model: anthropic/claude-sonnet-4-5
    access_key: $ANTHROPIC_API_KEY
  - model: amazon_bedrock/us.anthropic.claude-sonnet-4-5-v1:0
    access_key: $BEDROCK_TOKEN
    base_url: https://bedrock-runtime.us-east-1.amazonaws.com
  - model: gemini/gemini-2.5-flash
    access_key: $GEMINI_API_KEY
  - model: groq/*
    access_key: $GROQ_API_KEY
  - model: openai/gpt-4o-litellm
    base_url: https://litellm.example.com
    passthrough_auth: true
  - name: backup
    model: openai/gpt-4o
    base_url: https://backup.example.com
    access_key: $BACKUP_KEY
model_aliases:
  smart:
    target: anthropic/claude-sonnet-4-5
  fast:
    target: gpt-4o-mini
"#;

pub fn config_with(extra: &str) -> Config {
    config_listener(12000, "", extra)
}

/// A config whose model listener has `listener_extra` lines (indented 4 spaces).
pub fn config_listener(port: u16, listener_extra: &str, extra: &str) -> Config {
    let yaml = format!(
        "version: v0.4.0\nlisteners:\n  - type: model\n    name: llm\n    port: {port}\n{listener_extra}{PROVIDERS}{extra}"
    );
    let secrets: BTreeMap<String, String> = SECRETS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::load(&yaml, &secrets).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

pub fn config() -> Config {
    config_with("")
}

pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!(
        "{}/../hermesllm/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

pub fn bedrock_capture(name: &str) -> Vec<u8> {
    let full = format!(
        "{}/../../shared/fixtures/bedrock/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// One canned upstream answer.
#[derive(Debug, Clone)]
pub enum Canned {
    Fail(SendError),
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        chunks: Vec<Vec<u8>>,
        then: Option<BodyError>,
    },
}

impl Canned {
    pub fn ok(body: Vec<u8>) -> Canned {
        Canned::status(200, body)
    }

    pub fn status(status: u16, body: Vec<u8>) -> Canned {
        Canned::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            chunks: vec![body],
            then: None,
        }
    }

    /// A body split into chunks of `size` bytes.
    pub fn chunked(body: &[u8], size: usize) -> Canned {
        Canned::Respond {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            chunks: body.chunks(size.max(1)).map(<[u8]>::to_vec).collect(),
            then: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Canned {
        if let Canned::Respond { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    pub fn then(mut self, err: BodyError) -> Canned {
        if let Canned::Respond { then, .. } = &mut self {
            *then = Some(err);
        }
        self
    }
}

/// What the fake client was asked to send.
#[derive(Debug, Clone)]
pub struct Sent {
    pub url: String,
    pub headers: Vec<(String, String, bool)>,
    pub body: Vec<u8>,
    pub debug: String,
    pub deadlines: Deadlines,
}

impl Sent {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

pub struct FakeHttp<'c> {
    pub clock: &'c ManualClock,
    pub queue: RefCell<VecDeque<Canned>>,
    pub sent: RefCell<Vec<Sent>>,
    pub sleeps: RefCell<Vec<u64>>,
}

impl<'c> FakeHttp<'c> {
    pub fn new(clock: &'c ManualClock, canned: Vec<Canned>) -> Self {
        FakeHttp {
            clock,
            queue: RefCell::new(canned.into()),
            sent: RefCell::new(Vec::new()),
            sleeps: RefCell::new(Vec::new()),
        }
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.borrow().clone()
    }
}

pub struct FakeBody {
    chunks: VecDeque<Vec<u8>>,
    then: Option<BodyError>,
}

impl UpstreamBody for FakeBody {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BodyError> {
        match self.chunks.pop_front() {
            Some(c) => Ok(Some(c)),
            None => match self.then.take() {
                Some(e) => Err(e),
                None => Ok(None),
            },
        }
    }
}

impl HttpClient for FakeHttp<'_> {
    type Body = FakeBody;

    async fn send(
        &self,
        request: &UpstreamRequest,
        deadlines: Deadlines,
    ) -> Result<UpstreamResponse<FakeBody>, SendError> {
        self.sent.borrow_mut().push(Sent {
            url: request.url.clone(),
            headers: request
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value().to_owned(), h.sensitive))
                .collect(),
            body: request.body.clone(),
            debug: format!("{request:?}"),
            deadlines,
        });
        self.clock.advance(10);
        match self.queue.borrow_mut().pop_front() {
            None => Err(SendError::Connect("no canned response left".into())),
            Some(Canned::Fail(e)) => Err(e),
            Some(Canned::Respond {
                status,
                headers,
                chunks,
                then,
            }) => Ok(UpstreamResponse {
                status,
                headers,
                body: FakeBody {
                    chunks: chunks.into(),
                    then,
                },
            }),
        }
    }

    async fn sleep(&self, ms: u64) {
        self.sleeps.borrow_mut().push(ms);
        self.clock.advance(ms);
    }
}

/// Deterministic entropy: every token is distinct (a counter), as real tokens are.
pub struct FixedEntropy;

static TOKENS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Entropy for FixedEntropy {
    fn token(&self) -> String {
        let n = TOKENS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{n:032x}")
    }
    fn span_id(&self) -> [u8; 8] {
        [0xab; 8]
    }
    fn jitter(&self) -> f64 {
        0.5
    }
}

/// The client's view of one exchange.
#[derive(Debug)]
pub struct Outcome {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub chunks: Vec<Vec<u8>>,
    pub record: ExchangeRecord,
}

impl Outcome {
    pub fn body(&self) -> Vec<u8> {
        self.chunks.concat()
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body()).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body()).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A gateway under test: config, clock, store.
pub struct Gw {
    pub config: Config,
    pub kv: MemoryKv<&'static ManualClock>,
    clock_ref: &'static ManualClock,
}

impl Gw {
    pub fn new(config: Config) -> Gw {
        // Leaked so the store can borrow it for the test's lifetime.
        let clock_ref: &'static ManualClock = Box::leak(Box::new(ManualClock::new(T0)));
        Gw {
            config,
            kv: MemoryKv::new(clock_ref),
            clock_ref,
        }
    }

    pub fn clock(&self) -> &'static ManualClock {
        self.clock_ref
    }

    /// Runs one request against canned upstream answers; returns what the client saw and
    /// what was sent upstream.
    pub fn run(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        canned: Vec<Canned>,
    ) -> (Outcome, Vec<Sent>, Vec<u64>) {
        self.run_with(
            ExchangeOptions::default(),
            method,
            target,
            headers,
            body,
            canned,
        )
    }

    pub fn run_with(
        &self,
        options: ExchangeOptions<'_>,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        canned: Vec<Canned>,
    ) -> (Outcome, Vec<Sent>, Vec<u64>) {
        let http = FakeHttp::new(self.clock_ref, canned);
        let driver = Driver {
            config: &self.config,
            http: &http,
            kv: &self.kv,
            clock: self.clock_ref,
            entropy: &FixedEntropy,
            options,
        };
        let req = ClientRequest {
            method,
            target,
            headers,
            body,
        };
        let mut resp = now_or_never(driver.handle(&req)).expect("ready");
        let mut chunks = Vec::new();
        while let Some(c) = now_or_never(resp.body.next_chunk()).expect("ready") {
            chunks.push(c);
        }
        let record = resp.body.take_record().expect("record after the end");
        let sent = http.sent();
        let sleeps = http.sleeps.borrow().clone();
        (
            Outcome {
                status: resp.status,
                headers: resp.headers,
                chunks,
                record,
            },
            sent,
            sleeps,
        )
    }

    pub fn post(&self, target: &str, body: &str, canned: Vec<Canned>) -> (Outcome, Vec<Sent>) {
        let (o, s, _) = self.run("POST", target, &[], body.as_bytes(), canned);
        (o, s)
    }
}
