//go:build ignore

/*
 * qbclient: a libqb 2.0.6 client (Debian's -lqb) for gorosync's IPC
 * interop tests and benchmarks. It talks to the test echo service of
 * shm/cinterop:
 *
 *   request id 0  ECHO    header(16) payload        -> response header(24, id 0) payload
 *   request id 1  EVENTS  header(16) u32 count, u32 0, payload
 *                                                   -> count events header(24, id 1) payload,
 *                                                      then response header(24, id 1)
 *   request id 2  SINK    header(16) payload        -> nothing (one-way)
 *   request id 3  COUNT   header(16)                -> response header(24, id 3) u64 sinks seen
 *
 * Usage:
 *   qbclient check SERVICE MAXREQ
 *       connect, round trips and events of many sizes up to MAXREQ bytes,
 *       runs long enough to wrap every ring many times, one-way sends,
 *       disconnect; prints one JSON line and exits 0 only if every byte
 *       came back right.
 *   qbclient bench SERVICE SIZE
 *       connect, then for each stdin line "rt N" (N echo round trips of
 *       SIZE-byte requests) or "ow N" (N one-way SIZE-byte sends and one
 *       COUNT round trip) print the elapsed nanoseconds; "q" disconnects.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include <qb/qbipc_common.h>
#include <qb/qbipcc.h>

#define MAX_MSG (1024 * 1024)
#define TIMEOUT_MS 10000
#define REQ_HDR ((int)sizeof(struct qb_ipc_request_header))
#define RESP_HDR ((int)sizeof(struct qb_ipc_response_header))

enum { ID_ECHO = 0, ID_EVENTS = 1, ID_SINK = 2, ID_COUNT = 3 };

static qb_ipcc_connection_t *conn;
static unsigned char *payload, *rbuf;
static long long n_rt, n_ev, n_ow, n_bytes;

static void fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '"' || *p == '\\')
			*p = '\'';
	printf("{\"ok\":false,\"error\":\"%s\",\"roundtrips\":%lld,\"events\":%lld}\n", msg, n_rt, n_ev);
	fflush(stdout);
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t rng = 12345;
static uint32_t next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* fill puts a pattern that differs per message (seed) and per byte. */
static void fill(unsigned char *p, int n, uint32_t seed)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 29u + (uint32_t)i * 7u + ((uint32_t)i >> 9));
}

static void check(const unsigned char *got, int n, uint32_t seed, const char *what)
{
	for (int i = 0; i < n; i++) {
		unsigned char want = (unsigned char)(seed * 29u + (uint32_t)i * 7u + ((uint32_t)i >> 9));
		if (got[i] != want)
			fail("%s: payload of %d bytes: byte %d is %u, want %u", what, n, i, got[i], want);
	}
}

static void check_resp_hdr(const char *what, ssize_t res, int id, int size)
{
	const struct qb_ipc_response_header *h = (const void *)rbuf;
	if (res < 0)
		fail("%s (size %d): %s", what, size, strerror((int)-res));
	if (res != size)
		fail("%s: got %zd bytes, want %d", what, res, size);
	if (h->id != id || h->size != size || h->error != 1)
		fail("%s: header id %d size %d error %d, want %d %d 1", what, h->id, h->size, h->error, id, size);
}

static void echo(int len, uint32_t seed)
{
	struct qb_ipc_request_header h = { .id = ID_ECHO, .size = REQ_HDR + len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { payload, (size_t)len } };
	fill(payload, len, seed);
	ssize_t res = qb_ipcc_sendv_recv(conn, iov, 2, rbuf, MAX_MSG, TIMEOUT_MS);
	check_resp_hdr("echo", res, ID_ECHO, RESP_HDR + len);
	check(rbuf + RESP_HDR, len, seed, "echo");
	n_rt++;
	n_bytes += 2LL * len;
}

static void events(int len, int count, uint32_t seed)
{
	struct {
		struct qb_ipc_request_header h;
		uint32_t count, pad;
	} req = { { .id = ID_EVENTS, .size = REQ_HDR + 8 + len }, (uint32_t)count, 0 };
	struct iovec iov[2] = { { &req, sizeof(req) }, { payload, (size_t)len } };
	fill(payload, len, seed);
	ssize_t res = qb_ipcc_sendv_recv(conn, iov, 2, rbuf, MAX_MSG, TIMEOUT_MS);
	check_resp_hdr("events reply", res, ID_EVENTS, RESP_HDR);
	n_rt++;
	for (int i = 0; i < count; i++) {
		res = qb_ipcc_event_recv(conn, rbuf, MAX_MSG, TIMEOUT_MS);
		check_resp_hdr("event", res, ID_EVENTS, RESP_HDR + len);
		check(rbuf + RESP_HDR, len, seed, "event");
		n_ev++;
		n_bytes += len;
	}
}

static void sink(int size)
{
	struct qb_ipc_request_header *h = (void *)payload;
	h->id = ID_SINK;
	h->size = size;
	for (;;) {
		ssize_t res = qb_ipcc_send(conn, payload, (size_t)size);
		if (res == size)
			break;
		if (res != -EAGAIN)
			fail("send: %s", strerror((int)-res));
		sched_yield(); /* ring full or flow control: the server catches up */
	}
	n_ow++;
}

static uint64_t count_sinks(void)
{
	struct qb_ipc_request_header h = { .id = ID_COUNT, .size = REQ_HDR };
	struct iovec iov = { &h, sizeof(h) };
	ssize_t res = qb_ipcc_sendv_recv(conn, &iov, 1, rbuf, MAX_MSG, TIMEOUT_MS);
	check_resp_hdr("count", res, ID_COUNT, RESP_HDR + 8);
	uint64_t n;
	memcpy(&n, rbuf + RESP_HDR, 8);
	return n;
}

static void connect_to(const char *service)
{
	conn = qb_ipcc_connect(service, MAX_MSG);
	if (conn == NULL)
		fail("qb_ipcc_connect(%s): %s", service, strerror(errno));
	payload = calloc(1, MAX_MSG);
	rbuf = calloc(1, MAX_MSG);
	if (payload == NULL || rbuf == NULL)
		fail("out of memory");
}

static int run_check(const char *service, int maxreq)
{
	static const int sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 255, 1000,
				     1023, 1024, 1025, 4095, 4096, 4097, 8191, 65535, 65536, 65537,
				     100000, 131072, 262143, 262144, 524288, 786431 };
	int maxlen = maxreq - RESP_HDR; /* the response is 8 bytes longer than the request */
	if (maxlen > MAX_MSG - RESP_HDR)
		maxlen = MAX_MSG - RESP_HDR;
	connect_to(service);
	if (!qb_ipcc_is_connected(conn))
		fail("not connected after connect");

	/* every listed size, then the largest three */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i] <= maxlen)
			echo(sizes[i], (uint32_t)i);
	for (int l = maxlen - 2; l <= maxlen; l++)
		echo(l, (uint32_t)l);

	/* wrap-around: odd sizes, about 70 MB each way through 1 MiB rings */
	for (int i = 0; i < 2000; i++) {
		int l = (int)(next_rand() % 70001u);
		if (i % 100 == 99)
			l = maxlen - (int)(next_rand() % 4096u);
		echo(l > maxlen ? maxlen : l, (uint32_t)i);
	}
	for (int i = 0; i < 3000; i++) /* small chunks at every alignment */
		echo((int)(next_rand() % 300u), (uint32_t)i);

	/* events of each listed size (1..3 of them), then the largest */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int l = sizes[i];
		if (l > maxlen)
			continue;
		int count = l > 300000 ? 1 : 1 + (int)(i % 3);
		events(l, count, (uint32_t)(1000 + i));
	}
	events(maxlen, 1, 7);
	/* event ring wrap-around: about 40 MB */
	for (int i = 0; i < 400; i++)
		events((int)(next_rand() % 60001u), 1 + (int)(next_rand() % 4u), (uint32_t)i);

	/* one-way sends, then a round trip that counts them */
	uint64_t before = count_sinks();
	for (int i = 0; i < 5000; i++)
		sink(REQ_HDR + (int)(next_rand() % 2000u));
	uint64_t after = count_sinks();
	if (after - before != 5000)
		fail("server counted %" PRIu64 " one-way messages, want 5000", after - before);

	qb_ipcc_disconnect(conn);
	printf("{\"ok\":true,\"roundtrips\":%lld,\"events\":%lld,\"oneway\":%lld,\"bytes\":%lld,"
	       "\"max_payload\":%d}\n",
	       n_rt, n_ev, n_ow, n_bytes, maxlen);
	return 0;
}

static int run_bench(const char *service, int size)
{
	char line[128];
	if (size < REQ_HDR || size > MAX_MSG - 8)
		fail("bench size %d out of range", size);
	connect_to(service);
	int len = size - REQ_HDR;
	for (int i = 0; i < 100; i++) /* warm up */
		echo(len, 1);
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char op[8];
		long long n = 0;
		if (line[0] == 'q')
			break;
		if (sscanf(line, "%7s %lld", op, &n) != 2 || n < 0)
			fail("bad command %s", line);
		int64_t t0 = now_ns();
		if (strcmp(op, "rt") == 0) {
			struct qb_ipc_request_header h = { .id = ID_ECHO, .size = size };
			struct iovec iov[2] = { { &h, sizeof(h) }, { payload, (size_t)len } };
			for (long long i = 0; i < n; i++) {
				ssize_t res = qb_ipcc_sendv_recv(conn, iov, 2, rbuf, MAX_MSG, TIMEOUT_MS);
				if (res != size + 8)
					fail("bench round trip: %zd", res);
			}
		} else if (strcmp(op, "ow") == 0) {
			uint64_t before = count_sinks();
			for (long long i = 0; i < n; i++)
				sink(size);
			if (count_sinks() - before != (uint64_t)n)
				fail("server lost one-way messages");
		} else {
			fail("bad command %s", op);
		}
		printf("%" PRId64 "\n", now_ns() - t0);
		fflush(stdout);
	}
	qb_ipcc_disconnect(conn);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return run_check(argv[2], atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "bench") == 0)
		return run_bench(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: qbclient check SERVICE MAXREQ | qbclient bench SERVICE SIZE\n");
	return 64;
}
