//! The one-line help of every command that has two spellings: a top-level one (`ps`, `rmi`,
//! `info`) and one in Docker's command groups (`container ls`, `image rm`, `system info`). Both
//! spellings take their `about` from here, so `--help`, the man pages and the completions say
//! the same of both, and a change to one is a change to the other.

/// `run`.
pub const RUN: &str = "Create and start a container (`run IMAGE [CMD...]`, or `run [FLAGS] -- CMD...` on the default image)";
/// `create`.
pub const CREATE: &str = "Create a container without starting it";
/// `ps`, `container ls`.
pub const PS: &str = "List containers";
/// `logs`.
pub const LOGS: &str = "Print a container's output";
/// `exec`.
pub const EXEC: &str =
    "Run a command in a running container (a terminal only with -t, stdin only with -i)";
/// `start`.
pub const START: &str = "Start stopped containers";
/// `attach`.
pub const ATTACH: &str =
    "Attach to a running container's output (and stdin, if it was started with -i)";
/// `stop`.
pub const STOP: &str = "Stop running containers (SIGTERM, then SIGKILL after the timeout)";
/// `restart`.
pub const RESTART: &str = "Restart containers";
/// `kill`.
pub const KILL: &str = "Send a signal to running containers";
/// `pause`.
pub const PAUSE: &str = "Freeze every process of running containers";
/// `unpause`.
pub const UNPAUSE: &str = "Thaw paused containers";
/// `rename`.
pub const RENAME: &str = "Rename a container";
/// `update`.
pub const UPDATE: &str = "Change the resource limits or restart policy of containers";
/// `rm`.
pub const RM: &str = "Remove containers";
/// `wait`.
pub const WAIT: &str = "Wait for containers to stop and print their exit codes";
/// `top`.
pub const TOP: &str = "Show the processes of a container";
/// `stats`.
pub const STATS: &str = "Show resource usage of containers";
/// `commit`.
pub const COMMIT: &str = "Make an image from a container's changes (`commit CONTAINER [REPO[:TAG]]` or `commit -n CONTAINER -t IMAGE`)";
/// `build`, `image build`.
pub const BUILD: &str =
    "Build an image from a Dockerfile and a context (a directory, a tar file, or - for stdin)";
/// `images`, `image ls`.
pub const IMAGES: &str = "List images";
/// `rmi`, `image rm`.
pub const RMI: &str = "Remove images";
/// `tag`.
pub const TAG: &str = "Give an image another name";
/// `import`.
pub const IMPORT: &str = "Make an image from a root filesystem tarball (a file, or - for stdin)";
/// `export`.
pub const EXPORT: &str = "Write a container's filesystem as a tar archive";
/// `cp`.
pub const CP: &str = "Copy files between a container and the host (or a tar on stdin/stdout)";
/// `diff`.
pub const DIFF: &str =
    "List what a container changed in its file system (A added, C changed, D deleted)";
/// `load`.
pub const LOAD: &str = "Load images from a docker-archive or OCI archive";
/// `save`.
pub const SAVE: &str = "Save images to a docker-archive";
/// `pull`.
pub const PULL: &str = "Download an image from a registry";
/// `push`.
pub const PUSH: &str = "Upload an image to a registry";
/// `info`.
pub const INFO: &str = "Show system-wide information";
/// `history`.
pub const HISTORY: &str = "Show an image's steps";
/// `events`.
pub const EVENTS: &str =
    "Show what happens to containers, images and networks (live, or --since/--until)";
/// `port`.
pub const PORT: &str = "List a container's published ports";
