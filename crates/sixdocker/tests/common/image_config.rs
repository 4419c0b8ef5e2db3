//! Images with a changed config (`VOLUME`s, say) made as a user without a builder would:
//! `save` an image, rewrite its config JSON, `load` the archive back under a new name.
#![allow(dead_code)]

use sha2::Digest;

use super::Sandbox;

/// Loads `base` with `change` applied to its config JSON as image `name`.
pub fn image_with_config(
    sb: &Sandbox,
    base: &str,
    name: &str,
    change: impl FnOnce(&mut serde_json::Value),
) {
    let saved = sb.dir.path().join(format!("{name}-base.tar"));
    sb.run(["save", "-o", saved.to_str().unwrap(), base]).ok();
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let mut archive = tar::Archive::new(std::fs::File::open(&saved).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        entries.push((path, data));
    }
    let find = |p: &str| entries.iter().find(|(n, _)| n == p).map(|(_, d)| d.clone());
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&find("manifest.json").expect("manifest.json")).unwrap();
    let config_name = manifest[0]["Config"].as_str().unwrap().to_owned();
    let mut config: serde_json::Value =
        serde_json::from_slice(&find(&config_name).expect("the config")).unwrap();
    change(&mut config);
    let config_bytes = serde_json::to_vec(&config).unwrap();
    let new_config = format!("{}.json", hex(&sha2::Sha256::digest(&config_bytes)));
    manifest[0]["Config"] = new_config.clone().into();
    manifest[0]["RepoTags"] = serde_json::json!([format!("{name}:latest")]);
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, data).unwrap();
    };
    for (path, data) in &entries {
        if path != "manifest.json" && *path != config_name {
            add(path, data);
        }
    }
    add(&new_config, &config_bytes);
    add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let archive = sb.dir.path().join(format!("{name}.tar"));
    std::fs::write(&archive, b.into_inner().unwrap()).unwrap();
    sb.run(["load", "-i", archive.to_str().unwrap()]).ok();
    let _ = std::fs::remove_file(saved);
    let _ = std::fs::remove_file(archive);
}

/// Image `name`: busybox after `script`, with `VOLUME`s at `volumes`.
pub fn image_with_volumes(sb: &Sandbox, name: &str, script: &str, volumes: &[&str]) {
    let base = format!("{name}-base");
    sb.image_from_script(&base, script);
    image_with_config(sb, &base, name, |c| {
        let map: serde_json::Map<String, serde_json::Value> = volumes
            .iter()
            .map(|v| ((*v).to_owned(), serde_json::json!({})))
            .collect();
        c["config"]["Volumes"] = serde_json::Value::Object(map);
    });
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
