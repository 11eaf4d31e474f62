/* Once-initialisation of src_vipa.so.
 *
 * Two levels, both lazy:
 * - the real libc functions (sv_libc_init): dlsym(RTLD_NEXT) once, under pthread_once
 *   (after that a flag, one load per wrapper call); cheap, no configuration, needed by
 *   every wrapper (close() included);
 * - the engine and the configuration (sv_engine_ready): on the first AF_INET/AF_INET6
 *   connect, bind or send. A process that never opens an INET socket never loads them.
 *   This "once" is a state flag checked under the engine lock rather than pthread_once:
 *   the fork handlers take the same lock, so a fork can never happen in the middle of
 *   loading and leave the child with a once-control stuck "in progress".
 *
 * One lock serialises every call into the engine (wasm2c's trap jump buffer and call
 * depth are process-wide). pthread_atfork handlers, registered before the first load,
 * take it around fork() and let the engine re-seed `random` and shift `lrr` in the child.
 * They are registered before the first load takes the lock: a fork in another thread
 * during the load then waits for it to end.
 * vfork() runs no handlers: a vfork child is recognised by its pid (sv_in_vfork_child), a
 * system call, so only where it could take from the parent what the parent still needs:
 * an lc count or the "bound by the application" mark of a descriptor it closes. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config_load.h"
#include "shim.h"
#include "shm_counter.h"

__thread int sv_in_shim __attribute__((tls_model("initial-exec")));

/* ---- the real libc functions ------------------------------------------------------------ */

struct sv_libc sv_libc;
int sv_libc_ready;
static pthread_once_t libc_once = PTHREAD_ONCE_INIT;

/* Fallbacks should dlsym find nothing (a libc without close_range, an odd link order):
 * the system calls themselves, so that no wrapper ever calls a NULL pointer. */
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

static int raw_dup3(int oldfd, int newfd, int flags)
{
    return (int)syscall(SYS_dup3, oldfd, newfd, flags);
}

static int raw_dup2(int oldfd, int newfd)
{
    if (oldfd == newfd) /* dup3 refuses this; dup2 checks oldfd and returns it */
        return fcntl(oldfd, F_GETFD) < 0 ? -1 : newfd;
    return raw_dup3(oldfd, newfd, 0);
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

/* dlsym may set errno while it searches; the application must not see that */
static void resolve_libc(void)
{
    int saved = errno;

#define SV_RESOLVE(ret, name, params, args)                        \
    {                                                              \
        void *p = dlsym(RTLD_NEXT, #name);                         \
        sv_libc.name = p ? (ret(*) params)p : raw_##name;          \
    }
    SV_LIBC_CALLS(SV_RESOLVE)
#undef SV_RESOLVE
    __atomic_store_n(&sv_libc_ready, 1, __ATOMIC_RELEASE);
    errno = saved;
}

void sv_libc_resolve(void)
{
    pthread_once(&libc_once, resolve_libc);
}

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

/* The engine lock is taken for every decision, so it is a bare futex word rather than a
 * pthread mutex (about 10 instructions instead of 55 uncontended): 0 free, 1 held, 2 held
 * and maybe waited for (U. Drepper, "Futexes Are Tricky", mutex 3). Private futex: the
 * only sharers are our threads (and a vfork child, which shares our memory). */
static __attribute__((noinline, cold)) void futex(int op, int val)
{
    int saved = errno; /* EAGAIN, EINTR: the application must not see them */

    syscall(SYS_futex, &engine_lock, op, val, NULL, NULL, 0);
    errno = saved;
}

static inline int trylock(void)
{
    int c = 0;

    return __atomic_compare_exchange_n(&engine_lock, &c, 1, 0, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

/* contended: mark the word "waited for" and sleep until it was free when marked */
static __attribute__((noinline, cold)) void lock_slow(void)
{
    while (__atomic_exchange_n(&engine_lock, 2, __ATOMIC_ACQUIRE) != 0)
        futex(FUTEX_WAIT_PRIVATE, 2);
}

/* the uncontended case inline: no call, no registers to save around it */
static inline void lock(void)
{
    if (__builtin_expect(!trylock(), 0))
        lock_slow();
}

static inline void unlock(void)
{
    if (__builtin_expect(__atomic_exchange_n(&engine_lock, 0, __ATOMIC_RELEASE) == 2, 0))
        futex(FUTEX_WAKE_PRIVATE, 1);
}

static void lock_engine(void)
{
    sv_in_shim++;
    lock();
}

static void unlock_engine(void)
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

/* Each diagnostic once per process, as "FILE:LINE: error|warning|note: MESSAGE". Notes
 * (portability) are information: only under SRC_VIPA_DEBUG. */
static void log_diag(void *ctx, const struct sv_diag *d)
{
    static const char *const names[] = { "error", "error", "warning", "note" };
    int level = d->severity == SV_SEV_ERROR     ? LOG_ERR
                : d->severity == SV_SEV_WARNING ? LOG_WARNING
                                                : LOG_INFO;

    sv_log(level, "config", "%s:%u: %s: %s", (const char *)ctx, d->line,
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

static void fork_prepare(void);
static void fork_parent(void);
static void fork_child(void);

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int atfork_registered;

static void register_atfork(void)
{
    atfork_registered = pthread_atfork(fork_prepare, fork_parent, fork_child) == 0;
}

/* Under the engine lock, with sv_in_shim set: getaddrinfo's own sockets pass through. */
static int load(void)
{
    const char *path = config_path();
    struct sv_config_text cfg;
    struct sv_loader loader = { sv_resolve_getaddrinfo, log_diag, (void *)path };
    int32_t rules;
    int err;

    err = sv_config_read(path, &cfg);
    if (err == ENOENT) {
        SV_DEBUG("%s does not exist: passing every call through", path);
        return SV_OFF;
    }
    if (err != 0) {
        SV_ERR("cannot read %s: %s; passing every call through", path, strerror(err));
        return SV_OFF;
    }
    host.base.rr_next = host_rr_next;
    host.base.log = host_log;
    host.dev = cfg.dev;
    host.ino = cfg.ino;
    if (sv_engine_open(&engine, &host.base) != 0) {
        sv_config_free(&cfg);
        SV_ERR("no policy engine: passing every call through");
        return SV_OFF;
    }
    rules = sv_config_load(&engine, cfg.data, cfg.len, &loader);
    sv_config_free(&cfg);
    if (rules <= 0) {
        if (rules < 0)
            SV_ERR("cannot load %s (engine error %d): passing every call through", path,
                   (int)rules);
        else
            SV_DEBUG("%s has no rules: passing every call through", path);
        sv_engine_close(&engine);
        return SV_OFF;
    }
    engine_pid = getpid();
    if (!atfork_registered) {
        SV_ERR("pthread_atfork failed: passing every call through");
        sv_engine_close(&engine);
        return SV_OFF;
    }
    SV_DEBUG("%s: %d rules loaded", path, (int)rules);
    return SV_READY;
}

/* sv_engine_ready's slow path: the first INET call of the process */
int sv_engine_load(void)
{
    int state;

    /* The fork handlers exist before the first load takes the lock, so that a fork in
     * another thread waits for the load to finish instead of copying a held lock. */
    pthread_once(&atfork_once, register_atfork);
    lock_engine();
    if (sv_engine_state == SV_UNLOADED)
        __atomic_store_n(&sv_engine_state, load(), __ATOMIC_RELEASE);
    state = sv_engine_state;
    unlock_engine();
    return state == SV_READY;
}

int32_t sv_select(uint32_t kind, int family, const uint8_t addr[16], uint32_t port,
                  uint32_t proto, uint32_t flags, struct sv_result *out)
{
    int32_t code;

    lock_engine();
    code = sv_engine_select(&engine, kind, family, addr, port, proto, flags, out);
    if (!engine.live)
        __atomic_store_n(&sv_engine_state, SV_OFF, __ATOMIC_RELEASE);
    unlock_engine();
    return code;
}

void sv_release(uint32_t rule, uint32_t index)
{
    lock_engine();
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
    /* fork() from a signal handler that interrupted this thread inside the shim: the lock
     * is ours already; leave it, and switch the child off (the engine may be mid-call). */
    if (sv_in_shim) {
        fork_locked = 0;
        return;
    }
    lock();
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
    engine_lock = 0; /* the child's only thread: nobody holds it or waits */
    engine_pid = getpid();
    if (!fork_locked) {
        __atomic_store_n(&sv_engine_state, SV_OFF, __ATOMIC_RELEASE);
        return;
    }
    /* forked before the first load (none was under way: prepare held the lock): the child
     * loads on its own first INET call */
    if (sv_engine_state == SV_UNLOADED)
        return;
    sv_engine_fork_child(&engine);
    if (!engine.live)
        __atomic_store_n(&sv_engine_state, SV_OFF, __ATOMIC_RELEASE);
}

/* ---- exit ----------------------------------------------------------------------------------- */

/* Detaches the rr segments, removing those this process is the last user of. Runs after
 * the application's atexit handlers. The lock is only tried (a bounded 100 ms): exit()
 * called from a signal handler that interrupted a locked section must not hang. */
__attribute__((destructor)) static void at_exit(void)
{
    struct timespec ms = { 0, 1000000 };
    int i;

    if (__atomic_load_n(&sv_engine_state, __ATOMIC_ACQUIRE) == SV_UNLOADED || sv_in_shim ||
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
