//! Start: build and start what a [`Plan`] says, top to bottom, with no decision left.
//!
//! The main provider gets the primary reader (push, embedded or Prometheus alone) and, when the
//! plan shares it, the Prometheus reader; a Prometheus endpoint on a provider of its own gets a
//! second provider. The meter records into the main provider as the plan's [`JobKeys`] say, and
//! into Prometheus's own provider without the per-job keys (see `pull`). Errors here are the
//! world's, not the settings': a port that is taken, a client or runtime that cannot be built.

use std::net::SocketAddr;

use opentelemetry_sdk::metrics::{MeterProviderBuilder, SdkMeterProvider};

use super::error::ExportError;
use super::plan::{JobKeys, Pipelines, Plan, Primary, Prometheus, Push};
use super::settings::Mode;
use super::{Parts, Telemetry};
use crate::capture::{Capture, scoped_meter};

/// Builds and starts the pipelines of `plan`.
pub(crate) fn start(plan: Plan) -> Result<Telemetry, ExportError> {
    let plan = match plan {
        Plan::Disabled => return Ok(Telemetry::disabled()),
        Plan::Start(pipelines) => pipelines,
    };
    let Pipelines {
        primary,
        prometheus,
        job_keys,
        resource,
        catalog,
        conventions,
    } = plan;
    let new_provider = || {
        let provider = SdkMeterProvider::builder().with_resource(resource.clone());
        match crate::cardinality::view(&catalog) {
            Some(view) => provider.with_view(view),
            None => provider,
        }
    };
    let mut parts = Parts {
        conventions,
        ..Parts::default()
    };

    // 1. The main provider's primary reader.
    let main = new_provider();
    let (main, mode, embedded) = match primary {
        Primary::Push(push) => {
            let mode = push.mode();
            (main.with_reader(push_reader(push, &mut parts)?), mode, None)
        }
        Primary::Prometheus(addr) => {
            let (main, bound) = start_prometheus(main, addr, &mut parts)?;
            (main, Mode::Prometheus(bound), None)
        }
        Primary::Embedded(temporality) => (main, Mode::Embedded, Some(temporality)),
    };

    // 2. A Prometheus endpoint next to it: on the main provider, or on one of its own.
    let (main, pull) = match prometheus {
        None => (main, None),
        Some(Prometheus::Shared(addr)) => (start_prometheus(main, addr, &mut parts)?.0, None),
        Some(Prometheus::Own(addr)) => {
            let (own, _) = start_prometheus(new_provider(), addr, &mut parts)?;
            (main, Some(own.build()))
        }
    };

    // 3. The main provider, built (the embedded reader builds its own).
    let meter = match embedded {
        Some(temporality) => {
            let capture = Capture::with_builder(main, temporality);
            parts.provider = Some(capture.provider().clone());
            let meter = capture.meter().clone();
            parts.capture = Some(capture);
            meter
        }
        None => {
            let provider = main.build();
            let meter = scoped_meter(&provider);
            parts.provider = Some(provider);
            meter
        }
    };

    // 4. The meter: into the main provider with or without the per-job keys, and into
    //    Prometheus's own provider without them.
    let meter = match job_keys {
        JobKeys::Kept => meter,
        JobKeys::Stripped => super::pull::meter(None, meter),
    };
    let meter = match &pull {
        Some(pull) => super::pull::meter(Some(meter), scoped_meter(pull)),
        None => meter,
    };
    #[cfg(feature = "otlp")]
    if let Some(health) = &parts.health {
        health.register(&meter);
    }
    parts.meter = Some(meter);
    parts.pull = pull;
    Ok(Telemetry::from_parts(mode, parts))
}

#[cfg(feature = "otlp")]
fn push_reader(
    push: Push,
    parts: &mut Parts,
) -> Result<impl opentelemetry_sdk::metrics::reader::MetricReader, ExportError> {
    let (reader, health) = super::otlp::reader(push)?;
    parts.health = Some(health);
    Ok(reader)
}

// The plan refuses a push target without the `otlp` feature: never called.
#[cfg(not(feature = "otlp"))]
fn push_reader(_: Push, _: &mut Parts) -> Result<crate::capture::SharedReader, ExportError> {
    Err(super::plan::unsupported(super::plan::NEEDS_OTLP))
}

/// `provider` with a Prometheus reader served on `addr`, and the address it listens on.
#[cfg(feature = "prometheus")]
fn start_prometheus(
    provider: MeterProviderBuilder,
    addr: SocketAddr,
    parts: &mut Parts,
) -> Result<(MeterProviderBuilder, SocketAddr), ExportError> {
    let (reader, server) = super::prometheus::start(addr)?;
    let bound = server.addr();
    parts.prometheus_addr = Some(bound);
    parts.prometheus = Some(server);
    Ok((provider.with_reader(reader), bound))
}

// The plan refuses a Prometheus endpoint without the `prometheus` feature: never called.
#[cfg(not(feature = "prometheus"))]
fn start_prometheus(
    _: MeterProviderBuilder,
    _: SocketAddr,
    _: &mut Parts,
) -> Result<(MeterProviderBuilder, SocketAddr), ExportError> {
    Err(super::plan::unsupported(super::plan::NEEDS_PROMETHEUS))
}
