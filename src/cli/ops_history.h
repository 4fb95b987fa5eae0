/*
 * ops_history.h: `pgha history`: the etcd "history" key (Patroni's list of
 * [timeline, switch_lsn, reason, timestamp, new_leader] lines, the last two optional)
 * as patronictl's table or as JSON.
 *
 * Pure and library-like: no I/O; a malformed key is described in err.
 */
#ifndef PGHA_CLI_OPS_HISTORY_H
#define PGHA_CLI_OPS_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "util/buf.h"
#include "util/compiler.h"

/*
 * ops_history_json: the key's text (NULL or "" when there is no history) as an owned
 * array of {"timeline", "lsn", "reason", "timestamp", "new_leader"} objects (absent
 * fields are null). NULL with err set when the text is not an array of arrays whose
 * first two items are integers.
 */
json_t *ops_history_json(const char *history_key, char *err, size_t errlen);
/* ops_history_table: patronictl's table (TL, LSN, Reason, Timestamp, New Leader). */
void ops_history_table(const json_t *history, struct buf *out);

#endif
