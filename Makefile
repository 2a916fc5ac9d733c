# SPDX-License-Identifier: GPL-2.0-only
# memfail: plain GNU Make. `make` builds the two archives and build/memfail;
# `make check` runs every test; `make check SAN=1` does the same under ASan+UBSan;
# `make install PREFIX=DIR` installs the library, its header, the man page, the
# command and a pkg-config file.
#
# build/libmemfail.a    the model and its API (lib/ mm/ fs/ kernel/, memfail.h)
# build/libmfscenario.a the scenario language: parser, driver, trace (scenario/)
#                       and the model back end (backend/), which reaches the
#                       model only through memfail.h. It holds no model code:
#                       the real-kernel runner links it alone (conformance.mk).

CC      ?= cc
SAN     ?= 0
O       := build
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -MMD -MP
ifeq ($(SAN),1)
O       := build-san
CFLAGS  ?= -O1 -g -fno-omit-frame-pointer
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
CFLAGS  ?= -O2 -g
endif
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS)

LIB_SRC := $(sort $(wildcard lib/*.c mm/*.c fs/*.c kernel/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)
LANG_SRC := $(sort $(wildcard scenario/*.c backend/*.c))
LANG_OBJ := $(LANG_SRC:%.c=$(O)/%.o)
# Fleet campaigns (campaign/): SQLite results, cairo plots, MPI when Open MPI
# is installed (MPI=0 builds without it; the command then runs on one rank).
CAMP_SRC := $(sort $(wildcard campaign/*.c))
CAMP_OBJ := $(CAMP_SRC:%.c=$(O)/%.o)
CAMP_LIBS := -lsqlite3 $(shell pkg-config --libs cairo 2>/dev/null || echo -lcairo) -lm
MPI ?= $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)
ifeq ($(MPI),1)
$(O)/campaign/mpi.o: ALL_CFLAGS += -DHAVE_MPI $(shell pkg-config --cflags ompi-c)
CAMP_LIBS += $(shell pkg-config --libs ompi-c)
endif
$(O)/campaign/plot.o: ALL_CFLAGS += $(shell pkg-config --cflags cairo 2>/dev/null)
LIBS := $(O)/libmfcampaign.a $(O)/libmfscenario.a $(O)/libmemfail.a
CLI_SRC := $(sort $(wildcard cli/*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(O)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(O)/bench/%)
JSON_LIBS := -ljson-c

.PHONY: all check unit scenarios demo bench clean deps install conformance conformance-dax
all: $(LIBS) $(O)/memfail

# Debian packages the build needs; installed when missing (root) or named (others).
DEPS := libcmocka-dev libjson-c-dev pkg-config libsqlite3-dev libcairo2-dev libopenmpi-dev openmpi-bin
deps:
	@./tools/need-packages $(DEPS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/libmemfail.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(O)/libmfcampaign.a: $(CAMP_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(O)/libmfscenario.a: $(LANG_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(O)/memfail: $(CLI_OBJ) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(JSON_LIBS) $(CAMP_LIBS)

$(O)/tests/%: tests/unit/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) -lcmocka $(JSON_LIBS) $(CAMP_LIBS)

$(O)/bench/%: bench/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(JSON_LIBS) $(CAMP_LIBS)

# One closing line "N passed, N failed" over unit tests, scenarios and the
# API example built against an installed copy (tests/api-example.sh).
check: deps all $(UNIT_BIN)
	@O=$(O) MAKE="$(MAKE)" SAN=$(SAN) ./tests/run-all.sh $(UNIT_BIN) -- tests/api-example.sh \
		tests/campaigns/run.sh

# The library, the one public header, the man page, the command, memfail.pc.
PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/memfail \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(O)/libmemfail.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/memfail/memfail.h $(DESTDIR)$(PREFIX)/include/memfail/
	install -m 755 $(O)/memfail $(DESTDIR)$(PREFIX)/bin/
	install -m 644 docs/memfail.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	sed 's|@PREFIX@|$(PREFIX)|' tools/memfail.pc.in >$(DESTDIR)$(PREFIX)/lib/pkgconfig/memfail.pc

demo: deps all
	$(O)/memfail run examples/*.mf

bench: deps all $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@O=$(O) bench/campaign.sh

clean:
	rm -rf build build-san

-include conformance/conformance.mk
-include $(LIB_OBJ:.o=.d) $(LANG_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(CAMP_OBJ:.o=.d)
