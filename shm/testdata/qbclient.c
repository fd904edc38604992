/*
 * qbclient: a libqb 2.0.6 client for the shm package's tests, linked
 * against Debian's libqb exactly as corosync's client libraries are.
 *
 *   qbclient <service> <max request bytes>   full exercise, exit 0 on success
 *   qbclient <service> expect-errno <n>      connect must fail with errno n
 *
 * Talks to the test handler of helpers_test.go (echo ids 0..99, 100 emit
 * events, 101 server close, 102 set flow control).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <qb/qbipcc.h>

#define FAIL(...) do { fprintf(stderr, "qbclient: " __VA_ARGS__); fprintf(stderr, "\n"); exit(1); } while (0)

static char *req, *resp;

static void put32(char *p, int32_t v) { memcpy(p, &v, 4); }
static int32_t get32(const char *p) { int32_t v; memcpy(&v, p, 4); return v; }

/* request: 16-byte header, then a pattern */
static struct iovec *build(int32_t id, int n, int seed, struct iovec iov[2]) {
	memset(req, 0, 16);
	put32(req, id);
	put32(req + 8, n);
	for (int i = 16; i < n; i++) req[i] = (char)(seed + i * 7);
	iov[0].iov_base = req; iov[0].iov_len = 16;
	iov[1].iov_base = req + 16; iov[1].iov_len = n - 16;
	return iov;
}

static void command(qb_ipcc_connection_t *c, int32_t id, int32_t a, int32_t b) {
	char r[24] = {0};
	put32(r, id); put32(r + 8, 24); put32(r + 16, a); put32(r + 20, b);
	char out[64];
	ssize_t k = qb_ipcc_send(c, r, 24);
	if (k != 24) FAIL("send command %d: %zd", id, k);
	k = qb_ipcc_recv(c, out, sizeof out, 5000);
	if (k != 24 || get32(out) != id) FAIL("command %d response: %zd", id, k);
}

int main(int argc, char **argv) {
	alarm(60);
	if (argc < 3) FAIL("usage");
	const char *svc = argv[1];
	if (strcmp(argv[2], "expect-errno") == 0) {
		qb_ipcc_connection_t *c = qb_ipcc_connect(svc, 1 << 20);
		int e = errno;
		if (c != NULL) FAIL("connected, expected errno %s", argv[3]);
		if (e != atoi(argv[3])) FAIL("errno %d, expected %s", e, argv[3]);
		printf("OK errno %d\n", e);
		return 0;
	}
	int maxreq = atoi(argv[2]);
	qb_ipcc_connection_t *c = qb_ipcc_connect(svc, 1 << 20);
	if (c == NULL) FAIL("connect: %s", strerror(errno));
	pid_t pid; uid_t uid; gid_t gid;
	if (qb_ipcc_auth_get(c, &pid, &uid, &gid) != 0) FAIL("auth_get");
	if (pid != getppid() || uid != 0) FAIL("server credentials pid %d uid %d (parent %d)", pid, uid, getppid());
	if (qb_ipcc_get_buffer_size(c) != 1 << 20) FAIL("buffer size %d", qb_ipcc_get_buffer_size(c));
	req = malloc(1 << 20);
	resp = malloc(1 << 20);

	/* round trips of many sizes, through wrap-around */
	int sizes[] = {16, 17, 24, 25, 100, 1000, 4095, 4096, 4097, 65536, 200000, 400000, 1048576};
	int count = 0;
	for (int round = 0; round < 40; round++) {
		for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
			int n = sizes[s];
			if (n > maxreq) continue;
			struct iovec iov[2];
			build(round % 100, n, round + s, iov);
			ssize_t k = qb_ipcc_sendv_recv(c, iov, 2, resp, 1 << 20, 5000);
			int want = n < 24 ? 24 : n;
			if (k != want) FAIL("round trip %d bytes: got %zd (%s)", n, k, k < 0 ? strerror(-k) : "");
			if (get32(resp) != round % 100 || get32(resp + 8) != want || get32(resp + 16) != 1)
				FAIL("response header %d %d %d", get32(resp), get32(resp + 8), get32(resp + 16));
			if (n > 24 && memcmp(resp + 24, req + 24, n - 24) != 0) FAIL("payload of %d bytes differs", n);
			count++;
		}
	}

	/* events: poll the fd, read one event per wake-up (CS_DISPATCH_ONE) */
	int fd;
	if (qb_ipcc_fd_get(c, &fd) != 0) FAIL("fd_get");
	int nev = 300, evsize = 500;
	command(c, 100, nev, evsize);
	for (int i = 0; i < nev; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) != 1) FAIL("event %d: fd not readable", i);
		ssize_t k = qb_ipcc_event_recv(c, resp, 1 << 20, 0);
		if (k != evsize) FAIL("event %d: %zd (%s)", i, k, k < 0 ? strerror(-k) : "");
		if (get32(resp) != 7 || get32(resp + 24) != i) FAIL("event %d: id %d seq %d", i, get32(resp), get32(resp + 24));
	}
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, 100) != 0) FAIL("fd readable after the last event (revents %#x)", p.revents);

	/* flow control 2 blocks only with fc_enable_max 2 */
	command(c, 102, 2, 0);
	qb_ipcc_fc_enable_max_set(c, 2);
	ssize_t k = 0;
	for (int i = 0; i < 1000 && (k = qb_ipcc_send(c, req, 16)) != -EAGAIN; i++) {
		if (k == 16) FAIL("sent while flow control was 2");
		usleep(1000);
	}
	if (k != -EAGAIN) FAIL("flow control 2: %zd", k);
	qb_ipcc_fc_enable_max_set(c, 1);
	command(c, 102, 0, 0);
	struct iovec iov[2];
	build(5, 100, 1, iov);
	if (qb_ipcc_sendv_recv(c, iov, 2, resp, 1 << 20, 5000) != 100) FAIL("round trip after flow control");

	/* server-initiated close */
	char bye[16] = {0};
	put32(bye, 101); put32(bye + 8, 16);
	if (qb_ipcc_send(c, bye, 16) != 16) FAIL("send close request");
	int type = 0;
	socklen_t tl = sizeof type;
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
	/* SHM: the fd is the setup socket, which hangs up; socket mode: the
	 * event datagram socket, which carries no liveness (spec §1.7) */
	if (type == SOCK_STREAM && (poll(&p, 1, 5000) != 1 || !(p.revents & (POLLHUP | POLLIN))))
		FAIL("no hang-up after server close");
	usleep(100000);
	k = qb_ipcc_sendv_recv(c, iov, 2, resp, 1 << 20, 5000);
	if (k >= 0) FAIL("round trip after server close: %zd", k);
	qb_ipcc_disconnect(c);
	printf("OK %d round trips, %d events\n", count, nev);
	return 0;
}
