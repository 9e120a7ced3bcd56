//! TLS for `https://` endpoints. OTLP/HTTP: rustls with the crypto provider the process installed
//! or the one this build selected, verifying certificates as the platform does. OTLP/gRPC:
//! tonic's rustls (ring) with the Web PKI roots, which tonic's own TLS support accepts.

use std::sync::Arc;

/// The TLS configuration of every HTTPS export: rustls with the crypto provider the process has
/// installed, or else the one this build selected (ring by default, aws-lc-rs with the
/// `tls-aws-lc` feature), verifying certificates as the platform does.
pub(super) fn config() -> Result<rustls::ClientConfig, String> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(selected_provider()));
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map(|builder| builder.with_no_client_auth())
        .map_err(|e| format!("cannot set up TLS: {e}"))
}

#[cfg(not(feature = "tls-aws-lc"))]
fn selected_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

#[cfg(feature = "tls-aws-lc")]
fn selected_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// The TLS configuration of every gRPC export over `https://`.
#[cfg(feature = "grpc")]
pub(super) fn grpc_config() -> tonic::transport::ClientTlsConfig {
    tonic::transport::ClientTlsConfig::new().with_webpki_roots()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// HTTPS exports need a TLS configuration whichever provider the build selected, and with no
    /// provider installed by the process.
    #[test]
    fn the_selected_tls_provider_builds_a_client() {
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
        let config = config().expect("a TLS configuration");
        assert!(config.crypto_provider().cipher_suites.len() > 1);
        super::super::http::blocking_client(Duration::from_secs(1))
            .expect("an HTTPS-capable client");
    }
}
