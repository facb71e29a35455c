# Artistry Cart — build.
#
#   make            build build/artistry (release flavour: -O2, -Werror)
#   make run        install what is missing, build, migrate, seed the demo catalog, serve on :8080
#   make test       install what is missing, run the whole test suite (unit, API on SQLite and
#                   PostgreSQL, ASan+UBSan, fuzz smoke run)
#   make asan       build build-asan/artistry with AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      run the benchmarks in bench/
#   make fuzz       build the libFuzzer targets (clang)
#   make clean
#
# Flavours: BUILD=release (default, build/) or BUILD=asan (build-asan/).

BUILD ?= release
PKGS := libmicrohttpd jansson sqlite3 libpq libsodium libjwt libcurl openssl vips hiredis

CC ?= cc
WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow -Wcast-qual \
        -Wpointer-arith -Wformat=2 -Wno-format-nonliteral -fno-common \
        -Wno-missing-field-initializers
BASEFLAGS := -std=c11 -D_GNU_SOURCE -Isrc -Ibuild-gen -g $(WARN) -MMD -MP \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay -lpthread -lm # wslay ships no .pc file

ifeq ($(BUILD),fuzz)
  CC := clang
  OUT := build-fuzz
  CFLAGS_MODE := -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
  LDFLAGS_MODE := -fsanitize=address,undefined
else ifeq ($(BUILD),asan)
  OUT := build-asan
  CFLAGS_MODE := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDFLAGS_MODE := -fsanitize=address,undefined
else
  OUT := build
  CFLAGS_MODE := -O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2
  LDFLAGS_MODE :=
endif

CFLAGS += $(BASEFLAGS) $(CFLAGS_MODE)
LDFLAGS += $(LDFLAGS_MODE)

SRC := $(shell find src -name '*.c' ! -name main.c | sort)
OBJ := $(SRC:%.c=$(OUT)/%.o) $(OUT)/gen/migrations_gen.o
MAIN_OBJ := $(OUT)/src/main.o
MIGRATIONS := $(sort $(wildcard migrations/*.sql))

UNIT_SRC := $(shell find tests/unit -name '*.c' 2>/dev/null | sort)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(OUT)/tests/unit/%)
API_SRC := $(filter-out tests/api/api_client.c,$(wildcard tests/api/*.c))
API_BIN := $(OUT)/tests/api/api_tests

.PHONY: all run test asan bench fuzz fuzz-targets openapi check-openapi clean deps unit-tests api-tests check-headers format

all: $(OUT)/artistry

$(OUT)/artistry: $(MAIN_OBJ) $(OUT)/libartistry.a
	@echo "  LD  $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/libartistry.a: $(OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

# Migrations are compiled into the binary so a deployed binary carries its schema.
$(OUT)/gen/migrations_gen.c: $(MIGRATIONS) scripts/embed-migrations.sh
	@mkdir -p $(dir $@)
	@sh scripts/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(OUT)/gen/%.o: $(OUT)/gen/%.c
	@$(CC) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

# Unit tests: one Criterion binary per file; a test may #include the .c under test.
$(OUT)/tests/unit/%: tests/unit/%.c $(OUT)/libartistry.a
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) -Itests -o $@ $< $(OUT)/libartistry.a $(LDFLAGS) $(LDLIBS) -lcriterion

$(API_BIN): $(API_SRC) tests/api/api_client.c tests/api/api_client.h $(OUT)/libartistry.a
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) -Itests -o $@ $(API_SRC) tests/api/api_client.c $(OUT)/libartistry.a $(LDFLAGS) $(LDLIBS) -lcriterion

unit-tests: $(UNIT_BIN)
api-tests: $(API_BIN) $(OUT)/artistry

deps:
	@scripts/install-deps.sh run

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p data
	./build/artistry migrate
	./build/artistry seed --demo
	./build/artistry serve

test:
	@scripts/install-deps.sh test
	@scripts/test.sh

asan:
	@$(MAKE) --no-print-directory BUILD=asan all unit-tests api-tests

bench:
	@scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory all
	@bench/run.sh

# libFuzzer targets (clang): build-fuzz/fuzz_<name> from tests/fuzz/fuzz_<name>.c.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)

fuzz:
	@$(MAKE) --no-print-directory BUILD=fuzz fuzz-targets

fuzz-targets: $(FUZZ_BIN)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(OUT)/libartistry.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(OUT)/libartistry.a $(LDFLAGS) $(LDLIBS)

# docs/openapi.json is generated from the route tables; CI fails if it is stale.
openapi: $(OUT)/artistry
	$(OUT)/artistry openapi > docs/openapi.json

check-openapi: $(OUT)/artistry
	@$(OUT)/artistry openapi | diff -u docs/openapi.json - >/dev/null || \
	  { echo "docs/openapi.json is stale: run 'make openapi'"; exit 1; }

check-headers:
	@for h in $$(find src -name '*.h'); do \
	  echo "#include \"$${h#src/}\"" | $(CC) $(BASEFLAGS) -fsyntax-only -x c - || exit 1; done

format:
	clang-format -i $$(find src tests bench -name '*.[ch]')

clean:
	rm -rf build build-asan build-fuzz build-gen

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
