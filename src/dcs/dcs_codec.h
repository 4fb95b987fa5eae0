/*
 * dcs_codec.h: helpers of the Patroni value codec (dcs_codec.c) beyond those that
 * dcs.h and dcs_types.h declare. Pure; nothing here logs.
 */
#ifndef PGHA_DCS_DCS_CODEC_H
#define PGHA_DCS_DCS_CODEC_H

#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs_types.h"
#include "util/compiler.h"

/*
 * dcs_sync_encode: the value of the sync key, {"leader":..,"quorum":0,"sync_standby":..}
 * with the standbys sorted and comma-joined (null when there are none). Owned.
 */
char *dcs_sync_encode(const char *leader, const char *const *standbys, int n);
/* dcs_request_encode: a pgha request key's JSON object; empty fields omitted. Owned. */
char *dcs_request_encode(const struct dcs_request *r);
/*
 * dcs_failsafe_encode: the value of the failsafe key, Patroni's compact JSON object of
 * member name -> api_url, keys sorted. Owned.
 */
struct dcs_failsafe;
char *dcs_failsafe_encode(const struct dcs_failsafe *fs);
/* dcs_failover_encode: the failover key's JSON object; NULL or "" fields are omitted. Owned. */
char *dcs_failover_encode(const char *leader, const char *member, const char *scheduled_at);

#endif
