# chokepoint — plain Makefile, out-of-tree build in build/.
#   make            build everything (optimised for this machine)
#   make PORTABLE=1 build for any x86-64-v2 machine instead of -march=native
#   make test       build, then run every test (unit + integration)
#   make run        the demo (see README)
#   make bench      the lookup benchmark at a small scale
#   make DEBUG=1    -O0, assertions, no LTO
#   make install    binaries, systemd unit, logrotate and default config
#                   (PREFIX=/usr/local, SYSCONFDIR=/etc, DESTDIR for packages)

# Install missing Debian packages before pkg-config is asked for flags.
DEPS_OK := $(shell scripts/install-deps --check >/dev/null 2>&1 && echo yes)
ifneq ($(DEPS_OK),yes)
$(info install-deps: some packages are missing; installing them)
DEPS_RC := $(shell scripts/install-deps >&2; echo $$?)
ifneq ($(DEPS_RC),0)
$(error scripts/install-deps failed)
endif
endif

B        := build
CC       ?= gcc
ifeq ($(PORTABLE),1)
ARCH     := -march=x86-64-v2 -mtune=generic
else
ARCH     := -march=native
endif
ifeq ($(DEBUG),1)
OPT      := -O0 -g3
else
OPT      := -O2 -g -DNDEBUG
endif

PKGS_CP  := libxxhash libidn2 nettle yajl jansson libhs
CFLAGS_W := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   := -std=gnu11 $(OPT) $(ARCH) $(CFLAGS_W) -MMD -MP -D_GNU_SOURCE \
            -Iengine -Iloaders $(shell pkg-config --cflags $(PKGS_CP))
LIBS_CP  := $(shell pkg-config --libs $(PKGS_CP)) -lcsv -lm
LIBS_JE  := $(shell pkg-config --libs jemalloc)
# DPDK's flags carry -march=corei7; ours come after it and win.
DPDK_CF  := $(shell pkg-config --cflags libdpdk)
DPDK_LD  := $(shell pkg-config --libs libdpdk)
CRIT_LD  := $(shell pkg-config --libs criterion)

ENGINE_SRC  := $(wildcard engine/common/*.c engine/indicator/*.c engine/store/*.c \
                         engine/snapshot/*.c engine/parse/*.c engine/inspect/*.c \
                         engine/pattern/*.c) \
               $(filter-out engine/ctl/ctl_main.c,$(wildcard engine/ctl/*.c))
LOADER_SRC  := $(filter-out loaders/intel_main.c,$(wildcard loaders/*.c))
BENCH_SRC   := $(wildcard bench/*.c)
APP_SRC     := $(wildcard engine/app/*.c)
TEST_SRC    := $(wildcard tests/unit/test_*.c)
FUZZ_SRC    := $(filter-out tests/fuzz/fuzz_feed.c,$(wildcard tests/fuzz/fuzz_*.c))
# One feed fuzzer per format, all from tests/fuzz/fuzz_feed.c.
FEED_FORMATS := plain csv zeek suricata iprep stix misp warninglist pattern
# What the fuzz targets link, built apart with the sanitizers into one
# archive, so each target pulls in only what it calls.
FUZZ_LIB_SRC := $(wildcard engine/common/*.c engine/indicator/*.c engine/parse/*.c \
                           engine/store/*.c engine/snapshot/*.c engine/pattern/*.c \
                           engine/inspect/*.c) \
                engine/ctl/proto.c \
                $(LOADER_SRC)
FUZZ_CC     := clang -std=gnu11 -O1 -g $(ARCH) -fsanitize=fuzzer-no-link,address,undefined \
               -fno-sanitize-recover=all $(CFLAGS_W) -D_GNU_SOURCE -Iengine -Iloaders \
               $(shell pkg-config --cflags $(PKGS_CP))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
LIBCP   := $(B)/libchokepoint.a
BINS    := $(B)/chokepoint $(B)/chokepoint-intel $(B)/chokepoint-ctl $(B)/chokepoint-bench \
           $(B)/tools/mkpcap
TESTS   := $(patsubst tests/unit/%.c,$(B)/tests/%,$(TEST_SRC))
FUZZERS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC)) \
           $(patsubst %,$(B)/fuzz/fuzz_feed_%,$(FEED_FORMATS))
LIBFUZZ := $(B)/fuzz/libcp-fuzz.a

.PHONY: all test unit integration run bench clean fuzz install uninstall FORCE
# The test objects are reached only through the pattern rule of their
# binaries, so make would delete them as intermediate. Naming them, not
# all targets: a bare .SECONDARY: makes every object secondary, and a
# missing secondary is not remade while its archive is newer than its
# source (a file added to a source list never reached libcp-fuzz.a).
.SECONDARY: $(patsubst tests/unit/%.c,$(B)/obj/tests/unit/%.o,$(TEST_SRC))
all: $(B)/.cflags $(BINS)

# Objects depend on the flags they were built with, so that PORTABLE=1,
# DEBUG=1 or a change to FUZZ_CC rebuilds them: make alone compares times
# only, and kept objects built for another -march (the fuzz library kept
# its baseline x86-64 objects when FUZZ_CC gained $(ARCH)). Each stamp is
# rewritten only when its flags change.
CF_SIG    = $(CC) $(DPDK_CF) $(CFLAGS) $(ASAN_CF)
FUZZ_SIG  = $(FUZZ_CC)
$(B)/.cflags: FORCE
	@mkdir -p $(B)
	@echo '$(CF_SIG)' | cmp -s - $@ || echo '$(CF_SIG)' > $@
$(B)/.fuzzflags: FORCE
	@mkdir -p $(B)
	@echo '$(FUZZ_SIG)' | cmp -s - $@ || echo '$(FUZZ_SIG)' > $@
FORCE:

$(B)/obj/bench/%.o: bench/%.c $(B)/.cflags
	@mkdir -p $(dir $@)
	$(CC) $(DPDK_CF) $(CFLAGS) -c $< -o $@

$(B)/obj/engine/app/%.o: engine/app/%.c $(B)/.cflags
	@mkdir -p $(dir $@)
	$(CC) $(DPDK_CF) $(CFLAGS) -c $< -o $@

$(B)/chokepoint: $(call obj,$(APP_SRC)) $(LIBCP)
	$(CC) $(CFLAGS) $^ -o $@ $(DPDK_LD) $(LIBS_CP) $(LIBS_JE)

$(B)/obj/%.o: %.c $(B)/.cflags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBCP): $(call obj,$(ENGINE_SRC) $(LOADER_SRC))
	@rm -f $@
	ar rcs $@ $^

$(B)/chokepoint-intel: $(call obj,loaders/intel_main.c) $(LIBCP)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS_CP) $(LIBS_JE)

$(B)/chokepoint-ctl: $(call obj,engine/ctl/ctl_main.c) $(LIBCP)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS_CP)

$(B)/chokepoint-bench: $(call obj,$(BENCH_SRC) engine/app/worker.c engine/app/intel.c engine/app/pool.c) $(LIBCP)
	$(CC) $(CFLAGS) $^ -o $@ $(DPDK_LD) -lrte_net_ring $(LIBS_CP) $(LIBS_JE)

# The engine under AddressSanitizer: tests/integration/engine_ctl.sh runs its
# reload test against it too (without jemalloc, so ASan sees every malloc).
ASAN_CF := -fsanitize=address -fno-omit-frame-pointer
ASAN_SRC := $(APP_SRC) $(ENGINE_SRC) $(LOADER_SRC)
$(B)/asan/obj/%.o: %.c $(B)/.cflags
	@mkdir -p $(dir $@)
	$(CC) $(DPDK_CF) $(CFLAGS) $(ASAN_CF) -c $< -o $@

$(B)/asan/chokepoint: $(patsubst %.c,$(B)/asan/obj/%.o,$(ASAN_SRC))
	$(CC) $(CFLAGS) $(ASAN_CF) $^ -o $@ $(DPDK_LD) $(LIBS_CP)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LIBCP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(CRIT_LD) $(LIBS_CP)

$(B)/tools/mkpcap: tests/tools/mkpcap.c tests/unit/frames.h $(LIBCP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(LIBCP) -o $@ -lpcap $(LIBS_CP)

# libFuzzer targets: clang, with AddressSanitizer and UBSan.
$(B)/fuzzobj/%.o: %.c $(B)/.fuzzflags
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -MMD -MP -c $< -o $@

$(LIBFUZZ): $(patsubst %.c,$(B)/fuzzobj/%.o,$(FUZZ_LIB_SRC))
	@mkdir -p $(dir $@)
	ar rcs $@ $^

$(B)/fuzz/fuzz_feed_%: tests/fuzz/fuzz_feed.c $(LIBFUZZ) $(B)/.fuzzflags
	$(FUZZ_CC) -fsanitize=fuzzer -DFEED_FORMAT='"$*"' $< $(LIBFUZZ) -o $@ $(LIBS_CP)

$(B)/fuzz/%: tests/fuzz/%.c $(LIBFUZZ) $(B)/.fuzzflags
	$(FUZZ_CC) -fsanitize=fuzzer $< $(LIBFUZZ) -o $@ $(LIBS_CP)

# make fuzz FUZZ_SECONDS=N: every target for N seconds (default 300).
fuzz: $(B)/.fuzzflags $(FUZZERS)
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} BUILD=$(B) bash tests/integration/fuzz.sh

test: all $(B)/.fuzzflags $(TESTS) $(FUZZERS) $(B)/asan/chokepoint
	@scripts/run-tests $(B) $(TESTS)

unit: $(TESTS)
	@for t in $(TESTS); do $$t --jobs 2 || exit 1; done

run: all
	@scripts/demo $(B)

# A quick look at the two main figures at 1 M (about a minute here); the
# README's Performance section has the 100 M commands.
bench: all
	$(B)/chokepoint-bench lookup --count 1000000
	$(B)/chokepoint-bench pipeline --count 1000000 --packets 3000000

# make install: scripts/install, with PREFIX, BINDIR, SYSCONFDIR, UNITDIR,
# DOCDIR and DESTDIR from make's command line or the environment.
install: all
	PREFIX="$(PREFIX)" BINDIR="$(BINDIR)" SYSCONFDIR="$(SYSCONFDIR)" UNITDIR="$(UNITDIR)" \
	  DOCDIR="$(DOCDIR)" DESTDIR="$(DESTDIR)" scripts/install $(B)

uninstall:
	PREFIX="$(PREFIX)" BINDIR="$(BINDIR)" SYSCONFDIR="$(SYSCONFDIR)" UNITDIR="$(UNITDIR)" \
	  DOCDIR="$(DOCDIR)" DESTDIR="$(DESTDIR)" scripts/install --uninstall $(B)

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj $(B)/fuzzobj $(B)/asan -name '*.d' 2>/dev/null)
