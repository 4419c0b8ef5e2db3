/* Which functions of an executable a program runs, exactly and natively: runs a command under
 * ptrace, follows every process and thread it forks, clones or execs
 * (PTRACE_O_TRACEFORK|VFORK|CLONE|EXEC), and in each process whose image is the given static
 * ELF executable (compared by content, so the sealed copy or overlay view of it counts too)
 * puts a breakpoint (int3) on the first byte of every function of its symbol table
 * (STT_FUNC, STT_GNU_IFUNC). A breakpoint hit records the function, puts the original byte
 * back (in that process; forked children keep their own copy of the code) and lets the
 * process go on from the function's start. Any other image (a shell, the container's own
 * program after its execve) just runs. So each function costs one trap per process, however
 * often it runs: a container's whole create-to-delete cycle takes seconds, where
 * single-stepping its millions of instructions took many minutes on this VM (whose
 * hypervisor does not honour the branch-step flag, PTRACE_SINGLEBLOCK).
 * Writes the start address of each function that ran, one per line in hex, in the order they
 * first ran. Used by scripts/sixrun-hot-text.sh, which builds it with gcc.
 * Usage: trace-code EXECUTABLE OUT -- COMMAND [ARG...] */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static const unsigned char *image; /* the executable's bytes */
static size_t image_len;
static uint64_t text_lo, text_hi, text_off; /* its executable PT_LOAD: [lo, hi), file offset */
static uint64_t *funcs;                     /* function start addresses, sorted, distinct */
static size_t funcs_len;
static uint8_t *ran;                        /* per function: recorded yet */
static uint64_t *order;                     /* functions in the order they first ran */
static size_t order_len;

#define MAX_PID (1 << 22)
static uint8_t traced_image[MAX_PID]; /* per pid: 0 not yet seen, 1 other image, 2 ours */

/* Images already compared, by device and inode. */
static struct { dev_t dev; ino_t ino; int same; } known[256];
static int known_len;

static void die(const char *what) {
  perror(what);
  exit(2);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void load_image(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) die(path);
  struct stat st;
  if (fstat(fd, &st) < 0) die("fstat");
  image_len = st.st_size;
  image = mmap(NULL, image_len, PROT_READ, MAP_PRIVATE, fd, 0);
  if (image == MAP_FAILED) die("mmap");
  close(fd);
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
  if (image_len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_type != ET_EXEC) {
    fprintf(stderr, "%s: not an ELF executable at a fixed address\n", path);
    exit(2);
  }
  for (int i = 0; i < eh->e_phnum; i++) {
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(image + eh->e_phoff + i * eh->e_phentsize);
    if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
      if (text_hi != 0) {
        fprintf(stderr, "%s: more than one executable segment\n", path);
        exit(2);
      }
      text_lo = ph->p_vaddr;
      text_hi = ph->p_vaddr + ph->p_filesz;
      text_off = ph->p_offset;
    }
  }
  if (text_hi == 0) {
    fprintf(stderr, "%s: no executable segment\n", path);
    exit(2);
  }
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(image + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_SYMTAB) continue;
    const Elf64_Sym *syms = (const Elf64_Sym *)(image + sh[i].sh_offset);
    size_t n = sh[i].sh_size / sizeof *syms;
    funcs = malloc(n * sizeof *funcs);
    if (!funcs) die("malloc");
    for (size_t j = 0; j < n; j++) {
      int type = ELF64_ST_TYPE(syms[j].st_info);
      uint64_t a = syms[j].st_value;
      if ((type == STT_FUNC || type == STT_GNU_IFUNC) && a >= text_lo && a < text_hi &&
          image[text_off + (a - text_lo)] != 0xcc)
        funcs[funcs_len++] = a;
    }
  }
  if (funcs_len == 0) {
    fprintf(stderr, "%s: no function symbols (stripped?)\n", path);
    exit(2);
  }
  qsort(funcs, funcs_len, sizeof *funcs, cmp_u64);
  size_t k = 0;
  for (size_t j = 0; j < funcs_len; j++)
    if (k == 0 || funcs[j] != funcs[k - 1]) funcs[k++] = funcs[j];
  funcs_len = k;
  ran = calloc(funcs_len, 1);
  order = malloc(funcs_len * sizeof *order);
  if (!ran || !order) die("calloc");
}

/* Whether `pid`'s current image is the executable (by content). */
static int runs_image(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  struct stat st;
  if (stat(path, &st) < 0) return 0;
  for (int i = 0; i < known_len; i++)
    if (known[i].dev == st.st_dev && known[i].ino == st.st_ino) return known[i].same;
  int same = 0;
  if ((size_t)st.st_size == image_len) {
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
      void *m = mmap(NULL, image_len, PROT_READ, MAP_PRIVATE, fd, 0);
      if (m != MAP_FAILED) {
        same = memcmp(m, image, image_len) == 0;
        munmap(m, image_len);
      }
      close(fd);
    }
  }
  if (known_len < 256) {
    known[known_len].dev = st.st_dev;
    known[known_len].ino = st.st_ino;
    known[known_len].same = same;
    known_len++;
  }
  return same;
}

static int write_mem(pid_t pid, uint64_t at, const void *buf, size_t len) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", pid);
  int fd = open(path, O_RDWR);
  if (fd < 0) return -1;
  ssize_t n = pwrite(fd, buf, len, (off_t)at);
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
}

/* Breakpoints on every function of a process that has just exec'd the image (its code is
 * still the file's): one write of the whole code segment with int3 at each function start. */
static void arm(pid_t pid) {
  size_t len = text_hi - text_lo;
  unsigned char *code = malloc(len);
  if (!code) die("malloc");
  memcpy(code, image + text_off, len);
  for (size_t i = 0; i < funcs_len; i++) code[funcs[i] - text_lo] = 0xcc;
  if (write_mem(pid, text_lo, code, len) < 0) {
    fprintf(stderr, "trace-code: writing the breakpoints into %d: %s\n", pid, strerror(errno));
    exit(2);
  }
  free(code);
}

/* A SIGTRAP of `pid`: if it is one of the breakpoints, records the function, puts its byte
 * back and moves the process back to it. Returns 0 if the trap was not a breakpoint. */
static int hit(pid_t pid) {
  struct user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0) return 0;
  uint64_t a = regs.rip - 1;
  if (a < text_lo || a >= text_hi) return 0;
  uint64_t *f = bsearch(&a, funcs, funcs_len, sizeof *funcs, cmp_u64);
  if (!f) return 0;
  size_t i = f - funcs;
  if (!ran[i]) {
    ran[i] = 1;
    order[order_len++] = a;
  }
  if (write_mem(pid, a, image + text_off + (a - text_lo), 1) < 0) {
    fprintf(stderr, "trace-code: restoring %lx in %d: %s\n", (unsigned long)a, pid,
            strerror(errno));
    exit(2);
  }
  regs.rip = a;
  if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0) die("PTRACE_SETREGS");
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: trace-code EXECUTABLE OUT -- COMMAND [ARG...]\n");
    return 2;
  }
  load_image(argv[1]);
  pid_t root = fork();
  if (root < 0) die("fork");
  if (root == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    execvp(argv[4], argv + 4);
    _exit(127);
  }
  int status;
  if (waitpid(root, &status, 0) < 0) die("waitpid");
  long opts = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
              PTRACE_O_TRACEEXEC;
  if (ptrace(PTRACE_SETOPTIONS, root, 0, (void *)opts) < 0) die("PTRACE_SETOPTIONS");
  traced_image[root] = 1;
  ptrace(PTRACE_CONT, root, 0, 0);
  unsigned long traps = 0, images = 0;
  int root_status = 0;
  for (;;) {
    pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      die("waitpid");
    }
    if (pid >= MAX_PID) {
      fprintf(stderr, "trace-code: pid %d is above %d\n", pid, MAX_PID);
      return 2;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      traced_image[pid] = 0;
      if (pid == root) {
        root_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      continue;
    }
    if (!WIFSTOPPED(status)) continue;
    int sig = WSTOPSIG(status);
    int event = status >> 16;
    if (traced_image[pid] == 0) {
      /* A new process or thread (its code is its parent's, breakpoints and all): its first
       * stop is the SIGSTOP of the automatic attach. */
      traced_image[pid] = runs_image(pid) ? 2 : 1;
      ptrace(PTRACE_CONT, pid, 0, (void *)(long)(sig == SIGSTOP ? 0 : sig));
      continue;
    }
    if (sig == SIGTRAP && event != 0) {
      if (event == PTRACE_EVENT_EXEC) {
        traced_image[pid] = runs_image(pid) ? 2 : 1;
        if (traced_image[pid] == 2) {
          arm(pid);
          images++;
        }
      }
      ptrace(PTRACE_CONT, pid, 0, 0);
      continue;
    }
    if (sig == SIGTRAP && traced_image[pid] == 2 && hit(pid)) {
      traps++;
      ptrace(PTRACE_CONT, pid, 0, 0);
      continue;
    }
    ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
  }
  FILE *out = fopen(argv[2], "w");
  if (!out) die(argv[2]);
  for (size_t i = 0; i < order_len; i++) fprintf(out, "%lx\n", (unsigned long)order[i]);
  if (fclose(out) != 0) die(argv[2]);
  fprintf(stderr,
          "trace-code: %lu images armed, %lu breakpoints hit, %zu of %zu functions ran; the "
          "command exited %d\n",
          images, traps, order_len, funcs_len, root_status);
  return root_status;
}
