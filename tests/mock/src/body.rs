//! The response body: whole, or events one frame each, ending cleanly, by aborting the
//! connection, or by stalling.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::sync::watch;

/// How long a stalled body holds the connection before giving up.
pub(crate) const STALL_LIMIT: Duration = Duration::from_secs(5 * 60);

/// How long an aborting body waits after its last event, so hyper flushes what was sent
/// before it drops the connection.
const RESET_GRACE: Duration = Duration::from_millis(20);

/// A body error: hyper answers it by closing the connection mid-body.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("connection reset by an x-mock-fault")]
    Reset,
    #[error("stalled body ended (limit reached or server shutting down)")]
    StallEnded,
}

/// The body of every answer.
pub(crate) struct MockBody {
    inner: Inner,
}

enum Inner {
    Full(Option<Bytes>),
    Chunks {
        chunks: std::vec::IntoIter<Bytes>,
        end: End,
    },
}

type Wait = Pin<Box<dyn Future<Output = ()> + Send>>;

enum End {
    Clean,
    /// Errors once the wait is over.
    Fail(Wait, Option<BodyError>),
    Done,
}

impl fmt::Debug for MockBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.inner {
            Inner::Full(_) => "full",
            Inner::Chunks { .. } => "chunks",
        };
        f.debug_struct("MockBody").field("kind", &kind).finish()
    }
}

impl MockBody {
    /// A whole body, with a `content-length`.
    pub(crate) fn full(bytes: Bytes) -> MockBody {
        MockBody {
            inner: Inner::Full(Some(bytes)),
        }
    }

    /// Chunks that end the body cleanly.
    pub(crate) fn chunks(chunks: Vec<Bytes>) -> MockBody {
        MockBody {
            inner: Inner::Chunks {
                chunks: chunks.into_iter(),
                end: End::Clean,
            },
        }
    }

    /// Chunks, then the connection is aborted.
    pub(crate) fn reset_after(chunks: Vec<Bytes>) -> MockBody {
        MockBody {
            inner: Inner::Chunks {
                chunks: chunks.into_iter(),
                end: End::Fail(
                    Box::pin(tokio::time::sleep(RESET_GRACE)),
                    Some(BodyError::Reset),
                ),
            },
        }
    }

    /// Chunks, then nothing until [`STALL_LIMIT`] or `shutdown`, then the connection is
    /// aborted. A client that goes away drops the connection, and the body with it.
    pub(crate) fn stall_after(chunks: Vec<Bytes>, mut shutdown: watch::Receiver<bool>) -> MockBody {
        let wait = async move {
            tokio::select! {
                () = tokio::time::sleep(STALL_LIMIT) => {}
                () = crate::server::stopped(&mut shutdown) => {}
            }
        };
        MockBody {
            inner: Inner::Chunks {
                chunks: chunks.into_iter(),
                end: End::Fail(Box::pin(wait), Some(BodyError::StallEnded)),
            },
        }
    }
}

impl http_body::Body for MockBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match &mut self.get_mut().inner {
            Inner::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Inner::Chunks { chunks, end } => {
                if let Some(chunk) = chunks.next() {
                    return Poll::Ready(Some(Ok(Frame::data(chunk))));
                }
                match end {
                    End::Clean | End::Done => Poll::Ready(None),
                    End::Fail(wait, error) => {
                        ready!(wait.as_mut().poll(cx));
                        let error = error.take();
                        *end = End::Done;
                        Poll::Ready(error.map(Err))
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Full(bytes) => bytes.is_none(),
            Inner::Chunks { chunks, end } => {
                chunks.len() == 0 && matches!(end, End::Clean | End::Done)
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Full(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            Inner::Full(None) => SizeHint::with_exact(0),
            Inner::Chunks { .. } => SizeHint::default(),
        }
    }
}
