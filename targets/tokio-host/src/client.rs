//! The process's one HTTP client: hyper-util's pooled client over rustls (ring, Mozilla
//! roots) for `https`, plain TCP for `http` (a local model server, the DynamoDB emulator,
//! the mock provider). One per process, shared by every exchange (and, on Lambda, kept
//! across invocations: a warm function skips the TLS handshake).
//!
//! Deadlines of the exchange ([`Deadlines`]): connect through the connector's timeout
//! (`gateway.timeouts.connect`), the response head with `tokio::time::timeout`, the body
//! chunk by chunk (`idle_ms`). Error reasons come from the transport's error chain, which
//! never contains request headers, so credentials cannot leak into them.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use plano_core::exchange::Deadlines;
use plano_core::exchange::driver::{
    BodyError, HttpClient, SendError, UpstreamBody, UpstreamResponse,
};
use plano_core::upstream::UpstreamRequest;

/// How the client's connection pool keeps idle connections.
#[derive(Debug, Clone, Copy)]
pub struct Pool {
    /// How long an idle connection is kept.
    pub idle_timeout: Duration,
    /// Idle connections kept per host.
    pub max_idle_per_host: usize,
}

/// The pooled client (cheap to clone: the pool is shared).
#[derive(Debug, Clone)]
pub struct HttpsClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpsClient {
    /// A client whose connection attempts give up after `connect`, pooling as `pool` says.
    pub fn new(connect: Duration, pool: Pool) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect));
        http.set_keepalive(Some(Duration::from_secs(60)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config())
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        // A pooled connection the peer closed meanwhile (a frozen Lambda environment's) is
        // retried by hyper when it turns out dead before any byte.
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(pool.idle_timeout)
            .pool_max_idle_per_host(pool.max_idle_per_host)
            .build(https);
        HttpsClient { client }
    }

    /// Sends a request with a whole body and reads the whole response (OTLP export,
    /// DynamoDB).
    ///
    /// # Errors
    /// A transport error message, or `timeout`.
    pub async fn send_whole(
        &self,
        req: http::Request<Bytes>,
        timeout: Duration,
    ) -> Result<http::Response<Bytes>, String> {
        let (parts, body) = req.into_parts();
        let req = http::Request::from_parts(parts, Full::new(body));
        let work = async {
            let resp = self.client.request(req).await.map_err(|e| chain(&e))?;
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.map_err(|e| chain(&e))?.to_bytes();
            Ok(http::Response::from_parts(parts, body))
        };
        tokio::time::timeout(timeout, work)
            .await
            .unwrap_or_else(|_| Err("timeout".to_owned()))
    }
}

fn tls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| rustls::ClientConfig::builder());
    builder.with_root_certificates(roots).with_no_client_auth()
}

/// An error and its sources, `: `-separated.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        cur = err.source();
    }
    false
}

impl HttpClient for HttpsClient {
    type Body = Upstream;

    async fn send(
        &self,
        request: &UpstreamRequest,
        deadlines: Deadlines,
    ) -> Result<UpstreamResponse<Upstream>, SendError> {
        let mut builder = http::Request::builder()
            .method(request.method)
            .uri(request.url.as_str());
        for h in &request.headers {
            builder = builder.header(h.name.as_str(), h.value());
        }
        // `http::Error` names what is wrong, never a header's value.
        let req = builder
            .body(Full::new(Bytes::copy_from_slice(&request.body)))
            .map_err(|e| SendError::Connect(format!("invalid upstream request: {e}")))?;
        let wait = Duration::from_millis(deadlines.response_ms);
        let resp = match tokio::time::timeout(wait, self.client.request(req)).await {
            Err(_) => return Err(SendError::Timeout),
            Ok(Err(e)) if e.is_connect() && is_timeout(&e) => {
                return Err(SendError::ConnectTimeout);
            }
            Ok(Err(e)) => return Err(SendError::Connect(chain(&e))),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(n, v)| {
                let v = std::str::from_utf8(v.as_bytes()).ok()?;
                Some((n.as_str().to_owned(), v.to_owned()))
            })
            .collect();
        Ok(UpstreamResponse {
            status,
            headers,
            body: Upstream {
                body: resp.into_body(),
                idle: Duration::from_millis(deadlines.idle_ms),
            },
        })
    }

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// An upstream response body, read frame by frame.
#[derive(Debug)]
pub struct Upstream {
    body: Incoming,
    idle: Duration,
}

impl UpstreamBody for Upstream {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BodyError> {
        loop {
            match tokio::time::timeout(self.idle, self.body.frame()).await {
                Err(_) => return Err(BodyError::Idle),
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => return Err(BodyError::Broken(chain(&e))),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        return Ok(Some(Vec::from(data)));
                    }
                }
            }
        }
    }
}
