/* Host-wide round robin for `rr:ABC` (docs/shim.md "Shared memory").
 *
 * Key: ftok(3) is not used: it keeps only 8 bits of its project id (and 16 of the inode),
 * so different lines of one file would share keys. Instead
 *     key = FNV-1a-32("src_vipa rr 2" | st_dev | st_ino | line)   (fields as 64/64/32-bit
 * little-endian), skipping IPC_PRIVATE. A colliding key is detected through an identity
 * stored in the segment (a 64-bit FNV-1a of the same bytes, claimed with a compare-and-swap
 * by the first process): on a mismatch the next of 8 probe keys (key + i * 0x9E3779B1) is
 * tried, in the same order by every process.
 *
 * Trust: any local user may have created a segment under our key first, and an rr:666
 * segment may be written by anyone. A segment is used only if its size, its permission
 * bits (exactly the rule's) and its owner (ours, unless the bits let others write it) are
 * right, and its header (magic, layout version, size) is ours; otherwise the next probe
 * key is tried. Every value read from it is checked where it is used: the counter never
 * yields 0xFFFFFFFF (the ABI's "no shared counter"), a lock word held for more than a few
 * milliseconds makes the process count alone (with a notice) instead of waiting.
 *
 * Removal: the segment goes when the last process using it exits, not when the first one
 * does. A lock word inside the segment orders "attach" against "remove": an exiting process
 * takes the lock, asks the kernel for shm_nattch, and only if it is the sole attachment
 * removes the segment (IPC_RMID) and marks it dead before letting go. A process attaching
 * concurrently checks, under the same lock, that the segment is not dead (and that our key
 * still leads to its id): otherwise it detaches and starts over, creating a fresh segment, so
 * two counters never live side by side. After IPC_RMID the key is free at once, which is
 * why the check and the removal must be atomic with respect to attaching.
 * Not covered (documented): a process killed by SIGKILL, or one that ends in _exit() or
 * exec() as the last user, leaves the segment in place (ipcs shows it with nattch 0; the
 * next process reuses it, and the next last exit removes it; `ipcrm` removes it by hand). */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "shm_counter.h"

#define PROBES 8
#define ATTACH_TRIES 4
#define KEY_TAG "src_vipa rr 2"
#define MAGIC 0x52525653u /* "SVRR" */
#define LAYOUT 2u
#define LOCK_WAIT_NS 5000000L /* the lock guards a few system calls */
#define NO_COUNTER 0xFFFFFFFFu

/* Layout 2 (layout 1, without the header, used the key tag "src_vipa rr 1"). */
struct segment {
    uint32_t magic;   /* MAGIC once claimed */
    uint16_t layout;  /* LAYOUT */
    uint16_t size;    /* sizeof(struct segment) */
    uint64_t ident;   /* identity hash; 0 until the first process claims the segment */
    uint32_t lock;    /* 0 free, 1 held: orders attaching against removal */
    uint32_t dead;    /* set under the lock right after IPC_RMID succeeded */
    uint32_t counter; /* the round robin itself: 0 ... 0xFFFFFFFE */
    uint32_t line;    /* for humans looking at the segment */
    uint64_t dev, ino;
};

struct attachment {
    uint32_t line;
    int shmid;
    struct segment *seg; /* NULL: no shared counter for this line (failure remembered) */
};

static struct attachment *table; /* mmap'ed: attaching may happen inside a signal handler */
static size_t count, cap;
static int exiting;

/* ---- key and identity ------------------------------------------------------------------ */

static void identity_bytes(uint8_t out[8 + 8 + 4], uint64_t dev, uint64_t ino, uint32_t line)
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(dev >> (8 * i));
        out[8 + i] = (uint8_t)(ino >> (8 * i));
    }
    for (int i = 0; i < 4; i++)
        out[16 + i] = (uint8_t)(line >> (8 * i));
}

static uint32_t fnv1a32(const uint8_t *p, size_t n, uint32_t h)
{
    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n, uint64_t h)
{
    while (n--)
        h = (h ^ *p++) * 1099511628211ull;
    return h;
}

static key_t base_key(const uint8_t id[20])
{
    uint32_t h = fnv1a32((const uint8_t *)KEY_TAG, sizeof KEY_TAG - 1, 2166136261u);

    return (key_t)fnv1a32(id, 20, h);
}

static uint64_t identity(const uint8_t id[20])
{
    uint64_t h = fnv1a64((const uint8_t *)KEY_TAG, sizeof KEY_TAG - 1, 14695981039346656037ull);

    h = fnv1a64(id, 20, h);
    return h ? h : 1;
}

/* ---- the in-segment lock ---------------------------------------------------------------- */

static long elapsed_ns(const struct timespec *since)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

/* Held for a few system calls at most. Bounded (LOCK_WAIT_NS): a holder killed in
 * between, or another user writing the word, must not stall everyone; the caller then
 * does without the segment. */
static int lock_segment(struct segment *s)
{
    struct timespec start;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        uint32_t expected = 0;

        if (__atomic_compare_exchange_n(&s->lock, &expected, 1, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return 0;
        if (elapsed_ns(&start) > LOCK_WAIT_NS)
            return -1;
        sched_yield();
    }
}

static void unlock_segment(struct segment *s)
{
    __atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

/* ---- attaching -------------------------------------------------------------------------- */

enum { ATTACHED, RETRY, NEXT_PROBE, FAILED };

/* The segment's permission bits are exactly the rule's, and its owner is us unless those
 * bits let others (or, with group bits, our group) write it. */
static int trusted(const struct shmid_ds *ds, uint32_t perm)
{
    if ((ds->shm_perm.mode & 0777) != (perm & 0777) || ds->shm_segsz != sizeof(struct segment))
        return 0;
    if (ds->shm_perm.uid == geteuid() || (perm & 0002))
        return 1;
    return (perm & 0020) && ds->shm_perm.gid == getegid();
}

/* Under the segment's lock: the header is ours (claimed now if the segment is new). */
static int claim(struct segment *s, uint64_t ident, const uint8_t id[20], uint32_t line)
{
    uint64_t expected = 0;

    if (__atomic_compare_exchange_n(&s->ident, &expected, ident, 0, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED)) {
        s->magic = MAGIC;
        s->layout = LAYOUT;
        s->size = sizeof *s;
        s->line = line;
        memcpy(&s->dev, id, 8);
        memcpy(&s->ino, id + 8, 8);
        return 1;
    }
    return expected == ident && s->magic == MAGIC && s->layout == LAYOUT && s->size == sizeof *s;
}

/* One attempt at the segment of key. */
static int try_attach(key_t key, uint64_t ident, const uint8_t id[20], uint32_t line,
                      uint32_t perm, struct attachment *out)
{
    struct shmid_ds ds;
    struct segment *s;
    int shmid, result;

    shmid = shmget(key, sizeof *s, 0);
    if (shmid < 0 && errno == ENOENT) {
        shmid = shmget(key, sizeof *s, IPC_CREAT | IPC_EXCL | (int)(perm & 0777));
        if (shmid < 0 && errno == EEXIST)
            return RETRY; /* another process created it just now */
    }
    if (shmid < 0) {
        /* EINVAL: a smaller segment holds this key; EACCES: one we may not use */
        if (errno == EINVAL || errno == EACCES)
            return NEXT_PROBE;
        SV_ONCE(LOG_WARNING, "rr: shmget: %s", strerror(errno));
        return FAILED;
    }
    if (shmctl(shmid, IPC_STAT, &ds) != 0)
        return errno == EACCES ? NEXT_PROBE : RETRY;
    if (!trusted(&ds, perm))
        return NEXT_PROBE;
    s = shmat(shmid, NULL, 0);
    if (s == (void *)-1) {
        if (errno == EINVAL || errno == EIDRM)
            return RETRY; /* removed between shmget and shmat */
        if (errno == EACCES)
            return NEXT_PROBE;
        SV_ONCE(LOG_WARNING, "rr: shmat: %s", strerror(errno));
        return FAILED;
    }
    /* the key must still lead to this id: after IPC_RMID the key is released (and the id
     * may even have been reused by someone else's segment) */
    if (shmget(key, sizeof *s, 0) != shmid) {
        shmdt(s);
        return RETRY;
    }
    if (lock_segment(s) != 0) {
        shmdt(s);
        SV_ONCE(LOG_WARNING, "rr: the shared counter of line %u is locked for too long "
                             "(key 0x%08x): counting per process", line, (unsigned)key);
        return FAILED;
    }
    if (__atomic_load_n(&s->dead, __ATOMIC_RELAXED))
        result = RETRY;
    else
        result = claim(s, ident, id, line) ? ATTACHED : NEXT_PROBE;
    unlock_segment(s);
    if (result != ATTACHED) {
        shmdt(s);
        return result;
    }
    out->shmid = shmid;
    out->seg = s;
    return ATTACHED;
}

static void attach(uint64_t dev, uint64_t ino, uint32_t line, uint32_t perm, struct attachment *out)
{
    uint8_t id[20];
    uint64_t ident;
    key_t key;

    identity_bytes(id, dev, ino, line);
    ident = identity(id);
    key = base_key(id);
    out->line = line;
    out->seg = NULL;
    out->shmid = -1;
    for (uint32_t probe = 0; probe < PROBES; probe++) {
        key_t k = (key_t)((uint32_t)key + probe * 0x9E3779B1u);
        int tries, r = RETRY;

        if (k == IPC_PRIVATE)
            continue;
        for (tries = 0; tries < ATTACH_TRIES && r == RETRY; tries++)
            r = try_attach(k, ident, id, line, perm, out);
        if (r == ATTACHED) {
            SV_DEBUG("rr: line %u uses shared memory key 0x%08x (id %d)", line, (unsigned)k,
                     out->shmid);
            return;
        }
        if (r != NEXT_PROBE)
            return;
    }
    SV_ONCE(LOG_WARNING, "rr: no free shared memory key for line %u", line);
}

static struct attachment *lookup(uint64_t dev, uint64_t ino, uint32_t line, uint32_t perm)
{
    for (size_t i = 0; i < count; i++)
        if (table[i].line == line)
            return &table[i];
    if (count == cap) {
        size_t ncap = cap ? cap * 2 : 64;
        void *t = table ? mremap(table, cap * sizeof *table, ncap * sizeof *table, MREMAP_MAYMOVE)
                        : mmap(NULL, ncap * sizeof *table, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (t == MAP_FAILED)
            return NULL;
        table = t;
        cap = ncap;
    }
    attach(dev, ino, line, perm, &table[count]);
    return &table[count++];
}

/* Takes the next value, skipping 0xFFFFFFFF (the ABI's "no shared counter"): the counter
 * runs 0 ... 0xFFFFFFFE and wraps to 0; whatever another process wrote, a valid value. */
uint32_t sv_rr_next(uint64_t dev, uint64_t ino, uint32_t line, uint32_t perm)
{
    struct attachment *a;
    uint32_t seen, value, next;

    if (exiting)
        return NO_COUNTER;
    a = lookup(dev, ino, line, perm);
    if (a == NULL || a->seg == NULL)
        return NO_COUNTER;
    seen = __atomic_load_n(&a->seg->counter, __ATOMIC_RELAXED);
    do {
        value = seen == NO_COUNTER ? 0 : seen;
        next = value == NO_COUNTER - 1 ? 0 : value + 1;
    } while (!__atomic_compare_exchange_n(&a->seg->counter, &seen, next, 1, __ATOMIC_SEQ_CST,
                                          __ATOMIC_RELAXED));
    return value;
}

void sv_rr_detach_all(void)
{
    exiting = 1;
    for (size_t i = 0; i < count; i++) {
        struct segment *s = table[i].seg;
        struct shmid_ds ds;

        if (s == NULL)
            continue;
        if (lock_segment(s) == 0) {
            if (shmctl(table[i].shmid, IPC_STAT, &ds) == 0 && ds.shm_nattch == 1 &&
                shmctl(table[i].shmid, IPC_RMID, NULL) == 0)
                __atomic_store_n(&s->dead, 1, __ATOMIC_RELAXED);
            unlock_segment(s);
        }
        shmdt(s);
        table[i].seg = NULL;
    }
}
