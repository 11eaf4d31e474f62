/* connect(2): an AF_INET/AF_INET6 socket that nobody has bound gets its source from the
 * engine (decide.c), then the real connect runs. errno is the real connect's. The
 * destination is read through sv_read_inet, so a bad pointer gets the kernel's EFAULT. A
 * socket marked bound by the shim is asked once more (getsockname) before the mark stops
 * a decision: the number may have been reused behind the library's back. */
#include <errno.h>

#include "shim.h"

SV_EXPORT int connect(int fd, SV_SOCKADDR_ARG arg, socklen_t len)
{
    const struct sockaddr *addr = SV_SA(arg);
    unsigned state = sv_fd_get(fd);

    if (!sv_in_shim && !(state & SV_FD_NOT_INET) &&
        __atomic_load_n(&sv_engine_state, __ATOMIC_RELAXED) != SV_OFF) {
        union sv_sockaddr dst;
        int saved = errno;

        /* our own bound mark is trusted with the kernel's agreement only; the application's
         * cannot be (a wildcard bind with IP_BIND_ADDRESS_NO_PORT looks unbound) */
        if (!(state & SV_FD_USER) && (!(state & SV_FD_OURS) || !sv_bound_mark_holds(fd))) {
            if (sv_read_inet(addr, len, &dst))
                sv_bind_for_destination(fd, &dst.sa, sv_fd_get(fd), 1, __func__);
        }
        errno = saved;
    }
    return sv_libc.connect(fd, addr, len);
}
