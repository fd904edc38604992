//go:build ignore

// The constraint above keeps the go tool from treating this file as a cgo
// source of package cpgbench; cpgbench.go embeds it and compiles it with gcc.

/*
 * cpgbench — a small libcpg benchmark client.
 *
 * Joins a cpg group and either
 *   -m throughput -s SIZE -t SECONDS [-f N]
 *                                      sends SIZE-byte agreed messages as fast as
 *                                      flow control allows for SECONDS after the
 *                                      first own delivery, counting own deliveries;
 *                                      with -f, never more than N own messages sent
 *                                      and not yet delivered back;
 *   -m throughput -w -t SECONDS        (watch) only joins and counts deliveries from
 *                                      any sender for SECONDS;
 *   -m latency -s SIZE -n COUNT -r RATE
 *                                      sends COUNT messages paced at RATE msgs/s and
 *                                      records send -> own agreed delivery latency;
 *   -m pingpong -s SIZE -n COUNT       sends COUNT messages one at a time, each after
 *                                      the previous one was delivered back, and records
 *                                      the same latency;
 *   -m members -t SECONDS              (cpg model v1) prints one JSON line per totem
 *                                      and group configuration change, with the
 *                                      CLOCK_MONOTONIC time it arrived, for SECONDS or
 *                                      until SIGTERM.
 *
 * -o FILE (latency, pingpong) also writes every latency sample, in nanoseconds, one a
 * line in sequence order, to FILE.
 *
 * Every message carries a header (magic, sender pid, sequence number, CLOCK_MONOTONIC
 * send time); per-sender sequence order is checked on delivery.
 *
 * Output: exactly one JSON line on stdout at the end. Errors: a message on stderr
 * naming the failing cpg call and its cs_error_t, exit status 1.
 *
 * Build: gcc -std=c99 -O2 -Wall -Wextra -o cpgbench cpgbench.c -lcpg
 */
#define _GNU_SOURCE /* ppoll */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <corosync/corotypes.h>
#include <corosync/cpg.h>

#define CPGBENCH_MAGIC 0x47534350u /* "GSCP" */
#define INIT_RETRY_NS (10LL * 1000000000LL)
#define JOIN_WAIT_NS (10LL * 1000000000LL)
#define FIRST_DELIVERY_WAIT_NS (10LL * 1000000000LL)
#define DRAIN_WAIT_NS (5LL * 1000000000LL)
#define TRY_AGAIN_WAIT_NS 200000LL /* wait for deliveries after CS_ERR_TRY_AGAIN */
#define MAX_SENDERS 1024
#define MAX_SIZE (1024 * 1024)

struct bench_hdr {
	uint32_t magic;
	uint32_t pid;
	uint64_t seq;
	uint64_t send_ns;
};

struct sender {
	uint32_t nodeid;
	uint32_t pid;
	uint64_t next_seq;
};

enum mode { MODE_THROUGHPUT, MODE_LATENCY, MODE_PINGPONG, MODE_MEMBERS };

static struct {
	/* options */
	enum mode mode;
	int watch;
	const char *group;
	size_t size;
	double seconds;
	uint64_t count;
	double rate;
	const char *samples_path;
	uint64_t max_inflight; /* throughput: own messages sent but not delivered, 0 = no bound */

	/* identity */
	cpg_handle_t handle;
	uint32_t my_nodeid;
	uint32_t my_pid;
	int joined;

	/* own messages */
	uint64_t sent;
	uint64_t delivered;     /* own deliveries, total */
	uint64_t own_next_seq;  /* next expected own sequence number */
	uint64_t misordered;    /* late or duplicate sequence numbers (all senders) */
	uint64_t gaps;          /* sequence numbers skipped (all senders) */
	uint64_t corrupt;       /* deliveries with a bad header or length */
	int64_t first_own_ns;   /* time of first own delivery, 0 = none yet */
	int64_t window_end_ns;  /* end of the measurement window, 0 = not set */
	uint64_t window_own;    /* own deliveries inside the window */

	/* all senders */
	uint64_t delivered_all;
	uint64_t bytes_all;
	uint64_t window_all;
	int64_t first_any_ns;
	int64_t last_any_ns;
	struct sender senders[MAX_SENDERS];
	size_t nsenders;

	/* latency samples in ns, indexed by sequence number */
	int64_t *lat;
	unsigned char *lat_seen;
} g;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *cs_name(cs_error_t err)
{
	switch (err) {
	case CS_OK: return "CS_OK";
	case CS_ERR_LIBRARY: return "CS_ERR_LIBRARY";
	case CS_ERR_VERSION: return "CS_ERR_VERSION";
	case CS_ERR_INIT: return "CS_ERR_INIT";
	case CS_ERR_TIMEOUT: return "CS_ERR_TIMEOUT";
	case CS_ERR_TRY_AGAIN: return "CS_ERR_TRY_AGAIN";
	case CS_ERR_INVALID_PARAM: return "CS_ERR_INVALID_PARAM";
	case CS_ERR_NO_MEMORY: return "CS_ERR_NO_MEMORY";
	case CS_ERR_BAD_HANDLE: return "CS_ERR_BAD_HANDLE";
	case CS_ERR_BUSY: return "CS_ERR_BUSY";
	case CS_ERR_ACCESS: return "CS_ERR_ACCESS";
	case CS_ERR_NOT_EXIST: return "CS_ERR_NOT_EXIST";
	case CS_ERR_NAME_TOO_LONG: return "CS_ERR_NAME_TOO_LONG";
	case CS_ERR_EXIST: return "CS_ERR_EXIST";
	case CS_ERR_NO_SPACE: return "CS_ERR_NO_SPACE";
	case CS_ERR_INTERRUPT: return "CS_ERR_INTERRUPT";
	case CS_ERR_NAME_NOT_FOUND: return "CS_ERR_NAME_NOT_FOUND";
	case CS_ERR_NO_RESOURCES: return "CS_ERR_NO_RESOURCES";
	case CS_ERR_NOT_SUPPORTED: return "CS_ERR_NOT_SUPPORTED";
	case CS_ERR_BAD_OPERATION: return "CS_ERR_BAD_OPERATION";
	case CS_ERR_FAILED_OPERATION: return "CS_ERR_FAILED_OPERATION";
	case CS_ERR_MESSAGE_ERROR: return "CS_ERR_MESSAGE_ERROR";
	case CS_ERR_QUEUE_FULL: return "CS_ERR_QUEUE_FULL";
	case CS_ERR_QUEUE_NOT_AVAILABLE: return "CS_ERR_QUEUE_NOT_AVAILABLE";
	case CS_ERR_BAD_FLAGS: return "CS_ERR_BAD_FLAGS";
	case CS_ERR_TOO_BIG: return "CS_ERR_TOO_BIG";
	case CS_ERR_NO_SECTIONS: return "CS_ERR_NO_SECTIONS";
	case CS_ERR_CONTEXT_NOT_FOUND: return "CS_ERR_CONTEXT_NOT_FOUND";
	case CS_ERR_TOO_MANY_GROUPS: return "CS_ERR_TOO_MANY_GROUPS";
	case CS_ERR_SECURITY: return "CS_ERR_SECURITY";
	}
	return "CS_ERR_UNKNOWN";
}

static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("cpgbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void die_cs(const char *call, cs_error_t err)
{
	die("%s failed: %s (%d)", call, cs_name(err), (int)err);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cpgbench [-g GROUP] -m throughput -s SIZE -t SECONDS [-f MAX_IN_FLIGHT]\n"
		"       cpgbench [-g GROUP] -m throughput -w -t SECONDS\n"
		"       cpgbench [-g GROUP] -m latency -s SIZE -n COUNT -r RATE [-o FILE]\n"
		"       cpgbench [-g GROUP] -m pingpong -s SIZE -n COUNT [-o FILE]\n"
		"       cpgbench [-g GROUP] -m members -t SECONDS\n"
		"  SIZE >= %zu and <= %d bytes; default group \"gsbench\"\n",
		sizeof(struct bench_hdr), MAX_SIZE);
	exit(1);
}

static struct sender *find_sender(uint32_t nodeid, uint32_t pid)
{
	size_t i;
	for (i = 0; i < g.nsenders; i++) {
		if (g.senders[i].nodeid == nodeid && g.senders[i].pid == pid)
			return &g.senders[i];
	}
	if (g.nsenders == MAX_SENDERS)
		return NULL;
	g.senders[g.nsenders].nodeid = nodeid;
	g.senders[g.nsenders].pid = pid;
	g.senders[g.nsenders].next_seq = UINT64_MAX; /* unknown: first message sets it */
	return &g.senders[g.nsenders++];
}

static void deliver_cb(cpg_handle_t handle, const struct cpg_name *group_name,
		       uint32_t nodeid, uint32_t pid, void *msg, size_t msg_len)
{
	struct bench_hdr h;
	int64_t t = now_ns();
	int own = (nodeid == g.my_nodeid && pid == g.my_pid);
	int in_window;

	(void)handle;
	(void)group_name;

	if (msg_len < sizeof(h)) {
		g.corrupt++;
		return;
	}
	memcpy(&h, msg, sizeof(h));
	if (h.magic != CPGBENCH_MAGIC || h.pid != pid) {
		g.corrupt++;
		return;
	}

	if (g.first_any_ns == 0)
		g.first_any_ns = t;
	g.last_any_ns = t;
	if (own && g.first_own_ns == 0)
		g.first_own_ns = t; /* starts the sender's measurement window */
	/* Window: from the first own delivery (sender) or the start (watch) to
	 * window_end_ns (0 while not yet known). */
	in_window = (g.watch || g.first_own_ns != 0) &&
		    (g.window_end_ns == 0 || t <= g.window_end_ns);
	g.delivered_all++;
	g.bytes_all += msg_len;
	if (in_window)
		g.window_all++;

	if (own) {
		if (msg_len != g.size || h.seq >= g.sent) {
			g.corrupt++;
			return;
		}
		if (h.seq < g.own_next_seq)
			g.misordered++; /* late or duplicate */
		else {
			g.gaps += h.seq - g.own_next_seq; /* skipped: lost or late */
			g.own_next_seq = h.seq + 1;
		}
		g.delivered++;
		if (in_window)
			g.window_own++;
		if ((g.mode == MODE_LATENCY || g.mode == MODE_PINGPONG) && h.seq < g.count &&
		    !g.lat_seen[h.seq]) {
			g.lat_seen[h.seq] = 1;
			g.lat[h.seq] = t - (int64_t)h.send_ns;
		}
		return;
	}

	{
		struct sender *s = find_sender(nodeid, pid);
		if (s == NULL)
			return;
		if (s->next_seq == UINT64_MAX) {
			s->next_seq = h.seq + 1; /* first seen: may have joined late */
		} else if (h.seq < s->next_seq) {
			g.misordered++; /* late or duplicate */
		} else {
			g.gaps += h.seq - s->next_seq; /* skipped: lost or late */
			s->next_seq = h.seq + 1;
		}
	}
}

/* Prints "[nodeid,pid,reason],..." for a cpg address list. */
static void print_addrs(const struct cpg_address *a, size_t n)
{
	size_t i;
	putchar('[');
	for (i = 0; i < n; i++)
		printf("%s[%" PRIu32 ",%" PRIu32 ",%" PRIu32 "]", i ? "," : "", a[i].nodeid, a[i].pid,
		       a[i].reason);
	putchar(']');
}

static void confchg_cb(cpg_handle_t handle, const struct cpg_name *group_name,
		       const struct cpg_address *member_list, size_t member_list_entries,
		       const struct cpg_address *left_list, size_t left_list_entries,
		       const struct cpg_address *joined_list, size_t joined_list_entries)
{
	size_t i;

	(void)handle;
	(void)group_name;
	for (i = 0; i < joined_list_entries; i++) {
		if (joined_list[i].nodeid == g.my_nodeid && joined_list[i].pid == g.my_pid)
			g.joined = 1;
	}
	if (g.mode != MODE_MEMBERS)
		return;
	/* One line per event, flushed at once: the reader timestamps failover
	 * from these lines while the run goes on. */
	printf("{\"ev\":\"confchg\",\"t_ns\":%" PRId64 ",\"members\":", now_ns());
	print_addrs(member_list, member_list_entries);
	printf(",\"left\":");
	print_addrs(left_list, left_list_entries);
	printf(",\"joined\":");
	print_addrs(joined_list, joined_list_entries);
	printf("}\n");
	fflush(stdout);
}

static void totem_confchg_cb(cpg_handle_t handle, struct cpg_ring_id ring_id,
			     uint32_t member_list_entries, const uint32_t *member_list)
{
	uint32_t i;

	(void)handle;
	printf("{\"ev\":\"totem\",\"t_ns\":%" PRId64 ",\"ring_node\":%" PRIu32
	       ",\"ring_seq\":%" PRIu64 ",\"members\":[",
	       now_ns(), ring_id.nodeid, ring_id.seq);
	for (i = 0; i < member_list_entries; i++)
		printf("%s%" PRIu32, i ? "," : "", member_list[i]);
	printf("]}\n");
	fflush(stdout);
}

/* Waits up to timeout_ns for the cpg fd to become readable, then dispatches
 * everything available. */
static void pump(int fd, int64_t timeout_ns)
{
	struct pollfd pfd;
	struct timespec ts;
	cs_error_t err;
	int rc;

	if (timeout_ns < 0)
		timeout_ns = 0;
	ts.tv_sec = (time_t)(timeout_ns / 1000000000LL);
	ts.tv_nsec = (long)(timeout_ns % 1000000000LL);
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	rc = ppoll(&pfd, 1, &ts, NULL);
	if (rc < 0) {
		if (errno == EINTR)
			return;
		die("poll on cpg fd failed: %s", strerror(errno));
	}
	if (rc == 0)
		return;
	if (pfd.revents & (POLLERR | POLLNVAL))
		die("poll on cpg fd: error condition (revents 0x%x)", (unsigned)pfd.revents);
	err = cpg_dispatch(g.handle, CS_DISPATCH_ALL);
	if (err != CS_OK && err != CS_ERR_TRY_AGAIN)
		die_cs("cpg_dispatch", err);
}

/* Time left until deadline, capped at cap_ns (and at least 0). */
static int64_t left_ns(int64_t deadline, int64_t cap_ns)
{
	int64_t d = deadline - now_ns();
	if (d < 0)
		return 0;
	return d > cap_ns ? cap_ns : d;
}

static void connect_and_join(int *fd)
{
	cpg_callbacks_t cb;
	cpg_model_v1_data_t model;
	struct cpg_name name;
	cs_error_t err;
	int64_t deadline;

	memset(&cb, 0, sizeof(cb));
	cb.cpg_deliver_fn = deliver_cb;
	cb.cpg_confchg_fn = confchg_cb;
	memset(&model, 0, sizeof(model));
	model.model = CPG_MODEL_V1;
	model.cpg_deliver_fn = deliver_cb;
	model.cpg_confchg_fn = confchg_cb;
	model.cpg_totem_confchg_fn = totem_confchg_cb;
	model.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF;

	deadline = now_ns() + INIT_RETRY_NS;
	for (;;) {
		/* Only the members mode asks for totem confchgs: the measuring
		 * modes stay on the plain API every cpg application uses. */
		if (g.mode == MODE_MEMBERS)
			err = cpg_model_initialize(&g.handle, CPG_MODEL_V1,
						   (cpg_model_data_t *)&model, NULL);
		else
			err = cpg_initialize(&g.handle, &cb);
		if (err == CS_OK)
			break;
		if ((err != CS_ERR_TRY_AGAIN && err != CS_ERR_LIBRARY) || now_ns() >= deadline)
			die_cs("cpg_initialize", err);
		usleep(100000);
	}

	deadline = now_ns() + INIT_RETRY_NS;
	for (;;) {
		err = cpg_local_get(g.handle, &g.my_nodeid);
		if (err == CS_OK)
			break;
		if (err != CS_ERR_TRY_AGAIN || now_ns() >= deadline)
			die_cs("cpg_local_get", err);
		usleep(100000);
	}
	g.my_pid = (uint32_t)getpid();

	err = cpg_fd_get(g.handle, fd);
	if (err != CS_OK)
		die_cs("cpg_fd_get", err);

	memset(&name, 0, sizeof(name));
	name.length = (uint32_t)strlen(g.group);
	memcpy(name.value, g.group, name.length);
	deadline = now_ns() + JOIN_WAIT_NS;
	for (;;) {
		err = cpg_join(g.handle, &name);
		if (err == CS_OK)
			break;
		if ((err != CS_ERR_TRY_AGAIN && err != CS_ERR_BUSY) || now_ns() >= deadline)
			die_cs("cpg_join", err);
		usleep(100000);
	}

	/* Wait for our own join confchg so that measurements do not include it. */
	while (!g.joined) {
		if (now_ns() >= deadline)
			die("cpg_join: own join not delivered within %d s",
			    (int)(JOIN_WAIT_NS / 1000000000LL));
		pump(*fd, left_ns(deadline, 100000000LL));
	}
}

/* Tries to send message number g.sent once. Returns 1 if sent, 0 on
 * CS_ERR_TRY_AGAIN; dies on any other error. */
static int try_send(char *buf)
{
	struct bench_hdr h;
	struct iovec iov;
	cs_error_t err;

	h.magic = CPGBENCH_MAGIC;
	h.pid = g.my_pid;
	h.seq = g.sent;
	h.send_ns = (uint64_t)now_ns();
	memcpy(buf, &h, sizeof(h));
	iov.iov_base = buf;
	iov.iov_len = g.size;
	err = cpg_mcast_joined(g.handle, CPG_TYPE_AGREED, &iov, 1);
	if (err == CS_OK) {
		g.sent++;
		return 1;
	}
	if (err == CS_ERR_TRY_AGAIN)
		return 0;
	die_cs("cpg_mcast_joined", err);
	return 0;
}

/* Dispatches until every sent message has been delivered, or DRAIN_WAIT_NS. */
static void drain(int fd)
{
	int64_t deadline = now_ns() + DRAIN_WAIT_NS;
	while (g.delivered < g.sent && now_ns() < deadline)
		pump(fd, left_ns(deadline, 10000000LL));
}

/* The client's own CPU time so far, user + system, in seconds. */
static double cpu_seconds(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0.0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void run_throughput(int fd)
{
	char *buf = NULL;
	int64_t start, wait_deadline, end_ns;
	double secs, all_secs;
	uint64_t lost;

	if (!g.watch) {
		buf = calloc(1, g.size);
		if (buf == NULL)
			die("out of memory");
		/* Send until the first own delivery starts the window. */
		wait_deadline = now_ns() + FIRST_DELIVERY_WAIT_NS;
		while (g.first_own_ns == 0) {
			if (now_ns() >= wait_deadline)
				die("cpg_mcast_joined: no own message delivered within %d s",
				    (int)(FIRST_DELIVERY_WAIT_NS / 1000000000LL));
			if (g.max_inflight != 0 && g.sent - g.delivered >= g.max_inflight) {
				pump(fd, TRY_AGAIN_WAIT_NS);
				continue;
			}
			pump(fd, try_send(buf) ? 0 : TRY_AGAIN_WAIT_NS);
		}
		start = g.first_own_ns;
		g.window_end_ns = start + (int64_t)(g.seconds * 1e9);
		while (now_ns() < g.window_end_ns) {
			if (g.max_inflight != 0 && g.sent - g.delivered >= g.max_inflight) {
				pump(fd, TRY_AGAIN_WAIT_NS); /* the window is full: wait for deliveries */
				continue;
			}
			pump(fd, try_send(buf) ? 0 : TRY_AGAIN_WAIT_NS);
		}
		drain(fd);
		end_ns = g.window_end_ns;
	} else {
		start = now_ns();
		g.window_end_ns = start + (int64_t)(g.seconds * 1e9);
		while (now_ns() < g.window_end_ns)
			pump(fd, left_ns(g.window_end_ns, 100000000LL));
		end_ns = g.window_end_ns;
	}

	secs = (double)(end_ns - start) / 1e9;
	all_secs = secs;
	if (g.watch) {
		/* Rate over the active period: first to last delivery seen. */
		if (g.delivered_all > 1 && g.last_any_ns > g.first_any_ns)
			all_secs = (double)(g.last_any_ns - g.first_any_ns) / 1e9;
		lost = g.gaps; /* nothing sent: report gaps in others' sequences */
	} else {
		lost = g.sent > g.delivered ? g.sent - g.delivered : 0;
	}

	printf("{\"mode\":\"%s\",\"group\":", g.watch ? "watch" : "throughput");
	json_string(g.group);
	printf(",\"nodeid\":%" PRIu32 ",\"pid\":%" PRIu32, g.my_nodeid, g.my_pid);
	if (!g.watch) {
		printf(",\"size\":%zu,\"sent\":%" PRIu64 ",\"delivered\":%" PRIu64
		       ",\"window_delivered\":%" PRIu64 ",\"seconds\":%.3f"
		       ",\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f",
		       g.size, g.sent, g.delivered, g.window_own, secs,
		       (double)g.window_own / secs,
		       (double)g.window_own * (double)g.size / secs / 1e6);
		printf(",\"delivered_all\":%" PRIu64 ",\"window_delivered_all\":%" PRIu64
		       ",\"all_msgs_per_s\":%.1f,\"senders\":%zu",
		       g.delivered_all, g.window_all, (double)g.window_all / secs,
		       g.nsenders + 1);
	} else {
		printf(",\"sent\":0,\"delivered\":%" PRIu64 ",\"delivered_all\":%" PRIu64
		       ",\"senders\":%zu,\"seconds\":%.3f,\"msgs_per_s\":%.1f"
		       ",\"all_msgs_per_s\":%.1f,\"mb_per_s\":%.3f",
		       g.delivered_all, g.delivered_all, g.nsenders, all_secs,
		       all_secs > 0 ? (double)g.delivered_all / all_secs : 0.0,
		       all_secs > 0 ? (double)g.delivered_all / all_secs : 0.0,
		       all_secs > 0 ? (double)g.bytes_all / all_secs / 1e6 : 0.0);
	}
	printf(",\"lost\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"misordered\":%" PRIu64
	       ",\"corrupt\":%" PRIu64 ",\"cpu_s\":%.3f}\n",
	       lost, g.gaps, g.misordered, g.corrupt, cpu_seconds());
	free(buf);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples, in microseconds. */
static double pct_us(const int64_t *s, size_t n, double p)
{
	size_t rank;
	if (n == 0)
		return 0.0;
	rank = (size_t)(p * (double)n + 0.999999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)s[rank - 1] / 1e3;
}

/* Sends message number g.sent and dispatches until it came back (pingpong). */
static void ping(int fd, char *buf)
{
	int64_t deadline = now_ns() + FIRST_DELIVERY_WAIT_NS;

	while (!try_send(buf)) {
		if (now_ns() >= deadline)
			die("cpg_mcast_joined: CS_ERR_TRY_AGAIN for %d s",
			    (int)(FIRST_DELIVERY_WAIT_NS / 1000000000LL));
		pump(fd, TRY_AGAIN_WAIT_NS);
	}
	while (g.delivered < g.sent) {
		if (now_ns() >= deadline)
			die("message %" PRIu64 " not delivered within %d s", g.sent - 1,
			    (int)(FIRST_DELIVERY_WAIT_NS / 1000000000LL));
		pump(fd, left_ns(deadline, 10000000LL));
	}
}

/* Writes every delivered message's latency, in ns, one a line, in sequence
 * order. */
static void write_samples(void)
{
	FILE *f;
	uint64_t i;

	if (g.samples_path == NULL)
		return;
	f = fopen(g.samples_path, "w");
	if (f == NULL)
		die("%s: %s", g.samples_path, strerror(errno));
	for (i = 0; i < g.count; i++) {
		if (g.lat_seen[i])
			fprintf(f, "%" PRId64 "\n", g.lat[i]);
	}
	if (fclose(f) != 0)
		die("%s: %s", g.samples_path, strerror(errno));
}

static void run_latency(int fd)
{
	char *buf;
	int64_t t0, next, interval_ns = 1, end_ns;
	int64_t *samples;
	size_t n = 0, i;
	double sum = 0.0, secs;

	buf = calloc(1, g.size);
	g.lat = calloc((size_t)g.count, sizeof(*g.lat));
	g.lat_seen = calloc((size_t)g.count, 1);
	samples = calloc((size_t)g.count, sizeof(*samples));
	if (buf == NULL || g.lat == NULL || g.lat_seen == NULL || samples == NULL)
		die("out of memory");

	if (g.mode == MODE_LATENCY)
		interval_ns = (int64_t)(1e9 / g.rate);
	if (interval_ns < 1)
		interval_ns = 1;
	t0 = now_ns();
	while (g.sent < g.count) {
		int64_t now;
		if (g.mode == MODE_PINGPONG) {
			ping(fd, buf);
			continue;
		}
		next = t0 + (int64_t)g.sent * interval_ns;
		now = now_ns();
		if (now < next) {
			pump(fd, next - now);
			continue;
		}
		pump(fd, try_send(buf) ? 0 : TRY_AGAIN_WAIT_NS);
	}
	drain(fd);
	end_ns = now_ns();
	write_samples();

	for (i = 0; i < (size_t)g.count; i++) {
		if (g.lat_seen[i]) {
			samples[n++] = g.lat[i];
			sum += (double)g.lat[i];
		}
	}
	qsort(samples, n, sizeof(*samples), cmp_i64);
	secs = (double)(end_ns - t0) / 1e9;

	printf("{\"mode\":\"%s\",\"group\":", g.mode == MODE_PINGPONG ? "pingpong" : "latency");
	json_string(g.group);
	printf(",\"nodeid\":%" PRIu32 ",\"pid\":%" PRIu32, g.my_nodeid, g.my_pid);
	printf(",\"size\":%zu,\"count\":%" PRIu64 ",\"rate\":%.1f,\"sent\":%" PRIu64
	       ",\"delivered\":%" PRIu64 ",\"seconds\":%.3f",
	       g.size, g.count, g.mode == MODE_LATENCY ? g.rate : 0.0, g.sent, g.delivered, secs);
	printf(",\"min_us\":%.1f,\"mean_us\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f"
	       ",\"p999_us\":%.1f,\"max_us\":%.1f",
	       n ? (double)samples[0] / 1e3 : 0.0, n ? sum / (double)n / 1e3 : 0.0,
	       pct_us(samples, n, 0.50), pct_us(samples, n, 0.99),
	       pct_us(samples, n, 0.999), n ? (double)samples[n - 1] / 1e3 : 0.0);
	printf(",\"lost\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"misordered\":%" PRIu64
	       ",\"corrupt\":%" PRIu64 ",\"cpu_s\":%.3f}\n",
	       g.sent > g.delivered ? g.sent - g.delivered : 0, g.gaps, g.misordered,
	       g.corrupt, cpu_seconds());

	free(samples);
	free(g.lat_seen);
	free(g.lat);
	free(buf);
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Members mode: the callbacks print the events; this only dispatches until
 * SECONDS passed or SIGTERM/SIGINT came (ppoll returns EINTR). */
static void run_members(int fd)
{
	int64_t end = now_ns() + (int64_t)(g.seconds * 1e9);

	while (!stop_requested && now_ns() < end)
		pump(fd, left_ns(end, 100000000LL));
	printf("{\"mode\":\"members\",\"group\":");
	json_string(g.group);
	printf(",\"nodeid\":%" PRIu32 ",\"pid\":%" PRIu32 "}\n", g.my_nodeid, g.my_pid);
}

static double parse_double(const char *opt, const char *s)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0))
		die("invalid value for -%s: %s", opt, s);
	return v;
}

static uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v == 0)
		die("invalid value for -%s: %s", opt, s);
	return (uint64_t)v;
}

int main(int argc, char **argv)
{
	const char *mode = NULL;
	int have_s = 0, have_t = 0, have_n = 0, have_r = 0;
	int opt, fd = -1;
	cs_error_t err;

	g.group = "gsbench";
	while ((opt = getopt(argc, argv, "m:s:t:n:r:g:o:f:wh")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 's': g.size = (size_t)parse_u64("s", optarg); have_s = 1; break;
		case 't': g.seconds = parse_double("t", optarg); have_t = 1; break;
		case 'n': g.count = parse_u64("n", optarg); have_n = 1; break;
		case 'r': g.rate = parse_double("r", optarg); have_r = 1; break;
		case 'g': g.group = optarg; break;
		case 'o': g.samples_path = optarg; break;
		case 'f': g.max_inflight = parse_u64("f", optarg); break;
		case 'w': g.watch = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (strlen(g.group) == 0 || strlen(g.group) > CPG_MAX_NAME_LENGTH)
		die("group name must be 1..%d bytes", CPG_MAX_NAME_LENGTH);
	if (mode == NULL)
		mode = "throughput";
	if (strcmp(mode, "throughput") == 0) {
		g.mode = MODE_THROUGHPUT;
		if (!have_t || have_n || have_r)
			usage();
		if (!g.watch && !have_s)
			usage();
	} else if (strcmp(mode, "latency") == 0) {
		g.mode = MODE_LATENCY;
		if (!have_s || !have_n || !have_r || have_t || g.watch)
			usage();
	} else if (strcmp(mode, "pingpong") == 0) {
		g.mode = MODE_PINGPONG;
		if (!have_s || !have_n || have_r || have_t || g.watch)
			usage();
	} else if (strcmp(mode, "members") == 0) {
		struct sigaction sa;
		g.mode = MODE_MEMBERS;
		if (!have_t || have_s || have_n || have_r || g.watch)
			usage();
		/* No SA_RESTART: SIGTERM interrupts ppoll and ends the run. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	} else {
		die("unknown mode: %s (want throughput, latency, pingpong or members)", mode);
	}
	if (g.samples_path != NULL && g.mode != MODE_LATENCY && g.mode != MODE_PINGPONG)
		usage();
	if (g.max_inflight != 0 && (g.mode != MODE_THROUGHPUT || g.watch))
		usage();
	if (!g.watch && g.mode != MODE_MEMBERS &&
	    (g.size < sizeof(struct bench_hdr) || g.size > MAX_SIZE))
		die("size must be %zu..%d bytes", sizeof(struct bench_hdr), MAX_SIZE);
	if ((g.mode == MODE_LATENCY || g.mode == MODE_PINGPONG) && g.count > 100000000ULL)
		die("count too large");

	connect_and_join(&fd);
	if (g.mode == MODE_THROUGHPUT)
		run_throughput(fd);
	else if (g.mode == MODE_MEMBERS)
		run_members(fd);
	else
		run_latency(fd);
	fflush(stdout);

	err = cpg_finalize(g.handle);
	if (err != CS_OK)
		die_cs("cpg_finalize", err);
	return 0;
}
