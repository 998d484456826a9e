#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The library exports exactly the symbols of its version script, all versioned.
set -eu
lib=$1
map=$2
want=$(sed -n 's/^[[:space:]]*\(vfr_[a-z0-9_]*\);.*/\1/p' "$map" | sort)
have=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "B" { print $3 }' |
	grep -v '^VFIORESET_' | sed 's/@.*//' | sort)
unversioned=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | grep -v '@' || true)
if [ "$want" != "$have" ]; then
	echo "exported symbols differ from $map:"
	diff -u /dev/fd/3 /dev/fd/4 3<<EOF3 4<<EOF4 || true
$want
EOF3
$have
EOF4
	exit 1
fi
if [ -n "$unversioned" ]; then
	echo "unversioned exports: $unversioned"
	exit 1
fi
echo "$(printf '%s\n' "$want" | wc -l) symbols exported, all versioned"
