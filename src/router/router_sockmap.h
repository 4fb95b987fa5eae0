/*
 * router_sockmap.h: kernel relay of established sessions with an eBPF sockmap.
 *
 * A tiny BPF_PROG_TYPE_SK_SKB verdict program (hand-assembled: no libbpf or clang at
 * run time) is attached to a SOCKHASH map. Each relayed socket is stored under the
 * key of its peer's 4-tuple, so every segment arriving on one socket of a session is
 * redirected by the kernel to the send queue of the other: the router is not woken
 * for data at all, only for hang-ups. IPv4 only; needs CAP_BPF/CAP_NET_ADMIN (root).
 * When any of that is missing, sockmap_open() fails and the router relays in user
 * space as before.
 */
#ifndef PGHA_ROUTER_ROUTER_SOCKMAP_H
#define PGHA_ROUTER_ROUTER_SOCKMAP_H

#include <stdbool.h>
#include <stddef.h>
#include "util/compiler.h"

struct sockmap;

/* sockmap_open: creates the map and loads the program. NULL with err filled if unavailable. */
struct sockmap *sockmap_open(char *err, size_t errlen);
void sockmap_close(struct sockmap *m);
/*
 * sockmap_attach: from now on the kernel moves bytes between the connected TCP
 * sockets a and b. Bytes already queued on either socket stay readable with recv().
 * False (nothing attached) if either socket cannot be added (IPv6, state, limits).
 * Closing a socket removes it from the map.
 */
bool sockmap_attach(struct sockmap *m, int a, int b) MUST_CHECK;

#endif
