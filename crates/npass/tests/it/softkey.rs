//! A software authenticator for the black-box passkey tests: it answers the server's
//! ceremony options as a browser and a FIDO2 authenticator would (P-256, "none" or "packed"
//! attestation), and can be told to misbehave in the ways an attacker would (another origin,
//! another RP ID, no user verification, the wrong ceremony type, a counter that goes back).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use ciborium::Value;
use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};

pub struct SoftKey {
    key: EcdsaKeyPair,
    pub credential_id: Vec<u8>,
    pub user_handle: Option<Vec<u8>>,
    pub counter: u32,
    pub aaguid: [u8; 16],
}

/// How an answer deviates from an honest one.
#[derive(Clone, Debug)]
pub struct Answer {
    pub origin: String,
    pub rp_id: Option<String>,
    pub user_verified: bool,
    pub ceremony_type: Option<&'static str>,
    /// A "packed" attestation by this certificate and key (DER cert, PKCS#8 key) instead of none.
    pub packed: Option<(Vec<u8>, Vec<u8>)>,
}

impl Answer {
    pub fn honest(origin: &str) -> Answer {
        Answer {
            origin: origin.to_owned(),
            rp_id: None,
            user_verified: true,
            ceremony_type: None,
            packed: None,
        }
    }
}

fn b64(b: &[u8]) -> String {
    BASE64URL_NOPAD.encode(b)
}

fn cbor(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

impl SoftKey {
    pub fn new() -> SoftKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let mut id = [0u8; 16];
        aws_lc_rs::rand::fill(&mut id).unwrap();
        SoftKey {
            key,
            credential_id: id.to_vec(),
            user_handle: None,
            counter: 0,
            aaguid: [0x4e; 16],
        }
    }

    fn cose_key(&self) -> Value {
        let pk = self.key.public_key().as_ref();
        let (x, y) = (pk[1..33].to_vec(), pk[33..65].to_vec());
        Value::Map(vec![
            (int(1), int(2)),
            (int(3), int(-7)),
            (int(-1), int(1)),
            (int(-2), Value::Bytes(x)),
            (int(-3), Value::Bytes(y)),
        ])
    }

    fn client_data(&self, kind: &str, challenge: &str, a: &Answer) -> Vec<u8> {
        serde_json::json!({
            "type": a.ceremony_type.unwrap_or(kind),
            "challenge": challenge,
            "origin": a.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    fn flags(a: &Answer, attested_data: bool) -> u8 {
        let mut f = 0x01; // user present
        if a.user_verified {
            f |= 0x04;
        }
        if attested_data {
            f |= 0x40;
        }
        f
    }

    /// The answer to `navigator.credentials.create()` for the server's options (`publicKey`).
    pub fn create(&mut self, options: &serde_json::Value, a: &Answer) -> String {
        let pk = &options["publicKey"];
        let challenge = pk["challenge"].as_str().unwrap();
        let rp_id = a
            .rp_id
            .clone()
            .unwrap_or_else(|| pk["rp"]["id"].as_str().unwrap().to_owned());
        self.user_handle = Some(
            BASE64URL_NOPAD
                .decode(pk["user"]["id"].as_str().unwrap().as_bytes())
                .unwrap(),
        );
        let cdj = self.client_data("webauthn.create", challenge, a);
        let mut auth = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth.push(Self::flags(a, true));
        auth.extend_from_slice(&self.counter.to_be_bytes());
        auth.extend_from_slice(&self.aaguid);
        auth.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth.extend_from_slice(&self.credential_id);
        auth.extend_from_slice(&cbor(&self.cose_key()));
        let (fmt, stmt) = match &a.packed {
            None => ("none", Value::Map(vec![])),
            Some((cert, key)) => {
                let signer =
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, key).unwrap();
                let mut signed = auth.clone();
                signed.extend_from_slice(&Sha256::digest(&cdj));
                let sig = signer.sign(&SystemRandom::new(), &signed).unwrap();
                (
                    "packed",
                    Value::Map(vec![
                        (Value::Text("alg".into()), int(-7)),
                        (
                            Value::Text("sig".into()),
                            Value::Bytes(sig.as_ref().to_vec()),
                        ),
                        (
                            Value::Text("x5c".into()),
                            Value::Array(vec![Value::Bytes(cert.clone())]),
                        ),
                    ]),
                )
            }
        };
        let att = Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text(fmt.into())),
            (Value::Text("attStmt".into()), stmt),
            (Value::Text("authData".into()), Value::Bytes(auth)),
        ]);
        serde_json::json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&cbor(&att)),
                "clientDataJSON": b64(&cdj),
                "transports": ["internal"],
            },
            "extensions": {},
        })
        .to_string()
    }

    /// The answer to `navigator.credentials.get()`; the counter moves on by one.
    pub fn get(&mut self, options: &serde_json::Value, a: &Answer) -> String {
        self.counter += 1;
        self.get_at(options, a, self.counter)
    }

    /// An answer with the counter at `counter` (a clone's, say).
    pub fn get_at(&self, options: &serde_json::Value, a: &Answer, counter: u32) -> String {
        let pk = &options["publicKey"];
        let challenge = pk["challenge"].as_str().unwrap();
        let rp_id = a
            .rp_id
            .clone()
            .unwrap_or_else(|| pk["rpId"].as_str().unwrap().to_owned());
        let cdj = self.client_data("webauthn.get", challenge, a);
        let mut auth = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth.push(Self::flags(a, false));
        auth.extend_from_slice(&counter.to_be_bytes());
        let mut signed = auth.clone();
        signed.extend_from_slice(&Sha256::digest(&cdj));
        let sig = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        serde_json::json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth),
                "clientDataJSON": b64(&cdj),
                "signature": b64(sig.as_ref()),
                "userHandle": self.user_handle.as_deref().map(b64),
            },
            "extensions": {},
        })
        .to_string()
    }
}
