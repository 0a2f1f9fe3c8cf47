# gastown test library, in the manner of git's and sharness: TAP output,
# one trash directory per script, HOME inside it, fixed identities, TZ=UTC.
#
#   test_description='...'
#   . ./test-lib.sh
#   test_expect_success 'title' '
#       gt create "x" >out &&
#       test_line_count = 1 out
#   '
#   test_done

TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(cd "$TEST_DIRECTORY/.." && pwd)
SHARED_DIR=${GT_SHARED_DIR:-$(cd "$SRC_DIR/.." && pwd)/shared}
TESTDATA_DIR=$SHARED_DIR/testdata
test_name=$(basename "$0" .sh)
TRASH_DIRECTORY=$TEST_DIRECTORY/trash.$test_name

export LANG=C LC_ALL=C TZ=UTC
# GT_TEST_BIN / GT_TEST_UNIT point at another build (make sanitize)
GT_BIN_DIR=${GT_TEST_BIN:-$SRC_DIR/bin}
GT_UNIT_DIR=${GT_TEST_UNIT:-$SRC_DIR/t/unit}
export PATH="$GT_BIN_DIR:$PATH"
export GT_EXEC_PATH="$GT_BIN_DIR"
export GIT_AUTHOR_NAME='A U Thor' GIT_AUTHOR_EMAIL='author@example.com'
export GIT_COMMITTER_NAME='C O Mitter' GIT_COMMITTER_EMAIL='committer@example.com'
export GIT_CONFIG_NOSYSTEM=1
# the trash directories sit inside gastown's own repository: never find it
export GIT_CEILING_DIRECTORIES="$TEST_DIRECTORY"
export GT_ACTOR=tester
unset GIT_DIR GIT_WORK_TREE GIT_COMMON_DIR GT_PREFIX XDG_CONFIG_HOME
unset GT_TEST_NOW

test_count=0
test_failed=0
test_skipped=0
test_cleanup=:

say() { printf '%s\n' "$*"; }

test_set_prereq() { eval "test_prereq_$1=t"; }
test_have_prereq() {
	for p in $(echo "$1" | tr , ' '); do
		eval "test \"\${test_prereq_$p}\" = t" || return 1
	done
}

test_when_finished() {
	test_cleanup="{ $*
	} && (exit \"\$eval_ret\"); eval_ret=\$?; $test_cleanup"
}

test_eval_() {
	# run the test body in this shell (so variables persist), with set -e off
	eval "$1"
}

# Every test starts in the trash directory (a "cd" in one test does not
# leak into the next); variables set in a test persist.
test_run_() {
	cd "$TRASH_DIRECTORY" || return 1
	test_cleanup=:
	eval_ret=0
	test_eval_ "$1" </dev/null >&3 2>&4
	eval_ret=$?
	eval "$test_cleanup" </dev/null >&3 2>&4
	return $eval_ret
}

test_ok_() { test_count=$((test_count + 1)); say "ok $test_count - $1"; }
test_failure_() {
	test_count=$((test_count + 1))
	test_failed=$((test_failed + 1))
	say "not ok $test_count - $1"
	printf '%s\n' "$2" | sed -e 's/^/#	/'
	if test -n "$immediate"; then test_done; fi
}

test_skip_() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	say "ok $test_count # skip $1 (missing $2)"
}

test_expect_success() {
	local prereq=
	if test $# = 3; then prereq=$1; shift; fi
	if test -n "$prereq" && ! test_have_prereq "$prereq"; then
		test_skip_ "$1" "$prereq"
		return
	fi
	if test_run_ "$2"; then test_ok_ "$1"; else test_failure_ "$1" "$2"; fi
}

test_expect_failure() {
	test_count=$((test_count + 1))
	if test_run_ "$2"; then say "ok $test_count - $1 # TODO known breakage vanished"
	else say "not ok $test_count - $1 # TODO known breakage"; fi
}

test_done() {
	say "1..$test_count"
	cd "$TEST_DIRECTORY" || exit 1
	if test "$test_failed" = 0 && test -z "$debug"; then
		rm -rf "$TRASH_DIRECTORY"
	fi
	test "$test_failed" = 0
	exit $?
}

# --- helpers ----------------------------------------------------------

test_cmp() { diff -u "$@"; }

# test_must_fail <cmd>: fails on success, and on a crash (signal or
# sanitizer report), passes on an ordinary error exit.
test_must_fail() {
	"$@"
	exit_code=$?
	if test $exit_code = 0; then
		echo >&2 "test_must_fail: command succeeded: $*"; return 1
	elif test $exit_code -gt 129 && test $exit_code -le 192; then
		echo >&2 "test_must_fail: died by signal $((exit_code - 128)): $*"; return 1
	elif test $exit_code = 99 && test -n "$GT_TEST_SANITIZE"; then
		echo >&2 "test_must_fail: sanitizer report: $*"; return 1
	elif test $exit_code = 127; then
		echo >&2 "test_must_fail: command not found: $*"; return 1
	fi
	return 0
}

test_expect_code() {
	want=$1; shift
	"$@"
	exit_code=$?
	test $exit_code = "$want" && return 0
	echo >&2 "test_expect_code: command exited with $exit_code, not $want: $*"
	return 1
}

test_line_count() {
	if test $# != 3; then echo >&2 "bug: test_line_count needs 3 args"; return 1; fi
	actual=$(wc -l <"$3" | tr -d ' ')
	if ! test "$actual" "$1" "$2"; then
		echo >&2 "test_line_count: line count for $3 is $actual, not $1 $2"
		cat "$3" >&2
		return 1
	fi
}

test_must_be_empty() {
	if test -s "$1"; then echo >&2 "'$1' is not empty:"; cat "$1" >&2; return 1; fi
}

# test_commit_file <message>: append a line to "file", commit it with that
# message, one minute after the previous such commit (a fixed clock, so
# that commit order and dates are reproducible).
test_tick=1800000000
test_commit_file() {
	test_tick=$((test_tick + 60)) &&
	echo "$test_tick" >>file &&
	git add file &&
	GIT_AUTHOR_DATE="@$test_tick +0000" GIT_COMMITTER_DATE="@$test_tick +0000" \
		git commit -q -m "$1"
}

# test_grep [-v] <pattern> <file>: grep that shows the file on failure.
test_grep() {
	if test "$1" = -v; then
		shift
		! grep -e "$1" "$2" || { echo >&2 "test_grep: unexpected '$1' in $2"; return 1; }
	else
		grep -e "$1" "$2" >/dev/null || {
			echo >&2 "test_grep: no '$1' in $2:"; cat "$2" >&2; return 1; }
	fi
}

# Normalised JSON (sorted keys, one object per line) for comparisons.
json_normalise() { jq -cS . "$@"; }

# A new repository in the trash directory with gastown set up.
test_create_repo() {
	git init -q "$1" && (cd "$1" && gt init -q --prefix "${2:-gt}")
}

# test_unit_program <program> [<arg>...]: run a unit program of t/unit
# (it prints its own TAP) and report each of its results as a test of
# this script, then one test that it exited cleanly.
test_unit_program() {
	local prog=$1 line status
	shift
	"$GT_UNIT_DIR/$prog" "$@" >unit.out 2>unit.err
	status=$?
	while IFS= read -r line; do
		case "$line" in
		"ok "*) test_expect_success "${line#ok * - }" 'true' ;;
		"not ok "*) test_expect_success "${line#not ok * - }" 'false' ;;
		esac
	done <unit.out
	unit_status=$status
	test_expect_success "unit program $prog exits cleanly" '
		cat unit.err >&2 &&
		{ grep "^#" unit.out >&2 || :; } &&
		test "$unit_status" = 0 &&
		test_grep "^1\.\." unit.out
	'
}

# write_completion_driver <file>: a bash script that completes its
# arguments (COMP_WORDS, the cursor on the last word) with
# contrib/completion/gt.bash and prints the candidates, one a line.
COMPLETION=$SRC_DIR/contrib/completion/gt.bash
write_completion_driver() {
	cat >"$1" <<EOF
. "$COMPLETION"
COMP_WORDS=("\$@")
COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
_gt
test \${#COMPREPLY[@]} = 0 || printf '%s\n' "\${COMPREPLY[@]}"
EOF
}

# Copy of a shared test data file (the originals are read-only).
testdata() {
	cp "$TESTDATA_DIR/$1" "./$1" && chmod u+w "./$1"
}

# --- set up -----------------------------------------------------------

while test $# -gt 0; do
	case "$1" in
	-d|--debug) debug=t ;;
	-i|--immediate) immediate=t ;;
	-v|--verbose) verbose=t ;;
	esac
	shift
done

test -n "$GT_TEST_VERBOSE" && verbose=t
if test -n "$verbose"; then exec 4>&2 3>&2; else exec 4>/dev/null 3>/dev/null; fi

rm -rf "$TRASH_DIRECTORY"
mkdir -p "$TRASH_DIRECTORY" || exit 1
export HOME="$TRASH_DIRECTORY"
# git gc --auto and gt's commit-graph writes in the foreground, so that a
# test sees what they did (and none still writes when the trash goes)
git config --global gc.autoDetach false
cd "$TRASH_DIRECTORY" || exit 1

command -v jq >/dev/null && test_set_prereq JQ
test -d "$TESTDATA_DIR" && test_set_prereq TESTDATA
test "$(id -u)" != 0 && test_set_prereq NOT_ROOT
