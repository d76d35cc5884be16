//! `plano-spin-host`: a test stand-in for Fermyon Spin, so that the very component `spin up`
//! would run is the one under test here (the Spin CLI cannot be installed on the test
//! machines). Built on the wasmtime crates, the engine Spin embeds. It is not Spin: it runs one
//! component behind one HTTP trigger, keeps key-value data in memory, and provides only the
//! interfaces the plano component uses (a component importing more fails to start, and
//! `check-imports` says whether Spin itself would provide them).
//!
//! ```text
//! plano-spin-host up --from spin.toml [--listen 127.0.0.1:0]
//! plano-spin-host check-imports COMPONENT.wasm
//! plano-spin-host bench COMPONENT.wasm [--iterations N]
//! ```
//!
//! `up` reads spin.toml as Spin does (variables from `SPIN_VARIABLE_<NAME>` or their defaults,
//! `allowed_outbound_hosts`, `key_value_stores`), compiles the component once and serves
//! `wasi:http/incoming-handler@0.2` on 127.0.0.1 with a fresh instance per request (Spin's
//! model for HTTP components: nothing in an instance outlives its request), printing
//! `listening http://ADDR` once bound. Outbound requests to hosts the manifest does not allow
//! fail with `HttpRequestDenied`, as on Spin.

// The edge of the test tool: it reads its environment (SPIN_VARIABLE_*) and the clock (the
// bench), and prints its report, as a host does.
#![allow(
    clippy::disallowed_methods,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a host binary: environment, clock and console are its job"
)]

mod imports;
mod manifest;
mod spin;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::BodyExt;
use hyper::server::conn::http1;
use tokio::net::TcpListener;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::error::Context;
use wasmtime::{Config, Engine, Store};
use wasmtime::{Result, bail, format_err};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{
    RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

wasmtime::component::bindgen!({
    path: "wit",
    world: "spin-host",
    with: { "fermyon:spin/key-value.store": spin::OpenStore },
});

/// What every instance shares: the manifest and the key-value data.
#[derive(Debug)]
pub struct Shared {
    app: manifest::App,
    kv: spin::KvData,
}

/// One instance's host state.
pub struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: Outbound,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").finish_non_exhaustive()
    }
}

impl State {
    fn new(shared: Arc<Shared>) -> State {
        State {
            // Spin passes no environment and no files; output goes to the host's log.
            wasi: WasiCtx::builder().inherit_stdout().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: Outbound {
                shared: shared.clone(),
            },
            shared,
        }
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Outbound HTTP: `allowed_outbound_hosts` enforced, then wasmtime's default client.
struct Outbound {
    shared: Arc<Shared>,
}

type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for Outbound {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        drop(fut);
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("http").to_owned();
        let host = uri.host().unwrap_or("").to_owned();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        if !manifest::outbound_allowed(
            &self.shared.app.allowed_outbound_hosts,
            &scheme,
            &host,
            port,
        ) {
            eprintln!(
                "spin-host: outbound {scheme}://{host}:{port} is not in allowed_outbound_hosts"
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (resp, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                resp.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

fn engine() -> Result<Engine> {
    Engine::new(&Config::new())
}

fn linker(engine: &Engine) -> Result<Linker<State>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    SpinHost::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    Ok(linker)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = args
        .split_first()
        .map_or(("", &[][..]), |(c, r)| (c.as_str(), r));
    match command {
        "up" => up(rest).await,
        "check-imports" => check_imports(rest.first().context("COMPONENT missing")?),
        "bench" => bench(rest).await,
        _ => bail!(
            "usage: plano-spin-host up --from spin.toml [--listen ADDR] | check-imports COMPONENT | bench COMPONENT [--iterations N]"
        ),
    }
}

async fn up(args: &[String]) -> Result<()> {
    let mut from = None;
    let mut listen: SocketAddr = "127.0.0.1:0".parse()?;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--from" => from = it.next().map(PathBuf::from),
            "--listen" => listen = it.next().context("--listen ADDR")?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    let from = from.context("--from spin.toml")?;
    let app = manifest::load(&from, &|name| std::env::var(name).ok())?;
    let engine = engine()?;
    let started = Instant::now();
    let component = Component::from_file(&engine, &app.source)
        .with_context(|| format!("{}", app.source.display()))?;
    eprintln!(
        "spin-host: compiled {} in {} ms",
        app.source.display(),
        started.elapsed().as_millis()
    );
    let pre = ProxyPre::new(linker(&engine)?.instantiate_pre(&component)?)?;
    let shared = Arc::new(Shared {
        app,
        kv: spin::KvData::default(),
    });
    let listener = TcpListener::bind(listen).await?;
    println!("listening http://{}", listener.local_addr()?);
    let server = Arc::new(Server {
        pre,
        shared: shared.clone(),
    });
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let (client, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = terminate.recv() => {
                // What the requests left in the store: the test checks state went through it.
                for (prefix, n) in shared.kv.count_by_prefix("default") {
                    eprintln!("spin-host: kv default {prefix} {n}");
                }
                return Ok(());
            }
        };
        let server = server.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let server = server.clone();
                async move { server.handle(req).await }
            });
            if let Err(e) = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(client), service)
                .await
            {
                eprintln!("spin-host: connection: {e}");
            }
        });
    }
}

struct Server {
    pre: ProxyPre<State>,
    shared: Arc<Shared>,
}

impl Server {
    /// One request in a fresh instance, which runs on after the response head (the body
    /// streams from it; it may do more work once the body is finished).
    async fn handle(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<HyperOutgoingBody>> {
        let mut store = Store::new(self.pre.engine(), State::new(self.shared.clone()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let req = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)?;
        let out = store.data_mut().http().new_response_outparam(tx)?;
        let pre = self.pre.clone();
        let task = tokio::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, req, out)
                .await
        });
        match rx.await {
            Ok(Ok(resp)) => {
                tokio::spawn(async move {
                    match task.await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => eprintln!("spin-host: guest failed after responding: {e:?}"),
                        Err(e) => eprintln!("spin-host: guest task: {e}"),
                    }
                });
                Ok(resp)
            }
            Ok(Err(code)) => bail!("guest answered with error {code:?}"),
            Err(_) => {
                let e = match task.await {
                    Ok(Ok(())) => format_err!("guest never set a response"),
                    Ok(Err(e)) => e,
                    Err(e) => e.into(),
                };
                eprintln!("spin-host: guest failed: {e:?}");
                Err(e)
            }
        }
    }
}

/// Lists the component's imports; fails when one is not in Spin's platform world or the
/// stand-in cannot link it, or when the component exports no HTTP handler.
fn check_imports(path: &str) -> Result<()> {
    let engine = engine()?;
    let component = Component::from_file(&engine, path)?;
    let ty = component.component_type();
    let mut foreign = Vec::new();
    for (name, _) in ty.imports(&engine) {
        let ok = imports::spin_provides(name);
        println!("{} {name}", if ok { "ok     " } else { "FOREIGN" });
        if !ok {
            foreign.push(name.to_owned());
        }
    }
    let exports: Vec<String> = ty.exports(&engine).map(|(n, _)| n.to_owned()).collect();
    println!("exports: {}", exports.join(", "));
    if !foreign.is_empty() {
        bail!("imports Spin does not provide: {}", foreign.join(", "));
    }
    if !exports
        .iter()
        .any(|e| e.starts_with("wasi:http/incoming-handler@0.2."))
    {
        bail!("no wasi:http/incoming-handler@0.2 export: not a Spin HTTP component");
    }
    linker(&engine)?
        .instantiate_pre(&component)
        .context("the stand-in cannot link it")?;
    println!("all imports are Spin platform interfaces");
    Ok(())
}

/// Compile time, and instantiation time per request (what a fresh instance costs).
async fn bench(args: &[String]) -> Result<()> {
    let path = args.first().context("COMPONENT missing")?;
    let iterations: usize = match args.get(1).map(String::as_str) {
        Some("--iterations") => args.get(2).context("N")?.parse()?,
        _ => 200,
    };
    let engine = engine()?;
    let started = Instant::now();
    let component = Component::from_file(&engine, path)?;
    let compile = started.elapsed();
    let pre = linker(&engine)?.instantiate_pre(&component)?;
    let shared = Arc::new(Shared {
        app: manifest::App {
            source: PathBuf::from(path),
            allowed_outbound_hosts: Vec::new(),
            key_value_stores: vec!["default".to_owned()],
            variables: Default::default(),
        },
        kv: spin::KvData::default(),
    });
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let mut store = Store::new(&engine, State::new(shared.clone()));
        let t = Instant::now();
        let _instance = pre.instantiate_async(&mut store).await?;
        times.push(t.elapsed().as_micros());
    }
    times.sort_unstable();
    let pct = |p: usize| times.get(times.len() * p / 100).copied().unwrap_or(0);
    println!(
        "compile (cranelift, once per component): {} ms",
        compile.as_millis()
    );
    println!(
        "instantiation ({iterations} fresh instances): p50 {} us, p90 {} us, max {} us",
        pct(50),
        pct(90),
        times.last().copied().unwrap_or(0)
    );
    println!("store keys: {}", shared.kv.len("default"));
    Ok(())
}
