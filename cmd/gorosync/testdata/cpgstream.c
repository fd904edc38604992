/*
 * cpgstream: a libcpg client for gorosync's namespace tests (ours). It
 * joins GROUP, multicasts COUNT numbered messages GAP_US apart, and prints
 * every callback until it has run SECONDS seconds:
 *
 *   cpgstream GROUP COUNT GAP_US SECONDS
 *
 *   c members [n/p ...] left [n/p:r ...] joined [n/p:r ...]
 *   d n/p SEQ
 *   sent N            (after the last message was accepted)
 *   error WHAT CODE   (exit 1)
 *
 * A multicast refused with CS_ERR_TRY_AGAIN (flow control, sync) is
 * retried: every accepted message must then be delivered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include <corosync/cpg.h>

static void list(const char *label, const struct cpg_address *l, size_t n, int reasons)
{
	printf(" %s [", label);
	for (size_t i = 0; i < n; i++) {
		printf("%s%u/%u", i ? " " : "", l[i].nodeid, l[i].pid);
		if (reasons)
			printf(":%u", l[i].reason);
	}
	printf("]");
}

static void confchg(cpg_handle_t h, const struct cpg_name *g,
	const struct cpg_address *m, size_t nm, const struct cpg_address *l, size_t nl,
	const struct cpg_address *j, size_t nj)
{
	(void)h; (void)g;
	printf("c");
	list("members", m, nm, 0);
	list("left", l, nl, 1);
	list("joined", j, nj, 1);
	printf("\n");
	fflush(stdout);
}

static void deliver(cpg_handle_t h, const struct cpg_name *g, uint32_t nodeid,
	uint32_t pid, void *msg, size_t len)
{
	(void)h; (void)g;
	unsigned long long seq = 0;
	if (len >= sizeof(seq))
		memcpy(&seq, msg, sizeof(seq));
	printf("d %u/%u %llu\n", nodeid, pid, seq);
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what, cs_error_t e)
{
	printf("error %s %d\n", what, e);
	fflush(stdout);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: cpgstream GROUP COUNT GAP_US SECONDS\n");
		return 2;
	}
	cpg_callbacks_t cb = { .cpg_deliver_fn = deliver, .cpg_confchg_fn = confchg };
	cpg_handle_t h;
	struct cpg_name name;
	name.length = strlen(argv[1]);
	memcpy(name.value, argv[1], name.length);
	long count = atol(argv[2]), gap = atol(argv[3]);
	double end = now() + atof(argv[4]);
	cs_error_t e;
	for (int i = 0; (e = cpg_initialize(&h, &cb)) == CS_ERR_TRY_AGAIN && i < 100; i++)
		usleep(50000);
	if (e != CS_OK)
		return fail("initialize", e);
	while ((e = cpg_join(h, &name)) == CS_ERR_TRY_AGAIN)
		usleep(10000);
	if (e != CS_OK)
		return fail("join", e);
	int fd;
	cpg_fd_get(h, &fd);
	long sent = 0;
	double next = now() + 0.2; /* let the others join first */
	while (now() < end) {
		if (sent < count && now() >= next) {
			unsigned long long seq = sent;
			char buf[64] = { 0 };
			memcpy(buf, &seq, sizeof(seq));
			struct iovec iov = { buf, sizeof(buf) };
			e = cpg_mcast_joined(h, CPG_TYPE_AGREED, &iov, 1);
			if (e == CS_OK) {
				sent++;
				next = now() + gap / 1e6;
				if (sent == count) {
					printf("sent %ld\n", sent);
					fflush(stdout);
				}
			} else if (e != CS_ERR_TRY_AGAIN) {
				return fail("mcast", e);
			}
		}
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 1) > 0) {
			e = cpg_dispatch(h, CS_DISPATCH_ALL);
			if (e != CS_OK)
				return fail("dispatch", e);
		}
	}
	cpg_finalize(h);
	return 0;
}
