/*
 * cpgclient: a small libcpg client for gorosync's tests (ours, written for
 * them). It joins a group, multicasts, and prints what it gets, one line
 * per callback, then leaves and finalizes.
 *
 *   cpgclient -g GROUP [-i] [-s SIZE]... [-z SIZE] [-e EXPECT] [-w MEMBERS]
 *
 *   -i          model v1 with the initial totem confchg flag
 *   -w MEMBERS  wait until the group has MEMBERS processes before sending
 *   -s SIZE     multicast a SIZE-byte message (repeatable); byte k of
 *               message m is (m * 31 + k) & 0xff
 *   -z SIZE     also multicast one SIZE-byte message through cpg_zcb_*
 *   -e EXPECT   deliveries to wait for before leaving
 *
 * Output lines:
 *   local NODEID / max_atomic N
 *   confchg GROUP members [n/p ...] left [n/p:r ...] joined [n/p:r ...]
 *   totem NODEID.SEQ [n ...]
 *   deliver GROUP from n/p LEN ok|corrupt
 *   membership [n/p ...]
 *   error WHAT CODE (exit 1)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <corosync/cpg.h>

static int members_now = -1;
static int delivered;
static int left_self;
static unsigned int self_nodeid;

static void print_list(const char *label, const struct cpg_address *l, size_t n, int reasons)
{
	if (label[0])
		printf(" %s", label);
	printf(" [");
	for (size_t i = 0; i < n; i++) {
		printf("%s%u/%u", i ? " " : "", l[i].nodeid, l[i].pid);
		if (reasons)
			printf(":%u", l[i].reason);
	}
	printf("]");
}

static void confchg(cpg_handle_t h, const struct cpg_name *g,
	const struct cpg_address *m, size_t nm,
	const struct cpg_address *l, size_t nl,
	const struct cpg_address *j, size_t nj)
{
	(void)h;
	printf("confchg %.*s", (int)g->length, g->value);
	print_list("members", m, nm, 0);
	print_list("left", l, nl, 1);
	print_list("joined", j, nj, 1);
	printf("\n");
	fflush(stdout);
	members_now = (int)nm;
	for (size_t i = 0; i < nl; i++)
		if (l[i].nodeid == self_nodeid && l[i].pid == (uint32_t)getpid())
			left_self = 1;
}

static void totem(cpg_handle_t h, struct cpg_ring_id ring, uint32_t n, const uint32_t *m)
{
	(void)h;
	printf("totem %u.%llu [", ring.nodeid, (unsigned long long)ring.seq);
	for (uint32_t i = 0; i < n; i++)
		printf("%s%u", i ? " " : "", m[i]);
	printf("]\n");
	fflush(stdout);
}

static int pattern_ok(const unsigned char *b, size_t n)
{
	if (n < 4)
		return 1;
	unsigned int m = b[0] | b[1] << 8 | b[2] << 16 | (unsigned)b[3] << 24;
	for (size_t k = 4; k < n; k++)
		if (b[k] != (unsigned char)((m * 31 + k) & 0xff))
			return 0;
	return 1;
}

static void deliver(cpg_handle_t h, const struct cpg_name *g, uint32_t node, uint32_t pid, void *msg, size_t len)
{
	(void)h;
	printf("deliver %.*s from %u/%u %zu %s\n", (int)g->length, g->value, node, pid, len,
		pattern_ok(msg, len) ? "ok" : "corrupt");
	fflush(stdout);
	delivered++;
}

static void fill(unsigned char *b, size_t n, unsigned int m)
{
	for (size_t k = 0; k < n; k++)
		b[k] = (unsigned char)((m * 31 + k) & 0xff);
	if (n >= 4) {
		b[0] = m; b[1] = m >> 8; b[2] = m >> 16; b[3] = m >> 24;
	}
}

static void fail(const char *what, cs_error_t e)
{
	printf("error %s %d\n", what, e);
	exit(1);
}

static void dispatch_until(cpg_handle_t h, int *done_flag, int (*cond)(void))
{
	(void)done_flag;
	for (int i = 0; i < 20000 && !cond(); i++) {
		cs_error_t e = cpg_dispatch(h, CS_DISPATCH_ONE_NONBLOCKING);
		if (e == CS_ERR_TRY_AGAIN) {
			usleep(1000);
			continue;
		}
		if (e != CS_OK)
			fail("dispatch", e);
	}
	if (!cond())
		fail("timeout", 0);
}

static int want_members, want_deliveries;
static int have_members(void) { return members_now >= want_members; }
static int have_deliveries(void) { return delivered >= want_deliveries; }
static int have_left(void) { return left_self; }

int main(int argc, char **argv)
{
	struct cpg_name group = { 0 };
	size_t sizes[16];
	int nsizes = 0, opt, initial = 0;
	long zsize = -1;
	want_members = 1;
	while ((opt = getopt(argc, argv, "g:is:z:e:w:")) != -1) {
		switch (opt) {
		case 'g': group.length = strlen(optarg); memcpy(group.value, optarg, group.length); break;
		case 'i': initial = 1; break;
		case 's': if (nsizes < 16) sizes[nsizes++] = strtoul(optarg, NULL, 0); break;
		case 'z': zsize = strtol(optarg, NULL, 0); break;
		case 'e': want_deliveries = atoi(optarg); break;
		case 'w': want_members = atoi(optarg); break;
		default: return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	cpg_model_v1_data_t model = { .model = CPG_MODEL_V1, .cpg_deliver_fn = deliver,
		.cpg_confchg_fn = confchg, .cpg_totem_confchg_fn = totem,
		.flags = initial ? CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF : 0 };
	cpg_handle_t h;
	cs_error_t e = cpg_model_initialize(&h, CPG_MODEL_V1, (cpg_model_data_t *)&model, NULL);
	if (e != CS_OK)
		fail("initialize", e);
	if ((e = cpg_local_get(h, &self_nodeid)) != CS_OK)
		fail("local_get", e);
	uint32_t atomic;
	cpg_max_atomic_msgsize_get(h, &atomic);
	printf("local %u\nmax_atomic %u\n", self_nodeid, atomic);
	while ((e = cpg_join(h, &group)) == CS_ERR_TRY_AGAIN)
		usleep(10000);
	if (e != CS_OK)
		fail("join", e);
	dispatch_until(h, NULL, have_members);
	for (int m = 0; m < nsizes; m++) {
		unsigned char *b = malloc(sizes[m]);
		fill(b, sizes[m], m);
		struct iovec iov = { b, sizes[m] };
		while ((e = cpg_mcast_joined(h, CPG_TYPE_AGREED, &iov, 1)) == CS_ERR_TRY_AGAIN)
			usleep(1000);
		if (e != CS_OK)
			fail("mcast", e);
		free(b);
	}
	if (zsize >= 0) {
		void *buf;
		if ((e = cpg_zcb_alloc(h, zsize, &buf)) != CS_OK)
			fail("zcb_alloc", e);
		fill(buf, zsize, 99);
		if ((e = cpg_zcb_mcast_joined(h, CPG_TYPE_AGREED, buf, zsize)) != CS_OK)
			fail("zcb_mcast", e);
		if ((e = cpg_zcb_free(h, buf)) != CS_OK)
			fail("zcb_free", e);
	}
	dispatch_until(h, NULL, have_deliveries);
	struct cpg_address list[CPG_MEMBERS_MAX];
	int n = CPG_MEMBERS_MAX;
	if ((e = cpg_membership_get(h, &group, list, &n)) != CS_OK)
		fail("membership_get", e);
	printf("membership");
	print_list("", list, n, 0);
	printf("\n");
	if ((e = cpg_leave(h, &group)) != CS_OK)
		fail("leave", e);
	dispatch_until(h, NULL, have_left);
	cpg_finalize(h);
	return 0;
}
