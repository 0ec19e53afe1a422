//! Cancellation broadcast: one [`Canceller`] held by the race coordinator, many
//! [`CancelToken`]s held by running children. The level only ever rises, so a second
//! Ctrl-C can escalate a graceful stop into an immediate kill.

use tokio::sync::watch;

/// How urgently running children should stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CancelLevel {
    /// Keep running.
    None,
    /// SIGTERM the group, wait the grace period, then SIGKILL.
    Graceful,
    /// SIGKILL the group now.
    Immediate,
}

/// The sending side: raises the cancellation level for every token made from it.
#[derive(Debug)]
pub struct Canceller {
    tx: watch::Sender<CancelLevel>,
}

/// The receiving side, cheap to clone; one per child.
#[derive(Clone, Debug)]
pub struct CancelToken {
    rx: watch::Receiver<CancelLevel>,
}

/// A fresh canceller at [`CancelLevel::None`] and one token from it.
pub fn cancel_pair() -> (Canceller, CancelToken) {
    let (tx, rx) = watch::channel(CancelLevel::None);
    (Canceller { tx }, CancelToken { rx })
}

impl Canceller {
    /// Raises the level to `level`; a lower level than the current one is ignored.
    pub fn cancel(&self, level: CancelLevel) {
        self.tx.send_if_modified(|current| {
            if level > *current {
                *current = level;
                true
            } else {
                false
            }
        });
    }

    /// A new token observing this canceller.
    pub fn token(&self) -> CancelToken {
        CancelToken {
            rx: self.tx.subscribe(),
        }
    }
}

impl CancelToken {
    /// A token that is never cancelled, for callers without cancellation.
    pub fn never() -> CancelToken {
        // The sender is dropped at once: the level stays `None` and `raised` pends forever.
        let (_tx, rx) = watch::channel(CancelLevel::None);
        CancelToken { rx }
    }

    /// The current level.
    pub fn level(&self) -> CancelLevel {
        *self.rx.borrow()
    }

    /// Resolves once the level is at least `at_least`. Never resolves if the canceller
    /// is dropped before that: a dropped canceller cancels nothing.
    pub async fn raised(&mut self, at_least: CancelLevel) {
        if self.level() >= at_least {
            return;
        }
        if self.rx.wait_for(|level| *level >= at_least).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn level_only_rises() {
        let (canceller, token) = cancel_pair();
        assert_eq!(token.level(), CancelLevel::None);
        canceller.cancel(CancelLevel::Immediate);
        canceller.cancel(CancelLevel::Graceful);
        assert_eq!(token.level(), CancelLevel::Immediate);
        assert_eq!(canceller.token().level(), CancelLevel::Immediate);
    }

    #[tokio::test]
    async fn raised_wakes_every_clone() {
        let (canceller, token) = cancel_pair();
        let mut a = token.clone();
        let mut b = canceller.token();
        let waiter = tokio::spawn(async move {
            a.raised(CancelLevel::Graceful).await;
            b.raised(CancelLevel::Immediate).await;
        });
        canceller.cancel(CancelLevel::Graceful);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        canceller.cancel(CancelLevel::Immediate);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("waiter woke")
            .expect("waiter ran");
    }

    #[tokio::test]
    async fn never_and_dropped_canceller_pend() {
        let mut never = CancelToken::never();
        let pending =
            tokio::time::timeout(Duration::from_millis(20), never.raised(CancelLevel::Graceful)).await;
        assert!(pending.is_err());

        let (canceller, mut token) = cancel_pair();
        drop(canceller);
        let pending =
            tokio::time::timeout(Duration::from_millis(20), token.raised(CancelLevel::Graceful)).await;
        assert!(pending.is_err());
        assert!(
            tokio::time::timeout(Duration::from_millis(20), token.raised(CancelLevel::None))
                .await
                .is_ok()
        );
    }
}
