/* What the interposed calls (connect.c, bind.c, send.c, close.c, socket.c) share: the
 * once-loaded engine behind one lock (init.c) and the decision path (decide.c). */
#ifndef SV_SHIM_H
#define SV_SHIM_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "engine_host.h"
#include "fdtrack.h"
#include "libc.h"
#include "log.h"

/* Set while this thread runs shim code that may call back into libc (loading the config,
 * where getaddrinfo may connect; holding the engine lock): every wrapper then passes
 * straight through, so nothing re-enters the decision path or the lock. initial-exec: no
 * allocation on first access from a preloaded library. */
extern __thread int sv_in_shim __attribute__((tls_model("initial-exec")));

/* ---- init.c ---------------------------------------------------------------------------- */

enum { SV_UNLOADED, SV_READY, SV_OFF, SV_LOADING };
/* SV_UNLOADED until the first INET call loads the configuration (SV_LOADING meanwhile),
 * then SV_READY, or SV_OFF for pass-through (no or bad configuration, no rules, a trap, a
 * lock left held); never back (but a fork child of a process that was still loading
 * starts again from SV_UNLOADED). */
extern int sv_engine_state;
int sv_engine_load(void);

/* Loads configuration and engine on the first call (once per process); 1 if the engine is
 * usable, 0 for pass-through. */
static inline int sv_engine_ready(void)
{
    int state = __atomic_load_n(&sv_engine_state, __ATOMIC_ACQUIRE);

    if (__builtin_expect(state == SV_UNLOADED || state == SV_LOADING, 0))
        return sv_engine_load();
    return state == SV_READY;
}
/* sv_engine_select under the engine lock; a trap turns the shim off for the process.
 * SV_E_BROKEN (out zeroed) when the engine is off or the lock could not be had. */
int32_t sv_select(uint32_t kind, int family, const uint8_t addr[16], uint32_t port,
                  uint32_t proto, uint32_t flags, struct sv_result *out);
/* Gives back an `lc` count (sv_release under the lock). */
void sv_release(uint32_t rule, uint32_t index);
/* True in a vfork(2) child: it shares our memory but not our descriptor table, so it must
 * not give back or drop what the parent still needs (an lc count, SV_FD_USER). One getpid()
 * system call: only on those paths. */
int sv_in_vfork_child(void);

/* ---- decide.c -------------------------------------------------------------------------- */

union sv_sockaddr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/* Copies the application's address (addr, len as given to connect/bind/send) into *out
 * without trusting the pointer (usermem.h): 1 for an AF_INET address of at least 16 bytes
 * or an AF_INET6 one of at least 24 (RFC 2133 size, no scope id), 0 for anything else,
 * including memory the kernel would refuse with EFAULT (the real call then says so). */
int sv_read_inet(const struct sockaddr *addr, socklen_t len, union sv_sockaddr *out);

/* addr (an INET address, sv_read_inet) is 0.0.0.0 or :: */
int sv_is_wildcard(const struct sockaddr *addr);
/* the ABI's family (4/6), 16 address bytes and host-order port of addr (sv_read_inet) */
int sv_addr_of(const struct sockaddr *addr, uint8_t out[16], uint32_t *port);

/* The source address of r as a sockaddr of base's family (base: an INET address): port and flow
 * info are base's if keep_port, else 0; a link-local IPv6 source keeps base's scope id.
 * Returns its length, or 0 if r's family does not fit (logged once). */
socklen_t sv_source_sockaddr(const struct sockaddr *base, const struct sv_result *r,
                             int keep_port, union sv_sockaddr *out);

/* The decision for a socket about to connect or send to dst: if the socket is not bound
 * yet, bind it to the source the engine picks (TCP with IP_BIND_ADDRESS_NO_PORT).
 * dst: the caller's copy (sv_read_inet). state: sv_fd_get(fd), read by the caller.
 * stream_ok: also for SOCK_STREAM (connect, TCP Fast Open); otherwise datagrams only.
 * An IPv4 destination for a dual-stack IPv6 datagram socket (the kernel accepts one) is
 * decided as the mapped address. Returns 1 when the socket is settled (bound now, bound
 * before, or left alone for good), 0 when nothing could be decided (inside the shim).
 * May change errno. */
int sv_bind_for_destination(int fd, const struct sockaddr *dst, unsigned state, int stream_ok,
                            const char *func);

/* The shim's "bound" mark (SV_FD_OURS) confirmed by the kernel before it stops a
 * decision: 1 if the socket is bound indeed (or is no INET socket: the real call answers);
 * 0 if it is an unbound INET socket, whose stale marks are then dropped. One getsockname. */
int sv_bound_mark_holds(int fd);

/* Logs a failed bind of a chosen source (the first 20 per process, then one notice). */
void sv_log_bind_failure(const char *func, int fd, const struct sockaddr *src, unsigned line,
                         int err);

/* Text of an INET sockaddr for log lines ("10.0.0.1" / "fd00::1"). */
const char *sv_addr_text(const struct sockaddr *addr, char *buf, size_t cap);

/* ---- close.c --------------------------------------------------------------------------- */

/* Forgets what the shim knew about fd, giving back its `lc` count. Preserves errno. */
void sv_fd_forget(int fd);

#endif
