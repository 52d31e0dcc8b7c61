//! Reading and writing SAML's XML. Every message a service sends passes `parse` before the
//! signature library sees it: at most `MAX_MESSAGE` bytes, no DTD (so no entity
//! of any kind beyond XML's five and character references), no processing instruction, no
//! XInclude, bounded depth, one root. What is read is a small owned tree with namespaces
//! resolved, so a prefix chosen by the sender changes nothing. What npass writes is built
//! here with every value escaped.

use std::borrow::Cow;

use data_encoding::BASE64;
use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use crate::relying::SigningAlg;

/// The largest message npass reads, before or after inflating.
pub const MAX_MESSAGE: usize = 64 * 1024;
const MAX_DEPTH: usize = 24;
const MAX_NODES: usize = 2_000;

pub const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const NS_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const NS_XENC: &str = "http://www.w3.org/2001/04/xmlenc#";

/// Why a message was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    TooLarge,
    /// A DTD, an entity, a processing instruction or XInclude: never read.
    Forbidden(&'static str),
    /// Not well-formed, or deeper or larger than any SAML message.
    Malformed(String),
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XmlError::TooLarge => write!(f, "the message is larger than {MAX_MESSAGE} bytes"),
            XmlError::Forbidden(what) => write!(f, "the message holds {what}"),
            XmlError::Malformed(why) => write!(f, "the message is not well-formed XML: {why}"),
        }
    }
}

/// An element as read: its namespace and local name, attributes by (namespace, local name),
/// child elements and its text (concatenated, unescaped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct El {
    pub ns: String,
    pub name: String,
    attrs: Vec<(String, String, String)>,
    pub children: Vec<El>,
    pub text: String,
}

impl El {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// An attribute without a namespace (as SAML's own attributes are).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ns, n, _)| ns.is_empty() && n == name)
            .map(|(_, _, v)| v.as_str())
    }

    pub fn child(&self, ns: &str, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub fn all<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// The trimmed text of a child, when there is one.
    pub fn child_text(&self, ns: &str, name: &str) -> Option<&str> {
        self.child(ns, name).map(|c| c.text.trim())
    }
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

/// Reads a message into its tree, refusing what no SAML message needs.
pub fn parse(xml: &str) -> Result<El, XmlError> {
    if xml.len() > MAX_MESSAGE {
        return Err(XmlError::TooLarge);
    }
    if xml.contains("http://www.w3.org/2001/XInclude") {
        return Err(XmlError::Forbidden("XInclude"));
    }
    let mut r = NsReader::from_str(xml);
    r.config_mut().check_end_names = true;
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    let mut nodes = 0usize;
    loop {
        let ev = r.read_event().map_err(malformed)?;
        match ev {
            Event::DocType(_) => return Err(XmlError::Forbidden("a DTD")),
            Event::PI(_) => return Err(XmlError::Forbidden("a processing instruction")),
            Event::Start(ref e) | Event::Empty(ref e) => {
                nodes += 1;
                if nodes > MAX_NODES || stack.len() >= MAX_DEPTH {
                    return Err(XmlError::Malformed("too deep or too large".into()));
                }
                if root.is_some() {
                    return Err(XmlError::Malformed("more than one root element".into()));
                }
                let (ns, local) = r.resolver().resolve_element(e.name());
                let mut el = El {
                    ns: bound(&ns)?,
                    name: String::from_utf8_lossy(local.as_ref()).into_owned(),
                    ..El::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(malformed)?;
                    if a.key.as_ref().starts_with(b"xmlns") {
                        continue;
                    }
                    // XML 1.0's "No < in Attribute Values": a lenient reader would take
                    // markup hidden in a value as text.
                    if a.value.contains(&b'<') {
                        return Err(XmlError::Malformed("< in an attribute value".into()));
                    }
                    let (ns, local) = r.resolver().resolve_attribute(a.key);
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(malformed)?
                        .into_owned();
                    el.attrs.push((
                        bound(&ns)?,
                        String::from_utf8_lossy(local.as_ref()).into_owned(),
                        value,
                    ));
                }
                if matches!(ev, Event::Empty(_)) {
                    close(&mut stack, &mut root, el);
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced".into()))?;
                close(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t.decode().map_err(malformed)?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(XmlError::Malformed("text outside the root".into())),
                }
            }
            Event::CData(t) => {
                let s = t.decode().map_err(malformed)?;
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&s);
                }
            }
            Event::GeneralRef(g) => {
                let ch: Cow<'_, str> = if g.is_char_ref() {
                    match g.resolve_char_ref().map_err(malformed)? {
                        Some(c) => c.to_string().into(),
                        None => return Err(XmlError::Malformed("character reference".into())),
                    }
                } else {
                    let name = g.decode().map_err(malformed)?;
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => s.into(),
                        None => return Err(XmlError::Forbidden("an entity reference")),
                    }
                };
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&ch);
                }
            }
            Event::Decl(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    root.ok_or_else(|| XmlError::Malformed("no root element".into()))
}

fn bound(ns: &ResolveResult<'_>) -> Result<String, XmlError> {
    match ns {
        ResolveResult::Bound(n) => Ok(String::from_utf8_lossy(n.as_ref()).into_owned()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => Err(XmlError::Malformed(format!(
            "undeclared prefix {}",
            String::from_utf8_lossy(p)
        ))),
    }
}

fn close(stack: &mut [El], root: &mut Option<El>, el: El) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

/// `s` escaped for text or a double-quoted attribute value.
pub fn esc(s: &str) -> Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// The signature methods npass signs with.
pub fn signature_method(alg: SigningAlg) -> &'static str {
    match alg {
        SigningAlg::Rs256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        SigningAlg::Es256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    }
}

/// An enveloped-signature template over the element whose `ID` is `id` (exclusive
/// canonicalisation, SHA-256), naming the signing certificate: the signature library fills in
/// the digest and the value.
pub fn signature_template(id: &str, alg: SigningAlg, certificate: &[u8]) -> String {
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
            r##"<ds:SignatureMethod Algorithm="{method}"/><ds:Reference URI="#{id}"><ds:Transforms>"##,
            r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
            r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>"#,
            r#"<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>"#,
            r#"<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>"#,
            r#"<ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data>"#,
            r#"<ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"#
        ),
        method = signature_method(alg),
        id = esc(id),
        cert = BASE64.encode(certificate),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_namespaces_whatever_the_prefix() {
        let a = parse(r#"<p:AuthnRequest xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:a="urn:oasis:names:tc:SAML:2.0:assertion" ID="x&amp;1"><a:Issuer> sp &lt;1&gt; </a:Issuer></p:AuthnRequest>"#).unwrap();
        assert!(a.is(NS_PROTOCOL, "AuthnRequest"));
        assert_eq!(a.attr("ID"), Some("x&1"));
        assert_eq!(a.child_text(NS_ASSERTION, "Issuer"), Some("sp <1>"));
        let b = parse(r#"<AuthnRequest xmlns="urn:oasis:names:tc:SAML:2.0:protocol"/>"#).unwrap();
        assert!(b.is(NS_PROTOCOL, "AuthnRequest"));
    }

    #[test]
    fn refuses_what_no_saml_message_needs() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><r>&b;</r>"#;
        assert_eq!(parse(bomb), Err(XmlError::Forbidden("a DTD")));
        let xxe = r#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
        assert_eq!(parse(xxe), Err(XmlError::Forbidden("a DTD")));
        assert_eq!(
            parse("<r>&x;</r>"),
            Err(XmlError::Forbidden("an entity reference"))
        );
        assert_eq!(
            parse(
                r#"<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"/></r>"#
            ),
            Err(XmlError::Forbidden("XInclude"))
        );
        assert!(matches!(
            parse("<?xml-stylesheet href='x'?><r/>"),
            Err(XmlError::Forbidden(_))
        ));
        assert_eq!(
            parse(&format!("<r>{}</r>", "a".repeat(MAX_MESSAGE))),
            Err(XmlError::TooLarge)
        );
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(matches!(parse(&deep), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<a/><b/>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<a><b></a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<x:a/>"), Err(XmlError::Malformed(_))));
        assert!(matches!(
            parse(r#"<r a="<!DOCTYPE x>"/>"#),
            Err(XmlError::Malformed(_))
        ));
        assert_eq!(parse("<r>&#65;&amp;</r>").unwrap().text, "A&");
    }
}
