#!/bin/sh
test_description='gt cook: protomolecules, {{var}} substitution, stored in the ledger for reuse'
. ./test-lib.sh

unset XDG_CONFIG_HOME
F=.gastown/formulas

test_expect_success 'setup' '
	test_create_repo repo &&
	cd repo &&
	mkdir -p $F &&
	cat >$F/release.formula.ini <<-\INI
	[formula]
	name = release
	description = Cut {{version}} on {{channel}}
	[var "version"]
	required = true
	pattern = [0-9]+\.[0-9]+
	[var "channel"]
	default = stable
	allowed = stable, beta
	[var "note"]
	[step "bump"]
	title = Bump to {{version}}
	description = {{version}}{{channel}} {{ version }} {{unknown {{note}}.
	labels = {{channel}}, x
	assignee = {{channel}}/crew/joe
	acceptance = VERSION says {{version}}
	[step "tag"]
	title = Tag {{version}}
	needs = bump
	INI
'

test_expect_success JQ 'cook: variables resolved, defaults, substitution everywhere, a proto id' '
	cd repo &&
	gt cook --var version=1.2 release >id &&
	test_grep "^release-[0-9a-f]\{8\}$" id &&
	gt cook --json --var version=1.2 release >json &&
	jq -r .id json >id2 &&
	test_cmp id id2 &&
	jq -c "[.formula, .description, .vars, .cooked_by]" json >out &&
	echo "[\"release\",\"Cut 1.2 on stable\",{\"version\":\"1.2\",\"channel\":\"stable\",\"note\":\"\"},\"tester\"]" >expect &&
	test_cmp expect out &&
	jq -c ".steps[0] | [.title, .description, .labels, .assignee, .acceptance]" json >out &&
	echo "[\"Bump to 1.2\",\"1.2stable 1.2 {{unknown .\",[\"stable\",\"x\"],\"stable/crew/joe\",\"VERSION says 1.2\"]" >expect &&
	test_cmp expect out &&
	jq -c ".steps[1] | [.id, .title, .needs]" json >out &&
	echo "[\"tag\",\"Tag 1.2\",[\"bump\"]]" >expect &&
	test_cmp expect out
'

test_expect_success 'cooking the same again writes nothing; other values make another proto' '
	cd repo &&
	id=$(cat id) &&
	git rev-parse refs/gastown/protos/$id >before &&
	gt cook --var version=1.2 release >again &&
	test_cmp id again &&
	git rev-parse refs/gastown/protos/$id >after &&
	test_cmp before after &&
	gt cook --var version=1.2 --var channel=beta release >other &&
	! test_cmp id other 2>/dev/null &&
	git for-each-ref --format="%(refname)" refs/gastown/protos/ >refs &&
	test_line_count = 2 refs &&
	git log -1 --format=%s refs/gastown/protos/$id >msg &&
	test_grep "^proto.cook: $id" msg &&
	gt fsck
'

test_expect_success 'bad values are refused, one line each, and nothing is stored' '
	cd repo &&
	git for-each-ref >before &&
	test_expect_code 3 gt cook release 2>err &&
	echo "fatal: $PWD/$F/release.formula.ini:4: variable '\''version'\'' is required and has no value: give --var version=<value>" >expect &&
	test_cmp expect err &&
	test_expect_code 3 gt cook --var version=one release 2>err &&
	echo "fatal: --var: variable '\''version'\'' is '\''one'\'', which does not match its pattern '\''[0-9]+\.[0-9]+'\''" >expect &&
	test_cmp expect err &&
	test_expect_code 3 gt cook --var version=1.0 --var channel=nightly release 2>err &&
	echo "fatal: --var: variable '\''channel'\'' is '\''nightly'\'', not one of: stable, beta" >expect &&
	test_cmp expect err &&
	test_expect_code 3 gt cook --var version=1.0 --var colour=red release 2>err &&
	echo "fatal: --var: formula '\''release'\'' has no variable '\''colour'\''" >expect &&
	test_cmp expect err &&
	test_expect_code 3 gt cook --var colour=red release 2>err &&
	test_grep "has no variable '\''colour'\'' (and 1 more problems)" err &&
	test_expect_code 2 gt cook nosuch 2>err &&
	test_grep "^fatal: no formula '\''nosuch'\''" err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'a formula with problems is not cooked: the first problem and a count' '
	cd repo &&
	printf "[formula]\nname = cyc\n[step \"a\"]\nneeds = b\n[step \"b\"]\nneeds = a\n" >cyc.ini &&
	git for-each-ref >before &&
	test_expect_code 3 gt cook ./cyc.ini 2>err &&
	echo "fatal: ./cyc.ini:4: dependency cycle: a -> b -> a (each step needs the next)" >expect &&
	test_cmp expect err &&
	printf "[formula]\nname = self\n[step \"a\"]\nneeds = a\ntitle = {{x}}\n" >self.ini &&
	test_expect_code 3 gt cook ./self.ini 2>err &&
	echo "fatal: ./self.ini:5: step '\''a'\'' uses {{x}}, which is not declared: add a [var \"x\"] section (and 1 more problems)" >expect &&
	test_cmp expect err &&
	printf "[formula\n" >broken.ini &&
	test_expect_code 3 gt cook ./broken.ini 2>err &&
	test_grep "broken.ini:1: '\''\['\'' without '\''\]'\''" err &&
	git for-each-ref >after &&
	test_cmp before after
'

test_expect_success 'usage' '
	cd repo &&
	test_expect_code 129 gt cook 2>err &&
	test_grep "give one formula" err &&
	test_expect_code 129 gt cook a b 2>err &&
	test_grep "give one formula" err
'

test_done
