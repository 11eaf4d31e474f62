/* Calls that hand out a new descriptor number: socket(2), dup(2), fcntl(2) F_DUPFD and
 * F_DUPFD_CLOEXEC, accept(2), accept4(2). A new descriptor must start with no state. If
 * its number still carries some, the previous descriptor with that number was closed
 * behind our back (fclose() of an fdopen()ed socket, a raw close system call): its `lc`
 * count is given back now and its marks are dropped, so that they cannot mislead a
 * decision for the new socket (docs/shim.md "Descriptors"). Then a TCP or UDP socket of
 * AF_INET/AF_INET6 made by socket() is marked SV_FD_FRESH with its type and family, so
 * that its first connect or send needs no system call to learn them (decide.c); a socket
 * of another family is marked SV_FD_NOT_INET. */
#include <fcntl.h>
#include <stdarg.h>

#include "shim.h"

static inline void fresh_number(int fd)
{
    if (fd >= 0 && sv_fd_get(fd) != 0)
        sv_fd_forget(fd);
}

static unsigned fresh_bits(int domain, int type, int protocol)
{
    unsigned bits = SV_FD_FRESH;

    if (domain == AF_INET6)
        bits |= SV_FD_INET6;
    else if (domain != AF_INET)
        return SV_FD_NOT_INET;
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

    fd = sv_libc.socket(domain, type, protocol);
    if (fd < 0)
        return fd;
    fresh_number(fd);
    /* not inside the shim (the resolver's sockets are never decided on), and not when
     * the process passes everything through anyway */
    bits = fresh_bits(domain, type, protocol);
    if (bits != 0 && !sv_in_shim &&
        __atomic_load_n(&sv_engine_state, __ATOMIC_RELAXED) != SV_OFF)
        sv_fd_add(fd, bits);
    return fd;
}

SV_EXPORT int dup(int oldfd)
{
    int fd = sv_libc.dup(oldfd);

    fresh_number(fd);
    return fd;
}

/* The third argument is passed on as libc reads it: a pointer-sized value, whatever the
 * command (commands without one ignore it). */
SV_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    void *arg;
    int rc;

    va_start(ap, cmd);
    arg = va_arg(ap, void *);
    va_end(ap);
    rc = sv_libc.fcntl(fd, cmd, arg);
    if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
        fresh_number(rc);
    return rc;
}

/* glibc 2.28+ programs built with 64-bit file offsets on 32-bit systems call fcntl64 */
SV_EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

SV_EXPORT int accept(int fd, SV_SOCKADDR_OUT addr, socklen_t *len)
{
    int rc = sv_libc.accept(fd, SV_SA_OUT(addr), len);

    fresh_number(rc);
    return rc;
}

SV_EXPORT int accept4(int fd, SV_SOCKADDR_OUT addr, socklen_t *len, int flags)
{
    int rc = sv_libc.accept4(fd, SV_SA_OUT(addr), len, flags);

    fresh_number(rc);
    return rc;
}
