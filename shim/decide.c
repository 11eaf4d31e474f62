/* The decision path shared by connect() and the send family: is this socket still
 * unbound, which source does the engine pick for the destination, bind it. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shim.h"
#include "usermem.h"

#define BIND_FAILURES_LOGGED 20

int sv_read_inet(const struct sockaddr *addr, socklen_t len, union sv_sockaddr *out)
{
    size_t want;

    /* the kernel refuses more than a sockaddr_storage (EINVAL) without reading it */
    if (addr == NULL || len < (socklen_t)sizeof(sa_family_t) ||
        len > (socklen_t)sizeof(struct sockaddr_storage))
        return 0;
    /* never more than the kernel itself reads: it copies all len bytes */
    want = (size_t)len < sizeof out->in6 ? (size_t)len : sizeof out->in6;
    if (want == sizeof out->in6 && sv_readable(addr, sizeof out->in6)) {
        memcpy(out, addr, sizeof out->in6); /* the common sizes copied inline */
    } else if (want == sizeof out->in && sv_readable(addr, sizeof out->in)) {
        memcpy(out, addr, sizeof out->in);
    } else {
        out->in6 = (struct sockaddr_in6){ 0 };
        if (sv_user_read(out, addr, want) != SV_READ_OK)
            return 0;
    }
    if (out->sa.sa_family == AF_INET)
        return want >= sizeof out->in;
    if (out->sa.sa_family == AF_INET6)
        return want >= 24; /* SIN6_LEN_RFC2133: the kernel takes it, scope id 0 */
    return 0;
}

/* An IPv4 destination as the IPv6 socket sees it: ::ffff:a.b.c.d, same port. */
static void map_v4(const struct sockaddr_in *in, struct sockaddr_in6 *out)
{
    memset(out, 0, sizeof *out);
    out->sin6_family = AF_INET6;
    out->sin6_port = in->sin_port;
    out->sin6_addr.s6_addr[10] = 0xff;
    out->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&out->sin6_addr.s6_addr[12], &in->sin_addr, 4);
}

/* A dual-stack IPv6 socket (not IPV6_V6ONLY): the kernel sends its AF_INET destinations
 * as IPv4 */
static int dual_stack(int fd)
{
    int v6only = 1;
    socklen_t len = sizeof v6only;

    return getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) == 0 && !v6only;
}

int sv_is_wildcard(const struct sockaddr *addr)
{
    if (addr->sa_family == AF_INET)
        return ((const struct sockaddr_in *)addr)->sin_addr.s_addr == htonl(INADDR_ANY);
    return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)addr)->sin6_addr);
}

int sv_addr_of(const struct sockaddr *addr, uint8_t out[16], uint32_t *port)
{
    memset(out, 0, 16);
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;

        memcpy(out, &in->sin_addr, 4);
        *port = ntohs(in->sin_port);
        return 4;
    }
    memcpy(out, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
    *port = ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
    return 6;
}

socklen_t sv_source_sockaddr(const struct sockaddr *base, const struct sv_result *r,
                             int keep_port, union sv_sockaddr *out)
{
    if (base->sa_family == AF_INET && r->family == 4) {
        if (keep_port)
            memcpy(&out->in, base, sizeof out->in);
        else
            out->in = (struct sockaddr_in){ .sin_family = AF_INET };
        memcpy(&out->in.sin_addr, r->addr, 4);
        return sizeof out->in;
    }
    if (base->sa_family == AF_INET6 && r->family == 6) {
        uint32_t scope = ((const struct sockaddr_in6 *)base)->sin6_scope_id;

        if (keep_port)
            memcpy(&out->in6, base, sizeof out->in6);
        else
            out->in6 = (struct sockaddr_in6){ .sin6_family = AF_INET6 };
        memcpy(&out->in6.sin6_addr, r->addr, 16);
        out->in6.sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(&out->in6.sin6_addr) ? scope : 0;
        return sizeof out->in6;
    }
    SV_ONCE(LOG_ERR, "engine answered an IPv%u source for an IPv%d socket (line %u): ignored",
            r->family, base->sa_family == AF_INET ? 4 : 6, r->line);
    return 0;
}

const char *sv_addr_text(const struct sockaddr *addr, char *buf, size_t cap)
{
    const void *a = addr->sa_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)addr)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr;

    if (inet_ntop(addr->sa_family, a, buf, (socklen_t)cap) == NULL)
        snprintf(buf, cap, "?");
    return buf;
}

void sv_log_bind_failure(const char *func, int fd, const struct sockaddr *src, unsigned line,
                         int err)
{
    if (err == EINVAL) {
        /* already bound: by another thread of the application, or through a path the shim
         * does not see (a raw system call). Not a problem of the configuration. */
        if (sv_log_debug_enabled()) {
            char text[INET6_ADDRSTRLEN];

            sv_log(LOG_DEBUG, func, "fd %d: not bound to source %s (line %u): the socket is "
                   "already bound (%s); the call goes on", fd,
                   sv_addr_text(src, text, sizeof text), line, strerror(err));
        }
        return;
    }

    static unsigned failures;
    unsigned n = __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    char text[INET6_ADDRSTRLEN];

    if (n <= BIND_FAILURES_LOGGED)
        sv_log(LOG_WARNING, func,
               "fd %d: cannot bind source %s (line %u): %s; the call goes on without it", fd,
               sv_addr_text(src, text, sizeof text), line, strerror(err));
    if (n == BIND_FAILURES_LOGGED)
        sv_log(LOG_WARNING, func, "further bind failures are not logged");
}

/* getsockname shows port 0 and the wildcard address: neither the application nor an
 * earlier connect/send has bound it. */
static int unbound(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *)ss)->sin_port == 0 &&
               sv_is_wildcard((const struct sockaddr *)ss);
    return ((const struct sockaddr_in6 *)ss)->sin6_port == 0 &&
           sv_is_wildcard((const struct sockaddr *)ss);
}

int sv_bound_mark_holds(int fd)
{
    struct sockaddr_storage self;
    socklen_t len = sizeof self;

    if (getsockname(fd, (struct sockaddr *)&self, &len) != 0 ||
        (self.ss_family != AF_INET && self.ss_family != AF_INET6) || !unbound(&self))
        return 1;
    sv_fd_forget(fd); /* stale: the number was reused where the shim could not see it */
    return 0;
}

static void bind_source(int fd, const struct sockaddr *dst, uint32_t port, int tcp,
                        const struct sv_result *r, const char *func)
{
    union sv_sockaddr src;
    socklen_t src_len;
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    int one = 1, zero = 0, no_port = 0, err;

    /* the source with port 0 (any); a link-local one takes the destination's scope id */
    src_len = sv_source_sockaddr(dst, r, 0, &src);
    if (src_len == 0) {
        if (r->flags & SV_R_COUNTED)
            sv_release(r->rule, r->index);
        return;
    }
    /* TCP: reserve no port at bind; connect picks one per 4-tuple, so thousands of
     * connections from one VIPA do not exhaust the ephemeral range */
    if (tcp && setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) == 0)
        no_port = 1;
    if (sv_libc.bind(fd, &src.sa, src_len) == 0) {
        if ((r->flags & SV_R_COUNTED) && sv_fd_count(fd, r->rule, r->index) != 0)
            sv_release(r->rule, r->index);
        sv_fd_add(fd, SV_FD_OURS);
        SV_DEBUG_AS(func, "fd %d to %s port %u: source %s (line %u)", fd,
                 sv_addr_text(dst, a, sizeof a), (unsigned)port,
                 sv_addr_text(&src.sa, b, sizeof b), r->line);
        return;
    }
    err = errno;
    if (no_port)
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &zero, sizeof zero);
    if (r->flags & SV_R_COUNTED)
        sv_release(r->rule, r->index);
    sv_log_bind_failure(func, fd, &src.sa, r->line, err);
}

int sv_bind_for_destination(int fd, const struct sockaddr *dst, unsigned state, int stream_ok,
                            const char *func)
{
    struct sockaddr_in6 mapped;
    struct sv_result r;
    uint8_t addr[16];
    uint32_t port, proto;
    int type, family;
    int32_t code;

    if (state & SV_FD_FRESH) {
        /* trusted once: the real connect or send that follows may bind the socket (an
         * autobind), so any later call takes the system-call path below */
        sv_fd_clear(fd, SV_FD_FRESH);
    }
    if (sv_in_shim)
        return 0;
    if (!sv_engine_ready())
        return 1;
    if (state & SV_FD_FRESH) {
        /* made by our socket() and untouched since: unbound, family and type known */
        family = state & SV_FD_INET6 ? AF_INET6 : AF_INET;
        type = state & SV_FD_STREAM ? SOCK_STREAM : SOCK_DGRAM;
    } else {
        /* of unknown origin (accepted, dup'ed, inherited, made before we were loaded,
         * connected before): ask the kernel. Not a socket or a bad descriptor: the real
         * call reports it */
        struct sockaddr_storage self;
        socklen_t self_len = sizeof self, type_len = sizeof type;

        if (getsockname(fd, (struct sockaddr *)&self, &self_len) != 0)
            return 1;
        if ((self.ss_family != AF_INET && self.ss_family != AF_INET6) || !unbound(&self))
            return 1;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0)
            return 1;
        family = self.ss_family;
    }
    if (type == SOCK_DGRAM)
        proto = IPPROTO_UDP;
    else if (type == SOCK_STREAM && stream_ok)
        proto = IPPROTO_TCP;
    else
        return 1;
    if (family != dst->sa_family) {
        /* only an IPv4 datagram destination of a dual-stack IPv6 socket gets through the
         * kernel; the others fail there (EAFNOSUPPORT, ENETUNREACH) */
        if (family != AF_INET6 || proto != IPPROTO_UDP || !dual_stack(fd))
            return 1;
        map_v4((const struct sockaddr_in *)dst, &mapped);
        dst = (const struct sockaddr *)&mapped;
    }
    family = sv_addr_of(dst, addr, &port);
    code = sv_select(SV_KIND_CONNECT, family, addr, port, proto, 0, &r);
    if (code == SV_BIND) {
        bind_source(fd, dst, port, proto == IPPROTO_TCP, &r, func);
    } else if (code < 0 && code != SV_E_BROKEN) {
        SV_ONCE(LOG_ERR, "engine error %d: call passed through", (int)code);
    } else if (sv_log_debug_enabled()) {
        char a[INET6_ADDRSTRLEN];

        SV_DEBUG_AS(func, "fd %d to %s: %s", fd, sv_addr_text(dst, a, sizeof a),
                 code == SV_KEEP ? "rule keeps the default source" : "no rule");
    }
    return 1;
}
