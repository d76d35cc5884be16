//! The suite's HTTP side: one scenario's context, requests to the gateway, and what the mock
//! recorded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::Target;

/// The header the mock files requests under.
pub(crate) const TAG: &str = "x-mock-tag";

/// The longest a single request may take (the config's request timeout is 10 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The one HTTP client of a run (plain HTTP to loopback; no proxy from the environment).
pub(crate) fn client() -> reqwest::Client {
    builder().build().unwrap_or_default()
}

/// A client of its own, with or without a connection pool, for scenarios whose connections
/// must not be shared with the others.
pub(crate) fn own_client(pooled: bool) -> reqwest::Client {
    let b = builder();
    let b = if pooled {
        b
    } else {
        b.pool_max_idle_per_host(0)
    };
    b.build().unwrap_or_default()
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
}

/// A short id unique to this run, so tags of two runs against one mock never meet.
pub(crate) fn run_id() -> String {
    #[allow(
        clippy::disallowed_methods,
        reason = "a test tool: the wall clock only makes tags of different runs distinct"
    )]
    let now = std::time::SystemTime::now();
    let nanos = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("r{:x}{:x}", std::process::id(), nanos % 0xffff_ffff)
}

/// Measures a scenario's or a request's duration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stopwatch(std::time::Instant);

impl Stopwatch {
    #[allow(
        clippy::disallowed_methods,
        reason = "a test tool measuring real elapsed time (retry waits, timeouts)"
    )]
    pub(crate) fn start() -> Stopwatch {
        Stopwatch(std::time::Instant::now())
    }

    pub(crate) fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// One scenario's view of the target.
#[derive(Debug)]
pub(crate) struct Ctx {
    client: reqwest::Client,
    pub(crate) gateway: String,
    pub(crate) mock: String,
    base: String,
    next: AtomicUsize,
}

impl Ctx {
    pub(crate) fn new(client: reqwest::Client, target: &Target, base: String) -> Ctx {
        Ctx {
            client,
            gateway: target.gateway.clone(),
            mock: target.mock.clone(),
            base,
            next: AtomicUsize::new(0),
        }
    }

    /// A fresh tag for one request (or one group of requests read back together).
    pub(crate) fn tag(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.base)
    }

    /// A `POST` of a JSON body to `path`, tagged with `tag`.
    pub(crate) fn post(&self, path: &str, body: &Value, tag: &str) -> Call<'_> {
        Call {
            ctx: self,
            client: None,
            method: reqwest::Method::POST,
            path: path.to_owned(),
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                (TAG.to_owned(), tag.to_owned()),
            ],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// A request with any method and raw body.
    pub(crate) fn request(&self, method: &str, path: &str) -> Call<'_> {
        Call {
            ctx: self,
            client: None,
            method: reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// What the mock received with `tag` (every request it keeps when `tag` is empty),
    /// oldest first.
    pub(crate) async fn upstream(&self, tag: &str) -> Result<Vec<MockRequest>, String> {
        let url = if tag.is_empty() {
            format!("{}/__mock/requests", self.mock)
        } else {
            format!("{}/__mock/requests?tag={tag}", self.mock)
        };
        let resp = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let body = resp.bytes().await.map_err(|e| format!("GET {url}: {e}"))?;
        let list: Vec<Value> = serde_json::from_slice(&body).map_err(|e| {
            format!(
                "the mock's request log is not a JSON array ({e}): {}",
                clip(&body)
            )
        })?;
        Ok(list.iter().map(MockRequest::from_value).collect())
    }

    /// The one request the mock received with `tag`.
    pub(crate) async fn upstream_one(&self, tag: &str) -> Result<MockRequest, String> {
        let mut list = self.upstream(tag).await?;
        if list.len() != 1 {
            return Err(format!(
                "expected the upstream to receive 1 request, it received {}: {}",
                list.len(),
                paths(&list)
            ));
        }
        list.pop()
            .ok_or_else(|| "the mock recorded no request".to_owned())
    }
}

/// An error with its sources (reqwest's own message rarely says what happened).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out.push_str(": ");
        out.push_str(&s.to_string());
        next = s.source();
    }
    out
}

/// The paths of recorded requests, for messages.
pub(crate) fn paths(list: &[MockRequest]) -> String {
    let p: Vec<&str> = list.iter().map(|r| r.path.as_str()).collect();
    format!("[{}]", p.join(", "))
}

/// A request being built.
#[derive(Debug)]
pub(crate) struct Call<'c> {
    ctx: &'c Ctx,
    /// Another client than the run's shared one.
    client: Option<reqwest::Client>,
    method: reqwest::Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Call<'_> {
    /// Adds a header.
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds several headers.
    pub(crate) fn headers(mut self, headers: &[(&str, &str)]) -> Self {
        for (n, v) in headers {
            self.headers.push(((*n).to_owned(), (*v).to_owned()));
        }
        self
    }

    /// Sends through `client` instead of the run's shared client.
    pub(crate) fn via(mut self, client: &reqwest::Client) -> Self {
        self.client = Some(client.clone());
        self
    }

    /// Replaces the body with raw bytes.
    pub(crate) fn raw_body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// Sends it and reads the whole response. A transport error before the head is an
    /// `Err`; one while reading the body is kept in [`Resp::body_error`] with the bytes read.
    pub(crate) async fn send(self) -> Result<Resp, String> {
        let url = format!("{}{}", self.ctx.gateway, self.path);
        let client = self.client.as_ref().unwrap_or(&self.ctx.client);
        let mut req = client.request(self.method.clone(), &url);
        for (n, v) in &self.headers {
            req = req.header(n.as_str(), v.as_str());
        }
        if !self.body.is_empty() {
            req = req.body(self.body);
        }
        let mut resp = req
            .send()
            .await
            .map_err(|e| format!("{} {}: no response: {}", self.method, self.path, chain(&e)))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        let mut body_error = None;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    body_error = Some(chain(&e));
                    break;
                }
            }
        }
        Ok(Resp {
            status,
            headers,
            body,
            body_error,
        })
    }
}

/// A gateway response.
#[derive(Debug, Clone)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// The transport error that cut the body short, if any.
    pub(crate) body_error: Option<String>,
}

impl Resp {
    /// The first header named `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub(crate) fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| {
            format!(
                "expected a JSON body, got status {} and {} ({e})",
                self.status,
                clip(&self.body)
            )
        })
    }

    /// Fails unless the status is `want`.
    pub(crate) fn expect_status(&self, want: u16) -> Result<(), String> {
        if self.status == want {
            Ok(())
        } else {
            Err(format!(
                "expected status {want}, got {}: {}",
                self.status,
                clip(&self.body)
            ))
        }
    }

    /// Fails unless the body was read to its end.
    pub(crate) fn expect_complete(&self) -> Result<(), String> {
        match &self.body_error {
            None => Ok(()),
            Some(e) => Err(format!(
                "the response body broke off after {} bytes: {e}",
                self.body.len()
            )),
        }
    }
}

/// A request the mock recorded.
#[derive(Debug, Clone)]
pub(crate) struct MockRequest {
    pub(crate) method: String,
    /// Path with query, as received.
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    /// JSON, or a string when the body was not JSON.
    pub(crate) body: Value,
}

impl MockRequest {
    fn from_value(v: &Value) -> MockRequest {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let headers = v
            .get("headers")
            .and_then(Value::as_array)
            .map(|hs| {
                hs.iter()
                    .filter_map(|h| {
                        let pair = h.as_array()?;
                        Some((
                            pair.first()?.as_str()?.to_owned(),
                            pair.get(1)?.as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        MockRequest {
            method: s("method"),
            path: s("path"),
            headers,
            body: v.get("body").cloned().unwrap_or(Value::Null),
        }
    }

    /// The first header named `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path with percent-escapes decoded (`%3A` and `:` compare equal).
    pub(crate) fn decoded_path(&self) -> String {
        percent_decode(&self.path)
    }
}

/// Percent-decodes; malformed escapes are kept as they are.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a path segment (unreserved characters kept).
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The start of a body, for messages.
pub(crate) fn clip(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut end = text.len().min(600);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text.get(..end) {
        Some(head) if end < text.len() => format!("{head}… ({} bytes)", body.len()),
        _ => text.into_owned(),
    }
}
