#!/bin/sh
test_description='gt create and gt show'
. ./test-lib.sh

test_expect_success 'setup' '
	git init -q repo && cd repo &&
	mkdir -p .git/gastown && printf "[core]\n\tprefix = ab\n" >.git/gastown/config
'

test_expect_success 'create prints a hash id with the prefix' '
	cd repo &&
	gt create "First bead" >id &&
	test_grep "^ab-[0-9a-z]\{4,\}$" id &&
	id=$(cat id) &&
	git rev-parse --verify -q "refs/gastown/beads/$id^{commit}" >/dev/null
'

test_expect_success 'the commit holds op.json and bead.json; author is the actor' '
	cd repo && id=$(cat id) &&
	git ls-tree --name-only "refs/gastown/beads/$id" >files &&
	printf "bead.json\nop.json\n" >expect &&
	test_cmp expect files &&
	git log -1 --format="%an|%s" "refs/gastown/beads/$id" >out &&
	echo "tester|bead.create: $id First bead" >expect &&
	test_cmp expect out &&
	git cat-file -p "refs/gastown/beads/$id:op.json" | jq -r ".clock, .actor, .type" >out &&
	printf "1\ntester\nbead.create\n" >expect &&
	test_cmp expect out
'

test_expect_success 'defaults: open, P2, task, created_by the actor' '
	cd repo && id=$(cat id) &&
	gt show --json "$id" | jq -r ".status, .priority, .issue_type, .created_by, .title" >out &&
	printf "open\n2\ntask\ntester\nFirst bead\n" >expect &&
	test_cmp expect out
'

test_expect_success 'all create options' '
	cd repo && first=$(cat id) &&
	gt create "Second" -d "line one
line two" -t bug -p 1 -l ui -l urgent --assignee gastown/polecats/nux \
		--deps "blocks:$first" >id2 &&
	gt show --json "$(cat id2)" >out &&
	jq -r ".description, .issue_type, .priority, (.labels|join(\",\")), .assignee, .dependencies[0].type, .dependencies[0].depends_on_id" out >actual &&
	printf "line one\nline two\nbug\n1\nui,urgent\ngastown/polecats/nux\nblocks\n%s\n" "$first" >expect &&
	test_cmp expect actual
'

test_expect_success 'P-prefixed priority and default dependency type' '
	cd repo &&
	gt create "third" -p P0 --deps "$(cat id)" >id3 &&
	gt show --json "$(cat id3)" | jq -r ".priority, .dependencies[0].type" >out &&
	printf "0\nblocks\n" >expect &&
	test_cmp expect out
'

test_expect_success '--parent gives <parent>.<n>, counting up' '
	cd repo && p=$(cat id) &&
	gt create "child one" --parent "$p" >c1 &&
	gt create "child two" --parent "$p" >c2 &&
	gt create "grandchild" --parent "$p.1" >c3 &&
	echo "$p.1" >expect && test_cmp expect c1 &&
	echo "$p.2" >expect && test_cmp expect c2 &&
	echo "$p.1.1" >expect && test_cmp expect c3 &&
	gt show --json "$p.2" | jq -r ".parent, .dependencies[0].type, .dependencies[0].depends_on_id" >out &&
	printf "%s\nparent-child\n%s\n" "$p" "$p" >expect &&
	test_cmp expect out
'

test_expect_success '--id uses the given id; a taken id is refused' '
	cd repo &&
	gt create --id ab-custom "custom" >out &&
	echo ab-custom >expect && test_cmp expect out &&
	test_expect_code 4 gt create --id ab-custom "again" 2>err &&
	test_grep "bead ab-custom already exists" err
'

test_expect_success '--stdin creates one bead per JSON object' '
	cd repo &&
	printf "%s\n" "{\"title\":\"s1\",\"priority\":3}" "" "{\"title\":\"s2\",\"labels\":[\"x\"],\"custom_field\":{\"k\":1}}" >in &&
	gt create --stdin <in >ids &&
	test_line_count = 2 ids &&
	gt show --json $(cat ids) | jq -c "[.title, .priority, .custom_field]" >out &&
	printf "%s\n" "[\"s1\",3,null]" "[\"s2\",2,{\"k\":1}]" >expect &&
	test_cmp expect out
'

test_expect_success '--stdin -z takes NUL-separated records' '
	cd repo &&
	printf "{\"title\":\"z1\"}\0{\"title\":\"z2\"}\0" | gt create --stdin -z >ids &&
	test_line_count = 2 ids
'

test_expect_success 'malformed JSON on --stdin: error, nothing created' '
	cd repo &&
	git for-each-ref >before &&
	printf "%s\n" "{\"title\":\"ok\"}" "{\"title\": nope}" >in &&
	test_expect_code 3 gt create --stdin <in 2>err &&
	test_grep "malformed JSON in --stdin record 2" err &&
	test_line_count = 1 err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'invalid UTF-8 on --stdin: error, nothing created' '
	cd repo &&
	git for-each-ref >before &&
	printf "{\"title\":\"bad \377 byte\"}\n" | test_expect_code 3 gt create --stdin 2>err &&
	test_grep "invalid UTF-8 in --stdin record 1" err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'a --stdin record that is not an object or lacks a title' '
	cd repo &&
	echo "[1,2]" | test_expect_code 3 gt create --stdin 2>err &&
	test_grep "is not a JSON object" err &&
	echo "{\"priority\":1}" | test_expect_code 3 gt create --stdin 2>err &&
	test_grep "title must be a non-empty string" err
'

test_expect_success '--stdin is all or nothing: a taken id fails the whole batch' '
	cd repo &&
	git for-each-ref >before &&
	printf "%s\n" "{\"title\":\"one\"}" "{\"title\":\"two\",\"id\":\"ab-custom\"}" >in &&
	test_expect_code 4 gt create --stdin <in 2>err &&
	test_grep "bead ab-custom already exists" err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success '--stdin records may name each other; the same id twice is refused' '
	cd repo &&
	printf "%s\n" "{\"id\":\"ab-epic\",\"title\":\"epic\"}" \
		"{\"title\":\"kid\",\"parent\":\"ab-epic\"}" \
		"{\"title\":\"kid2\",\"parent\":\"ab-epic\",\"dependencies\":[{\"depends_on_id\":\"ab-epic.1\",\"type\":\"blocks\"}]}" >in &&
	gt create --stdin <in >ids &&
	printf "ab-epic\nab-epic.1\nab-epic.2\n" >expect &&
	test_cmp expect ids &&
	printf "%s\n" "{\"id\":\"ab-twin\",\"title\":\"a\"}" "{\"id\":\"ab-twin\",\"title\":\"b\"}" >in &&
	test_expect_code 3 gt create --stdin <in 2>err &&
	test_grep "id ab-twin is given twice" err
'

test_expect_success 'a new bead created closed gets closed_at' '
	cd repo &&
	echo "{\"title\":\"done already\",\"status\":\"closed\"}" | gt create --stdin >id5 &&
	gt show --json "$(cat id5)" | jq -r "has(\"closed_at\")" >out &&
	echo true >expect && test_cmp expect out
'

test_expect_success 'a dependency type with odd characters is refused' '
	cd repo &&
	test_expect_code 3 gt create t --deps "a b:ab-custom" 2>err &&
	test_grep "invalid dependency type .a b." err
'

test_expect_success 'invalid UTF-8 and newlines in a title from the command line' '
	cd repo &&
	test_expect_code 3 gt create "$(printf "bad \377")" 2>err &&
	test_grep "invalid UTF-8" err &&
	test_expect_code 3 gt create "$(printf "two\nlines")" 2>err &&
	test_grep "title must be one line" err
'

test_expect_success 'a title over the limit is refused; the limit is configurable' '
	cd repo &&
	long=$(printf "%0600d" 0) &&
	test_expect_code 3 gt create "$long" 2>err &&
	test_grep "title is 600 bytes, over the limit of 500 (core.titleLimit)" err &&
	printf "[core]\n\tprefix = ab\n\ttitleLimit = 1000\n" >.git/gastown/config &&
	gt create "$long" >/dev/null
'

test_expect_success 'bad option values' '
	cd repo &&
	test_expect_code 129 gt create -p 7 x 2>err &&
	test_grep "priority must be 0-4" err &&
	test_expect_code 129 gt create --deps "blocks:" x 2>err &&
	test_grep "expects <type>:<id>" err &&
	test_expect_code 129 gt create 2>err &&
	test_grep "a title is required" err &&
	test_expect_code 129 gt create a b 2>err &&
	test_grep "too many arguments" err &&
	test_expect_code 129 gt create --stdin x 2>err &&
	test_grep "takes no title" err
'

test_expect_success 'unknown parent or dependency: error, nothing created' '
	cd repo &&
	git for-each-ref >before &&
	test_expect_code 2 gt create x --parent ab-nope 2>err &&
	test_grep "no such bead: ab-nope (parent)" err &&
	test_expect_code 2 gt create x --deps blocks:ab-nope 2>err &&
	test_grep "no such bead: ab-nope (dependency)" err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'an actor that cannot be a commit author is refused' '
	cd repo &&
	git for-each-ref >before &&
	GT_ACTOR="evil <x>" test_expect_code 3 gt create x 2>err &&
	test_grep "invalid actor .evil <x>. (no .<., .>. or newline)" err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'the actor name sync writes its own commits with is refused' '
	cd repo &&
	git for-each-ref >before &&
	GT_ACTOR=gastown test_expect_code 3 gt create x 2>err &&
	test_grep "^fatal: the actor name .gastown. is reserved for the commits sync makes: set GT_ACTOR or user.actor to another$" err &&
	echo "{\"id\":\"ab-imp\",\"title\":\"x\"}" >one.jsonl &&
	GT_ACTOR=gastown test_expect_code 3 gt import one.jsonl 2>err &&
	test_grep "reserved for the commits sync makes" err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'new objects are loose objects git itself accepts' '
	cd repo &&
	gt create "checked by git" >id6 &&
	git cat-file -t "refs/gastown/beads/$(cat id6)" >type &&
	echo commit >expect && test_cmp expect type &&
	git fsck --no-dangling --strict
'

test_expect_success 'ids that try to escape are refused' '
	cd repo &&
	for bad in "../x" "a b" "x.lock" ".hidden" "a..b" "$(printf "a\tb")" "ab-%2F"; do
		test_expect_code 3 gt create --id "$bad" t 2>err &&
		test_grep "invalid bead id" err || return 1
	done &&
	test_expect_code 3 gt create --parent "../../HEAD" t 2>err &&
	test_grep "invalid parent id" err
'

test_expect_success 'show: porcelain, several ids, unknown ids' '
	cd repo && id=$(cat id2) &&
	gt show "$id" >out &&
	test_grep "^$id: Second$" out &&
	test_grep "^Priority:  P1$" out &&
	test_grep "^Labels:    ui, urgent$" out &&
	test_grep "^    blocks $(cat id)$" out &&
	test_grep "^    line two$" out &&
	test_expect_code 2 gt show "$id" ab-zzzz >out 2>err &&
	test_grep "^$id: Second$" out &&
	test_grep "error: no such bead: ab-zzzz" err &&
	test_expect_code 3 gt show "../../etc" 2>err &&
	test_grep "invalid bead id" err &&
	test_expect_code 129 gt show 2>err &&
	test_grep "give at least one id" err
'

test_expect_success 'refs under refs/gastown that point to a blob or garbage JSON' '
	cd repo &&
	blob=$(echo garbage | git hash-object -w --stdin) &&
	git update-ref refs/gastown/beads/ab-blob "$blob" &&
	test_expect_code 128 gt show ab-blob 2>err &&
	test_grep "refs/gastown/beads/ab-blob: points to a blob, not a commit" err &&
	test_line_count = 1 err &&
	tree=$(printf "100644 blob %s\tbead.json\n100644 blob %s\top.json\n" "$blob" "$blob" | git mktree) &&
	commit=$(echo x | git commit-tree "$tree") &&
	git update-ref refs/gastown/beads/ab-junk "$commit" &&
	test_expect_code 128 gt show ab-junk 2>err &&
	test_grep "malformed JSON in refs/gastown/beads/ab-junk:bead.json" err &&
	test_expect_code 128 gt comment ab-junk "hello" 2>err &&
	test_grep "malformed JSON" err &&
	git rev-parse refs/gastown/beads/ab-junk >tip &&
	echo "$commit" >expect &&
	test_cmp expect tip
'

test_done
