//! Tidy tests: locales complete, layering arrows, ARCHITECTURE.md names every crate, national
//! identifier validation agrees with python-stdnum.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use npass_web::i18n::{AVAILABLE, I18n};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_tree(dir: &Path, ext: &str, out: &mut Vec<(PathBuf, String)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            read_tree(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
        }
    }
}

/// String literals inside each call that starts with `marker`, up to its first `)`.
fn call_literals(src: &str, marker: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for part in src.split(marker).skip(1) {
        let call = part.split(')').next().unwrap_or("");
        let lits: Vec<String> = call
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        out.push(lits);
    }
    out
}

fn is_key(l: &str) -> bool {
    l.starts_with(|c: char| c.is_ascii_lowercase())
        && l.chars()
            .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
        && l.contains('-')
}

#[test]
fn every_locale_has_every_key() {
    let sets: Vec<(&str, BTreeSet<String>)> = AVAILABLE
        .iter()
        .map(|(c, _, src)| (*c, I18n::keys(src).into_iter().collect()))
        .collect();
    let (first_lang, first) = &sets[0];
    for (lang, keys) in &sets[1..] {
        let missing: Vec<_> = first.difference(keys).collect();
        let extra: Vec<_> = keys.difference(first).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{lang} vs {first_lang}: missing {missing:?}, extra {extra:?}"
        );
    }
    // Every bundle parses.
    let all: Vec<String> = AVAILABLE.iter().map(|(c, _, _)| c.to_string()).collect();
    I18n::new(&all).unwrap();
}

#[test]
fn every_key_the_code_uses_exists() {
    let i18n = I18n::new(&["en".to_string()]).unwrap();
    let web = root().join("crates/npass-web");
    let core = root().join("crates/npass-core/src");
    let mut files = Vec::new();
    read_tree(&web.join("templates"), "html", &mut files);
    read_tree(&web.join("src"), "rs", &mut files);
    let mut needed = BTreeSet::new();
    for (_, src) in &files {
        for marker in [
            "l.t(\"",
            ".t(\"",
            ".t1(\"",
            "l.t1(\"",
            "message_page(",
            "Some((\"",
        ] {
            for lits in call_literals(src, marker.trim_end_matches('"')) {
                for l in lits {
                    if is_key(&l) {
                        needed.insert(l);
                    }
                }
            }
        }
        // Keys named in tuples of the page code, e.g. ("two-step-replace", ...).
        for lits in call_literals(src, "(\"/account") {
            needed.extend(lits.into_iter().skip(1).filter(|l| is_key(l)));
        }
    }
    let mut core_files = Vec::new();
    read_tree(&core, "rs", &mut core_files);
    for (_, src) in &core_files {
        for lits in call_literals(src, "invalid(")
            .into_iter()
            .chain(call_literals(src, "invalid_n("))
        {
            if let Some(reason) = lits.last().filter(|r| is_key(r)) {
                needed.insert(format!("err-{reason}"));
            }
        }
        for lits in call_literals(src, "audit::event(") {
            if let Some(kind) = lits.first() {
                needed.insert(format!("history-{}", kind.replace('.', "-")));
            }
        }
        for lits in call_literals(src, "self.mail(") {
            if let Some(kind) = lits.first() {
                needed.insert(format!("mail-{kind}-subject"));
                needed.insert(format!("mail-{kind}-body"));
            }
        }
    }
    for p in [
        npass_core::national_id::Problem::Empty,
        npass_core::national_id::Problem::Characters,
        npass_core::national_id::Problem::Length,
        npass_core::national_id::Problem::Checksum,
        npass_core::national_id::Problem::Date,
        npass_core::national_id::Problem::Country,
        npass_core::national_id::Problem::NotAccepted,
    ] {
        needed.insert(format!("err-{}", p.reason()));
    }
    for l in ["low", "substantial", "high"] {
        needed.insert(format!("level-{l}"));
    }
    assert!(
        needed.len() > 100,
        "the scan found the keys: {}",
        needed.len()
    );
    let missing: Vec<_> = needed.iter().filter(|k| !i18n.has("en", k)).collect();
    assert!(
        missing.is_empty(),
        "keys used but not in the locales: {missing:?}"
    );
}

fn metadata() -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn layering_arrows_hold() {
    let meta = metadata();
    let deps = |name: &str| -> Vec<String> {
        meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("crate {name}"))["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let ours = |v: Vec<String>| {
        v.into_iter()
            .filter(|d| d.starts_with("npass"))
            .collect::<BTreeSet<_>>()
    };
    assert!(ours(deps("npass-core")).is_empty());
    for banned in ["axum", "sqlx", "askama", "lettre"] {
        assert!(
            !deps("npass-core").iter().any(|d| d == banned),
            "npass-core must not use {banned}"
        );
    }
    assert_eq!(
        ours(deps("npass-store")),
        BTreeSet::from(["npass-core".to_string()])
    );
    assert_eq!(
        ours(deps("npass-web")),
        BTreeSet::from(["npass-core".to_string()])
    );
    assert!(
        !deps("npass-web").iter().any(|d| d == "sqlx"),
        "SQL stays in npass-store"
    );
    assert_eq!(
        ours(deps("npass-load")),
        BTreeSet::from(["npass".to_string(), "npass-core".to_string()]),
        "the load harness drives npass from outside"
    );
    assert_eq!(
        ours(deps("npass")),
        BTreeSet::from([
            "npass-core".to_string(),
            "npass-store".to_string(),
            "npass-web".to_string()
        ])
    );
}

#[test]
fn architecture_names_every_crate() {
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    for p in metadata()["packages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        assert!(
            arch.contains(&format!("`{name}`")),
            "ARCHITECTURE.md does not describe {name}"
        );
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        readme.contains("cargo run --release -- serve"),
        "README gives the run command"
    );
    assert!(
        readme.contains("./test.sh") && ci.contains("./test.sh"),
        "README and .ci/run share the test command"
    );
}

/// Our validators and python-stdnum's agree on every generated input.
#[test]
fn national_ids_agree_with_python_stdnum() {
    use npass_core::national_id::{self, Scheme};
    let mut inputs = Vec::new();
    // Deterministic pseudo-random inputs (no rand dependency): an LCG.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    for _ in 0..3000 {
        let len = 11 + (next() % 4) as usize;
        inputs.push(
            (0..len)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect::<String>(),
        );
        let letter = char::from(b'A' + (next() % 26) as u8);
        let dd = 1 + next() % 31;
        let mm = 1 + next() % 13;
        let yy = next() % 100;
        let serial: String = (0..6)
            .map(|_| char::from(b'0' + (next() % 10) as u8))
            .collect();
        let check = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            .chars()
            .nth((next() % 36) as usize)
            .unwrap();
        inputs.push(format!("{letter}{dd:02}{mm:02}{yy:02}{serial}{check}"));
    }
    // Make sure valid ones are well represented.
    for i in 0..500u64 {
        let body = format!("{:012}", i * 7_919_000_003 % 1_000_000_000_000);
        inputs.push(format!(
            "{body}{}",
            national_id::md_check_digit(&body).unwrap()
        ));
        let nic = format!(
            "M{:02}{:02}{:02}{:06}",
            1 + i % 28,
            1 + i % 12,
            i % 100,
            i * 37
        );
        inputs.push(format!(
            "{nic}{}",
            national_id::mu_check_char(&nic).unwrap()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ids.txt");
    std::fs::write(&file, inputs.join("\n")).unwrap();
    let script = "import sys\nfrom stdnum.md import idno\nfrom stdnum.mu import nid\n\
                  for l in open(sys.argv[1]).read().split('\\n'):\n    print('%d%d' % (idno.is_valid(l), nid.is_valid(l)))\n";
    // test.sh names the Python it set up with python-stdnum; otherwise the one on PATH.
    let python = std::env::var("NPASS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&file)
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        other => panic!(
            "python3 with python-stdnum is needed (./test.sh sets it up; or pip install python-stdnum): {other:?}"
        ),
    };
    let theirs = String::from_utf8(out.stdout).unwrap();
    let mut valid = (0, 0);
    for (input, line) in inputs.iter().zip(theirs.lines()) {
        let ours_md = national_id::parse(input, &[Scheme::MdIdnp]).is_ok();
        let ours_mu = national_id::parse(input, &[Scheme::MuNic]).is_ok();
        assert_eq!(
            line,
            format!("{}{}", u8::from(ours_md), u8::from(ours_mu)),
            "input {input}"
        );
        valid.0 += usize::from(ours_md);
        valid.1 += usize::from(ours_mu);
    }
    assert_eq!(theirs.lines().count(), inputs.len());
    assert!(valid.0 > 400 && valid.1 > 400, "{valid:?}");
}
