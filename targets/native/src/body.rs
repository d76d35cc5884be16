//! The native server's response body: a whole body, or a stream pulled from the exchange as
//! hyper polls (backpressure: nothing is read upstream before the client takes the previous
//! chunk), with the exchange observed when the stream ends or the client goes away.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Response;
use http::header::{CONTENT_TYPE, HeaderValue};
use http_body::{Body, Frame, SizeHint};

use crate::server::{Body0, Finish};

/// The response body type.
#[derive(Debug)]
pub enum GatewayBody {
    /// A whole body.
    Full(Option<Bytes>),
    /// A stream pulled from the exchange.
    Stream(StreamBody),
}

impl Body for GatewayBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            GatewayBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            GatewayBody::Stream(s) => s.poll(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            GatewayBody::Full(b) => b.is_none(),
            GatewayBody::Stream(s) => s.finish.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            GatewayBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            GatewayBody::Full(None) => SizeHint::with_exact(0),
            GatewayBody::Stream(_) => SizeHint::default(),
        }
    }
}

type Pull = Pin<Box<dyn Future<Output = Option<Vec<u8>>>>>;

/// A streamed exchange body (see the module docs).
pub struct StreamBody {
    body: Rc<tokio::sync::Mutex<Body0>>,
    pending: Option<Pull>,
    pub(crate) finish: Option<Finish>,
}

impl std::fmt::Debug for StreamBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamBody")
            .field("pending", &self.pending.is_some())
            .field("finished", &self.finish.is_none())
            .finish()
    }
}

impl StreamBody {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.finish.is_none() {
            return Poll::Ready(None);
        }
        let body = &self.body;
        let pull = self.pending.get_or_insert_with(|| {
            let body = Rc::clone(body);
            Box::pin(async move {
                let mut body = body.lock().await;
                body.next_chunk().await
            })
        });
        match pull.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(chunk)) => {
                self.pending = None;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
            }
            Poll::Ready(None) => {
                self.pending = None;
                let record = self.body.try_lock().ok().and_then(|mut b| b.take_record());
                if let Some(finish) = self.finish.take() {
                    finish.done(record, false);
                }
                Poll::Ready(None)
            }
        }
    }
}

impl Drop for StreamBody {
    fn drop(&mut self) {
        let Some(finish) = self.finish.take() else {
            return;
        };
        // Cancels a pull in progress (releasing the body), then hands the body to the
        // worker's settlement task; sending never fails loudly (a worker shutting down has
        // nobody left to tell).
        self.pending = None;
        let aborts = &finish.app.aborts;
        let _ = aborts.send((Rc::clone(&self.body), finish));
    }
}

/// A streamed response body over the exchange's client body.
pub(crate) fn stream(body: Body0, finish: Option<Finish>) -> GatewayBody {
    GatewayBody::Stream(StreamBody {
        body: Rc::new(tokio::sync::Mutex::new(body)),
        pending: None,
        finish,
    })
}

/// A whole response with this status and content type.
pub(crate) fn full(status: u16, content_type: &'static str, body: Bytes) -> Response<GatewayBody> {
    let mut resp = Response::new(GatewayBody::Full(Some(body)));
    if let Ok(s) = http::StatusCode::from_u16(status) {
        *resp.status_mut() = s;
    }
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}
