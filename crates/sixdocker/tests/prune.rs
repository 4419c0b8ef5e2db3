//! The prune commands, `system df` and `info` as a user types them: what each removes, with
//! Docker's output ("Deleted Containers:", "Total reclaimed space: …"), its question without
//! `-f`, its filters, and Docker's columns and fields.

mod common;

use common::{unique_name, Sandbox};

fn names(sb: &Sandbox) -> Vec<String> {
    sb.sh("ps -a --format {{.Names}}")
        .ok()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn container_prune_removes_what_is_not_running() {
    let sb = Sandbox::new();
    let [created, exited, running] = ["created", "exited", "running"].map(unique_name);
    sb.sh(&format!(
        "create --network none --name {created} busybox true"
    ))
    .ok();
    let r = sb.run([
        "run",
        "--network",
        "none",
        "--name",
        &exited,
        "busybox",
        "sh",
        "-c",
        "echo>/written; exit 3",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    sb.sh(&format!(
        "run -d --network none --name {running} busybox sleep 1000"
    ))
    .ok();
    let (exited_id, created_id) = (sb.id_of(&exited), sb.id_of(&created));

    // Without -f: Docker's question; no answer removes nothing.
    let question = "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ";
    let r = sb.sh("container prune");
    assert_eq!((r.code, r.stdout.as_str()), (0, question));
    assert_eq!(names(&sb).len(), 3);
    let r = sb.run_with_stdin(&[], &["container", "prune"], "n\n");
    assert_eq!((r.code, r.stdout.as_str()), (0, question));
    assert_eq!(names(&sb).len(), 3);

    // Filters: nothing was created before 2000; label! spares nothing without labels.
    let r = sb.sh("container prune -f --filter until=2000-01-01T00:00:00Z");
    assert_eq!(r.ok(), "Total reclaimed space: 0B\n");
    sb.sh("container prune -f --filter foo=1")
        .fails(1, "invalid filter 'foo'");
    sb.sh("container prune -f --filter until=1h --filter until=2h")
        .fails(1, "more than one until filter specified");

    let r = sb.run_with_stdin(&[], &["container", "prune"], "y\n");
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        format!("{question}Deleted Containers:\n{exited_id}\n{created_id}\n\nTotal reclaimed space: 1B\n"),
        "newest first; the one byte the exited one wrote"
    );
    assert_eq!(names(&sb), std::slice::from_ref(&running));
    let r = sb.sh("container prune -f");
    assert_eq!(r.ok(), "Total reclaimed space: 0B\n");
}

#[test]
fn image_and_network_prune() {
    let sb = Sandbox::new();
    let c = unique_name("c");
    sb.sh(&format!("create --network none --name {c} busybox true"))
        .ok();
    let dangling = sb.sh(&format!("commit {c}")).ok().trim().to_owned();
    let unused = unique_name("unused");
    sb.sh(&format!("commit {c} {unused}")).ok();
    let net = unique_name("n");
    sb.sh(&format!("network create {net}")).ok();

    // Only the untagged image; busybox is used by the container.
    let r = sb.sh("image prune -f");
    assert_eq!(
        r.ok(),
        format!("Deleted Images:\ndeleted: {dangling}\n\nTotal reclaimed space: 0B\n"),
        "its layer is shared with the tagged commit"
    );
    let r = sb.sh("image prune -f");
    assert_eq!(r.ok(), "Total reclaimed space: 0B\n");
    let r = sb.run(["image", "prune", "-a", "-f"]);
    let out = r.ok();
    assert!(
        out.starts_with(&format!(
            "Deleted Images:\nuntagged: {unused}:latest\ndeleted: sha256:"
        )),
        "{out}"
    );
    assert!(!out.contains("busybox"), "in use: {out}");
    let images = sb.sh("images --format {{.Repository}}").ok().to_owned();
    assert_eq!(images, "busybox\n");
    let question = "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] ";
    assert_eq!(sb.sh("image prune -a").ok(), question);

    let r = sb.sh("network prune -f");
    assert_eq!(r.ok(), format!("Deleted Networks:\n{net}\n\n"));
    assert_eq!(sb.sh("network prune -f").ok(), "");
    sb.sh("network prune -f --filter dangling=true")
        .fails(1, "invalid filter 'dangling'");

    let now = chrono::Utc::now();
    let until = format!("{}.{:09}", now.timestamp(), now.timestamp_subsec_nanos());
    let events = sb.sh(&format!(
        "events --since 0 --until {until} --filter event=prune"
    ));
    assert_eq!(events.ok().lines().count(), 5, "{events:?}");
}

#[test]
fn system_prune_and_df() {
    let sb = Sandbox::new();
    let [stopped, running] = ["stopped", "running"].map(unique_name);
    sb.sh(&format!("run --network none --name {stopped} busybox true"))
        .ok();
    sb.sh(&format!(
        "run -d --network none --name {running} busybox sleep 1000"
    ))
    .ok();
    let net = unique_name("n");
    sb.sh(&format!("network create {net}")).ok();

    let df = sb.sh("system df").ok().to_owned();
    let lines: Vec<&str> = df.lines().collect();
    assert_eq!(
        lines[0],
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE"
    );
    assert!(
        lines[1].starts_with("Images          1         1         "),
        "{df}"
    );
    assert!(
        lines[2].starts_with("Containers      2         1         0B"),
        "{df}"
    );
    assert_eq!(lines[3], "Local Volumes   0         0         0B        0B");
    assert_eq!(lines[4], "Build Cache     0         0         0B        0B");
    let verbose = sb.sh("system df -v").ok().to_owned();
    for heading in [
        "Images space usage:\n\nREPOSITORY   TAG       IMAGE ID       CREATED",
        "SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS\nbusybox      latest",
        "\n\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND   ",
        "   LOCAL VOLUMES   SIZE      CREATED ",
        "\n\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n\nBuild cache usage: 0B\n",
    ] {
        assert!(verbose.contains(heading), "{heading:?} in\n{verbose}");
    }
    assert!(verbose.contains(&running) && verbose.contains(&stopped));

    let stopped_id = sb.id_of(&stopped);
    let r = sb.sh("system prune");
    assert!(r
        .ok()
        .starts_with("WARNING! This will remove:\n  - all stopped containers\n"));
    assert_eq!(names(&sb).len(), 2, "not confirmed: nothing removed");
    let volume = unique_name("v");
    sb.sh(&format!("volume create {volume}")).ok();
    let df = sb.sh("system df").ok().to_owned();
    assert!(
        df.contains("Local Volumes   1         0         0B        0B"),
        "{df}"
    );
    let verbose = sb.sh("system df -v").ok().to_owned();
    assert!(
        verbose.contains("VOLUME NAME") && verbose.contains(&volume),
        "{verbose}"
    );
    sb.sh("system prune -f --volumes --filter until=1h").fails(
        1,
        "The \"until\" filter is not supported with \"--volumes\"",
    );
    let r = sb.sh("system prune -f");
    assert_eq!(
        r.ok(),
        format!(
            "Deleted Containers:\n{}\n\nDeleted Networks:\n{net}\n\nTotal reclaimed space: 0B\n",
            stopped_id
        )
    );
    assert_eq!(names(&sb), [running]);
}

#[test]
fn info_has_dockers_fields() {
    let sb = Sandbox::new();
    let name = unique_name("c");
    sb.sh(&format!("create --network none --name {name} busybox true"))
        .ok();
    let info = sb.sh("info").ok().to_owned();
    for field in [
        "Server:\n Containers: 1\n  Running: 0\n  Paused: 0\n  Stopped: 1\n Images: 1\n Server Version: ",
        "\n Storage Driver: overlay\n Logging Driver: json-file\n Cgroup Driver: cgroupfs\n Cgroup Version: ",
        "\n Kernel Version: ",
        "\n Operating System: ",
        "\n OSType: linux\n Architecture: ",
        "\n CPUs: ",
        "\n Total Memory: ",
        "\n Name: ",
        "\n ID: ",
        "\n Docker Root Dir: ",
    ] {
        assert!(info.contains(field), "{field:?} in\n{info}");
    }
    let ncpu = sb.sh("info --format {{.NCPU}}").ok().trim().to_owned();
    assert_eq!(
        ncpu,
        std::thread::available_parallelism().unwrap().to_string()
    );
    let id = sb.sh("system info --format {{.ID}}").ok().trim().to_owned();
    assert_eq!(id.split(':').count(), 12, "{id}");
}
