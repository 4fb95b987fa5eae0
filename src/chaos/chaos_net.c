/*
 * chaos_net.c: partitions with nftables, by cgroup (see chaos_net.h).
 */
#include "chaos/chaos_net.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "util/cgroup.h"
#include "util/nft.h"
#include "util/strutil.h"

/* Marks of the sides, in a range of their own ("pg" and a side number). */
#define MARK_VICTIM 0x70670001u
#define MARK_OTHER0 0x70670010u

static void group_rule(struct buf *out, const struct chaos_net_group *g)
{
	buf_printf(out, "socket cgroupv2 level %d \"%s\"", g->level, g->path);
}

void chaos_net_ruleset(const struct chaos_net_cut *cut, struct buf *out)
{
	buf_printf(out, "table %s %s {\n", CHAOS_NET_FAMILY, cut->table);
	buf_puts(out, "\tchain out {\n\t\ttype filter hook output priority 0; policy accept;\n");
	buf_puts(out, "\t\t");
	group_rule(out, &cut->victim);
	buf_printf(out, " meta mark set 0x%08x\n", MARK_VICTIM);
	for (int i = 0; i < cut->n_others; i++) {
		buf_puts(out, "\t\t");
		group_rule(out, &cut->others[i]);
		buf_printf(out, " meta mark set 0x%08x\n", MARK_OTHER0 + (unsigned)i);
	}
	buf_puts(out, "\t}\n\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n");
	for (int i = 0; i < cut->n_others; i++) {
		buf_printf(out, "\t\tmeta mark 0x%08x ", MARK_VICTIM);
		group_rule(out, &cut->others[i]);
		buf_puts(out, " drop\n");
	}
	buf_puts(out, "\t\tmeta mark {");
	for (int i = 0; i < cut->n_others; i++)
		buf_printf(out, "%s0x%08x", i ? ", " : " ", MARK_OTHER0 + (unsigned)i);
	buf_puts(out, " } ");
	group_rule(out, &cut->victim);
	buf_puts(out, " drop\n\t}\n}\n");
}

/* group_of: component's cgroup of lab c as nftables names it. */
static bool group_of(const struct lab_cluster *c, const char *root, const char *component,
                     struct chaos_net_group *g)
{
	char rel[128];

	return lab_cgroup(c, component, rel, sizeof(rel)) &&
	       cgroup_nft_path(root, rel, g->path, sizeof(g->path), &g->level);
}

static bool plan_groups(const struct lab_cluster *c, enum chaos_scenario s, const char *victim,
                        const char *root, struct chaos_net_cut *cut)
{
	bool ok = group_of(c, root, victim, &cut->victim) &&
	          group_of(c, root, "etcd", &cut->others[cut->n_others++]);

	if (s != CHAOS_PARTITION_PRIMARY)
		return ok;
	ok = ok && group_of(c, root, "router", &cut->others[cut->n_others++]);
	for (int k = 0; ok && k < c->plan.n_nodes; k++) {
		if (!str_eq(c->plan.nodes[k].name, victim))
			ok =
			    group_of(c, root, c->plan.nodes[k].name, &cut->others[cut->n_others++]);
	}
	return ok;
}

bool chaos_net_plan(const struct lab_cluster *c, enum chaos_scenario s, const char *victim,
                    struct chaos_net_cut *cut, char *err, size_t errlen)
{
	char root[PATH_MAX];
	char why[512];

	memset(cut, 0, sizeof(*cut));
	lab_chaos_table(c, cut->table, sizeof(cut->table));
	if (!nft_usable(why, sizeof(why))) {
		snprintf(err, errlen, "%s cuts links with nftables: %s", chaos_scenario_str(s),
		         why);
		return false;
	}
	if (!cgroup2_root(root, sizeof(root)) || !str_has_prefix(root, CGROUP_NFT_BASE)) {
		snprintf(err, errlen,
		         "%s needs cgroup v2 mounted under %s (nftables matches sockets by "
		         "cgroup there)",
		         chaos_scenario_str(s), CGROUP_NFT_BASE);
		return false;
	}
	if (!lab_cgroups_in_place(c, why, sizeof(why))) {
		snprintf(err, errlen,
		         "%s needs every process of the lab in its own cgroup: %s (pgha down "
		         "--keep, then pgha up as root, starts them there)",
		         chaos_scenario_str(s), why);
		return false;
	}
	if (!plan_groups(c, s, victim, root, cut)) {
		snprintf(err, errlen, "%s: no cgroup of the lab for %s", chaos_scenario_str(s),
		         victim);
		return false;
	}
	return true;
}
