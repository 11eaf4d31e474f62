/* close(2), shutdown(2), dup2(2), dup3(2), close_range(2): when a socket the shim bound
 * through an `lc` rule goes away, its count goes back to the engine. Descriptors the shim
 * never touched cost one table load (fdtrack.h). An `lc` count belongs to the descriptor
 * number the shim bound: a dup of it that outlives the original is not counted. */
#include <errno.h>
#include <unistd.h>

#include "shim.h"

/* Gives back a count just taken from a descriptor's state; not from a signal handler
 * interrupting the shim, which must not take the lock again. */
static __attribute__((noinline)) void give_back(uint32_t rule, uint32_t index)
{
    int saved;

    if (sv_in_shim)
        return;
    saved = errno;
    sv_release(rule, index);
    errno = saved;
}

void sv_fd_forget(int fd)
{
    uint32_t rule = 0, index = 0;

    if (sv_in_shim)
        return;
    /* A vfork child shares our memory but not our descriptor table: what it closes is still
     * open in the parent, which still needs its count and its SV_FD_USER (never re-bind).
     * The other bits only spare the parent system calls: losing them is harmless, so only
     * for these two is the getpid() of sv_in_vfork_child worth paying. */
    if ((sv_fd_get(fd) & (SV_FD_COUNTED | SV_FD_USER)) && sv_in_vfork_child())
        return;
    if (sv_fd_take(fd, &rule, &index) & SV_FD_COUNTED)
        give_back(rule, index);
}

SV_EXPORT int close(int fd)
{
    uint32_t rule, index;
    unsigned state;

    /* forgotten before the real close: afterwards another thread may get the number.
     * Without an `lc` count or SV_FD_USER there is no vfork question (the other bits only
     * spare system calls), so the common case takes the state here, without the checks
     * of sv_fd_forget. Taken atomically: a count another thread of the application took
     * meanwhile is given back too. */
    state = sv_fd_get(fd);
    if (state & (SV_FD_COUNTED | SV_FD_USER))
        sv_fd_forget(fd);
    else if (state != 0 && (sv_fd_take(fd, &rule, &index) & SV_FD_COUNTED))
        give_back(rule, index);
    return sv_libc.close(fd);
}

SV_EXPORT int shutdown(int fd, int how)
{
    int rc;

    rc = sv_libc.shutdown(fd, how);
    if (rc == 0 && how == SHUT_RDWR && (sv_fd_get(fd) & SV_FD_COUNTED) && !sv_in_shim &&
        !sv_in_vfork_child()) {
        uint32_t rule, index;
        int saved = errno;

        if (sv_fd_uncount(fd, &rule, &index))
            sv_release(rule, index);
        errno = saved;
    }
    return rc;
}

/* After a successful dup2/dup3, newfd's old socket (if any) is closed. Checked after the
 * call: on failure newfd is untouched, and on success its number stays occupied. */
SV_EXPORT int dup2(int oldfd, int newfd)
{
    int rc;

    rc = sv_libc.dup2(oldfd, newfd);
    if (rc >= 0 && oldfd != newfd && sv_fd_get(newfd) != 0)
        sv_fd_forget(newfd);
    return rc;
}

SV_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    int rc;

    rc = sv_libc.dup3(oldfd, newfd, flags);
    if (rc >= 0 && sv_fd_get(newfd) != 0)
        sv_fd_forget(newfd);
    return rc;
}

SV_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
    /* only a valid request that really closes; the scan stops at the highest descriptor
     * ever tracked, so close_range(3, ~0U) stays cheap */
    if (first <= last && (flags & ~(int)CLOSE_RANGE_UNSHARE) == 0) {
        unsigned high = sv_fd_high();
        unsigned end = last < high ? last + 1 : high;

        for (unsigned fd = first; fd < end; fd++)
            if (sv_fd_get((int)fd) != 0)
                sv_fd_forget((int)fd);
    }
    return sv_libc.close_range(first, last, flags);
}
