//! The Durable Object class `PlanoCounters`: one object per key holding one framed value
//! ([`crate::frame`]). An object handles one event at a time and its storage operations are
//! covered by input gates, so a read-modify-write within one request is atomic: counters are
//! exact. The object sets an alarm at the value's expiry that deletes its storage.

use std::time::Duration;

use plano_core::time::Clock;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

use crate::clock::WorkerClock;
use crate::frame::{self, DELTA_HEADER, IncrementError, Op, TTL_HEADER};

/// Storage key of the object's single value.
const VALUE: &str = "v";

/// One key of the gateway's state (see [`crate::store::DurableStore`]).
#[durable_object]
pub struct PlanoCounters {
    state: State,
}

impl std::fmt::Debug for PlanoCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanoCounters").finish_non_exhaustive()
    }
}

impl DurableObject for PlanoCounters {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let Some(op) = Op::from_path(&req.path()) else {
            return Response::error("unknown operation", 404);
        };
        let ttl = header_num::<u32>(&req, TTL_HEADER);
        let now = WorkerClock.now_ms();
        match op {
            Op::Get => match self
                .read()
                .await?
                .as_deref()
                .and_then(|f| frame::decode(f, now))
            {
                Some(v) => Response::from_bytes(v.to_vec()),
                None => Response::error("absent", 404),
            },
            Op::Put => {
                let body = req.bytes().await?;
                let alarm = ttl.map_or(Alarm::Clear, Alarm::At);
                self.write(&frame::encode(&body, frame::expiry(now, ttl)), alarm)
                    .await?;
                Response::empty()
            }
            Op::Delete => {
                self.state.storage().delete_all().await?;
                Response::empty()
            }
            Op::Increment => {
                let delta = header_num::<i64>(&req, DELTA_HEADER).unwrap_or(0);
                let current = self.read().await?;
                let fresh = current
                    .as_deref()
                    .and_then(|f| frame::decode(f, now))
                    .is_none();
                match frame::increment(current.as_deref(), delta, ttl, now) {
                    Ok((n, f)) => {
                        // A live counter keeps its alarm; a fresh one gets the new expiry's.
                        let alarm = match ttl {
                            _ if !fresh => Alarm::Keep,
                            Some(t) => Alarm::At(t),
                            None => Alarm::Clear,
                        };
                        self.write(&f, alarm).await?;
                        Response::ok(n.to_string())
                    }
                    Err(IncrementError::NotACounter) => Response::error("not a counter", 409),
                }
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.state.storage().delete_all().await?;
        Response::empty()
    }
}

impl PlanoCounters {
    async fn read(&self) -> Result<Option<Vec<u8>>> {
        let storage = self.state.storage();
        let value = JsFuture::from(storage.as_raw().get(VALUE)?).await?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        Ok(Some(js_sys::Uint8Array::new(&value).to_vec()))
    }

    async fn write(&self, framed: &[u8], alarm: Alarm) -> Result<()> {
        let storage = self.state.storage();
        let array: JsValue = js_sys::Uint8Array::from(framed).into();
        storage.put_raw(VALUE, array).await?;
        match alarm {
            // One alarm per object: setting it replaces an earlier one.
            Alarm::At(t) => storage.set_alarm(Duration::from_secs(u64::from(t))).await?,
            // A value without expiry must not be deleted by an earlier value's alarm.
            Alarm::Clear => storage.delete_alarm().await?,
            Alarm::Keep => {}
        }
        Ok(())
    }
}

/// What a write does to the object's alarm.
#[derive(Debug, Clone, Copy)]
enum Alarm {
    /// Delete the storage after this many seconds.
    At(u32),
    /// No expiry: cancel any alarm.
    Clear,
    /// Leave the alarm as it is (a live counter keeps its window's expiry).
    Keep,
}

fn header_num<T: std::str::FromStr>(req: &Request, name: &str) -> Option<T> {
    req.headers().get(name).ok().flatten()?.trim().parse().ok()
}
