# SPDX-License-Identifier: GPL-2.0-only
# memfail: plain GNU Make. `make` builds build/libmemfail.a and build/memfail;
# `make check` runs every test; `make check SAN=1` does the same under ASan+UBSan.

CC      ?= cc
SAN     ?= 0
O       := build
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Iinclude -MMD -MP
ifeq ($(SAN),1)
O       := build-san
CFLAGS  ?= -O1 -g -fno-omit-frame-pointer
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
CFLAGS  ?= -O2 -g
endif
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS)

LIB_SRC := $(sort $(wildcard lib/*.c mm/*.c fs/*.c kernel/*.c scenario/*.c backend/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)
CLI_SRC := $(sort $(wildcard cli/*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(O)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(O)/bench/%)
JSON_LIBS := -ljson-c

.PHONY: all check unit scenarios demo bench clean deps conformance conformance-dax
all: $(O)/libmemfail.a $(O)/memfail

# Debian packages the build needs; installed when missing (root) or named (others).
DEPS := libcmocka-dev libjson-c-dev
deps:
	@./tools/need-packages $(DEPS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/libmemfail.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(O)/memfail: $(CLI_OBJ) $(O)/libmemfail.a
	$(CC) $(LDFLAGS) -o $@ $^ $(JSON_LIBS)

$(O)/tests/%: tests/unit/%.c $(O)/libmemfail.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libmemfail.a -lcmocka $(JSON_LIBS)

$(O)/bench/%: bench/%.c $(O)/libmemfail.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libmemfail.a $(JSON_LIBS)

# One closing line "N passed, N failed" over unit tests and scenarios.
check: deps all $(UNIT_BIN)
	@O=$(O) ./tests/run-all.sh $(UNIT_BIN)

demo: deps all
	$(O)/memfail run examples/*.mf

bench: deps all $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@./bench/catalogue.sh $(O)/memfail

clean:
	rm -rf build build-san

-include conformance/conformance.mk
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
