//! CPU time and resident memory of this process, read from `/proc` (Linux only: elsewhere every
//! reading is `None` and the process instruments report nothing). No dependency, no `unsafe`.
//!
//! `/proc/self/stat` gives user and system time in clock ticks of `USER_HZ`, which the kernel
//! fixes at 100 per second for user space on every architecture we build for;
//! `/proc/self/status` gives the resident set (`VmRSS`) in KiB.

/// Clock ticks per second in `/proc/self/stat`.
const USER_HZ: f64 = 100.0;

/// CPU seconds of the process so far, `(user, system)`.
pub(crate) fn cpu_times() -> Option<(f64, f64)> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// Resident memory of the process, in bytes.
pub(crate) fn resident_bytes() -> Option<u64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    parse_status(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// `utime` and `stime` (fields 14 and 15), counted after the command name, which is in
/// parentheses and may itself hold spaces and parentheses.
fn parse_stat(stat: &str) -> Option<(f64, f64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // `rest` starts at field 3 (the state).
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user as f64 / USER_HZ, system as f64 / USER_HZ))
}

fn parse_status(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line["VmRSS:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let stat = "4242 (my (odd) agent) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 75 0 0 20 0 9 0";
        assert_eq!(parse_stat(stat), Some((2.5, 0.75)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn resident_memory_is_read_in_kib() {
        let status = "Name:\tagent\nVmPeak:\t  9000 kB\nVmRSS:\t    2048 kB\n";
        assert_eq!(parse_status(status), Some(2 * 1024 * 1024));
        assert_eq!(parse_status("Name:\tagent\n"), None);
    }

    #[test]
    fn this_process_has_readings_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(resident_bytes().is_some_and(|b| b > 0));
            assert!(cpu_times().is_some());
        } else {
            assert_eq!(resident_bytes(), None);
        }
    }
}
