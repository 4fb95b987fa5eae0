# pgha: one non-recursive Makefile.
#
#   make            build ./pgha (objects under build/)
#   make up         install what is missing, build, start a local cluster in ./pgha-lab
#   make check      every test: format, lint, unit (plain, ASan/UBSan and TSan), deploy and
#                   docs checks, integration
#   make unit       cmocka unit tests only
#   make asan       unit tests under AddressSanitizer + UBSan
#   make tsan       unit tests and the agent under ThreadSanitizer (build-tsan/pgha);
#                   make tsan-chaos runs the lab's chaos scenarios with TSan agents
#   make valgrind   unit tests under valgrind
#   make fuzz       libFuzzer harnesses, FUZZ_SECONDS each (make check: FUZZ_CHECK_SECONDS)
#   make format     clang-format the tree; make format-check verifies it
#   make bench-*    benchmarks (docs/bench.md); BENCH_ARGS passes options to the script
#
# Dependencies come from Debian packages through pkg-config; `make deps` installs them.

PKGS      := libpq libcurl jansson yaml-0.1 libmicrohttpd gnutls libsystemd
BUILD     ?= build
CC        ?= cc
SANITIZE  ?= 0
V         ?= 0
Q         := $(if $(filter 1,$(V)),,@)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wvla -Wpointer-arith -Wcast-qual -Wimplicit-fallthrough -Wundef -Wswitch \
	-Wno-format-nonliteral -Wnull-dereference -Wdouble-promotion
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g -O2 -fno-common -Isrc $(WARN) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
ifeq ($(SANITIZE),1)
  CFLAGS_BASE += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDFLAGS     += -fsanitize=address,undefined
endif
# libFuzzer harnesses (tests/fuzz): clang, the code instrumented for coverage, ASan+UBSan.
ifeq ($(SANITIZE),fuzz)
  CFLAGS_BASE += -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
  LDFLAGS     += -fsanitize=fuzzer,address,undefined
endif
ifeq ($(SANITIZE),thread)
  CFLAGS_BASE += -O1 -fsanitize=thread -fno-omit-frame-pointer
  LDFLAGS     += -fsanitize=thread
endif
# ThreadSanitizer: every report fails the run; the suppressions name only libraries'
# own false positives, each with the reason.
TSAN_OPTIONS_ALL := halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp
CFLAGS += $(CFLAGS_BASE) -MMD -MP
# Integration tests and benchmarks start clusters on fixed ports and measure timings: two
# of them at once on one machine would collide or skew each other, so they take turns.
LAB_LOCK  := flock $(or $(TMPDIR),/tmp)/pgha-lab.lock

SRCS      := $(sort $(wildcard src/*/*.c))
OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ  := $(BUILD)/src/main.o
LIB       := $(BUILD)/libpgha.a
BIN       ?= pgha

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
CMOCKA    := $(shell pkg-config --libs cmocka 2>/dev/null)

# --- unit tests link their module's objects and those below ------------------------------
# A unit test of module m (test_<m>[_<part>].c) links only what m may use, directly or
# through the modules below it, as the one layer table (scripts/check-layers.sh) says:
# a call that climbs a layer fails to link, as an include that does fails `make lint`.
# A single header in that table (ha/ha_decide.h) stands for the objects behind it: the
# pure decision core and its types' helpers (pg_types.c: the core reads pg's plain types).
module_uses = $(or $(USES_$(1)),$(eval USES_$(1) := $(shell sh scripts/check-layers.sh \
	--uses $(1)))$(USES_$(1)))
HEADER_OBJS_ha/ha_decide.h := $(BUILD)/src/ha/ha_decide.o $(BUILD)/src/ha/ha_handover.o \
	$(BUILD)/src/ha/ha_failsafe.o \
	$(BUILD)/src/pg/pg_types.o
layer_objs = $(sort $(foreach u,$(call module_uses,$(1)),\
	$(or $(HEADER_OBJS_$(u)),$(filter $(BUILD)/src/$(u)/%,$(OBJS)))))
# A test's module: test_<module>[_<part>].c, unless named here; a test of the tools
# (no such module, or one that also reaches into cli/ or router/) links everything.
TEST_MODULE_test_sdnotify       := util
TEST_MODULE_test_etcd_json      := dcs
TEST_MODULE_test_etcd_hedge     := dcs
TEST_MODULE_test_deploy_configs := pooler
TEST_MODULE_test_lab            := cli
test_module = $(or $(TEST_MODULE_$(1)),$(firstword $(subst _, ,$(1:test_%=%))))
# Narrower lists. The decision core is pure: it links with nothing but its types'
# helpers. The lease keeper needs the DCS alone (it fences through a callback). The
# agent's tests run on the in-memory DCS and a recorded PostgreSQL
# (tests/unit/fake_pg.c) in place of pg/'s processes.
PG_PURE   := $(BUILD)/src/pg/pg_types.o $(BUILD)/src/pg/pg_conf.o
TEST_OBJS_test_ha_decide := $(HEADER_OBJS_ha/ha_decide.h) $(BUILD)/src/dcs/dcs_codec.o \
	$(BUILD)/src/pg/pg_conf.o $(call layer_objs,util)
TEST_OBJS_test_ha_failsafe_model := $(TEST_OBJS_test_ha_decide)
TEST_OBJS_test_ha_lease  := $(BUILD)/src/ha/lease.o $(BUILD)/src/ha/ha_failsafe.o \
	$(call layer_objs,dcs)
TEST_OBJS_test_ha_agent  = $(filter-out $(BUILD)/src/pg/%,$(call layer_objs,ha)) $(PG_PURE) \
	$(BUILD)/tests/fake_pg.o
test_objs = $(or $(TEST_OBJS_$(1)),$(if $(wildcard src/$(call test_module,$(1))/),\
	$(call layer_objs,$(call test_module,$(1))),$(OBJS)))

# Fuzzing: one libFuzzer harness per parser or decision (tests/fuzz/fuzz_<name>.c), its seed
# corpus in tests/fuzz/corpus/<name>/. make fuzz runs each for FUZZ_SECONDS; make check runs
# each for FUZZ_CHECK_SECONDS (tests/fuzz/run.sh prints executions and speed per harness).
FUZZ_BUILD         := build-fuzz
FUZZ_SECONDS       ?= 60
FUZZ_CHECK_SECONDS ?= 3
FUZZ_SRCS          := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS          := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)

# Integration tests: C programs (cmocka) against real etcd/PostgreSQL, plus shell scenarios.
ITEST_SRCS := $(sort $(wildcard tests/integration/test_*.c))
ITEST_BINS := $(ITEST_SRCS:tests/integration/%.c=$(BUILD)/itests/%)

.PHONY: all deps up down check unit integration asan tsan tsan-chaos valgrind format format-check \
	lint clean bench-failover bench-router bench-idle bench-patroni bench-false-failover \
	bench-backup deb \
	check-deploy check-docs fuzz fuzz-build fuzz-bins fuzz-check

all: $(BIN)

$(BIN): $(MAIN_OBJ) $(OBJS)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(LIB): $(OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $$(call test_objs,$$*)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(call test_objs,$*) $(CMOCKA) $(LIBS) $(LDFLAGS)

$(BUILD)/tests/fake_pg.o: tests/unit/fake_pg.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -c -o $@ $<

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests/fuzz -Itests/unit -o $@ $< $(LIB) $(LIBS) $(LDFLAGS)

$(BUILD)/itests/%: tests/integration/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(CMOCKA) $(LIBS) $(LDFLAGS)

deps:
	@sh scripts/deps.sh

up: deps
	@$(MAKE) --no-print-directory all
	./$(BIN) up $(UP_ARGS)

down:
	./$(BIN) down $(DOWN_ARGS)

unit: $(UNIT_BINS)
	@sh tests/unit/run.sh $(UNIT_BINS)

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 unit

tsan:
	@$(MAKE) --no-print-directory BUILD=build-tsan SANITIZE=thread BIN=build-tsan/pgha \
		build-tsan/pgha
	@TSAN_OPTIONS="$(TSAN_OPTIONS_ALL)" $(MAKE) --no-print-directory BUILD=build-tsan \
		SANITIZE=thread unit

# The lab's chaos scenarios (030_chaos) with TSan agents, router and tools: each
# process writes its reports to a file; any report fails the run.
tsan-chaos: tsan
	@$(LAB_LOCK) sh tests/tsan-chaos.sh build-tsan/pgha "$(TSAN_OPTIONS_ALL)"

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) SANITIZE=fuzz CC=clang fuzz-bins

fuzz-bins: $(FUZZ_BINS)

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-check: fuzz-build
	@FUZZ_SEED=1 sh tests/fuzz/run.sh $(FUZZ_CHECK_SECONDS) $(FUZZ_BINS)

valgrind: $(UNIT_BINS)
	@VALGRIND=1 sh tests/unit/run.sh $(UNIT_BINS)

integration: $(BIN) $(ITEST_BINS)
	@$(LAB_LOCK) sh tests/integration/run.sh $(ITEST_BINS)

check: deps
	@$(MAKE) --no-print-directory format-check lint
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory check-deploy
	@$(MAKE) --no-print-directory check-docs
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory tsan
	@$(MAKE) --no-print-directory fuzz-check
	@$(MAKE) --no-print-directory integration

bench-failover: all
	@$(LAB_LOCK) bash bench/failover.sh $(BENCH_ARGS)

bench-router: all
	@$(LAB_LOCK) bash bench/router.sh $(BENCH_ARGS)

bench-idle: all
	@$(LAB_LOCK) bash bench/agent-idle.sh $(BENCH_ARGS)

# Patroni 3.0.2 on a pgha lab's etcd, PostgreSQL and router: kill-primary downtime.
bench-patroni: all
	@$(LAB_LOCK) bash bench/patroni_lab.sh $(BENCH_ARGS)

# pgBackRest in a lab: backup and restore time and size, archive lag, tps with and without.
bench-backup: all
	@$(LAB_LOCK) bash bench/backup.sh $(BENCH_ARGS)

# pgbench write load on a default pgha lab: any leader change is a false failover.
bench-false-failover: all
	@$(LAB_LOCK) bash bench/false_failover.sh $(BENCH_ARGS)

deb:
	@bash scripts/build-deb.sh

check-deploy: all
	@bash scripts/check-deploy.sh

# Translations (*.pt-BR.md) keep their English original's headings, commands and links.
check-docs:
	@python3 scripts/check-docs.py --self-test

format:
	clang-format -i $(SRCS) src/main.c $(wildcard src/*/*.h) $(UNIT_SRCS) $(wildcard tests/unit/*.h) \
		tests/unit/fake_pg.c $(FUZZ_SRCS) tests/fuzz/fuzz.h $(ITEST_SRCS)

format-check:
	@clang-format --dry-run -Werror $(SRCS) src/main.c $(wildcard src/*/*.h) $(UNIT_SRCS) \
		$(wildcard tests/unit/*.h) tests/unit/fake_pg.c $(FUZZ_SRCS) tests/fuzz/fuzz.h \
		$(ITEST_SRCS) && \
		echo "format: ok"

# The decision core stays pure (and the shell scripts shellcheck-clean): it includes only its own types, util/ and libc's string
# and formatting headers, and calls nothing that does I/O, reads a clock or allocates. Every
# module includes only the modules below it (scripts/check-layers.sh, docs/architecture.md).
PURE := src/ha/ha_decide.c src/ha/ha_handover.c src/ha/ha_decide.h src/ha/ha_types.h \
	src/ha/ha_failsafe.c src/ha/ha_failsafe.h
lint:
	@! grep -nE '#include [<"](libpq|curl|jansson|yaml|microhttpd|log/|dcs/dcs\.h|pg/pg\.h|api/|config/|pthread|time\.h|unistd)' $(PURE) \
		|| (echo "lint: ha_decide must stay pure (includes)" && false)
	@! grep -nE '\b(printf|fprintf|puts|fopen|open|read|write|malloc|calloc|free|getenv|clock_gettime|time|rand)\(' $(PURE) \
		|| (echo "lint: ha_decide must stay pure (calls)" && false)
	@sh scripts/check-layers.sh
	@! grep -nE "trap '[^']*;[^']*lab_cleanup' EXIT" tests/integration/t/*.sh \
		| grep -vF '(exit $$rc); lab_cleanup' \
		|| (echo "lint: lab_cleanup exits with \$$?: a trap running commands before it must keep the test's status (rc=\$$?; ...; (exit \$$rc); lab_cleanup)" && false)
	@command -v shellcheck >/dev/null || (echo "lint: shellcheck is not installed (make deps)" && false)
	@shellcheck bench/*.sh tests/integration/lib.sh scripts/check-layers.sh tests/tsan-chaos.sh \
		tests/fuzz/run.sh
	@echo "lint: ok"

clean:
	rm -rf build build-asan build-tsan $(FUZZ_BUILD) $(BIN)

-include $(OBJS:.o=.d) $(MAIN_OBJ:.o=.d)
-include $(BUILD)/tests/fake_pg.d
