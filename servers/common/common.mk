# Build rules shared by every server: include it after setting NAME (binary name) and SRCS (the server's own
# .c/.cc files); optional: LDLIBS_EXTRA, SANITIZERS (sanitizer builds made by test-builds; default asan).
# Writes bin/NAME, bin/asan/NAME (ASan+UBSan) and bin/tsan/NAME (ThreadSanitizer) when asked for.
COMMON_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
SERVERS_DIR := $(abspath $(COMMON_DIR)/..)
BIN_DIR := $(SERVERS_DIR)/bin
OBJ_ROOT := $(BIN_DIR)/obj/$(NAME)

CC := cc
CXX := c++
WARNINGS := -Wall -Wextra -Werror
CFLAGS := -O2 -g -std=gnu11 $(WARNINGS) -I$(COMMON_DIR) -MMD -MP
CXXFLAGS := -O2 -g -std=gnu++17 $(WARNINGS) -I$(COMMON_DIR) -MMD -MP
# Every .c of common/ (its tests and fuzz target are in subfolders).
COMMON_SRCS := $(wildcard $(COMMON_DIR)/*.c)
COMMON_LDLIBS := -lhttp_parser
SANITIZERS ?= asan
.DEFAULT_GOAL := all

# Per-variant extra flags (added after CFLAGS/CXXFLAGS, so -O1 wins) and output paths.
FLAGS_release :=
FLAGS_asan := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FLAGS_tsan := -O1 -fsanitize=thread
OUT_release := $(BIN_DIR)/$(NAME)
OUT_asan := $(BIN_DIR)/asan/$(NAME)
OUT_tsan := $(BIN_DIR)/tsan/$(NAME)

ALL_SRCS := $(abspath $(SRCS)) $(COMMON_SRCS)
LINKER := $(if $(filter %.cc,$(SRCS)),$(CXX),$(CC))
obj_of = $(OBJ_ROOT)/$(1)/$(subst /,_,$(patsubst $(SERVERS_DIR)/%,%,$(basename $(2)))).o
objs_of = $(foreach s,$(ALL_SRCS),$(call obj_of,$(1),$(s)))

define compile_rule
$(call obj_of,$(1),$(2)): $(2)
	@mkdir -p $$(dir $$@)
	$(if $(filter %.cc,$(2)),$$(CXX) $$(CXXFLAGS),$$(CC) $$(CFLAGS)) $$(FLAGS_$(1)) -c -o $$@ $$<
endef

define variant_rules
$(foreach s,$(ALL_SRCS),$(eval $(call compile_rule,$(1),$(s))))
$(OUT_$(1)): $(call objs_of,$(1))
	@mkdir -p $$(dir $$@)
	$$(LINKER) $$(FLAGS_$(1)) -o $$@ $$^ $$(COMMON_LDLIBS) $$(LDLIBS_EXTRA)
-include $(patsubst %.o,%.d,$(call objs_of,$(1)))
endef

$(foreach v,release asan tsan,$(eval $(call variant_rules,$(v))))

.PHONY: all test-builds clean
all: $(OUT_release)
test-builds: $(foreach v,$(SANITIZERS),$(OUT_$(v)))
clean:
	rm -rf $(OBJ_ROOT) $(OUT_release) $(OUT_asan) $(OUT_tsan)
