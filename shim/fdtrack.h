/* What the shim knows about each socket, by descriptor number: one byte per descriptor
 * in a static table (untouched pages cost nothing), so closing a descriptor the shim
 * never touched costs one load. Descriptors at or above SV_FD_TRACK_MAX are not tracked:
 * every call on them re-checks with getsockname(2), and an `lc` count taken for one is
 * given back at once (logged once). */
#ifndef SV_FDTRACK_H
#define SV_FDTRACK_H

#include <stdint.h>

#define SV_FD_TRACK_MAX (1 << 20) /* Linux's default fs.nr_open */

enum {
    SV_FD_OURS = 1,    /* bound by the shim (at connect, first send, or a wildcard bind) */
    SV_FD_USER = 2,    /* bound by the application itself: never re-bound */
    SV_FD_SENT = 4,    /* the send path has settled it: later datagrams skip all checks */
    SV_FD_COUNTED = 8, /* holds an `lc` count: its rule and index are in the side table */
    /* Made by our socket() (AF_INET/AF_INET6, TCP or UDP) and not yet through a connect
     * or send: unbound unless bound behind our back, so the first decision needs no
     * getsockname/getsockopt. SV_FD_STREAM and SV_FD_INET6 give its type and family. */
    SV_FD_FRESH = 16,
    SV_FD_STREAM = 32, /* with SV_FD_FRESH: SOCK_STREAM (else SOCK_DGRAM) */
    SV_FD_INET6 = 64,  /* with SV_FD_FRESH: AF_INET6 (else AF_INET) */
    /* Made by our socket() in another family (UNIX, netlink...): its connects and sends
     * are never decided on, so their addresses are not even read. */
    SV_FD_NOT_INET = 128,
};

extern uint8_t sv_fd_state[SV_FD_TRACK_MAX];
extern unsigned sv_fd_high_mark;

static inline unsigned sv_fd_get(int fd)
{
    if ((unsigned)fd >= SV_FD_TRACK_MAX)
        return 0;
    return __atomic_load_n(&sv_fd_state[fd], __ATOMIC_ACQUIRE);
}

void sv_fd_raise_high(int fd);

/* Adds state bits (no-op above the limit). */
static inline void sv_fd_add(int fd, unsigned bits)
{
    if ((unsigned)fd >= SV_FD_TRACK_MAX)
        return;
    if ((unsigned)fd >= __atomic_load_n(&sv_fd_high_mark, __ATOMIC_RELAXED))
        sv_fd_raise_high(fd);
    __atomic_fetch_or(&sv_fd_state[fd], (uint8_t)bits, __ATOMIC_RELEASE);
}

/* Removes state bits (no-op above the limit). */
static inline void sv_fd_clear(int fd, unsigned bits)
{
    if ((unsigned)fd < SV_FD_TRACK_MAX)
        __atomic_fetch_and(&sv_fd_state[fd], (uint8_t)~bits, __ATOMIC_RELEASE);
}
/* Remembers an `lc` count for fd. -1 if it cannot be kept (descriptor above the limit,
 * no memory): the caller releases it at once. */
int sv_fd_count(int fd, uint32_t rule, uint32_t index);
/* Forgets fd; returns its old bits, and its count's rule/index if SV_FD_COUNTED. */
unsigned sv_fd_take(int fd, uint32_t *rule, uint32_t *index);
/* Drops only the count (shutdown): 1 and rule/index if fd held one. */
int sv_fd_uncount(int fd, uint32_t *rule, uint32_t *index);
/* One more than the highest descriptor ever given state (bounds close_range scans). */
static inline unsigned sv_fd_high(void)
{
    return __atomic_load_n(&sv_fd_high_mark, __ATOMIC_RELAXED);
}

#endif
