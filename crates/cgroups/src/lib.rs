//! cgroups v1 and v2 behind one interface: create, join, limit, freeze, read stats, destroy.
