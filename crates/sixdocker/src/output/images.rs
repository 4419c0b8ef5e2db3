//! Image output: the `images` table (REPOSITORY, TAG, IMAGE ID, CREATED, SIZE) and the
//! JSON object `inspect` prints for an image.

use chrono::{DateTime, Utc};
use six_image::Image;

use super::human;
use super::table::Table;

pub fn images_table(images: &[Image], now: DateTime<Utc>) -> Table {
    let mut table = Table::new(&["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]);
    for image in images {
        let age = (now - image.created).to_std().unwrap_or_default();
        for (repo, tag) in image.repo_tag_pairs() {
            table.row(vec![
                repo,
                tag,
                human::short_id(&image.id).to_owned(),
                format!("{} ago", human::duration(age)),
                human::size(image.size),
            ]);
        }
    }
    table
}

/// A Docker-like `inspect` object for an image; `repo_digests` are its "repo@sha256:…"
/// names from pulls and pushes.
pub fn inspect_json(image: &Image, repo_digests: &[String]) -> serde_json::Value {
    serde_json::json!({
        "Id": format!("sha256:{}", image.id),
        "RepoTags": image.repo_tags,
        "RepoDigests": repo_digests,
        "Created": image.created.to_rfc3339(),
        "Size": image.size,
        "Config": {
            "Env": image.config.env,
            "Cmd": image.config.cmd,
            "Entrypoint": image.config.entrypoint,
            "WorkingDir": image.config.working_dir.clone().unwrap_or_default(),
            "User": image.config.user.clone().unwrap_or_default(),
            "ExposedPorts": image.config.exposed_ports,
            "Labels": image.config.labels,
        },
        "RootFS": { "Type": "layers", "Layers": image.layers },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(tags: &[&str]) -> Image {
        Image {
            id: "a".repeat(64),
            repo_tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            config: Default::default(),
            created: DateTime::from_timestamp(1_000_000, 0).unwrap(),
            size: 4_263_200,
            layers: vec!["sha256:bb".into()],
        }
    }

    #[test]
    fn one_row_per_tag_and_none_for_dangling() {
        let now = DateTime::from_timestamp(1_000_000 + 3 * 3600, 0).unwrap();
        let mut out = Vec::new();
        images_table(&[image(&["busybox:latest", "mine:v1"]), image(&[])], now)
            .write(&mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE"
        );
        assert_eq!(
            lines[1],
            "busybox      latest    aaaaaaaaaaaa   3 hours ago   4.26MB"
        );
        assert_eq!(
            lines[2],
            "mine         v1        aaaaaaaaaaaa   3 hours ago   4.26MB"
        );
        assert_eq!(
            lines[3],
            "<none>       <none>    aaaaaaaaaaaa   3 hours ago   4.26MB"
        );
    }

    #[test]
    fn inspect_has_dockers_keys() {
        let digest = format!("busybox@sha256:{}", "c".repeat(64));
        let v = inspect_json(&image(&["busybox:latest"]), std::slice::from_ref(&digest));
        assert_eq!(v["Id"], format!("sha256:{}", "a".repeat(64)));
        assert_eq!(v["RepoTags"][0], "busybox:latest");
        assert_eq!(v["RepoDigests"][0], digest.as_str());
        assert_eq!(v["RootFS"]["Layers"][0], "sha256:bb");
    }
}
