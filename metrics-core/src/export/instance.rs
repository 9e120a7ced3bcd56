//! `service.instance.id`: what tells apart two processes with the same settings.
//!
//! A delta stream needs a single writer: a collector turning deltas into totals adds up points
//! of one stream (resource, scope, name, attributes). Two workers with identical settings record
//! the same worker and export self-metrics with the same attributes, and the same usage series
//! once per-job keys are stripped, so without an id of their own their points merge. As the
//! OpenTelemetry resource conventions advise, every resource we build carries a
//! `service.instance.id`: the user's (builder or `OTEL_RESOURCE_ATTRIBUTES`) when set, else a
//! random version 4 UUID drawn once per process, so every pipeline of a process, and every
//! pipeline it builds again after a shutdown, shares it.

use std::sync::OnceLock;

/// The resource attribute's key.
pub const SERVICE_INSTANCE_ID: &str = "service.instance.id";

/// This process's `service.instance.id` when nobody set one: a random (version 4) UUID, the same
/// for the life of the process.
pub fn process_instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| uuid_v4(random_bytes()))
}

/// 16 bytes from the operating system's generator; should it fail (no `getrandom` syscall and
/// no `/dev/urandom`), from std's per-process random hash keys, mixed with the time and process
/// id: unique enough to tell processes apart, which is all the id is for.
fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_ok() {
        return bytes;
    }
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for half in bytes.chunks_mut(8) {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        half.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    bytes
}

/// RFC 9562 version 4: the version nibble 4, the variant bits 10, lower-case hex in 8-4-4-4-12.
fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_has_the_version_and_variant_of_v4() {
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }

    #[test]
    fn the_process_keeps_one_id_and_draws_fresh_bytes() {
        assert_eq!(process_instance_id(), process_instance_id());
        assert_eq!(process_instance_id().len(), 36);
        assert_ne!(random_bytes(), random_bytes());
    }
}
