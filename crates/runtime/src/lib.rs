//! OCI runtime library: turns an OCI bundle (config.json + rootfs) into an isolated, limited process and a state record.
