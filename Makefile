# pgha: one non-recursive Makefile.
#
#   make            build ./pgha (objects under build/)
#   make up         install what is missing, build, start a local cluster in ./pgha-lab
#   make check      every test: format, lint, unit (plain and ASan/UBSan), deploy and docs
#                   checks, integration
#   make unit       cmocka unit tests only
#   make asan       unit tests under AddressSanitizer + UBSan
#   make valgrind   unit tests under valgrind
#   make format     clang-format the tree; make format-check verifies it
#   make bench-*    benchmarks (docs/bench.md); BENCH_ARGS passes options to the script
#
# Dependencies come from Debian packages through pkg-config; `make deps` installs them.

PKGS      := libpq libcurl jansson yaml-0.1 libmicrohttpd libsystemd
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
# Integration tests: C programs (cmocka) against real etcd/PostgreSQL, plus shell scenarios.
ITEST_SRCS := $(sort $(wildcard tests/integration/test_*.c))
ITEST_BINS := $(ITEST_SRCS:tests/integration/%.c=$(BUILD)/itests/%)

.PHONY: all deps up down check unit integration asan valgrind format format-check lint clean \
	bench-failover bench-router bench-idle bench-patroni bench-false-failover deb check-deploy \
	check-docs

all: $(BIN)

$(BIN): $(MAIN_OBJ) $(OBJS)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(LIB): $(OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(CMOCKA) $(LIBS) $(LDFLAGS)

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
	clang-format -i $(SRCS) src/main.c $(wildcard src/*/*.h) $(UNIT_SRCS) $(wildcard tests/unit/*.h)

format-check:
	@clang-format --dry-run -Werror $(SRCS) src/main.c $(wildcard src/*/*.h) $(UNIT_SRCS) \
		$(wildcard tests/unit/*.h) && echo "format: ok"

# The decision core stays pure (and the shell scripts shellcheck-clean): it includes only its own types, util/ and libc's string
# and formatting headers, and calls nothing that does I/O, reads a clock or allocates. Every
# module includes only the modules below it (scripts/check-layers.sh, docs/architecture.md).
PURE := src/ha/ha_decide.c src/ha/ha_decide.h src/ha/ha_types.h
lint:
	@! grep -nE '#include [<"](libpq|curl|jansson|yaml|microhttpd|log/|dcs/dcs\.h|pg/pg\.h|api/|config/|pthread|time\.h|unistd)' $(PURE) \
		|| (echo "lint: ha_decide must stay pure (includes)" && false)
	@! grep -nE '\b(printf|fprintf|puts|fopen|open|read|write|malloc|calloc|free|getenv|clock_gettime|time|rand)\(' $(PURE) \
		|| (echo "lint: ha_decide must stay pure (calls)" && false)
	@sh scripts/check-layers.sh
	@command -v shellcheck >/dev/null || (echo "lint: shellcheck is not installed (make deps)" && false)
	@shellcheck bench/*.sh tests/integration/lib.sh scripts/check-layers.sh
	@echo "lint: ok"

clean:
	rm -rf build build-asan $(BIN)

-include $(OBJS:.o=.d) $(MAIN_OBJ:.o=.d)
