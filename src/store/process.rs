//! What a lease needs from the operating system: a random owner id, and whether a process still runs.

/// A fresh owner id: 128 bits from the operating system's random source, as hex.
pub fn new_owner_id() -> String {
    let mut bytes = [0u8; 16];
    // The OS source does not fail on the platforms we run on; if it ever did, the pid and time still make
    // the id unique enough for a lease (it only ever guards a refresh, never data).
    if getrandom::getrandom(&mut bytes).is_err() {
        let fallback = (u128::from(std::process::id()) << 64) | crate::clock::unix_now_ms() as u128;
        bytes = fallback.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether process `pid` still runs on this machine (a signal-0 probe: no signal is sent). A process of
/// another user counts as running.
pub fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else {
        return false;
    };
    !matches!(rustix::process::test_kill_process(pid), Err(rustix::io::Errno::SRCH))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_ids_are_random_and_liveness_needs_no_proc() {
        let (a, b) = (new_owner_id(), new_owner_id());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(process_alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid));
        // pid 1 runs, and belongs to someone else when the tests do not run as root.
        assert!(process_alive(1));
    }
}
