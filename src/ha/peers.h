/*
 * peers.h: asking the other members how they are, for the leader race.
 *
 * Every other member's api_url (Patroni's /patroni endpoint, ours or a real
 * Patroni's) is fetched in parallel with one deadline; a member that does not answer
 * in time is "unreachable" and, as in Patroni, does not block the race.
 */
#ifndef PGHA_HA_PEERS_H
#define PGHA_HA_PEERS_H

#include <stdbool.h>
#include "dcs/dcs_types.h"
#include "ha/ha_types.h"
#include "util/compiler.h"
#include "util/tls.h"

/*
 * peers_probe: fills out[] (one entry per member of view other than self, in view
 * order, then one per member of extra that the view lacks: a primary running on
 * failsafe has lost its member key with its lease) and returns their number. extra
 * may be NULL. https api_urls are verified with tls (the node's ctl settings; a peer
 * that fails verification is unreachable, and logged). Blocks at most timeout_ms.
 */
int peers_probe(const struct dcs_view *view, const struct dcs_failsafe *extra, const char *self,
                const struct tls_client *tls, int timeout_ms, struct ha_peer *out, int max);
/* peers_parse_status: a /patroni body into p (name set by the caller); pure. */
bool peers_parse_status(const char *body, struct ha_peer *p) MUST_CHECK;

#endif
