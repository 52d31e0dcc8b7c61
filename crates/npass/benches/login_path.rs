//! Benchmarks of the login path: Argon2id verification at the production floor (m = 19 MiB,
//! t = 2, p = 1), TOTP verification, session creation on the embedded SQLite store, and a whole
//! password + TOTP login through the core. Figures: docs/performance.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use npass::app::App;
use npass::config::Config;
use npass_core::admin::NewCitizen;
use npass_core::clock::SystemClock;
use npass_core::login::{Client, Factor, LoginInput, LoginTransaction};
use npass_core::password::{HashParams, Hasher};
use npass_core::rng::OsRng;
use npass_core::totp;

fn argon2(c: &mut Criterion) {
    let h = Hasher::new(HashParams::default(), None, &OsRng).unwrap();
    let stored = h.hash("cerul de deasupra Chisinaului", &OsRng).unwrap();
    c.bench_function("argon2id_verify_19MiB_t2", |b| {
        b.iter(|| assert!(h.verify("cerul de deasupra Chisinaului", Some(&stored))))
    });
}

fn totp_verify(c: &mut Criterion) {
    let secret = totp::new_secret(&OsRng);
    let now = 1_763_856_000_000;
    let code = totp::code_at(&secret, totp::step_at(now));
    c.bench_function("totp_verify_window3", |b| {
        b.iter(|| totp::verify(&secret, &code, now, 0).unwrap())
    });
}

fn with_app(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    cfg.database.url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let app = rt.block_on(App::build(cfg, Arc::new(SystemClock))).unwrap();
    let core = app.core.clone();
    let client = Client {
        ip: "127.0.0.1".into(),
        user_agent: "bench".into(),
    };
    let account = rt
        .block_on(core.admin.add_citizen(
            NewCitizen {
                national_id: "2000000000004".into(),
                given_name: "Ion".into(),
                family_name: "Popescu".into(),
                email: "ion@example.md".into(),
                language: "en".into(),
                password: Some("cerul de deasupra Chisinaului".into()),
                ..Default::default()
            },
            &client,
        ))
        .unwrap();
    let tx = LoginTransaction::asserted(&account.id, vec![Factor::Password]);
    c.bench_function("session_create_sqlite", |b| {
        b.iter(|| {
            rt.block_on(core.logins.start_session(&tx, None, &client))
                .unwrap()
        })
    });
    c.bench_function("login_password_only_sqlite", |b| {
        b.iter(|| {
            let input = LoginInput {
                pre_id: String::new(),
                national_id: "2000000000004".into(),
                password: "cerul de deasupra Chisinaului".into(),
                code: Default::default(),
            };
            rt.block_on(core.logins.login(input, &client, None))
                .map(|_| ())
                .unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = argon2, totp_verify, with_app
}
criterion_main!(benches);
