/*
 * router_sockmap.c: the eBPF sockmap kernel relay (see router_sockmap.h).
 *
 * The program, in C terms:
 *
 *   int verdict(struct __sk_buff *skb) {
 *           struct key k = {skb->remote_ip4, skb->local_ip4, skb->remote_port,
 *                           skb->local_port};
 *           return bpf_sk_redirect_hash(skb, &sessions, &k, 0);   // 0 = peer's egress
 *   }
 *
 * It is assembled here as 17 instructions and loaded with the bpf(2) system call, so
 * the router needs neither libbpf nor a compiler at run time. The key of a socket is
 * its 4-tuple as the kernel presents it to the program: addresses in network order,
 * remote port in network order shifted into the upper half, local port in host order.
 * Does not: decide when to attach (the session code does that at a quiet moment).
 */
#include "router/router_sockmap.h"

#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "util/xalloc.h"

#define SOCKMAP_MAX_ENTRIES 65536 /* two per kernel-relayed session */

struct sockmap {
	int map_fd;  /* BPF_MAP_TYPE_SOCKHASH: key of a socket -> its peer */
	int prog_fd; /* the SK_SKB verdict program, attached to the map */
};

struct sm_key {
	uint32_t remote_ip4;
	uint32_t local_ip4;
	uint32_t remote_port;
	uint32_t local_port;
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define SKB_OFF(f) ((int16_t)offsetof(struct __sk_buff, f))
#define KEY_OFF(f) ((int16_t)(offsetof(struct sm_key, f) - sizeof(struct sm_key)))

static int load_program(int map_fd, char *err, size_t errlen)
{
	const struct bpf_insn prog[] = {
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0), /* r6 = skb */
	    INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 6, SKB_OFF(remote_ip4), 0),
	    INSN(BPF_STX | BPF_MEM | BPF_W, 10, 2, KEY_OFF(remote_ip4), 0),
	    INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 6, SKB_OFF(local_ip4), 0),
	    INSN(BPF_STX | BPF_MEM | BPF_W, 10, 2, KEY_OFF(local_ip4), 0),
	    INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 6, SKB_OFF(remote_port), 0),
	    INSN(BPF_STX | BPF_MEM | BPF_W, 10, 2, KEY_OFF(remote_port), 0),
	    INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 6, SKB_OFF(local_port), 0),
	    INSN(BPF_STX | BPF_MEM | BPF_W, 10, 2, KEY_OFF(local_port), 0),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),                    /* r1 = skb */
	    INSN(BPF_LD | BPF_DW | BPF_IMM, 2, BPF_PSEUDO_MAP_FD, 0, map_fd), /* r2 = map */
	    INSN(0, 0, 0, 0, 0),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0), /* r3 = &key */
	    INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -(int32_t)sizeof(struct sm_key)),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0), /* r4 = flags: egress */
	    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_redirect_hash),
	    INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	static char log[4096];
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SK_SKB;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = (uint32_t)(sizeof(prog) / sizeof(prog[0]));
	a.license = (uint64_t)(uintptr_t) "GPL";
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	log[0] = '\0';
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0)
		snprintf(err, errlen, "loading the verdict program: %s%s%.200s", strerror(errno),
		         log[0] != '\0' ? ": " : "", log);
	return fd;
}

static int create_map(char *err, size_t errlen)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_SOCKHASH;
	a.key_size = sizeof(struct sm_key);
	a.value_size = sizeof(uint32_t);
	a.max_entries = SOCKMAP_MAX_ENTRIES;
	fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		snprintf(err, errlen, "creating the sockhash map: %s", strerror(errno));
	return fd;
}

static bool attach_program(int map_fd, int prog_fd, char *err, size_t errlen)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)map_fd;
	a.attach_bpf_fd = (uint32_t)prog_fd;
	a.attach_type = BPF_SK_SKB_VERDICT;
	if (sys_bpf(BPF_PROG_ATTACH, &a) == 0)
		return true;
	snprintf(err, errlen, "attaching the verdict program: %s", strerror(errno));
	return false;
}

struct sockmap *sockmap_open(char *err, size_t errlen)
{
	struct sockmap *m = xcalloc(1, sizeof(*m));

	m->prog_fd = -1;
	m->map_fd = create_map(err, errlen);
	if (m->map_fd >= 0)
		m->prog_fd = load_program(m->map_fd, err, errlen);
	if (m->prog_fd < 0 || !attach_program(m->map_fd, m->prog_fd, err, errlen)) {
		sockmap_close(m);
		return NULL;
	}
	return m;
}

void sockmap_close(struct sockmap *m)
{
	if (m == NULL)
		return;
	if (m->prog_fd >= 0)
		close(m->prog_fd);
	if (m->map_fd >= 0)
		close(m->map_fd);
	free(m);
}

/* key_of: fd's 4-tuple as the program sees it on segments arriving at fd. */
static bool key_of(int fd, struct sm_key *k)
{
	struct sockaddr_in local;
	struct sockaddr_in peer;
	socklen_t llen = sizeof(local);
	socklen_t plen = sizeof(peer);

	if (getsockname(fd, (struct sockaddr *)&local, &llen) == -1 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) == -1 || local.sin_family != AF_INET ||
	    peer.sin_family != AF_INET)
		return false;
	k->remote_ip4 = peer.sin_addr.s_addr;
	k->local_ip4 = local.sin_addr.s_addr;
	k->remote_port = (uint32_t)peer.sin_port << 16;
	k->local_port = ntohs(local.sin_port);
	return true;
}

static bool map_update(int map_fd, const struct sm_key *k, int value_fd)
{
	uint32_t v = (uint32_t)value_fd;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)map_fd;
	a.key = (uint64_t)(uintptr_t)k;
	a.value = (uint64_t)(uintptr_t)&v;
	a.flags = BPF_ANY;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &a) == 0;
}

static void map_delete(int map_fd, const struct sm_key *k)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)map_fd;
	a.key = (uint64_t)(uintptr_t)k;
	(void)sys_bpf(BPF_MAP_DELETE_ELEM, &a);
}

bool sockmap_attach(struct sockmap *m, int a, int b)
{
	struct sm_key ka;
	struct sm_key kb;

	if (!key_of(a, &ka) || !key_of(b, &kb))
		return false;
	/* b joins first: segments arriving at a find b only once both entries exist. */
	if (!map_update(m->map_fd, &ka, b))
		return false;
	if (!map_update(m->map_fd, &kb, a)) {
		map_delete(m->map_fd, &ka);
		return false;
	}
	return true;
}
