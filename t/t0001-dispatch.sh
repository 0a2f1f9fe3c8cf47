#!/bin/sh
test_description='gt and git gt dispatch to gt-<cmd>'
. ./test-lib.sh

test_expect_success 'gt --version' '
	gt --version >out &&
	test_grep "^gt version [0-9]" out
'

test_expect_success 'gt help lists the commands' '
	gt help >out &&
	test_grep "^   create " out &&
	test_grep "^   ready " out &&
	{ gt >out 2>err; test $? = 129; } &&
	test_grep "usage: gt" err
'

test_expect_success 'gt help lists every command there is a program for' '
	gt help >out &&
	for f in "$SRC_DIR"/bin/gt-*.c; do
		c=${f##*/gt-} && c=${c%.c} &&
		test_grep "^   $c  *[a-z]" out || return 1
	done
'

test_expect_success 'gt <cmd> runs gt-<cmd> with its arguments and exit status' '
	git init -q repo &&
	(cd repo && gt create "dispatched" >../id) &&
	test_grep "^gt-" id &&
	(cd repo && test_expect_code 2 gt show gt-nothere 2>../err) &&
	test_grep "no such bead: gt-nothere" err
'

test_expect_success 'git gt <cmd> works through git-gt' '
	(cd repo && git gt show --json "$(cat ../id)" >../out) &&
	test_grep "\"title\":\"dispatched\"" out
'

test_expect_success 'gt help <cmd> without installed pages shows the source page' '
	MANPATH="$TRASH_DIRECTORY/none" gt help create >out &&
	test_grep "^= gt-create(1)" out &&
	test_expect_code 1 gt help nothing 2>err &&
	test_grep "no manual page for gt-nothing; try .gt nothing -h." err &&
	test_expect_code 129 gt help "../x" 2>err &&
	test_grep "is not a gt command" err
'

test_expect_success 'an unknown command is a usage error' '
	test_expect_code 129 gt frobnicate 2>err &&
	test_grep "'\''frobnicate'\'' is not a gt command" err
'

test_expect_success 'a command name with odd characters is refused' '
	test_expect_code 129 gt "../evil" 2>err &&
	test_grep "is not a gt command" err &&
	test_expect_code 129 gt "a b" 2>err &&
	test_grep "is not a gt command" err
'

test_expect_success 'gt-<cmd> in PATH is found after the exec path' '
	mkdir ext &&
	printf "#!/bin/sh\necho external \"\$@\"\n" >ext/gt-hello &&
	chmod +x ext/gt-hello &&
	PATH="$PWD/ext:$PATH" gt hello a b >out &&
	echo "external a b" >expect &&
	test_cmp expect out
'

test_expect_success '-h prints usage and exits 129 (as git does)' '
	test_expect_code 129 gt create -h >out &&
	test_grep "^usage: gt create" out
'

test_expect_success 'unknown options are usage errors' '
	test_expect_code 129 gt create --bogus x 2>err &&
	test_grep "unknown option .--bogus" err &&
	test_expect_code 129 gt create -Q x 2>err &&
	test_grep "unknown switch .Q" err
'

test_expect_success 'outside a repository: a clear error' '
	mkdir -p nowhere &&
	(cd nowhere && GIT_CEILING_DIRECTORIES="$TRASH_DIRECTORY" test_expect_code 2 gt create x 2>../err) &&
	test_grep "not a git repository" err
'

test_done
