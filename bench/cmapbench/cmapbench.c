//go:build ignore

// The constraint above keeps the go tool from treating this file as a cgo
// source of package cmapbench; cmapbench.go embeds it and compiles it with gcc.

/*
 * cmapbench — a small libcmap benchmark client.
 *
 *   cmapbench [-M icmap|stats] -k KEY -t SECONDS
 *       calls cmap_get(KEY) back to back for SECONDS on one connection and
 *       prints {"mode":"get",...,"ops_per_s":N} on stdout;
 *   cmapbench [-M icmap|stats] -k KEY [-k KEY]... -n 1
 *       gets each integer KEY once and prints {"mode":"values","values":{KEY:V,...}}
 *       (values widened to 64 bits; signed ones as their two's complement).
 *
 * Errors: a message on stderr naming the failing call and its cs_error_t,
 * exit status 1.
 *
 * Build: gcc -std=c99 -O2 -Wall -Wextra -o cmapbench cmapbench.c -lcmap
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <corosync/corotypes.h>
#include <corosync/cmap.h>

#define INIT_RETRY_NS (10LL * 1000000000LL)
#define VALUE_MAX 4096
#define MAX_KEYS 16

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("cmapbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: cmapbench [-M icmap|stats] -k KEY -t SECONDS\n"
			"       cmapbench [-M icmap|stats] -k KEY [-k KEY]... -n 1\n");
	exit(1);
}

static cmap_handle_t connect_map(cmap_map_t map)
{
	cmap_handle_t h;
	cs_error_t err;
	int64_t deadline = now_ns() + INIT_RETRY_NS;

	for (;;) {
		err = cmap_initialize_map(&h, map);
		if (err == CS_OK)
			return h;
		if ((err != CS_ERR_TRY_AGAIN && err != CS_ERR_LIBRARY) || now_ns() >= deadline)
			die("cmap_initialize_map failed: %d", (int)err);
		usleep(100000);
	}
}

/* value_u64 widens an integer value; other types give 0 and ok = 0. */
static uint64_t value_u64(const char *v, cmap_value_types_t t, int *ok)
{
	*ok = 1;
	switch (t) {
	case CMAP_VALUETYPE_INT8: return (uint64_t)(int64_t)*(const int8_t *)v;
	case CMAP_VALUETYPE_UINT8: return *(const uint8_t *)v;
	case CMAP_VALUETYPE_INT16: { int16_t x; memcpy(&x, v, 2); return (uint64_t)(int64_t)x; }
	case CMAP_VALUETYPE_UINT16: { uint16_t x; memcpy(&x, v, 2); return x; }
	case CMAP_VALUETYPE_INT32: { int32_t x; memcpy(&x, v, 4); return (uint64_t)(int64_t)x; }
	case CMAP_VALUETYPE_UINT32: { uint32_t x; memcpy(&x, v, 4); return x; }
	case CMAP_VALUETYPE_INT64: { int64_t x; memcpy(&x, v, 8); return (uint64_t)x; }
	case CMAP_VALUETYPE_UINT64: { uint64_t x; memcpy(&x, v, 8); return x; }
	default: *ok = 0; return 0;
	}
}

int main(int argc, char **argv)
{
	const char *keys[MAX_KEYS];
	int nkeys = 0, i;
	double seconds = 0;
	long count = 0;
	cmap_map_t map = CMAP_MAP_ICMAP;
	cmap_handle_t h;
	cs_error_t err;
	char value[VALUE_MAX];
	size_t len;
	cmap_value_types_t type;
	int opt;

	while ((opt = getopt(argc, argv, "M:k:t:n:h")) != -1) {
		switch (opt) {
		case 'M':
			if (strcmp(optarg, "icmap") == 0)
				map = CMAP_MAP_ICMAP;
			else if (strcmp(optarg, "stats") == 0)
				map = CMAP_MAP_STATS;
			else
				usage();
			break;
		case 'k':
			if (nkeys == MAX_KEYS)
				usage();
			keys[nkeys++] = optarg;
			break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (optind != argc || nkeys == 0 || (seconds > 0) == (count > 0) || count > 1 || seconds < 0 ||
	    (seconds > 0 && nkeys != 1))
		usage();

	h = connect_map(map);
	if (count == 1) {
		printf("{\"mode\":\"values\",\"values\":{");
		for (i = 0; i < nkeys; i++) {
			int ok;
			uint64_t u;
			len = sizeof(value);
			err = cmap_get(h, keys[i], value, &len, &type);
			if (err != CS_OK)
				die("cmap_get(%s) failed: %d", keys[i], (int)err);
			u = value_u64(value, type, &ok);
			if (!ok)
				die("%s: not an integer (type %d)", keys[i], (int)type);
			printf("%s\"%s\":%" PRIu64, i ? "," : "", keys[i], u);
		}
		printf("}}\n");
	} else {
		uint64_t ops = 0;
		int64_t t0 = now_ns(), end = t0 + (int64_t)(seconds * 1e9), t = t0;
		/* The clock is read every 64 gets: the loop measures the IPC
		 * round trip, not clock_gettime. */
		while (t < end) {
			len = sizeof(value);
			err = cmap_get(h, keys[0], value, &len, &type);
			if (err != CS_OK)
				die("cmap_get(%s) failed: %d", keys[0], (int)err);
			if ((++ops & 63) == 0)
				t = now_ns();
		}
		t = now_ns();
		printf("{\"mode\":\"get\",\"key\":\"%s\",\"ops\":%" PRIu64 ",\"seconds\":%.3f,\"ops_per_s\":%.1f}\n",
		       keys[0], ops, (double)(t - t0) / 1e9, (double)ops / ((double)(t - t0) / 1e9));
	}
	fflush(stdout);
	cmap_finalize(h);
	return 0;
}
