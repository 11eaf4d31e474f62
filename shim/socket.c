/* socket(2): a new socket must start with no state. If its number still carries some,
 * the previous socket with that number was closed behind our back (fclose() of an
 * fdopen()ed socket, a raw close system call): give back its `lc` count now. Then a TCP or
 * UDP socket of AF_INET/AF_INET6 is marked SV_FD_FRESH with its type and family, so that
 * its first connect or send needs no system call to learn them (decide.c). */
#include "shim.h"

static unsigned fresh_bits(int domain, int type, int protocol)
{
    unsigned bits = SV_FD_FRESH;

    if (domain == AF_INET6)
        bits |= SV_FD_INET6;
    else if (domain != AF_INET)
        return 0;
    type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
        return bits | SV_FD_STREAM;
    if (type == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
        return bits;
    return 0; /* others (SCTP, ICMP, raw...) take the system-call path, as before */
}

SV_EXPORT int socket(int domain, int type, int protocol)
{
    unsigned bits;
    int fd;

    sv_libc_init();
    fd = sv_libc.socket(domain, type, protocol);
    if (fd < 0)
        return fd;
    if (sv_fd_get(fd) != 0)
        sv_fd_forget(fd);
    /* not inside the shim (the resolver's sockets are never decided on), and not when
     * the process passes everything through anyway */
    bits = fresh_bits(domain, type, protocol);
    if (bits != 0 && !sv_in_shim &&
        __atomic_load_n(&sv_engine_state, __ATOMIC_RELAXED) != SV_OFF)
        sv_fd_add(fd, bits);
    return fd;
}
