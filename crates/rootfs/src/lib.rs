//! Builds a container's root filesystem from the OCI spec inside its new mount namespace: mounts, devices, masked paths, pivot_root.
