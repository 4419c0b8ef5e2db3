//! `docker system df`: what images, containers (and their writable layers) take on disk, as
//! Docker's daemon counts it: layers shared by several images once, an image's shared size
//! the part of it other images use too, a container's size its overlay upper dir, a volume's the
//! files in it. Reads the store and walks those dirs; starts no process.

use std::collections::HashMap;

use chrono::Utc;

use crate::engine::Engine;
use crate::error::Result;
use crate::record::Status;
use crate::request::ContainerSummary;

/// Everything `system df` shows.
#[derive(Debug, Clone)]
pub struct DiskUsage {
    /// Every layer of the store once.
    pub layers_size: u64,
    /// Each image.
    pub images: Vec<ImageUsage>,
    /// Each container.
    pub containers: Vec<ContainerUsage>,
    /// Each volume, by name.
    pub volumes: Vec<VolumeUsage>,
}

/// One volume's share of the disk.
#[derive(Debug, Clone)]
pub struct VolumeUsage {
    /// The volume.
    pub volume: crate::Volume,
    /// Containers (running or not) that use it (Docker's LINKS).
    pub containers: usize,
    /// The bytes of its files.
    pub size: u64,
}

/// One image's share of the disk.
#[derive(Debug, Clone)]
pub struct ImageUsage {
    /// The image.
    pub image: six_image::Image,
    /// The bytes of its layers that other images share (its unique size: size - shared).
    pub shared_size: u64,
    /// Containers made from it, running or not.
    pub containers: usize,
}

/// One container's share of the disk.
#[derive(Debug, Clone)]
pub struct ContainerUsage {
    /// Its `ps` row.
    pub summary: ContainerSummary,
    /// The bytes it wrote (Docker's SizeRw).
    pub size_rw: u64,
    /// Running, paused or restarting (Docker's "active").
    pub active: bool,
}

impl Engine {
    /// `docker system df [-v]`.
    pub fn disk_usage(&self) -> Result<DiskUsage> {
        let images = self.images.list()?;
        let mut users: HashMap<&str, usize> = HashMap::new();
        for image in &images {
            for layer in &image.layers {
                *users.entry(layer.as_str()).or_default() += 1;
            }
        }
        let size_of = |layer: &str| {
            six_image::Digest::parse(layer)
                .ok()
                .and_then(|d| self.images.layer_size(&d))
                .unwrap_or(0)
        };
        let sizes: HashMap<&str, u64> = users.keys().map(|l| (*l, size_of(l))).collect();
        let records = self.records()?;
        let mut per_image: HashMap<&str, usize> = HashMap::new();
        for (config, _) in &records {
            *per_image.entry(config.image_id.as_str()).or_default() += 1;
        }
        let image_usage = images
            .iter()
            .map(|image| ImageUsage {
                shared_size: image
                    .layers
                    .iter()
                    .filter(|l| users.get(l.as_str()).copied().unwrap_or(0) > 1)
                    .map(|l| sizes.get(l.as_str()).copied().unwrap_or(0))
                    .sum(),
                containers: per_image.get(image.id.as_str()).copied().unwrap_or(0),
                image: image.clone(),
            })
            .collect();
        let now = Utc::now();
        let containers = records
            .iter()
            .map(|(config, state)| ContainerUsage {
                summary: crate::info::summary(config, state, now),
                size_rw: crate::info::tree_bytes(&self.rootfs_mount(&config.id).upper),
                active: matches!(state.status, Status::Running | Status::Restarting),
            })
            .collect();
        let store = self.volume_store();
        let volumes = self
            .volumes()?
            .into_iter()
            .map(|v| VolumeUsage {
                size: store.size(&v.volume.name),
                containers: v.containers,
                volume: v.volume,
            })
            .collect();
        Ok(DiskUsage {
            layers_size: sizes.values().sum(),
            images: image_usage,
            containers,
            volumes,
        })
    }
}
