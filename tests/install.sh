#!/bin/sh
# install.sh - install into a DESTDIR and build a scheduler against it the
# way a downstream user would: pkg-config, the installed header and library.
# The program is the example of docs/library.md.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
CC=${CC:-cc}
MAKE=${MAKE:-make}
EWC_VALGRIND= # not this test: see tests/lib.sh
test_name=install; . "$top_srcdir/tests/lib.sh"

(cd "$top_builddir" && $MAKE install DESTDIR="$T/root" > "$T/install.log" 2>&1) ||
	{ cat "$T/install.log"; echo "0 passed, 1 failed"; exit 1; }
pcfile=$(find "$T/root" -name libewc.pc | head -1)
[ -n "$pcfile" ] && ok "libewc.pc installed" || no "libewc.pc installed"
PKG_CONFIG_PATH=$(dirname "$pcfile")
PKG_CONFIG_SYSROOT_DIR="$T/root"
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
# the paths as installed, without the DESTDIR (pkgconf would add it)
libdir=$(PKG_CONFIG_SYSROOT_DIR= pkg-config --variable=libdir libewc)
regionsdir=$(PKG_CONFIG_SYSROOT_DIR= pkg-config --variable=regionsdir libewc)
for f in "$libdir/libewc.so" "$libdir/libewc.a" "$regionsdir/hubs.xml" "$regionsdir/gpus.xml"; do
	[ -f "$T/root$f" ] && ok "installed $f" || no "installed $f"
done
[ -n "$(find "$T/root" -path '*include/ewc.h')" ] && ok "installed ewc.h" || no "installed ewc.h"
[ -n "$(find "$T/root" -name ewc.1)" ] && [ -n "$(find "$T/root" -name libewc.3)" ] &&
	ok "installed ewc(1) and libewc(3)" || no "installed man pages"

# only ewc_* symbols are exported
if nm -D --defined-only "$T/root$libdir/libewc.so" > "$T/syms" 2>&1 && [ -s "$T/syms" ]; then
	grep -q ' T ewc_place_one$' "$T/syms" && ok "ewc_place_one exported" || no "ewc_place_one exported"
	extra=$(awk '$2 ~ /^[TDBR]$/ && $3 !~ /^ewc_[^_]/ { print $3 }' "$T/syms")
	[ -z "$extra" ] && ok "only ewc_* exported" || no "exported beyond ewc_*: $extra"
else
	cat "$T/syms"; no "nm read the installed libewc.so"
fi

# the example of docs/library.md, built as a downstream user would
sed -n '/^## A complete example/,/^## Building/p' "$top_srcdir/docs/library.md" |
	sed -n '/^```c$/,/^```$/p' | sed '1d;$d' > "$T/sched.c"
# (a sanitizer build's library needs its runtime linked in: EWC_LDFLAGS)
if $CC -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags libewc) "$T/sched.c" \
	$(pkg-config --libs libewc) ${EWC_LDFLAGS:-} -o "$T/sched" 2> "$T/cc.log"; then
	ok "example builds with pkg-config"
else
	cat "$T/cc.log"; no "example builds with pkg-config"
fi
if LD_LIBRARY_PATH="$T/root$libdir" "$T/sched" "$T/root$regionsdir" > "$T/out" 2>&1; then
	ok "example runs"
else
	cat "$T/out"; no "example runs"
fi
cat "$T/out"
grep -q '^finetune-42: .* (west) ' "$T/out" && ok "the fine-tune goes west" || no "the fine-tune goes west"
grep -q '^chat: .* (east) ' "$T/out" && ok "5 ms inference stays east" || no "5 ms inference stays east"
grep -q '^committed: 2 reservations$' "$T/out" && ok "commit reserved both" || no "commit reserved both"

# the installed command finds the installed regions
bindir=$(dirname "$(find "$T/root" -path '*bin/ewc' | head -1)")
LD_LIBRARY_PATH="$T/root$libdir" "$bindir/ewc" regions validate "$T/root$regionsdir" > "$T/v" 2>&1 &&
	ok "installed ewc validates the installed regions" || { cat "$T/v"; no "installed ewc validates"; }

comp=$(find "$T/root" -path '*share/bash-completion/completions/ewc' | head -1)
[ -n "$comp" ] && bash -n "$comp" && ok "make install puts the bash completion in place" ||
	no "no bash completion installed"

tally
