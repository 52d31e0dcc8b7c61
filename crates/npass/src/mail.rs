//! The mail sender: takes mail from the database outbox (any node may; one does), renders it in
//! the citizen's language and delivers it over SMTP, or, with no SMTP server configured, as a
//! file in the outbox folder.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use npass_core::Core;
use npass_core::model::Mail;
use npass_web::I18n;
use tokio::sync::Notify;

pub enum Delivery {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl Delivery {
    pub fn from_config(cfg: &crate::config::Config) -> Result<Self, String> {
        if cfg.mail.smtp_url.is_empty() {
            return Ok(Delivery::Files(cfg.outbox_dir()));
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&cfg.mail.smtp_url)
            .map_err(|e| format!("mail.smtp_url: {e}"))?
            .timeout(Some(Duration::from_secs(20)));
        if let Some(f) = &cfg.mail.smtp_password_file {
            let user = cfg
                .mail
                .smtp_url
                .split_once("://")
                .and_then(|(_, rest)| rest.split_once('@'))
                .map(|(u, _)| u.split(':').next().unwrap_or(u).to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user, crate::config::read_secret(f)?));
        }
        Ok(Delivery::Smtp(builder.build()))
    }
}

pub struct Sender {
    pub core: Arc<Core>,
    pub i18n: Arc<I18n>,
    pub from: Mailbox,
    pub delivery: Delivery,
    pub wake: Arc<Notify>,
    /// The longest one delivery may take.
    pub timeout: Duration,
    /// Deliveries under way at once.
    pub concurrent: usize,
}

/// A claimed mail is this node's for two minutes: longer than a delivery may take, so no other
/// node sends it meanwhile; a node that dies leaves it to the others after that.
const LEASE_MS: i64 = 120_000;
/// How long a stopping node waits for the deliveries under way before it leaves them queued.
const STOP_GRACE: Duration = Duration::from_secs(2);

impl Sender {
    fn message(&self, m: &Mail) -> Result<Message, String> {
        let (subject, body) =
            npass_web::i18n::render_mail(&self.i18n, &m.language, &m.kind, &m.params);
        let to: Mailbox = m.to.parse().map_err(|e| format!("recipient: {e}"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(body),
            )
            .map_err(|e| e.to_string())
    }

    async fn deliver(&self, m: &Mail) -> Result<(), String> {
        let msg = self.message(m)?;
        match &self.delivery {
            Delivery::Smtp(t) => t.send(msg).await.map(|_| ()).map_err(|e| e.to_string()),
            Delivery::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| e.to_string())?;
                let path = dir.join(format!("{}-{}.eml", self.core.now(), m.id));
                let tmp = path.with_extension("tmp");
                tokio::fs::write(&tmp, msg.formatted())
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!(path = %path.display(), kind = %m.kind, "email written to the outbox folder");
                Ok(())
            }
        }
    }

    /// One mail, start to finish: delivered within the timeout and marked sent, or put back
    /// for a retry a minute later.
    async fn send_one(&self, m: Mail) {
        let outcome = match tokio::time::timeout(self.timeout, self.deliver(&m)).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {} s", self.timeout.as_secs())),
        };
        let store = &self.core.store;
        match outcome {
            Ok(()) => {
                if let Err(e) = store.mail_done(&m.id).await {
                    tracing::warn!(error = %e, "could not mark mail sent");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, kind = %m.kind, "mail delivery failed; will retry");
                let _ = store.mail_retry(&m.id, self.core.now() + 60_000).await;
            }
        }
    }

    /// Sends everything due, up to `concurrent` at once, then waits for a wake-up or the next
    /// poll. A stop ends it within `STOP_GRACE`: deliveries still under way are abandoned and
    /// their mail stays queued (any node sends it once its lease ends).
    ///
    /// A lease can end while this node is still delivering (the clock stepped forward): the
    /// claim then hands back a mail already under way here. It is not sent twice; the claim
    /// merely renewed its lease, and the next claim waits for a slot to come free.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut under_way = tokio::task::JoinSet::new();
        // The mail each delivery under way carries, by task.
        let mut ids = std::collections::HashMap::new();
        loop {
            while under_way.len() < this.concurrent.max(1) && !*stop.borrow() {
                let now = this.core.now();
                let claimed = match this.core.store.mail_claim(now, LEASE_MS).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "mail outbox unavailable");
                        None
                    }
                };
                let Some(m) = claimed else { break };
                if ids.values().any(|id| *id == m.id) {
                    break;
                }
                let id = m.id.clone();
                let one = this.clone();
                let task = under_way.spawn(async move { one.send_one(m).await });
                ids.insert(task.id(), id);
            }
            if *stop.borrow() {
                break;
            }
            tokio::select! {
                // A slot came free: claim the next at once.
                Some(done) = under_way.join_next_with_id(), if !under_way.is_empty() => {
                    ids.remove(&done.map_or_else(|e| e.id(), |(id, ())| id));
                }
                _ = this.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        let drain = async { while under_way.join_next().await.is_some() {} };
        if tokio::time::timeout(STOP_GRACE, drain).await.is_err() {
            tracing::info!(
                left = under_way.len(),
                "stopping: deliveries under way stay queued"
            );
            under_way.abort_all();
        }
    }
}
