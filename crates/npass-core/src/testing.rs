//! An in-memory store for the core's own unit tests: the ports a service uses, with the same
//! contract as `npass-store` (conditional updates, all-or-nothing operations), and a fixed
//! clock. It exists only under `cfg(test)`; the contract tests keep `npass-store` honest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use crate::clock::ManualClock;
use crate::error::{Error, Result};
use crate::login::{Logins, SessionEnded};
use crate::model::{
    Account, AccountStatus, Assurance, AuditEvent, AuditRecord, Mail, Profile, Session, Throttle,
    TotpCredential,
};
use crate::national_id::{NationalId, Scheme};
use crate::password::{HashParams, HashWorkers, Hasher, Hashing};
use crate::register::Registrations;
use crate::reset::PasswordResets;
use crate::rng::OsRng;
use crate::seal::{MasterKey, Sealer};
use crate::service::{Env, Policy, Throttles};
use crate::store::{
    AccountStore, AuditStore, LoginStore, PasskeyRecord, PasskeyStore, RecoveryStore, ResetStore,
    SessionStore, Settle, StoredCeremony, StoredLogin, ThrottleStore, ThrottleTake, TotpStore,
};
use crate::twostep::Credentials;

#[derive(Default)]
struct State {
    accounts: HashMap<String, Account>,
    /// Email-confirmation token digest → (account, expiry).
    email_tokens: HashMap<String, (String, i64)>,
    totp: HashMap<String, TotpCredential>,
    /// Enrolments under way: account → (sealed seed, started at).
    pending: HashMap<String, (Vec<u8>, i64)>,
    /// (account, code digest) → used at.
    recovery: HashMap<(String, String), Option<i64>>,
    throttles: HashMap<String, Throttle>,
    sessions: HashMap<String, Session>,
    logins: HashMap<String, StoredLogin>,
    /// Replacement registrations: digest → (account, expiry, profile, password hash).
    replacements: HashMap<String, (String, i64, Profile, String)>,
    /// Email changes: digest → (account, new address, expiry).
    email_changes: HashMap<String, (String, String, i64)>,
    /// Reset links: digest → (account, expiry).
    resets: HashMap<String, (String, i64)>,
    passkeys: Vec<PasskeyRecord>,
    ceremonies: HashMap<String, StoredCeremony>,
    audit: Vec<AuditRecord>,
    mail: Vec<Mail>,
}

#[derive(Default)]
pub struct MemStore {
    state: Mutex<State>,
    /// Sessions whose end e-services were told of: (chain, account).
    pub ended: Mutex<Vec<(String, String)>>,
}

impl MemStore {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn append(st: &mut State, ev: &AuditEvent, mail: Option<&Mail>, now: i64) {
        let seq = st.audit.len() as i64 + 1;
        st.audit.push(AuditRecord {
            seq,
            at: now,
            event: ev.clone(),
            prev_hash: String::new(),
            hash: String::new(),
        });
        st.mail.extend(mail.cloned());
    }

    pub fn audit_kinds(&self) -> Vec<String> {
        self.state()
            .audit
            .iter()
            .map(|r| r.event.kind.clone())
            .collect()
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.state().mail.clone()
    }

    pub fn sessions(&self) -> Vec<Session> {
        self.state().sessions.values().cloned().collect()
    }

    pub fn put_totp(&self, account_id: &str, t: TotpCredential) {
        self.state().totp.insert(account_id.to_owned(), t);
    }

    pub fn put_recovery(&self, account_id: &str, hash: &str) {
        self.state()
            .recovery
            .insert((account_id.to_owned(), hash.to_owned()), None);
    }
}

#[async_trait]
impl AccountStore for MemStore {
    async fn create_account(
        &self,
        account: &Account,
        email_token: Option<(&str, i64)>,
        mail: Option<&Mail>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        let nid = &account.national_id.value;
        if st.accounts.values().any(|a| a.national_id.value == *nid) {
            return Err(Error::Conflict("account-exists"));
        }
        st.accounts.insert(account.id.to_string(), account.clone());
        if let Some((hash, expires)) = email_token {
            st.email_tokens
                .insert(hash.to_owned(), (account.id.to_string(), expires));
        }
        Self::append(&mut st, audit, mail, now);
        Ok(())
    }

    async fn account_by_national_id(&self, national_id: &str) -> Result<Option<Account>> {
        let st = self.state();
        let found = st
            .accounts
            .values()
            .find(|a| a.national_id.value == national_id);
        Ok(found.cloned())
    }

    async fn account_by_id(&self, id: &str) -> Result<Option<Account>> {
        Ok(self.state().accounts.get(id).cloned())
    }

    async fn confirm_email(
        &self,
        token_hash: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<String> {
        let mut st = self.state();
        let (account_id, expires, replacement) = match st.email_tokens.remove(token_hash) {
            Some((a, e)) => (a, e, None),
            None => {
                let (a, e, p, h) = st.replacements.remove(token_hash).ok_or(Error::NotFound)?;
                (a, e, Some((p, h)))
            }
        };
        if expires <= now {
            return Err(Error::Expired("email-token"));
        }
        let is_replacement = replacement.is_some();
        let activated = match st.accounts.get_mut(&account_id) {
            Some(a) if a.status == AccountStatus::Pending => {
                if let Some((p, h)) = replacement {
                    a.profile = p;
                    a.password_hash = Some(h);
                }
                a.status = AccountStatus::Active;
                true
            }
            _ => false,
        };
        if activated {
            st.email_tokens.retain(|_, (a, _)| *a != account_id);
            st.replacements.retain(|_, (a, ..)| *a != account_id);
        } else if is_replacement {
            return Err(Error::NotFound);
        }
        let mut ev = audit.clone();
        ev.account_id = Some(account_id.clone());
        Self::append(&mut st, &ev, None, now);
        Ok(account_id)
    }

    async fn email_token_add(
        &self,
        account_id: &str,
        token_hash: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        st.email_tokens
            .insert(token_hash.to_owned(), (account_id.to_owned(), expires_at));
        Self::append(&mut st, audit, Some(mail), now);
        Ok(())
    }

    async fn registration_replace(
        &self,
        account_id: &str,
        token_hash: &str,
        profile: &Profile,
        password_hash: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        st.replacements.insert(
            token_hash.to_owned(),
            (
                account_id.to_owned(),
                expires_at,
                profile.clone(),
                password_hash.to_owned(),
            ),
        );
        Self::append(&mut st, audit, Some(mail), now);
        Ok(())
    }

    async fn profile_update(
        &self,
        account_id: &str,
        phone: &str,
        language: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        let a = st.accounts.get_mut(account_id).ok_or(Error::NotFound)?;
        a.profile.phone = phone.to_owned();
        a.profile.language = language.to_owned();
        Self::append(&mut st, audit, None, now);
        Ok(())
    }

    async fn email_change_put(
        &self,
        account_id: &str,
        token_hash: &str,
        new_email: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mails: &[Mail],
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        st.email_changes.retain(|_, (a, ..)| a != account_id);
        st.email_changes.insert(
            token_hash.to_owned(),
            (account_id.to_owned(), new_email.to_owned(), expires_at),
        );
        st.mail.extend(mails.iter().cloned());
        Self::append(&mut st, audit, None, now);
        Ok(())
    }

    async fn email_change(&self, token_hash: &str, now: i64) -> Result<Option<(String, String)>> {
        Ok(self
            .state()
            .email_changes
            .get(token_hash)
            .filter(|(_, _, exp)| *exp > now)
            .map(|(a, e, _)| (a.clone(), e.clone())))
    }

    async fn email_change_apply(
        &self,
        token_hash: &str,
        account_id: &str,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<bool> {
        let mut st = self.state();
        let Some((a, email, exp)) = st.email_changes.get(token_hash).cloned() else {
            return Ok(false);
        };
        if a != account_id || exp <= now {
            return Ok(false);
        }
        st.email_changes.remove(token_hash);
        if let Some(acc) = st.accounts.get_mut(account_id) {
            acc.profile.email = email;
        }
        Self::append(&mut st, audit, Some(mail), now);
        Ok(true)
    }

    async fn account_delete(
        &self,
        account: &Account,
        audit: &[AuditEvent],
        mail: &Mail,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        let id = account.id.as_str();
        st.accounts.remove(id).ok_or(Error::NotFound)?;
        st.sessions.retain(|_, s| s.account_id != id);
        st.totp.remove(id);
        st.pending.remove(id);
        st.recovery.retain(|(a, _), _| a != id);
        st.email_tokens.retain(|_, (a, _)| a != id);
        st.resets.retain(|_, (a, _)| a != id);
        st.email_changes.retain(|_, (a, ..)| a != id);
        for (i, ev) in audit.iter().enumerate() {
            Self::append(&mut st, ev, (i == 0).then_some(mail), now);
        }
        Ok(())
    }

    async fn purge_unconfirmed(&self, created_before: i64) -> Result<u64> {
        let mut st = self.state();
        let gone: Vec<String> = st
            .accounts
            .values()
            .filter(|a| a.status == AccountStatus::Pending && a.created_at < created_before)
            .map(|a| a.id.to_string())
            .collect();
        for id in &gone {
            st.accounts.remove(id);
            st.email_tokens.retain(|_, (a, _)| a != id);
            st.replacements.retain(|_, (a, ..)| a != id);
        }
        Ok(gone.len() as u64)
    }

    async fn set_status(
        &self,
        account_id: &str,
        status: AccountStatus,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        let a = st.accounts.get_mut(account_id).ok_or(Error::NotFound)?;
        a.status = status;
        Self::append(&mut st, audit, mail, now);
        Ok(())
    }

    async fn set_password(
        &self,
        account_id: &str,
        password_hash: &str,
        keep_session: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        let a = st.accounts.get_mut(account_id).ok_or(Error::NotFound)?;
        a.password_hash = Some(password_hash.to_owned());
        st.sessions
            .retain(|k, s| s.account_id != account_id || k == keep_session);
        Self::append(&mut st, audit, mail, now);
        Ok(())
    }
}

#[async_trait]
impl ResetStore for MemStore {
    async fn reset_token_put(
        &self,
        account_id: &str,
        token_hash: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        st.resets
            .insert(token_hash.to_owned(), (account_id.to_owned(), expires_at));
        Self::append(&mut st, audit, Some(mail), now);
        Ok(())
    }

    async fn reset_token(&self, token_hash: &str, now: i64) -> Result<Option<String>> {
        Ok(self
            .state()
            .resets
            .get(token_hash)
            .filter(|(_, exp)| *exp > now)
            .map(|(a, _)| a.clone()))
    }

    async fn password_reset(
        &self,
        token_hash: &str,
        account_id: &str,
        password_hash: &str,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<bool> {
        let mut st = self.state();
        if st
            .resets
            .get(token_hash)
            .is_none_or(|(a, exp)| a != account_id || *exp <= now)
        {
            return Ok(false);
        }
        let a = st.accounts.get_mut(account_id).ok_or(Error::NotFound)?;
        a.password_hash = Some(password_hash.to_owned());
        st.resets.retain(|_, (a, _)| a != account_id);
        st.sessions.retain(|_, s| s.account_id != account_id);
        Self::append(&mut st, audit, Some(mail), now);
        Ok(true)
    }
}

#[allow(clippy::too_many_arguments)]
#[async_trait]
impl TotpStore for MemStore {
    async fn totp(&self, account_id: &str) -> Result<Option<TotpCredential>> {
        Ok(self.state().totp.get(account_id).cloned())
    }

    async fn totp_use_step(&self, account_id: &str, step: i64) -> Result<bool> {
        let mut st = self.state();
        Ok(match st.totp.get_mut(account_id) {
            Some(t) if t.last_step < step => {
                t.last_step = step;
                true
            }
            _ => false,
        })
    }

    async fn totp_pending(&self, account_id: &str) -> Result<Option<(Vec<u8>, i64)>> {
        Ok(self.state().pending.get(account_id).cloned())
    }

    async fn totp_pending_put(&self, account_id: &str, sealed: &[u8], now: i64) -> Result<()> {
        self.state()
            .pending
            .insert(account_id.to_owned(), (sealed.to_vec(), now));
        Ok(())
    }

    async fn totp_activate(
        &self,
        account_id: &str,
        sealed: &[u8],
        step: i64,
        recovery_hashes: &[String],
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        st.pending.remove(account_id);
        st.totp.insert(
            account_id.to_owned(),
            TotpCredential {
                sealed_secret: sealed.to_vec(),
                last_step: step,
                created_at: now,
            },
        );
        st.recovery.retain(|(a, _), _| a != account_id);
        for h in recovery_hashes {
            st.recovery.insert((account_id.to_owned(), h.clone()), None);
        }
        Self::append(&mut st, audit, mail, now);
        Ok(())
    }

    async fn totp_remove(
        &self,
        account_id: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        st.totp.remove(account_id);
        Self::append(&mut st, audit, mail, now);
        Ok(())
    }
}

#[async_trait]
impl RecoveryStore for MemStore {
    async fn recovery_replace(
        &self,
        account_id: &str,
        hashes: &[String],
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        st.recovery.retain(|(a, _), _| a != account_id);
        for h in hashes {
            st.recovery.insert((account_id.to_owned(), h.clone()), None);
        }
        Self::append(&mut st, audit, mail, now);
        Ok(())
    }

    async fn recovery_use(
        &self,
        account_id: &str,
        hash: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<bool> {
        let mut st = self.state();
        let key = (account_id.to_owned(), hash.to_owned());
        match st.recovery.get_mut(&key) {
            Some(used @ None) => *used = Some(now),
            _ => return Ok(false),
        }
        Self::append(&mut st, audit, mail, now);
        Ok(true)
    }

    async fn recovery_left(&self, account_id: &str) -> Result<i64> {
        let st = self.state();
        let left = st
            .recovery
            .iter()
            .filter(|((a, _), used)| a == account_id && used.is_none())
            .count();
        Ok(left as i64)
    }
}

#[async_trait]
impl ThrottleStore for MemStore {
    async fn throttle(&self, key: &str) -> Result<Throttle> {
        Ok(self.state().throttles.get(key).copied().unwrap_or_default())
    }

    async fn throttle_take(
        &self,
        takes: &[ThrottleTake<'_>],
        releases: &[&str],
        now: i64,
    ) -> Result<bool> {
        let mut st = self.state();
        let current = |st: &State, k: &str| st.throttles.get(k).copied().unwrap_or_default();
        if takes.iter().any(|t| current(&st, t.key) != t.seen) {
            return Ok(false);
        }
        for t in takes {
            let row = Throttle {
                failures: t.failures,
                last_failure_at: now,
            };
            st.throttles.insert(t.key.to_owned(), row);
        }
        for k in releases {
            release(&mut st, k);
        }
        Ok(true)
    }

    async fn throttle_release(&self, key: &str) -> Result<()> {
        release(&mut self.state(), key);
        Ok(())
    }

    async fn throttle_reset(&self, key: &str) -> Result<()> {
        self.state().throttles.remove(key);
        Ok(())
    }

    async fn throttles_sweep(&self, prefixes: &[&str], before: i64) -> Result<u64> {
        let mut st = self.state();
        let n = st.throttles.len();
        st.throttles.retain(|k, t| {
            !(prefixes.iter().any(|p| k.starts_with(p)) && t.last_failure_at < before)
        });
        Ok((n - st.throttles.len()) as u64)
    }
}

fn release(st: &mut State, key: &str) {
    if let Some(t) = st.throttles.get_mut(key)
        && t.failures > 0
    {
        t.failures -= 1;
    }
}

#[async_trait]
impl SessionStore for MemStore {
    async fn session_start(
        &self,
        session: &Session,
        replaces: Option<&str>,
        settle: Settle<'_>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let mut st = self.state();
        // All or nothing, as one database transaction.
        if let Some(step) = settle.totp_step
            && st
                .totp
                .get(session.account_id.as_str())
                .is_none_or(|t| t.last_step >= step)
        {
            return Ok(false);
        }
        if let Some(key) = settle.login
            && st.logins.get(key).is_none_or(|l| l.expires_at <= now)
        {
            return Ok(false);
        }
        if let Some(step) = settle.totp_step
            && let Some(t) = st.totp.get_mut(session.account_id.as_str())
        {
            t.last_step = step;
        }
        if let Some(key) = settle.login {
            st.logins.remove(key);
        }
        st.sessions.insert(session.id_hash.clone(), session.clone());
        if let Some(old) = replaces {
            st.sessions.remove(old);
        }
        for k in settle.resets {
            st.throttles.remove(k);
        }
        for k in settle.releases {
            release(&mut st, k);
        }
        Self::append(&mut st, audit, None, now);
        Ok(true)
    }

    async fn session(&self, id_hash: &str) -> Result<Option<Session>> {
        Ok(self.state().sessions.get(id_hash).cloned())
    }

    async fn session_touch(&self, id_hash: &str, now: i64, idle_expires_at: i64) -> Result<()> {
        if let Some(s) = self.state().sessions.get_mut(id_hash) {
            s.last_seen_at = now;
            s.idle_expires_at = idle_expires_at;
        }
        Ok(())
    }

    async fn session_end(&self, id_hash: &str, audit: Option<&AuditEvent>, now: i64) -> Result<()> {
        let mut st = self.state();
        st.sessions.remove(id_hash);
        if let Some(ev) = audit {
            Self::append(&mut st, ev, None, now);
        }
        Ok(())
    }

    async fn sessions_end_for_account(&self, account_id: &str, _now: i64) -> Result<u64> {
        let mut st = self.state();
        let before = st.sessions.len();
        st.sessions.retain(|_, s| s.account_id != account_id);
        Ok((before - st.sessions.len()) as u64)
    }

    async fn sessions_for_account(&self, account_id: &str, now: i64) -> Result<Vec<Session>> {
        let mut v: Vec<Session> = self
            .state()
            .sessions
            .values()
            .filter(|s| s.account_id == account_id && s.expires_at > now && s.idle_expires_at > now)
            .cloned()
            .collect();
        v.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        Ok(v)
    }

    async fn session_end_of_account(
        &self,
        account_id: &str,
        id_hash: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<Option<String>> {
        let mut st = self.state();
        if st
            .sessions
            .get(id_hash)
            .is_none_or(|s| s.account_id != account_id)
        {
            return Ok(None);
        }
        let gone = st.sessions.remove(id_hash).map(|s| s.chain);
        Self::append(&mut st, audit, None, now);
        Ok(gone)
    }
}

#[async_trait]
impl AuditStore for MemStore {
    async fn audit_append(&self, event: &AuditEvent, mail: Option<&Mail>, now: i64) -> Result<()> {
        Self::append(&mut self.state(), event, mail, now);
        Ok(())
    }

    async fn audit_for_account(
        &self,
        account_id: &str,
        prefixes: &[&str],
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        let st = self.state();
        let mut out: Vec<AuditRecord> = st
            .audit
            .iter()
            .rev()
            .filter(|r| r.event.account_id.as_deref() == Some(account_id))
            .filter(|r| prefixes.iter().any(|p| r.event.kind.starts_with(p)))
            .cloned()
            .collect();
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    async fn audit_range(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        let st = self.state();
        let mut out: Vec<AuditRecord> = st
            .audit
            .iter()
            .filter(|r| r.seq > after_seq)
            .cloned()
            .collect();
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }
}

#[async_trait]
impl LoginStore for MemStore {
    async fn login_put(&self, l: &StoredLogin) -> Result<()> {
        self.state().logins.insert(l.key.clone(), l.clone());
        Ok(())
    }

    async fn login(&self, key: &str) -> Result<Option<StoredLogin>> {
        Ok(self.state().logins.get(key).cloned())
    }
}

#[async_trait]
impl PasskeyStore for MemStore {
    async fn passkey_add(
        &self,
        p: &PasskeyRecord,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut st = self.state();
        if st
            .passkeys
            .iter()
            .any(|x| x.credential_id == p.credential_id)
        {
            return Err(crate::Error::Conflict("passkey-exists"));
        }
        st.passkeys.push(PasskeyRecord {
            created_at: now,
            last_used_at: None,
            ..p.clone()
        });
        Self::append(&mut st, audit, mail, now);
        Ok(())
    }

    async fn passkeys_of(&self, account_id: &str) -> Result<Vec<PasskeyRecord>> {
        Ok(self
            .state()
            .passkeys
            .iter()
            .filter(|p| p.account_id == account_id)
            .cloned()
            .collect())
    }

    async fn passkey(&self, credential_id: &str) -> Result<Option<PasskeyRecord>> {
        Ok(self
            .state()
            .passkeys
            .iter()
            .find(|p| p.credential_id == credential_id)
            .cloned())
    }

    async fn passkey_rename(
        &self,
        account_id: &str,
        credential_id: &str,
        name: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let mut st = self.state();
        let Some(p) = st
            .passkeys
            .iter_mut()
            .find(|p| p.account_id == account_id && p.credential_id == credential_id)
        else {
            return Ok(false);
        };
        p.name = name.to_owned();
        Self::append(&mut st, audit, None, now);
        Ok(true)
    }

    async fn passkey_remove(
        &self,
        account_id: &str,
        credential_id: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<bool> {
        let mut st = self.state();
        let before = st.passkeys.len();
        st.passkeys
            .retain(|p| !(p.account_id == account_id && p.credential_id == credential_id));
        if st.passkeys.len() == before {
            return Ok(false);
        }
        Self::append(&mut st, audit, mail, now);
        Ok(true)
    }

    async fn passkey_use(
        &self,
        credential_id: &str,
        passkey: &str,
        sign_count: i64,
        backed_up: bool,
        now: i64,
    ) -> Result<bool> {
        let mut st = self.state();
        let Some(p) = st
            .passkeys
            .iter_mut()
            .find(|p| p.credential_id == credential_id)
        else {
            return Ok(false);
        };
        if !(p.sign_count < sign_count || (p.sign_count == 0 && sign_count == 0)) {
            return Ok(false);
        }
        p.passkey = passkey.to_owned();
        p.sign_count = sign_count;
        p.backed_up = backed_up;
        p.last_used_at = Some(now);
        Ok(true)
    }

    async fn ceremony_put(&self, c: &StoredCeremony) -> Result<()> {
        self.state().ceremonies.insert(c.key.clone(), c.clone());
        Ok(())
    }

    async fn ceremony_take(&self, key: &str) -> Result<Option<StoredCeremony>> {
        Ok(self.state().ceremonies.remove(key))
    }
}

#[async_trait]
impl SessionEnded for MemStore {
    async fn session_ended(&self, chain: &str, account_id: &str) -> Result<()> {
        let mut ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        ended.push((chain.to_owned(), account_id.to_owned()));
        Ok(())
    }
}

/// The login service over a `MemStore`, with a clock that moves only when told, and cheap
/// password hashing (the parameters are not what this tests).
pub struct Fixture {
    pub logins: Logins,
    pub registrations: Registrations,
    pub credentials: Credentials,
    pub resets: PasswordResets,
    pub store: Arc<MemStore>,
    pub clock: Arc<ManualClock>,
    pub env: Env,
}

impl Fixture {
    pub fn new(policy: Policy) -> Fixture {
        let store = Arc::new(MemStore::default());
        let clock = Arc::new(ManualClock::new(1_800_000_000_000));
        let env = Env {
            clock: clock.clone(),
            rng: Arc::new(OsRng),
            policy: Arc::new(policy),
            mail_waker: Arc::new(|| {}),
        };
        let params = HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let hasher = Hasher::new(params, None, &OsRng).expect("hasher");
        let hashing = Hashing {
            hasher: Arc::new(hasher),
            workers: HashWorkers::new(1).expect("hash worker"),
        };
        let registrations = Registrations {
            accounts: store.clone(),
            throttles: store.clone(),
            audit: store.clone(),
            env: env.clone(),
            hashing: hashing.clone(),
        };
        let throttles = Throttles::new(store.clone(), env.clone());
        let sealer = Arc::new(Sealer::new(&MasterKey::from_bytes([7; 32])));
        let credentials = Credentials {
            accounts: store.clone(),
            totp: store.clone(),
            recovery: store.clone(),
            audit: store.clone(),
            throttles: throttles.clone(),
            env: env.clone(),
            hashing: hashing.clone(),
            sealer: sealer.clone(),
            sessions: store.clone(),
            ended: store.clone(),
        };
        let resets = PasswordResets {
            accounts: store.clone(),
            resets: store.clone(),
            sessions: store.clone(),
            audit: store.clone(),
            throttles: throttles.clone(),
            env: env.clone(),
            hashing: hashing.clone(),
            ended: store.clone(),
        };
        let passkeys = Arc::new(crate::passkey::Passkeys {
            store: store.clone(),
            totp: store.clone(),
            audit: store.clone(),
            rp: crate::passkey::RelyingParty::new("http://localhost:8080", "npass", None)
                .map(Arc::new),
            env: env.clone(),
        });
        let logins = Logins {
            accounts: store.clone(),
            totp: store.clone(),
            recovery: store.clone(),
            sessions: store.clone(),
            audit: store.clone(),
            stored: store.clone(),
            throttles,
            env: env.clone(),
            hashing,
            sealer,
            ended: store.clone(),
            passkeys,
        };
        Fixture {
            logins,
            registrations,
            credentials,
            resets,
            store,
            clock,
            env,
        }
    }
}

/// The password of the accounts `account` makes.
pub const PASSWORD: &str = "cerul de deasupra Chisinaului";

/// An account of `status` for the national identifier `nid`, with `PASSWORD`.
pub async fn account(f: &Fixture, nid: &str, status: AccountStatus) -> Account {
    let hash = f.logins.hashing.hasher.hash(PASSWORD, &OsRng).unwrap();
    let a = Account {
        id: format!("acc-{nid}").into(),
        national_id: NationalId {
            scheme: Scheme::MdIdnp,
            value: nid.into(),
        },
        profile: Profile {
            given_name: "Ion".into(),
            family_name: "Popescu".into(),
            birth_date: "1990-01-01".into(),
            email: format!("{nid}@example.md"),
            phone: String::new(),
            language: "en".into(),
        },
        assurance: Assurance::SelfAsserted,
        status,
        password_hash: Some(hash),
        created_at: 0,
    };
    let ev = crate::audit::event("account.register", Some(&a.id), None, serde_json::json!({}));
    f.store
        .create_account(&a, None, None, &ev, 0)
        .await
        .unwrap();
    a
}
