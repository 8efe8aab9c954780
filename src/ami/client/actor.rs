//! The connection actor: connect, run a session, back off and reconnect until shut down.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::mpsc;

use super::handle::{Request, Shared};
use super::login::connect;
use super::session::Session;
use crate::ami::{AmiError, NodeConfig};

/// Jittered exponential back-off.
struct Backoff {
    min: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max: max.max(min),
            current: min,
        }
    }

    fn reset(&mut self) {
        self.current = self.min;
    }

    /// A delay between half and all of the current step; the step doubles up to `max`.
    fn next(&mut self) -> Duration {
        let step = self.current;
        self.current = (self.current * 2).min(self.max);
        let ms = step.as_millis().max(1) as u64;
        Duration::from_millis(rand::thread_rng().gen_range(ms / 2..=ms))
    }
}

/// Why a session ended.
pub(super) enum End {
    /// Shut down or every handle dropped: stop the actor.
    Stop,
    /// The link is gone: reconnect.
    Lost,
}

pub(super) async fn run(cfg: NodeConfig, shared: Arc<Shared>, mut rx: mpsc::Receiver<Request>) {
    let mut backoff = Backoff::new(cfg.backoff_min, cfg.backoff_max);
    loop {
        // Connecting: requests meanwhile are answered NotConnected at once.
        let attempt = {
            let fut = connect(&cfg, &shared);
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    r = &mut fut => break r,
                    req = rx.recv() => match req {
                        Some(r) => { let _ = r.reply.send(Err(AmiError::NotConnected)); }
                        None => return,
                    },
                    _ = shared.cancel.cancelled() => return,
                }
            }
        };
        match attempt {
            Ok((conn, info)) => {
                tracing::info!(node = %cfg.name, ami = %info.ami_version, asterisk = %info.asterisk_version, "AMI connected");
                if let Ok(mut slot) = shared.info.lock() {
                    *slot = Some(info);
                }
                backoff.reset();
                shared
                    .logins
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                shared.connected.send_replace(true);
                let end = Session::new(&cfg, &shared, conn).run(&mut rx).await;
                shared.connected.send_replace(false);
                match end {
                    End::Stop => return,
                    End::Lost => tracing::warn!(node = %cfg.name, "AMI link lost; reconnecting"),
                }
            }
            Err(e) => tracing::warn!(node = %cfg.name, error = %e, "AMI connect failed"),
        }
        let pause = tokio::time::sleep(backoff.next());
        tokio::pin!(pause);
        loop {
            tokio::select! {
                _ = &mut pause => break,
                req = rx.recv() => match req {
                    Some(r) => { let _ = r.reply.send(Err(AmiError::NotConnected)); }
                    None => return,
                },
                _ = shared.cancel.cancelled() => return,
            }
        }
    }
}
