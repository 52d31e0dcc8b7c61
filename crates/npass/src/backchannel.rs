//! Delivers back-channel logout tokens (queued in the database by the core) to e-services:
//! `POST uri` with `logout_token=…`, retried with growing pauses, given up after a few tries.

use std::sync::Arc;
use std::time::Duration;

use npass_core::Core;
use tokio::sync::Notify;

const LEASE_MS: i64 = 60_000;
const MAX_ATTEMPTS: i64 = 5;

pub struct Backchannel {
    pub core: Arc<Core>,
    pub http: reqwest::Client,
    pub wake: Arc<Notify>,
}

impl Backchannel {
    pub fn new(core: Arc<Core>, wake: Arc<Notify>, http: reqwest::Client) -> Self {
        Backchannel { core, http, wake }
    }

    async fn deliver(&self, uri: &str, token: &str) -> Result<(), String> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("logout_token", token)
            .finish();
        let res = self
            .http
            .post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(format!("answered {}", res.status()))
        }
    }

    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            // Each delivery is bounded by the client's timeout; a stop is heeded between them,
            // leaving the rest queued.
            while !*stop.borrow() {
                let now = self.core.now();
                let Ok(Some(n)) = self.core.store.backchannel_claim(now, LEASE_MS).await else {
                    break;
                };
                let store = &self.core.store;
                let sent = match self.core.federation.logout_token(&n).await {
                    Ok(token) => self.deliver(&n.uri, &token).await,
                    Err(e) => Err(format!("not signed: {e}")),
                };
                match sent {
                    Ok(()) => {
                        let _ = store.backchannel_done(&n.id).await;
                    }
                    Err(e) if n.attempts >= MAX_ATTEMPTS => {
                        tracing::warn!(client_id = %n.client_id, error = %e, "back-channel logout given up");
                        let _ = store.backchannel_done(&n.id).await;
                    }
                    Err(e) => {
                        tracing::info!(client_id = %n.client_id, error = %e, "back-channel logout will be retried");
                        let pause = 30_000 * (1i64 << n.attempts.clamp(0, 10));
                        let _ = store
                            .backchannel_retry(&n.id, self.core.now() + pause)
                            .await;
                    }
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
