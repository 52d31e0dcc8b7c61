//! The audit trail's hash chain: each row's hash covers the previous row's hash, so removing or
//! editing a row breaks every hash after it.

use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};

use crate::model::{AuditEvent, AuditRecord};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub fn chain_hash(prev: &str, seq: i64, at: i64, ev: &AuditEvent) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &seq.to_string(),
        &at.to_string(),
        &ev.kind,
        ev.account_id.as_deref().unwrap_or(""),
        ev.ip.as_deref().unwrap_or(""),
        &ev.detail.to_string(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    HEXLOWER.encode(&h.finalize())
}

/// Checks a run of records from the start of the trail; returns the first bad sequence number.
pub fn verify_chain(records: &[AuditRecord]) -> Result<(), i64> {
    let mut prev = GENESIS.to_owned();
    for r in records {
        if r.prev_hash != prev || chain_hash(&prev, r.seq, r.at, &r.event) != r.hash {
            return Err(r.seq);
        }
        prev = r.hash.clone();
    }
    Ok(())
}

/// The audit kind of a refresh's token response: in the chain with its account, but not in the
/// citizen's history (design note 0007; the store's history query and index name it too).
pub const TOKENS_REFRESHED: &str = "oidc.tokens-refreshed";

pub fn event(
    kind: &str,
    account_id: Option<&str>,
    ip: Option<&str>,
    detail: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        kind: kind.to_owned(),
        account_id: account_id.map(str::to_owned),
        ip: ip.map(str::to_owned),
        detail,
    }
}
