/*
 * ha_failsafe.c: the rules of failsafe_mode (see ha_failsafe.h). Pure.
 */
#include "ha/ha_failsafe.h"

#include <string.h>
#include "util/compiler.h"
#include "util/strutil.h"

int64_t ha_effective_deadline(const struct ha_lease *l)
{
	if (!l->fs_usable)
		return l->deadline_ms;
	return MAX(l->deadline_ms, l->fs_deadline_ms);
}

bool ha_fs_carries(const struct ha_lease *l, int64_t now_ms)
{
	return l->held && l->fs_usable && l->fs_deadline_ms > l->deadline_ms &&
	       now_ms < l->fs_deadline_ms;
}

bool ha_fs_round_confirms(const bool *accepted, int n, int64_t sent_ms, int64_t deadline_at_send_ms)
{
	if (sent_ms >= deadline_at_send_ms)
		return false; /* no resurrection */
	for (int i = 0; i < n; i++)
		if (!accepted[i])
			return false;
	return true;
}

bool ha_fs_key_allows(const struct dcs_failsafe *fs, const char *name)
{
	switch (fs->state) {
	case DCS_FS_ABSENT:
		return true;
	case DCS_FS_VALID:
		return dcs_failsafe_has(fs, name);
	case DCS_FS_INVALID:
		break;
	}
	return false;
}

bool ha_fs_write_obsolete(const struct ha_fs_write *w, int64_t view_rev)
{
	if (w->new_revision > 0)
		return view_rev >= w->new_revision;
	return view_rev != w->base_revision;
}

/* add_target: name (with url) into out unless it is self or already there. */
static void add_target(struct dcs_failsafe *out, const char *name, const char *url,
                       const char *self)
{
	if (str_eq(name, self) || dcs_failsafe_has(out, name) || out->n >= DCS_MAX_MEMBERS)
		return;
	if (!str_copy(out->names[out->n], DCS_NAME_LEN, name) ||
	    !str_copy(out->api_urls[out->n], DCS_URL_LEN, url))
		return;
	out->n++;
}

void ha_fs_targets(const struct dcs_failsafe *key, const struct ha_fs_write *writes, int n,
                   const char *self, struct dcs_failsafe *out)
{
	memset(out, 0, sizeof(*out));
	out->state = DCS_FS_VALID; /* has() looks only at valid lists */
	for (int i = 0; key->state == DCS_FS_VALID && i < key->n; i++)
		add_target(out, key->names[i], key->api_urls[i], self);
	for (int w = 0; w < n; w++)
		for (int i = 0; i < writes[w].list.n; i++)
			add_target(out, writes[w].list.names[i], writes[w].list.api_urls[i], self);
}

void ha_fs_desired(const struct ha_input *in, struct dcs_failsafe *out)
{
	const struct dcs_view *v = &in->view;
	const struct dcs_failsafe *recent = &in->failsafe.recent;

	memset(out, 0, sizeof(*out));
	out->state = DCS_FS_VALID;
	add_target(out, in->name, in->failsafe.my_api_url, "");
	for (int i = 0; i < v->n_members; i++)
		if (v->members[i].api_url[0] != '\0')
			add_target(out, v->members[i].name, v->members[i].api_url, "");
	for (int i = 0; i < recent->n; i++)
		add_target(out, recent->names[i], recent->api_urls[i], "");
}

bool ha_fs_same(const struct dcs_failsafe *a, const struct dcs_failsafe *b)
{
	if (a->state != DCS_FS_VALID || b->state != DCS_FS_VALID || a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++) {
		const char *url = dcs_failsafe_url(b, a->names[i]);

		if (url == NULL || !str_eq(url, a->api_urls[i]))
			return false;
	}
	return true;
}

enum ha_fs_verdict ha_failsafe_accept(const struct ha_fs_replica *r, const struct ha_fs_post *p)
{
	const char *known = r->last_leader[0] != '\0' ? r->last_leader : r->upstream;

	if (!r->mode)
		return HA_FS_MODE_OFF;
	if (r->primary)
		return HA_FS_PRIMARY;
	if (r->racing || str_eq(r->last_leader, r->self))
		return HA_FS_RACING;
	if (known[0] == '\0' || !str_eq(known, p->name))
		return HA_FS_NOT_LEADER;
	if (p->timeline > 0 && r->timeline > 0 && p->timeline < r->timeline)
		return HA_FS_TIMELINE_BEHIND;
	return HA_FS_ACCEPT;
}

const char *ha_fs_verdict_str(enum ha_fs_verdict v)
{
	static const char *const names[HA_FS__COUNT] = {
	    [HA_FS_ACCEPT] = "Accepted",
	    [HA_FS_MODE_OFF] = "failsafe mode is not enabled",
	    [HA_FS_PRIMARY] = "Running as a leader",
	    [HA_FS_RACING] = "Running a leader race",
	    [HA_FS_NOT_LEADER] = "Not the leader",
	    [HA_FS_TIMELINE_BEHIND] = "Timeline is behind",
	};

	return (unsigned)v < HA_FS__COUNT ? names[v] : "?";
}
