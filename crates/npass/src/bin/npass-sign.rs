//! npass-sign: the reference signing application for e-signature login (design note 0004).
//!
//! It signs the challenge text an npass login page shows with the key of a qualified
//! certificate and posts the signature and the certificate chain to that npass. Keys come from
//! a PEM file (with the chain in another PEM file), a PKCS#12 file (key and chain together;
//! its password from an environment variable, never the command line), or a card or token
//! through its PKCS#11 module (the PIN from an environment variable).

use std::process::ExitCode;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use data_encoding::BASE64;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

const USAGE: &str = "usage: npass-sign (--key KEY.pem --cert CHAIN.pem | --p12 FILE.p12 \
[--password-env VAR] | --pkcs11 MODULE.so --token LABEL --key-label LABEL --pin-env VAR \
--cert CHAIN.pem) [--rsa-pkcs1] [--print] CHALLENGE

CHALLENGE is the text the npass login page shows (npass-esign-v1|...), or its npass-sign: link.
The chain lists the certificate first, then its issuers. --print writes the response instead of
sending it.";

struct Args {
    key: Option<String>,
    cert: Option<String>,
    p12: Option<String>,
    password_env: Option<String>,
    pkcs11: Option<String>,
    token: Option<String>,
    key_label: Option<String>,
    pin_env: Option<String>,
    rsa_pkcs1: bool,
    print: bool,
    challenge: String,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        key: None,
        cert: None,
        p12: None,
        password_env: None,
        pkcs11: None,
        token: None,
        key_label: None,
        pin_env: None,
        rsa_pkcs1: false,
        print: false,
        challenge: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--key" => a.key = Some(value()?),
            "--cert" => a.cert = Some(value()?),
            "--p12" => a.p12 = Some(value()?),
            "--password-env" => a.password_env = Some(value()?),
            "--pkcs11" => a.pkcs11 = Some(value()?),
            "--token" => a.token = Some(value()?),
            "--key-label" => a.key_label = Some(value()?),
            "--pin-env" => a.pin_env = Some(value()?),
            "--rsa-pkcs1" => a.rsa_pkcs1 = true,
            "--print" => a.print = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => a.challenge = other.to_owned(),
        }
    }
    if a.challenge.is_empty() {
        return Err(USAGE.into());
    }
    Ok(a)
}

/// The challenge's parts: the text to sign, the npass it came from and the challenge id.
fn parse_challenge(input: &str) -> Result<(String, String, String), String> {
    let text = input.trim();
    let text = text.strip_prefix("npass-sign:").unwrap_or(text);
    let text = percent_decode(text);
    let parts: Vec<&str> = text.split('|').collect();
    match parts.as_slice() {
        ["npass-esign-v1", issuer, id, nonce]
            if (issuer.starts_with("https://") || issuer.starts_with("http://"))
                && !id.is_empty()
                && !nonce.is_empty() =>
        {
            Ok((text.clone(), (*issuer).to_owned(), (*id).to_owned()))
        }
        _ => Err("this is not an npass e-signature challenge".into()),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b.get(i), hex) {
            (Some(b'%'), Some(v)) => {
                out.push(v);
                i += 3;
            }
            (Some(c), _) => {
                out.push(*c);
                i += 1;
            }
            (None, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A key that signs, and the algorithm name npass knows it by.
enum Signer {
    Ec(EcdsaKeyPair, &'static str),
    Rsa(RsaKeyPair, bool),
    Token(token::TokenKey),
}

impl Signer {
    fn from_der(der: &[u8], rsa_pkcs1: bool) -> Result<Signer, String> {
        for (alg, name) in [
            (
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                "ecdsa-p256-sha256",
            ),
            (
                &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                "ecdsa-p384-sha384",
            ),
        ] {
            if let Ok(k) = EcdsaKeyPair::from_pkcs8(alg, der)
                .or_else(|_| EcdsaKeyPair::from_private_key_der(alg, der))
            {
                return Ok(Signer::Ec(k, name));
            }
        }
        RsaKeyPair::from_pkcs8(der)
            .or_else(|_| RsaKeyPair::from_der(der))
            .map(|k| Signer::Rsa(k, rsa_pkcs1))
            .map_err(|_| "the key is not an ECDSA P-256/P-384 or RSA private key".to_string())
    }

    fn algorithm(&self) -> &'static str {
        match self {
            Signer::Ec(_, name) => name,
            Signer::Rsa(_, true) => "rsa-pkcs1-sha256",
            Signer::Rsa(_, false) => "rsa-pss-sha256",
            Signer::Token(t) => t.algorithm(),
        }
    }

    /// The public key, where the key's holder gives it out (a token signs; npass checks).
    fn public_key(&self) -> Option<Vec<u8>> {
        match self {
            Signer::Ec(k, _) => Some(k.public_key().as_ref().to_vec()),
            Signer::Rsa(k, _) => Some(k.public_key().as_ref().to_vec()),
            Signer::Token(_) => None,
        }
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        let rng = SystemRandom::new();
        match self {
            Signer::Ec(k, _) => k
                .sign(&rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| "signing failed".to_string()),
            Signer::Rsa(k, pkcs1) => {
                let pad: &'static dyn signature::RsaEncoding = if *pkcs1 {
                    &signature::RSA_PKCS1_SHA256
                } else {
                    &signature::RSA_PSS_SHA256
                };
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(pad, &rng, msg, &mut sig)
                    .map_err(|_| "signing failed".to_string())?;
                Ok(sig)
            }
            Signer::Token(t) => t.sign(msg),
        }
    }
}

/// The key and the chain (certificate first).
fn load(a: &Args) -> Result<(Signer, Vec<Vec<u8>>), String> {
    if let Some(module) = &a.pkcs11 {
        let (Some(token), Some(label), Some(cert)) = (&a.token, &a.key_label, &a.cert) else {
            return Err(USAGE.into());
        };
        let pin = match &a.pin_env {
            Some(var) => std::env::var(var).map_err(|_| format!("{var} is not set"))?,
            None => return Err("--pin-env names the variable holding the PIN".into()),
        };
        let key = token::TokenKey::open(module, token, label, &pin, a.rsa_pkcs1)?;
        return Ok((Signer::Token(key), read_chain(cert)?));
    }
    if let Some(p12) = &a.p12 {
        let data = std::fs::read(p12).map_err(|e| format!("{p12}: {e}"))?;
        let password = match &a.password_env {
            Some(var) => std::env::var(var).map_err(|_| format!("{var} is not set"))?,
            None => String::new(),
        };
        let store = p12_keystore::KeyStore::from_pkcs12(&data, &password, Default::default())
            .map_err(|e| format!("{p12}: {e}"))?;
        for (_, entry) in store.entries() {
            if let p12_keystore::KeyStoreEntry::PrivateKeyChain(chain) = entry {
                let signer = Signer::from_der(chain.key().as_der(), a.rsa_pkcs1)?;
                let certs = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
                return Ok((signer, certs));
            }
        }
        return Err(format!("{p12}: no private key with a certificate"));
    }
    let (Some(key), Some(cert)) = (&a.key, &a.cert) else {
        return Err(USAGE.into());
    };
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{key}: {e}"))?;
    let signer = Signer::from_der(key.secret_der(), a.rsa_pkcs1)?;
    Ok((signer, read_chain(cert)?))
}

fn read_chain(cert: &str) -> Result<Vec<Vec<u8>>, String> {
    CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{cert}: {e}"))?
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{cert}: {e}"))
}

/// Whether the end-entity certificate holds this public key (a wrong pair fails here, clearly,
/// rather than at npass as a bad signature).
fn holds_key(cert: &[u8], public_key: &[u8]) -> bool {
    cert.windows(public_key.len()).any(|w| w == public_key)
}

async fn run() -> Result<String, String> {
    let a = args()?;
    let (text, issuer, id) = parse_challenge(&a.challenge)?;
    let (signer, chain) = load(&a)?;
    let first = chain.first().ok_or("no certificate")?;
    if let Some(pk) = signer.public_key()
        && !holds_key(first, &pk)
    {
        return Err("the key does not belong to the first certificate of the chain".into());
    }
    let signature = signer.sign(text.as_bytes())?;
    let body = serde_json::json!({
        "challenge": text,
        "algorithm": signer.algorithm(),
        "signature": BASE64.encode(&signature),
        "chain": chain.iter().map(|c| BASE64.encode(c)).collect::<Vec<_>>(),
    })
    .to_string();
    if a.print {
        return Ok(body);
    }
    let url = format!("{}/api/esign/challenges/{id}", issuer.trim_end_matches('/'));
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())?
        .post(&url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = res.status();
    let answer = res.text().await.unwrap_or_default();
    if status.is_success() {
        Ok("signed: go back to the browser, the login continues there".into())
    } else {
        Err(format!("npass refused the signature ({status}): {answer}"))
    }
}

fn main() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("npass-sign: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run()) {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("npass-sign: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Keys on a card or token, through its PKCS#11 module.
mod token {
    use aws_lc_rs::digest;
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::mechanism::Mechanism;
    use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
    use cryptoki::session::{Session, UserType};
    use cryptoki::types::AuthPin;

    /// DER of the P-256 and P-384 curve OIDs, as CKA_EC_PARAMS holds them.
    const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

    enum Kind {
        P256,
        P384,
        RsaPkcs1,
    }

    pub struct TokenKey {
        // Kept open while the key is used.
        _ctx: Pkcs11,
        session: Session,
        key: ObjectHandle,
        kind: Kind,
    }

    fn e(what: &str) -> impl Fn(cryptoki::error::Error) -> String + '_ {
        move |err| format!("{what}: {err}")
    }

    impl TokenKey {
        pub fn open(
            module: &str,
            token: &str,
            label: &str,
            pin: &str,
            rsa_pkcs1: bool,
        ) -> Result<TokenKey, String> {
            let ctx = Pkcs11::new(module).map_err(e(module))?;
            ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
                .map_err(e("PKCS#11 initialise"))?;
            let slot = ctx
                .get_slots_with_token()
                .map_err(e("PKCS#11 slots"))?
                .into_iter()
                .find(|s| {
                    ctx.get_token_info(*s)
                        .is_ok_and(|t| t.label().trim() == token)
                })
                .ok_or_else(|| format!("no token labelled {token:?}"))?;
            let session = ctx.open_ro_session(slot).map_err(e("PKCS#11 session"))?;
            session
                .login(UserType::User, Some(&AuthPin::from(pin.to_owned())))
                .map_err(e("PKCS#11 login (PIN)"))?;
            let key = session
                .find_objects(&[
                    Attribute::Class(ObjectClass::PRIVATE_KEY),
                    Attribute::Label(label.as_bytes().to_vec()),
                ])
                .map_err(e("PKCS#11 find key"))?
                .into_iter()
                .next()
                .ok_or_else(|| format!("no private key labelled {label:?} on the token"))?;
            let attrs = session
                .get_attributes(key, &[AttributeType::KeyType, AttributeType::EcParams])
                .map_err(e("PKCS#11 key attributes"))?;
            let key_type = attrs.iter().find_map(|a| match a {
                Attribute::KeyType(t) => Some(*t),
                _ => None,
            });
            let params = attrs.iter().find_map(|a| match a {
                Attribute::EcParams(p) => Some(p.clone()),
                _ => None,
            });
            let kind = match (key_type, params.as_deref()) {
                (Some(KeyType::EC), Some(P256)) => Kind::P256,
                (Some(KeyType::EC), Some(P384)) => Kind::P384,
                (Some(KeyType::RSA), _) if rsa_pkcs1 => Kind::RsaPkcs1,
                (Some(KeyType::RSA), _) => {
                    return Err("for an RSA key on a token, add --rsa-pkcs1".into());
                }
                _ => return Err("the token's key is not ECDSA P-256/P-384 or RSA".into()),
            };
            Ok(TokenKey {
                _ctx: ctx,
                session,
                key,
                kind,
            })
        }

        pub fn algorithm(&self) -> &'static str {
            match self.kind {
                Kind::P256 => "ecdsa-p256-sha256",
                Kind::P384 => "ecdsa-p384-sha384",
                Kind::RsaPkcs1 => "rsa-pkcs1-sha256",
            }
        }

        pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
            let (mech, data) = match self.kind {
                Kind::P256 => (
                    Mechanism::Ecdsa,
                    digest::digest(&digest::SHA256, msg).as_ref().to_vec(),
                ),
                Kind::P384 => (
                    Mechanism::Ecdsa,
                    digest::digest(&digest::SHA384, msg).as_ref().to_vec(),
                ),
                Kind::RsaPkcs1 => (Mechanism::Sha256RsaPkcs, msg.to_vec()),
            };
            let sig = self
                .session
                .sign(&mech, self.key, &data)
                .map_err(e("PKCS#11 sign"))?;
            Ok(match self.kind {
                Kind::RsaPkcs1 => sig,
                // PKCS#11 gives r || s; the ASN.1 form is what npass expects.
                Kind::P256 | Kind::P384 => ecdsa_der(&sig),
            })
        }
    }

    fn der_int(v: &[u8]) -> Vec<u8> {
        let v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
        let mut out = vec![0x02];
        let pad = v.first().is_none_or(|b| b & 0x80 != 0);
        out.push((v.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend(v);
        out
    }

    /// `r || s` → `SEQUENCE { INTEGER r, INTEGER s }`.
    fn ecdsa_der(raw: &[u8]) -> Vec<u8> {
        let (r, s) = raw.split_at(raw.len() / 2);
        let body = [der_int(r), der_int(s)].concat();
        let mut out = vec![0x30];
        if body.len() >= 0x80 {
            out.push(0x81);
        }
        out.push(body.len() as u8);
        out.extend(body);
        out
    }
}
