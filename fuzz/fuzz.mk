# Builds the libFuzzer targets and the seed generator; run by scripts/fuzz.sh,
# which passes:
#   ROOT           the repository
#   OUT            the build directory (build/fuzz)
#   BEARSSL        the BearSSL 0.6 source tree (inc/, src/)
#   BEARSSL_FILES  the BearSSL files under src/ that cmake/BearSSL.cmake lists
# Incremental: objects track their headers through -MMD depfiles.

CC  := clang-14
CXX := clang++-14

SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
       -fno-omit-frame-pointer
COV := -fsanitize=fuzzer-no-link

# BR_LE_UNALIGNED=0: BearSSL's byte-wise loads and stores natively. On x86
# BearSSL otherwise reads words at any address through a union (inner.h
# br_dec32le & co.), which UBSan's alignment check reports on the first record
# (Poly1305 over the ciphertext at offset 54). The WASM build defines
# BR_LE_UNALIGNED=1 (cmake/BearSSL.cmake): it uses word loads there, where
# unaligned access is defined.
BEARSSL_CFLAGS := -std=c99 -O2 -g -w $(COV) $(SAN) \
                  -DBR_LE_UNALIGNED=0 -DBR_BE_UNALIGNED=0 \
                  -I$(BEARSSL)/inc -I$(BEARSSL)/src
CORE_CXXFLAGS  := -std=c++20 -O2 -g -Wall -Wextra $(COV) $(SAN) \
                  -I$(ROOT)/src -isystem $(BEARSSL)/inc
FUZZ_CXXFLAGS  := $(CORE_CXXFLAGS) -Werror -I$(ROOT)/fuzz

TARGETS := fuzz_record_open fuzz_keyring_import fuzz_blind_index fuzz_hkdf_hmac \
           fuzz_stream_open fuzz_aes_ct fuzz_chacha20 fuzz_sha256_hmac

CORE_SRCS    := $(sort $(wildcard $(ROOT)/src/*.cc))
CORE_OBJS    := $(patsubst $(ROOT)/src/%.cc,$(OUT)/obj/core/%.o,$(CORE_SRCS))
BEARSSL_OBJS := $(patsubst %.c,$(OUT)/obj/bearssl/%.o,$(BEARSSL_FILES))
LIB_OBJS     := $(CORE_OBJS) $(BEARSSL_OBJS)
FUZZ_OBJS    := $(patsubst %,$(OUT)/obj/fuzz/%.o,$(TARGETS) make_seeds)

.PHONY: all
all: $(addprefix $(OUT)/,$(TARGETS)) $(OUT)/make_seeds

$(OUT)/obj/bearssl/%.o: $(BEARSSL)/src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BEARSSL_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/obj/core/%.o: $(ROOT)/src/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CORE_CXXFLAGS) -MMD -MP -c $< -o $@

$(OUT)/obj/fuzz/%.o: $(ROOT)/fuzz/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(FUZZ_CXXFLAGS) -MMD -MP -c $< -o $@

# libFuzzer's main drives the targets.
$(addprefix $(OUT)/,$(TARGETS)): $(OUT)/%: $(OUT)/obj/fuzz/%.o $(LIB_OBJS)
	$(CXX) -fsanitize=fuzzer $(SAN) $^ -o $@

# The seed generator has its own main (the sanitizer runtime provides the
# coverage callbacks the instrumented objects call).
$(OUT)/make_seeds: $(OUT)/obj/fuzz/make_seeds.o $(LIB_OBJS)
	$(CXX) $(COV) $(SAN) $^ -o $@

-include $(LIB_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
