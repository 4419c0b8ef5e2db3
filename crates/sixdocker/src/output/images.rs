//! Image output: `images` rows with Docker's template fields (REPOSITORY, TAG, IMAGE ID,
//! CREATED, SIZE by default). The image's `inspect` document is six-engine's.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use six_gotemplate::{Struct, Value};
use six_image::{HistoryEntry, Image};

use super::human;

/// `images`' default tables (docker/cli's defaultImageTableFormat, ...WithDigest).
pub const IMAGES_TABLE: &str = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
pub const IMAGES_TABLE_WITH_DIGEST: &str = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";

/// The column titles of `images`' fields.
pub fn images_headers() -> Value {
    Value::map([
        ("ID", "IMAGE ID"),
        ("Repository", "REPOSITORY"),
        ("Tag", "TAG"),
        ("Digest", "DIGEST"),
        ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"),
        ("Size", "SIZE"),
        ("Containers", "CONTAINERS"),
        ("VirtualSize", "SIZE"),
        ("SharedSize", "SHARED SIZE"),
        ("UniqueSize", "UNIQUE SIZE"),
    ])
}

/// The rows of one image, as Docker makes them: one per repository and tag (a tag once per
/// digest of its repository when `digests`), one per digest-only repository, or one
/// `<none>` row for a dangling image. `repo_digests` are "repo@sha256:...".
pub fn image_rows(
    image: &Image,
    repo_digests: &[String],
    digests: bool,
    trunc: bool,
    now: DateTime<Utc>,
) -> Vec<Value> {
    let row =
        |repo: &str, tag: &str, digest: &str| image_row(image, repo, tag, digest, trunc, now, None);
    if image.repo_tags.is_empty() && repo_digests.is_empty() {
        return vec![row("<none>", "<none>", "<none>")];
    }
    let mut by_repo: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in repo_digests {
        if let Some((repo, digest)) = d.split_once('@') {
            by_repo
                .entry(repo.to_owned())
                .or_default()
                .push(digest.to_owned());
        }
    }
    let mut rows = Vec::new();
    let pairs = if image.repo_tags.is_empty() {
        Vec::new()
    } else {
        image.repo_tag_pairs()
    };
    let tagged: std::collections::BTreeSet<String> = pairs.iter().map(|(r, _)| r.clone()).collect();
    for (repo, tag) in &pairs {
        match by_repo.get(repo).filter(|_| digests) {
            Some(list) if !list.is_empty() => {
                rows.extend(list.iter().map(|d| row(repo, tag, d)));
            }
            _ => rows.push(row(repo, tag, "<none>")),
        }
    }
    for (repo, list) in by_repo.iter().filter(|(r, _)| !tagged.contains(*r)) {
        if digests {
            rows.extend(list.iter().map(|d| row(repo, "<none>", d)));
        } else {
            rows.push(row(repo, "<none>", ""));
        }
    }
    rows
}

/// `system df -v`'s rows of an image: one per repository and tag (`<none>` when untagged),
/// with how many containers use it and the bytes it shares with other images.
pub fn usage_rows(u: &six_engine::ImageUsage, now: DateTime<Utc>) -> Vec<Value> {
    let usage = Some((u.containers, u.shared_size));
    let pairs = match u.image.repo_tags.is_empty() {
        true => vec![("<none>".to_owned(), "<none>".to_owned())],
        false => u.image.repo_tag_pairs(),
    };
    pairs
        .iter()
        .map(|(repo, tag)| image_row(&u.image, repo, tag, "", false, now, usage))
        .collect()
}

/// One row; `usage` (containers, shared bytes) fills Containers, SharedSize and UniqueSize,
/// "N/A" without it, as Docker shows them outside `system df`.
fn image_row(
    image: &Image,
    repo: &str,
    tag: &str,
    digest: &str,
    trunc: bool,
    now: DateTime<Utc>,
    usage: Option<(usize, u64)>,
) -> Value {
    let (containers, shared, unique) = match usage {
        Some((containers, shared)) => (
            containers.to_string(),
            human::size_with_precision(shared, 4),
            human::size_with_precision(image.size.saturating_sub(shared), 4),
        ),
        None => ("N/A".into(), "N/A".into(), "N/A".into()),
    };
    let age = (now - image.created).to_std().unwrap_or_default();
    let id = if trunc {
        human::short_id(&image.id).to_owned()
    } else {
        format!("sha256:{}", image.id)
    };
    // Fields in name order: Docker's MarshalJSON sorts them.
    Struct::formatter_context("*formatter.imageContext")
        .field("Containers", containers)
        .field("CreatedAt", human::go_time(image.created))
        .field("CreatedSince", format!("{} ago", human::duration(age)))
        .field("Digest", digest)
        .field("ID", id)
        .field("Repository", repo)
        .field("SharedSize", shared)
        .field("Size", human::size(image.size))
        .field("Tag", tag)
        .field("UniqueSize", unique)
        .field("VirtualSize", human::size_with_precision(image.size, 4))
        .into()
}

/// `history`'s default tables (docker/cli's defaultHistoryTableFormat and, for -H=false,
/// nonHumanHistoryTableFormat).
pub const HISTORY_TABLE: &str =
    "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
pub const HISTORY_TABLE_NOT_HUMAN: &str =
    "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

/// The column titles of `history`'s fields.
pub fn history_headers() -> Value {
    Value::map([
        ("ID", "IMAGE"),
        ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"),
        ("CreatedBy", "CREATED BY"),
        ("Size", "SIZE"),
        ("Comment", "COMMENT"),
    ])
}

/// One `history` row with Docker's fields (a `historyContext`).
pub fn history_row(h: &HistoryEntry, trunc: bool, human_units: bool, now: DateTime<Utc>) -> Value {
    let created = h.created.unwrap_or_default();
    let created_at = created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // Docker shows no age for a date before 2000 (an unset one).
    let since = match (human_units, created.timestamp() > 946_684_800) {
        (false, _) => created_at.clone(),
        (true, false) => String::new(),
        (true, true) => format!(
            "{} ago",
            human::duration((now - created).to_std().unwrap_or_default())
        ),
    };
    let created_by = h.created_by.replace('\t', " ");
    let (id, created_by) = if trunc {
        (
            human::short_id(&h.id).to_owned(),
            human::ellipsis(&created_by, 45),
        )
    } else {
        (h.id.clone(), created_by)
    };
    let size = if human_units {
        human::size(h.size)
    } else {
        h.size.to_string()
    };
    Struct::formatter_context("*image.historyContext")
        .field("Comment", h.comment.as_str())
        .field("CreatedAt", created_at)
        .field("CreatedBy", created_by)
        .field("CreatedSince", since)
        .field("ID", id)
        .field("Size", size)
        .into()
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
            parent: None,
        }
    }

    fn render(format: &str, rows: &[Value]) -> String {
        six_gotemplate::docker::Format::new(format, IMAGES_TABLE)
            .unwrap()
            .render(rows, &images_headers())
            .unwrap()
    }

    #[test]
    fn one_row_per_tag_and_none_for_dangling() {
        let now = DateTime::from_timestamp(1_000_000 + 3 * 3600, 0).unwrap();
        let mut rows = image_rows(
            &image(&["busybox:latest", "mine:v1"]),
            &[],
            false,
            true,
            now,
        );
        rows.extend(image_rows(&image(&[]), &[], false, true, now));
        let text = render("", &rows);
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
    fn digests_as_docker_shows_them() {
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let digest = format!("sha256:{}", "c".repeat(64));
        let pulled = [format!("busybox@{digest}"), format!("other@{digest}")];
        let rows = image_rows(&image(&["busybox:latest"]), &pulled, true, true, now);
        assert_eq!(
            render("{{.Repository}} {{.Tag}} {{.Digest}}", &rows),
            format!("busybox latest {digest}\nother <none> {digest}\n")
        );
        let rows = image_rows(&image(&["busybox:latest"]), &pulled, false, false, now);
        assert_eq!(
            render(
                "{{.Repository}} {{.Tag}} [{{.Digest}}] {{.ID}} {{.VirtualSize}}",
                &rows
            ),
            format!(
                "busybox latest [<none>] sha256:{} 4.263MB\nother <none> [] sha256:{} 4.263MB\n",
                "a".repeat(64),
                "a".repeat(64)
            )
        );
    }
}
