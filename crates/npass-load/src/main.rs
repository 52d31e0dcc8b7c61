//! npass-load: measures npass against oidc-provider (the certified reference provider) on the
//! same machine. See docs/performance.md; run it with `bench/load.sh`, which pins the server to
//! core 0 and this generator to core 1.
//!
//! Workloads: discovery, JWKS, the token endpoint (refresh grant, each worker rotating its own
//! refresh token), the full browser-less login flow (authorize → login with password +
//! TOTP → consent → code → token), and for npass the same flow with a passwordless passkey
//! login (a software authenticator's signature). For each: requests (or flows) per second, per server
//! CPU-second (from /proc), p50/p99 latency; plus idle and peak RSS and start-up time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod flows;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flows::{Target, Worker};

/// Measures npass against oidc-provider on this machine (see docs/performance.md).
#[derive(clap::Parser)]
#[command(name = "npass-load", version)]
pub struct Args {
    /// The npass binary to measure.
    #[arg(long, default_value = "target/release/npass")]
    pub npass: PathBuf,
    /// oidc-provider's server script (bench/peer/server.mjs); without it, npass alone.
    #[arg(long)]
    pub peer: Option<PathBuf>,
    /// Seconds each workload runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Connections at once.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Citizens seeded for the login flows.
    #[arg(long, default_value_t = 2000)]
    pub accounts: usize,
    /// Run only the workloads whose name contains this (for profiling one of them).
    #[arg(long, default_value = "")]
    pub only: String,
    /// Also count the server's instructions per request with `perf stat` (steadier than CPU time
    /// on a shared virtual machine; for comparing two builds).
    #[arg(long)]
    pub perf: bool,
    /// Also run the token workload at this fixed rate (requests per second over all
    /// connections; 0: not), for latency below saturation.
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Argon2id memory of the seeded passwords in KiB (npass's default, the production floor,
    /// unless changed for analysis: a tiny hash shows a flow's cost with warm caches; not for
    /// records).
    #[arg(long, default_value_t = production_memory_kib())]
    pub seed_memory_kib: u32,
    /// Live grants of other citizens seeded into npass's database, so the token workload runs
    /// on tables of a deployment's size (a refresh's cost must not grow with them).
    #[arg(long, default_value_t = 100_000)]
    pub grants: usize,
    /// Print this thread's Argon2id verifications per second and stop (the harness runs itself
    /// so on the server's core).
    #[arg(long, hide = true)]
    pub hash_rate: bool,
    /// Browsers waiting on QR logins at once for the "qr waiting" workload.
    #[arg(long, default_value_t = 2000)]
    pub qr_waiting: usize,
    /// Also measure the SAML SSO flow on SimpleSAMLphp (Debian's package, under Apache with
    /// mod_php; run as root) beside npass's.
    #[arg(long)]
    pub simplesamlphp: bool,
}

/// The Argon2id memory npass hashes passwords with by default (the production floor).
fn production_memory_kib() -> u32 {
    npass::config::Config::default().password.memory_kib
}

/// CPU seconds (user + system) the process and its live children (Apache's workers) have
/// used, from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let one = |p: u32| {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks = f.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
            + f.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
        ticks / 100.0
    };
    one(pid) + children(pid).into_iter().map(one).sum::<f64>()
}

/// The processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .and_then(|x| x.1.split_whitespace().nth(1)?.parse::<u32>().ok())
                })
                == Some(pid)
        })
        .collect()
}

/// The memory a process and its children hold, counting shared pages once (PSS), in MiB.
fn pss_mib(pid: u32) -> f64 {
    let one = |p: u32| {
        std::fs::read_to_string(format!("/proc/{p}/smaps_rollup"))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("Pss:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (one(pid) + children(pid).into_iter().map(one).sum::<f64>()) / 1024.0
}

/// CPU seconds the process's password-hashing threads (`npass-hash`) have used.
fn hash_cpu_seconds(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
        .filter(|stat| stat.contains("(npass-hash)"))
        .map(|stat| {
            let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
            let f: Vec<&str> = after.split_whitespace().collect();
            let ticks = f.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
                + f.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
            ticks / 100.0
        })
        .sum()
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Starts a server pinned to core 0 (via taskset when present); waits for `ready` on stdout.
fn spawn_pinned(
    program: &str,
    args: &[String],
    env: &[(String, String)],
    ready: &str,
) -> (Child, Duration, String) {
    let taskset = std::path::Path::new("/usr/bin/taskset").exists();
    let mut c = if taskset {
        let mut c = Command::new("/usr/bin/taskset");
        c.args(["-c", "0", program]);
        c
    } else {
        Command::new(program)
    };
    c.args(args)
        .envs(env.iter().cloned())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let start = Instant::now();
    let mut child = c.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = loop {
        let l = lines
            .next()
            .expect("server exited before it was ready")
            .unwrap();
        if l.contains(ready) {
            break l;
        }
    };
    let startup = start.elapsed();
    std::thread::spawn(move || for _ in lines {});
    (child, startup, line)
}

#[derive(Default, Clone)]
pub struct Outcome {
    pub count: usize,
    pub errors: usize,
    pub seconds: f64,
    pub cpu: f64,
    /// Of `cpu`, what the password-hashing threads used.
    pub hash_cpu: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    /// Server instructions in the window (with `--perf`).
    pub instructions: Option<u64>,
}

impl Outcome {
    fn per_second(&self) -> f64 {
        self.count as f64 / self.seconds
    }
    fn per_cpu_second(&self) -> f64 {
        if self.cpu > 0.0 {
            self.count as f64 / self.cpu
        } else {
            f64::NAN
        }
    }
}

/// Runs `connections` workers for `seconds`, each repeating one unit of work.
async fn run(
    perf: bool,
    pid: u32,
    seconds: u64,
    workers: Vec<Worker>,
    rate: f64,
    unit: fn(Arc<Target>, &mut Worker) -> flows::BoxFut<'_, bool>,
    target: Arc<Target>,
) -> (Outcome, Vec<Worker>) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let counter = perf.then(|| PerfStat::start(pid));
    let cpu0 = cpu_seconds(pid);
    let hash0 = hash_cpu_seconds(pid);
    let start = Instant::now();
    let mut handles = Vec::new();
    // Paced (rate > 0): one dispatcher hands each request its due time, round robin over the
    // workers, and latency counts from that time, so a slow answer is not hidden by the
    // requests it delayed. One dispatcher waits precisely (the timer wheel fires up to a
    // millisecond late: it sleeps to just before each due time, then yields until it); workers
    // each waiting that way kept the generator's core busy and delayed answers themselves.
    let mut dues = Vec::new();
    for mut w in workers {
        let target = target.clone();
        let mut paced = (rate > 0.0).then(|| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
            dues.push(tx);
            rx
        });
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let t = match paced.as_mut() {
                    Some(rx) => match rx.recv().await {
                        Some(due) => due,
                        None => break,
                    },
                    None => Instant::now(),
                };
                let ok = unit(target.clone(), &mut w).await;
                if ok {
                    lat.push(t.elapsed().as_micros() as u64);
                } else {
                    errors += 1;
                    if w.exhausted {
                        break;
                    }
                }
            }
            (lat, errors, w)
        }));
    }
    if !dues.is_empty() {
        let every = Duration::from_secs_f64(1.0 / rate);
        tokio::spawn(async move {
            let mut due = start;
            let mut k = 0usize;
            while due < deadline {
                let early = due.checked_sub(Duration::from_millis(2)).unwrap_or(due);
                tokio::time::sleep_until(early.into()).await;
                while Instant::now() < due {
                    tokio::task::yield_now().await;
                }
                // Everything already due goes out at once (after a late wake-up).
                while due <= Instant::now() && due < deadline {
                    if let Some(tx) = dues.get(k % dues.len()) {
                        let _ = tx.send(due);
                    }
                    k += 1;
                    due += every;
                }
            }
        });
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut back = Vec::new();
    for h in handles {
        let (l, e, w) = h.await.unwrap();
        all.extend(l);
        errors += e;
        back.push(w);
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu0;
    let hash_cpu = hash_cpu_seconds(pid) - hash0;
    let instructions = counter.and_then(PerfStat::stop);
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    let outcome = Outcome {
        count: all.len(),
        errors,
        seconds,
        cpu,
        hash_cpu,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        p999_ms: pct(0.999),
        instructions,
    };
    (outcome, back)
}

/// `perf stat` counting one process's instructions until stopped.
struct PerfStat(Child);

impl PerfStat {
    fn start(pid: u32) -> Self {
        let child = Command::new("perf")
            .args([
                "stat",
                "-x",
                ",",
                "-e",
                "instructions",
                "-p",
                &pid.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("--perf needs the perf tool");
        std::thread::sleep(Duration::from_millis(100));
        PerfStat(child)
    }

    fn stop(self) -> Option<u64> {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let out = self.0.wait_with_output().ok()?;
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .find(|l| l.contains("instructions"))
            .and_then(|l| l.split(',').next())
            .and_then(|n| n.trim().parse().ok())
    }
}

struct Report {
    name: &'static str,
    startup_ms: f64,
    rss_idle_mib: f64,
    rss_peak_mib: f64,
    results: Vec<(&'static str, Outcome)>,
    /// Argon2id verifications per second on the server's core, measured just before the full
    /// flow (this machine's speed drifts; the two are compared at the same time).
    hash_rate: Option<f64>,
}

async fn measure(
    name: &'static str,
    target: Arc<Target>,
    child: Child,
    startup: Duration,
    a: &Args,
) -> Report {
    let pid = child.id();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = target
        .client
        .get(format!("{}{}", target.base, target.discovery_path))
        .send()
        .await;
    let rss_idle = rss_kib(pid, "VmRSS:") as f64 / 1024.0;
    let mut results = Vec::new();
    let simple = |n: usize| (0..n).map(|_| Worker::default()).collect::<Vec<_>>();
    let want = |w: &str| a.only.is_empty() || w.contains(&a.only);
    if want("discovery") {
        results.push((
            "discovery",
            run(
                a.perf,
                pid,
                a.seconds,
                simple(a.connections),
                0.0,
                flows::discovery,
                target.clone(),
            )
            .await
            .0,
        ));
    }
    if want("jwks") {
        results.push((
            "jwks",
            run(
                a.perf,
                pid,
                a.seconds,
                simple(a.connections),
                0.0,
                flows::jwks,
                target.clone(),
            )
            .await
            .0,
        ));
    }
    // Each token worker starts from its own grant, obtained by one full login flow.
    let mut token_workers = Vec::new();
    for _ in 0..a.connections {
        let mut w = Worker::default();
        assert!(
            flows::full_flow(target.clone(), &mut w).await,
            "{name}: a setup login failed"
        );
        token_workers.push(w);
    }
    if want("token (refresh grant)") {
        let (o, back) = run(
            a.perf,
            pid,
            a.seconds,
            token_workers,
            0.0,
            flows::refresh,
            target.clone(),
        )
        .await;
        results.push(("token (refresh grant)", o));
        token_workers = back;
    }
    // Below saturation: at the fixed rate, and at half of what this server just sustained.
    let half = results
        .iter()
        .find(|(w, _)| *w == "token (refresh grant)")
        .map(|(_, o)| o.per_second() / 2.0);
    for (w, rate) in [
        ("token at a fixed rate", Some(a.rate)),
        ("token at half its saturated rate", half),
    ] {
        let Some(rate) = rate.filter(|r| *r > 0.0) else {
            continue;
        };
        if !want(w) {
            continue;
        }
        let (o, back) = run(
            a.perf,
            pid,
            a.seconds,
            token_workers,
            rate,
            flows::refresh,
            target.clone(),
        )
        .await;
        results.push((w, o));
        token_workers = back;
    }
    // The full flow is bounded by password hashing: a few workers keep the server busy.
    let hash_rate = (name == "npass" && want("full login flow")).then(hashes_per_second);
    if want("full login flow") {
        results.push((
            "full login flow",
            flows4(a, pid, flows::full_flow, &target).await,
        ));
    }
    // Passwordless: a passkey's signature instead of Argon2id (npass only).
    if name == "npass" && want("passkey login flow") {
        results.push((
            "passkey login flow",
            flows4(a, pid, flows::passkey_flow, &target).await,
        ));
    }
    // Browsers waiting on QR logins at once, each polling every 2 s as the page's script does.
    if name == "npass" && want("qr waiting") {
        let n = a.qr_waiting;
        let mut waiting = Vec::with_capacity(n);
        for _ in 0..n {
            let mut w = Worker::default();
            assert!(flows::qr_open(&target, &mut w).await, "opening a QR login");
            waiting.push(w);
        }
        let rss_waiting = rss_kib(pid, "VmRSS:") as f64 / 1024.0;
        eprintln!("{n} QR logins waiting: RSS {rss_waiting:.1} MiB");
        results.push((
            "qr waiting browsers (polls)",
            run(
                a.perf,
                pid,
                a.seconds,
                waiting,
                n as f64 / 2.0,
                flows::qr_poll,
                target.clone(),
            )
            .await
            .0,
        ));
    }
    // SAML single sign-on: signed AuthnRequest → login → the signed Response (design 0016).
    if name == "npass" && want("saml sso flow") {
        results.push((
            "saml sso flow",
            flows4(a, pid, flows::saml_flow, &target).await,
        ));
    }
    // A phone's approval of a QR login (design note 0015), the code read from its image.
    if name == "npass" && want("qr login flow") {
        results.push((
            "qr login flow",
            flows4(a, pid, flows::qr_flow, &target).await,
        ));
    }
    let rss_peak = rss_kib(pid, "VmHWM:") as f64 / 1024.0;
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    Report {
        name,
        startup_ms: startup.as_secs_f64() * 1000.0,
        rss_idle_mib: rss_idle,
        rss_peak_mib: rss_peak,
        results,
        hash_rate,
    }
}

/// SimpleSAMLphp on Apache, pinned to core 0 as npass is, on the SAML SSO flow alone.
async fn measure_ssp(dir: &std::path::Path, a: &Args, sp: &flows::SamlSp) -> Report {
    let port = flows::free_port();
    // Each login walks the configured users once: a few hundred keep the file small.
    let users = a.accounts.min(300);
    let conf = flows::ssp_setup(dir, port, sp, users, a.seed_memory_kib);
    let taskset = std::path::Path::new("/usr/bin/taskset").exists();
    let mut c = if taskset {
        let mut c = Command::new("/usr/bin/taskset");
        c.args(["-c", "0", "/usr/sbin/apache2"]);
        c
    } else {
        Command::new("/usr/sbin/apache2")
    };
    // A process group of its own: Apache stopping signals its whole group.
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    c.arg("-f")
        .arg(&conf)
        .arg("-DFOREGROUND")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let start = Instant::now();
    let mut child = c
        .spawn()
        .expect("SimpleSAMLphp needs Debian's apache2 and simplesamlphp");
    let target = Arc::new(Target::ssp(
        format!("http://127.0.0.1:{port}"),
        sp.clone(),
        users,
    ));
    let ready = loop {
        let r = target
            .client
            .get(format!("{}{}", target.base, target.discovery_path))
            .send()
            .await;
        if matches!(&r, Ok(r) if r.status().is_success()) {
            break start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "SimpleSAMLphp did not answer its metadata: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "SimpleSAMLphp started in {:.1} ms; measuring...",
        ready.as_secs_f64() * 1000.0
    );
    let pid = child.id();
    let idle = pss_mib(pid);
    let mut w = flows::Worker::default();
    assert!(
        flows::saml_flow(target.clone(), &mut w).await,
        "SimpleSAMLphp: a setup login failed (see its log in {})",
        dir.display()
    );
    let o = flows4(a, pid, flows::saml_flow, &target).await;
    let peak = pss_mib(pid);
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    // Apache stops its workers before it exits.
    let _ = child.wait();
    Report {
        name: "SimpleSAMLphp",
        startup_ms: ready.as_secs_f64() * 1000.0,
        rss_idle_mib: idle,
        rss_peak_mib: peak,
        results: vec![("saml sso flow", o)],
        hash_rate: None,
    }
}

/// A login flow's workload: four workers (each flow is a handful of requests in a row).
async fn flows4(
    a: &Args,
    pid: u32,
    unit: fn(Arc<Target>, &mut Worker) -> flows::BoxFut<'_, bool>,
    target: &Arc<Target>,
) -> Outcome {
    let workers = (0..4).map(|_| Worker::default()).collect();
    run(a.perf, pid, a.seconds, workers, 0.0, unit, target.clone())
        .await
        .0
}

/// Argon2id verifications per second on the server's core (core 0) at npass's parameters, the
/// full flow's bound: the best of three 2-second runs in a child process pinned there.
fn hashes_per_second() -> f64 {
    let exe = std::env::current_exe().unwrap();
    let mut best: f64 = 0.0;
    for _ in 0..3 {
        let out = if std::path::Path::new("/usr/bin/taskset").exists() {
            Command::new("/usr/bin/taskset")
                .arg("-c")
                .arg("0")
                .arg(&exe)
                .arg("--hash-rate")
                .output()
        } else {
            Command::new(&exe).arg("--hash-rate").output()
        };
        let rate = out
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .unwrap_or(0.0);
        best = best.max(rate);
    }
    best
}

/// One measurement: verifications per second over 2 s on this thread.
fn hash_rate_here() -> f64 {
    use npass_core::password::{HashParams, Hasher};
    let h = Hasher::new(HashParams::default(), None, &npass_core::rng::OsRng).unwrap();
    let stored = h
        .hash("cerul de deasupra Chisinaului", &npass_core::rng::OsRng)
        .unwrap();
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_secs(2) {
        assert!(h.verify("cerul de deasupra Chisinaului", Some(&stored)));
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let a = <Args as clap::Parser>::parse();
    if a.hash_rate {
        println!("{}", hash_rate_here());
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = std::env::temp_dir().join(format!("npass-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        eprintln!(
            "seeding {} accounts with two-step authentication (Argon2id at m={} KiB, t=2) and {} \
             other citizens' grants...",
            a.accounts, a.seed_memory_kib, a.grants
        );
        let seed = flows::seed_npass(&dir, a.accounts, a.seed_memory_kib, a.grants).await;
        let env = vec![
            ("NPASS_DATA_DIR".to_string(), dir.display().to_string()),
            ("NPASS_LOG__LEVEL".to_string(), "error".to_string()),
            (
                "NPASS_THROTTLE__IP_MAX_FAILURES".to_string(),
                "1000000".to_string(),
            ),
            // Any free port: the admin API is not measured.
            ("NPASS_ADMIN__LISTEN".to_string(), "127.0.0.1:0".to_string()),
        ];
        let (child, startup, line) = spawn_pinned(
            &a.npass.display().to_string(),
            &["serve".into(), "--listen".into(), "127.0.0.1:0".into()],
            &env,
            "npass listening on",
        );
        let base = line
            .split("on ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap()
            .to_owned();
        let public = line
            .split("public URL ")
            .nth(1)
            .unwrap()
            .trim_end_matches(')')
            .to_owned();
        eprintln!(
            "npass started in {:.1} ms; measuring...",
            startup.as_secs_f64() * 1000.0
        );
        let saml = seed.saml.clone();
        let target = Arc::new(Target::npass(base, public, seed));
        let mut reports = vec![measure("npass", target, child, startup, &a).await];

        if let Some(peer) = &a.peer {
            let port = flows::free_port();
            let (child, startup, _) = spawn_pinned(
                "node",
                &[peer.display().to_string(), port.to_string()],
                &[],
                "listening",
            );
            eprintln!(
                "oidc-provider started in {:.1} ms; measuring...",
                startup.as_secs_f64() * 1000.0
            );
            let target = Arc::new(Target::peer(format!("http://127.0.0.1:{port}")));
            reports.push(measure("oidc-provider", target, child, startup, &a).await);
        }
        if a.simplesamlphp {
            reports.push(measure_ssp(&dir, &a, &saml).await);
        }
        print_report(&reports, &a);
        let _ = std::fs::remove_dir_all(&dir);
    });
}

fn print_report(reports: &[Report], a: &Args) {
    println!("\n## Load harness results\n");
    println!(
        "{} s per workload, {} connections (4 for the full flow); server on core 0, generator on core 1. \
         The fixed-rate token run sends {} refreshes/s over the same connections, the half-rate run half \
         of what the saturated run just sustained (each server its own); paced latency is counted from \
         when each request was due.\n",
        a.seconds, a.connections, a.rate
    );
    println!(
        "| workload | server | req/s | req per server CPU-s | p50 ms | p99 ms | p99.9 ms | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut by: HashMap<(&str, &str), Outcome> = HashMap::new();
    for r in reports {
        for (w, o) in &r.results {
            println!(
                "| {w} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
                r.name,
                o.per_second(),
                o.per_cpu_second(),
                o.p50_ms,
                o.p99_ms,
                o.p999_ms,
                o.errors
            );
            if let Some(n) = o.instructions {
                println!(
                    "|  | ({} instructions per request) |  |  |  |  |  |  |",
                    n / o.count.max(1) as u64
                );
            }
            by.insert((r.name, w), o.clone());
        }
    }
    println!("\n| | start-up ms | RSS idle MiB | RSS peak MiB |\n|---|---|---|---|");
    for r in reports {
        println!(
            "| {} | {:.1} | {:.1} | {:.1} |",
            r.name, r.startup_ms, r.rss_idle_mib, r.rss_peak_mib
        );
    }
    if let (Some(n), Some(p)) = (
        by.get(&("npass", "saml sso flow")),
        by.get(&("SimpleSAMLphp", "saml sso flow")),
    ) {
        println!(
            "\nSAML SSO flow, npass/SimpleSAMLphp: {:.2} per CPU-s, {:.2} flows/s (SimpleSAMLphp's \
             memory is its Apache workers' PSS, shared pages counted once).",
            n.per_cpu_second() / p.per_cpu_second(),
            n.per_second() / p.per_second()
        );
    }
    if reports.iter().any(|r| r.name == "oidc-provider") {
        println!("\n| workload | npass/peer per CPU-s | npass/peer req/s |\n|---|---|---|");
        for w in [
            "discovery",
            "jwks",
            "token (refresh grant)",
            "token at a fixed rate",
            "full login flow",
        ] {
            if let (Some(n), Some(p)) = (by.get(&("npass", w)), by.get(&("oidc-provider", w))) {
                println!(
                    "| {w} | {:.2} | {:.2} |",
                    n.per_cpu_second() / p.per_cpu_second(),
                    n.per_second() / p.per_second()
                );
            }
        }
    }
    let hash_rate = reports.iter().find_map(|r| r.hash_rate);
    if let (Some(f), Some(hps)) = (by.get(&("npass", "full login flow")), hash_rate) {
        let per_flow_ms = |cpu: f64| cpu / f.count.max(1) as f64 * 1000.0;
        println!(
            "\nFull flow on npass: {:.1} flows/s against {:.1} Argon2id verifications/s on one core, measured \
             just before ({:.0}%); {:.0}% of the server's CPU in Argon2id; {:.2} ms of server CPU per flow: \
             {:.2} ms in the password-hashing threads, {:.2} ms apart from hashing.",
            f.per_second(),
            hps,
            100.0 * f.per_second() / hps,
            100.0 * f.hash_cpu / f.cpu.max(f64::MIN_POSITIVE),
            per_flow_ms(f.cpu),
            per_flow_ms(f.hash_cpu),
            per_flow_ms(f.cpu - f.hash_cpu)
        );
    }
    if a.seed_memory_kib != production_memory_kib() {
        println!(
            "\nPasswords were seeded with Argon2id at {} KiB (for analysis): the full-flow figures \
             are not comparable with the Argon2id rate above (npass's default parameters), nor with the aims.",
            a.seed_memory_kib
        );
    }
}
