#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds what a consumer would build, with nothing but pkg-config pointed at
# the uninstalled vfioreset.pc: the examples, and a program that calls every
# symbol of the version script (each must be declared in a public header).
set -eu
builddir=$1
srcdir=$2
mkfixture=$3
description=$4
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fixture=$tmp/root
"$mkfixture" "$description" "$fixture"
export PKG_CONFIG_PATH="$builddir/meson-uninstalled"
flags=$(pkg-config --cflags --libs vfioreset)
# A sanitizer build of the library needs its runtime in the consumer too.
if ldd "$builddir/lib/libvfioreset.so" | grep -q libasan; then
	flags="$flags -fsanitize=address,undefined"
fi

for src in "$srcdir"/examples/*.c; do
	$cc -std=c99 -Wall -Werror -o "$tmp/$(basename "$src" .c)" "$src" $flags
done

{
	echo '#include <vfioreset/vfioreset.h>'
	echo 'void *all_symbols[] = {'
	sed -n 's/^[[:space:]]*\(vfr_[a-z0-9_]*\);.*/\t(void *)\1,/p' "$srcdir/lib/libvfioreset.sym"
	echo '};'
	echo 'int main(void) { return all_symbols[0] == 0; }'
} > "$tmp/all-symbols.c"
$cc -std=c99 -Wall -Werror=implicit-function-declaration -o "$tmp/all-symbols" \
	"$tmp/all-symbols.c" $flags
"$tmp/all-symbols"

# The examples run against a generated host and find what it holds.
export LD_LIBRARY_PATH="$builddir/lib"
out=$("$tmp/list-vfio" "$fixture")
echo "$out"
echo "$out" | grep -q 'bound to a vfio driver' || { echo "list-vfio printed no summary"; exit 1; }
echo "$out" | grep -q '^0 of' && { echo "list-vfio found no vfio function in $fixture"; exit 1; }
tree=$("$tmp/topology" "$fixture")
echo "$tree"
echo "$tree" | grep -q '^  ' || { echo "topology printed no nesting"; exit 1; }
echo "consumer build and run ok"
