/* Host names of the configuration, resolved by getaddrinfo(3) in threads of our own so
 * that the loading thread can stop waiting at a deadline (resolve.h). A job is shared by
 * the loader and the threads and freed by whichever lets go of it last; a thread that
 * finishes after the deadline writes into the job, never into the loader's memory. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "resolve.h"

#define MAX_THREADS 8

extern __thread int sv_in_shim __attribute__((tls_model("initial-exec")));

struct job {
    uint32_t refs;     /* the loader and each running thread */
    uint32_t n;
    uint32_t next;     /* the next name a thread takes */
    uint32_t finished; /* names answered; the loader waits on this word */
    char **names;
    struct sv_name_answer *answers;
    uint8_t *done; /* answers[i] is complete */
};

unsigned sv_resolve_timeout_ms(void)
{
    const char *v = getauxval(AT_SECURE) ? NULL : getenv("SRC_VIPA_RESOLVE_TIMEOUT");
    unsigned long ms = 0, scale = 1000;
    const char *p = v;
    int digits = 0;

    if (v == NULL || *v == '\0')
        return SV_RESOLVE_DEFAULT_MS;
    /* seconds with an optional fraction, read by hand: strtod follows the program's locale */
    for (; *p >= '0' && *p <= '9' && ms <= SV_RESOLVE_MAX_MS; p++, digits++)
        ms = ms * 10 + (unsigned long)(*p - '0') * 1000;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if ((scale /= 10) > 0)
                ms += (unsigned long)(*p - '0') * scale;
    if (*p != '\0' || digits == 0 || ms > SV_RESOLVE_MAX_MS) {
        SV_ONCE(LOG_WARNING,
                "SRC_VIPA_RESOLVE_TIMEOUT=%.32s is not a number of seconds from 0 to %u: "
                "using %u; write e.g. SRC_VIPA_RESOLVE_TIMEOUT=0.5",
                v, SV_RESOLVE_MAX_MS / 1000, SV_RESOLVE_DEFAULT_MS / 1000);
        return SV_RESOLVE_DEFAULT_MS;
    }
    return (unsigned)ms;
}

static void job_free(struct job *j)
{
    for (uint32_t i = 0; i < j->n; i++) {
        free(j->names[i]);
        if (j->answers != NULL)
            free(j->answers[i].addrs);
    }
    free(j->names);
    free(j->answers);
    free(j->done);
    free(j);
}

static void job_unref(struct job *j)
{
    if (__atomic_sub_fetch(&j->refs, 1, __ATOMIC_ACQ_REL) == 0)
        job_free(j);
}

static void resolve_one(const char *name, struct sv_name_answer *a)
{
    struct addrinfo hints, *res, *ai;
    size_t n = 0;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM; /* one entry per address, not one per socket type */
    rc = *name ? getaddrinfo(name, NULL, &hints, &res) : EAI_NONAME;
    if (rc != 0) {
        a->reason = rc == EAI_NONAME
#ifdef EAI_NODATA
                            || rc == EAI_NODATA
#endif
                        ? 1
                    : rc == EAI_AGAIN ? 2
                                      : 3;
        return;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next)
        n++;
    a->addrs = calloc(n ? n : 1, sizeof *a->addrs);
    if (a->addrs == NULL) {
        a->reason = 3;
        freeaddrinfo(res);
        return;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        struct sv_name_addr *out = &a->addrs[a->count];

        if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
            memcpy(out->addr, &((const struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
            out->family = 4;
            a->count++;
        } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
            memcpy(out->addr, &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
            out->family = 6;
            a->count++;
        }
    }
    freeaddrinfo(res);
}

/* Takes names until none is left. */
static void work(struct job *j)
{
    for (;;) {
        uint32_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);

        if (i >= j->n)
            return;
        resolve_one(j->names[i], &j->answers[i]);
        __atomic_store_n(&j->done[i], 1, __ATOMIC_RELEASE);
        __atomic_add_fetch(&j->finished, 1, __ATOMIC_RELEASE);
        syscall(SYS_futex, &j->finished, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    }
}

static void *worker(void *arg)
{
    struct job *j = arg;

    sv_in_shim = 1; /* getaddrinfo's own sockets and connects pass straight through */
    work(j);
    job_unref(j);
    return NULL;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct job *job_new(const char *const *names, uint32_t n)
{
    struct job *j = calloc(1, sizeof *j);
    uint32_t i;

    if (j == NULL)
        return NULL;
    j->n = n;
    j->refs = 1;
    j->names = calloc(n, sizeof *j->names);
    j->answers = calloc(n, sizeof *j->answers);
    j->done = calloc(n, 1);
    for (i = 0; j->names && j->answers && j->done && i < n; i++)
        if ((j->names[i] = strdup(names[i])) == NULL)
            break;
    if (i < n) {
        j->n = i; /* job_free frees what was copied */
        job_free(j);
        return NULL;
    }
    return j;
}

/* Starts up to MAX_THREADS workers with every signal blocked (the program's handlers never
 * run on them). Returns how many started. */
static int start_workers(struct job *j)
{
    pthread_attr_t attr;
    sigset_t all, old;
    int started = 0;

    if (pthread_attr_init(&attr) != 0)
        return 0;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (uint32_t i = 0; i < j->n && i < MAX_THREADS; i++) {
        pthread_t t;

        __atomic_add_fetch(&j->refs, 1, __ATOMIC_RELAXED);
        if (pthread_create(&t, &attr, worker, j) != 0) {
            __atomic_sub_fetch(&j->refs, 1, __ATOMIC_RELAXED);
            break;
        }
        started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return started;
}

void sv_resolve_getaddrinfo(void *ctx, const char *const *names, uint32_t n,
                            struct sv_name_answer *answers)
{
    unsigned timeout = *(const unsigned *)ctx;
    uint64_t deadline = now_ms() + timeout;
    struct job *j = job_new(names, n);
    uint32_t i, finished;

    if (j == NULL) {
        for (i = 0; i < n; i++)
            answers[i].reason = 3;
        return;
    }
    if (start_workers(j) == 0) {
        SV_ONCE(LOG_WARNING, "cannot start resolver threads (%s): resolving in this thread",
                strerror(errno));
        work(j); /* no deadline possible inside getaddrinfo; still bounded by resolv.conf */
    }
    while ((finished = __atomic_load_n(&j->finished, __ATOMIC_ACQUIRE)) < n) {
        uint64_t now = now_ms();
        struct timespec left;

        if (now >= deadline)
            break;
        left.tv_sec = (time_t)((deadline - now) / 1000);
        left.tv_nsec = (long)((deadline - now) % 1000) * 1000000;
        syscall(SYS_futex, &j->finished, FUTEX_WAIT_PRIVATE, finished, &left, NULL, 0);
    }
    for (i = 0; i < n; i++) {
        if (__atomic_load_n(&j->done[i], __ATOMIC_ACQUIRE)) {
            answers[i] = j->answers[i]; /* the addresses are the loader's now */
            j->answers[i].addrs = NULL;
        } else
            answers[i].reason = 2; /* not answered in time: a temporary failure */
    }
    if (__atomic_load_n(&j->finished, __ATOMIC_ACQUIRE) < n)
        sv_log(LOG_WARNING, "resolve", "host names not resolved within %u ms "
               "(SRC_VIPA_RESOLVE_TIMEOUT): their rules are skipped in this process", timeout);
    job_unref(j);
}
