/*
 * posix_lock.c -- the folder lock protocol, for the posix backend (native, WASI, Emscripten).
 * bindings/js/src/node_host.js implements the same protocol for the Node host; docs/LOCKING.md
 * is the same text with the reasons.
 *
 * The lock of a database is the file <dir>/LOCK holding one record (lock_record.h): runtime,
 * pid, process start time, host, when taken, a token, a CRC-32. Every runtime follows these
 * rules, so each one sees the others' locks:
 *
 *  1. Publish atomically. The record is written to a private file LOCK.<token>.tmp, which is
 *     then hard-linked to LOCK: link() fails with EEXIST when LOCK exists, so exactly one
 *     opener wins, and LOCK is never seen half-written. (Natively the private file is first
 *     flock()ed LOCK_EX, so the published LOCK is under the OS lock from its first moment.)
 *     Without hard links (Emscripten's file systems, FAT), LOCK is created with O_EXCL and
 *     then written: a reader may see it empty for a moment, judges it damaged and fresh, and
 *     refuses (never reclaims) it.
 *  2. On EEXIST, judge the LOCK that is there:
 *       - native only: flock(LOCK_SH | LOCK_NB) fails -> a native process holds it, whatever the
 *         record says (even a damaged one): STRATA_LOCKED. The kernel drops it when that dies.
 *       - a record held by this process (same pid, start and host) -> STRATA_LOCKED "another
 *         handle in this process".
 *       - a record of another host, a pid of 0, or a reader that cannot check processes
 *         (WASI without its host's /proc, Emscripten outside Node) -> STRATA_LOCKED naming the
 *         holder and saying to remove LOCK if no process uses the database. (WASI sees processes
 *         through a /proc its host preopened and vouched for: wasi_sees_processes.)
 *       - same host, and the process is gone (kill(pid, 0) fails with ESRCH), or the pid now
 *         belongs to a process with another start time, or (native) a native record whose
 *         flock is free -> stale: reclaim (3), then publish again.
 *       - otherwise the holder is alive: STRATA_LOCKED naming it.
 *       - not a record (damaged): if the file was modified less than LOCK_DAMAGED_GRACE_S ago,
 *         STRATA_LOCKED saying so and when it will be taken over; older -> reclaim. No holder
 *         ever leaves LOCK unparseable (rule 1), so a damaged file comes from a crash of the
 *         machine or from outside; the grace only covers a record being damaged right now.
 *  3. Reclaim. Only the holder removes its own LOCK, and a reclaimer removes one it judged
 *     stale only under the reclaim mutex LOCK.reclaim (exclusive create; one older than
 *     LOCK_RECLAIM_STALE_S is the leftover of a reclaimer that died and is removed): under it,
 *     LOCK is read again and must still be the same bytes; it is renamed to LOCK.<token>.stale,
 *     read once more (a reclaimer that paused past the mutex's age could otherwise remove a new
 *     holder's file: then it is linked back), and removed. Then the mutex goes and (1) repeats.
 *  4. Release: the holder removes LOCK only when LOCK is still its own record (or its own file,
 *     damaged); natively it removes LOCK while still holding the flock, then closes it.
 *
 * Two writers cannot both hold: every holder got LOCK by an exclusive link, and a LOCK is only
 * removed by its holder or after it was judged stale by the rules above (a live holder is
 * never judged stale: its record names a live process, or its flock is held). What is not
 * covered: a lock on another host (shared file system) is never taken over automatically, and
 * a live Node or WASI holder whose record someone damages in place is taken over after the grace.
 */
#define _DEFAULT_SOURCE /* flock, gethostname with -std=c11 */
#include "posix_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/checksum.h"
#include "../util/clock.h"
#include "../util/db_files.h"
#include "lock_record.h"

#if !defined(__wasi__) && !defined(__EMSCRIPTEN__)
#include <signal.h>
#include <sys/file.h>
#define LOCK_FLOCK 1
#define LOCK_RUNTIME "native"
#else
#define LOCK_FLOCK 0
#endif
#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#define LOCK_RUNTIME "emscripten"
#elif defined(__wasi__)
#define LOCK_RUNTIME "wasi"
#endif

#define LOCK_DAMAGED_GRACE_S 10
#define LOCK_RECLAIM_STALE_S 10
#define LOCK_ATTEMPTS 50

struct strata_vfs_lock {
  int fd; /* natively the flock()ed descriptor of LOCK; -1 elsewhere */
  char record[LOCK_RECORD_MAX];
  size_t record_len;
  char path[];
};

/* ---- who we are, and whether a process lives ------------------------------------------------ */

#if defined(__EMSCRIPTEN__)
/* Under Node (NODERAWFS tests) the process is Node's; elsewhere nothing is known. */
static int lock_js_pid(void) {
  return emscripten_run_script_int("(typeof process !== 'undefined' && process.pid) || 0");
}

static void lock_js_host(char *buf, size_t cap) {
  const char *name = emscripten_run_script_string(
    "(function () { try { return require('os').hostname(); } catch (e) { return ''; } })()");
  snprintf(buf, cap, "%s", name ? name : "");
}

static int lock_js_alive(uint32_t pid) {
  char script[200];
  snprintf(script, sizeof script,
           "(function () { if (typeof process === 'undefined') return -1; try { process.kill(%lu, 0); return 1; }"
           " catch (e) { return e.code === 'ESRCH' ? 0 : 1; } })()",
           (unsigned long)pid);
  return emscripten_run_script_int(script);
}
#endif

#if defined(__wasi__)
/* WASI has no process API: the runner may say who runs the module (scripts/wasi-run.mjs does). */
static uint64_t env_number(const char *name, uint64_t max) {
  const char *s = getenv(name);
  if (!s || !*s) return 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  return (*end || v > max) ? 0 : (uint64_t)v;
}
#endif

/* Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot; 0 when unreadable. */
static uint64_t read_proc_start(uint32_t pid) {
  char name[40], buf[1024];
  snprintf(name, sizeof name, "/proc/%lu/stat", (unsigned long)pid);
  FILE *f = fopen(name, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
  if (!p) return 0;
  p++;
  for (int field = 2; field < 22 && p; field++) { /* p is before field `field + 1` */
    p = strchr(p, ' ');
    if (p) p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

#if defined(__wasi__)
/*
 * A WASI host that preopens its /proc as /proc (scripts/wasi-run.mjs and the npm bin do on Linux;
 * `wasmtime run --dir /proc::/proc`) lets the module judge lock holders as native code does. That
 * /proc is trusted only when it shows the host's own process (STRATA_LOCK_PID) with the start
 * time the host declared (STRATA_LOCK_START): the host's pid namespace, not some other folder.
 */
static int wasi_sees_processes(void) {
  uint64_t pid = env_number("STRATA_LOCK_PID", UINT32_MAX), start = env_number("STRATA_LOCK_START", UINT64_MAX);
  return pid && start && read_proc_start((uint32_t)pid) == start;
}
#endif

static uint64_t process_start(uint32_t pid) {
#if defined(__wasi__)
  return wasi_sees_processes() ? read_proc_start(pid) : 0;
#else
  return read_proc_start(pid);
#endif
}

static void self_identity(lock_record *r) {
  memset(r, 0, sizeof *r);
  strcpy(r->runtime, LOCK_RUNTIME);
  char host[LOCK_HOST_MAX + 1] = "";
#if defined(__wasi__)
  r->pid = (uint32_t)env_number("STRATA_LOCK_PID", UINT32_MAX);
  r->start = env_number("STRATA_LOCK_START", UINT64_MAX);
  const char *h = getenv("STRATA_LOCK_HOST");
  if (h) snprintf(host, sizeof host, "%s", h);
#elif defined(__EMSCRIPTEN__)
  r->pid = (uint32_t)lock_js_pid();
  r->start = r->pid ? process_start(r->pid) : 0;
  lock_js_host(host, sizeof host);
#else
  r->pid = (uint32_t)getpid();
  r->start = process_start(r->pid);
  if (gethostname(host, sizeof host) != 0) host[0] = 0;
  host[LOCK_HOST_MAX] = 0;
#endif
  lock_record_set_host(r, host);
}

/* 1: the pid runs, 0: it does not, -1: this runtime cannot tell. */
static int pid_alive(uint32_t pid) {
#if LOCK_FLOCK
  if (kill((pid_t)pid, 0) == 0) return 1;
  return errno == ESRCH ? 0 : 1; /* EPERM: alive, another user's */
#elif defined(__EMSCRIPTEN__)
  return lock_js_alive(pid);
#else
  if (!wasi_sees_processes()) return -1;
  char name[40];
  snprintf(name, sizeof name, "/proc/%lu", (unsigned long)pid);
  struct stat sb;
  if (stat(name, &sb) == 0) return 1;
  return errno == ENOENT ? 0 : -1;
#endif
}

enum holder { HOLDER_ALIVE, HOLDER_THIS_PROCESS, HOLDER_DEAD, HOLDER_UNKNOWN };

/* Rule 2 for a record that parsed; flock_free: natively, no process holds LOCK's flock. */
static enum holder judge(const lock_record *held, const lock_record *self, int flock_free) {
  int same_host = strcmp(held->host, "?") != 0 && strcmp(held->host, self->host) == 0;
  if (!same_host || held->pid == 0) return HOLDER_UNKNOWN;
  if (held->pid == self->pid && self->pid != 0) {
    if (held->start == self->start) return HOLDER_THIS_PROCESS;
    if (held->start && self->start) return HOLDER_DEAD; /* an earlier process with our pid */
  }
  if (LOCK_FLOCK && flock_free && !strcmp(held->runtime, "native")) return HOLDER_DEAD;
  int alive = pid_alive(held->pid);
  if (alive < 0) return HOLDER_UNKNOWN;
  if (alive == 0) return HOLDER_DEAD;
  if (held->start) {
    uint64_t now = process_start(held->pid);
    if (now && now != held->start) return HOLDER_DEAD; /* the pid was reused */
  }
  return HOLDER_ALIVE;
}

/* ---- files ------------------------------------------------------------------------------ */

static strata_status *errno_status(int err, const char *op, const char *path) {
  strata_code code = err == ENOMEM ? STRATA_NO_MEMORY : STRATA_IO;
  return status_new(code, "%s %s: %s", op, path, strerror(err));
}

static char *with_suffix(const char *path, const char *a, const char *b) {
  size_t n = strlen(path) + strlen(a) + strlen(b) + 1;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s%s%s", path, a, b);
  return s;
}

static int write_all(int fd, const char *data, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, data + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    done += (size_t)w;
  }
  return 0;
}

/* What LOCK holds right now: exists = 0 when there is none. Reads at most LOCK_RECORD_MAX + 1
 * bytes (more than any record: a longer file is damaged either way). */
typedef struct seen {
  int exists;
  int native_held; /* natively: a process holds LOCK's flock */
  char bytes[LOCK_RECORD_MAX + 1];
  size_t len;
  uint64_t age_s; /* since the last modification */
} seen;

static strata_status *look(const char *path, seen *s) {
  memset(s, 0, sizeof *s);
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno == ENOENT ? NULL : errno_status(errno, "open lock", path);
  s->exists = 1;
#if LOCK_FLOCK
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      strata_status *st = errno_status(errno, "lock", path);
      close(fd);
      return st;
    }
    s->native_held = 1;
  }
#endif
  struct stat sb;
  uint64_t now = clock_unix_ms() / 1000;
  if (fstat(fd, &sb) == 0 && (uint64_t)sb.st_mtime < now) s->age_s = now - (uint64_t)sb.st_mtime;
  while (s->len < sizeof s->bytes) {
    ssize_t r = read(fd, s->bytes + s->len, sizeof s->bytes - s->len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      strata_status *st = errno_status(errno, "read lock", path);
      close(fd);
      return st;
    }
    if (r == 0) break;
    s->len += (size_t)r;
  }
  close(fd); /* drops the probe's shared flock */
  return NULL;
}

static void pause_briefly(void) {
  struct timespec ts = { 0, 2 * 1000 * 1000 };
  nanosleep(&ts, NULL);
}

static int same_bytes(const seen *a, const seen *b) {
  return a->exists && b->exists && a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* Rule 3: removes LOCK if it still holds exactly what `judged` saw. Returns with nothing done
 * when another reclaimer is at work or LOCK changed; the caller looks again. */
static strata_status *reclaim(const char *path, const seen *judged, const char *token) {
  char *mutex = with_suffix(path, DB_LOCK_SUFFIX_RECLAIM, "");
  char *aside = with_suffix(path, ".", token);
  char *aside_name = aside ? with_suffix(aside, DB_LOCK_SUFFIX_STALE, "") : NULL;
  free(aside);
  if (!mutex || !aside_name) {
    free(mutex);
    free(aside_name);
    return status_no_memory();
  }
  strata_status *st = NULL;
  int fd = open(mutex, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    struct stat sb;
    uint64_t now = clock_unix_ms() / 1000;
    if (errno != EEXIST) st = errno_status(errno, "create", mutex);
    else if (stat(mutex, &sb) == 0 && (uint64_t)sb.st_mtime + LOCK_RECLAIM_STALE_S < now) unlink(mutex);
    else pause_briefly();
    goto done;
  }
  close(fd);
  seen again;
  st = look(path, &again);
  if (!st && same_bytes(judged, &again) && !again.native_held) {
    if (rename(path, aside_name) != 0) {
      if (errno != ENOENT) st = errno_status(errno, "rename stale lock", path);
    } else {
      seen moved;
      st = look(aside_name, &moved);
      if (!st && !same_bytes(judged, &moved)) (void)link(aside_name, path); /* not the one judged */
      unlink(aside_name);
    }
  }
  unlink(mutex);
done:
  free(mutex);
  free(aside_name);
  return st;
}

/* Why an opener is refused (rule 2). */
enum refusal { REFUSE_ALIVE, REFUSE_THIS_PROCESS, REFUSE_UNKNOWN, REFUSE_NATIVE_DAMAGED, REFUSE_DAMAGED };

/* The STRATA_LOCKED for a refusal; `holder` describes the record, or says why it is damaged. */
static strata_status *locked(const char *path, enum refusal why, const char *holder, uint64_t age_s) {
  switch (why) {
    case REFUSE_ALIVE: return status_new(STRATA_LOCKED, "%s: locked by %s", path, holder);
    case REFUSE_THIS_PROCESS:
      return status_new(STRATA_LOCKED, "%s: locked by another handle in this process (%s)", path, holder);
    case REFUSE_UNKNOWN:
      return status_new(STRATA_LOCKED,
                        "%s: locked by %s; whether it still runs cannot be checked from here: if no "
                        "process uses the database, remove %s",
                        path, holder, path);
    case REFUSE_NATIVE_DAMAGED:
      return status_new(STRATA_LOCKED, "%s: locked by a native process (its lock record is damaged: %s)", path,
                        holder);
    case REFUSE_DAMAGED: break;
  }
  return status_new(STRATA_LOCKED,
                    "%s: the lock record is damaged (%s); it is taken over once %d s old (now %llu s): if no "
                    "process uses the database, remove %s",
                    path, holder, LOCK_DAMAGED_GRACE_S, (unsigned long long)age_s, path);
}

/* Rule 2: NULL with *stale set when LOCK may be reclaimed, else the STRATA_LOCKED to report. */
static strata_status *judge_seen(const char *path, const seen *s, const lock_record *self, int *stale) {
  *stale = 0;
  lock_record held;
  strata_status *bad = lock_record_decode(s->bytes, s->len, DB_FILE_LOCK, &held);
  char who[LOCK_RECORD_MAX];
  if (bad) {
    snprintf(who, sizeof who, "%s", strata_status_message(bad));
    strata_status_free(bad);
    if (s->native_held) return locked(path, REFUSE_NATIVE_DAMAGED, who, 0);
    if (s->age_s >= LOCK_DAMAGED_GRACE_S) {
      *stale = 1;
      return NULL;
    }
    return locked(path, REFUSE_DAMAGED, who, s->age_s);
  }
  lock_record_describe(&held, who, sizeof who);
  enum holder j = judge(&held, self, !s->native_held);
  if (s->native_held) return locked(path, j == HOLDER_THIS_PROCESS ? REFUSE_THIS_PROCESS : REFUSE_ALIVE, who, 0);
  switch (j) {
    case HOLDER_ALIVE: return locked(path, REFUSE_ALIVE, who, 0);
    case HOLDER_THIS_PROCESS: return locked(path, REFUSE_THIS_PROCESS, who, 0);
    case HOLDER_UNKNOWN: return locked(path, REFUSE_UNKNOWN, who, 0);
    case HOLDER_DEAD: *stale = 1; return NULL;
  }
  return NULL;
}

static void make_token(lock_record *r, const void *salt) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t mix[5] = { (uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec, r->pid, r->start, (uint64_t)(uintptr_t)salt };
  uint64_t t = checksum64(mix, sizeof mix);
  snprintf(r->token, sizeof r->token, "%016llx", (unsigned long long)t);
}

/* Creates `name` (exclusively) holding the record; natively flock()s it before writing. Returns
 * 0 or an errno (EEXIST: the name exists). */
static int write_record(const char *name, const vfs_lock *lock, int *fd_out) {
  int fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  int err = 0;
#if LOCK_FLOCK
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) err = errno;
#endif
  if (!err && write_all(fd, lock->record, lock->record_len) != 0) err = errno ? errno : EIO;
  if (err) {
    close(fd);
    unlink(name);
    return err;
  }
  *fd_out = fd;
  return 0;
}

/* Rule 1: 0 when LOCK is ours now, EEXIST when another one is there, any other errno on failure.
 * Where the file system has no hard links, LOCK is created exclusively and then written: a
 * reader may then see it empty or partial for a moment, which it judges damaged and fresh, so
 * it refuses and never reclaims it. */
static int publish(const char *path, const char *tmp, const vfs_lock *lock, int *fd, int *by_link) {
  if (*by_link) {
    if (*fd < 0) {
      int err = write_record(tmp, lock, fd);
      if (err) return err;
    }
    if (link(tmp, path) == 0) return 0;
    int err = errno;
    if (err != EMLINK && err != ENOSYS && err != ENOTSUP && err != EOPNOTSUPP && err != EPERM) return err;
    *by_link = 0; /* EMLINK: Emscripten's file systems; EPERM: FAT and the like */
    close(*fd);
    *fd = -1;
    unlink(tmp);
  }
  return write_record(path, lock, fd);
}

strata_status *posix_lock_acquire(const char *path, vfs_lock **out) {
  size_t plen = strlen(path);
  vfs_lock *lock = malloc(sizeof *lock + plen + 1);
  if (!lock) return status_no_memory();
  memcpy(lock->path, path, plen + 1);
  lock->fd = -1;
  lock_record self;
  self_identity(&self);
  self.since = clock_unix_ms();
  make_token(&self, lock);
  strata_status *st = lock_record_encode(&self, lock->record, &lock->record_len);
  char *tmp = st ? NULL : with_suffix(path, ".", self.token);
  char *tmp_name = tmp ? with_suffix(tmp, DB_LOCK_SUFFIX_TMP, "") : NULL;
  free(tmp);
  if (!st && !tmp_name) st = status_no_memory();
  int fd = -1, by_link = 1, held = 0;
  for (int attempt = 0; !st && !held && attempt < LOCK_ATTEMPTS; attempt++) {
    int err = publish(path, tmp_name, lock, &fd, &by_link);
    if (err == 0) {
      held = 1;
      break;
    }
    if (err != EEXIST) {
      /* a missing folder is STRATA_NOT_FOUND, as the storage contract says for lock() */
      st = err == ENOENT ? status_new(STRATA_NOT_FOUND, "take lock %s: %s", path, strerror(err))
                         : errno_status(err, "take lock", path);
      break;
    }
    seen s;
    st = look(path, &s);
    if (st || !s.exists) continue;
    int stale = 0;
    st = judge_seen(path, &s, &self, &stale);
    if (!st && stale) st = reclaim(path, &s, self.token);
  }
  if (!st && !held) st = status_new(STRATA_LOCKED, "%s: could not take the lock (contended)", path);
  if (tmp_name && by_link) unlink(tmp_name); /* LOCK, if we got it, is a second name of the same file */
  free(tmp_name);
  if (st) {
    if (fd >= 0) close(fd);
    free(lock);
    return st;
  }
#if LOCK_FLOCK
  lock->fd = fd;
#else
  close(fd);
#endif
  *out = lock;
  return NULL;
}

strata_status *posix_lock_release(vfs_lock *lock) {
  if (!lock) return NULL;
  seen s;
  strata_status *st = look(lock->path, &s);
  /* Rule 4: only our own record goes; a damaged one too if it is still our file (flock held). */
  int ours = !st && s.exists && s.len == lock->record_len && memcmp(s.bytes, lock->record, s.len) == 0;
#if LOCK_FLOCK
  if (!st && s.exists && !ours && lock->fd >= 0) {
    struct stat held, named;
    lock_record other;
    strata_status *bad = lock_record_decode(s.bytes, s.len, lock->path, &other);
    ours = bad && fstat(lock->fd, &held) == 0 && stat(lock->path, &named) == 0 && held.st_ino == named.st_ino &&
           held.st_dev == named.st_dev;
    strata_status_free(bad);
  }
#endif
  if (ours && unlink(lock->path) != 0 && errno != ENOENT) st = errno_status(errno, "remove lock", lock->path);
  if (lock->fd >= 0) close(lock->fd);
  free(lock);
  return st;
}
