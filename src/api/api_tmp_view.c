/*
 * api_tmp_view.c: TEMPORARY stand-ins for dcs_view_copy() and dcs_view_free()
 * (declared in dcs/dcs.h) until the dcs module lands on main. They are weak, so
 * the dcs module's definitions win at link time; the lead removes this file then.
 */
#include <string.h>
#include "dcs/dcs.h"
#include "util/xalloc.h"

__attribute__((weak)) void dcs_view_free(struct dcs_view *view)
{
	free(view->config_json);
	free(view->history_json);
	view->config_json = NULL;
	view->history_json = NULL;
}

/* dst is overwritten: it must not hold owned data. */
__attribute__((weak)) void dcs_view_copy(struct dcs_view *dst, const struct dcs_view *src)
{
	*dst = *src;
	dst->config_json = xstrdup(src->config_json);
	dst->history_json = xstrdup(src->history_json);
}
