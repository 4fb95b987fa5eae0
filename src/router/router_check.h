/*
 * router_check.h: REST health checks of the targets (HEAD /primary, HEAD /replica)
 * with libcurl's multi interface, driven by the router's epoll loop.
 *
 * At most one check per target is in flight. The loop registers nothing itself:
 * libcurl tells this module which sockets to watch, and this module puts them in the
 * loop's epoll set (kind EV_CHECK). Results come back through a callback with the
 * HTTP status (0 when there was no answer). Never blocks.
 */
#ifndef PGHA_ROUTER_ROUTER_CHECK_H
#define PGHA_ROUTER_ROUTER_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include "router/router_target.h"
#include "util/compiler.h"
#include "util/tls.h"

struct checker;

typedef void checker_result_fn(void *arg, int target, enum rt_check_kind kind, int status);

/*
 * checker_new: a checker adding its sockets to epfd; https api_urls are verified with
 * tls (borrowed, must outlive the checker). NULL (logged) if libcurl fails.
 */
struct checker *checker_new(int epfd, int timeout_ms, const struct tls_client *tls,
                            checker_result_fn *cb, void *arg);
void checker_free(struct checker *ck);
/* checker_start: starts HEAD url for target (which must not be busy). False (logged) on error. */
bool checker_start(struct checker *ck, int target, enum rt_check_kind kind,
                   const char *url) MUST_CHECK;
bool checker_busy(const struct checker *ck, int target);
/* checker_on_event: an epoll event on one of the checker's sockets. */
void checker_on_event(struct checker *ck, int fd, uint32_t events);
/* checker_on_time: runs libcurl's timeouts if due at now_ms. */
void checker_on_time(struct checker *ck, int64_t now_ms);
/* checker_deadline_ms: when checker_on_time must run next (INT64_MAX = no timer). */
int64_t checker_deadline_ms(const struct checker *ck);
/* checker_end_iteration: frees socket handles libcurl released in this iteration. */
void checker_end_iteration(struct checker *ck);

#endif
