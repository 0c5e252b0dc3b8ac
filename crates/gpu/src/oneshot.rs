//! A one-value channel whose receiver is a future: turns wgpu's
//! `map_async` callback into something both `pollster` (native) and the
//! browser's event loop (wasm) can await, without an extra dependency.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

struct Slot<T> {
    value: Option<T>,
    sender_gone: bool,
    waker: Option<Waker>,
}

/// Sending half; dropping it unsent resolves the receiver to `None`.
pub struct Sender<T>(Arc<Mutex<Slot<T>>>);

/// Receiving half: resolves to `Some(value)`, or `None` if the sender was dropped.
pub struct Receiver<T>(Arc<Mutex<Slot<T>>>);

/// A connected sender/receiver pair.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        sender_gone: false,
        waker: None,
    }));
    (Sender(slot.clone()), Receiver(slot))
}

fn lock<T>(m: &Mutex<Slot<T>>) -> std::sync::MutexGuard<'_, Slot<T>> {
    // A panic while holding this lock cannot leave the slot inconsistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T> Sender<T> {
    /// Stores the value and wakes the receiver.
    pub fn send(self, value: T) {
        let waker = {
            let mut s = lock(&self.0);
            s.value = Some(value);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut s = lock(&self.0);
            s.sender_gone = true;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut s = lock(&self.0);
        if let Some(v) = s.value.take() {
            return Poll::Ready(Some(v));
        }
        if s.sender_gone {
            return Poll::Ready(None);
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn sent_value_arrives() {
        let (tx, rx) = channel();
        tx.send(7);
        assert_eq!(pollster::block_on(rx), Some(7));
    }

    #[test]
    fn dropped_sender_resolves_to_none() {
        let (tx, rx) = channel::<u8>();
        drop(tx);
        assert_eq!(pollster::block_on(rx), None);
    }
}
