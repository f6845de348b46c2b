//! The per-cluster lock: concurrent deploys of one cluster never overlap, the lock is released
//! after a failure and after SIGTERM, and a stale lock is reported and taken over.

use crate::support::{mutating, overlap, wait_for, Call, Test, CLUSTER};

/// The calls of `caller` that need the cluster's lock: all but `kops version`.
fn locked_calls(calls: &[Call], caller: u32) -> Vec<Call> {
    calls
        .iter()
        .filter(|c| c.caller == caller && c.argv != "version")
        .cloned()
        .collect()
}

#[test]
fn concurrent_deploys_of_one_cluster_never_overlap() {
    let test = Test::new();
    let gate = test.path("standin/open");
    let gate_knob = format!("update {}", gate.display());
    // A takes the lock and stops inside `kops update cluster --yes` until the gate opens.
    let a = test.spawn("a", &[("KOPS_STANDIN_GATE", &gate_knob)], &["deploy"]);
    wait_for("deploy A inside kops update", || {
        test.calls()
            .iter()
            .any(|c| c.caller == a.pid() && c.argv.starts_with("update cluster"))
    });
    let record = std::fs::read_to_string(test.lock_file(CLUSTER)).unwrap();
    assert!(record.contains(&format!("\npid={}\n", a.pid())), "{record}");

    // B gives up after its --lock-timeout, naming the holder, having run nothing but `version`.
    let b = test.spawn("b", &[], &["deploy", "--lock-timeout", "1s"]);
    let b_pid = b.pid();
    let b = b.finish();
    assert_eq!(b.code, Some(1), "{}", b.stderr);
    for expected in [
        format!(
            "cluster {CLUSTER} is locked by another run: pid {} on host ",
            a.pid()
        ),
        format!("(deploy of commit {}), since ", test.head()),
        " UTC (".to_owned(),
        "--lock-timeout".to_owned(),
    ] {
        assert!(
            b.stderr.contains(&expected),
            "{expected:?} not in:\n{}",
            b.stderr
        );
    }
    assert!(locked_calls(&test.calls(), b_pid).is_empty());

    // C waits (default --lock-timeout 5m), and runs once A is done.
    let c = test.spawn("c", &[], &["deploy"]);
    let waiting = format!(
        "waiting up to 5m00s for the lock on {CLUSTER}, held by pid {}",
        a.pid()
    );
    wait_for("deploy C waiting for the lock", || {
        c.stderr_so_far().contains(&waiting)
    });
    std::fs::write(&gate, "").unwrap();
    let (a_pid, c_pid) = (a.pid(), c.pid());
    let (a, c) = (a.finish(), c.finish());
    assert_eq!(a.code, Some(0), "{}", a.stderr);
    assert_eq!(c.code, Some(0), "{}", c.stderr);

    // The stand-in's clock: every call of A against the cluster ended before C's first began,
    // and no two mutating calls of the two runs overlap.
    let calls = test.calls();
    let (a_calls, c_calls) = (locked_calls(&calls, a_pid), locked_calls(&calls, c_pid));
    assert_eq!((a_calls.len(), c_calls.len()), (6, 6), "{calls:#?}");
    let a_end = a_calls.iter().map(|c| c.span().1).fold(0.0, f64::max);
    let c_start = c_calls
        .iter()
        .map(|c| c.start)
        .fold(f64::INFINITY, f64::min);
    assert!(
        a_end <= c_start,
        "C started at {c_start}, A ended at {a_end}: {calls:#?}"
    );
    for x in a_calls.iter().filter(|c| mutating(&c.argv)) {
        for y in c_calls.iter().filter(|c| mutating(&c.argv)) {
            assert!(!overlap(x.span(), y.span()), "{x:?} overlaps {y:?}");
        }
    }
    assert!(c_calls.iter().filter(|c| mutating(&c.argv)).count() >= 2);
    assert!(
        !test.lock_file(CLUSTER).exists(),
        "the lock was not released"
    );
}

#[test]
fn the_lock_is_released_after_a_failure_and_after_sigterm() {
    let test = Test::new();
    let lock = test.lock_file(CLUSTER);
    let run = test.run_with(&[("KOPS_STANDIN_FAIL_AT", "4")], &["deploy"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stderr().contains("lock taken"), "{}", run.stderr());
    assert!(!lock.exists(), "the lock outlived a failed deploy");
    // The next run gets it at once, with nothing stale to take over.
    let run = test.run(&["deploy", "--lock-timeout", "0s"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(!run.stderr().contains("stale"), "{}", run.stderr());

    let gate = format!("update {}", test.path("standin/never").display());
    test.reset_standin();
    let a = test.spawn("a", &[("KOPS_STANDIN_GATE", &gate)], &["deploy"]);
    wait_for("deploy inside kops update", || {
        test.calls()
            .iter()
            .any(|c| c.argv.starts_with("update cluster"))
    });
    assert!(lock.exists());
    a.signal("TERM");
    let a = a.finish();
    assert_eq!(a.code, Some(1), "{}", a.stderr);
    assert!(a.stderr.contains("interrupted"), "{}", a.stderr);
    assert!(!lock.exists(), "the lock outlived SIGTERM");
    let left: Vec<_> = std::fs::read_dir(test.path("tmp")).unwrap().collect();
    assert!(left.is_empty(), "work dir left after SIGTERM");
    let run = test.run(&["deploy", "--lock-timeout", "0s"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(!run.stderr().contains("stale"), "{}", run.stderr());

    // --lock-dir moves the lock; previews take none.
    let dir = test.path("locks");
    let dir = dir.display().to_string();
    let run = test.run(&["deploy", "--lock-dir", &dir]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains(&format!("lock taken ({dir}/{CLUSTER}.lock)")),
        "{}",
        run.stderr()
    );
    for args in [&["plan"][..], &["rolling-update", "--cluster", CLUSTER]] {
        let run = test.run(args);
        assert!(!run.stderr().contains("lock"), "{args:?}: {}", run.stderr());
    }
}

#[test]
fn a_stale_lock_is_reported_and_taken_over() {
    let test = Test::new();
    let gate = format!("update {}", test.path("standin/never").display());
    let a = test.spawn("a", &[("KOPS_STANDIN_GATE", &gate)], &["deploy"]);
    wait_for("deploy inside kops update", || {
        test.calls()
            .iter()
            .any(|c| c.argv.starts_with("update cluster"))
    });
    // SIGKILL: no cleanup at all, the lock stays behind with a pid that no longer runs.
    a.signal("KILL");
    let a_pid = a.pid();
    assert_eq!(a.finish().code, None);
    assert!(test.lock_file(CLUSTER).exists());
    let run = test.run(&["deploy", "--lock-timeout", "0s"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // The stale holder is named by its pid (settled as `<pid>`): the killed run's.
    let expected = format!("no longer runs (no process has pid {a_pid}); taken over");
    assert!(run.stderr().contains(&expected), "{}", run.stderr());
    insta::assert_snapshot!("stale_lock_stderr", run.settled_stderr(&test));
    assert!(run.argv().iter().any(|a| a.contains("--yes")));
    assert!(!test.lock_file(CLUSTER).exists());
}
