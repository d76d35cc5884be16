//! A timer future on `wasi:clocks/monotonic-clock`, woken by spin-sdk's executor: each poll
//! that is not yet due registers a pollable for the deadline with the executor, which waits on
//! every registered pollable when the handler has nothing else to do.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use spin_executor::CancelOnDropToken;
use wasi::clocks::monotonic_clock;

/// Completes `ms` milliseconds after it was made.
pub struct Sleep {
    deadline_ns: u64,
    // The executor's registration of the current poll; dropping it unregisters.
    registered: Option<CancelOnDropToken>,
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline_ns", &self.deadline_ns)
            .finish_non_exhaustive()
    }
}

/// A [`Sleep`] of `ms` milliseconds.
pub fn sleep_ms(ms: u64) -> Sleep {
    Sleep {
        deadline_ns: monotonic_clock::now().saturating_add(ms.saturating_mul(1_000_000)),
        registered: None,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if monotonic_clock::now() >= self.deadline_ns {
            self.registered = None;
            return Poll::Ready(());
        }
        let pollable = monotonic_clock::subscribe_instant(self.deadline_ns);
        let token = spin_executor::push_waker_and_get_token(pollable, cx.waker().clone());
        self.registered = Some(CancelOnDropToken::from(token));
        Poll::Pending
    }
}
