//! The login transaction, its levels and `amr`, and the throttling rules, on the in-memory
//! store with a fixed clock.

use secrecy::SecretString;

use super::*;
use crate::esign::CertIdentity;
use crate::ids::AccountId;
use crate::national_id::Scheme;
use crate::rng::OsRng;
use crate::service::Policy;
use crate::testing::{Fixture, PASSWORD, account};

const ION: &str = "2000000000004";
const ANA: &str = "2000000000015";

fn client() -> Client {
    Client {
        ip: "192.0.2.7".into(),
        user_agent: "unit".into(),
    }
}

/// Gives `a` an Authenticator app; returns its secret.
fn with_totp(f: &Fixture, a: &Account) -> Vec<u8> {
    let secret = vec![42u8; 20];
    let sealed = f.logins.sealer.seal(&secret, &a.id, &OsRng).unwrap();
    f.store.put_totp(
        &a.id,
        TotpCredential {
            sealed_secret: sealed,
            last_step: 0,
            created_at: 0,
        },
    );
    secret
}

fn input(nid: &str, password: &str, code: &str) -> LoginInput {
    LoginInput {
        pre_id: String::new(),
        national_id: nid.into(),
        password: SecretString::from(password),
        code: SecretString::from(code),
    }
}

/// The password page's login, from a browser with no session.
async fn login(
    f: &Fixture,
    nid: &str,
    password: &str,
    code: &str,
) -> Result<NewSession, LoginError> {
    f.logins
        .login(input(nid, password, code), &client(), None)
        .await
}

/// No attempt stands on `nid`'s password or the address, and no session was started.
async fn nothing_counted_no_session(f: &Fixture, nid: &str) {
    assert_eq!(failures(f, &format!("pwd:{nid}")).await, 0);
    assert_eq!(failures(f, "ip:192.0.2.7").await, 0);
    assert!(f.store.sessions().is_empty());
}

async fn failures(f: &Fixture, key: &str) -> i64 {
    f.logins.throttles.read(key).await.unwrap().failures
}

fn ion_certificate(hardware: bool) -> CertIdentity {
    CertIdentity {
        scheme: Scheme::MdIdnp,
        national_id: ION.into(),
        given_name: "Ion".into(),
        family_name: "Popescu".into(),
        organization_id: None,
        organization_name: None,
        issuer: "CN=Test CA".into(),
        serial: "01".into(),
        hardware,
    }
}

#[test]
fn level_follows_factors() {
    let mut tx = LoginTransaction::asserted("a", vec![Factor::Password]);
    assert_eq!(tx.level(), Level::Low);
    assert_eq!(tx.amr(), vec![Amr::Pwd]);
    tx.factors.push(Factor::Totp);
    assert_eq!(tx.level(), Level::Substantial);
    assert_eq!(tx.amr(), vec![Amr::Pwd, Amr::Otp, Amr::Mfa]);
    let only_code = LoginTransaction::asserted("a", vec![Factor::Totp]);
    assert_eq!(
        only_code.level(),
        Level::Low,
        "a code alone never reaches substantial"
    );
    let recovery = LoginTransaction::asserted("a", vec![Factor::Password, Factor::RecoveryCode]);
    assert_eq!(recovery.level(), Level::Substantial);
    assert_eq!(recovery.amr(), vec![Amr::Pwd, Amr::Mfa]);
    let card = LoginTransaction::asserted("a", vec![Factor::Certificate { hardware: true }]);
    assert_eq!(
        (card.level(), card.amr()),
        (Level::High, vec![Amr::Sc, Amr::Hwk])
    );
    let soft = LoginTransaction::asserted("a", vec![Factor::Certificate { hardware: false }]);
    assert_eq!(soft.amr(), vec![Amr::Sc, Amr::Swk]);

    // A passkey that verified its holder is two factors; attested hardware reaches high.
    let passkey = |verified, attested| Factor::Passkey { verified, attested };
    let alone = LoginTransaction::asserted("a", vec![passkey(true, false)]);
    assert_eq!(
        (alone.level(), alone.amr()),
        (Level::Substantial, vec![Amr::Swk, Amr::User, Amr::Mfa])
    );
    let hw = LoginTransaction::asserted("a", vec![passkey(true, true)]);
    assert_eq!(
        (hw.level(), hw.amr()),
        (Level::High, vec![Amr::Hwk, Amr::User, Amr::Mfa])
    );
    let touch = LoginTransaction::asserted("a", vec![passkey(false, true)]);
    assert_eq!(
        touch.level(),
        Level::Low,
        "an unverified passkey is one factor, never passwordless"
    );
    let second = LoginTransaction::asserted("a", vec![Factor::Password, passkey(false, false)]);
    assert_eq!(
        (second.level(), second.amr()),
        (
            Level::Substantial,
            vec![Amr::Pwd, Amr::Swk, Amr::User, Amr::Mfa]
        )
    );
}

#[test]
fn recovery_code_shape() {
    assert_eq!(
        clean_recovery_code("ABCDE-12345"),
        Some("abcde12345".into())
    );
    assert_eq!(clean_recovery_code("123456"), None);
}

#[test]
fn factors_survive_storage_as_json() {
    let all = vec![
        Factor::Password,
        Factor::Totp,
        Factor::RecoveryCode,
        Factor::Certificate { hardware: true },
    ];
    let text = serde_json::to_string(&all).unwrap();
    assert_eq!(serde_json::from_str::<Vec<Factor>>(&text).unwrap(), all);
}

#[tokio::test]
async fn a_password_gives_low_and_a_code_with_it_substantial() {
    let f = Fixture::new(Policy::default());
    account(&f, ANA, AccountStatus::Active).await;
    let ns = login(&f, ANA, PASSWORD, "").await.unwrap();
    assert_eq!(
        (ns.session.level, ns.session.amr),
        (Level::Low, vec![Amr::Pwd])
    );
    let ion = account(&f, ION, AccountStatus::Active).await;
    let secret = with_totp(&f, &ion);
    let code = crate::totp::code_at(&secret, crate::totp::step_at(f.env.now()));
    let ns = login(&f, ION, PASSWORD, &code).await.unwrap();
    assert_eq!(ns.session.level, Level::Substantial);
    assert_eq!(ns.session.amr, vec![Amr::Pwd, Amr::Otp, Amr::Mfa]);
    // Everything taken was right: every counter is back at zero.
    for key in [
        format!("pwd:{ION}"),
        format!("otp:{ION}"),
        "ip:192.0.2.7".into(),
    ] {
        assert_eq!(failures(&f, &key).await, 0, "{key}");
    }
    // The same code again is a replay: refused, and counted on the code; the citizen, who
    // knows the password and saw the code, is told to wait for the next one.
    let again = login(&f, ION, PASSWORD, &code).await;
    assert_eq!(again.err(), Some(LoginError::CodeUsed));
    assert_eq!(failures(&f, &format!("otp:{ION}")).await, 1);
    // An account with a code needs it.
    let without = login(&f, ION, PASSWORD, " ").await;
    assert_eq!(without.err(), Some(LoginError::Failed));
    // With a wrong password, a used code says nothing more than any wrong answer.
    let wrong = login(&f, ION, "not the password", &code).await;
    assert_eq!(wrong.err(), Some(LoginError::Failed));
}

#[tokio::test]
async fn wrong_passwords_wait_after_the_free_failures_and_a_right_one_waits_too() {
    let f = Fixture::new(Policy::default());
    account(&f, ION, AccountStatus::Active).await;
    let free = f.env.policy.throttle.free_failures;
    for n in 1..=free {
        let r = login(&f, ION, "not the password at all", "").await;
        assert_eq!(r.err(), Some(LoginError::Failed));
        assert_eq!(failures(&f, &format!("pwd:{ION}")).await, n);
    }
    // The next attempt waits, right password or not, before anything is checked.
    let wait = f.env.policy.throttle.delay_ms(free);
    for password in ["still wrong", PASSWORD] {
        let r = login(&f, ION, password, "").await;
        assert_eq!(
            r.err(),
            Some(LoginError::RateLimited {
                retry_after_ms: wait
            })
        );
    }
    assert_eq!(failures(&f, &format!("pwd:{ION}")).await, free);
    f.clock.advance_ms(wait);
    let ns = login(&f, ION, PASSWORD, "").await.unwrap();
    assert_eq!(ns.session.level, Level::Low);
    assert_eq!(
        failures(&f, &format!("pwd:{ION}")).await,
        0,
        "a success resets"
    );
    let kinds = f.store.audit_kinds();
    let failed = kinds.iter().filter(|k| *k == "login.failure").count();
    assert_eq!(
        failed as i64, free,
        "one failure row per checked wrong password"
    );
}

#[tokio::test]
async fn an_unknown_identifier_fails_like_a_wrong_password_and_a_malformed_one_counts_nothing() {
    let f = Fixture::new(Policy::default());
    let r = login(&f, ION, PASSWORD, "").await;
    assert_eq!(r.err(), Some(LoginError::Failed));
    assert_eq!(failures(&f, &format!("pwd:{ION}")).await, 1);
    let r = login(&f, "12345", PASSWORD, "").await;
    assert!(matches!(r, Err(LoginError::Invalid(_))), "{:?}", r.err());
    assert_eq!(
        failures(&f, "ip:192.0.2.7").await,
        1,
        "only the unknown one counted"
    );
}

#[tokio::test]
async fn without_password_only_logins_a_password_alone_is_no_failure_and_no_session() {
    let f = Fixture::new(Policy {
        password_only_login: false,
        ..Policy::default()
    });
    account(&f, ION, AccountStatus::Active).await;
    let r = login(&f, ION, PASSWORD, "").await;
    assert_eq!(r.err(), Some(LoginError::SecondFactorRequired));
    nothing_counted_no_session(&f, ION).await;
}

#[tokio::test]
async fn unconfirmed_and_locked_accounts_get_no_session_and_lose_no_attempt() {
    let f = Fixture::new(Policy::default());
    account(&f, ION, AccountStatus::Pending).await;
    account(&f, ANA, AccountStatus::Locked).await;
    let r = login(&f, ION, PASSWORD, "").await;
    assert_eq!(r.err(), Some(LoginError::EmailNotConfirmed));
    let r = login(&f, ANA, PASSWORD, "").await;
    assert_eq!(r.err(), Some(LoginError::AccountLocked));
    nothing_counted_no_session(&f, ION).await;
}

#[tokio::test]
async fn a_recovery_code_logs_in_once_and_the_citizen_is_told() {
    let f = Fixture::new(Policy::default());
    let ion = account(&f, ION, AccountStatus::Active).await;
    with_totp(&f, &ion);
    f.store.put_recovery(&ion.id, &digest("abcde12345"));
    let ns = login(&f, ION, PASSWORD, "ABCDE-12345").await.unwrap();
    assert_eq!(ns.session.amr, vec![Amr::Pwd, Amr::Mfa]);
    assert!(f.store.mails().iter().any(|m| m.kind == "recovery-used"));
    let again = login(&f, ION, PASSWORD, "abcde12345").await;
    assert_eq!(again.err(), Some(LoginError::Failed));
}

#[tokio::test]
async fn a_stored_transaction_is_its_browsers_alone_spent_once_and_expires() {
    let f = Fixture::new(Policy::default());
    account(&f, ION, AccountStatus::Active).await;
    let key = f
        .logins
        .login_save(LoginTransaction::for_browser("browser-1"))
        .await
        .unwrap();
    assert!(
        f.logins
            .login_resume(&key, "browser-2")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.logins
            .login_resume("no-such-key", "browser-1")
            .await
            .unwrap()
            .is_none()
    );
    // Resumed twice (two tabs, two nodes): only one becomes a session.
    let prove = |mut tx: LoginTransaction| {
        let logins = &f.logins;
        async move {
            Certificate
                .verify(logins, &mut tx, &ion_certificate(true), &client())
                .await?;
            logins.complete(tx, None, &client()).await
        }
    };
    let first = f
        .logins
        .login_resume(&key, "browser-1")
        .await
        .unwrap()
        .unwrap();
    let second = f
        .logins
        .login_resume(&key, "browser-1")
        .await
        .unwrap()
        .unwrap();
    let ns = prove(first).await.unwrap();
    assert_eq!(
        (ns.session.level, ns.session.amr),
        (Level::High, vec![Amr::Sc, Amr::Hwk])
    );
    assert_eq!(prove(second).await.err(), Some(LoginError::Gone));
    assert_eq!(f.store.sessions().len(), 1);
    assert!(
        f.logins
            .login_resume(&key, "browser-1")
            .await
            .unwrap()
            .is_none()
    );
    // An unspent one lives LOGIN_TX_TTL_MS.
    let key = f
        .logins
        .login_save(LoginTransaction::for_browser("browser-1"))
        .await
        .unwrap();
    f.clock.advance_ms(LOGIN_TX_TTL_MS);
    assert!(
        f.logins
            .login_resume(&key, "browser-1")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_factor_of_another_account_is_refused() {
    let f = Fixture::new(Policy::default());
    account(&f, ION, AccountStatus::Active).await;
    account(&f, ANA, AccountStatus::Active).await;
    let mut tx = LoginTransaction::default();
    let ana = PasswordInput {
        national_id: ANA.into(),
        password: SecretString::from(PASSWORD),
    };
    Password
        .verify(&f.logins, &mut tx, &ana, &client())
        .await
        .unwrap();
    let r = Certificate
        .verify(&f.logins, &mut tx, &ion_certificate(false), &client())
        .await;
    assert_eq!(r.err(), Some(LoginError::Failed));
    assert_eq!(tx.factors(), &[Factor::Password]);
    assert_eq!(tx.account_id(), Some(format!("acc-{ANA}").as_str()));
}

#[tokio::test]
async fn another_citizens_login_ends_the_first_session_and_its_eservices_hear_of_it() {
    let f = Fixture::new(Policy::default());
    account(&f, ION, AccountStatus::Active).await;
    account(&f, ANA, AccountStatus::Active).await;
    let ion = login(&f, ION, PASSWORD, "").await.unwrap();
    // The same citizen again: the chain is handed on, nobody is told.
    let again = f
        .logins
        .login(input(ION, PASSWORD, ""), &client(), Some(&ion.secret))
        .await
        .unwrap();
    assert_eq!(again.session.chain, ion.session.chain);
    assert!(f.store.ended.lock().unwrap().is_empty());
    let ana = f
        .logins
        .login(input(ANA, PASSWORD, ""), &client(), Some(&again.secret))
        .await
        .unwrap();
    assert_ne!(ana.session.chain, ion.session.chain);
    let ended = f.store.ended.lock().unwrap().clone();
    assert_eq!(
        ended,
        vec![(ion.session.chain.clone(), format!("acc-{ION}"))]
    );
    let left: Vec<AccountId> = f
        .store
        .sessions()
        .into_iter()
        .map(|s| s.account_id)
        .collect();
    assert_eq!(left, vec![format!("acc-{ANA}")]);
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let login = format!("{:?}", input(ION, "a secret password", "123456"));
    assert!(login.contains(ION) && !login.contains("a secret") && !login.contains("123456"));
    let reg = crate::register::RegisterInput {
        national_id: ION.into(),
        password: "a secret password".into(),
        password_confirm: "a secret password".into(),
        ..Default::default()
    };
    assert!(!format!("{reg:?}").contains("a secret"));
    let added = crate::admin::NewCitizen {
        password: Some("a secret password".into()),
        ..Default::default()
    };
    assert!(!format!("{added:?}").contains("a secret"));
}
