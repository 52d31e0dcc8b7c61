//! Passwords per SECURITY.md: NFKC, length in code points, a shipped blocklist, a strength
//! estimate (zxcvbn) that refuses guessable passwords of any length, context words, no
//! composition rules; Argon2id with a per-password salt and an optional pepper.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Arc, Mutex};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::rng::{self, Rng};

/// The longest password we hash, in code points. Far above the 64 SECURITY.md asks for.
pub const MAX_LEN: usize = 256;

const BLOCKLIST: &str = include_str!("../data/common-passwords.txt");
/// Breached passwords of 8 characters and more, sorted (`data/breached-passwords.md`).
const BREACHED: &str = include_str!("../data/breached-passwords.txt");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        // OWASP/SECURITY.md floor: m = 19 MiB, t = 2, p = 1.
        HashParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Who the password belongs to, so it may not be built from their own identifier and names.
#[derive(Debug, Default, Clone)]
pub struct Context<'a> {
    pub words: Vec<&'a str>,
}

/// Normalises a password the way it is hashed: NFKC.
pub fn normalise(p: &str) -> Zeroizing<String> {
    Zeroizing::new(p.nfkc().collect())
}

/// Checks a new password. `min_len` is 15 where the password alone can log in, 8 where it is only
/// ever one of two factors.
pub fn check_new(password: &str, confirm: &str, min_len: usize, ctx: &Context<'_>) -> Result<()> {
    let field = "password";
    let p = normalise(password);
    let len = p.chars().count();
    if len == 0 {
        return Err(Error::invalid(field, "password-empty"));
    }
    if len > MAX_LEN {
        return Err(Error::invalid_n(field, "password-too-long", MAX_LEN as i64));
    }
    if len < min_len {
        return Err(Error::invalid_n(
            field,
            "password-too-short",
            min_len as i64,
        ));
    }
    let lower = Zeroizing::new(p.to_lowercase());
    if BLOCKLIST.lines().any(|w| w == lower.as_str()) || breached(&lower) {
        return Err(Error::invalid(field, "password-common"));
    }
    // A context word must not carry the password: with every occurrence removed, what is left
    // must still reach the minimum length.
    let mut rest = lower.clone();
    let mut hit = false;
    for w in &ctx.words {
        let w = w.nfkc().collect::<String>().to_lowercase();
        if w.chars().count() >= 3 && rest.contains(&w) {
            hit = true;
            *rest = rest.replace(&w, "");
        }
    }
    if hit && rest.chars().count() < min_len {
        return Err(Error::invalid(field, "password-context"));
    }
    if let Some(reason) = guessable(&p, ctx) {
        return Err(Error::invalid(field, reason));
    }
    if *normalise(confirm) != *p {
        return Err(Error::invalid("password_confirm", "password-mismatch"));
    }
    Ok(())
}

/// Is `lower` (a lower-cased password) in the breached list? A binary search over its sorted
/// lines, so the 50 000 entries cost a few comparisons.
fn breached(lower: &str) -> bool {
    static LIST: std::sync::LazyLock<Vec<&'static str>> =
        std::sync::LazyLock::new(|| BREACHED.lines().collect());
    LIST.binary_search(&lower).is_ok()
}

/// The estimator reads at most this many code points (its matching grows faster than the
/// length; a longer password is judged by its start, which a guesser tries first anyway).
const ESTIMATE_LEN: usize = 100;

/// Why a password of any length is guessable, as a locale key, or `None`: zxcvbn estimates
/// the guesses an attacker who knows the usual patterns needs (its own lists of breached
/// passwords, words and names; repeats, sequences, keyboard walks, dates, a word plus digits)
/// and the citizen's context words. Fewer than 10^8 guesses is refused, and the answer names
/// the pattern that covers most of the password.
fn guessable(p: &str, ctx: &Context<'_>) -> Option<&'static str> {
    use zxcvbn::matching::patterns::MatchPattern;
    let sample: Zeroizing<String> = Zeroizing::new(p.chars().take(ESTIMATE_LEN).collect());
    let estimate = zxcvbn::zxcvbn(&sample, &ctx.words);
    if estimate.score() >= zxcvbn::Score::Three {
        return None;
    }
    let widest = estimate
        .sequence()
        .iter()
        .filter(|m| !matches!(m.pattern, MatchPattern::BruteForce))
        .max_by_key(|m| m.j.saturating_sub(m.i));
    Some(match widest.map(|m| &m.pattern) {
        Some(MatchPattern::Repeat(_)) => "password-weak-repeat",
        Some(MatchPattern::Sequence(_)) => "password-weak-sequence",
        Some(MatchPattern::Spatial(_)) => "password-weak-keyboard",
        Some(MatchPattern::Date(_)) => "password-weak-date",
        Some(MatchPattern::Dictionary(_)) => "password-weak-words",
        _ => "password-weak",
    })
}

/// Argon2id hasher with the deployment's parameters and optional pepper.
pub struct Hasher {
    params: HashParams,
    pepper: Option<SecretString>,
    /// Argon2 working memory kept for reuse (at most one per CPU): a verification then skips
    /// allocating and page-faulting 19 MiB. Blocks hold only one-way derived data.
    buffers: std::sync::Mutex<Vec<Vec<argon2::Block>>>,
    /// How many buffers to keep: one per CPU (read once; asking costs file reads).
    max_buffers: usize,
    /// A hash of a random password, verified against when the identifier is unknown so that
    /// unknown and known identifiers cost the same time.
    dummy: String,
}

impl Hasher {
    pub fn new(params: HashParams, pepper: Option<SecretString>, rng: &dyn Rng) -> Result<Self> {
        let mut h = Hasher {
            params,
            pepper,
            dummy: String::new(),
            buffers: std::sync::Mutex::new(Vec::new()),
            max_buffers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        };
        h.dummy = h.dummy_hash(rng)?;
        Ok(h)
    }

    /// A well-formed hash with the configured parameters, a random salt and a random output:
    /// verifying against it costs exactly what a real one costs, and nothing verifies against
    /// it. Built without hashing, so start-up does not spend an Argon2id run on it.
    fn dummy_hash(&self, rng: &dyn Rng) -> Result<String> {
        let salt = SaltString::encode_b64(&rng::bytes::<16>(rng))
            .map_err(|e| Error::Internal(format!("salt: {e}")))?;
        let p = &self.params;
        Ok(format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            p.memory_kib,
            p.iterations,
            p.parallelism,
            salt.as_str(),
            data_encoding::BASE64_NOPAD.encode(&rng::bytes::<32>(rng))
        ))
    }

    fn argon(&self) -> Result<Argon2<'_>> {
        let params = Params::new(
            self.params.memory_kib,
            self.params.iterations,
            self.params.parallelism,
            None,
        )
        .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))?;
        match &self.pepper {
            Some(p) => Argon2::new_with_secret(
                p.expose_secret().as_bytes(),
                Algorithm::Argon2id,
                Version::V0x13,
                params,
            )
            .map_err(|e| Error::Internal(format!("argon2 pepper: {e}"))),
            None => Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params)),
        }
    }

    pub fn hash(&self, password: &str, rng: &dyn Rng) -> Result<String> {
        let p = normalise(password);
        let salt_bytes = rng::bytes::<16>(rng);
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| Error::Internal(format!("salt: {e}")))?;
        self.argon()?
            .hash_password(p.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("argon2: {e}")))
    }

    /// Verifies against `stored`, or against the dummy hash when there is none.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let p = normalise(password);
        if p.chars().count() > MAX_LEN {
            // Still spend the time, never accept.
            let _ = self.verify_one(&p, &self.dummy);
            return false;
        }
        match stored {
            Some(s) => self.verify_one(&p, s),
            None => {
                let _ = self.verify_one(&p, &self.dummy);
                false
            }
        }
    }

    fn verify_one(&self, p: &str, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        if parsed.algorithm != argon2::ARGON2ID_IDENT {
            // Other PHC strings (imports from legacy systems) take the general path.
            let Ok(argon) = self.argon() else {
                return false;
            };
            return argon.verify_password(p.as_bytes(), &parsed).is_ok();
        }
        let (Ok(params), Some(salt), Some(expected)) =
            (Params::try_from(&parsed), parsed.salt, parsed.hash)
        else {
            return false;
        };
        let mut salt_buf = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
            return false;
        };
        let argon = match &self.pepper {
            Some(pepper) => match Argon2::new_with_secret(
                pepper.expose_secret().as_bytes(),
                Algorithm::Argon2id,
                Version::V0x13,
                params.clone(),
            ) {
                Ok(a) => a,
                Err(_) => return false,
            },
            None => Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
        };
        let mut memory = self.take_buffer(params.block_count());
        let mut out = Zeroizing::new(vec![0u8; expected.len()]);
        let ok = argon
            .hash_password_into_with_memory(p.as_bytes(), salt, &mut out, &mut memory[..])
            .is_ok();
        self.give_buffer(memory);
        ok && bool::from(subtle::ConstantTimeEq::ct_eq(
            out.as_slice(),
            expected.as_bytes(),
        ))
    }

    fn take_buffer(&self, blocks: usize) -> Vec<argon2::Block> {
        let reused = match self.buffers.lock() {
            Ok(mut pool) => pool.pop(),
            Err(_) => None,
        };
        match reused {
            Some(mut b) => {
                b.resize(blocks, argon2::Block::default());
                b
            }
            None => vec![argon2::Block::default(); blocks],
        }
    }

    /// Keeps at most one buffer per CPU; the rest are freed.
    fn give_buffer(&self, b: Vec<argon2::Block>) {
        if let Ok(mut pool) = self.buffers.lock()
            && pool.len() < self.max_buffers
        {
            pool.push(b);
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A hasher and the threads it runs on: what a service that hashes passwords holds.
#[derive(Clone)]
pub struct Hashing {
    pub hasher: Arc<Hasher>,
    pub workers: HashWorkers,
}

impl Hashing {
    /// Runs `f` on a password-hashing thread.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Hasher) -> T + Send + 'static,
    ) -> Result<T> {
        let hasher = self.hasher.clone();
        self.workers.run(move || f(&hasher)).await
    }

    /// Checks `password` as `account`'s new one (length, blocklist, strength, and not built
    /// from the service's name or the account's identifier and names) and hashes it.
    pub async fn new_password_for(
        &self,
        env: &crate::service::Env,
        account: &crate::model::Account,
        password: &str,
        confirm: &str,
    ) -> Result<String> {
        let ctx = Context {
            words: vec![
                &env.policy.service_name,
                &account.national_id.value,
                &account.profile.given_name,
                &account.profile.family_name,
            ],
        };
        check_new(password, confirm, env.policy.min_password_len(), &ctx)?;
        let p = password.to_owned();
        let rng = env.rng.clone();
        self.run(move |h| h.hash(&p, rng.as_ref())).await?
    }
}

/// The threads password hashes run on: one per CPU, named `npass-hash`, so that `top`, `perf`
/// and the load harness can tell hashing from the rest of the server. One hash per thread at a
/// time: more would only interleave 19 MiB working sets on the same cores (slower for all) and
/// let a flood of logins claim unbounded memory; the others wait in the queue. The threads end
/// when the last clone of this is dropped.
#[derive(Clone)]
pub struct HashWorkers {
    queue: std::sync::mpsc::Sender<Job>,
}

impl HashWorkers {
    pub fn new(threads: usize) -> Result<Self> {
        let (queue, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name("npass-hash".into())
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        // A failing job loses its answer (its caller gets an error), not the thread.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .map_err(|e| Error::Internal(format!("hash worker: {e}")))?;
        }
        Ok(HashWorkers { queue })
    }

    /// One per CPU this process may run on.
    pub fn per_cpu() -> Result<Self> {
        Self::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
    }

    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.queue
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| Error::Internal("hash workers stopped".into()))?;
        rx.await
            .map_err(|_| Error::Internal("hash worker failed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::OsRng;

    fn ctx() -> Context<'static> {
        Context {
            words: vec!["npass", "2000000000004", "Ion", "Popescu"],
        }
    }

    /// The breached list is sorted as the binary search needs, and every long entry in it is
    /// refused, whatever the estimator says of it.
    #[test]
    fn breached_passwords_are_refused_at_any_length() {
        let list: Vec<&str> = BREACHED.lines().collect();
        assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        let long: Vec<&str> = list
            .iter()
            .copied()
            .filter(|p| p.chars().count() >= 15)
            .collect();
        assert!(long.len() >= 100, "{}", long.len());
        let c = Context::default();
        let mut only_the_list = Vec::new();
        for p in &long {
            assert!(check_new(p, p, 15, &c).is_err(), "{p}");
            if guessable(p, &c).is_none() {
                only_the_list.push(*p);
            }
        }
        // The list is more than the estimator knows: e.g. "stairwaytoheaven".
        assert!(
            only_the_list.contains(&"stairwaytoheaven"),
            "{only_the_list:?}"
        );
    }

    #[test]
    fn rules() {
        let c = ctx();
        let ok = "correct horse battery staple";
        assert_eq!(check_new(ok, ok, 15, &c), Ok(()));
        let err = |p: &str, min| match check_new(p, p, min, &c) {
            Err(Error::Invalid { reason, .. }) => reason,
            _ => "ok",
        };
        assert_eq!(err("short", 15), "password-too-short");
        assert_eq!(err("password", 8), "password-common");
        assert_eq!(err("Password", 8), "password-common");
        assert_eq!(err("popescu2000000000004", 15), "password-context");
        assert_eq!(err("ionpopescu12345", 8), "password-context");
        assert_eq!(err(&"x".repeat(300), 15), "password-too-long");
        // Unicode counts code points, and is NFKC-normalised: ｐａｓｓｗｏｒｄ is "password".
        assert_eq!(err("ｐａｓｓｗｏｒｄ", 8), "password-common");
        // 15 code points (20 bytes) is long enough; 64 are allowed (and far more).
        assert_eq!(err("îmi țes pânză ș", 15), "ok");
        assert_eq!(err("îmi țes pânză", 15), "password-too-short");
        let long = "Ștefan cel Mare își ținea oștile pe dealurile Sucevei în toamnă,";
        assert_eq!(long.chars().count(), 64);
        assert_eq!(err(long, 15), "ok");
        // Guessable at any length: a repeat of 64 code points is still a repeat.
        assert_eq!(err(&"é".repeat(64), 15), "password-weak-repeat");
        assert!(matches!(
            check_new(ok, "other", 15, &c),
            Err(Error::Invalid {
                field: "password_confirm",
                ..
            })
        ));
    }

    #[test]
    fn the_dummy_hash_is_a_real_one_with_the_configured_cost() {
        let params = HashParams {
            memory_kib: 256,
            iterations: 3,
            parallelism: 1,
        };
        let h = Hasher::new(params, None, &OsRng).unwrap();
        let parsed = PasswordHash::new(&h.dummy).unwrap();
        let real = h.hash("anything at all", &OsRng).unwrap();
        let real = PasswordHash::new(&real).unwrap();
        // Same algorithm, version, parameters and sizes as a hash npass makes: the same work.
        assert_eq!(parsed.algorithm, real.algorithm);
        assert_eq!(parsed.version, real.version);
        assert_eq!(parsed.params, real.params);
        assert_eq!(parsed.salt.map(|s| s.len()), real.salt.map(|s| s.len()));
        assert_eq!(parsed.hash.map(|o| o.len()), real.hash.map(|o| o.len()));
        // Verification runs (it does not fail on the format) and accepts nothing.
        assert_eq!(
            h.argon()
                .unwrap()
                .verify_password(b"anything at all", &parsed),
            Err(argon2::password_hash::Error::Password)
        );
        assert!(!h.verify("anything at all", None));
    }

    #[tokio::test]
    async fn hash_workers_run_jobs_on_named_threads_and_outlive_a_failing_job() {
        let w = Arc::new(HashWorkers::new(1).unwrap());
        let name = w
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("npass-hash"));
        let failed = w.run(|| -> u8 { panic!("a job that fails") }).await;
        assert!(failed.is_err());
        assert_eq!(w.run(|| 2 + 2).await.unwrap(), 4, "the thread still serves");
        // One thread: jobs queue rather than run side by side.
        let busy = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let jobs: Vec<_> = (0..4)
            .map(|_| {
                let (w, busy, most) = (w.clone(), busy.clone(), most.clone());
                tokio::spawn(async move {
                    w.run(move || {
                        let now = busy.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                        most.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        busy.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for j in jobs {
            j.await.unwrap().unwrap();
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn hash_and_verify() {
        let params = HashParams {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        };
        let h = Hasher::new(params, Some(SecretString::from("pepper")), &OsRng).unwrap();
        let stored = h.hash("ｐａｓｓ phrase", &OsRng).unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            h.verify("pass phrase", Some(&stored)),
            "NFKC before hashing"
        );
        assert!(!h.verify("pass phrase!", Some(&stored)));
        assert!(!h.verify("pass phrase", None));
        let other = Hasher::new(params, None, &OsRng).unwrap();
        assert!(
            !other.verify("pass phrase", Some(&stored)),
            "the pepper takes part"
        );
    }
}
