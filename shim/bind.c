/* bind(2): a bind to the wildcard address (0.0.0.0 or ::) is offered to the `.INADDR_ANY`
 * statements; a matching one replaces the address in a private copy of the caller's
 * sockaddr (the caller's memory is never written). If binding that source fails, the
 * caller's own request is carried out instead. Any socket the application binds itself is
 * remembered, so connect() never binds it again. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "shim.h"

/* 1 and *rc if the shim bound the socket (or tried and then did the caller's bind);
 * 0 if the caller's bind is still to be done. */
static int bind_wildcard(int fd, const struct sockaddr *addr, int *rc)
{
    union sv_sockaddr src;
    struct sv_result r;
    uint8_t any[16];
    uint32_t port, proto, flags = 0;
    int type, domain, v6only = 0, family, err;
    socklen_t optlen, src_len;
    int32_t code;

    if (!sv_engine_ready())
        return 0;
    optlen = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &optlen) != 0 || domain != addr->sa_family)
        return 0;
    optlen = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &optlen) != 0)
        return 0;
    if (type == SOCK_STREAM)
        proto = IPPROTO_TCP;
    else if (type == SOCK_DGRAM)
        proto = IPPROTO_UDP;
    else
        return 0;
    if (domain == AF_INET6) {
        optlen = sizeof v6only;
        if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &optlen) == 0 && !v6only)
            flags |= SV_F_DUALSTACK;
    }
    family = sv_addr_of(addr, any, &port);
    code = sv_select(SV_KIND_BIND, family, any, port, proto, flags, &r);
    if (code != SV_BIND) {
        SV_DEBUG_AS("bind", "fd %d port %u: %s", fd, (unsigned)port,
                 code == SV_KEEP ? "rule keeps the wildcard" : "no rule");
        return 0;
    }
    src_len = sv_source_sockaddr(addr, &r, 1, &src);
    if (src_len == 0) {
        if (r.flags & SV_R_COUNTED)
            sv_release(r.rule, r.index);
        return 0;
    }
    if (sv_libc.bind(fd, &src.sa, src_len) == 0) {
        if ((r.flags & SV_R_COUNTED) && sv_fd_count(fd, r.rule, r.index) != 0)
            sv_release(r.rule, r.index);
        sv_fd_add(fd, SV_FD_OURS);
        if (sv_log_debug_enabled()) {
            char a[INET6_ADDRSTRLEN];

            SV_DEBUG_AS("bind", "fd %d port %u: source %s (line %u)", fd, (unsigned)port,
                     sv_addr_text(&src.sa, a, sizeof a), r.line);
        }
        *rc = 0;
        return 1;
    }
    err = errno;
    if (r.flags & SV_R_COUNTED)
        sv_release(r.rule, r.index);
    sv_log_bind_failure("bind", fd, &src.sa, r.line, err);
    return 0;
}

SV_EXPORT int bind(int fd, SV_SOCKADDR_ARG arg, socklen_t len)
{
    const struct sockaddr *addr = SV_SA(arg);
    union sv_sockaddr copy;
    int rc, saved;

    if (sv_in_shim || (sv_fd_get(fd) & SV_FD_NOT_INET) ||
        __atomic_load_n(&sv_engine_state, __ATOMIC_RELAXED) == SV_OFF)
        return sv_libc.bind(fd, addr, len);
    saved = errno;
    if (!sv_read_inet(addr, len, &copy)) {
        errno = saved;
        return sv_libc.bind(fd, addr, len);
    }
    /* decided on the copy; the application's own bind gets its own pointer */
    if (sv_is_wildcard(&copy.sa) && bind_wildcard(fd, &copy.sa, &rc)) {
        errno = saved;
        return rc;
    }
    errno = saved;
    rc = sv_libc.bind(fd, addr, len);
    if (rc == 0)
        sv_fd_add(fd, SV_FD_USER);
    return rc;
}
