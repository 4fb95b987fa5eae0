/*
 * nft.h: nftables through the `nft` tool (Debian package nftables): a ruleset loaded
 * as one transaction (`nft -f`: all of it or nothing), a table's existence, its removal.
 * Used to cut a lab's links for a chaos run; `pgha down` removes what a run may have
 * left behind.
 *
 * Needs root (CAP_NET_ADMIN). Blocks for at most NFT_TIMEOUT_MS per call. Does not
 * log: errors go to err.
 */
#ifndef PGHA_UTIL_NFT_H
#define PGHA_UTIL_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include "util/compiler.h"

#define NFT_TIMEOUT_MS 10000

/*
 * nft_usable: nft can be run here: we are root and the nft binary is found (PATH, then
 * /usr/sbin). False with err saying which is missing.
 */
bool nft_usable(char *err, size_t errlen) MUST_CHECK;
/* nft_binary: the nft binary's path (PATH, then /usr/sbin, /sbin) into out; false if none. */
bool nft_binary(char *out, size_t size) MUST_CHECK;
/* nft_apply: loads ruleset (nft's file syntax) in one transaction. */
bool nft_apply(const char *ruleset, char *err, size_t errlen) MUST_CHECK;
/* nft_table_exists: `nft list table FAMILY NAME` succeeds. */
bool nft_table_exists(const char *family, const char *name);
/* nft_table_delete: the table is gone afterwards (deleted now, or it did not exist). */
bool nft_table_delete(const char *family, const char *name, char *err, size_t errlen) MUST_CHECK;

#endif
