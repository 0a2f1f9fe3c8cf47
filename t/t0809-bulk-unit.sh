#!/bin/sh
test_description='a bulk pack, library level (t/unit/test-bulk.c), checked by git'
. ./test-lib.sh

git init -q repo || exit 1
test_unit_program test-bulk "$TRASH_DIRECTORY/repo"

# stored <size>: what a tree of size bytes takes in a pack when stored:
# its type-and-size header, the zlib header, 5 bytes a block of at most
# 65535 bytes (one block when empty), the data and the checksum
stored() {
	awk -v s="$1" 'BEGIN {
		h = 1; for (n = int(s / 16); n > 0; n = int(n / 128)) h++
		b = int(s / 65535) + 1
		print h + 2 + 5 * b + s + 4
	}'
}

test_expect_success 'git reads the pack whole, its index right' '
	ls repo/.git/objects/pack/*.idx >idx && test_line_count = 1 idx &&
	git verify-pack -v "$(cat idx)" >objects &&
	grep " tree " objects >trees && test_line_count = 5 trees &&
	test "$(grep -c " blob " objects)" = 1
'

test_expect_success 'every tree is stored whole, in as many blocks as its size needs' '
	while read id type size in_pack offset; do
		test "$in_pack" = "$(stored $size)" || {
			echo "$id: $size bytes take $in_pack in the pack, stored would be $(stored $size)"
			return 1
		}
	done <trees &&
	grep " 200000 " trees
'

test_expect_success 'git fsck finds nothing wrong and the largest tree lists back' '
	{ git -C repo fsck --no-dangling --no-progress 2>&1 | grep -v "^notice" >fsck-out || :; } &&
	test_must_be_empty fsck-out &&
	big=$(awk "\$3 == 200000 { print \$1 }" trees) &&
	git -C repo ls-tree $big >listed && test_line_count = 5000 listed &&
	test "$(sed -n 5000p listed | cut -f2)" = entry-004999
'

test_done
