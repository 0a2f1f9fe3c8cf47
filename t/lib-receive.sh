# Helpers of the pre-receive tests (t0840, t086x): crafting ledger and
# entity commits with plain git in a hostile clone, pushing them to a
# server set up with "gt init --bare" and checking what it said.

Z=0000000000000000000000000000000000000000

# lpath <ref name without refs/gastown/>: where a ledger tree holds it.
lpath() {
	printf "%s/%s" "$(printf "%s" "$1" | git hash-object --stdin | cut -c1-2)" "$(echo "$1" | tr / :)"
}

# ledger_with <base> [<mode> <object> <path>]...: a ledger commit whose
# first parent is base and whose tree is base's with those entries set
# (mode "-" removes the entry). Each commit set becomes a parent too, as
# gt sync makes them, unless LEDGER_BARE is set; LEDGER_PARENTS adds
# parents ("-p <id>...").
ledger_with() {
	base=$1 && shift &&
	GIT_INDEX_FILE=../idx git read-tree $base &&
	parents="-p $base" &&
	while test $# -gt 0; do
		if test "$1" = -; then
			GIT_INDEX_FILE=../idx git update-index --force-remove "$3"
		else
			GIT_INDEX_FILE=../idx git update-index --add --cacheinfo "$1,$2,$3"
		fi || return 1
		if test "$1" = 160000 && test -z "$LEDGER_BARE"; then
			parents="$parents -p $2"
		fi
		shift 3
	done &&
	tree=$(GIT_INDEX_FILE=../idx git write-tree) &&
	git commit-tree $parents $LEDGER_PARENTS -m "ledger: crafted" $tree
}

# craft <parent or ""> <time ms> <op.json text> <bead.json text>: an
# entity commit written by hand by the actor "evil" (the operation must
# say so) at that time. CRAFT_ACTOR and CRAFT_MESSAGE change the author
# and the message; CRAFT_PARENTS adds parents ("-p <id> -p <id>").
craft() {
	op=$(printf "%s" "$3" | git hash-object -w --stdin) &&
	snap=$(printf "%s" "$4" | git hash-object -w --stdin) &&
	tree=$(printf "100644 blob %s\top.json\n100644 blob %s\tbead.json\n" $op $snap | git mktree) &&
	who=${CRAFT_ACTOR:-evil} &&
	GIT_AUTHOR_NAME=$who GIT_AUTHOR_EMAIL=$who GIT_AUTHOR_DATE="@$(($2 / 1000)) +0000" \
	GIT_COMMITTER_NAME=$who GIT_COMMITTER_EMAIL=$who GIT_COMMITTER_DATE="@$(($2 / 1000)) +0000" \
	git commit-tree ${1:+-p $1} $CRAFT_PARENTS -m "${CRAFT_MESSAGE:-crafted}" $tree
}

# an operation of evil: op <type> <clock> <time ms> <changes>
op() {
	printf '{"type":"%s","clock":%s,"time":%s,"actor":"evil","changes":[%s]}' "$@"
}

# retitle <tip> <clock> <time ms> <title>: an update of the bead at tip
# setting its title, snapshot and all (a sound commit unless the clock
# or the time is wrong).
retitle() {
	craft $1 $3 "$(op bead.update $2 $3 "{\"set\":\"title\",\"value\":\"$4\"}")" \
		"$(git cat-file -p $1:bead.json | jq -c ".title = \"$4\"")"
}

# In the hostile clone: L = the server's ledger, A and B the tips of
# gt-a and gt-b in it, KA and KB their clocks (PA and PB their paths).
fetch_ledger() {
	git fetch -q origin +refs/gastown/ledger:refs/theirs/ledger &&
	L=$(git rev-parse refs/theirs/ledger) &&
	A=$(git rev-parse "$L:$PA") &&
	B=$(git rev-parse "$L:$PB") &&
	KA=$(git cat-file -p $A:op.json | sed -n "s/.*\"clock\":\([0-9]*\).*/\1/p") &&
	KB=$(git cat-file -p $B:op.json | sed -n "s/.*\"clock\":\([0-9]*\).*/\1/p")
}

# push_rejected <refspec>...: the push fails and the server's refs are
# as they were; what the server said is left in ../said (without
# "remote: " and git's padding), for said to check.
push_rejected() {
	git -C ../server.git for-each-ref >../refs.before &&
	test_must_fail git push origin "$@" 2>../err &&
	git -C ../server.git for-each-ref >../refs.after &&
	test_cmp ../refs.before ../refs.after &&
	sed -n -e "/^remote: /{" -e "s///" -e "s/[[:space:]]*\$//" -e p -e "}" ../err >../said
}

# said <line>...: exactly what the server said.
said() {
	printf "%s\n" "$@" >../expect &&
	test_cmp ../expect ../said
}

# suffix <commit> [<n>]: the first n (4) base36 digits of commit, the
# suffix sync gives a renamed entity whose first commit it is.
suffix() {
	_h=$1 _n=${2:-4} _i=0 _s= &&
	while test $_i -lt $_n; do
		_b=$(printf "%d" "0x$(printf "%s" "$_h" | cut -c$((2 * _i + 1))-$((2 * _i + 2)))") &&
		_s="$_s$(printf "%s" 0123456789abcdefghijklmnopqrstuvwxyz | cut -c$((_b % 36 + 1)))" &&
		_i=$((_i + 1)) || return 1
	done &&
	printf "%s" "$_s"
}

# root <commit>: the first commit of its history, following first parents
root() {
	git rev-list --first-parent --max-parents=0 "$1"
}
