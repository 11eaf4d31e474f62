/* sendto(2), sendmsg(2), sendmmsg(2) with a destination: a socket not bound yet (UDP, or
 * TCP with MSG_FASTOPEN) is bound by destination rule before its first send. The socket is
 * then marked settled, so later datagrams cost one table load and no system call. The
 * application's msghdr and addresses are read through usermem.h (a bad pointer gets the
 * kernel's EFAULT), and only for a socket that is not settled yet. */
#include <errno.h>

#include "shim.h"
#include "usermem.h"

#define SETTLED (SV_FD_OURS | SV_FD_USER | SV_FD_SENT | SV_FD_NOT_INET)

static void before_send(int fd, const struct sockaddr *dst, socklen_t len, int flags,
                        const char *func)
{
    union sv_sockaddr copy;

    if (sv_read_inet(dst, len, &copy) &&
        sv_bind_for_destination(fd, &copy.sa, sv_fd_get(fd), (flags & MSG_FASTOPEN) != 0, func))
        sv_fd_add(fd, SV_FD_SENT);
}

/* Whether this socket may still need a decision; then errno is to be kept around it. */
static inline int unsettled(int fd)
{
    return !sv_in_shim && !(sv_fd_get(fd) & SETTLED) &&
           __atomic_load_n(&sv_engine_state, __ATOMIC_RELAXED) != SV_OFF;
}

SV_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, SV_SOCKADDR_ARG arg,
                         socklen_t len)
{
    const struct sockaddr *addr = SV_SA(arg);

    if (addr != NULL && unsettled(fd)) {
        int saved = errno;

        before_send(fd, addr, len, flags, __func__);
        errno = saved;
    }
    return sv_libc.sendto(fd, buf, n, flags, addr, len);
}

/* The destination in a msghdr, read without trusting msg. */
static void before_sendmsg(int fd, const struct msghdr *msg, int flags, const char *func)
{
    struct msghdr m;
    int saved = errno;

    if (sv_user_read(&m, msg, sizeof m) == SV_READ_OK && m.msg_name != NULL)
        before_send(fd, m.msg_name, m.msg_namelen, flags, func);
    errno = saved;
}

SV_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (unsettled(fd))
        before_sendmsg(fd, msg, flags, __func__);
    return sv_libc.sendmsg(fd, msg, flags);
}

/* One socket binds once: the first message's destination decides for the batch. */
SV_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
    if (vlen > 0 && unsettled(fd))
        before_sendmsg(fd, &vec[0].msg_hdr, flags, __func__);
    return sv_libc.sendmmsg(fd, vec, vlen, flags);
}
