/* Per-descriptor state (see fdtrack.h). Bits change with atomic operations: threads may
 * touch different descriptors at once. The `lc` side table (8 bytes per descriptor,
 * 8 MiB of address space) is mapped the first time a count is kept (mmap, not malloc: that
 * may be inside a signal handler that interrupted malloc), and only the pages of
 * descriptors actually used are ever touched. */
#include <stddef.h>
#include <sys/mman.h>

#include "fdtrack.h"
#include "log.h"

struct slot {
    uint32_t rule, index;
};

uint8_t sv_fd_state[SV_FD_TRACK_MAX];
unsigned sv_fd_high_mark;
static struct slot *slots;

void sv_fd_raise_high(int fd)
{
    unsigned want = (unsigned)fd + 1, cur = __atomic_load_n(&sv_fd_high_mark, __ATOMIC_RELAXED);

    while (cur < want && !__atomic_compare_exchange_n(&sv_fd_high_mark, &cur, want, 1,
                                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

int sv_fd_count(int fd, uint32_t rule, uint32_t index)
{
    struct slot *table = __atomic_load_n(&slots, __ATOMIC_ACQUIRE);

    if ((unsigned)fd >= SV_FD_TRACK_MAX) {
        SV_ONCE(LOG_WARNING, "descriptor %d is above %d: lc counts of such sockets are not kept",
                fd, SV_FD_TRACK_MAX);
        return -1;
    }
    if (table == NULL) {
        struct slot *expected = NULL;

        table = mmap(NULL, SV_FD_TRACK_MAX * sizeof *table, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (table == MAP_FAILED) {
            SV_ONCE(LOG_ERR, "out of memory: lc counts are not kept");
            return -1;
        }
        if (!__atomic_compare_exchange_n(&slots, &expected, table, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
            munmap(table, SV_FD_TRACK_MAX * sizeof *table); /* another thread was first */
            table = expected;
        }
    }
    table[fd].rule = rule;
    table[fd].index = index;
    sv_fd_add(fd, SV_FD_COUNTED);
    return 0;
}

static void read_slot(int fd, uint32_t *rule, uint32_t *index)
{
    struct slot *table = __atomic_load_n(&slots, __ATOMIC_ACQUIRE);

    *rule = table ? table[fd].rule : 0;
    *index = table ? table[fd].index : 0;
}

unsigned sv_fd_take(int fd, uint32_t *rule, uint32_t *index)
{
    unsigned old;

    if ((unsigned)fd >= SV_FD_TRACK_MAX)
        return 0;
    old = __atomic_exchange_n(&sv_fd_state[fd], 0, __ATOMIC_ACQ_REL);
    if (old & SV_FD_COUNTED)
        read_slot(fd, rule, index);
    return old;
}

int sv_fd_uncount(int fd, uint32_t *rule, uint32_t *index)
{
    unsigned old;

    if ((unsigned)fd >= SV_FD_TRACK_MAX)
        return 0;
    old = __atomic_fetch_and(&sv_fd_state[fd], (uint8_t)~SV_FD_COUNTED, __ATOMIC_ACQ_REL);
    if (!(old & SV_FD_COUNTED))
        return 0;
    read_slot(fd, rule, index);
    return 1;
}

