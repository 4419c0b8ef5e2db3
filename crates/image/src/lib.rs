//! Image store: content-addressed blobs, unpacked layers, archives (docker-archive, OCI layout, flat rootfs), commit, overlay rootfs.
