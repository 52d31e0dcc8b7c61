//! Factor verifiers: each checks one credential for a login transaction and adds one factor
//! (design note 0010). A new login method is a new verifier here and a page in npass-web.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use super::Logins;
use super::{Client, Factor, LoginError, LoginTransaction};
use crate::esign::CertIdentity;
use crate::model::Organization;
use crate::national_id;
use crate::service::Rule;
use crate::totp;

/// One login method.
#[async_trait]
pub trait Verifier: Sync {
    type Input: ?Sized + Sync;

    /// Checks `input` for `tx`; on success adds the method's factor, naming the account (a
    /// credential of another account than the one `tx` names fails). An attempt is taken
    /// before any secret is checked (design note 0008); what the session must settle is
    /// recorded in `tx`.
    async fn verify(
        &self,
        core: &Logins,
        tx: &mut LoginTransaction,
        input: &Self::Input,
        client: &Client,
    ) -> Result<(), LoginError>;
}

fn pwd_key(nid: &str) -> String {
    format!("pwd:{nid}")
}
fn otp_key(nid: &str) -> String {
    format!("otp:{nid}")
}
fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// A recovery code as typed: ten letters/digits once dashes and spaces are gone.
pub fn clean_recovery_code(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    (s.chars().count() == crate::twostep::RECOVERY_CODE_LEN
        && s.chars().all(|c| c.is_ascii_alphanumeric()))
    .then_some(s)
}

/// National identifier + password: the knowledge factor.
pub struct Password;

pub struct PasswordInput {
    pub national_id: String,
    pub password: SecretString,
}

#[async_trait]
impl Verifier for Password {
    type Input = PasswordInput;

    async fn verify(
        &self,
        core: &Logins,
        tx: &mut LoginTransaction,
        input: &PasswordInput,
        client: &Client,
    ) -> Result<(), LoginError> {
        let nid = national_id::parse(&input.national_id, &core.env.policy.schemes)
            .map_err(|p| LoginError::Invalid(p.into()))?;
        let nid = nid.value.as_str();
        let ip_key = ip_key(&client.ip);
        let pwd_key = pwd_key(nid);
        let account = core.accounts.account_by_national_id(nid).await?;
        let totp = match &account {
            Some(a) => core.totp.totp(&a.id).await?,
            None => None,
        };
        // While the code counter waits or is locked that is the answer, given before the
        // password is looked at: a right and a wrong password get the same one.
        if totp.is_some() {
            core.throttles
                .check(&otp_key(nid), &core.env.policy.throttle)
                .await?;
        }
        // The address's and the password's attempts, taken together (one transaction); the
        // address's stands only for a wrong guess, the password's only for a wrong password.
        let counts = core
            .throttles
            .take(
                &[
                    (&ip_key, Rule::Address),
                    (&pwd_key, Rule::Authenticator(&core.env.policy.throttle)),
                ],
                &[],
            )
            .await?;
        let count = counts.get(1).copied().unwrap_or(0);
        let stored = account.as_ref().and_then(|a| a.password_hash.clone());
        let password = input.password.clone();
        let password_ok = core
            .hashing(move |h| h.verify(password.expose_secret(), stored.as_deref()))
            .await?;
        let account = match (password_ok, account) {
            (true, Some(a)) if tx.prove(&a, Factor::Password) => a,
            (_, account) => {
                return Err(core
                    .failed(&pwd_key, count, account.as_ref(), "password", client)
                    .await);
            }
        };
        tx.account = Some(account);
        tx.totp = totp;
        tx.settle.resets.push(pwd_key.clone());
        tx.settle.releases.push(ip_key);
        tx.settle.held = Some((pwd_key, count));
        Ok(())
    }
}

/// A code from the Authenticator app (TOTP) or one of the recovery codes: the possession
/// factor. Needs a transaction whose account is known (the password came first).
pub struct Code;

#[async_trait]
impl Verifier for Code {
    type Input = SecretString;

    async fn verify(
        &self,
        core: &Logins,
        tx: &mut LoginTransaction,
        input: &SecretString,
        client: &Client,
    ) -> Result<(), LoginError> {
        let account = match &tx.account {
            Some(a) => a.clone(),
            None => match &tx.account_id {
                Some(id) => core
                    .accounts
                    .account_by_id(id)
                    .await?
                    .ok_or(LoginError::Failed)?,
                None => return Err(LoginError::Failed),
            },
        };
        let totp = match tx.totp.clone() {
            Some(t) => t,
            None => core
                .totp
                .totp(&account.id)
                .await?
                .ok_or(LoginError::Failed)?,
        };
        let otp_key = otp_key(&account.national_id.value);
        // The attempt held so far (the password's, which was right) goes back as the code's
        // is taken.
        let held: Vec<String> = tx.settle.held.iter().map(|(k, _)| k.clone()).collect();
        let held: Vec<&str> = held.iter().map(String::as_str).collect();
        let rule = Rule::Authenticator(&core.env.policy.throttle);
        let count = match core.throttles.take(&[(&otp_key, rule)], &held).await {
            Ok(c) => c.first().copied().unwrap_or(0),
            Err(e) => {
                core.throttles.release(&tx.held_keys()).await?;
                return Err(e.into());
            }
        };
        tx.settle.held = Some((otp_key.clone(), count));
        let code = input.expose_secret();
        // A code of the app's that was already used (seconds after activation, say) is told
        // apart: only someone who knows the password and saw a current code gets that answer,
        // and the attempt counts like any wrong one.
        let mut used = false;
        let proven = if let Some(rc) = clean_recovery_code(code) {
            core.spend_recovery_code(&account, &rc, client)
                .await?
                .then_some(Factor::RecoveryCode)
        } else {
            let secret = core.sealer.open(&totp.sealed_secret, &account.id)?;
            let now = core.env.now();
            let fresh = totp::verify(&secret, code, now, totp.last_step);
            used = fresh.is_none() && totp::verify(&secret, code, now, i64::MIN).is_some();
            fresh.map(|step| {
                tx.settle.totp_step = Some(step);
                Factor::Totp
            })
        };
        match proven {
            Some(f) if tx.prove(&account, f) => {
                tx.settle.resets.push(otp_key);
                Ok(())
            }
            _ => match core
                .failed(&otp_key, count, Some(&account), "code", client)
                .await
            {
                LoginError::Failed if used => Err(LoginError::CodeUsed),
                other => Err(other),
            },
        }
    }
}

/// A qualified certificate whose key was proven and whose chain verified (an e-signature
/// challenge's outcome): the factor of level high.
pub struct Certificate;

#[async_trait]
impl Verifier for Certificate {
    type Input = CertIdentity;

    async fn verify(
        &self,
        core: &Logins,
        tx: &mut LoginTransaction,
        ident: &CertIdentity,
        _client: &Client,
    ) -> Result<(), LoginError> {
        let account = match &tx.account {
            Some(a) if a.national_id.value == ident.national_id => a.clone(),
            _ => core
                .accounts
                .account_by_national_id(&ident.national_id)
                .await?
                .ok_or(LoginError::Failed)?,
        };
        let factor = Factor::Certificate {
            hardware: ident.hardware,
        };
        if tx.prove(&account, factor) {
            tx.organization = ident.organization_id.as_ref().map(|id| Organization {
                identifier: id.clone(),
                name: ident.organization_name.clone().unwrap_or_default(),
            });
            Ok(())
        } else {
            Err(LoginError::Failed)
        }
    }
}

/// What a passkey login posts: the ceremony its page started and the authenticator's answer
/// (the `PublicKeyCredential` as JSON, binary fields in base64url).
pub struct PasskeyInput {
    pub ceremony: String,
    pub credential: String,
    /// The browser's pre-session id: the ceremony must have started in the same browser.
    pub pre_id: String,
}

/// A passkey: the authenticator's signature over this browser's challenge, for our origin.
/// Passwordless (a transaction without an account yet) it needs user verification; as the
/// second step it must be one of the account's passkeys, and user presence suffices.
pub struct PasskeyLogin;

#[async_trait]
impl Verifier for PasskeyLogin {
    type Input = PasskeyInput;

    async fn verify(
        &self,
        core: &Logins,
        tx: &mut LoginTransaction,
        input: &PasskeyInput,
        client: &Client,
    ) -> Result<(), LoginError> {
        use crate::passkey::{Checked, KIND_LOGIN, KIND_SECOND};

        let pk = &core.passkeys;
        pk.rp().map_err(LoginError::Invalid)?;
        // Forged answers cost the address like wrong passwords; no passkey locks.
        let ip_key = ip_key(&client.ip);
        core.throttles
            .take(&[(&ip_key, Rule::Address)], &[])
            .await?;
        let fail = |what: &'static str, account: Option<crate::model::Account>| async move {
            core.failed("", 0, account.as_ref(), what, client).await
        };
        let (kind, account_id) = match tx.account_id() {
            Some(a) => (KIND_SECOND, Some(a.to_owned())),
            None => (KIND_LOGIN, None),
        };
        let ceremony = match pk
            .take(
                &input.ceremony,
                &input.pre_id,
                &[kind],
                account_id.as_deref(),
            )
            .await
        {
            Ok(c) => c,
            Err(crate::Error::Expired(_)) => return Err(fail("passkey-ceremony", None).await),
            Err(e) => return Err(e.into()),
        };
        let checked = pk
            .check(
                &ceremony.state,
                ceremony.account_id.as_deref(),
                &input.credential,
                kind == KIND_LOGIN,
                client,
            )
            .await?;
        let (record, verified) = match checked {
            Checked::Passed { record, verified } => (record, verified),
            Checked::Refused { reason, account_id } => {
                let account = match account_id {
                    Some(id) => core.accounts.account_by_id(&id).await?,
                    None => None,
                };
                return Err(fail(reason, account).await);
            }
        };
        let account = core.accounts.account_by_id(&record.account_id).await?;
        let factor = Factor::Passkey {
            verified,
            attested: record.attested,
        };
        match account {
            Some(a) if tx.prove(&a, factor) => {}
            account => return Err(fail("passkey-other-account", account).await),
        }
        tx.settle.releases.push(ip_key);
        Ok(())
    }
}

/// A phone's approval of a QR login (design note 0015), taken by the browser that showed the
/// code: the passkey was checked when the phone answered (`approval::Approvals::approve`),
/// with user verification; this adds its factor for the account it named.
pub struct AppApproval;

#[async_trait]
impl Verifier for AppApproval {
    type Input = crate::approval::Approval;

    async fn verify(
        &self,
        core: &Logins,
        tx: &mut LoginTransaction,
        approval: &crate::approval::Approval,
        _client: &Client,
    ) -> Result<(), LoginError> {
        let account = core
            .accounts
            .account_by_id(&approval.account_id)
            .await?
            .ok_or(LoginError::Failed)?;
        let factor = Factor::Passkey {
            verified: true,
            attested: approval.attested,
        };
        if tx.prove(&account, factor) {
            Ok(())
        } else {
            Err(LoginError::Failed)
        }
    }
}
