#!/bin/sh
# A short guided tour of gastown, run by "make demo": a temporary
# repository, three beads with a dependency and a parent/child, and what
# the commands say about them; a bare hub and a second clone that sync;
# then a working day: a convoy slung to two scripted polecats that work
# in their own worktrees until the convoy closes. Every command is printed ("$ ...") before
# it runs. The repository is removed at the end.
set -e

top=$(cd "$(dirname "$0")/.." && pwd)
# GT_DEMO_BIN: another build's programs (the tests run the sanitizer build)
bin=${GT_DEMO_BIN:-$top/bin}
PATH="$bin:$PATH"
GT_EXEC_PATH="$bin"
export PATH GT_EXEC_PATH
unset GT_PREFIX GIT_DIR GIT_WORK_TREE
GT_ACTOR=mayor
export GT_ACTOR

test -x "$bin/gt" && test -x "$bin/gt-create" || {
	echo >&2 "demo: build first (make)"
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gastown-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
cd "$tmp"

# quote a word for the shell: "..." unless that needs escapes, else '...'
quote() {
	case "$1" in
	*[\"\$\`\\]*) printf "'%s'" "$1" ;;
	*) printf '"%s"' "$1" ;;
	esac
}

# print a command as a reader would type it, quoting where needed
show() {
	line='$'
	for a in "$@"; do
		case "$a" in
		--*=*[!A-Za-z0-9._/:=+,-]*)
			a="${a%%=*}=$(quote "${a#*=}")" ;;
		*[!A-Za-z0-9._/:=+,-]*|'')
			a=$(quote "$a") ;;
		esac
		line="$line $a"
	done
	printf '%s\n' "$line"
}

# run: print the command, then run it
run() {
	show "$@"
	"$@"
}

# new <var> <command...>: run a command that prints an id and keep the id
new() {
	var=$1
	shift
	show "$@"
	out=$("$@")
	printf '%s\n' "$out"
	eval "$var=\$out"
}

have() { test -x "$bin/gt-$1"; }

say() { printf '\n# %s\n' "$*"; }

say "A new repository; gastown keeps everything under refs/gastown/."
run git init -q
if have init; then
	run gt init --prefix demo
else
	# no gt init in this build: write the repository's config by hand
	printf '%s\n' '$ mkdir -p .git/gastown' \
		"\$ printf '[core]\\n\\tprefix = demo\\n' >.git/gastown/config"
	mkdir -p .git/gastown
	printf '[core]\n\tprefix = demo\n' >.git/gastown/config
fi

say "Three beads: a bug, an epic, and a task blocked by the bug."
new bug gt create "Fix login timeout" -t bug -p 1 -l auth \
	-d "Sessions expire after 30 seconds instead of 30 minutes."
new epic gt create "Ship the login page" -t epic
new child gt create "Write the release notes" --parent "$epic" --deps "blocks:$bug"

say "Each bead is a ref, and a chain of commits."
run git for-each-ref --format='%(refname)' refs/gastown/beads/
run gt show "$child"
run gt dep tree "$child"

if have ready; then
	say "What can be worked on now? Not the child: the bug blocks it."
	run gt ready
fi
if have blocked; then
	run gt blocked
fi

say "Work on the bug, comment, and close it."
run gt update "$bug" -s in_progress -a gastown/polecats/nux
run gt comment "$bug" "Root cause: the token lifetime was read as seconds."
run gt close "$bug" -r "fixed"
if have ready; then
	say "The release notes are ready now."
	run gt ready
else
	run gt show "$bug"
fi

say "The audit trail, with git alone and with gt."
run git log --format='%h %an %s' "refs/gastown/beads/$bug"
if have log; then
	run gt log
fi

if have sync; then
	say "Publish to a bare remote; a second clone gets every bead."
	run git init -q --bare "$tmp/hub.git"
	run git remote add origin "$tmp/hub.git"
	run gt sync
	run git init -q "$tmp/laptop"
	cd "$tmp/laptop"
	run git remote add origin "$tmp/hub.git"
	run gt init -q
	run gt sync
	say "Both clones change the same bead; the next syncs merge, losing nothing."
	run gt comment "$bug" "Seen on the laptop too."
	cd "$tmp"
	run gt update "$bug" -p 0
	run gt sync -q
	cd "$tmp/laptop"
	run gt sync -v
	run gt show "$bug"
	cd "$tmp"
	run gt sync
	run git log --graph --format='%h %an %s' "refs/gastown/beads/$bug"
fi

if have sling && have convoy; then
	say "The working day: the mayor groups work in a convoy and slings it to two polecats."
	run git commit -q --allow-empty -m "Start the API"
	new api gt create "Add a health check endpoint" -t feature
	new doc gt create "Document the health check"
	new cv gt convoy create "Health check release" "$api" "$doc"
	run gt agent add gastown/polecats/nux
	run gt agent add gastown/polecats/max
	run gt sling "$api" gastown/polecats/nux
	run gt sling "$doc" gastown/polecats/max
	run gt status

	say "Each polecat works in its own worktree. The scripted agent (contrib/agents/)
# stands in for Claude Code or Codex: it reads its hook, commits, and says gt done."
	agent=$top/contrib/agents/scripted-agent
	run git worktree add -q "$tmp/nux"
	run git worktree add -q "$tmp/max"
	cd "$tmp/nux"
	run env GT_ACTOR=gastown/polecats/nux "$agent"
	run gt convoy status "$cv"
	cd "$tmp/max"
	run env GT_ACTOR=gastown/polecats/max "$agent"
	cd "$tmp"
	say "The last bead closed the convoy; the mayor was told, and every commit is attributed."
	run gt convoy list --all
	run gt mail inbox
	run gt trail "$api"
	run git log -1 --notes=gastown --format='%h %s%n%N' "$(git -C "$tmp/nux" rev-parse HEAD)"
fi

say "Done. (The repository $tmp is removed.)"
