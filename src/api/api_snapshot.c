/*
 * api_snapshot.c: deep copy and release of the agent's published state. The HA
 * loop publishes snapshots and the REST threads answer from their own copies, so
 * a copy shares nothing with its source.
 */
#include "api/api_snapshot.h"

#include <string.h>
#include "dcs/dcs.h"
#include "util/xalloc.h"

void api_snapshot_free(struct api_snapshot *s)
{
	free(s->tags_json);
	s->tags_json = NULL;
	dcs_view_free(&s->view);
}

void api_snapshot_copy(struct api_snapshot *dst, const struct api_snapshot *src)
{
	*dst = *src;
	dst->tags_json = xstrdup(src->tags_json);
	/* Start from an empty view, whatever dcs_view_copy does with dst's old contents. */
	memset(&dst->view, 0, sizeof(dst->view));
	dcs_view_copy(&dst->view, &src->view);
}
