//! Input filters inside the exchange: each filter of the listener's `input_filters` is one
//! (HTTP) or three (MCP) side calls ([`super::side`]) before the guard and routing; see
//! [`crate::filters`] for what their answers mean.

use hermesllm::ir::{ApiError, ErrorKind};

use super::phases::Exchange;
use super::reply::{Action, Next, Reply};
use super::side::{FilterStep, Parked, Side};
use crate::config::{FilterKind, ListenerKind};
use crate::filters::{self, Outcome};
use crate::upstream::UpstreamRequest;

impl Exchange<'_> {
    /// The listener's input filter ids.
    fn input_filter_ids(&self) -> &[String] {
        let kind = if self.options.prompt_listener {
            ListenerKind::Prompt
        } else {
            ListenerKind::Model
        };
        self.config
            .listeners
            .iter()
            .find(|l| l.kind == kind)
            .map_or(&[], |l| l.input_filters.as_slice())
    }

    /// The next filter call for `p`, if a filter is left (ids naming agents are skipped).
    pub(super) fn next_filter_call(&mut self, p: &mut Parked) -> Option<UpstreamRequest> {
        loop {
            let id = self.input_filter_ids().get(p.filter_index)?;
            let Some(f) = self.config.filters.iter().find(|f| &f.id == id) else {
                p.filter_index += 1;
                continue;
            };
            let (request, step) = match (f.kind, p.mcp_step) {
                (FilterKind::Http, _) => {
                    (filters::http_request(f, &p.path, &p.body), FilterStep::Http)
                }
                (_, 0) => (filters::mcp_initialize(f), FilterStep::McpInitialize),
                (_, 1) => (
                    filters::mcp_initialized(f, p.mcp_session.as_deref()),
                    FilterStep::McpInitialized,
                ),
                _ => (
                    filters::mcp_call(f, p.mcp_session.as_deref(), &p.body),
                    FilterStep::McpCall,
                ),
            };
            self.side = Some(Side::Filter {
                index: p.filter_index,
                step,
            });
            return Some(request);
        }
    }

    /// A filter call's answer.
    pub(super) fn filter_answer(
        &mut self,
        index: usize,
        step: FilterStep,
        status: u16,
        body: &[u8],
    ) -> Next {
        let session = self.side_session.take();
        let outcome = match step {
            FilterStep::Http => filters::read_http(status, body),
            FilterStep::McpInitialize => {
                if let Some(p) = self.parked.as_mut() {
                    p.mcp_session = session;
                    p.mcp_step = 1;
                }
                return self.next_step();
            }
            FilterStep::McpInitialized => {
                if let Some(p) = self.parked.as_mut() {
                    p.mcp_step = 2;
                }
                return self.next_step();
            }
            FilterStep::McpCall => filters::read_mcp_call(status, body),
        };
        self.apply_filter(index, outcome)
    }

    /// A filter call failed: a 4xx rejects, anything else fails closed.
    pub(super) fn filter_failed(
        &mut self,
        index: usize,
        step: FilterStep,
        status: Option<u16>,
        body: &[u8],
    ) -> Next {
        let outcome = match (step, status) {
            (FilterStep::Http | FilterStep::McpCall, Some(s)) => {
                let o = filters::read_http(s, body);
                if matches!(o, Outcome::Reject { .. }) {
                    o
                } else {
                    Outcome::Fail(format!("it answered {s}"))
                }
            }
            (_, Some(s)) => Outcome::Fail(format!("its MCP session could not start ({s})")),
            (_, None) => Outcome::Fail("it could not be reached".to_owned()),
        };
        self.apply_filter(index, outcome)
    }

    fn apply_filter(&mut self, index: usize, outcome: Outcome) -> Next {
        let id = self
            .input_filter_ids()
            .get(index)
            .cloned()
            .unwrap_or_default();
        let client = self.client_api;
        let reply = match outcome {
            Outcome::Replace(body) => {
                self.custom_attributes
                    .push((format!("plano.filter.{id}"), "replaced".to_owned()));
                if let Some(p) = self.parked.as_mut() {
                    p.body = body;
                }
                return self.filter_done();
            }
            Outcome::Keep => {
                self.custom_attributes
                    .push((format!("plano.filter.{id}"), "kept".to_owned()));
                return self.filter_done();
            }
            Outcome::Reject { status, message } => {
                self.custom_attributes
                    .push((format!("plano.filter.{id}"), "rejected".to_owned()));
                let mut err = ApiError::new(ErrorKind::from_status(status), message);
                err.status = status;
                Reply::api_error(client, &err)
            }
            Outcome::Fail(why) => {
                self.custom_attributes
                    .push((format!("plano.filter.{id}"), "failed".to_owned()));
                let mut err = ApiError::new(
                    ErrorKind::Server,
                    format!("request filter `{id}` failed: {why}"),
                );
                err.status = 502;
                Reply::api_error(client, &err)
            }
        };
        self.parked = None;
        match self.respond(reply) {
            Action::Respond(r) => Next::Respond(r),
            Action::Send(_) => Next::Respond(Reply::json(500, Vec::new())),
        }
    }

    /// The filter in progress is done: on to the next one.
    fn filter_done(&mut self) -> Next {
        if let Some(p) = self.parked.as_mut() {
            p.filter_index += 1;
            p.mcp_step = 0;
            p.mcp_session = None;
        }
        self.next_step()
    }

    fn next_step(&mut self) -> Next {
        self.phase = super::phases::Phase::Retrying;
        Next::Retry {
            delay_ms: 0,
            fallback: false,
        }
    }
}
