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

/* Loads configuration and engine on the first call (once per process); 1 if the engine is
 * usable, 0 for pass-through (no or bad configuration, no rules, a trap). */
int sv_engine_ready(void);
/* sv_engine_select under the engine lock; a trap turns the shim off for the process. */
int32_t sv_select(uint32_t kind, int family, const uint8_t addr[16], uint32_t port,
                  uint32_t proto, uint32_t flags, struct sv_result *out);
/* Gives back an `lc` count (sv_release under the lock). */
void sv_release(uint32_t rule, uint32_t index);
/* True in a vfork(2) child (it shares our memory: it must not change any state). */
int sv_in_vfork_child(void);

/* ---- decide.c -------------------------------------------------------------------------- */

/* addr is an AF_INET or AF_INET6 address of at least its family's size */
int sv_is_inet(const struct sockaddr *addr, socklen_t len);
/* addr (sv_is_inet) is 0.0.0.0 or :: */
int sv_is_wildcard(const struct sockaddr *addr);
/* the ABI's family (4/6), 16 address bytes and host-order port of addr (sv_is_inet) */
int sv_addr_of(const struct sockaddr *addr, uint8_t out[16], uint32_t *port);

/* Writes into *out a copy of base (a sockaddr of the socket's family; its port, flow info
 * and scope kept) with the source address of r. 0, or -1 if r's family does not fit. */
int sv_source_sockaddr(const struct sockaddr *base, socklen_t len, const struct sv_result *r,
                       struct sockaddr_storage *out);

/* The decision for a socket about to connect or send to dst: if the socket is not bound
 * yet, bind it to the source the engine picks (TCP with IP_BIND_ADDRESS_NO_PORT).
 * stream_ok: also for SOCK_STREAM (connect, TCP Fast Open); otherwise datagrams only.
 * Returns 1 when the socket is settled (bound now, bound before, or left alone for good),
 * 0 when nothing could be decided (inside the shim, vfork child). May change errno. */
int sv_bind_for_destination(int fd, const struct sockaddr *dst, socklen_t len, int stream_ok,
                            const char *func);

/* Logs a failed bind of a chosen source (the first 20 per process, then one notice). */
void sv_log_bind_failure(const char *func, int fd, const struct sockaddr *src, unsigned line,
                         int err);

/* Text of an INET sockaddr for log lines ("10.0.0.1" / "fd00::1"). */
const char *sv_addr_text(const struct sockaddr *addr, char *buf, size_t cap);

/* ---- close.c --------------------------------------------------------------------------- */

/* Forgets what the shim knew about fd, giving back its `lc` count. Preserves errno. */
void sv_fd_forget(int fd);

#endif
