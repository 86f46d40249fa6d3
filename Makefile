# chokepoint — plain Makefile, out-of-tree build in build/.
#   make            build everything (optimised for this machine)
#   make PORTABLE=1 build for any x86-64-v2 machine instead of -march=native
#   make test       build, then run every test (unit + integration)
#   make run        the demo (see README)
#   make bench      the lookup benchmark at a small scale
#   make DEBUG=1    -O0, assertions, no LTO

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

PKGS_CP  := libxxhash libidn2
CFLAGS_W := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   := -std=gnu11 $(OPT) $(ARCH) $(CFLAGS_W) -MMD -MP -D_GNU_SOURCE \
            -Iengine -Iloaders $(shell pkg-config --cflags $(PKGS_CP))
LIBS_CP  := $(shell pkg-config --libs $(PKGS_CP)) -lcsv -lm
LIBS_JE  := $(shell pkg-config --libs jemalloc)
# DPDK's flags carry -march=corei7; ours come after it and win.
DPDK_CF  := $(shell pkg-config --cflags libdpdk)
DPDK_LD  := $(shell pkg-config --libs libdpdk)
CRIT_LD  := $(shell pkg-config --libs criterion)

ENGINE_SRC  := $(wildcard engine/common/*.c engine/indicator/*.c engine/store/*.c engine/snapshot/*.c)
LOADER_SRC  := $(filter-out loaders/intel_main.c,$(wildcard loaders/*.c))
BENCH_SRC   := $(wildcard bench/*.c)
TEST_SRC    := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
LIBCP   := $(B)/libchokepoint.a
BINS    := $(B)/chokepoint-intel $(B)/chokepoint-bench
TESTS   := $(patsubst tests/unit/%.c,$(B)/tests/%,$(TEST_SRC))

.PHONY: all test unit integration run bench clean
.SECONDARY:
all: $(BINS)

$(B)/obj/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(DPDK_CF) $(CFLAGS) -c $< -o $@

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBCP): $(call obj,$(ENGINE_SRC) $(LOADER_SRC))
	@rm -f $@
	ar rcs $@ $^

$(B)/chokepoint-intel: $(call obj,loaders/intel_main.c) $(LIBCP)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS_CP) $(LIBS_JE)

$(B)/chokepoint-bench: $(call obj,$(BENCH_SRC)) $(LIBCP)
	$(CC) $(CFLAGS) $^ -o $@ $(DPDK_LD) $(LIBS_CP) $(LIBS_JE)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LIBCP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(CRIT_LD) $(LIBS_CP)

test: all $(TESTS)
	@scripts/run-tests $(B) $(TESTS)

unit: $(TESTS)
	@for t in $(TESTS); do $$t --jobs 2 || exit 1; done

run: all
	@scripts/demo $(B)

bench: all
	$(B)/chokepoint-bench lookup --count 1000000

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
