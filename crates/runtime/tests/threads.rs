//! create and exec clone the calling process; from a process with other threads the child
//! could wait forever on a lock one of them held, so they refuse unless told otherwise.
//! (Its own test binary: nothing here calls `permit_threads`.)

use six_runtime::{CreateOptions, Error, Runtime};
use six_testkit::{require_root, unique_name, Bundle};

#[test]
fn create_refuses_a_caller_with_other_threads() {
    require_root();
    six_runtime::sealed_exe::permit_unsealed();
    let root = tempfile::tempdir().unwrap();
    let rt = Runtime::new(root.path());
    let b = Bundle::busybox(&["true"]).unwrap();
    let (stop, parked) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        let _ = parked.recv();
    });
    let id = unique_name("thr");
    let err = rt
        .create(
            &id,
            CreateOptions {
                bundle: b.path().to_path_buf(),
                ..Default::default()
            },
        )
        .err()
        .expect("create from a threaded process must be refused");
    assert!(matches!(err, Error::Threaded(n) if n >= 2), "{err}");
    assert!(err.to_string().contains("threads"), "{err}");
    assert!(
        !root.path().join(&id).exists(),
        "a refused create left state"
    );
    drop(stop);
    other.join().unwrap();
}
