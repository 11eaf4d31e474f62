/* Start-up cost: runs a program ROUNDS times in each of several environments,
 * interleaved (A B C A B C ...), timing fork + execve + exit + waitpid of each run.
 *
 *   spawn ROUNDS VARIANTS... -- PROGRAM [ARGS]
 *
 * A variant is a comma-separated list of NAME=VALUE added to the environment ("-" for
 * none). LD_PRELOAD is removed from the base environment. Prints one JSON line: per
 * variant the median and the 10th/90th percentiles in microseconds, and per variant after
 * the first the median over rounds of (this run / the first variant's run of the same
 * round) with its 10th/90th percentiles; the same for the child's CPU time (user + system,
 * from wait4's rusage), which the machine's other work disturbs less than wall time. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_VARIANTS 8
#define MAX_ENV 512

extern char **environ;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
    double *c = malloc((size_t)n * sizeof *c);
    double r;
    int i;
    memcpy(c, v, (size_t)n * sizeof *c);
    qsort(c, (size_t)n, sizeof *c, cmp);
    i = (int)(p * (n - 1) + 0.5);
    r = c[i];
    free(c);
    return r;
}

int main(int argc, char **argv)
{
    char **envs[MAX_VARIANTS];
    int nv = 0, rounds, argi;
    double *t[MAX_VARIANTS], *cpu[MAX_VARIANTS];

    if (argc < 5) {
        fprintf(stderr, "usage: spawn ROUNDS VARIANT... -- PROGRAM [ARGS]\n");
        return 2;
    }
    rounds = atoi(argv[1]);
    if (rounds < 1 || rounds > 100000)
        return 2;
    for (argi = 2; argi < argc && strcmp(argv[argi], "--") != 0; argi++) {
        char **env = calloc(MAX_ENV, sizeof *env), *list;
        int k = 0;
        if (nv == MAX_VARIANTS)
            return 2;
        for (char **e = environ; *e && k < MAX_ENV - 32; e++)
            if (strncmp(*e, "LD_PRELOAD=", 11) != 0)
                env[k++] = *e;
        if (strcmp(argv[argi], "-") != 0) {
            list = strdup(argv[argi]);
            for (char *p = strtok(list, ","); p && k < MAX_ENV - 1; p = strtok(NULL, ","))
                env[k++] = p;
        }
        envs[nv] = env;
        t[nv] = calloc((size_t)rounds, sizeof(double));
        cpu[nv] = calloc((size_t)rounds, sizeof(double));
        nv++;
    }
    if (argi >= argc - 1 || nv == 0)
        return 2;
    argi++;
    for (int r = 0; r < rounds; r++) {
        for (int v = 0; v < nv; v++) {
            double t0 = now_ns();
            int st;
            struct rusage ru;
            pid_t pid = fork();
            if (pid == 0) {
                execve(argv[argi], argv + argi, envs[v]);
                _exit(127);
            }
            if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
                WEXITSTATUS(st) != 0) {
                fprintf(stderr, "spawn: %s failed\n", argv[argi]);
                return 1;
            }
            t[v][r] = now_ns() - t0;
            cpu[v][r] = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
                        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
        }
    }
    printf("{\"rounds\": %d, \"variants\": [", rounds);
    for (int v = 0; v < nv; v++) {
        printf("%s{\"median_us\": %.2f, \"p10_us\": %.2f, \"p90_us\": %.2f, "
               "\"cpu_median_us\": %.2f", v ? ", " : "",
               pct(t[v], rounds, 0.5) / 1e3, pct(t[v], rounds, 0.1) / 1e3,
               pct(t[v], rounds, 0.9) / 1e3, pct(cpu[v], rounds, 0.5) / 1e3);
        if (v > 0) {
            double *ratio = malloc((size_t)rounds * sizeof *ratio);
            for (int r = 0; r < rounds; r++)
                ratio[r] = t[v][r] / t[0][r];
            printf(", \"ratio_median\": %.4f, \"ratio_p10\": %.4f, \"ratio_p90\": %.4f",
                   pct(ratio, rounds, 0.5), pct(ratio, rounds, 0.1), pct(ratio, rounds, 0.9));
            for (int r = 0; r < rounds; r++)
                ratio[r] = cpu[0][r] > 0 ? cpu[v][r] / cpu[0][r] : 1.0;
            printf(", \"cpu_ratio_median\": %.4f", pct(ratio, rounds, 0.5));
            free(ratio);
        }
        printf("}");
    }
    printf("]}\n");
    return 0;
}
