/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the benchmark programs in tests/bench/: clocks,
 * order statistics, the CPU time of a process.  Header-only because the
 * Makefile builds each tests/bench/NAME.c into its own program.
 *
 * Every figure the benchmarks print is a ratio against a baseline measured
 * in the same run, interleaved round by round (the machines are shared and
 * drift): these helpers turn per-round samples into "median (min..max)".
 */
#ifndef XW_BENCH_H
#define XW_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t bench_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bench_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int bench_cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* q-quantile (0..1) of n values, linear interpolation; sorts v in place.  0 when n == 0. */
static inline double bench_quantile(double *v, size_t n, double q)
{
	double pos;
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_dbl);
	pos = q * (double)(n - 1);
	i = (size_t)pos;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

/* Median, smallest and largest of n values (v is sorted in place). */
struct bench_spread {
	double med, min, max;
};

static inline struct bench_spread bench_spread(double *v, size_t n)
{
	struct bench_spread s = {0, 0, 0};

	if (!n)
		return s;
	s.med = bench_quantile(v, n, 0.5);
	s.min = v[0];
	s.max = v[n - 1];
	return s;
}

/*
 * utime + stime of a process (or of this one with pid 0) in seconds, from
 * /proc/PID/stat; -1 when it cannot be read.  Clock ticks, so only
 * meaningful over intervals of a second or so.
 */
static inline double bench_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;
	int i;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may contain spaces: fields count from the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p += 2; /* field 3, state */
	for (i = 3; i < 14 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * Seconds pid's threads have spent runnable but waiting for a CPU (the
 * second field of /proc/PID/schedstat, its main thread): how much CPU the
 * rest of the machine kept from it.  -1 when the kernel has no schedstats.
 */
static inline double bench_runq_s(pid_t pid)
{
	unsigned long long run, wait;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%llu %llu", &run, &wait);
	fclose(f);
	return n == 2 ? (double)wait / 1e9 : -1;
}

#endif /* XW_BENCH_H */
