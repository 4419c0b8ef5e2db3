//! `diff` through the real `sixdocker`: Docker's A/C/D lines for what a container changed,
//! nothing for what every container gets (/etc/hosts and the like), exit 1 for no container.

mod common;

use common::{unique_name, Sandbox};

fn diff_after(sb: &Sandbox, run_flags: &[&str], script: &str) -> String {
    let name = unique_name("diff");
    let mut args = vec!["run", "--name", &name, "--network", "none"];
    args.extend_from_slice(run_flags);
    args.extend_from_slice(&["busybox", "sh", "-c", script]);
    sb.run(args).ok();
    sb.run(["diff", &name]).ok().to_owned()
}

#[test]
fn diff_lists_added_changed_and_deleted_paths_as_docker() {
    let sb = Sandbox::new();
    assert_eq!(
        diff_after(&sb, &[], "true"),
        "",
        "a container that changed nothing"
    );
    assert_eq!(
        diff_after(&sb, &[], "echo y >> /etc/passwd"),
        "C /etc\nC /etc/passwd\n"
    );
    let script = "rm /bin/ls; mkdir -p /root/a/b; echo x > /tmp/new; ln -s /x /lnk; \
                  rm -rf /home && mkdir /home && touch /home/only";
    let out = diff_after(&sb, &["-v", "/newvol", "--tmpfs", "/tt"], script);
    assert_eq!(
        out,
        "C /bin\nD /bin/ls\nD /home\nA /home/only\nA /lnk\nA /newvol\nC /root\nA /root/a\n\
         A /root/a/b\nC /tmp\nA /tmp/new\nA /tt\n"
    );
    let stopped = unique_name("created");
    sb.run(["create", "--name", &stopped, "busybox", "true"])
        .ok();
    assert_eq!(sb.run(["container", "diff", &stopped]).ok(), "");
    sb.sh("diff nope").fails(1, "no such container: nope");
}
