#!/bin/sh
test_description='make install: programs, git-gt, man pages, completion'
. ./test-lib.sh

command -v asciidoctor >/dev/null && test_set_prereq ASCIIDOCTOR
command -v man >/dev/null && test_set_prereq MAN

test_expect_success ASCIIDOCTOR 'make install PREFIX=... installs everything' '
	make -s -C "$SRC_DIR" install PREFIX="$TRASH_DIRECTORY/inst" >/dev/null &&
	test -x inst/bin/gt &&
	test -x inst/bin/gt-create &&
	test -L inst/bin/git-gt &&
	test -f inst/share/man/man1/gt-create.1 &&
	test -f inst/share/man/man1/gt.1 &&
	test -f inst/share/bash-completion/completions/gt &&
	test -f inst/share/man/man7/gastown.7 &&
	test -f inst/share/man/man7/gastown-coordination.7 &&
	test -f inst/share/man/man7/gastown-formula.7 &&
	test -f inst/share/man/man7/gastown-sync.7 &&
	test -x inst/share/gastown/hooks/post-commit &&
	test -x inst/share/gastown/hooks/pre-receive &&
	test -f inst/share/gastown/templates/roles/polecat.md &&
	test -x inst/share/gastown/contrib/agents/scripted-agent &&
	test -x inst/share/gastown/contrib/tmux/gt-tmux
'

test_expect_success ASCIIDOCTOR 'every installed program has its man page' '
	for p in inst/bin/gt-*; do
		test -f "inst/share/man/man1/$(basename "$p").1" || {
			echo "no man page for $p"; return 1; }
	done
'

test_expect_success ASCIIDOCTOR 'installed git gt runs the installed programs' '
	git init -q repo &&
	(cd repo && PATH="$TRASH_DIRECTORY/inst/bin:/usr/bin:/bin" GT_EXEC_PATH= \
		git gt create "installed" >../id) &&
	test_grep "^gt-" id
'

test_expect_success ASCIIDOCTOR,MAN 'gt help <cmd> opens the man page' '
	MANPATH="$TRASH_DIRECTORY/inst/share/man" MANPAGER=cat PAGER=cat \
		PATH="$TRASH_DIRECTORY/inst/bin:/usr/bin:/bin" GT_EXEC_PATH= \
		gt help create >out 2>&1 &&
	grep -i "gt-create" out
'

test_done
