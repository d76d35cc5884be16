//! Test helpers: a scripted upstream (raw HTTP/1.1 over TCP, so chunk timing is exact), an
//! OTLP receiver, and the built `plano` binary run as a child process.
// Test support code, shared by the test crates: clippy only treats `#[test]` functions as
// tests, so the test allowances are repeated here.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

pub const OPENAI_KEY: &str = "sk-test-OPENAIKEY0123456789abcdefSECRET";
pub const ANTHROPIC_KEY: &str = "sk-ant-test-ANTHROPICKEY0123456789SECRET";

/// A request the upstream received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A fake provider: OpenAI chat at `/v1/chat/completions`, Anthropic messages at
/// `/v1/messages`, streaming when the body says `"stream": true`. A stream sends its first
/// event at once, then waits `pause` before the rest.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Upstream {
    pub async fn start(pause: Duration) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let rec = Arc::clone(&received);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let rec = Arc::clone(&rec);
                tokio::spawn(async move {
                    let _ = serve_upstream(stream, rec, pause).await;
                });
            }
        });
        Upstream { url, received }
    }

    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Reads one HTTP/1.1 request (content-length bodies only).
pub async fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Received> {
    let mut line = String::new();
    if stream.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        stream.read_line(&mut h).await.ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    stream.read_exact(&mut body).await.ok()?;
    Some(Received {
        method,
        path,
        headers,
        body,
    })
}

async fn serve_upstream(
    stream: TcpStream,
    rec: Arc<Mutex<Vec<Received>>>,
    pause: Duration,
) -> std::io::Result<()> {
    let mut stream = BufReader::new(stream);
    while let Some(req) = read_request(&mut stream).await {
        rec.lock().unwrap().push(req.clone());
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let streaming = body["stream"].as_bool().unwrap_or(false);
        let anthropic = req.path.starts_with("/v1/messages");
        let w = stream.get_mut();
        if !streaming {
            let json = if anthropic {
                ANTHROPIC_JSON
            } else {
                OPENAI_JSON
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                json.len()
            );
            w.write_all(head.as_bytes()).await?;
            w.write_all(json.as_bytes()).await?;
            continue;
        }
        let events = if anthropic { ANTHROPIC_SSE } else { OPENAI_SSE };
        w.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            .await?;
        for (i, ev) in events.iter().enumerate() {
            if i == events.len().min(if anthropic { 3 } else { 1 }) {
                tokio::time::sleep(pause).await;
            }
            w.write_all(format!("{:x}\r\n{ev}\r\n", ev.len()).as_bytes())
                .await?;
            w.flush().await?;
        }
        w.write_all(b"0\r\n\r\n").await?;
        w.flush().await?;
    }
    Ok(())
}

pub const OPENAI_JSON: &str = r#"{"id":"chatcmpl-up1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from upstream"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"#;

pub const ANTHROPIC_JSON: &str = r#"{"id":"msg_up1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello from Claude"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":4}}"#;

pub const OPENAI_SSE: &[&str] = &[
    "data: {\"id\":\"chatcmpl-up1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-up1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"chatcmpl-up1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"id\":\"chatcmpl-up1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n",
    "data: [DONE]\n\n",
];

pub const ANTHROPIC_SSE: &[&str] = &[
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_up1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n",
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" Claude\"}}\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":4}}\n\n",
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
];

/// A config with an OpenAI and an Anthropic provider on `upstream`, plus `extra` YAML.
pub fn config(upstream: &str, extra: &str) -> String {
    format!(
        "version: v0.4.0\nlisteners:\n  - type: model\n    name: llm\n    port: 12000\nmodel_providers:\n  - model: openai/gpt-4o-mini\n    access_key: $TEST_OPENAI_KEY\n    base_url: {upstream}\n    default: true\n  - model: anthropic/claude-sonnet-4-5\n    access_key: $TEST_ANTHROPIC_KEY\n    base_url: {upstream}\n{extra}"
    )
}

/// The `plano` binary, running.
pub struct Gateway {
    pub child: Child,
    pub url: String,
    /// The prompt listener's URL, when `--prompt-port` was given and it is served.
    pub prompt_url: Option<String>,
    pub stderr: Arc<Mutex<String>>,
    _dir: TempDir,
}

/// A directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("plano-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn file(&self, name: &str, text: &str) -> std::path::PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn keys() -> Vec<(&'static str, &'static str)> {
    vec![
        ("TEST_OPENAI_KEY", OPENAI_KEY),
        ("TEST_ANTHROPIC_KEY", ANTHROPIC_KEY),
    ]
}

impl Gateway {
    /// Runs `plano serve --config <yaml> --port 0` with only `env` (and PATH) set.
    pub async fn with_config(yaml: &str, env: &[(&str, &str)]) -> Gateway {
        let dir = TempDir::new("gw");
        let path = dir.file("plano.yaml", yaml);
        let path = path.to_str().unwrap().to_owned();
        Gateway::spawn(&["serve", "--config", &path, "--port", "0"], env, dir).await
    }

    pub async fn spawn(args: &[&str], env: &[(&str, &str)], dir: TempDir) -> Gateway {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_plano"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PLANO_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                let mut s = sink.lock().unwrap();
                s.push_str(&l);
                s.push('\n');
            }
        });
        let out = child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no listening line; stderr:\n{}", stderr.lock().unwrap()))
            .unwrap()
            .unwrap_or_else(|| panic!("gateway exited; stderr:\n{}", stderr.lock().unwrap()));
        let url = first
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        // With a prompt listener asked for, its address is the second line.
        let prompt_url = if args.contains(&"--prompt-port") {
            let second = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
                .await
                .unwrap()
                .unwrap()
                .unwrap_or_default();
            second.strip_prefix("prompt listener ").map(str::to_owned)
        } else {
            None
        };
        Gateway {
            child,
            url,
            prompt_url,
            stderr,
            _dir: dir,
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.child.id().unwrap();
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// Waits for the process to exit (SIGTERM first).
    pub async fn stop(self) -> (std::process::ExitStatus, String) {
        self.terminate();
        self.stop_after_signal().await
    }

    /// Waits for the process to exit after a signal was sent.
    pub async fn stop_after_signal(mut self) -> (std::process::ExitStatus, String) {
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("gateway did not exit")
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let err = self.stderr();
        (status, err)
    }

    /// Asserts no test key appears in the logs.
    pub fn assert_no_keys_logged(&self) {
        let err = self.stderr();
        for key in [
            OPENAI_KEY,
            ANTHROPIC_KEY,
            "OPENAIKEY0123",
            "ANTHROPICKEY0123",
        ] {
            assert!(!err.contains(key), "a key leaked into the logs:\n{err}");
        }
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

pub fn chat(model: &str, stream: bool) -> serde_json::Value {
    serde_json::json!({
        "model": model,
        "stream": stream,
        "messages": [{"role": "user", "content": "Say hello"}]
    })
}
