//! The SAML 2.0 identity provider (design note 0016): MPass's contract (../shared/spec and
//! docs/integration-saml.md) over the same sessions, levels, registry and release rules as
//! OpenID Connect.

pub mod dsig;
pub mod xml;
