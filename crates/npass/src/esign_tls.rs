//! The e-signature client-certificate listener (`esign.listen`): TLS that asks the browser for
//! a client certificate, as browsers do with cards and tokens from the operating system's store.
//! The handshake proves possession of the key; the certificate is then verified by the core
//! (design note 0003) against a challenge the main site started for this browser, and the
//! browser goes back to the main site, which finishes the login for the browser it is bound to.
//! This listener never sets a cookie or issues a session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::serve::{IncomingStream, Listener};
use npass_core::login::Client;
use npass_core::service::Core;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;

/// Asks for a client certificate, accepts whatever chain is offered (the core decides, and
/// explains a refusal on a page), and checks the handshake signature that proves the key.
#[derive(Debug)]
struct AnyClientCert {
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The TLS configuration: the listener's own certificate and the client-certificate request.
pub fn server_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("esign.tls_cert {}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("esign.tls_key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = AnyClientCert {
        algs: provider.signature_verification_algorithms,
    };
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(chain, key)
        .map_err(|e| format!("esign TLS: {e}"))?;
    Ok(Arc::new(cfg))
}

/// Accepts TCP connections and hands over the ones whose TLS handshake completed (each
/// handshake runs in its own task, at most 10 s, so a slow client holds up nobody).
pub struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, tls: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let addr = tcp.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        tokio::spawn(async move {
            loop {
                let Ok((tcp, peer)) = tcp.accept().await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let (acceptor, handed) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
                    {
                        let _ = handed.send((tls, peer)).await;
                    }
                });
                if tx.is_closed() {
                    break;
                }
            }
        });
        Ok(TlsListener { rx, addr })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

/// What the connection's handshake presented: the chain (end entity first) and the peer.
#[derive(Clone)]
pub struct Peer {
    chain: Arc<Vec<Vec<u8>>>,
    addr: SocketAddr,
}

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        let chain = stream
            .io()
            .get_ref()
            .1
            .peer_certificates()
            .map(|c| c.iter().map(|c| c.as_ref().to_vec()).collect())
            .unwrap_or_default();
        Peer {
            chain: Arc::new(chain),
            addr: *stream.remote_addr(),
        }
    }
}

#[derive(Clone)]
struct St {
    core: Arc<Core>,
}

#[derive(serde::Deserialize)]
struct Nonce {
    #[serde(default)]
    n: String,
    /// Where the main site goes after the login (one of its own paths).
    #[serde(default)]
    next: String,
}

/// `GET /tls/{id}?n=…`: settles the challenge with the presented certificate, then sends the
/// browser back to the main site's waiting page, which shows the outcome.
async fn answer(
    State(st): State<St>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    Path(id): Path<String>,
    Query(q): Query<Nonce>,
) -> Response {
    let client = Client {
        ip: peer.addr.ip().to_string(),
        user_agent: String::new(),
    };
    if let Err(e) = st
        .core
        .esign
        .esign_tls(&id, &q.n, &peer.chain, &client)
        .await
    {
        tracing::error!(error = %e, "esign TLS answer failed");
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "The service is temporarily unavailable. Try again in a few minutes.",
        )
            .into_response();
    }
    let id: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    let next = if q.next.starts_with('/') && !q.next.starts_with("//") && !q.next.contains('\\') {
        format!(
            "?next={}",
            form_urlencoded::byte_serialize(q.next.as_bytes()).collect::<String>()
        )
    } else {
        String::new()
    };
    Redirect::to(&format!(
        "{}/login/esign/{id}{next}",
        st.core.env.policy.public_url.trim_end_matches('/')
    ))
    .into_response()
}

pub fn router(core: Arc<Core>) -> axum::Router {
    axum::Router::new()
        .route("/tls/{id}", get(answer))
        .with_state(St { core })
}
