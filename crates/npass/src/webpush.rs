//! Web Push to the npass app's devices: the message encrypted for the device (RFC 8291,
//! `aes128gcm` of RFC 8188) and the request signed for the push service (VAPID, RFC 8292),
//! sent over the outbound HTTPS client without holding up the page that caused it.
//!
//! Written over aws-lc-rs, which npass already uses for its JWS: the crates that do this pull a
//! second generation of the RustCrypto curves and AEADs (or OpenSSL) into the build, and the
//! scheme is one ECDH, two HKDFs and one AES-GCM seal.

use std::sync::Arc;

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use data_encoding::BASE64URL_NOPAD;
use npass_core::device::Pusher;
use npass_core::store::PushSubscription;

/// How long a push service may hold a notification: a QR login lives 2 minutes.
const TTL_SECONDS: u64 = 120;
/// The record size announced in the header (one record: the message is small).
const RECORD_SIZE: u32 = 4096;

struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[&[u8]], len: usize) -> Result<Vec<u8>, String> {
    let prk = Salt::new(HKDF_SHA256, salt).extract(ikm);
    let okm = prk.expand(info, Len(len)).map_err(|_| "hkdf")?;
    let mut out = vec![0u8; len];
    okm.fill(&mut out).map_err(|_| "hkdf")?;
    Ok(out)
}

/// `payload` encrypted for the device whose public key is `ua_public` (65 bytes) and auth
/// secret `auth` (16 bytes): the `aes128gcm` body.
pub fn encrypt(payload: &[u8], ua_public: &[u8], auth: &[u8]) -> Result<Vec<u8>, String> {
    let rng = SystemRandom::new();
    let ephemeral = EphemeralPrivateKey::generate(&ECDH_P256, &rng).map_err(|_| "ecdh key")?;
    let as_public = ephemeral
        .compute_public_key()
        .map_err(|_| "ecdh key")?
        .as_ref()
        .to_vec();
    let peer = UnparsedPublicKey::new(&ECDH_P256, ua_public);
    let ecdh = agreement::agree_ephemeral(ephemeral, peer, "device key", |s| Ok(s.to_vec()))
        .map_err(|_: &str| "the device's key is not a P-256 point")?;
    // RFC 8291 §3.4: the input keying material, bound to both public keys and the auth secret.
    let ikm = hkdf(
        auth,
        &ecdh,
        &[b"WebPush: info\0", ua_public, &as_public],
        32,
    )?;
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).map_err(|_| "rng")?;
    // RFC 8188 §2.2–2.3: the content key and nonce (one record, sequence number 0).
    let cek = hkdf(&salt, &ikm, &[b"Content-Encoding: aes128gcm\0"], 16)?;
    let nonce = hkdf(&salt, &ikm, &[b"Content-Encoding: nonce\0"], 12)?;
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek).map_err(|_| "aes key")?);
    let nonce = Nonce::try_assume_unique_for_key(&nonce).map_err(|_| "nonce")?;
    let mut record = payload.to_vec();
    record.push(2); // the last record's delimiter, no padding
    key.seal_in_place_append_tag(nonce, Aad::empty(), &mut record)
        .map_err(|_| "seal")?;
    let id_len = u8::try_from(as_public.len()).map_err(|_| "key id")?;
    let mut body = Vec::with_capacity(16 + 4 + 1 + as_public.len() + record.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(id_len);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&record);
    Ok(body)
}

/// The deployment's VAPID identity: its P-256 key and the contact push services may use.
pub struct Vapid {
    key: EcdsaKeyPair,
    public: String,
    subject: String,
}

impl Vapid {
    pub fn from_pkcs8(der: &[u8], subject: &str) -> Result<Vapid, String> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| "not a P-256 private key (PKCS#8)")?;
        let public = BASE64URL_NOPAD.encode(key.public_key().as_ref());
        Ok(Vapid {
            key,
            public,
            subject: subject.to_owned(),
        })
    }

    /// The `Authorization` header for a request to `endpoint`'s push service (RFC 8292 §3).
    pub fn authorization(&self, endpoint: &str, now_s: u64) -> Result<String, String> {
        let url = url::Url::parse(endpoint).map_err(|e| e.to_string())?;
        let aud = url.origin().ascii_serialization();
        let header = BASE64URL_NOPAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({"aud": aud, "exp": now_s + 12 * 3600, "sub": self.subject});
        let claims = BASE64URL_NOPAD.encode(claims.to_string().as_bytes());
        let input = format!("{header}.{claims}");
        let sig = self
            .key
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|_| "sign")?;
        Ok(format!(
            "vapid t={input}.{}, k={}",
            BASE64URL_NOPAD.encode(sig.as_ref()),
            self.public
        ))
    }
}

/// Sends notifications to push services with the outbound client; a subscription its push
/// service says is gone (404, 410) is forgotten.
pub struct WebPusher {
    pub http: reqwest::Client,
    pub vapid: Arc<Vapid>,
    pub store: Arc<dyn npass_core::store::AppGrantStore>,
}

async fn send(
    http: &reqwest::Client,
    vapid: &Vapid,
    sub: &PushSubscription,
    payload: &[u8],
) -> Result<u16, String> {
    let ua_public = BASE64URL_NOPAD
        .decode(sub.p256dh.as_bytes())
        .map_err(|e| e.to_string())?;
    let auth = BASE64URL_NOPAD
        .decode(sub.auth.as_bytes())
        .map_err(|e| e.to_string())?;
    let body = encrypt(payload, &ua_public, &auth)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let res = http
        .post(&sub.endpoint)
        .header("authorization", vapid.authorization(&sub.endpoint, now)?)
        .header("content-encoding", "aes128gcm")
        .header("content-type", "application/octet-stream")
        .header("ttl", TTL_SECONDS.to_string())
        .header("urgency", "high")
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(res.status().as_u16())
}

impl Pusher for WebPusher {
    fn public_key(&self) -> Option<String> {
        Some(self.vapid.public.clone())
    }

    fn push(&self, subs: Vec<PushSubscription>, payload: Vec<u8>) {
        let (http, vapid, store) = (self.http.clone(), self.vapid.clone(), self.store.clone());
        tokio::spawn(async move {
            for sub in subs {
                match send(&http, &vapid, &sub, &payload).await {
                    Ok(s) if (200..300).contains(&s) => {}
                    Ok(404 | 410) => {
                        if let Err(e) = store.app_push_end(&sub.credential_id).await {
                            tracing::warn!(error = %e, "forgetting a gone push subscription");
                        }
                    }
                    Ok(s) => {
                        tracing::info!(status = s, device = %sub.credential_id, "push refused")
                    }
                    Err(e) => {
                        tracing::info!(error = %e, device = %sub.credential_id, "push failed")
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body's layout (RFC 8188 §2.1); the integration test decrypts it with an
    /// independent implementation.
    #[test]
    fn the_body_has_the_rfc_8188_header_and_a_tagged_record() {
        let rng = SystemRandom::new();
        let ua = EphemeralPrivateKey::generate(&ECDH_P256, &rng).unwrap();
        let ua_public = ua.compute_public_key().unwrap().as_ref().to_vec();
        let body = encrypt(b"hello", &ua_public, &[7u8; 16]).unwrap();
        assert_eq!(&body[16..20], &RECORD_SIZE.to_be_bytes());
        assert_eq!(body[20], 65);
        assert_eq!(body[21], 4, "an uncompressed point");
        assert_eq!(body.len(), 16 + 4 + 1 + 65 + 5 + 1 + 16);
        assert!(encrypt(b"x", &[4u8; 10], &[0u8; 16]).is_err());
    }
}
