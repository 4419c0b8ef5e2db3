//! `Engine::remove` racing the container's own `--rm`: a forced removal from another engine
//! (as another CLI would) at any moment of a `run --rm --name X` succeeds or finds nothing
//! to remove, never "is running" or a lock file error, and the store ends empty with nothing
//! left on the host.

mod common;

use std::time::Duration;

use common::TestEngine;
use six_engine::{Engine, Error, RunRequest};

#[test]
fn forced_removal_racing_auto_remove_never_fails() {
    let t = TestEngine::new();
    let opts = || TestEngine::options(t.root.path(), t.runroot.path());
    for round in 0..24u64 {
        let name = six_testkit::unique_name("rr");
        let req = RunRequest {
            name: Some(name.parse().unwrap()),
            auto_remove: true,
            ..TestEngine::req(&["sleep", ["0", "0.02", "0.05"][round as usize % 3]])
        };
        let runner = {
            let opts = opts();
            std::thread::spawn(move || Engine::open(opts).unwrap().run(req))
        };
        std::thread::sleep(Duration::from_millis((round * 5) % 70));
        let remover = Engine::open(opts()).unwrap();
        match remover.remove(&name, true) {
            Ok(()) | Err(Error::NoSuchContainer(_)) => {}
            Err(e) => panic!("round {round}: {e}"),
        }
        match runner.join().unwrap() {
            Ok(out) => assert!(
                matches!(out.exit_code, Some(0 | 137)),
                "round {round}: {out:?}"
            ),
            Err(e) => panic!("round {round}: the run failed: {e}"),
        }
        let left = t.engine().list(true).unwrap();
        assert!(left.is_empty(), "round {round}: {left:?}");
        let store = six_testkit::container_records(t.root.path());
        assert!(store.is_empty(), "round {round}: {store:?}");
    }
    t.finish();
}
