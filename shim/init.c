/* Initialisation of src_vipa.so, and the guard around the engine (docs/shim.md "Signals,
 * cancellation and threads").
 *
 * - The real libc functions: sv_libc starts with raw system calls and the constructor
 *   switches it to dlsym(RTLD_NEXT) results. No wrapper ever resolves anything, so a signal
 *   handler calling close() during the process's first call cannot deadlock.
 * - The engine and the configuration: loaded on the first AF_INET/AF_INET6 connect, bind or
 *   send (a process that never makes one never loads them). The first caller moves the
 *   state from SV_UNLOADED to SV_LOADING and loads with every signal blocked and
 *   cancellation disabled, so it cannot leave half-way (no handler runs, no siglongjmp, no
 *   pthread_cancel); its memory comes from mmap, not malloc. Other threads wait for the
 *   state to change, for a bounded time, then pass their call through.
 * - One lock serialises every call into the engine (wasm2c's trap jump buffer and call
 *   depth are process-wide). It is held for a decision only, which makes no cancellation
 *   point; should a thread still leave it held (a signal handler that longjmps out of the
 *   decision), a waiter gives up after a second and switches the process to pass-through.
 * - pthread_atfork handlers, registered by the constructor, take the lock around fork()
 *   and let the engine re-seed `random` and shift `lrr` in the child. vfork() runs no
 *   handlers: a vfork child is recognised by its pid (sv_in_vfork_child), a system call,
 *   so only where it could take from the parent what the parent still needs: an lc count
 *   or the "bound by the application" mark of a descriptor it closes. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config_load.h"
#include "resolve.h"
#include "shim.h"
#include "shm_counter.h"

#define LOCK_WAIT_MS 1000u  /* a decision holds the lock for microseconds */
#define LOAD_SLACK_MS 5000u /* beyond the resolver's deadline, for reading and parsing */
#define DIAGS_LOGGED 20u    /* per load; then one line with the count */

__thread int sv_in_shim __attribute__((tls_model("initial-exec")));

/* ---- the real libc functions ------------------------------------------------------------ */

static int raw_socket(int domain, int type, int protocol)
{
    return (int)syscall(SYS_socket, domain, type, protocol);
}

static int raw_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    return (int)syscall(SYS_connect, fd, addr, len);
}

static int raw_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    return (int)syscall(SYS_bind, fd, addr, len);
}

static ssize_t raw_sendto(int fd, const void *buf, size_t n, int flags,
                          const struct sockaddr *addr, socklen_t len)
{
    return syscall(SYS_sendto, fd, buf, n, flags, addr, len);
}

static ssize_t raw_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    return syscall(SYS_sendmsg, fd, msg, flags);
}

static int raw_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
    return (int)syscall(SYS_sendmmsg, fd, vec, vlen, flags);
}

static int raw_close(int fd)
{
    return (int)syscall(SYS_close, fd);
}

static int raw_shutdown(int fd, int how)
{
    return (int)syscall(SYS_shutdown, fd, how);
}

static int raw_dup(int oldfd)
{
    return (int)syscall(SYS_dup, oldfd);
}

static int raw_dup3(int oldfd, int newfd, int flags)
{
    return (int)syscall(SYS_dup3, oldfd, newfd, flags);
}

static int raw_dup2(int oldfd, int newfd)
{
    if (oldfd == newfd) /* dup3 refuses this; dup2 checks oldfd and returns it */
        return syscall(SYS_fcntl, oldfd, F_GETFD) < 0 ? -1 : newfd;
    return raw_dup3(oldfd, newfd, 0);
}

static int raw_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, cmd);
    arg = va_arg(ap, void *); /* as libc does: unused by commands without an argument */
    va_end(ap);
    return (int)syscall(SYS_fcntl, fd, cmd, arg);
}

static int raw_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    return (int)syscall(SYS_accept4, fd, addr, len, flags);
}

static int raw_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return raw_accept4(fd, addr, len, 0);
}

static int raw_close_range(unsigned int first, unsigned int last, int flags)
{
#ifdef SYS_close_range
    return (int)syscall(SYS_close_range, first, last, flags);
#else
    (void)first, (void)last, (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

struct sv_libc sv_libc = {
#define SV_RAW(ret, name, params, args) .name = raw_##name,
    SV_LIBC_CALLS(SV_RAW)
#undef SV_RAW
};

/* ---- the engine and the configuration ----------------------------------------------------- */

/* The engine's view of this process: rr counters keyed by the configuration's identity. */
struct shim_host {
    sv_host base;
    uint64_t dev, ino;
};

int sv_engine_state = SV_UNLOADED;
static int engine_lock; /* see lock() */
static struct sv_engine engine;
static struct shim_host host;
static pid_t engine_pid;
static int fork_locked;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits while *word == val, at most ms milliseconds in all (0 when it changed) */
static int futex_wait_for(int *word, int val, unsigned ms)
{
    uint64_t deadline = now_ms() + ms;
    int saved = errno; /* EAGAIN, EINTR, ETIMEDOUT: the application must not see them */

    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == val) {
        uint64_t now = now_ms();
        struct timespec left;

        if (now >= deadline) {
            errno = saved;
            return -1;
        }
        left.tv_sec = (time_t)((deadline - now) / 1000);
        left.tv_nsec = (long)((deadline - now) % 1000) * 1000000;
        syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, &left, NULL, 0);
    }
    errno = saved;
    return 0;
}

static __attribute__((noinline, cold)) void futex_wake(int *word)
{
    int saved = errno;

    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    errno = saved;
}

/* The engine lock is taken for every decision, so it is a bare futex word rather than a
 * pthread mutex (about 10 instructions instead of 55 uncontended): 0 free, 1 held, 2 held
 * and maybe waited for (U. Drepper, "Futexes Are Tricky", mutex 3). Private futex: the
 * only sharers are our threads (and a vfork child, which shares our memory). */
static inline int trylock(void)
{
    int c = 0;

    return __atomic_compare_exchange_n(&engine_lock, &c, 1, 0, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

/* Contended: mark the word "waited for" and sleep until it was free when marked, for at
 * most LOCK_WAIT_MS. 0 locked, -1 given up (the engine is switched off). */
static __attribute__((noinline, cold)) int lock_slow(void)
{
    uint64_t deadline = now_ms() + LOCK_WAIT_MS;
    int saved = errno;

    while (__atomic_exchange_n(&engine_lock, 2, __ATOMIC_ACQUIRE) != 0) {
        struct timespec slice = { 0, 100 * 1000000 };

        if (now_ms() >= deadline) {
            errno = saved;
            __atomic_store_n(&sv_engine_state, SV_OFF, __ATOMIC_RELEASE);
            SV_ONCE(LOG_ERR, "the engine lock was held for over %u ms (a thread left a decision "
                             "through a signal handler?): passing every call through from now on",
                    LOCK_WAIT_MS);
            return -1;
        }
        syscall(SYS_futex, &engine_lock, FUTEX_WAIT_PRIVATE, 2, &slice, NULL, 0);
    }
    errno = saved;
    return 0;
}

/* the uncontended case inline: no call, no registers to save around it */
static inline int lock(void)
{
    if (__builtin_expect(!trylock(), 0))
        return lock_slow();
    return 0;
}

static inline void unlock(void)
{
    if (__builtin_expect(__atomic_exchange_n(&engine_lock, 0, __ATOMIC_RELEASE) == 2, 0))
        syscall(SYS_futex, &engine_lock, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* 0 with the lock held; -1 (nothing held: the engine was switched off) otherwise. A dead
 * engine is not called by sv_engine_* anyway. */
static inline int lock_engine(void)
{
    sv_in_shim++;
    if (__builtin_expect(lock() != 0, 0)) {
        sv_in_shim--;
        return -1;
    }
    return 0;
}

static inline void unlock_engine(void)
{
    unlock();
    sv_in_shim--;
}

static uint32_t host_rr_next(sv_host *h, uint32_t line, uint32_t perm)
{
    struct shim_host *sh = (struct shim_host *)h;

    return sv_rr_next(sh->dev, sh->ino, line, perm);
}

static void host_log(sv_host *h, int level, const char *msg, size_t len)
{
    (void)h;
    sv_log_text(level, "engine", msg, len);
}

/* What one load's loader callbacks share. */
struct load_ctx {
    const char *path;
    unsigned diags;      /* diagnostics of this load, logged or counted */
    unsigned omitted;    /* diagnostics the engine itself left out */
    unsigned timeout_ms; /* for all host names together */
};

static void resolve_names(void *ctx, const char *const *names, uint32_t n,
                          struct sv_name_answer *answers)
{
    sv_resolve_getaddrinfo(&((struct load_ctx *)ctx)->timeout_ms, names, n, answers);
}

/* Each diagnostic once per process, as "FILE:LINE: error|warning|note: MESSAGE", the first
 * DIAGS_LOGGED of them (a broken file must not flood syslog from every process). Notes
 * (portability) are information: only under SRC_VIPA_DEBUG, and not counted. */
static void log_diag(void *ctx, const struct sv_diag *d)
{
    static const char *const names[] = { "error", "error", "warning", "note" };
    struct load_ctx *lc = ctx;
    int level = d->severity == SV_SEV_ERROR     ? LOG_ERR
                : d->severity == SV_SEV_WARNING ? LOG_WARNING
                                                : LOG_INFO;

    if (d->code == SV_D_DIAGNOSTICS_OMITTED) {
        lc->omitted += d->column;
        return;
    }
    if (level == LOG_INFO && !sv_log_debug_enabled())
        return;
    if (++lc->diags > DIAGS_LOGGED)
        return;
    sv_log(level, "config", "%s:%u: %s: %s", lc->path, d->line,
           names[d->severity <= 3 ? d->severity : 0], d->msg);
}

/* SRC_VIPA_CONFIG_FILE is ignored in secure-execution processes (setuid, setgid, file
 * capabilities): an unprivileged user must not point a privileged program at a file. */
static const char *config_path(void)
{
    const char *p;

    if (getauxval(AT_SECURE))
        return SV_DEFAULT_CONFIG;
    p = getenv("SRC_VIPA_CONFIG_FILE");
    return p != NULL && *p != '\0' ? p : SV_DEFAULT_CONFIG;
}

static const char *load_error_text(int32_t rules)
{
    if (rules == SV_E_NOMEM)
        return "the configuration needs more memory than the engine may use (256 MiB): "
               "split it or remove rules (src-vipa check shows the limits)";
    if (rules == SV_E_BROKEN)
        return "the engine stopped while loading (see the engine's message above)";
    return "the engine refused the configuration";
}

/* Runs with every signal blocked and cancellation disabled (sv_engine_load). */
static int load(void)
{
    const char *path = config_path();
    struct sv_config_file file;
    struct load_ctx lc = { path, 0, 0, sv_resolve_timeout_ms() };
    struct sv_loader loader = { resolve_names, log_diag, &lc };
    const char *why;
    int32_t rules;
    int err;

    err = sv_config_open(path, &file, &why);
    if (err == ENOENT) {
        SV_DEBUG("%s does not exist: passing every call through", path);
        return SV_OFF;
    }
    if (err != 0) {
        SV_ERR("cannot read %s: %s; passing every call through", path, why);
        return SV_OFF;
    }
    host.base.rr_next = host_rr_next;
    host.base.log = host_log;
    host.dev = file.dev;
    host.ino = file.ino;
    if (sv_engine_open(&engine, &host.base) != 0) {
        sv_config_close(&file);
        SV_ERR("no policy engine: passing every call through");
        return SV_OFF;
    }
    rules = sv_config_load_file(&engine, &file, &loader);
    sv_config_close(&file);
    if (lc.diags > DIAGS_LOGGED || lc.omitted > 0)
        sv_log(LOG_WARNING, "config", "%s: %u more diagnostics not logged; run: src-vipa check %s",
               path, (lc.diags > DIAGS_LOGGED ? lc.diags - DIAGS_LOGGED : 0) + lc.omitted, path);
    if (rules <= 0) {
        if (rules < 0)
            SV_ERR("cannot load %s: %s; passing every call through", path, load_error_text(rules));
        else
            SV_DEBUG("%s has no rules: passing every call through", path);
        sv_engine_close(&engine);
        return SV_OFF;
    }
    engine_pid = getpid();
    SV_DEBUG("%s: %d rules loaded", path, (int)rules);
    return SV_READY;
}

/* sv_engine_ready's slow path: the first INET call of the process loads; the others wait
 * (bounded) for that load. */
int sv_engine_load(void)
{
    int state = SV_UNLOADED;

    if (__atomic_compare_exchange_n(&sv_engine_state, &state, SV_LOADING, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        sigset_t all, old;
        int cancel, saved = errno;

        /* nothing may take this thread out of the load half-way (see the top) */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
        sv_in_shim++;
        state = load();
        sv_in_shim--;
        __atomic_store_n(&sv_engine_state, state, __ATOMIC_RELEASE);
        futex_wake(&sv_engine_state);
        pthread_setcancelstate(cancel, NULL);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = saved;
        return state == SV_READY;
    }
    if (state == SV_LOADING &&
        futex_wait_for(&sv_engine_state, SV_LOADING, sv_resolve_timeout_ms() + LOAD_SLACK_MS) != 0) {
        SV_ONCE(LOG_WARNING, "still waiting for another thread to load the configuration: "
                             "this call passes through");
        return 0;
    }
    return __atomic_load_n(&sv_engine_state, __ATOMIC_ACQUIRE) == SV_READY;
}

int32_t sv_select(uint32_t kind, int family, const uint8_t addr[16], uint32_t port,
                  uint32_t proto, uint32_t flags, struct sv_result *out)
{
    int32_t code;

    if (lock_engine() != 0) {
        memset(out, 0, sizeof *out);
        return out->code = SV_E_BROKEN;
    }
    code = sv_engine_select(&engine, kind, family, addr, port, proto, flags, out);
    if (!engine.live)
        __atomic_store_n(&sv_engine_state, SV_OFF, __ATOMIC_RELEASE);
    unlock_engine();
    return code;
}

void sv_release(uint32_t rule, uint32_t index)
{
    if (lock_engine() != 0)
        return;
    sv_engine_release(&engine, rule, index);
    unlock_engine();
}

int sv_in_vfork_child(void)
{
    return engine_pid != 0 && getpid() != engine_pid;
}

/* ---- fork ----------------------------------------------------------------------------------- */

static void fork_prepare(void)
{
    int state;

    fork_locked = 0;
    /* fork() from a signal handler that interrupted this thread inside the shim: the lock
     * may be ours already; leave it, and switch the child off (the engine may be mid-call) */
    if (sv_in_shim)
        return;
    if (__atomic_load_n(&sv_engine_state, __ATOMIC_ACQUIRE) == SV_LOADING)
        futex_wait_for(&sv_engine_state, SV_LOADING, sv_resolve_timeout_ms() + LOAD_SLACK_MS);
    state = __atomic_load_n(&sv_engine_state, __ATOMIC_ACQUIRE);
    if (state != SV_READY || lock() != 0)
        return;
    fork_locked = 1;
    sv_engine_fork_prepare(&engine);
}

static void fork_parent(void)
{
    if (fork_locked)
        unlock();
}

static void fork_child(void)
{
    int state = __atomic_load_n(&sv_engine_state, __ATOMIC_ACQUIRE);

    engine_lock = 0; /* the child's only thread: nobody holds it or waits */
    engine_pid = getpid();
    if (state == SV_LOADING) {
        /* a load under way in another thread of the parent: the child starts afresh */
        __atomic_store_n(&sv_engine_state, SV_UNLOADED, __ATOMIC_RELEASE);
        return;
    }
    if (state != SV_READY)
        return;
    if (!fork_locked) {
        __atomic_store_n(&sv_engine_state, SV_OFF, __ATOMIC_RELEASE);
        return;
    }
    sv_engine_fork_child(&engine);
    if (!engine.live)
        __atomic_store_n(&sv_engine_state, SV_OFF, __ATOMIC_RELEASE);
}

/* ---- start and exit --------------------------------------------------------------------- */

/* The real libc functions, and the fork handlers: both may allocate, so they are set up
 * here, where no signal handler can have interrupted malloc. dlsym may set errno while it
 * searches; the application must not see that. A lookup that finds nothing, or finds our
 * own wrapper (the library loaded twice), keeps the raw system call. */
__attribute__((constructor)) static void at_start(void)
{
    int saved = errno;

#define SV_RESOLVE(ret, name, params, args)                                          \
    {                                                                                \
        void *p = dlsym(RTLD_NEXT, #name);                                           \
        if (p != NULL && p != (void *)name)                                          \
            __atomic_store_n(&sv_libc.name, (ret(*) params)p, __ATOMIC_RELAXED);     \
    }
    SV_LIBC_CALLS(SV_RESOLVE)
#undef SV_RESOLVE
    if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
        __atomic_store_n(&sv_engine_state, SV_OFF, __ATOMIC_RELEASE); /* logged at first use */
    errno = saved;
}

/* Detaches the rr segments, removing those this process is the last user of. Runs after
 * the application's atexit handlers. The lock is only tried (a bounded 100 ms): exit()
 * called from a signal handler that interrupted a locked section must not hang. */
__attribute__((destructor)) static void at_exit(void)
{
    struct timespec ms = { 0, 1000000 };
    int i;

    if (__atomic_load_n(&sv_engine_state, __ATOMIC_ACQUIRE) != SV_READY || sv_in_shim ||
        sv_in_vfork_child())
        return;
    for (i = 0; i < 100; i++) {
        if (trylock()) {
            sv_in_shim++;
            sv_rr_detach_all();
            sv_in_shim--;
            unlock();
            return;
        }
        nanosleep(&ms, NULL);
    }
}
