//! The container engine: names and IDs, container records, lifecycle, monitor, logs; turns a run request into image + network + OCI spec.
