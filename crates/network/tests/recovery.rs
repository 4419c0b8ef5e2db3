//! What killed commands and reboots leave is repaired on the next open: a network record
//! whose subnet is not reserved host-wide (the reservations live on /run: empty after a
//! reboot; earlier versions could be killed between record and reservation) is reserved
//! again, so another store cannot take its subnet. (Killing `network create` at each step
//! is tested through the CLI: sixdocker's tests/network_safety.rs.)

mod common;

use common::TestStore;
use six_network::{FirewallBackend, NetworkSpec, Networks};

#[test]
fn open_reserves_again_the_subnet_of_a_record_the_registry_lacks() {
    let store = TestStore::new();
    let other = TestStore::new();
    let name = six_testkit::unique_name("tr");
    let made = store.networks.create(NetworkSpec::bridge(&name)).unwrap();

    // a record of this store that the host-wide registry has never heard of
    let orphan = six_testkit::unique_name("tr");
    let subnet = "10.211.13.0/24";
    let records = store.root.path().join("network/networks");
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(records.join(format!("{name}.json"))).unwrap())
            .unwrap();
    record["name"] = orphan.clone().into();
    record["subnet"] = subnet.into();
    record["bridge"] = "six0000000000".into();
    std::fs::write(
        records.join(format!("{orphan}.json")),
        serde_json::to_vec(&record).unwrap(),
    )
    .unwrap();
    assert_ne!(made.subnet.to_string(), subnet);

    // the next open of the store reserves it
    Networks::open_with(
        store.root.path(),
        common::options(FirewallBackend::Iptables),
    )
    .unwrap();
    let mut theirs = NetworkSpec::bridge(&six_testkit::unique_name("tr"));
    theirs.subnet = Some(subnet.parse().unwrap());
    let e = other.networks.create(theirs).unwrap_err().to_string();
    assert!(
        e.contains("overlaps") && e.contains(&orphan),
        "another store took the subnet of {orphan}: {e}"
    );

    store.networks.remove(&orphan).unwrap();
    other.finish();
    store.finish();
}
